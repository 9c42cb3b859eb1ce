// Round-to-nearest (RTN) group-wise asymmetric uniform quantization: the
// rank-1 codebook every LCQ fit starts from.
//
// Per group of n weights with minimum lo and maximum hi, L = 2^b levels:
//   scale = fp16(( hi - lo) / (L - 1))   (|lo| or 1 when hi == lo)
//   zero  = clamp(round(-lo / scale), 0, L - 1)        (an integer)
//   q     = clamp(round(w / scale) + zero, 0, L - 1),  w_hat = scale * (q - zero)
// The scale is rounded to fp16 before the codes are chosen, so the stored
// format dequantizes to exactly the levels the codes were chosen against.
// Invariants: 1. q is the nearest level of the group's grid to w (ties and
// clamping aside); 2. levels scale * (u - zero) are exact in fp32.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "kernels/quantized_matrix.h"

namespace paralab::kernels {

struct UniformGroup {
  float scale = 1.0f;  // fp16-representable
  float zero = 0.0f;   // integral, in [0, L-1]
};

UniformGroup rtn_group_params(const float* w, int64_t n, int levels);

inline uint8_t rtn_code(float w, const UniformGroup& p, int levels) {
  float q = __builtin_nearbyintf(w / p.scale) + p.zero;
  q = q < 0.0f ? 0.0f : (q > static_cast<float>(levels - 1) ? static_cast<float>(levels - 1) : q);
  return static_cast<uint8_t>(q);
}

// w: [rows][cols] row-major. REQUIRES: f.kind == kRtn, check_quant_shape ok.
QuantizedMatrix quantize_rtn(const float* w, int64_t rows, int64_t cols, const QuantFormat& f);

}  // namespace paralab::kernels
