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

// In integer arithmetic on the bit patterns, so that it is the same on every
// compiler: clang 14 on x86-64 (the sanitizer and fuzz builds) has no
// arithmetic _Float16, and its __fp16 calls runtime routines libgcc lacks.
inline uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t exponent = (x >> 23) & 0xffu, mantissa = x & 0x7fffffu;
  if (exponent == 0xff)  // inf, or NaN kept quiet with the top of its payload
    return static_cast<uint16_t>(sign | 0x7c00u | (mantissa != 0 ? 0x200u | (mantissa >> 13) : 0u));
  // Rounds m / 2^shift to the nearest integer, ties to even.
  auto round_shift = [](uint32_t m, int shift) {
    const uint32_t q = m >> shift, rest = m & ((1u << shift) - 1), halfway = 1u << (shift - 1);
    return q + (rest > halfway || (rest == halfway && (q & 1u)) ? 1u : 0u);
  };
  const int e = static_cast<int>(exponent) - 127 + 15;  // the binary16 biased exponent
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);  // beyond 65520: inf
  if (e >= 1)  // normal; a carry out of the mantissa moves into the exponent (65520 -> inf)
    return static_cast<uint16_t>(sign | round_shift((static_cast<uint32_t>(e) << 23) | mantissa, 13));
  // Subnormal binary16 or zero, in units of 2^-24: the float is
  // (2^23 + mantissa) * 2^(exponent - 150) = (2^23 + mantissa) / 2^(14 - e) units.
  const int shift = 14 - e;
  if (shift > 24) return sign;  // below 2^-25 (float subnormals included): rounds to zero
  return static_cast<uint16_t>(sign | round_shift(0x800000u | mantissa, shift));
}

inline float half_to_float(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu, mantissa = bits & 0x3ffu;
  uint32_t x;
  if (exponent == 0x1f) {
    x = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    x = sign | ((exponent - 15 + 127) << 23) | (mantissa << 13);
  } else {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float v = static_cast<float>(mantissa) * 0x1p-24f;
    std::memcpy(&x, &v, sizeof x);
    x |= sign;
  }
  float f;
  std::memcpy(&f, &x, sizeof f);
  return f;
}

// The fp16 value nearest to f, as a float.
inline float round_to_half(float f) { return half_to_float(float_to_half(f)); }

}  // namespace paralab::kernels
