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
// A running collective occupies a share of each member GPU's compute
// (DeviceSpec::collective_compute_share: NCCL's thread blocks hold SMs):
// while collectives hold a total share r of a pool (at most
// kMaxCollectiveComputeShare), its capacity is cores x (1 - r), and each
// working op advances at min(1, capacity / k). One op alone beside a
// collective thus takes launch_ns + work_ns + r x (the overlap).
//
// Invariants:
//  1. While two or more ops run in a pool, the set of working ops is constant
//     between two ticks (a tick is armed at the next launch end or
//     completion), so remaining work falls linearly; older ticks are stale
//     (per-pool version). Tick events target the pool id.
//  2. Ops finishing at one tick are reported in start order.
// Thread-safety: none.
#pragma once

#include <algorithm>
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
  // What this model gives one op of time `t` that starts, alone on a device
  // of collective_compute_share `share`, together with a collective of
  // `collective_ns`: the wall time until both have ended (to the
  // nanosecond; planners price Megatron's overlapped backward with it).
  static TimeNs beside_collective_ns(TimeNs collective_ns, ComputeTime t, double share);
  // A collective with `device` in its group starts (+1) or ends (-1).
  void collective(TimeNs now, int device, int delta);
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
    double reserved = 0;  // share held by running collectives
    // Progress per wall nanosecond of each of k working ops.
    double rate(int k) const {
      return std::min(1.0, cores * (1 - std::min(reserved, kMaxCollectiveComputeShare)) / k);
    }
    std::vector<Running> ops;
    TimeNs last_ns = 0;
    uint32_t version = 0;
  };
  void advance(Pool& p, TimeNs now);
  void arm(Pool& p, int pool, TimeNs now);

  std::vector<int> pool_of_;  // by device
  std::vector<double> share_;  // by device: DeviceSpec::collective_compute_share
  std::vector<Pool> pools_;
  EventQueue& q_;
};

}  // namespace paralab::sim
