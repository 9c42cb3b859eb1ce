#include "strategies/inference/flexgen_cost_model.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace paralab {

namespace {

constexpr double kGiBytes = 1024.0 * 1024.0 * 1024.0, kT = 1e12;  // FlexGen's GB = 2^30

double lg(double x) { return std::max(0.0, std::log2(x)); }

}  // namespace

FlexGenConstants flexgen_t4_constants() {
  FlexGenConstants c;
  c.ctog = 12.89 * kGiBytes, c.gtoc_cache = 0.97 * kGiBytes, c.gtoc_hidden = 4.82 * kGiBytes, c.dtoc = 0.473 * kGiBytes;
  c.ctod_cache_p = 0.746 * kGiBytes, c.ctod_hidden_p = 2.015 * kGiBytes, c.ctod_g = 2.015 * kGiBytes;
  c.mm_p = 21.24 * kT, c.mm_g = 4.3 * kT, c.bmm_p = 9.97 * kT, c.bmm_g = 0.079 * kT, c.cpu = 0.0123 * kT;
  c.c1 = 0.0168, c.c2 = 0.0328, c.c3 = 0.0621;
  c.gmem = 15 * kGiBytes, c.cmem = 204 * kGiBytes, c.nmem = 1500 * kGiBytes;
  return c;
}

FlexGenEstimate flexgen_estimate(const FlexGenModelDims& m, int64_t s_, int64_t n_, const FlexGenPolicy& p,
                                 const FlexGenConstants& hw, double alpha) {
  const double l = double(m.layers), h1 = double(m.h1), h2 = double(m.h2), nh = double(m.heads);
  const double s = double(s_), n = double(n_), gbs = double(p.gbs), bls = double(p.gbs * p.nb);
  const double wn = 1 - p.wg - p.wc, cn = 1 - p.cg - p.cc, hn = 1 - p.hg - p.hc;
  double wi = 8 * h1 * h1 + 4 * h1 * h2;
  if (p.compress_weight) wi /= 4;
  FlexGenEstimate e;
  // Prefill, per layer.
  double ctog_p = (wi * (p.wc + wn) + 2 * s * h1 * bls * (p.hc + hn)) / hw.ctog;
  double gtoc_p = 4 * (s + 1) * h1 * bls * (p.cc + cn) / hw.gtoc_cache + 2 * s * h1 * bls * (p.hc + hn) / hw.gtoc_hidden;
  double dtoc_p = (wi * wn + 2 * s * h1 * bls * hn) / hw.dtoc;
  double ctod_p = 4 * bls * (s + 1) * h1 * cn / hw.ctod_cache_p + 2 * s * h1 * bls * hn / hw.ctod_hidden_p;
  double comp_p = bls * (8 * s * h1 * h1 + 4 * s * h1 * h2) / hw.mm_p + 4 * bls * s * s * h1 / hw.bmm_p;
  e.t_pre_layer = std::max({ctog_p + dtoc_p, gtoc_p + ctod_p, comp_p});
  // Decode, per layer and token.
  const double ctx = s + n / 2;
  double ctog_g = (wi * (p.wc + wn) + 2 * h1 * bls * (p.hc + hn)) / hw.ctog;
  double gtoc_g = 2 * h1 * bls * (p.hc + hn) / hw.gtoc_hidden;
  double dtoc_g = (4 * bls * ctx * h1 * cn + 2 * h1 * bls * hn) / hw.dtoc + wi * wn / (0.95 * hw.dtoc);
  double ctod_g = (4 * bls * h1 * cn + 2 * h1 * bls * hn) / hw.ctod_g;
  double f_cpu = hw.cpu * std::max(0.1, 1 + hw.c1 * lg(64 / gbs) * lg(4096 / h1) - hw.c2 * lg(64 / gbs) - hw.c3 * lg(4096 / h1));
  double comp_g = bls * (8 * h1 * h1 + 4 * h1 * h2) / hw.mm_g + 4 * bls * ctx * h1 * p.cg / hw.bmm_g +
                  4 * bls * ctx * h1 * (p.cc + cn) / f_cpu;
  e.t_gen_layer = ctog_g + std::max({gtoc_g, dtoc_g, ctod_g, comp_g});
  e.total_seconds = e.t_pre_layer * l + e.t_gen_layer * (n - 1) * l;
  e.tokens_per_second = bls * n / e.total_seconds;
  // Memory (REFERENCES Part B 2.3), the larger of prefill and decode.
  double inter_p = 8 * gbs * s * h1 + gbs * (2 * s * h1 + 2 * nh * s * s) + 2 * gbs * s * h1 + 4 * gbs * s * h1 +
                   2 * gbs * s * h2 + 2 * gbs * s * h1;
  double gpu_p = wi * l * p.wg + 2 * s * h1 * bls * p.hg + 4 * (s + n) * h1 * bls * l * p.cg + 2 * wi * (1 - p.wg) +
                 2 * s * h1 * gbs * (1 - p.hg) + inter_p;
  double inter_g = 8 * gbs * h1 + gbs * (2 * h1 + 2 * (s + n) * h1 + 2 * nh * (s + n)) * p.cg +
                   gbs * (2 * (s + n) * h1 + 2 * h1) * p.cg + 4 * gbs * h1 + 2 * gbs * h2 + 2 * gbs * h1;
  double gpu_g = wi * l * p.wg + 2 * h1 * bls * p.hg + 4 * (s + n) * h1 * bls * l * p.cg + 2 * wi * (1 - p.wg) +
                 2 * h1 * gbs * (1 - p.hg) + 4 * gbs * (s + n) * h1 * p.cg + inter_g;
  double cpu_p = wi * l * p.wc + 2 * s * h1 * bls * p.hc + 4 * s * h1 * bls * l * p.cc + wi * (1 - p.wg) +
                 2 * s * h1 * gbs * (1 - p.hg);
  double cpu_g = wi * l * p.wc + 2 * h1 * bls * p.hc + 4 * (s + n) * h1 * bls * l * p.cc + wi * wn + 4 * h1 * gbs * hn +
                 8 * (s + n) * h1 * gbs * cn + 2 * nh * (s + n) * gbs + 2 * h1 * gbs;
  e.gpu_peak_bytes = std::max(gpu_p, gpu_g);
  e.cpu_peak_bytes = std::max(cpu_p, cpu_g);
  e.nvme_bytes = wi * l * wn + 2 * s * h1 * bls * hn + 4 * (s + n) * h1 * bls * l * cn;
  e.fits = e.gpu_peak_bytes <= alpha * hw.gmem && e.cpu_peak_bytes <= alpha * hw.cmem &&
           e.nvme_bytes <= alpha * hw.nmem;
  return e;
}

namespace {

// Best placement for a fixed (gbs, nb); fits == false when none fits.
std::pair<FlexGenPolicy, FlexGenEstimate> best_placement(const FlexGenModelDims& m, int64_t s, int64_t n,
                                                         FlexGenPolicy p, const FlexGenConstants& hw) {
  FlexGenPolicy best = p;
  FlexGenEstimate be;
  for (int wg = 0; wg <= 20; ++wg)
    for (int wc = 0; wg + wc <= 20; ++wc)
      for (int cg = 0; cg <= 4; ++cg)
        for (int cc = 0; cg + cc <= 4; ++cc)
          for (int hg = 0; hg <= 1; ++hg) {
            FlexGenPolicy q = p;
            q.wg = wg / 20.0, q.wc = wc / 20.0, q.cg = cg / 4.0, q.cc = cc / 4.0, q.hg = hg, q.hc = 1 - hg;
            FlexGenEstimate e = flexgen_estimate(m, s, n, q, hw);
            if (e.fits && (!be.fits || e.tokens_per_second > be.tokens_per_second)) best = q, be = e;
          }
  return {best, be};
}

}  // namespace

FlexGenPolicy flexgen_policy_search(const FlexGenModelDims& m, int64_t s, int64_t n, const FlexGenConstants& hw,
                                    bool compress_weight, int64_t fixed_bls) {
  FlexGenPolicy best;
  best.compress_weight = compress_weight;
  double best_tps = -1;
  std::vector<int64_t> gbs_list = {1, 2, 3, 4};
  for (int64_t g = 8; g <= 512; g *= 2) gbs_list.push_back(g);
  for (int64_t gbs : gbs_list) {
    double prev = -1;
    for (int64_t nb = 1; nb <= 64; ++nb) {
      if (fixed_bls > 0 && gbs * nb != fixed_bls) {
        if (gbs * nb > fixed_bls) break;
        continue;
      }
      FlexGenPolicy p;
      p.gbs = gbs, p.nb = nb, p.compress_weight = compress_weight;
      auto [q, e] = best_placement(m, s, n, p, hw);
      if (!e.fits) break;  // more GPU batches only need more memory
      if (e.tokens_per_second > best_tps) best = q, best_tps = e.tokens_per_second;
      if (fixed_bls == 0 && e.tokens_per_second < prev) break;  // FlexGen stops once throughput drops
      prev = e.tokens_per_second;
    }
  }
  return best;
}

}  // namespace paralab
