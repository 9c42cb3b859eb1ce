// `paralab experiment run` on a small spec: threads, failures recorded as
// runs, resumption, the what-if table, the cluster column of `results list`,
// and the same what-if made with --set giving the same number.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "results/store.h"
#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using paralab::testing::run_paralab;

class SweepCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("paralab_sweep_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    db_ = (dir_ / "runs.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string db_;
  const std::string spec_ = std::string(PARALAB_TEST_DATA) + "/experiments/tiny-grid.json";
};

TEST_F(SweepCli, RecordsFailuresResumesAndPrintsTheWhatIf) {
  // tp 2, 4, 16 x (baseline, NVLink x0.5) = 6 runs; TP 16 does not fit 8 GPUs.
  auto r = run_paralab("experiment run " + spec_ + " -j 2 --json --db " + db_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["runs_total"], 6);
  EXPECT_EQ(j["runs_made"], 6);
  EXPECT_EQ(j["runs_skipped"], 0);
  EXPECT_EQ(j["runs_failed"], 2);
  // Plain progress lines on a non-terminal.
  EXPECT_THAT(r.err, ::testing::HasSubstr("experiment tiny-grid: 6/6 runs (0 already recorded), 2 failed"));
  // The what-if summary: the best plan per variant, and its change.
  ASSERT_EQ(j["whatif"].size(), 2u);
  EXPECT_EQ(j["whatif"][0]["variant"], "baseline");
  EXPECT_EQ(j["whatif"][0]["change_vs_baseline"], 0.0);
  double slower = j["whatif"][1]["change_vs_baseline"].get<double>();
  EXPECT_LT(slower, 0.0);  // half the NVLink bandwidth cannot speed TP up
  ResultsStore store(db_);
  auto runs = store.list({"tiny-grid", "", "", 0});
  ASSERT_EQ(runs.size(), 6u);
  std::map<std::string, int> by_status;
  for (const auto& s : runs) ++by_status[s.record.status];
  EXPECT_EQ(by_status["ok"], 4);
  EXPECT_EQ(by_status["invalid"], 2);

  // Again: everything is recorded, nothing runs, nothing is duplicated.
  r = run_paralab("experiment run " + spec_ + " --json --db " + db_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = Json::parse(r.out);
  EXPECT_EQ(j["runs_made"], 0);
  EXPECT_EQ(j["runs_skipped"], 6);
  EXPECT_DOUBLE_EQ(j["whatif"][1]["change_vs_baseline"].get<double>(), slower);
  EXPECT_EQ(store.list({"tiny-grid", "", "", 0}).size(), 6u);

  // Text output: the table names every variant.
  r = run_paralab("experiment run " + spec_ + " --db " + db_);
  EXPECT_THAT(r.out, ::testing::HasSubstr("| model | planner / schedule | baseline | NVLink x0.5 | best upgrade |"));
}

TEST_F(SweepCli, SetOnTheCommandLineGivesTheSpecsNumber) {
  auto r = run_paralab("experiment run " + spec_ + " --json --db " + db_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The spec's TP 2 run under "NVLink x0.5".
  ResultsStore store(db_);
  double spec_samples = 0;
  std::string spec_hash;
  for (const auto& s : store.list({"tiny-grid", "", "", 0}))
    if (s.record.config["sweep"]["tp"] == 2 && s.record.config["sweep"]["variant"] == "NVLink x0.5")
      spec_samples = s.record.throughput, spec_hash = s.record.cluster_hash;
  ASSERT_GT(spec_samples, 0);
  const std::string plan = (dir_ / "plan.json").string();
  r = run_paralab("plan megatron --model megatron-gpt-1.7b --cluster dgx-a100-80gb --nodes 1 --seq 2048 "
                  "--global-batch 16 --tp 2 --pp 2 --micro-batch 2 -o " + plan + " --db " + db_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_paralab("simulate --plan " + plan + " --set 'links[kind=nvlink].bandwidth_bytes_per_s*=0.5' --json --db " + db_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_DOUBLE_EQ(j["samples_per_second"].get<double>(), spec_samples);
  // Recorded with the same effective cluster and the override, shown in `results list`.
  StoredRun cli = store.get(j["run_id"].get<int64_t>());
  EXPECT_EQ(cli.record.cluster_hash, spec_hash);
  EXPECT_EQ(cli.record.cluster_overrides, std::vector<std::string>{"links[kind=nvlink].bandwidth_bytes_per_s*=0.5"});
  r = run_paralab("results list --limit 1 --db " + db_);
  EXPECT_THAT(r.out, ::testing::HasSubstr("dgx-a100-80gb " + spec_hash.substr(0, 6) + " +1"));
}

TEST_F(SweepCli, BadInputExitsTwoBeforeAnythingRuns) {
  auto r = run_paralab("experiment run no-such-experiment --db " + db_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("unknown experiment 'no-such-experiment'; valid names: "));
  r = run_paralab("simulate --graph x.json --cluster dgx-a100-80gb --set 'links[kind=nvlnk].bandwidth_bytes_per_s=1' "
                  "--db " + db_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("no element has kind = 'nvlnk'"));
  r = run_paralab("cluster show dgx-a100-80gb --set 'components[kind=gpu].device.memory_bytes=24e9' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["devices"][0]["memory_bytes"], 24e9);
}

}  // namespace
}  // namespace paralab
