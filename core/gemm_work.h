// The work of a GEMM op of shape (m, n, k): 2 m n k FLOPs and its three
// matrices' bytes, both twice that for a backward (GemmShape::backward).
// One formula for the TaskGraph's GEMM ops and the planners that price the
// same ops without building a graph.
#pragma once

#include <cstdint>

#include "core/units.h"

namespace paralab {

struct GemmWork {
  double flops = 0, bytes = 0;
};

inline GemmWork gemm_work(int64_t m, int64_t n, int64_t k, DType dtype, bool backward) {
  const double b = dtype_bytes(dtype), passes = backward ? 2 : 1;
  return {passes * 2.0 * double(m) * double(n) * double(k),
          passes * b * (double(m) * double(k) + double(k) * double(n) + double(m) * double(n))};
}

}  // namespace paralab
