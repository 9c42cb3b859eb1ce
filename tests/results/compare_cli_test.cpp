// `paralab compare` and `paralab report` as a CI job sees them: exit codes,
// the printed verdict, the JUnit file and the messages for bad input. The
// runs are written by hand into a scratch database (experiment "ci"), so
// every verdict follows from the numbers below.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "results/store.h"
#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using paralab::testing::run_paralab;
using paralab::testing::slurp;

class CompareCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("paralab_compare_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    db_ = (dir_ / "runs.db").string();
    base_ = (dir_ / "ci.json").string();
    insert("plan a", 100);
    insert("plan b", 50);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void insert(const std::string& strategy, double throughput) {
    ResultsStore s(db_);
    RunRecord r;
    r.experiment = "ci";
    r.model = "m";
    r.cluster = "c";
    r.strategy = strategy;
    r.throughput = throughput;
    r.throughput_unit = "samples_per_s";
    r.step_seconds = 32 / throughput;
    r.metrics = {{"timing", {{"simulate_seconds", throughput}}}};
    s.insert(r);
  }
  std::string args(const std::string& more) { return "compare --baseline " + base_ + " --db " + db_ + " " + more; }
  std::filesystem::path dir_;
  std::string db_, base_;
};

TEST_F(CompareCli, UpdateThenCompareCleanThenARegressionExitsOne) {
  auto u = run_paralab(args("--update"));
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_NE(u.out.find("wrote 2 runs of 'ci'"), std::string::npos) << u.out;
  auto same = run_paralab(args(""));
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_NE(same.out.find("2 runs, "), std::string::npos) << same.out;
  EXPECT_NE(same.out.find("0 regressed"), std::string::npos) << same.out;

  // plan a: 100 -> 90 samples/s is -10% (beyond 2%), and its step 0.32 s ->
  // 0.3556 s is +11%: two regressions in one run.
  insert("plan a", 90);
  std::string junit = (dir_ / "out.xml").string();
  auto bad = run_paralab(args("--junit " + junit));
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_NE(bad.out.find("| sim | m | c | plan a | throughput | 100 | 90 | -10% | REGRESSED |"), std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find("--update"), std::string::npos) << bad.out;
  EXPECT_NE(bad.err.find("paralab: failed: 1 of 2 runs differ from"), std::string::npos) << bad.err;
  std::string xml = slurp(junit);
  EXPECT_NE(xml.find("<testsuites tests=\"2\" failures=\"1\">"), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"sim | m | c | plan a\""), std::string::npos) << xml;
  // Within a 15% tolerance the same change passes.
  EXPECT_EQ(run_paralab(args("--tolerance 15%")).exit_code, 0);
  // --json carries the same verdict.
  auto j = run_paralab(args("--json"));
  EXPECT_EQ(j.exit_code, 1);
  auto parsed = nlohmann::json::parse(j.out);
  EXPECT_EQ(parsed["regressions"], 2);
  EXPECT_EQ(parsed["failed"], true);
}

TEST_F(CompareCli, BadInputExitsTwoNamingTheFileOrOption) {
  auto missing = run_paralab(args(""));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find(base_ + ": no such baseline; write it with `paralab compare --baseline"), std::string::npos)
      << missing.err;
  ASSERT_EQ(run_paralab(args("--update")).exit_code, 0);
  auto tol = run_paralab(args("--tolerance lots"));
  EXPECT_EQ(tol.exit_code, 2);
  EXPECT_NE(tol.err.find("--tolerance 'lots': expected a non-negative fraction (0.02) or percentage (2%)"),
            std::string::npos)
      << tol.err;
  std::string text = slurp(base_);
  text.replace(text.find("\"runs\""), 6, "\"rnus\"");
  std::ofstream(base_) << text;
  auto key = run_paralab(args(""));
  EXPECT_EQ(key.exit_code, 2);
  EXPECT_NE(key.err.find(base_ + ": $.rnus: unknown key; did you mean 'runs'?"), std::string::npos) << key.err;
}

TEST(ReportCli, AMissingDatabaseOrTraceIsBadInput) {
  auto r = run_paralab("report --db /nonexistent/paralab.db -o /tmp/paralab_report_unused");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/paralab.db: no results database there"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists("/tmp/paralab_report_unused"));
}

}  // namespace
}  // namespace paralab
