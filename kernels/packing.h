// Bit packing of b-bit quantization codes (b = 2, 3, 4 or 8).
//
// Layout (one for every format): a weight matrix W is rows x cols, row =
// output channel, col = input channel; groups run along the input dimension
// (a row is cols / group whole groups). The codes of one row form a
// little-endian bit stream: code j of the row occupies bits [b*j, b*j + b) of
// the stream, and bit p of the stream is bit (p % 32) of 32-bit word p / 32.
// For b = 4 this is the GPTQ nibble order along K (nibble j of a word at bits
// 4j..4j+3, sequential, no AWQ interleave) but stored row-major [N][K/8]
// rather than GPTQ's [K/8][N], so that one output row is contiguous for the
// warp-per-row GEMV. For b = 8, byte j of a word is code j.
//
// Invariants: 1. cols * b is a multiple of 32 (cols is a multiple of 32), so
// every row starts on a word boundary and 32 consecutive codes starting at a
// multiple of 32 occupy exactly b whole words; 2. unpack(pack(c)) == c.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

namespace paralab::kernels {

// 32-bit words holding n codes of `bits` bits. REQUIRES: n * bits % 32 == 0.
inline int64_t packed_words(int64_t n, int bits) { return n * bits / 32; }

// Packs codes[0..n) (each < 2^bits) into out[0 .. packed_words(n, bits)).
void pack_codes(const uint8_t* codes, int64_t n, int bits, uint32_t* out);

// Code i of the stream that starts at `words`.
inline uint32_t unpack_code(const uint32_t* words, int64_t i, int bits) {
  int64_t p = i * bits;
  int64_t w = p >> 5;
  int off = static_cast<int>(p & 31);
  uint64_t v = words[w];
  if (off + bits > 32) v |= static_cast<uint64_t>(words[w + 1]) << 32;
  return static_cast<uint32_t>(v >> off) & ((1u << bits) - 1u);
}

// Unpacks 32 codes starting at code 32*chunk: they lie in words
// [chunk*bits, chunk*bits + bits). Used by the CPU kernels' inner loops.
void unpack_chunk32(const uint32_t* chunk_words, int bits, uint8_t* out32);

}  // namespace paralab::kernels
