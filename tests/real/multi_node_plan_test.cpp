// `paralab run --plan X --ranks N` for a plan scaled to several nodes: every
// rank must load the cluster at the plan's node count (it used to get only
// --cluster NAME and fail validation with "device 2 ... has devices 0..1"),
// and four ranks whose TP groups {0,1} {2,3} cross their DP groups {0,2}
// {1,3} must build their communicators without deadlock (one plan, walked by
// every rank in one order: core/communicator_plan.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "core/catalog.h"
#include "core/json_reader.h"
#include "strategies/training/lowering.h"
#include "strategies/training/training_plan.h"
#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using paralab::testing::run_paralab;

TEST(MultiNodePlanRun, FourRanksWithCrossingTensorAndDataGroupsRun) {
  std::string dir = std::filesystem::temp_directory_path() / ("paralab_multinode_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string data = std::string(PARALAB_TEST_DATA) + "/real";
  std::string plan = dir + "/plan.json";
  auto mk = run_paralab("plan megatron --model " + data + "/tiny-gpt2.json --cluster " + data +
                        "/localhost-cpu-nodes.json --nodes 2 --seq 16 --global-batch 4 --tp 2 --pp 1 "
                        "--micro-batch 1 -o " + plan);
  ASSERT_EQ(mk.exit_code, 0) << mk.err;
  // The lowering really has crossing groups: TP {0,1} {2,3} and DP {0,2} {1,3}.
  TrainingPlan p = load_plan(plan);
  Cluster c = load_cluster(p.cluster, p.nodes);
  ASSERT_EQ(c.num_devices(), 4);
  LoweringOptions lo;
  lo.symmetric = false;
  TaskGraph g = std::move(lower_plan(p, load_model(data + "/tiny-gpt2.json"), c, lo).graph);
  std::set<std::vector<int>> groups;
  for (int id = 0; id < int(g.size()); ++id)
    if (g.op(id).type == OpType::kCollective) {
      auto r = g.group(g.op(id).group());
      groups.insert(std::vector<int>(r.begin(), r.end()));
    }
  EXPECT_TRUE(groups.count({0, 1}) && groups.count({2, 3})) << "no TP groups";
  EXPECT_TRUE(groups.count({0, 2}) && groups.count({1, 3})) << "no DP groups";

  auto r = run_paralab("run --backend host --plan " + plan + " --ranks 4 --warmup 0 --collective-timeout 20 --json --db " +
                       dir + "/runs.db");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["status"], "ok") << j["message"];
  EXPECT_EQ(j["config"]["nodes"], 2);
  EXPECT_EQ(j["config"]["ranks"], 4);
  ASSERT_EQ(j["device_utilization"].size(), 4u);
  for (int d = 0; d < 4; ++d) EXPECT_GT(j["device_utilization"][d].get<double>(), 0.0) << "device " << d;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace paralab
