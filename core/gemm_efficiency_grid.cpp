#include "core/gemm_efficiency_grid.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace paralab {

namespace {

std::string check_axis(const std::vector<double>& a, const char* name) {
  if (a.empty()) return std::string("axis ") + name + " is empty";
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] > 0)) return std::string("axis ") + name + " has a non-positive value at " + std::to_string(i);
    if (i > 0 && a[i] <= a[i - 1]) return std::string("axis ") + name + " is not ascending at " + std::to_string(i);
  }
  return "";
}

// Lower cell index and weight of the upper one for x on axis a (log scale, clamped).
void locate(const std::vector<double>& a, double x, size_t* lo, double* t) {
  if (a.size() == 1 || x <= a.front()) {
    *lo = 0;
    *t = 0;
    return;
  }
  if (x >= a.back()) {
    *lo = a.size() - 2;
    *t = 1;
    return;
  }
  size_t hi = size_t(std::upper_bound(a.begin(), a.end(), x) - a.begin());
  *lo = hi - 1;
  *t = (std::log(x) - std::log(a[hi - 1])) / (std::log(a[hi]) - std::log(a[hi - 1]));
}

}  // namespace

std::string GemmEfficiencyGrid::check() const {
  for (auto [axis, name] : {std::pair{&m, "m"}, std::pair{&n, "n"}, std::pair{&k, "k"}})
    if (std::string e = check_axis(*axis, name); !e.empty()) return e;
  if (efficiency.size() != m.size() * n.size() * k.size())
    return "efficiency has " + std::to_string(efficiency.size()) + " values, expected m x n x k = " +
           std::to_string(m.size() * n.size() * k.size());
  for (size_t i = 0; i < efficiency.size(); ++i)
    if (!(efficiency[i] > 0 && efficiency[i] <= 1))
      return "efficiency[" + std::to_string(i) + "] = " + std::to_string(efficiency[i]) + " is outside (0, 1]";
  return "";
}

double GemmEfficiencyGrid::at(double gm, double gn, double gk) const {
  assert(!empty());
  size_t i, j, l;
  double ti, tj, tl;
  locate(m, gm, &i, &ti);
  locate(n, gn, &j, &tj);
  locate(k, gk, &l, &tl);
  // Corners beyond a one-point axis have weight 0; clamp their index.
  size_t i1 = std::min(i + 1, m.size() - 1), j1 = std::min(j + 1, n.size() - 1), l1 = std::min(l + 1, k.size() - 1);
  double v = 0;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b)
      for (int c = 0; c < 2; ++c) {
        double w = (a ? ti : 1 - ti) * (b ? tj : 1 - tj) * (c ? tl : 1 - tl);
        if (w == 0) continue;
        v += w * efficiency[index(a ? i1 : i, b ? j1 : j, c ? l1 : l)];
      }
  return v;
}

}  // namespace paralab
