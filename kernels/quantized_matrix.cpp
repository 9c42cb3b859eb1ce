#include "kernels/quantized_matrix.h"

#include "kernels/half.h"
#include "kernels/packing.h"

namespace paralab::kernels {

GroupLevels::GroupLevels(const QuantizedMatrix& q) : q_(q) {
  for (uint16_t h : q.basis_fp16) basis_.push_back(half_to_float(h));
  for (uint16_t h : q.dq_scale_fp16) dq_scale_.push_back(half_to_float(h));
}

void GroupLevels::operator()(int64_t g, float* lut) const {
  const QuantFormat& f = q_.format;
  const int L = f.levels();
  if (f.kind == QuantKind::kRtn) {
    float s = half_to_float(q_.scale_fp16[g]);
    float z = half_to_float(q_.zero_fp16[g]);
    for (int u = 0; u < L; ++u) lut[u] = s * (static_cast<float>(u) - z);
    return;
  }
  const int k = f.rank;
  const int64_t blocks = q_.dq_blocks();
  float beta = half_to_float(q_.offset_fp16[g]);
  for (int u = 0; u < L; ++u) lut[u] = 0.0f;
  for (int r = 0; r < k; ++r) {
    float c = f.double_quant ? static_cast<float>(q_.coef_int8[g * k + r]) * dq_scale_[r * blocks + g / kDqBlockGroups]
                             : half_to_float(q_.coef_fp16[g * k + r]);
    for (int u = 0; u < L; ++u) lut[u] += c * basis_[r * L + u];
  }
  for (int u = 0; u < L; ++u) lut[u] -= beta;
}

void QuantizedMatrix::group_levels(int64_t g, float* lut) const { GroupLevels(*this)(g, lut); }

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
