// Pipeline schedules: 1F1B warm-up lengths, GPipe order, and that every
// (micro-batch, chunk) runs forward before backward exactly once.
#include <gtest/gtest.h>

#include <map>

#include "strategies/training/pipeline_schedule.h"

namespace paralab {
namespace {

void expect_complete(const std::vector<ScheduleStep>& s, int m, int v) {
  std::map<std::pair<int, int>, int> state;  // 0 none, 1 forward done, 2 backward done
  for (const auto& x : s) {
    int& st = state[{x.micro_batch, x.chunk}];
    if (!x.backward) {
      EXPECT_EQ(st, 0);
      st = 1;
    } else {
      EXPECT_EQ(st, 1);
      st = 2;
    }
  }
  EXPECT_EQ(state.size(), size_t(m * v));
  for (auto& [k, st] : state) EXPECT_EQ(st, 2);
}

TEST(PipelineSchedule, OneFOneBWarmup) {
  // p = 4, m = 8: stage 0 warms up with 3 forwards, stage 3 with none.
  auto s0 = stage_schedule(PipelineSchedule::k1F1B, 4, 1, 8, 0);
  ASSERT_EQ(s0.size(), 16u);
  for (int k = 0; k < 4; ++k) EXPECT_FALSE(s0[k].backward) << k;
  EXPECT_TRUE(s0[4].backward);
  EXPECT_EQ(s0[4].micro_batch, 0);
  auto s3 = stage_schedule(PipelineSchedule::k1F1B, 4, 1, 8, 3);
  EXPECT_FALSE(s3[0].backward);
  EXPECT_TRUE(s3[1].backward);
  for (int i = 0; i < 4; ++i) expect_complete(stage_schedule(PipelineSchedule::k1F1B, 4, 1, 8, i), 8, 1);
}

TEST(PipelineSchedule, GpipeAllForwardsFirst) {
  auto s = stage_schedule(PipelineSchedule::kGpipe, 4, 1, 6, 2);
  for (int k = 0; k < 6; ++k) EXPECT_FALSE(s[k].backward);
  for (int k = 6; k < 12; ++k) EXPECT_TRUE(s[k].backward);
  expect_complete(s, 6, 1);
}

TEST(PipelineSchedule, InterleavedVisitsEveryChunk) {
  for (int i = 0; i < 4; ++i) expect_complete(stage_schedule(PipelineSchedule::kInterleaved, 4, 2, 8, i), 8, 2);
  // Megatron order: forwards 0..3 are chunk 0, 4..7 chunk 1 (micro-batches 0..3).
  auto s = stage_schedule(PipelineSchedule::kInterleaved, 4, 2, 8, 0);
  EXPECT_EQ(s[4].chunk, 1);
  EXPECT_EQ(s[4].micro_batch, 0);
}

}  // namespace
}  // namespace paralab
