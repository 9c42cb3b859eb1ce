// Format names, bits per weight and layer bytes, with every expected number
// derived by hand in the comments.
#include <gtest/gtest.h>

#include "core/error.h"
#include "kernels/quant_format.h"

namespace paralab::kernels {
namespace {

TEST(QuantFormat, ParsesNamesAndRoundTrips) {
  QuantFormat f = parse_quant_format("lcq-r2-b3-g128");
  EXPECT_EQ(f.kind, QuantKind::kLcq);
  EXPECT_EQ(f.rank, 2);
  EXPECT_EQ(f.bits, 3);
  EXPECT_EQ(f.group, 128);
  EXPECT_FALSE(f.double_quant);
  EXPECT_EQ(parse_quant_format("lcq-r2-b3"), f);  // the group defaults to 128
  EXPECT_TRUE(parse_quant_format("lcq-r4-b2-g64-dq").double_quant);
  EXPECT_EQ(parse_quant_format("rtn-b4-g64").kind, QuantKind::kRtn);
  for (const auto& n : quant_format_names()) EXPECT_EQ(parse_quant_format(n).name(), n);
}

TEST(QuantFormat, UnknownNameListsValidOnes) {
  try {
    parse_quant_format("int5-g128");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_EQ(m.rfind("unknown quantization format 'int5-g128'; valid formats are: rtn-b2-g64, rtn-b2-g128, ", 0), 0u)
        << m;
    EXPECT_NE(m.find("lcq-r2-b3-g128"), std::string::npos);
    EXPECT_NE(m.find("lcq-r4-b4-g128-dq"), std::string::npos);
  }
  // Syntactically fine but outside the supported set: rank 3, 8-bit LCQ, group 32.
  EXPECT_THROW(parse_quant_format("lcq-r3-b3-g128"), InputError);
  EXPECT_THROW(parse_quant_format("lcq-r2-b8-g128"), InputError);
  EXPECT_THROW(parse_quant_format("rtn-b4-g32"), InputError);
}

TEST(QuantFormat, GroupMustDivideTheRow) {
  QuantFormat f = parse_quant_format("rtn-b4-g128");
  EXPECT_NO_THROW(check_quant_shape(f, 3, 256));
  try {
    check_quant_shape(f, 4, 192);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "format rtn-b4-g128: group size 128 does not divide the row length 192 (shape 4x192)");
  }
  EXPECT_THROW(check_quant_shape(f, 0, 128), InputError);
}

TEST(QuantFormat, BitsPerWeightByHand) {
  // RTN: b + (16-bit scale + 16-bit zero) / G.
  EXPECT_DOUBLE_EQ(bits_per_weight(parse_quant_format("rtn-b4-g64"), 4096, 4096), 4.5);    // 4 + 32/64
  EXPECT_DOUBLE_EQ(bits_per_weight(parse_quant_format("rtn-b4-g128"), 4096, 4096), 4.25);  // 4 + 32/128
  EXPECT_DOUBLE_EQ(bits_per_weight(parse_quant_format("rtn-b8-g128"), 4096, 4096), 8.25);
  // LCQ k=2 b=3 g=128 on 4096x4096: 3 + (2*16 + 16)/128 = 3.375, plus the
  // 2 x 8 fp16 basis = 256 bits over 2^24 weights.
  EXPECT_DOUBLE_EQ(bits_per_weight(parse_quant_format("lcq-r2-b3-g128"), 4096, 4096), 3.375 + 256.0 / 16777216.0);
  // k=1 is RTN's overhead (one coefficient + one offset) plus a 2^b-entry basis.
  EXPECT_DOUBLE_EQ(bits_per_weight(parse_quant_format("lcq-r1-b4-g128"), 1024, 1024),
                   4.25 + 16.0 * 16 / (1024.0 * 1024));
}

TEST(QuantFormat, LayerBytesByHand) {
  // rtn-b4-g128, 128 x 256: codes 128*256*4/8 = 16384 B; 256 groups * 4 B = 1024 B.
  EXPECT_EQ(layer_bytes(parse_quant_format("rtn-b4-g128"), 128, 256), 17408);
  // lcq-r2-b2-g64-dq, 64 x 128 = 8192 weights, 128 groups, 2 blocks of 64 groups:
  // codes 16384 bits; per group 2 int8 + fp16 offset = 32 bits -> 4096;
  // block scales 2 ranks * 2 blocks * 16 = 64; basis 2 * 4 * 16 = 128.
  // 20672 bits = 2584 bytes.
  EXPECT_EQ(layer_bytes(parse_quant_format("lcq-r2-b2-g64-dq"), 64, 128), 2584);
  // bpw and bytes agree: 2584 * 8 / 8192.
  EXPECT_DOUBLE_EQ(bits_per_weight(parse_quant_format("lcq-r2-b2-g64-dq"), 64, 128), 20672.0 / 8192.0);
}

}  // namespace
}  // namespace paralab::kernels
