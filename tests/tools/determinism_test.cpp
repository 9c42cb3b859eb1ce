// Determinism (DESIGN.md): the same simulation gives byte-identical JSON
// output, leaving out `run_id` (and a sweep's `run_ids`) and the wall-clock
// figures under `timing`, and byte-identical traces — for a training plan,
// both UniAP solvers, an inference schedule and a sweep.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using nlohmann::json;
using paralab::testing::run_paralab;
using paralab::testing::slurp;

std::string tmp(const std::string& name) { return "/tmp/paralab_det_" + std::to_string(::getpid()) + "_" + name; }

// `j` without the keys that may differ between two runs of one simulation:
// the database's ids and the wall-clock figures.
json without_run_ids_and_timing(json j) {
  if (j.is_object()) {
    for (const char* k : {"run_id", "run_ids", "timing"}) j.erase(k);
    for (auto& [k, v] : j.items()) v = without_run_ids_and_timing(v);
  } else if (j.is_array()) {
    for (auto& v : j) v = without_run_ids_and_timing(v);
  }
  return j;
}

// Runs `args` (which prints JSON) twice, with `--trace FILE` when `traced`;
// expects exit code 0, the same JSON apart from ids and timing, and
// byte-identical traces. Returns the first run's JSON.
json run_twice(const std::string& args, bool traced, const std::string& name) {
  std::string out[2], trace[2];
  json first;
  for (int i = 0; i < 2; ++i) {
    std::string t = tmp(name + std::to_string(i) + ".trace.json");
    auto r = run_paralab(args + " --json --db " + tmp("runs.db") + (traced ? " --trace " + t : ""));
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.err;
    json j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    if (i == 0) first = j;
    out[i] = without_run_ids_and_timing(j).dump(2);
    if (traced) trace[i] = slurp(t);
    std::remove(t.c_str());
  }
  EXPECT_EQ(out[0], out[1]) << args;
  if (traced) {
    EXPECT_GT(trace[0].size(), 100u) << "no trace written by " << args;
    EXPECT_TRUE(trace[0] == trace[1]) << args << ": traces differ";  // not printed: megabytes
  }
  return first;
}

TEST(Determinism, TrainingPlanSimulatesToIdenticalJsonAndTrace) {
  std::string plan = tmp("megatron.json");
  auto w = run_paralab("plan megatron --model gpt2-xl --cluster dgx-a100-80gb --seq 1024 --global-batch 16 --tp 2 "
                       "--pp 2 --micro-batch 1 --db " + tmp("runs.db") + " -o " + plan);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  json j = run_twice("simulate --plan " + plan, true, "train");
  EXPECT_EQ(j.value("status", ""), "ok");
  std::remove(plan.c_str());
}

TEST(Determinism, BothUniapSolversGiveOnePlanThatSimulatesIdentically) {
  std::string plans[2] = {tmp("dp.json"), tmp("milp.json")};
  const char* solvers[2] = {"dp", "milp"};
  for (int i = 0; i < 2; ++i) {
    auto r = run_paralab("plan train --model bert-huge --cluster commodity-2x4-10gbe --global-batch 16 --seq 512 "
                         "--planner uniap --solver " + std::string(solvers[i]) + " --db " + tmp("runs.db") + " -o " +
                         plans[i]);
    ASSERT_EQ(r.exit_code, 0) << solvers[i] << ": " << r.err;
  }
  // Both solve the same MIQP to optimality: the same plan, byte for byte.
  ASSERT_EQ(slurp(plans[0]), slurp(plans[1]));
  json a = without_run_ids_and_timing(run_twice("simulate --plan " + plans[0], true, "dp"));
  json b = without_run_ids_and_timing(run_twice("simulate --plan " + plans[1], true, "milp"));
  a.erase("config");  // names the plan file
  b.erase("config");
  EXPECT_EQ(a.dump(2), b.dump(2));
  for (const auto& p : plans) std::remove(p.c_str());
}

TEST(Determinism, InferenceScheduleIsIdenticalRunToRun) {
  json j = run_twice("plan infer --model " PARALAB_TEST_DATA "/inference/tiny-opt.json --cluster " PARALAB_TEST_DATA
                     "/inference/offload-box.json --prompt-len 64 --gen-len 4 --schedule pipo",
                     true, "infer");
  EXPECT_EQ(j.value("status", ""), "ok");
}

TEST(Determinism, SweepIsIdenticalRunToRun) {
  json j = run_twice("experiment run korthikanti --quick", false, "sweep");
  EXPECT_FALSE(j.value("run_ids", json::array()).empty());
}

TEST(Determinism, SweepIsIdenticalAcrossRunnerJobCounts) {
  // PLACE FOR THE -j CHECK: the experiment runner's -j option (experiment
  // specs, a parallel resumable runner) is not on this branch. When it is,
  // run one sweep with -j 1 and -j 4 through run_twice's comparison.
  GTEST_SKIP() << "the experiment runner has no -j option on this branch";
}

}  // namespace
}  // namespace paralab
