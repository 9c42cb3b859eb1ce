// synthetic_quantized_matrix: the stored layout of every format kind and the
// values its fixed codes dequantize to, derived by hand from the layout.
#include <gtest/gtest.h>

#include <vector>

#include "core/error.h"
#include "kernels/half.h"
#include "kernels/qmatmul_cpu.h"
#include "kernels/synthetic.h"

namespace paralab::kernels {
namespace {

// Every code word is 0x89abcdef; nibble j (bits 4j..4j+3, packing.h) of it
// is 0xf - j, so code c of a row is q = 15 - c % 8 and q - 8 = 7 - c % 8.
// scale = half(0.01) (fp16 storage).
double expected_rtn(int64_t c) { return double(half_to_float(float_to_half(0.01f))) * double(7 - c % 8); }

TEST(SyntheticQuantizedMatrix, RtnInt4DequantizesToTheHandValues) {
  QuantizedMatrix q = synthetic_quantized_matrix(parse_quant_format("rtn-b4-g128"), 64, 256);
  // 64 x 256 at 4 + 32/128 = 4.25 bits per weight = 8704 bytes.
  EXPECT_EQ(q.stored_bytes(), 64 * 256 * 17 / 32);
  for (int64_t c : {0, 1, 7, 8, 130, 255}) EXPECT_FLOAT_EQ(dequantized_at(q, 5, c), float(expected_rtn(c)));
  // qgemv of a ones vector: each row sums 256 / 8 = 32 runs of 0+1+...+7 = 28,
  // so y = 896 scale; batch 2 gives it twice.
  std::vector<float> x(2 * 256, 1.0f), y(2 * 64, 0.0f);
  qgemv_cpu(q, x.data(), 2, y.data());
  const double want = 896.0 * double(half_to_float(float_to_half(0.01f)));
  for (float v : y) EXPECT_NEAR(v, want, 1e-4);
  // The prefill path (dequantize + SGEMM) agrees for 40 tokens.
  std::vector<float> xs(40 * 256, 1.0f), ys(40 * 64, 0.0f);
  qgemm_cpu(q, xs.data(), 40, ys.data());
  for (float v : ys) EXPECT_NEAR(v, want, 1e-4);
}

TEST(SyntheticQuantizedMatrix, LcqFormatsHoldTheirLayout) {
  for (const char* name : {"lcq-r2-b4-g128", "lcq-r2-b4-g128-dq"}) {
    QuantFormat f = parse_quant_format(name);
    QuantizedMatrix q = synthetic_quantized_matrix(f, 32, 256);
    EXPECT_EQ(q.stored_bytes(), layer_bytes(f, 32, 256)) << name;
    // lut[u] = sum over 2 ranks of coef * (u - 8) - 0, coef = half(0.01)
    // (fp16, or int8 1 times the fp16 block scale 0.01): 2 * 0.01 * (q - 8).
    for (int64_t c : {0, 3, 255}) EXPECT_NEAR(dequantized_at(q, 1, c), 2.0 * expected_rtn(c), 1e-6) << name;
  }
}

TEST(SyntheticQuantizedMatrix, RejectsAShapeTheFormatCannotHold) {
  EXPECT_THROW(synthetic_quantized_matrix(parse_quant_format("rtn-b4-g128"), 8, 100), InputError);
}

}  // namespace
}  // namespace paralab::kernels
