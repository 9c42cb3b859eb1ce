// Determinism (DESIGN.md): the same simulation gives byte-identical JSON
// output, leaving out `run_id` (and a sweep's `run_ids`) and the wall-clock
// figures under `timing`, and byte-identical traces — for a training plan,
// an inference schedule and a sweep (both UniAP solvers:
// determinism_slow_test.cpp).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "tests/tools/determinism.h"

namespace paralab {
namespace {

using nlohmann::json;
using paralab::testing::run_paralab;
using paralab::testing::run_twice;
using paralab::testing::tmp;

TEST(Determinism, TrainingPlanSimulatesToIdenticalJsonAndTrace) {
  std::string plan = tmp("megatron.json");
  auto w = run_paralab("plan megatron --model megatron-gpt-1.7b --cluster dgx-a100-80gb --seq 1024 --global-batch 16 --tp 2 "
                       "--pp 2 --micro-batch 1 --db " + tmp("runs.db") + " -o " + plan);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  json j = run_twice("simulate --plan " + plan, true, "train");
  EXPECT_EQ(j.value("status", ""), "ok");
  std::remove(plan.c_str());
}

TEST(Determinism, InferenceScheduleIsIdenticalRunToRun) {
  json j = run_twice("plan infer --model " PARALAB_TEST_DATA "/inference/tiny-opt.json --cluster " PARALAB_TEST_DATA
                     "/inference/offload-box.json --prompt-len 64 --gen-len 4 --schedule pipo",
                     true, "infer");
  EXPECT_EQ(j.value("status", ""), "ok");
}

TEST(Determinism, SweepIsIdenticalRunToRun) {
  json j = run_twice("experiment run korthikanti --quick", false, "sweep");
  EXPECT_EQ(j.value("runs", json::array()).size(), 4u);
}

TEST(Determinism, SweepIsIdenticalAcrossRunnerJobCounts) {
  json j = run_twice("experiment run korthikanti --quick -j 1", false, "sweep-j", "experiment run korthikanti --quick -j 2");
  EXPECT_EQ(j.value("runs", json::array()).size(), 4u);
}

}  // namespace
}  // namespace paralab
