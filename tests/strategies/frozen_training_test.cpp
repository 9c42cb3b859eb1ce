// Training plans with frozen layers (parameter-efficient fine-tuning: LoRA /
// InfLoRA adapters), against values derived by hand for ViT-Base/16
// (h = 768, MLP 3072, 197 tokens; a block holds 12h^2 + 13h = 7,087,872
// parameters).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/catalog.h"
#include "core/error.h"
#include "strategies/training/layer_ops.h"
#include "strategies/training/memory_model.h"
#include "strategies/training/plan_validation.h"
#include "strategies/training/training_plan.h"
#include "strategies/training/training_sim.h"

namespace paralab {
namespace {

constexpr double kBlockParams = 12.0 * 768 * 768 + 13 * 768;  // 7,087,872
constexpr double kLora = 2 * 10 * (768 + 768);                 // rank 10 on k and v: 30,720

TrainingPlan vit_plan(const ModelGraph& m, const Cluster& c, bool frozen) {
  MegatronOptions o;
  o.model = "vit-base-16";
  o.cluster = "dgx-a100-80gb";
  o.seq_len = 197;
  o.global_batch = 256;
  o.micro_batch = 32;
  TrainingPlan p = megatron_plan(o, m, c);
  if (frozen) {
    // Embedding frozen, every block frozen with k/v adapters, head trained.
    for (int l = 0; l < m.num_layers(); ++l)
      p.trainable_params.push_back(m.layer(l).kind == LayerKind::kEncoderBlock ? kLora
                                   : m.layer(l).kind == LayerKind::kHead     ? double(m.layer(l).params)
                                                                             : 0.0);
  }
  return p;
}

TEST(FrozenTraining, StateOfAFrozenBlockIsItsWeightsPlusFullAdapterState) {
  ModelGraph m = load_model("vit-base-16");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  ASSERT_EQ(double(m.layer(1).params), kBlockParams);
  const TrainingPlan full = vit_plan(m, c, false), frozen = vit_plan(m, c, true);
  EXPECT_DOUBLE_EQ(layer_model_state_bytes(full, m, 1), 16 * kBlockParams);
  // bf16 frozen weights (2 bytes) + 16 bytes (weight, grad, fp32 master, m, v) per adapter parameter.
  EXPECT_DOUBLE_EQ(layer_model_state_bytes(frozen, m, 1), 2 * (kBlockParams - kLora) + 16 * kLora);
  EXPECT_DOUBLE_EQ(layer_model_state_bytes(frozen, m, 0), 2 * double(m.layer(0).params));
  EXPECT_DOUBLE_EQ(layer_trainable_params(frozen, m, 13), double(m.layer(13).params));
}

TEST(FrozenTraining, BackwardDropsExactlyTheWeightGradientGemms) {
  ModelGraph m = load_model("vit-base-16");
  LayerStrategy s;
  auto flops = [&](double trainable) {
    double f = 0;
    for (const OpSpec& o : layer_ops(m.layer(1), 197, 32, DType::kBf16, s, Phase::kBackward, trainable)) f += o.flops;
    return f;
  };
  // Weight GEMMs of a block per token: 2 (4h^2 + 2hf) = 14,155,776 FLOPs;
  // freezing removes their weight-gradient half, one forward's worth.
  const double tokens = 32.0 * 197;
  EXPECT_NEAR(flops(-1) - flops(0), tokens * 14155776.0, 1e-6 * tokens * 14155776.0);
  // Adapters add 2 FLOPs per parameter and token forward, doubled backward.
  EXPECT_NEAR(flops(kLora) - flops(0), 4 * tokens * kLora, 1e-9 * tokens * kLora);
}

TEST(FrozenTraining, SimulatedPeakDropsByTheFrozenStatesAndStepIsFaster) {
  ModelGraph m = load_model("vit-base-16");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  TrainingSimOptions o;
  o.detailed = false;
  const TrainingResult full = simulate_training(vit_plan(m, c, false), m, c, o);
  const TrainingResult frozen = simulate_training(vit_plan(m, c, true), m, c, o);
  ASSERT_EQ(full.status, "ok") << full.message;
  ASSERT_EQ(frozen.status, "ok") << frozen.message;
  // Activations are unchanged; each frozen parameter saves 14 of its 16 bytes
  // (12 blocks minus their adapters, and the patch embedding).
  const double saved = 14 * (12 * (kBlockParams - kLora) + double(m.layer(0).params));
  EXPECT_NEAR(full.analytic_peak_memory_bytes[0] - frozen.analytic_peak_memory_bytes[0], saved, 1.0);
  EXPECT_NEAR(full.peak_memory_bytes[0] - frozen.peak_memory_bytes[0], saved, 1.0);
  // Weight-gradient GEMMs are about a third of a step's FLOPs: the frozen
  // step is faster, but not by more than half.
  EXPECT_LT(frozen.iteration_seconds, 0.85 * full.iteration_seconds);
  EXPECT_GT(frozen.iteration_seconds, 0.5 * full.iteration_seconds);
}

TEST(FrozenTraining, PlanJsonRoundTripAndValidation) {
  ModelGraph m = load_model("vit-base-16");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  TrainingPlan p = vit_plan(m, c, true);
  const TrainingPlan back = plan_from_json(JsonReader(plan_to_json(p), "plan.json"));
  EXPECT_EQ(back.trainable_params, p.trainable_params);
  EXPECT_FALSE(plan_to_json(vit_plan(m, c, false)).contains("trainable_params"));
  p.trainable_params.pop_back();
  EXPECT_THAT([&] { validate_plan(p, m, c); },
              ::testing::ThrowsMessage<InputError>(
                  ::testing::HasSubstr("trainable_params has 13 entries but model vit-base-16 has 14 layers")));
  p.trainable_params.push_back(1e12);
  EXPECT_THAT([&] { validate_plan(p, m, c); },
              ::testing::ThrowsMessage<InputError>(::testing::HasSubstr("layer 13 (head): 1000000000000 trainable parameters, more than its 770536")));
  Json j = plan_to_json(vit_plan(m, c, true));
  j["trainable_params"][2] = -1;
  EXPECT_THAT([&] { plan_from_json(JsonReader(j, "plan.json")); },
              ::testing::ThrowsMessage<InputError>(::testing::HasSubstr("expected a number of parameters >= 0")));
}

}  // namespace
}  // namespace paralab
