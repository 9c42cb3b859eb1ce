// TrainingMetrics: the pipeline bubble and the exposed communication of one
// simulated training iteration, computed from the simulator's op intervals
// (a sim::OpObserver) on one representative device per pipeline stage —
// never from a trace.
//
// Definitions (streams as in lowering.h):
//   bubble_fraction  (T_pipe - ideal) / ideal, T_pipe = the latest start of
//                    a stage's optimizer step, ideal = the largest compute-
//                    stream busy time that ends before that stage's optimizer
//                    step (Megatron's (p-1)/m for GPipe and 1F1B).
//   exposed tp       TP (and resharding) collectives run in line on the
//                    compute stream (all of their time is exposed), plus
//                    the time of the async TP collectives (stream 9) not
//                    covered by compute-stream activity.
//   exposed pp       in-line pipeline-boundary gathers, plus the time of
//                    send/recv on the pipeline streams (2..7) not covered by
//                    compute-stream activity.
//   exposed dp       time of the data-parallel and tied-embedding streams'
//                    collectives (1, 8) not covered by compute-stream activity.
// Each exposed figure is the mean over the representative devices.
// Invariants: 1. alloc/free ops count nowhere (they take no time); 2. the
// result depends only on the intervals seen, not on their arrival order.
// Thread-safety: none; one instance per simulation.
#pragma once

#include <vector>

#include "core/task_graph.h"
#include "sim/simulator.h"

namespace paralab {

struct TrainingFigures {
  double bubble_fraction = 0;
  double exposed_tp_seconds = 0, exposed_pp_seconds = 0, exposed_dp_seconds = 0;
};

class TrainingMetrics : public sim::OpObserver {
 public:
  // `reps`: the devices to measure (one per stage). REQUIRES: every id < num_devices.
  TrainingMetrics(const TaskGraph& g, const std::vector<int>& reps, int num_devices);
  void op_done(int op, TimeNs start_ns, TimeNs end_ns) override;
  TrainingFigures figures() const;

 private:
  using Interval = std::pair<TimeNs, TimeNs>;
  struct Device {
    TimeNs optimizer_start = -1;  // -1: none seen
    TimeNs inline_tp = 0, inline_pp = 0;
    std::vector<Interval> compute;  // compute-stream intervals
    std::vector<Interval> tp, pp, dp;  // collectives on the other streams
  };
  const TaskGraph& g_;
  std::vector<int> slot_;  // per device id: index into devices_, -1 not measured
  std::vector<Device> devices_;
  std::vector<char> label_p2p_, label_optimizer_;  // per label id
};

}  // namespace paralab
