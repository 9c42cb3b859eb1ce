// Round to nearest: grid parameters and codes worked out by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/half.h"
#include "kernels/quantized_matrix.h"
#include "kernels/rtn.h"

namespace paralab::kernels {
namespace {

TEST(Rtn, GroupParamsByHand) {
  // lo = -1, hi = 2, L = 4: scale = 3 / 3 = 1, zero = round(1 / 1) = 1; levels -1, 0, 1, 2.
  const float w[4] = {-1.0f, 0.0f, 0.75f, 2.0f};
  UniformGroup p = rtn_group_params(w, 4, 4);
  EXPECT_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zero, 1.0f);
  EXPECT_EQ(rtn_code(-1.0f, p, 4), 0);
  EXPECT_EQ(rtn_code(0.0f, p, 4), 1);
  EXPECT_EQ(rtn_code(0.75f, p, 4), 2);  // round(0.75) + 1
  EXPECT_EQ(rtn_code(2.0f, p, 4), 3);
  EXPECT_EQ(rtn_code(9.0f, p, 4), 3);   // clamped
}

TEST(Rtn, ScaleIsRoundedToFp16First) {
  // lo = 0, hi = 0.1, L = 16: 0.1 / 15 is not an fp16 value; the stored scale is.
  float w[2] = {0.0f, 0.1f};
  UniformGroup p = rtn_group_params(w, 2, 16);
  EXPECT_EQ(p.scale, round_to_half(0.1f / 15.0f));
  EXPECT_EQ(p.zero, 0.0f);
}

TEST(Rtn, DequantizedErrorIsAtMostHalfAStep) {
  // Two rows of 64 weights, one group each, values spread over [-0.5, 1.0].
  std::vector<float> w(128);
  // (37 i) mod 64 permutes 0..63 (37 is odd): each row spans exactly [-0.5, 1.0].
  for (int i = 0; i < 128; ++i) w[i] = -0.5f + 1.5f * static_cast<float>((i * 37) % 64) / 63.0f;
  QuantizedMatrix q = quantize_rtn(w.data(), 2, 64, QuantFormat{QuantKind::kRtn, 4, 64, 1, false});
  ASSERT_EQ(q.codes.size(), 2u * 64 * 4 / 32);
  for (int r = 0; r < 2; ++r) {
    float s = half_to_float(q.scale_fp16[r]);
    EXPECT_NEAR(s, 1.5f / 15.0f, 1e-4f);
    for (int c = 0; c < 64; ++c)
      EXPECT_LE(std::fabs(dequantized_at(q, r, c) - w[r * 64 + c]), 0.5f * s * 1.0001f) << r << "," << c;
  }
}

}  // namespace
}  // namespace paralab::kernels
