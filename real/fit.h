// Fits that turn micro-benchmark points into cost-model parameters.
//
// - Alpha-beta (Hockney): T(m) = alpha + m / bandwidth, fitted by least
//   squares over (bytes, seconds) points; alpha is clamped at 0 (a negative
//   intercept is noise), in which case the bandwidth is refitted through the
//   origin.
// - Bus bandwidth factors for collectives, as nccl-tests defines them:
//   busbw = algbw x factor (all_reduce 2(n-1)/n; all_gather, reduce_scatter,
//   all_to_all (n-1)/n; broadcast, send_recv 1).
// - Efficiency curves: (size, achieved rate) points -> (size, rate / peak),
//   sorted by size, one point per size (the best), clamped into (0, 1].
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/hardware_profile.h"

namespace paralab::real {

struct AlphaBeta {
  double alpha_seconds = 0;
  double bandwidth_bytes_per_s = 0;
  double r2 = 0;  // coefficient of determination of the fit
};

// REQUIRES: at least two points with distinct byte counts.
AlphaBeta fit_alpha_beta(const std::vector<std::pair<double, double>>& bytes_seconds);

// nccl-tests bus bandwidth factor; InputError for an unknown kind.
double busbw_factor(const std::string& collective_kind, int ranks);

// REQUIRES: peak > 0.
EfficiencyCurve efficiency_curve(std::vector<std::pair<double, double>> size_rate, double peak);

}  // namespace paralab::real
