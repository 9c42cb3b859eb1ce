// UniAP confirmed for real on the host (slow tier): the UniAP, ddp and
// megatron plans of a small GPT (experiments/uniap/host-gpt.json: 29 M
// parameters, sequence 32, global batch 2, 1F1B, FP32) on `localhost-cpu`
// are planned, simulated and run for real (`paralab run --plan`, two ranks
// under mpirun, one per core, 20 repetitions after a warm-up, three rounds
// with the plans interleaved, each plan's fastest round kept). The
// simulated speedup of UniAP over ddp must be at least 1.3x (the issue's
// job choice: a batch this small next to the model leaves
// ddp's full gradient all-reduce and optimizer step exposed, which tensor
// parallelism halves), UniAP's plan must be faster than ddp's for real, and
// each measured speedup within 15% of the simulated one. A hand-set plan
// (Megatron-style, TP 1, PP 2, 1F1B, micro-batch 1) under a device-memory cap
// between its two stages' peaks (2,419,867,648 and 2,421,686,272 bytes as
// the analytic memory model gives them, read off `simulate --json`) is
// marked oom on stage 0 = device 0 by the simulator and fails for real as
// oom on device0. Every run goes into one results database. Timing-sensitive:
// run it on a quiet machine (README: measured figures and the load).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/json_reader.h"
#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using paralab::testing::run_paralab;

struct Fixture {
  std::string dir = std::filesystem::temp_directory_path() / ("paralab_uniap_host_" + std::to_string(::getpid()));
  std::string db = dir + "/runs.db";
  std::string model = std::string(PARALAB_SOURCE_DIR) + "/experiments/uniap/host-gpt.json";
  Fixture() { std::filesystem::create_directories(dir); }
  ~Fixture() { std::filesystem::remove_all(dir); }
};

TEST(UniapOnTheHost, MeasuredSpeedupsMatchTheSimulatedOnes) {
  Fixture f;
  std::map<std::string, double> sim, real;
  const std::vector<std::string> plans = {"uniap", "ddp", "megatron"};
  for (const std::string& p : plans) {
    auto r = run_paralab("plan train --model " + f.model + " --cluster localhost-cpu --global-batch 2 --seq 32 " +
                         "--schedule 1f1b --planner " + p + " --json --db " + f.db + " -o " + f.dir + "/" + p + ".json");
    ASSERT_EQ(r.exit_code, 0) << p << ": " << r.err;
    sim[p] = Json::parse(r.out)["simulated_iteration_seconds"].get<double>();
  }
  // Three rounds, the plans interleaved inside each, and each plan's fastest
  // round kept: a drift of the shared host's speed between one plan's runs
  // and the next's (up to 17% between two plans that simulate within 0.004%,
  // README) then falls on every plan alike.
  for (int round = 0; round < 3; ++round)
    for (const std::string& p : plans) {
      auto x = run_paralab("run --backend host --plan " + f.dir + "/" + p + ".json" +
                           " --ranks 2 --warmup 2 --repetitions 20 --json --db " + f.db);
      ASSERT_EQ(x.exit_code, 0) << p << ": " << x.err;
      Json j = Json::parse(x.out);
      ASSERT_EQ(j["status"], "ok") << j["message"];
      double t = j["step_seconds"].get<double>();
      real[p] = round == 0 ? t : std::min(real[p], t);
      std::printf("%-9s round %d: measured %.4f s\n", p.c_str(), round, t);
    }
  for (const std::string& p : plans)
    std::printf("%-9s simulated %.4f s, measured %.4f s (fastest round)\n", p.c_str(), sim[p], real[p]);
  EXPECT_GE(sim["ddp"] / sim["uniap"], 1.3);
  // The claim: each measured speedup within 15% of the simulated
  // one (README: +2.6% to +6.3% over ddp, -13.4% to -6.0% over megatron in
  // three interleaved sets on the idle VM; megatron's plan differs from
  // UniAP's in the head alone and simulates within 0.004% of it).
  for (const char* b : {"ddp", "megatron"}) {
    double s = sim[b] / sim["uniap"], m = real[b] / real["uniap"];
    std::printf("UniAP over %s: simulated %.3fx, measured %.3fx (%+.1f%%)\n", b, s, m, 100 * (m / s - 1));
    EXPECT_NEAR(m / s, 1.0, 0.15) << "UniAP over " << b;
  }
  EXPECT_GT(real["ddp"] / real["uniap"], 1.0);
}

TEST(UniapOnTheHost, AHandSetPlanTheSimulatorMarksOomFailsForRealOnTheSameDevice) {
  Fixture f;
  std::string plan = f.dir + "/pp2.json", cap = "--set 'components[kind=cpu].device.memory_bytes=2.4208e9'";
  auto mk = run_paralab("plan megatron --model " + f.model + " --cluster localhost-cpu --seq 32 --global-batch 2 " +
                        "--tp 1 --pp 2 --micro-batch 1 --schedule 1f1b -o " + plan + " --db " + f.db);
  ASSERT_EQ(mk.exit_code, 0) << mk.err;
  auto s = run_paralab("simulate --plan " + plan + " " + cap + " --json --db " + f.db);
  EXPECT_EQ(s.exit_code, 1) << s.err;
  Json sj = Json::parse(s.out);
  EXPECT_EQ(sj["status"], "oom");
  EXPECT_NE(sj["message"].get<std::string>().find("stage 0 (devices 0..0)"), std::string::npos) << sj["message"];
  auto x = run_paralab("run --backend host --plan " + plan + " " + cap + " --ranks 2 --json --db " + f.db);
  EXPECT_EQ(x.exit_code, 1) << x.err;
  Json xj = Json::parse(x.out);
  EXPECT_EQ(xj["status"], "oom");
  std::string msg = xj["message"].get<std::string>();
  EXPECT_NE(msg.find("oom: alloc"), std::string::npos) << msg;
  EXPECT_NE(msg.find("of device0 exceeds"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("of device1 exceeds"), std::string::npos) << msg;
  // Both failed runs are recorded.
  auto runs = run_paralab("results list --db " + f.db + " --json");
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  int oom = 0;
  for (const Json& r : Json::parse(runs.out)) oom += r.value("status", "") == "oom";
  EXPECT_EQ(oom, 2) << runs.out;
}

}  // namespace
}  // namespace paralab
