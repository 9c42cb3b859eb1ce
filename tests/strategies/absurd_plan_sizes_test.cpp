// Absurd sizes in a training plan are refused by its loader, naming the
// field, the value and the limit (core/limits.h: batches up to 2^40,
// 2^20 micro-batches, 2^16 graph layers, 2^24 devices), before any vector
// is sized from them.
#include <gtest/gtest.h>

#include "core/error.h"
#include "strategies/training/training_plan.h"

namespace paralab {
namespace {

std::string plan_error(Json j) {
  try {
    plan_from_json(JsonReader(j, "plan.json"));
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

Json small_plan() {
  return {{"model", "gpt2-xl"}, {"cluster", "dgx-a100-80gb"}, {"seq_len", 1024}, {"global_batch", 8},
          {"micro_batches", 2},
          {"stages", Json::array({{{"layers", {0, 4}}, {"devices", {0, 1}}}})},
          {"strategies", Json::array({{{"layers", {0, 4}}, {"dp", 2}}})}};
}

TEST(AbsurdPlanSizes, BatchOfTwoToTheSixtyThreeIsAClearError) {
  Json j = small_plan();
  j["global_batch"] = uint64_t(1) << 63;
  EXPECT_EQ(plan_error(j), "plan.json: $.global_batch: expected an integer in [1, 1099511627776], got 9223372036854775808");
  j["global_batch"] = INT64_MAX;
  EXPECT_EQ(plan_error(j), "plan.json: $.global_batch: expected an integer in [1, 1099511627776], got 9223372036854775807");
}

TEST(AbsurdPlanSizes, MicroBatchesAreBounded) {
  Json j = small_plan();
  j["micro_batches"] = int64_t(1) << 40;
  EXPECT_EQ(plan_error(j), "plan.json: $.micro_batches: expected an integer in [1, 1048576], got 1099511627776");
}

TEST(AbsurdPlanSizes, LayerRangeIsBoundedBeforeItSizesTheStrategyList) {
  Json j = small_plan();
  j["stages"][0]["layers"] = {0, 2000000000};
  EXPECT_EQ(plan_error(j), "plan.json: $.stages[0].layers[1]: expected an integer in [0, 65536], got 2000000000");
}

TEST(AbsurdPlanSizes, ParallelDegreesWhoseProductOverflowsAreRefused) {
  Json j = small_plan();
  j["strategies"][0] = {{"layers", {0, 4}}, {"dp", 65536}, {"tp", 65536}, {"fsdp", 65536}};
  std::string e = plan_error(j);
  EXPECT_NE(e.find("dp 65536 x tp 65536 x fsdp 65536 devices: expected at most 16777216"), std::string::npos) << e;
}

}  // namespace
}  // namespace paralab
