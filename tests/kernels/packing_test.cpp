// Bit packing: hand-built words for the documented layout, and round trips.
#include <gtest/gtest.h>

#include <random>

#include "kernels/packing.h"

namespace paralab::kernels {
namespace {

TEST(Packing, Int4NibbleOrderIsSequentialLowFirst) {
  std::vector<uint8_t> c(32, 0);
  for (int j = 0; j < 8; ++j) c[j] = static_cast<uint8_t>(j + 1);  // first word: codes 1..8
  c[8] = 0xF;
  std::vector<uint32_t> w(4);
  pack_codes(c.data(), 32, 4, w.data());
  EXPECT_EQ(w[0], 0x87654321u);  // nibble j holds code j
  EXPECT_EQ(w[1], 0x0000000Fu);
  EXPECT_EQ(w[2], 0u);
}

TEST(Packing, ThreeBitCodesStraddleWords) {
  std::vector<uint8_t> c(32, 0);
  c[0] = 7;   // bits 0..2
  c[10] = 7;  // bits 30..32: bits 30, 31 of word 0 and bit 0 of word 1
  c[31] = 5;  // bits 93..95: bits 29..31 of word 2 -> 0b101 << 29
  std::vector<uint32_t> w(3);
  pack_codes(c.data(), 32, 3, w.data());
  EXPECT_EQ(w[0], 0xC0000007u);
  EXPECT_EQ(w[1], 0x00000001u);
  EXPECT_EQ(w[2], 0xA0000000u);
}

TEST(Packing, Int8BytesInOrder) {
  std::vector<uint8_t> c(32, 0);
  c[0] = 0x11, c[1] = 0x22, c[2] = 0x33, c[3] = 0xFF;
  std::vector<uint32_t> w(8);
  pack_codes(c.data(), 32, 8, w.data());
  EXPECT_EQ(w[0], 0xFF332211u);
}

TEST(Packing, RoundTripEveryWidth) {
  std::mt19937 rng(7);
  for (int bits : {2, 3, 4, 8}) {
    const int64_t n = 256;
    std::vector<uint8_t> c(n), back(32);
    for (auto& v : c) v = static_cast<uint8_t>(rng() & ((1u << bits) - 1));
    std::vector<uint32_t> w(packed_words(n, bits));
    pack_codes(c.data(), n, bits, w.data());
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(unpack_code(w.data(), i, bits), c[i]) << bits << " " << i;
    for (int64_t ch = 0; ch < n / 32; ++ch) {
      unpack_chunk32(w.data() + ch * bits, bits, back.data());
      for (int i = 0; i < 32; ++i) ASSERT_EQ(back[i], c[ch * 32 + i]);
    }
  }
}

}  // namespace
}  // namespace paralab::kernels
