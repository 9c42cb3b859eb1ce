// Memory model against hand-computed values: 16 bytes/parameter for
// mixed-precision Adam and its ZeRO divisions, Korthikanti et al. 2022's
// activation variants, in-flight micro-batches per schedule, and the peak of
// a middle pipeline stage assembled by hand.
#include <gtest/gtest.h>

#include "core/catalog.h"
#include "strategies/training/memory_model.h"
#include "strategies/training/training_plan.h"

namespace paralab {
namespace {

LayerStrategy strat(int tp, int fsdp, int zero, bool sp, Recompute rc) {
  LayerStrategy s;
  s.tp = tp;
  s.fsdp = fsdp;
  s.zero_stage = zero;
  s.sequence_parallel = sp;
  s.recompute = rc;
  return s;
}

TEST(MemoryModel, ModelStatesSixteenBytesPerParameterAndZeroStages) {
  const double phi = 1e9;
  // 2 (bf16 weight) + 2 (grad) + 4 (master) + 4 (m) + 4 (v).
  EXPECT_DOUBLE_EQ(model_state_bytes(phi, Precision::kBf16, strat(1, 1, 0, false, Recompute::kNone)), 16e9);
  EXPECT_DOUBLE_EQ(model_state_bytes(phi, Precision::kBf16, strat(8, 1, 0, false, Recompute::kNone)), 2e9);
  // ZeRO over N_d = 4: stage 1 4Φ + 12Φ/4, stage 2 2Φ + 14Φ/4, stage 3 16Φ/4.
  EXPECT_DOUBLE_EQ(model_state_bytes(phi, Precision::kBf16, strat(1, 4, 1, false, Recompute::kNone)), 7e9);
  EXPECT_DOUBLE_EQ(model_state_bytes(phi, Precision::kBf16, strat(1, 4, 2, false, Recompute::kNone)), 5.5e9);
  EXPECT_DOUBLE_EQ(model_state_bytes(phi, Precision::kBf16, strat(1, 4, 3, false, Recompute::kNone)), 4e9);
  // fp32 Adam: 4 weight + 4 grad + 8 moments.
  EXPECT_DOUBLE_EQ(model_state_bytes(phi, Precision::kFp32, strat(1, 1, 0, false, Recompute::kNone)), 16e9);
}

TEST(MemoryModel, KorthikantiActivationVariants) {
  ModelGraph m = load_model("megatron-gpt-22b");
  const Layer& block = m.layer(1);
  const double s = 2048, b = 2, h = 6144, a = 64, t = 8;
  auto act = [&](int tp, bool sp, Recompute rc) {
    return layer_activation_bytes(block, 2048, 2, Precision::kBf16, strat(tp, 1, 0, sp, rc));
  };
  EXPECT_NEAR(act(1, false, Recompute::kNone), s * b * h * (34 + 5 * a * s / h), 1.0);
  EXPECT_NEAR(act(8, false, Recompute::kNone), s * b * h * (10 + 24 / t + 5 * a * s / (h * t)), 1.0);
  EXPECT_NEAR(act(8, true, Recompute::kNone), s * b * h * (34 + 5 * a * s / h) / t, 1.0);
  EXPECT_NEAR(act(8, true, Recompute::kSelective), 34 * s * b * h / t, 1.0);
  EXPECT_NEAR(act(8, false, Recompute::kSelective), s * b * h * (10 + 24 / t), 1.0);
  EXPECT_NEAR(act(8, false, Recompute::kFull), 2 * s * b * h, 1.0);
  // Output layer: 4sbh/t (SP) + fp32 logits 4sbV/t.
  const Layer& head = m.layer(m.num_layers() - 1);
  EXPECT_NEAR(layer_activation_bytes(head, 2048, 2, Precision::kBf16, strat(8, 1, 0, true, Recompute::kSelective)),
              4 * s * b * h / t + 4 * s * b * 51200 / t, 1.0);
}

TrainingPlan pipeline_plan(PipelineSchedule sched, int m_count, int pp = 4) {
  ModelGraph m = load_model("megatron-gpt-175b");
  Cluster c = load_cluster("dgx-a100-80gb", pp);
  MegatronOptions o;
  o.global_batch = m_count;
  o.tp = 8, o.pp = pp, o.dp = 1, o.micro_batch = 1;
  o.schedule = sched;
  o.recompute = Recompute::kSelective;
  o.sequence_parallel = true;
  return megatron_plan(o, m, c);
}

TEST(MemoryModel, InFlightMicroBatches) {
  TrainingPlan f = pipeline_plan(PipelineSchedule::k1F1B, 8);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(in_flight_micro_batches(f, i, 0), 4 - i) << "1F1B stage " << i;
  TrainingPlan g = pipeline_plan(PipelineSchedule::kGpipe, 8);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(in_flight_micro_batches(g, i, 0), 8) << "GPipe stage " << i;
  // Fewer micro-batches than stages: 1F1B holds all of them.
  TrainingPlan few = pipeline_plan(PipelineSchedule::k1F1B, 2);
  EXPECT_EQ(in_flight_micro_batches(few, 0, 0), 2);
}

TEST(MemoryModel, MiddleStagePeakByHand) {
  ModelGraph m = load_model("megatron-gpt-175b");
  Cluster c = load_cluster("dgx-a100-80gb", 8);
  TrainingPlan p = pipeline_plan(PipelineSchedule::k1F1B, 16, 8);
  MemoryEstimate e = estimate_memory(p, m, c);
  ASSERT_EQ(e.stages.size(), 8u);
  const double s = 2048, h = 12288, a = 96, t = 8, layers = 12;
  const double block_params = 12 * h * h + 13 * h;  // GPT block: QKV, proj, MLP weights and biases, two LNs
  double states = layers * block_params * 16 / t;
  double stored = 7 /* in flight at stage 1: p - 1 */ * layers * 34 * s * h / t;
  double transient = 5 * a * s * s / t;  // selective: one block's attention core
  double expected = states + stored + transient + 2.0 * 1024 * 1024 * 1024;
  EXPECT_NEAR(e.stages[1].peak_bytes, expected, expected * 1e-9);
  EXPECT_TRUE(e.fits);
}

TEST(MemoryModel, OomNamesStageAndBytesOver) {
  ModelGraph m = load_model("megatron-gpt-175b");
  Cluster c = load_cluster("dgx-a100-80gb", 8);
  MegatronOptions o;
  o.global_batch = 64;
  o.tp = 1, o.pp = 8, o.dp = 8, o.micro_batch = 1;
  TrainingPlan p = megatron_plan(o, m, c);
  MemoryEstimate e = estimate_memory(p, m, c);
  EXPECT_FALSE(e.fits);
  // Stage 0 holds 12 blocks + embedding: >= 12 * 1.81e9 * 16 bytes of states alone.
  EXPECT_GT(e.stages[0].over_bytes(), 12 * 1.8e9 * 16 - 80 * 1024.0 * 1024 * 1024);
  EXPECT_NE(e.oom_message.find("stage 0 (devices 0..7)"), std::string::npos) << e.oom_message;
  EXPECT_NE(e.oom_message.find("over the 80.00 GiB device memory"), std::string::npos) << e.oom_message;
}

}  // namespace
}  // namespace paralab
