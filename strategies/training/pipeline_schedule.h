// Pipeline schedules: the order in which one physical pipeline stage runs
// the forward and backward passes of its micro-batches (and model chunks).
//
//   GPipe:        all m forwards, then all m backwards.
//   1F1B:         min(p-i-1, m) warm-up forwards, then alternate one forward
//                 and one backward, then the remaining backwards
//                 (PipeDream-Flush, as in Megatron-LM).
//   interleaved:  Megatron-LM's virtual pipeline with v chunks per device:
//                 the k-th forward runs chunk (k mod pv)/p of micro-batch
//                 (k div pv)*p + k mod p; backwards visit the chunks in
//                 reverse; warm-up min(2(p-i-1) + (v-1)p, mv).
// Invariants: every (micro-batch, chunk) appears once as a forward and once
// as a backward, its forward first. Thread-safety: pure functions.
#pragma once

#include <vector>

#include "strategies/training/training_plan.h"

namespace paralab {

struct ScheduleStep {
  bool backward = false;
  int micro_batch = 0;
  int chunk = 0;
};

// REQUIRES: p >= 1, 0 <= stage < p, m >= 1, v >= 1 (interleaved: m % p == 0).
std::vector<ScheduleStep> stage_schedule(PipelineSchedule s, int p, int v, int m, int stage);

}  // namespace paralab
