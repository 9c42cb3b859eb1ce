#include "real/fit.h"

#include <algorithm>
#include <cassert>
#include <map>

#include "core/error.h"

namespace paralab::real {

AlphaBeta fit_alpha_beta(const std::vector<std::pair<double, double>>& pts) {
  assert(pts.size() >= 2);
  double n = static_cast<double>(pts.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (auto [x, y] : pts) {
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  double den = n * sxx - sx * sx;
  assert(den > 0 && "fit_alpha_beta needs two distinct sizes");
  double slope = (n * sxy - sx * sy) / den;
  double alpha = (sy - slope * sx) / n;
  if (alpha < 0) {  // through the origin
    alpha = 0;
    slope = sxy / sxx;
  }
  AlphaBeta r;
  r.alpha_seconds = alpha;
  r.bandwidth_bytes_per_s = slope > 0 ? 1.0 / slope : 0.0;
  double mean = sy / n, ss_tot = 0, ss_res = 0;
  for (auto [x, y] : pts) {
    double f = alpha + slope * x;
    ss_res += (y - f) * (y - f);
    ss_tot += (y - mean) * (y - mean);
  }
  r.r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 1.0;
  return r;
}

double busbw_factor(const std::string& kind, int n) {
  double dn = n;
  if (kind == "all_reduce") return 2.0 * (dn - 1) / dn;
  if (kind == "all_gather" || kind == "reduce_scatter" || kind == "all_to_all") return (dn - 1) / dn;
  if (kind == "broadcast" || kind == "send_recv" || kind == "reduce") return 1.0;
  throw InputError("unknown collective '" + kind +
                   "'; valid: all_reduce, all_gather, reduce_scatter, all_to_all, broadcast, reduce, send_recv");
}

EfficiencyCurve efficiency_curve(std::vector<std::pair<double, double>> pts, double peak) {
  assert(peak > 0);
  std::map<double, double> best;
  for (auto [size, rate] : pts) {
    if (size <= 0 || rate <= 0) continue;
    double& b = best[size];
    b = std::max(b, rate);
  }
  EfficiencyCurve c;
  for (auto [size, rate] : best) c.emplace_back(size, std::clamp(rate / peak, 1e-6, 1.0));
  return c;
}

}  // namespace paralab::real
