// Invalid plans are rejected with a message naming the broken rule.
#include <gtest/gtest.h>

#include "core/catalog.h"
#include "core/error.h"
#include "strategies/training/plan_validation.h"
#include "strategies/training/training_plan.h"

namespace paralab {
namespace {

struct Fixture : ::testing::Test {
  ModelGraph m = load_model("megatron-gpt-22b");  // 50 layers: embedding, 48 blocks, head
  Cluster c = load_cluster("dgx-a100-80gb", 2);
  TrainingPlan plan(int tp, int pp, int dp) {
    MegatronOptions o;
    o.global_batch = 16;
    o.tp = tp, o.pp = pp, o.dp = dp, o.micro_batch = 1;
    return megatron_plan(o, m, c);
  }
};

TEST_F(Fixture, MegatronPlanIsValid) {
  TrainingPlan p = plan(8, 2, 1);
  EXPECT_EQ(check_plan(p, m, c), "");
  ASSERT_EQ(p.stages.size(), 2u);
  EXPECT_EQ(p.stages[0].first_layer, 0);
  EXPECT_EQ(p.stages[0].end_layer, 25);  // embedding + 24 blocks
  EXPECT_EQ(p.stages[1].end_layer, 50);
  EXPECT_EQ(p.stages[1].devices.front(), 8);
  EXPECT_EQ(p.micro_batches, 16);
}

TEST_F(Fixture, DegreesMustMultiplyToStageDevices) {
  TrainingPlan p = plan(8, 2, 1);
  p.layers[3].tp = 4;
  EXPECT_EQ(check_plan(p, m, c), "layer 3 (block.2): dp 1 x tp 4 x fsdp 1 = 4 devices, but its stage 0 has 8 devices");
  EXPECT_THROW(validate_plan(p, m, c), InputError);
}

TEST_F(Fixture, HeadsMustDivideByTp) {
  TrainingPlan p = plan(8, 2, 1);
  p.stages[0].devices.resize(3);
  for (int l = 0; l < 25; ++l) p.layers[l].tp = 3;
  EXPECT_EQ(check_plan(p, m, c), "layer 1 (block.0): 64 attention heads are not divisible by tp 3");
}

TEST_F(Fixture, LayerInTwoStages) {
  TrainingPlan p = plan(8, 2, 1);
  p.stages[1].first_layer = 24;
  EXPECT_EQ(check_plan(p, m, c), "layer 24 (block.23) is in two stages: stage 0 [0, 25) and stage 1 [24, 50)");
}

TEST_F(Fixture, LayerInNoStage) {
  TrainingPlan p = plan(8, 2, 1);
  p.stages[1].first_layer = 26;
  EXPECT_EQ(check_plan(p, m, c), "layer 25 (block.24) is in no stage");
}

TEST_F(Fixture, MoreStagesThanLayers) {
  TrainingPlan p = plan(8, 2, 1);
  p.stages.resize(51, p.stages[1]);
  EXPECT_EQ(check_plan(p, m, c),
            "the plan has 51 stages but model megatron-gpt-22b has only 50 layers (at most one stage per layer)");
}

TEST_F(Fixture, DeviceInTwoStages) {
  TrainingPlan p = plan(8, 2, 1);
  p.stages[1].devices[0] = 3;
  EXPECT_EQ(check_plan(p, m, c), "device 3 is in two stages: 0 and 1");
}

TEST_F(Fixture, BatchMustSplit) {
  TrainingPlan p = plan(8, 2, 1);
  p.micro_batches = 3;
  EXPECT_EQ(check_plan(p, m, c), "global batch 16 is not divisible by 3 micro-batches");
}

TEST_F(Fixture, JsonRoundTrip) {
  TrainingPlan p = plan(4, 2, 2);
  p.layers[5].recompute = Recompute::kFull;
  Json j = plan_to_json(p);
  TrainingPlan q = plan_from_json(JsonReader(j, "plan.json"));
  EXPECT_EQ(plan_to_json(q), j);
  EXPECT_EQ(q.layers[5].recompute, Recompute::kFull);
  EXPECT_EQ(j["strategies"].size(), 3u);  // [0,5), [5,6), [6,50)
}

TEST_F(Fixture, JsonErrorsNameThePath) {
  Json j = plan_to_json(plan(8, 2, 1));
  j["stages"][1]["layers"] = {30, 20};
  try {
    plan_from_json(JsonReader(j, "plan.json"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "plan.json: $.stages[1].layers: expected 0 <= first_layer < end_layer, got [30, 20)");
  }
}

}  // namespace
}  // namespace paralab
