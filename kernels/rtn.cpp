#include "kernels/rtn.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include "kernels/half.h"
#include "kernels/packing.h"

namespace paralab::kernels {

UniformGroup rtn_group_params(const float* w, int64_t n, int levels) {
  float lo = w[0], hi = w[0];
  for (int64_t i = 1; i < n; ++i) {
    lo = std::min(lo, w[i]);
    hi = std::max(hi, w[i]);
  }
  UniformGroup p;
  p.scale = round_to_half((hi - lo) / static_cast<float>(levels - 1));
  if (!(p.scale > 0.0f)) {  // a constant group (or a range below fp16's reach)
    float a = std::max(std::fabs(lo), std::fabs(hi));
    p.scale = a > 0.0f ? round_to_half(a) : 1.0f;
    if (!(p.scale > 0.0f)) p.scale = 1.0f;
  }
  float z = std::nearbyint(-lo / p.scale);
  p.zero = std::clamp(z, 0.0f, static_cast<float>(levels - 1));
  return p;
}

QuantizedMatrix quantize_rtn(const float* w, int64_t rows, int64_t cols, const QuantFormat& f) {
  assert(f.kind == QuantKind::kRtn && cols % f.group == 0);
  QuantizedMatrix q;
  q.format = f;
  q.rows = rows;
  q.cols = cols;
  const int64_t G = q.num_groups();
  q.scale_fp16.resize(G);
  q.zero_fp16.resize(G);
  q.codes.resize(rows * q.words_per_row());
  std::vector<uint8_t> row_codes(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t gc = 0; gc < q.groups_per_row(); ++gc) {
      const float* wg = w + r * cols + gc * f.group;
      UniformGroup p = rtn_group_params(wg, f.group, f.levels());
      int64_t g = r * q.groups_per_row() + gc;
      q.scale_fp16[g] = float_to_half(p.scale);
      q.zero_fp16[g] = float_to_half(p.zero);
      for (int i = 0; i < f.group; ++i) row_codes[gc * f.group + i] = rtn_code(wg[i], p, f.levels());
    }
    pack_codes(row_codes.data(), cols, f.bits, q.codes.data() + r * q.words_per_row());
  }
  return q;
}

}  // namespace paralab::kernels
