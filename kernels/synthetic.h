// Synthetic weights and activations shaped like an LLM linear layer's, for
// the quantizer's tests and the LCQ experiment (real checkpoints cannot be
// downloaded here).
//
// Weights (rows x cols, row = output channel): each entry is sigma * z with
// z ~ N(0, 1) (the bulk), replaced with probability tail_fraction by a
// Student-t(3) draw (heavy tails); a few input channels (columns, about
// cols/256, at least 2) are multiplied by outlier_scale, as the salient input
// channels of AWQ / LLM.int8() are. Activations (tokens x cols) are N(0, 1)
// with the same outlier channels scaled by activation_outlier_scale.
// Invariants: 1. a pure function of (shape, seed): the same bytes for the
// same arguments on the same standard library; 2. outlier channels are the
// same for weights and activations of one seed.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/quantized_matrix.h"

namespace paralab::kernels {

struct SyntheticSpec {
  float sigma = 0.02f;
  float tail_fraction = 0.02f;
  float outlier_scale = 4.0f;
  float activation_outlier_scale = 20.0f;
};

std::vector<int64_t> synthetic_outlier_channels(int64_t cols, uint64_t seed);
std::vector<float> synthetic_weights(int64_t rows, int64_t cols, uint64_t seed, const SyntheticSpec& s = {});
std::vector<float> synthetic_activations(int64_t tokens, int64_t cols, uint64_t seed, const SyntheticSpec& s = {});

// A rows x cols matrix in format f's exact stored layout, filled directly
// (nothing is quantized: for runs whose time depends on the bytes and the
// kernel, not on the values). Every code word is 0x89abcdef; rtn groups
// have scale 0.01 and zero point 8 (w = 0.01 (q - 8)); lcq groups have
// coefficients 0.01 (int8 1 with block scale 0.01 under -dq), offset 0 and
// basis entry u of every rank row = u - levels/2.
// InputError when the shape cannot hold the format (check_quant_shape).
QuantizedMatrix synthetic_quantized_matrix(const QuantFormat& f, int64_t rows, int64_t cols);

}  // namespace paralab::kernels
