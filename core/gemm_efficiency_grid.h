// GemmEfficiencyGrid: calibrated GEMM efficiency by shape (m, n, k).
//
// One FLOPs-keyed curve cannot describe a device whose GEMMs of equal FLOPs
// run at different rates by aspect (the backward GEMMs dX = dY W^T and
// dW = X^T dY have the forward GEMM's FLOPs but other (m, n, k)). The grid
// holds an achieved/peak efficiency at every point of a rectilinear grid
// m[i] x n[j] x k[l]; at() interpolates trilinearly in (log m, log n, log k)
// and clamps each coordinate to its axis' range, so a calibrated point
// returns exactly its value and a shape between two points on one axis gets
// the value linear in log(size) between them.
//
// Invariants (check() reports the first one broken, at() REQUIRES them):
//  1. each axis is non-empty, strictly ascending, values > 0;
//  2. efficiency.size() == m.size() * n.size() * k.size(), index
//     (i * n.size() + j) * k.size() + l, every value in (0, 1].
// Thread-safety: plain value.
#pragma once

#include <string>
#include <vector>

namespace paralab {

struct GemmEfficiencyGrid {
  std::vector<double> m, n, k;
  std::vector<double> efficiency;

  bool empty() const { return efficiency.empty(); }
  size_t index(size_t i, size_t j, size_t l) const { return (i * n.size() + j) * k.size() + l; }
  // "" when the invariants hold, else what is wrong (e.g. "axis n is not ascending at 3").
  std::string check() const;
  // REQUIRES: !empty() and check() == "".
  double at(double gm, double gn, double gk) const;
  bool operator==(const GemmEfficiencyGrid&) const = default;
};

}  // namespace paralab
