// `paralab simulate` end to end on the checked-in graphs of tests/data/sim.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <tuple>

#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using testing::run_paralab;

TEST(CliSimulate, SendRecvOverNvlinkAndTrace) {
  // dgx-a100-80gb: gpu0 -> nvswitch -> gpu1, 300 GB/s per direction and 1 us
  // per hop, of which NCCL achieves 0.70 (catalog): 3e9 B take
  // 2 us + 3e9 / 210e9 s = 0.0142877 s.
  std::string db = "/tmp/paralab_sim_cli_" + std::to_string(::getpid()) + ".db";
  std::string trace = "/tmp/paralab_sim_cli_" + std::to_string(::getpid()) + ".trace.json";
  auto r = run_paralab("simulate --cluster dgx-a100-80gb --graph " PARALAB_TEST_DATA "/sim/send_recv.json --json --db " +
                       db + " --trace " + trace);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["backend"], "sim");
  EXPECT_NEAR(j["step_seconds"].get<double>(), 2e-6 + 3e9 / 210e9, 1e-9);
  EXPECT_GE(j["run_id"].get<int64_t>(), 1);
  auto t = nlohmann::json::parse(testing::slurp(trace));
  EXPECT_TRUE(t["traceEvents"].is_array());
  std::remove(db.c_str());
  std::remove(trace.c_str());
}

TEST(CliSimulate, MaxRingStepsMergesRingStepsIntoFewerFlows) {
  // 8-rank ring all-reduce of S = 3e9 B inside one DGX A100: each ring hop is
  // gpu -> nvswitch -> gpu, alpha = 2 x 1 us, B = 300 GB/s x 0.70 (NCCL's
  // efficiency there, catalog) = 210 GB/s, no two flows share a directed
  // link. Exact: 2(n-1) = 14 steps, 14 alpha + 2(n-1)/n S/B = 28 us + 25 ms.
  // --max-ring-steps 2 merges the all-reduce's 14 steps (one ring phase,
  // sim/collectives.h) into 2 flows per rank of 7 chunks each, each paying
  // its 7 steps' latencies: the same 28 us + 25 ms with 16 flows instead of
  // 112.
  for (auto [cap, want, flows] : {std::tuple{0, 0.025028, 112}, std::tuple{2, 0.025028, 16}}) {
    std::string db = "/tmp/paralab_sim_ring_" + std::to_string(::getpid()) + ".db";
    auto r = run_paralab("simulate --cluster dgx-a100-80gb --graph " PARALAB_TEST_DATA "/sim/ring8.json --json --db " +
                         db + " --max-ring-steps " + std::to_string(cap));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_NEAR(j["step_seconds"].get<double>(), want, 14e-9) << "cap " << cap;  // 14 steps, each rounded to 1 ns
    EXPECT_EQ(j["metrics"]["flows"].get<int>(), flows) << "cap " << cap;
    EXPECT_EQ(j["config"].contains("max_ring_steps"), cap > 0);
    std::remove(db.c_str());
  }
  auto bad = run_paralab("simulate --cluster dgx-a100-80gb --graph " PARALAB_TEST_DATA
                         "/sim/ring8.json --max-ring-steps -1 --db /tmp/unused.db");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--max-ring-steps"), std::string::npos) << bad.err;
}

TEST(CliSimulate, BadGraphNamesTheOp) {
  auto r = run_paralab("simulate --cluster dgx-a100-80gb --graph " PARALAB_TEST_DATA "/sim/bad_device.json --db /tmp/unused.db");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(PARALAB_TEST_DATA "/sim/bad_device.json: op 1 (L7 bwd): bound to device 64, but cluster "
                                         "'dgx-a100-80gb' has devices 0..7"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace paralab
