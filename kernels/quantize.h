// One entry point for every QuantFormat, and the error measures the CLI and
// the LCQ experiment report.
//
// quantize(): rtn formats round to nearest; lcq formats of rank k run the
// warm-started chain rank 1 (initialized at RTN) -> 2 -> 4 up to k, with
// `als_iterations` of alternating minimization at each rank, then optionally
// `refine_steps` of output-loss refinement on calibration activations, then
// store (fp16 / -dq int8). With calibration activations the ALS minimizes the
// activation-weighted SSE (QuantizeOptions::activation_weighted).
// Deterministic for a given seed.
// Errors (QuantError), W_hat = dequantize_cpu(q):
//   mse                    = mean (W - W_hat)^2
//   weight_relative_error  = ||W - W_hat||_F / ||W||_F
//   output_relative_error  = ||X (W - W_hat)^T||_F / ||X W^T||_F
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/lcq.h"
#include "kernels/quantized_matrix.h"

namespace paralab::kernels {

struct QuantizeOptions {
  uint64_t seed = 0;
  int als_iterations = 20;
  int refine_steps = 0;  // > 0 needs calibration activations
  const float* calib_x = nullptr;  // [calib_tokens][cols]
  int64_t calib_tokens = 0;
  // With calibration activations: fit the ALS to the column-weighted weight
  // SSE, weights = activation_col_weight (diagonal of X^T X), instead of the
  // plain weight SSE.
  bool activation_weighted = true;
};

// h[c] = mean_t x[t][c]^2, scaled so that mean_c h[c] = 1. x: [tokens][cols].
std::vector<float> activation_col_weight(const float* x, int64_t tokens, int64_t cols);

// w: [rows][cols]. InputError on a shape the format cannot hold.
QuantizedMatrix quantize(const float* w, int64_t rows, int64_t cols, const QuantFormat& f,
                         const QuantizeOptions& o = {});

// The LCQ fits of ranks 1, 2, 4 (up to max_rank) of one chain, before storage.
std::vector<LcqCodebook> lcq_fit_chain(const float* w, int64_t rows, int64_t cols, int bits, int group,
                                       int max_rank, const QuantizeOptions& o);

struct QuantError {
  double mse = 0;
  double weight_relative_error = 0;
  double output_relative_error = 0;  // 0 when no activations were given
};

// x: [tokens][q.cols] or nullptr.
QuantError measure_quant_error(const float* w, const QuantizedMatrix& q, const float* x, int64_t tokens);

}  // namespace paralab::kernels
