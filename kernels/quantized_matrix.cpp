#include "kernels/quantized_matrix.h"

#include "kernels/half.h"
#include "kernels/packing.h"

namespace paralab::kernels {

void QuantizedMatrix::group_levels(int64_t g, float* lut) const {
  const int L = format.levels();
  if (format.kind == QuantKind::kRtn) {
    float s = half_to_float(scale_fp16[g]);
    float z = half_to_float(zero_fp16[g]);
    for (int u = 0; u < L; ++u) lut[u] = s * (static_cast<float>(u) - z);
    return;
  }
  const int k = format.rank;
  float beta = half_to_float(offset_fp16[g]);
  for (int u = 0; u < L; ++u) lut[u] = 0.0f;
  for (int r = 0; r < k; ++r) {
    float c = format.double_quant
                  ? static_cast<float>(coef_int8[g * k + r]) *
                        half_to_float(dq_scale_fp16[r * dq_blocks() + g / kDqBlockGroups])
                  : half_to_float(coef_fp16[g * k + r]);
    for (int u = 0; u < L; ++u) lut[u] += c * half_to_float(basis_fp16[r * L + u]);
  }
  for (int u = 0; u < L; ++u) lut[u] -= beta;
}

int64_t QuantizedMatrix::stored_bytes() const {
  return static_cast<int64_t>(codes.size() * 4 +
                              2 * (scale_fp16.size() + zero_fp16.size() + coef_fp16.size() +
                                   dq_scale_fp16.size() + offset_fp16.size() + basis_fp16.size()) +
                              coef_int8.size());
}

float dequantized_at(const QuantizedMatrix& q, int64_t r, int64_t c) {
  int64_t g = r * q.groups_per_row() + c / q.format.group;
  float lut[256];
  q.group_levels(g, lut);
  return lut[unpack_code(q.row_codes(r), c, q.format.bits)];
}

}  // namespace paralab::kernels
