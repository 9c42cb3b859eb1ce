// The resumable, distributed sweep, end to end on experiments/megatron-grid
// (324 hand-set Megatron plans of GPT 1.7B on one DGX-A100):
//  - kill -9 at random moments, then a rerun: the database ends with exactly
//    the runs of an uninterrupted sweep, none lost, none twice;
//  - `mpirun -np 2`: the same database, run for run;
//  - the two shipped what-if studies, quick form: each upgrade's number
//    equals the one `--set` gives on the command line.
// "The same run" compares everything recorded except the `timing` key (wall
// clock) and run ids, as DESIGN.md says determinism checks do.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "real/mpi_world.h"
#include "results/store.h"
#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using paralab::testing::run_paralab;

std::filesystem::path tmp_dir() {
  static std::filesystem::path d = [] {
    auto p = std::filesystem::temp_directory_path() / ("paralab_sweep_slow_" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    return p;
  }();
  return d;
}

void strip_timing(Json* j) {
  if (j->is_object()) {
    j->erase("timing");
    for (auto& [k, v] : j->items()) strip_timing(&v);
  } else if (j->is_array()) {
    for (auto& v : *j) strip_timing(&v);
  }
}

// config hash -> the recorded run without timing; fails on a duplicate hash.
std::map<std::string, Json> runs_by_hash(const std::string& db, const std::string& experiment) {
  ResultsStore s(db);
  std::map<std::string, Json> out;
  for (const auto& r : s.list({experiment, "", "", 0})) {
    Json j = r.record.to_json();
    strip_timing(&j);
    EXPECT_TRUE(out.emplace(r.record.config_hash, j).second) << "run recorded twice: " << r.record.config_hash;
  }
  return out;
}

void expect_same_runs(const std::map<std::string, Json>& a, const std::map<std::string, Json>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [h, j] : a) {
    auto it = b.find(h);
    ASSERT_NE(it, b.end()) << "missing run " << h;
    EXPECT_EQ(j, it->second) << "run " << h << " differs";
  }
}

// The uninterrupted single-process sweep, made once.
const std::string& reference_db() {
  static std::string db = [] {
    std::string p = (tmp_dir() / "reference.db").string();
    auto r = run_paralab("experiment run megatron-grid -j 2 --json --db " + p);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return p;
  }();
  return db;
}

TEST(SweepSlow, KillNineAtRandomMomentsThenResumeGivesTheUninterruptedRuns) {
  auto ref = runs_by_hash(reference_db(), "megatron-grid");
  ASSERT_EQ(ref.size(), 324u);
  const std::string db = (tmp_dir() / "killed.db").string();
  std::mt19937 rng(15);
  std::uniform_int_distribution<int> delay_ms(100, 500);  // well inside the sweep's ~2 s on 2 cores
  int kills = 0;
  for (int attempt = 0; attempt < 40; ++attempt) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::freopen("/dev/null", "w", stdout);
      std::freopen("/dev/null", "w", stderr);
      ::execl(PARALAB_BINARY, PARALAB_BINARY, "experiment", "run", "megatron-grid", "-j", "2", "--db", db.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the sweep failed by itself";
      break;  // finished before the kill
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    ++kills;
    size_t n = runs_by_hash(db, "megatron-grid").size();  // no duplicates so far either
    if (n == ref.size()) break;
  }
  EXPECT_GE(kills, 3) << "the sweep should have been killed mid-way several times";
  auto r = run_paralab("experiment run megatron-grid -j 2 --json --db " + db);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["runs_total"], 324);
  EXPECT_EQ(j["runs_recorded"], 324);
  EXPECT_GT(j["runs_skipped"].get<int>(), 0);
  expect_same_runs(ref, runs_by_hash(db, "megatron-grid"));
}

TEST(SweepSlow, MpirunTwoRanksGivesTheSingleProcessDatabase) {
  if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "mpirun is not installed";
  auto ref = runs_by_hash(reference_db(), "megatron-grid");
  const std::string db = (tmp_dir() / "mpi.db").string();
  std::string cmd = real::mpirun_prefix(2) + " " + PARALAB_BINARY + " experiment run megatron-grid --json --db " + db +
                    " >" + (tmp_dir() / "mpi.out").string() + " 2>" + (tmp_dir() / "mpi.err").string();
  int rc = std::system(cmd.c_str());
  ASSERT_EQ(rc, 0) << paralab::testing::slurp((tmp_dir() / "mpi.err").string());
  Json j = Json::parse(paralab::testing::slurp((tmp_dir() / "mpi.out").string()));  // rank 0 alone prints
  EXPECT_EQ(j["runs_made"], 324);
  expect_same_runs(ref, runs_by_hash(db, "megatron-grid"));
}

// Each row of a what-if table equals `command` run with the row's --set
// overrides (the number under `key` of its --json output).
void expect_rows_match_command_line(const Json& whatif, const std::string& command, const char* key) {
  for (const auto& row : whatif) {
    ASSERT_EQ(row["status"], "ok") << row.dump();
    std::string sets;
    for (const auto& s : row["set"]) sets += " --set '" + s.get<std::string>() + "'";
    auto c = run_paralab(command + sets);
    ASSERT_EQ(c.exit_code, 0) << c.err;
    EXPECT_DOUBLE_EQ(Json::parse(c.out)[key].get<double>(), row["best_throughput"].get<double>()) << row["variant"];
  }
}

TEST(SweepSlow, WhatIfStudiesMatchTheCommandLineSet) {
  const std::string db = (tmp_dir() / "whatif.db").string();
  // Laptop offloading, quick: Llama-2-13B INT4, PIPO, five variants.
  auto r = run_paralab("experiment run whatif-laptop-offload --quick --json --db " + db);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  ASSERT_EQ(j["whatif"].size(), 5u);
  expect_rows_match_command_line(j["whatif"],
                                 "plan infer --model llama-2-13b --cluster pipo-laptop --prompt-len 512 --gen-len 128 "
                                 "--weights int4-g128 --schedule pipo --json --db " + db,
                                 "tokens_per_second");
  // Llama-2-70B on 64 GPUs, quick: the Megatron grid planner, four variants.
  r = run_paralab("experiment run whatif-llama70b-interconnect --quick --json --db " + db);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = Json::parse(r.out);
  ASSERT_EQ(j["whatif"].size(), 4u);
  expect_rows_match_command_line(j["whatif"],
                                 "plan train --model llama-2-70b --cluster dgx-a100-80gb --nodes 8 --global-batch 64 "
                                 "--seq 4096 --planner megatron --precision bf16 --schedule 1f1b --json --db " + db,
                                 "samples_per_second");
}

}  // namespace
}  // namespace paralab
