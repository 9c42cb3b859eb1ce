#include "kernels/packing.h"

#include <cassert>

namespace paralab::kernels {

void pack_codes(const uint8_t* codes, int64_t n, int bits, uint32_t* out) {
  assert(n * bits % 32 == 0);  // whole words only (see the layout invariant)
  int64_t words = packed_words(n, bits);
  for (int64_t w = 0; w < words; ++w) out[w] = 0;
  for (int64_t i = 0; i < n; ++i) {
    assert(codes[i] < (1u << bits));
    int64_t p = i * bits;
    int64_t w = p >> 5;
    int off = static_cast<int>(p & 31);
    uint64_t v = static_cast<uint64_t>(codes[i]) << off;
    out[w] |= static_cast<uint32_t>(v);
    if (off + bits > 32) out[w + 1] |= static_cast<uint32_t>(v >> 32);
  }
}

void unpack_chunk32(const uint32_t* words, int bits, uint8_t* out32) {
  switch (bits) {
    case 4:
      for (int w = 0; w < 4; ++w)
        for (int j = 0; j < 8; ++j) out32[8 * w + j] = (words[w] >> (4 * j)) & 0xF;
      return;
    case 8:
      for (int w = 0; w < 8; ++w)
        for (int j = 0; j < 4; ++j) out32[4 * w + j] = (words[w] >> (8 * j)) & 0xFF;
      return;
    case 2:
      for (int w = 0; w < 2; ++w)
        for (int j = 0; j < 16; ++j) out32[16 * w + j] = (words[w] >> (2 * j)) & 0x3;
      return;
    default:
      for (int i = 0; i < 32; ++i) out32[i] = static_cast<uint8_t>(unpack_code(words, i, bits));
  }
}

}  // namespace paralab::kernels
