// `paralab plan train`: the JSON keys the issue names, exit codes (0 plan,
// 1 infeasible, 2 bad input), -o writes a plan `plan show` accepts.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using paralab::testing::run_paralab;

std::string db() { return "/tmp/paralab_plan_train_" + std::to_string(::getpid()) + ".db"; }

TEST(PlanTrainCli, BertHugeJsonHasTheNamedKeysAndWritesAPlan) {
  std::string plan = "/tmp/paralab_plan_train_" + std::to_string(::getpid()) + ".json";
  auto r = run_paralab("plan train --model bert-huge --cluster commodity-2x4-10gbe --global-batch 16 --seq 512 --json --db " +
                       db() + " -o " + plan);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  for (const char* k : {"status", "planner", "solver_status", "predicted_iteration_seconds", "simulated_iteration_seconds",
                        "samples_per_second", "plan", "run_id"})
    EXPECT_TRUE(j.contains(k)) << k;
  // Wall clock only under `timing` (DESIGN.md), the key inside it.
  EXPECT_FALSE(j.contains("optimization_seconds"));
  EXPECT_TRUE(j["timing"].contains("optimization_seconds"));
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["planner"], "uniap");
  EXPECT_EQ(j["solver_status"], "optimal");
  EXPECT_GT(j["samples_per_second"].get<double>(), 0);
  auto show = run_paralab("plan show " + plan);
  EXPECT_EQ(show.exit_code, 0) << show.err;
  std::remove(plan.c_str());
}

TEST(PlanTrainCli, InfeasibleJobExitsOneWithTheLeastMemory) {
  auto r = run_paralab("plan train --model llama-7b --cluster commodity-4x4 --nodes 1 --global-batch 4 --json --db " + db());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "infeasible");
  EXPECT_GT(j["least_bytes_per_device"].get<double>(), 12.0 * (1 << 30));
}

TEST(PlanTrainCli, BadInputExitsTwoWithAMessage) {
  auto r = run_paralab("plan train --model bert-huge --cluster commodity-1x8 --global-batch 8 --planner nope --db " + db());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("valid values are: uniap, ddp, zero3, megatron, galvatron, alpa"), std::string::npos) << r.err;
  auto t5 = run_paralab("plan train --model t5-large --cluster commodity-1x8 --global-batch 8 --seq 512 --db " + db());
  EXPECT_EQ(t5.exit_code, 2);
  EXPECT_NE(t5.err.find("--solver milp"), std::string::npos) << t5.err;
}

}  // namespace
}  // namespace paralab
