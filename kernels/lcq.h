// LCQ: the low-rank codebook quantizer (Cai, Li et al., arXiv 2405.20973).
//
// For a weight matrix W (rows x cols, groups of `group` weights along a row),
// group g dequantizes code u to the level
//   C[g][u] = sum_{r<k} S[g][r] * V[r][u] - beta[g]        (C = S^T V - beta 1^T)
// with k coefficients S[g] and one offset beta[g] per group and the k x 2^b
// basis V shared by the whole matrix. Uniform quantization is the rank-1 case
// V = (0, 1, ..., 2^b - 1), S = scale, beta = scale * zero.
//
// Fitting (all fp32 parameters, double accumulation):
//   lcq_init_rtn     rank 1 at the RTN grid: levels and codes equal RTN's.
//   lcq_add_rank     warm start of rank k' > k: new S rows are 0, new V rows
//                    seeded Gaussian, so the levels and the loss are unchanged.
//   lcq_als          alternating minimization of the (optionally column-
//                    weighted) weight SSE: nearest-level
//                    assignment; per-group least squares for (S[g], beta[g]);
//                    per-level least squares for V[:, u]. The solves are
//                    proximal (ridge towards the current value) and a step is
//                    kept only if it does not raise the loss.
//   lcq_refine_output Adam on the layer-output SSE ||X (W - W_hat)^T||^2 over
//                    calibration activations X, straight-through for the
//                    rounding (codes re-assigned after each step); keeps the
//                    best iterate, so the output loss never ends higher.
//   lcq_store        rounds the parameters to the stored format (fp16, or int8
//                    coefficients under -dq), re-assigns every code to the
//                    nearest stored level and packs.
// Invariants: 1. every lcq_als step leaves the weight SSE <= before (the
// trace is non-increasing); 2. lcq_add_rank keeps the loss bit-exact, so the
// chain 1 -> 2 -> 4 gives SSE non-increasing in k; 3. deterministic for a
// given seed. Thread-safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/quantized_matrix.h"

namespace paralab::kernels {

struct LcqCodebook {
  int rank = 1;
  int bits = 2;
  int group = 128;
  int64_t rows = 0, cols = 0;
  std::vector<float> coef;    // S: [groups][rank]
  std::vector<float> offset;  // beta: [groups]
  std::vector<float> basis;   // V: [rank][levels]
  std::vector<uint8_t> codes; // [rows * cols], unpacked

  int levels() const { return 1 << bits; }
  int64_t num_groups() const { return rows * cols / group; }
  void group_levels(int64_t g, float* lut) const;  // fp32 levels of group g
};

// Sum over all weights of h[col] * (w - level)^2, in double; col_weight h
// ([cols], e.g. the mean squared activation of each input channel, the
// diagonal of X^T X / tokens) or nullptr for h = 1.
double lcq_weight_sse(const float* w, const LcqCodebook& cb, const float* col_weight = nullptr);

LcqCodebook lcq_init_rtn(const float* w, int64_t rows, int64_t cols, int bits, int group);
LcqCodebook lcq_add_rank(const LcqCodebook& cb, int new_rank, uint64_t seed);

// Runs `iterations` rounds of (assign, coefficients, basis). When `trace` is
// given it receives the SSE before the first step and after every step
// (1 + 3 * iterations values). With col_weight the loss minimized is the
// column-weighted SSE (a diagonal approximation of the output loss).
void lcq_als(const float* w, LcqCodebook& cb, int iterations, std::vector<double>* trace = nullptr,
             const float* col_weight = nullptr);

// x: calibration activations [tokens][cols]. trace gets the output SSE of
// the initial codebook and of every step taken.
struct RefineOptions {
  int steps = 30;
  float lr_rel = 2e-3f;  // Adam step, relative to each tensor's mean |value|
};
void lcq_refine_output(const float* w, const float* x, int64_t tokens, LcqCodebook& cb,
                       const RefineOptions& o, std::vector<double>* trace = nullptr);

QuantizedMatrix lcq_store(const float* w, const LcqCodebook& cb, bool double_quant);

}  // namespace paralab::kernels
