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
#include "real/validation_graphs.h"
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

// The GPU validation's training graph is sized for a GPU's speed even under
// --quick (the GPU check runs --quick): its GEMMs alone, forward 24·t·h² per
// layer and twice that backward, are 72 · 8,192 · 2,048² · 8 = 1.98e13 FLOP,
// about 30 ms on an H100, so per-op issue costs (a few us per op) do not set
// its time. At the earlier quick size (h 1,024, 4 layers, 2,048 tokens) it
// was 6.2e11 FLOP, about 1 ms.
TEST(ValidationGraphs, CudaTrainingGraphIsGpuSizedEvenQuick) {
  const double gemm_flops = 72.0 * 8192 * 2048.0 * 2048.0 * 8;
  for (bool quick : {true, false}) {
    bool found = false;
    for (const ValidationGraph& vg : cuda_validation_set(quick, 1)) {
      if (vg.name != "train1-transformer-bf16") continue;
      found = true;
      double flops = 0;
      int compute_ops = 0;
      for (const Op& o : vg.graph.ops())
        if (o.type == OpType::kCompute) flops += o.flops, ++compute_ops;
      EXPECT_GE(flops, gemm_flops) << "quick " << quick;
      EXPECT_LT(flops, 1.2 * gemm_flops) << "quick " << quick;  // attention and the rest are small beside it
      // At 1 PFLOP/s the average compute op lasts over 50 us.
      EXPECT_GT(flops / compute_ops / 1e15, 50e-6) << compute_ops << " compute ops";
    }
    EXPECT_TRUE(found) << "quick " << quick;
  }
}

}  // namespace
}  // namespace paralab::real
