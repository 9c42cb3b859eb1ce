// The LCQ experiment on a tiny suite: every row recorded, the structure of
// the table, and the invariants the README table relies on.
#include <gtest/gtest.h>

#include <filesystem>

#include "experiments/lcq/lcq_experiment.h"
#include "results/store.h"

namespace paralab::lcq {
namespace {

TEST(LcqExperiment, RecordsEveryRowAndRankNeverHurtsTheFit) {
  std::string db =
      (std::filesystem::temp_directory_path() / ("paralab_lcq_exp_" + std::to_string(::getpid()) + ".db")).string();
  std::filesystem::remove(db);
  LcqExperimentConfig c;
  c.rows = 16;
  c.cols = 256;
  c.calib_tokens = 32;
  c.als_iterations = 3;
  c.bits = {2, 3};
  c.suite = {"outliers"};
  c.refine_steps = 2;
  std::vector<LcqResultRow> rows;
  {
    ResultsStore store(db);
    rows = run_lcq_experiment(c, &store);
    // per bit width: rtn, 2 objectives x 3 ranks, dq, refine = 9 rows
    ASSERT_EQ(rows.size(), 2u * 9);
    RunFilter f;
    f.experiment = "lcq";
    auto stored = store.list(f);
    ASSERT_EQ(stored.size(), rows.size());
    EXPECT_EQ(stored[0].record.backend, "real-host");
    EXPECT_TRUE(stored[0].record.metrics.contains("bits_per_weight"));
    EXPECT_TRUE(stored[0].record.metrics.contains("output_relative_error"));
    for (const auto& row : rows) EXPECT_GT(row.run_id, 0);
  }
  std::filesystem::remove(db);
  EXPECT_EQ(rows[0].format, "rtn-b2-g128");
  EXPECT_EQ(rows[0].bits_per_weight, 2.25);  // 2 + 32/128
  EXPECT_NE(lcq_results_markdown(rows).find("| outliers | lcq-r2-b3-g128/act-weighted |"), std::string::npos);
}

}  // namespace
}  // namespace paralab::lcq
