// The cost study's arithmetic from the simulated plans it chose, derived here
// by the closed form: one task's worth of training is S * E / B iterations
// on G GPUs; retraining at task T redoes T of them, and after every one of T
// tasks sum_k k = T (T + 1) / 2.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "experiments/inflora/inflora_cost.h"

namespace paralab::inflora {
namespace {

TEST(InfloraCost, VitRowsFollowFromTheChosenPlans) {
  std::vector<CostWorkload> w = {default_cost_workloads()[0]};
  ASSERT_EQ(w[0].model, "vit-base-16");
  const CostStudy s = run_cost_study(w, "dgx-a100-80gb", {5, 20}, nullptr);
  const CostPlan *inf = nullptr, *full = nullptr;
  for (const auto& p : s.plans)
    if (p.chosen) (p.method == "inflora" ? inf : full) = &p;
  ASSERT_TRUE(inf && full);
  EXPECT_EQ(inf->gpus, 8);
  // 12 blocks x rank 10 x 2 matrices x (768 + 768) + the head 768 x 1000 + 1000 + 2 x 768.
  EXPECT_DOUBLE_EQ(inf->trainable_params, 12 * 10 * 2 * 1536.0 + 770536.0);
  // Frozen weights skip their weight gradients: faster, and less memory.
  EXPECT_LT(inf->iteration_seconds, full->iteration_seconds);
  EXPECT_LT(inf->peak_memory_bytes, full->peak_memory_bytes);
  const double iterations = 10000.0 * 20 / 256;
  const double unit_inf = iterations * inf->iteration_seconds * 8 / 3600, unit_full = iterations * full->iteration_seconds * 8 / 3600;
  ASSERT_EQ(s.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(s.rows[1].tasks, 20);
  EXPECT_NEAR(s.rows[1].add_task_inflora_gpu_hours, unit_inf, 1e-12);
  EXPECT_NEAR(s.rows[1].add_task_retrain_gpu_hours, 20 * unit_full, 1e-12);
  EXPECT_NEAR(s.rows[1].total_inflora_gpu_hours, 20 * unit_inf, 1e-12);
  EXPECT_NEAR(s.rows[1].total_retrain_gpu_hours, 210 * unit_full, 1e-12);
  EXPECT_THAT(cost_study_markdown(s), ::testing::HasSubstr("| vit-base-16 | 20 |"));
}

TEST(InfloraCost, NoFeasiblePlanIsAnErrorNamingThePlans) {
  CostWorkload w = default_cost_workloads()[0];
  w.full_plans = {w.full_plans[0]};
  w.full_plans[0].tp = 5;  // 12 heads are not divisible by 5, and 8 GPUs not by 5
  EXPECT_THAT([&] { run_cost_study({w}, "dgx-a100-80gb", {5}, nullptr); },
              ::testing::ThrowsMessage<InputError>(
                  ::testing::HasSubstr("cost study: no feasible retrain plan for vit-base-16 on dgx-a100-80gb")));
}

}  // namespace
}  // namespace paralab::inflora
