// IEEE binary16 ("fp16") conversion on the host, for the scales, zeros and
// codebook parameters the quantized formats store.
//
// Invariants: 1. float_to_half rounds to nearest, ties to even, and
// saturates nothing: values beyond 65504 become +-inf, as IEEE does;
// 2. half_to_float(float_to_half(x)) == x for every x exactly representable
// in fp16 (integers up to 2048, s * 2^e with an 11-bit s).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <cstring>

namespace paralab::kernels {

inline uint16_t float_to_half(float f) {
  _Float16 h = static_cast<_Float16>(f);  // GCC >= 12 on x86-64: IEEE RNE
  uint16_t bits;
  std::memcpy(&bits, &h, sizeof bits);
  return bits;
}

inline float half_to_float(uint16_t bits) {
  _Float16 h;
  std::memcpy(&h, &bits, sizeof h);
  return static_cast<float>(h);
}

// The fp16 value nearest to f, as a float.
inline float round_to_half(float f) { return half_to_float(float_to_half(f)); }

}  // namespace paralab::kernels
