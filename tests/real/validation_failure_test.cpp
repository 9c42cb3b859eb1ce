// A validation in which graphs failed has not passed: the report says which
// and why, its errors are not a 0% "perfect match", and `paralab validate`
// exits 1 (DESIGN.md: the job ran and failed) with the reason.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/json_reader.h"
#include "real/validation.h"
#include "tests/tools/run_cli.h"

namespace paralab::real {
namespace {

ValidationRun run_with(const std::string& name, const std::string& status, double err) {
  ValidationRun v;
  v.name = name;
  v.measured.status = status;
  v.measured.message = status == "ok" ? "" : "rank 0: boom";
  v.simulated.status = "ok";
  v.relative_error = err;
  return v;
}

TEST(ValidationFailure, AFailedGraphFailsTheReportWithItsReason) {
  ValidationReport r;
  r.runs.push_back(run_with("a", "ok", 0.05));
  r.runs.push_back(run_with("b", "error", 0));
  r.runs.push_back(run_with("c", "ok", 0.15));
  summarize(&r);
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(r.error_runs, 1);
  // Median of the successful runs {5%, 15%} = 10%; max 15%.
  EXPECT_DOUBLE_EQ(r.median_relative_error, 0.10);
  EXPECT_DOUBLE_EQ(r.max_relative_error, 0.15);
  EXPECT_EQ(r.failure_summary(), "1 of 3 graphs failed: b: real run error: rank 0: boom");
}

TEST(ValidationFailure, EveryGraphFailedIsNoErrorFigureAtAll) {
  ValidationReport r;
  r.runs.push_back(run_with("a", "error", 0));
  r.runs.push_back(run_with("b", "oom", 0));
  summarize(&r);
  EXPECT_FALSE(r.passed());
  EXPECT_TRUE(std::isnan(r.median_relative_error));
  EXPECT_TRUE(std::isnan(r.max_relative_error));
  Json j = r.to_json();
  EXPECT_TRUE(j["median_relative_error"].is_null());
  EXPECT_EQ(j["passed"], false);
  EXPECT_EQ(j["failures"].size(), 2u);
}

TEST(ValidationFailure, ValidateExitsOneWhenTheBackendCannotRunAnyGraph) {
  // This machine has no GPU: with a (hand-written) cuda profile, every cuda
  // graph fails, and validate must say so and exit 1.
  std::string dir = std::filesystem::temp_directory_path() / ("paralab_valfail_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/cuda.json") << R"({"format": "paralab-hardware-profile/1", "name": "t", "backend": "cuda"})";
  auto r = paralab::testing::run_paralab("validate --backend cuda --quick --runs 1 --no-store --profile " + dir +
                                         "/cuda.json --scratch-dir " + dir);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("paralab: failed: validate: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("graphs failed"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("FAILED"), std::string::npos) << r.out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace paralab::real
