// ComputeModel: compute ops share processors (processor sharing).
//
// Every device belongs to one pool of `cores` processors:
//  - a CPU device on a node with Cluster::cpu_cores_per_node = C > 0 is in
//    the node's CPU pool (C cores shared by all its CPU devices' streams: on
//    the host backend each stream is a thread the OS may put on any core);
//  - any other device is a pool of its own with 1 processor (a GPU's streams
//    share the GPU; a CPU device of a node without a core count owns a core).
// An op costs launch_ns (private: not shared, kernel launches overlap) and
// then work_ns of one processor; while k ops of a pool are past their launch,
// each advances at min(1, cores / k) of a processor (one op never runs on
// more than one processor). One op alone therefore takes exactly
// launch_ns + work_ns, and costs a single event.
//
// Invariants:
//  1. While two or more ops run in a pool, the set of working ops is constant
//     between two ticks (a tick is armed at the next launch end or
//     completion), so remaining work falls linearly; older ticks are stale
//     (per-pool version). Tick events target the pool id.
//  2. Ops finishing at one tick are reported in start order.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <vector>

#include "core/cluster.h"
#include "core/cost_model.h"
#include "sim/event_queue.h"

namespace paralab::sim {

class ComputeModel {
 public:
  // Pools from the cluster's devices and cpu_cores_per_node.
  ComputeModel(const Cluster& c, EventQueue& q);

  void start(TimeNs now, int device, int op, ComputeTime t);
  // Handles a kComputeTick whose target is `pool`; appends finished ops to *done.
  void on_tick(TimeNs now, int pool, uint32_t version, std::vector<int>* done);

 private:
  struct Running {
    int op;
    TimeNs launch_end_ns;
    double remaining_ns;  // of one processor's work
  };
  struct Pool {
    int cores = 1;
    std::vector<Running> ops;
    TimeNs last_ns = 0;
    uint32_t version = 0;
  };
  void advance(Pool& p, TimeNs now);
  void arm(Pool& p, int pool, TimeNs now);

  std::vector<int> pool_of_;  // by device
  std::vector<Pool> pools_;
  EventQueue& q_;
};

}  // namespace paralab::sim
