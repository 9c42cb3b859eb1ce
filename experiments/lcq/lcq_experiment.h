// The LCQ experiment: RTN against LCQ of rank 1, 2, 4 at 2, 3 and 4 bits on a
// suite of synthetic weight matrices shaped like LLM layers, each result
// recorded in the results store (experiment "lcq", backend "real-host").
//
// Suite (kernels/synthetic.h), one matrix per kind, seeded:
//   gaussian      pure Gaussian bulk (no tails, no outlier channels)
//   heavy-tail    5% of entries Student-t(3)
//   outliers      2% Student-t(3) tails + cols/256 outlier input channels x4
// Methods per matrix and bit width b: rtn-b<b>-g<G>; lcq-r1/r2/r4 from one
// warm-started chain (so the fitted loss is non-increasing in rank by
// construction), fitted once to the plain weight SSE ("/weight-mse") and once
// to the activation-weighted SSE ("/act-weighted", diag of X^T X); lcq-r2 -dq
// (double-quantized coefficients) of the weighted chain; optionally that
// lcq-r2 refined on the layer-output loss ("+refine"). Errors are measured on the stored format against
// calibration activations drawn with the matrix's outlier channels.
// Thread-safety: run_lcq_experiment writes to the given store only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace paralab {
class ResultsStore;
}

namespace paralab::lcq {

struct LcqExperimentConfig {
  int64_t rows = 256;
  int64_t cols = 1024;
  int group = 128;
  int64_t calib_tokens = 256;
  int als_iterations = 20;
  int refine_steps = 0;  // 0: no refined rows
  uint64_t seed = 1;
  std::vector<int> bits = {2, 3, 4};
  std::vector<std::string> suite = {"gaussian", "heavy-tail", "outliers"};
};

struct LcqResultRow {
  std::string matrix;  // suite kind
  std::string format;  // rtn-b3-g128, lcq-r2-b3-g128/act-weighted, ... (+refine)
  int bits = 0;
  int rank = 0;  // 0 for rtn
  double bits_per_weight = 0;
  double mse = 0;
  double weight_relative_error = 0;
  double output_relative_error = 0;
  double quantize_seconds = 0;
  int64_t run_id = 0;  // id in the results store (0 when not recorded)
};

// The suite at CI size (64 x 512, 8 ALS iterations, 2 refinement steps):
// seconds instead of half a minute, for `make run`-style quick sweeps.
LcqExperimentConfig lcq_quick_config();

// Runs the suite; records one run per row when `store` is not null.
std::vector<LcqResultRow> run_lcq_experiment(const LcqExperimentConfig& c, ResultsStore* store);

// The rows as a Markdown table (one line per row, grouped by matrix and bits).
std::string lcq_results_markdown(const std::vector<LcqResultRow>& rows);

}  // namespace paralab::lcq
