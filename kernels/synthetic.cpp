#include "kernels/synthetic.h"

#include <algorithm>
#include <random>

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

}  // namespace paralab::kernels
