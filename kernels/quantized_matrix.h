// QuantizedMatrix: a weight matrix stored in a QuantFormat, exactly the bytes
// a transfer or a kernel reads (see packing.h for the code layout).
//
// Dequantization (fp32 arithmetic on the stored fp16/int8 values), group g of
// row r holding codes q:
//   rtn: w = scale[g] * (q - zero[g])
//   lcq: w = lut_g[q],  lut_g[u] = sum_r coef(g, r) * basis[r][u] - offset[g]
//        coef(g, r) = half(coef_fp16[g*rank + r])                   (no -dq)
//                   = coef_int8[g*rank + r] * half(dq_scale[r*blocks + g/64])  (-dq)
// Groups are numbered row-major: g = row * groups_per_row + col / group.
// Invariants: 1. codes.size() == rows * cols * bits / 32; 2. only the arrays
// of the format's kind are non-empty; 3. stored_bytes() == layer_bytes().
// Thread-safety: a value; concurrent reads are safe.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/quant_format.h"

namespace paralab::kernels {

struct QuantizedMatrix {
  QuantFormat format;
  int64_t rows = 0;  // output channels (N)
  int64_t cols = 0;  // input channels (K)
  std::vector<uint32_t> codes;           // [rows][cols * bits / 32]
  std::vector<uint16_t> scale_fp16;      // rtn: [groups]
  std::vector<uint16_t> zero_fp16;       // rtn: [groups], integral zero point
  std::vector<uint16_t> coef_fp16;       // lcq: [groups][rank]
  std::vector<int8_t> coef_int8;         // lcq -dq: [groups][rank]
  std::vector<uint16_t> dq_scale_fp16;   // lcq -dq: [rank][dq_blocks]
  std::vector<uint16_t> offset_fp16;     // lcq: [groups]
  std::vector<uint16_t> basis_fp16;      // lcq: [rank][levels]

  int64_t groups_per_row() const { return cols / format.group; }
  int64_t num_groups() const { return rows * groups_per_row(); }
  int64_t dq_blocks() const { return (num_groups() + kDqBlockGroups - 1) / kDqBlockGroups; }
  int64_t words_per_row() const { return cols * format.bits / 32; }
  const uint32_t* row_codes(int64_t r) const { return codes.data() + r * words_per_row(); }

  // The 2^bits dequantized levels of group g, in fp32.
  void group_levels(int64_t g, float* lut) const;
  // Sum of the sizes of the arrays, in bytes.
  int64_t stored_bytes() const;
};

// Level tables of a matrix's groups with the fp16 basis and block scales
// converted once (what the CPU kernels use per group); the same arithmetic,
// in the same order, as QuantizedMatrix::group_levels. Holds a reference to q.
class GroupLevels {
 public:
  explicit GroupLevels(const QuantizedMatrix& q);
  void operator()(int64_t g, float* lut) const;

 private:
  const QuantizedMatrix& q_;
  std::vector<float> basis_;     // [rank][levels]
  std::vector<float> dq_scale_;  // [rank][dq_blocks]
};

// Element (r, c) dequantized the slow, obvious way (for tests and tools).
float dequantized_at(const QuantizedMatrix& q, int64_t r, int64_t c);

}  // namespace paralab::kernels
