// `paralab run --plan`: a training plan executes for real as its full lowering.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/json_reader.h"
#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using paralab::testing::run_paralab;

TEST(RunPlan, TwoStagePipelineOfGpt2RunsOnTheHost) {
  std::string dir = std::filesystem::temp_directory_path() / ("paralab_run_plan_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string plan = dir + "/plan.json";
  auto mk = run_paralab(std::string("plan megatron --model ") + PARALAB_TEST_DATA +
                        "/hf/gpt2.json --cluster localhost-cpu --seq 16 --global-batch 2 --tp 1 --pp 2 "
                        "--micro-batch 1 -o " + plan);
  ASSERT_EQ(mk.exit_code, 0) << mk.err;
  auto r = run_paralab("run --backend host --plan " + plan + " --json --db " + dir + "/runs.db");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["status"], "ok") << j["message"];
  EXPECT_EQ(j["backend"], "real-host");
  EXPECT_EQ(j["config"]["plan"], plan);
  // Both pipeline stages computed: each device was busy some of the time.
  ASSERT_EQ(j["device_utilization"].size(), 2u);
  EXPECT_GT(j["device_utilization"][0].get<double>(), 0.0);
  EXPECT_GT(j["device_utilization"][1].get<double>(), 0.0);
  auto both = run_paralab("run --backend host --plan " + plan + " --graph x.json");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_EQ(both.err, "paralab: error: run: give exactly one of --graph taskgraph.json or --plan plan.json\n");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace paralab
