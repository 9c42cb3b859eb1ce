// CPU reference kernels against a straightforward float reference: every
// element dequantized one at a time (dequantized_at: unpack_code + the format's
// formula) and plain double-precision dot products.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/half.h"
#include "kernels/packing.h"
#include "kernels/qmatmul_cpu.h"
#include "kernels/quantize.h"
#include "kernels/synthetic.h"

namespace paralab::kernels {
namespace {

std::vector<float> naive_dequant(const QuantizedMatrix& q) {
  std::vector<float> w(q.rows * q.cols);
  for (int64_t r = 0; r < q.rows; ++r)
    for (int64_t c = 0; c < q.cols; ++c) w[r * q.cols + c] = dequantized_at(q, r, c);
  return w;
}

// y[t][r] = sum_c x[t][c] * w[r][c], in double.
std::vector<double> naive_matmul(const std::vector<float>& w, int64_t rows, int64_t cols, const std::vector<float>& x,
                                 int64_t tokens) {
  std::vector<double> y(tokens * rows, 0.0);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t r = 0; r < rows; ++r) {
      double s = 0;
      for (int64_t c = 0; c < cols; ++c) s += static_cast<double>(x[t * cols + c]) * w[r * cols + c];
      y[t * rows + r] = s;
    }
  return y;
}

// |got - ref| <= atol + rtol * |ref|, atol scaled by the size of the terms.
void expect_close(const std::vector<float>& got, const std::vector<double>& ref, double scale, const char* what) {
  ASSERT_EQ(got.size(), ref.size());
  int bad = 0;
  for (size_t i = 0; i < ref.size(); ++i)
    if (std::fabs(got[i] - ref[i]) > 1e-5 * scale + 1e-5 * std::fabs(ref[i]) && ++bad <= 3)
      ADD_FAILURE() << what << ": element " << i << " got " << got[i] << " want " << ref[i];
}

class QmatmulCpu : public ::testing::TestWithParam<const char*> {};

TEST_P(QmatmulCpu, MatchesTheNaiveReference) {
  const int64_t rows = 24, cols = 256;
  QuantFormat f = parse_quant_format(GetParam());
  auto w = synthetic_weights(rows, cols, 5);
  QuantizeOptions o;
  o.als_iterations = 2;
  QuantizedMatrix q = quantize(w.data(), rows, cols, f, o);
  std::vector<float> wh = naive_dequant(q), got(rows * cols);
  dequantize_cpu(q, got.data());
  EXPECT_EQ(got, wh);  // the same levels, gathered by a different unpacking path
  double wabs = 0;
  for (float v : wh) wabs = std::max(wabs, std::fabs(static_cast<double>(v)));
  for (int batch : {1, 5, 32}) {
    auto x = synthetic_activations(batch, cols, 8);
    std::vector<float> y(batch * rows);
    qgemv_cpu(q, x.data(), batch, y.data());
    double xabs = 0;
    for (float v : x) xabs = std::max(xabs, std::fabs(static_cast<double>(v)));
    expect_close(y, naive_matmul(wh, rows, cols, x, batch), wabs * xabs * std::sqrt(double(cols)), "qgemv");
  }
  const int64_t tokens = 37;
  auto x = synthetic_activations(tokens, cols, 9);
  std::vector<float> y(tokens * rows);
  qgemm_cpu(q, x.data(), tokens, y.data());
  double xabs = 0;
  for (float v : x) xabs = std::max(xabs, std::fabs(static_cast<double>(v)));
  expect_close(y, naive_matmul(wh, rows, cols, x, tokens), wabs * xabs * std::sqrt(double(cols)), "qgemm");
}

INSTANTIATE_TEST_SUITE_P(Formats, QmatmulCpu,
                         ::testing::Values("rtn-b4-g64", "rtn-b4-g128", "rtn-b8-g128", "rtn-b3-g64", "lcq-r1-b4-g128",
                                           "lcq-r2-b3-g128", "lcq-r4-b2-g64", "lcq-r2-b2-g64-dq"));

TEST(QmatmulCpuHand, Int4GemvByHand) {
  // One row of 64 weights, rtn-b4-g64: every code 3, scale 0.5, zero 1 -> every
  // weight is 0.5 * (3 - 1) = 1, so y = sum_j x_j = 1 + 2 + ... + 64 = 2080.
  QuantizedMatrix q;
  q.format = parse_quant_format("rtn-b4-g64");
  q.rows = 1;
  q.cols = 64;
  std::vector<uint8_t> codes(64, 3);
  q.codes.resize(8);
  pack_codes(codes.data(), 64, 4, q.codes.data());
  EXPECT_EQ(q.codes[0], 0x33333333u);
  q.scale_fp16 = {float_to_half(0.5f)};
  q.zero_fp16 = {float_to_half(1.0f)};
  std::vector<float> x(64);
  for (int j = 0; j < 64; ++j) x[j] = static_cast<float>(j + 1);
  float y = 0;
  qgemv_cpu(q, x.data(), 1, &y);
  EXPECT_EQ(y, 2080.0f);
  qgemm_cpu(q, x.data(), 1, &y);
  EXPECT_EQ(y, 2080.0f);
}

TEST(QmatmulCpuHand, LcqLevelsByHand) {
  // rank 2, 2 bits, one group: S = (0.5, 2), V = [[0,1,2,3],[1,0,0,1]], beta = 1
  // -> levels 0.5*V0 + 2*V1 - 1 = (1, -0.5, 0, 2.5).
  QuantizedMatrix q;
  q.format = parse_quant_format("lcq-r2-b2-g64");
  q.rows = 1;
  q.cols = 64;
  q.coef_fp16 = {float_to_half(0.5f), float_to_half(2.0f)};
  q.offset_fp16 = {float_to_half(1.0f)};
  for (float v : {0.f, 1.f, 2.f, 3.f, 1.f, 0.f, 0.f, 1.f}) q.basis_fp16.push_back(float_to_half(v));
  float lut[4];
  q.group_levels(0, lut);
  EXPECT_EQ(lut[0], 1.0f);
  EXPECT_EQ(lut[1], -0.5f);
  EXPECT_EQ(lut[2], 0.0f);
  EXPECT_EQ(lut[3], 2.5f);
}

}  // namespace
}  // namespace paralab::kernels
