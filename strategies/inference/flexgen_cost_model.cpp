#include "strategies/inference/flexgen_cost_model.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <coin/CoinPackedMatrix.hpp>
#include <coin/CoinPackedVector.hpp>
#include <coin/OsiClpSolverInterface.hpp>

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

namespace {

// Placement vector x = (wg, wc, wn, cg, cc, cn, hg, hc, hn). Every term
// below is affine in x for a fixed (gbs, nb), which is what makes the
// policy search an LP.
constexpr int kX = 9;
struct Terms {
  double pre[3];  // ctog_p + dtoc_p, gtoc_p + ctod_p, comp_p
  double gen[4];  // ctog_g + each of gtoc_g, dtoc_g, ctod_g, comp_g
  double gpu_p, gpu_g, cpu_p, cpu_g, nvme;
};

Terms terms(const FlexGenModelDims& m, double s, double n, const FlexGenPolicy& p, const double* x,
            const FlexGenConstants& hw) {
  const double l = double(m.layers), h1 = double(m.h1), h2 = double(m.h2), nh = double(m.heads);
  const double gbs = double(p.gbs), bls = double(p.gbs * p.nb);
  const double wg = x[0], wc = x[1], wn = x[2], cg = x[3], cc = x[4], cn = x[5], hg = x[6], hc = x[7], hn = x[8];
  double wi = 8 * h1 * h1 + 4 * h1 * h2;
  if (p.compress_weight) wi /= 4;
  Terms t;
  double ctog_p = (wi * (wc + wn) + 2 * s * h1 * bls * (hc + hn)) / hw.ctog;
  double gtoc_p = 4 * (s + 1) * h1 * bls * (cc + cn) / hw.gtoc_cache + 2 * s * h1 * bls * (hc + hn) / hw.gtoc_hidden;
  double dtoc_p = (wi * wn + 2 * s * h1 * bls * hn) / hw.dtoc;
  double ctod_p = 4 * bls * (s + 1) * h1 * cn / hw.ctod_cache_p + 2 * s * h1 * bls * hn / hw.ctod_hidden_p;
  double comp_p = bls * (8 * s * h1 * h1 + 4 * s * h1 * h2) / hw.mm_p + 4 * bls * s * s * h1 / hw.bmm_p;
  t.pre[0] = ctog_p + dtoc_p, t.pre[1] = gtoc_p + ctod_p, t.pre[2] = comp_p;
  const double ctx = s + n / 2;
  double ctog_g = (wi * (wc + wn) + 2 * h1 * bls * (hc + hn)) / hw.ctog;
  double gtoc_g = 2 * h1 * bls * (hc + hn) / hw.gtoc_hidden;
  double dtoc_g = (4 * bls * ctx * h1 * cn + 2 * h1 * bls * hn) / hw.dtoc + wi * wn / (0.95 * hw.dtoc);
  double ctod_g = (4 * bls * h1 * cn + 2 * h1 * bls * hn) / hw.ctod_g;
  double f_cpu = hw.cpu * std::max(0.1, 1 + hw.c1 * lg(64 / gbs) * lg(4096 / h1) - hw.c2 * lg(64 / gbs) - hw.c3 * lg(4096 / h1));
  double comp_g = bls * (8 * h1 * h1 + 4 * h1 * h2) / hw.mm_g + 4 * bls * ctx * h1 * cg / hw.bmm_g +
                  4 * bls * ctx * h1 * (cc + cn) / f_cpu;
  t.gen[0] = ctog_g + gtoc_g, t.gen[1] = ctog_g + dtoc_g, t.gen[2] = ctog_g + ctod_g, t.gen[3] = ctog_g + comp_g;
  double inter_p = 8 * gbs * s * h1 + gbs * (2 * s * h1 + 2 * nh * s * s) + 2 * gbs * s * h1 + 4 * gbs * s * h1 +
                   2 * gbs * s * h2 + 2 * gbs * s * h1;
  t.gpu_p = wi * l * wg + 2 * s * h1 * bls * hg + 4 * (s + n) * h1 * bls * l * cg + 2 * wi * (1 - wg) +
            2 * s * h1 * gbs * (1 - hg) + inter_p;
  double inter_g = 8 * gbs * h1 + gbs * (2 * h1 + 2 * (s + n) * h1 + 2 * nh * (s + n)) * cg +
                   gbs * (2 * (s + n) * h1 + 2 * h1) * cg + 4 * gbs * h1 + 2 * gbs * h2 + 2 * gbs * h1;
  t.gpu_g = wi * l * wg + 2 * h1 * bls * hg + 4 * (s + n) * h1 * bls * l * cg + 2 * wi * (1 - wg) + 2 * h1 * gbs * (1 - hg) +
            4 * gbs * (s + n) * h1 * cg + inter_g;
  t.cpu_p = wi * l * wc + 2 * s * h1 * bls * hc + 4 * s * h1 * bls * l * cc + wi * (1 - wg) + 2 * s * h1 * gbs * (1 - hg);
  t.cpu_g = wi * l * wc + 2 * h1 * bls * hc + 4 * (s + n) * h1 * bls * l * cc + wi * wn + 4 * h1 * gbs * hn +
            8 * (s + n) * h1 * gbs * cn + 2 * nh * (s + n) * gbs + 2 * h1 * gbs;
  t.nvme = wi * l * wn + 2 * s * h1 * bls * hn + 4 * (s + n) * h1 * bls * l * cn;
  return t;
}

}  // namespace

FlexGenEstimate flexgen_estimate(const FlexGenModelDims& m, int64_t s, int64_t n, const FlexGenPolicy& p,
                                 const FlexGenConstants& hw, double alpha) {
  const double x[kX] = {p.wg, p.wc, 1 - p.wg - p.wc, p.cg, p.cc, 1 - p.cg - p.cc, p.hg, p.hc, 1 - p.hg - p.hc};
  Terms t = terms(m, double(s), double(n), p, x, hw);
  FlexGenEstimate e;
  e.t_pre_layer = std::max({t.pre[0], t.pre[1], t.pre[2]});
  e.t_gen_layer = std::max({t.gen[0], t.gen[1], t.gen[2], t.gen[3]});
  e.total_seconds = e.t_pre_layer * double(m.layers) + e.t_gen_layer * double(n - 1) * double(m.layers);
  e.tokens_per_second = double(p.gbs * p.nb) * double(n) / e.total_seconds;
  e.gpu_peak_bytes = std::max(t.gpu_p, t.gpu_g);
  e.cpu_peak_bytes = std::max(t.cpu_p, t.cpu_g);
  e.nvme_bytes = t.nvme;
  e.fits = e.gpu_peak_bytes <= alpha * hw.gmem && e.cpu_peak_bytes <= alpha * hw.cmem && e.nvme_bytes <= alpha * hw.nmem;
  return e;
}

namespace {

// The LP of FlexGen's policy search for a fixed (gbs, nb): variables x (9
// placement fractions), Tpre, Tgen; minimise l*Tpre + (n-1)*l*Tgen subject
// to each prefill / decode term <= Tpre / Tgen, the memory limits, each
// triple summing to 1 and hn = 0. Term coefficients are read off the affine
// terms() by evaluating it at 0 and at each unit vector. Solved with Clp
// (CBC's LP engine) through OsiClp. fits == false when infeasible.
}  // namespace

std::pair<FlexGenPolicy, FlexGenEstimate> flexgen_best_placement(const FlexGenModelDims& m, int64_t s, int64_t n,
                                                                 FlexGenPolicy p, const FlexGenConstants& hw) {
  constexpr double alpha = 0.8;
  auto flat = [](const Terms& t) {
    return std::vector<double>{t.pre[0], t.pre[1], t.pre[2], t.gen[0], t.gen[1], t.gen[2], t.gen[3],
                               t.gpu_p,  t.gpu_g,  t.cpu_p,  t.cpu_g,  t.nvme};
  };
  double zero[kX] = {};
  const std::vector<double> f0 = flat(terms(m, double(s), double(n), p, zero, hw));
  std::vector<std::vector<double>> coef(f0.size(), std::vector<double>(kX));
  for (int i = 0; i < kX; ++i) {
    double e[kX] = {};
    e[i] = 1;
    std::vector<double> fi = flat(terms(m, double(s), double(n), p, e, hw));
    for (size_t k = 0; k < f0.size(); ++k) coef[k][i] = fi[k] - f0[k];
  }
  const int cols = kX + 2, tpre = kX, tgen = kX + 1;
  CoinPackedMatrix mat(false, 0, 0);
  mat.setDimensions(0, cols);
  std::vector<double> row_lo, row_hi;
  auto add_row = [&](const std::vector<double>& c, double lo, double hi) {
    CoinPackedVector v;
    for (int i = 0; i < cols; ++i)
      if (c[i] != 0) v.insert(i, c[i]);
    mat.appendRow(v);
    row_lo.push_back(lo), row_hi.push_back(hi);
  };
  for (int k = 0; k < 7; ++k) {  // term_k(x) - T <= 0
    std::vector<double> c(cols, 0.0);
    for (int i = 0; i < kX; ++i) c[i] = coef[k][i];
    c[k < 3 ? tpre : tgen] = -1;
    add_row(c, -COIN_DBL_MAX, -f0[k]);
  }
  const double caps[5] = {alpha * hw.gmem, alpha * hw.gmem, alpha * hw.cmem, alpha * hw.cmem, alpha * hw.nmem};
  for (int k = 7; k < 12; ++k) {
    std::vector<double> c(cols, 0.0);
    for (int i = 0; i < kX; ++i) c[i] = coef[k][i];
    add_row(c, -COIN_DBL_MAX, caps[k - 7] - f0[k]);
  }
  for (int tri = 0; tri < 3; ++tri) {
    std::vector<double> c(cols, 0.0);
    c[3 * tri] = c[3 * tri + 1] = c[3 * tri + 2] = 1;
    add_row(c, 1, 1);
  }
  std::vector<double> col_lo(cols, 0.0), col_hi(cols, 1.0), obj(cols, 0.0);
  col_hi[8] = 0;  // hn: hidden states cannot go to disk
  col_hi[tpre] = col_hi[tgen] = COIN_DBL_MAX;
  obj[tpre] = double(m.layers), obj[tgen] = double(n - 1) * double(m.layers);
  OsiClpSolverInterface lp;
  lp.messageHandler()->setLogLevel(0);
  lp.loadProblem(mat, col_lo.data(), col_hi.data(), obj.data(), row_lo.data(), row_hi.data());
  lp.initialSolve();
  FlexGenEstimate none;
  if (!lp.isProvenOptimal()) return {p, none};
  const double* x = lp.getColSolution();
  FlexGenPolicy q = p;
  auto clamp01 = [](double v) { return v <= 1e-12 ? 0.0 : std::min(v, 1.0); };  // no -0 in reports
  q.wg = clamp01(x[0]), q.wc = clamp01(x[1]), q.cg = clamp01(x[3]), q.cc = clamp01(x[4]), q.hg = clamp01(x[6]);
  q.hc = 1 - q.hg;
  FlexGenEstimate e = flexgen_estimate(m, s, n, q, hw, alpha + 1e-9);
  return {q, e};
}

FlexGenPolicy flexgen_policy_search(const FlexGenModelDims& m, int64_t s, int64_t n, const FlexGenConstants& hw,
                                    bool compress_weight, int64_t fixed_bls) {
  FlexGenPolicy best;
  best.compress_weight = compress_weight;
  double best_tps = -1;
  std::vector<int64_t> gbs_list = {1, 2, 3, 4};
  for (int64_t g = 8; g <= 512; g *= 2) gbs_list.push_back(g);
  if (fixed_bls > 0) {  // a stated block size: every GPU batch that divides it
    gbs_list.clear();
    for (int64_t g = 1; g <= fixed_bls; ++g)
      if (fixed_bls % g == 0) gbs_list.push_back(g);
  }
  for (int64_t gbs : gbs_list) {
    double prev = -1;
    for (int64_t nb = 1; nb <= 64; ++nb) {
      if (fixed_bls > 0 && gbs * nb != fixed_bls) {
        if (gbs * nb > fixed_bls) break;
        continue;
      }
      FlexGenPolicy p;
      p.gbs = gbs, p.nb = nb, p.compress_weight = compress_weight;
      auto [q, e] = flexgen_best_placement(m, s, n, p, hw);
      if (!e.fits) break;  // more GPU batches only need more memory
      if (e.tokens_per_second > best_tps) best = q, best_tps = e.tokens_per_second;
      if (fixed_bls == 0 && e.tokens_per_second < prev) break;  // FlexGen stops once throughput drops
      prev = e.tokens_per_second;
    }
  }
  return best;
}

}  // namespace paralab
