#include "strategies/training/pipeline_schedule.h"

#include <algorithm>

namespace paralab {

std::vector<ScheduleStep> stage_schedule(PipelineSchedule s, int p, int v, int m, int stage) {
  std::vector<ScheduleStep> out;
  if (s == PipelineSchedule::kGpipe) {
    for (int j = 0; j < m; ++j) out.push_back({false, j, 0});
    for (int j = 0; j < m; ++j) out.push_back({true, j, 0});
    return out;
  }
  if (s != PipelineSchedule::kInterleaved) v = 1;
  int total = m * v;
  auto step = [&](int k, bool backward) {
    int in_group = k % (p * v);
    int chunk = in_group / p;
    if (backward) chunk = v - 1 - chunk;
    int mb = (k / (p * v)) * p + k % p;
    if (v == 1) mb = k;
    return ScheduleStep{backward, mb, chunk};
  };
  int warmup = v == 1 ? std::min(p - stage - 1, total) : std::min(2 * (p - stage - 1) + (v - 1) * p, total);
  for (int k = 0; k < warmup; ++k) out.push_back(step(k, false));
  for (int k = 0; k < total - warmup; ++k) {
    out.push_back(step(warmup + k, false));
    out.push_back(step(k, true));
  }
  for (int k = total - warmup; k < total; ++k) out.push_back(step(k, true));
  return out;
}

}  // namespace paralab
