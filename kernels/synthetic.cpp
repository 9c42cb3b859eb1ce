#include "kernels/synthetic.h"

#include <algorithm>
#include <random>

#include "kernels/half.h"

namespace paralab::kernels {

std::vector<int64_t> synthetic_outlier_channels(int64_t cols, uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x5EEDC0DEull);
  int64_t n = std::max<int64_t>(2, cols / 256);
  std::vector<int64_t> all(cols);
  for (int64_t i = 0; i < cols; ++i) all[i] = i;
  for (int64_t i = 0; i < n && i < cols; ++i) {  // partial Fisher-Yates
    std::uniform_int_distribution<int64_t> pick(i, cols - 1);
    std::swap(all[i], all[pick(rng)]);
  }
  all.resize(std::min(n, cols));
  std::sort(all.begin(), all.end());
  return all;
}

std::vector<float> synthetic_weights(int64_t rows, int64_t cols, uint64_t seed, const SyntheticSpec& s) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::student_t_distribution<float> student(3.0f);
  std::uniform_real_distribution<float> uni(0.0f, 1.0f);
  std::vector<float> w(rows * cols);
  for (auto& v : w) {
    float z = normal(rng);
    if (uni(rng) < s.tail_fraction) z = student(rng);
    v = s.sigma * z;
  }
  for (int64_t c : synthetic_outlier_channels(cols, seed))
    for (int64_t r = 0; r < rows; ++r) w[r * cols + c] *= s.outlier_scale;
  return w;
}

std::vector<float> synthetic_activations(int64_t tokens, int64_t cols, uint64_t seed, const SyntheticSpec& s) {
  std::mt19937_64 rng(seed + 0xAC7ull);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(tokens * cols);
  for (auto& v : x) v = normal(rng);
  for (int64_t c : synthetic_outlier_channels(cols, seed))
    for (int64_t t = 0; t < tokens; ++t) x[t * cols + c] *= s.activation_outlier_scale;
  return x;
}

QuantizedMatrix synthetic_quantized_matrix(const QuantFormat& f, int64_t rows, int64_t cols) {
  check_quant_shape(f, rows, cols);
  QuantizedMatrix q;
  q.format = f;
  q.rows = rows;
  q.cols = cols;
  q.codes.assign(size_t(rows * q.words_per_row()), 0x89abcdefu);
  const size_t groups = size_t(q.num_groups());
  if (f.kind == QuantKind::kRtn) {
    q.scale_fp16.assign(groups, float_to_half(0.01f));
    q.zero_fp16.assign(groups, float_to_half(8.0f));
    return q;
  }
  if (f.double_quant) {
    q.coef_int8.assign(groups * size_t(f.rank), 1);
    q.dq_scale_fp16.assign(size_t(f.rank * q.dq_blocks()), float_to_half(0.01f));
  } else {
    q.coef_fp16.assign(groups * size_t(f.rank), float_to_half(0.01f));
  }
  q.offset_fp16.assign(groups, float_to_half(0.0f));
  for (int r = 0; r < f.rank; ++r)
    for (int u = 0; u < f.levels(); ++u) q.basis_fp16.push_back(float_to_half(float(u - f.levels() / 2)));
  return q;
}

}  // namespace paralab::kernels
