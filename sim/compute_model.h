// ComputeModel: each device runs its streams' compute ops concurrently,
// sharing its throughput (processor sharing).
//
// An op costs launch_ns (private: not shared, kernel launches overlap) and
// then work_ns of the whole device; while k ops are past their launch, each
// advances at 1/k of the device. One op alone therefore takes exactly
// launch_ns + work_ns, and costs a single event.
//
// Invariants:
//  1. While two or more ops run, the set of working ops is constant between
//     two ticks (a
//     tick is armed at the next launch end or completion), so remaining work
//     falls linearly; older ticks are stale (per-device version).
//  2. Ops finishing at one tick are reported in start order.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <vector>

#include "core/cost_model.h"
#include "sim/event_queue.h"

namespace paralab::sim {

class ComputeModel {
 public:
  ComputeModel(int num_devices, EventQueue& q) : devs_(num_devices), q_(q) {}

  void start(TimeNs now, int device, int op, ComputeTime t);
  // Handles a kComputeTick; appends finished ops to *done.
  void on_tick(TimeNs now, int device, uint32_t version, std::vector<int>* done);
  int active(int device) const { return int(devs_[device].ops.size()); }

 private:
  struct Running {
    int op;
    TimeNs launch_end_ns;
    double remaining_ns;  // of whole-device work
  };
  struct Dev {
    std::vector<Running> ops;
    TimeNs last_ns = 0;
    uint32_t version = 0;
  };
  void advance(Dev& d, TimeNs now);
  void arm(Dev& d, int device, TimeNs now);

  std::vector<Dev> devs_;
  EventQueue& q_;
};

}  // namespace paralab::sim
