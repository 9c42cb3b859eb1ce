#include "kernels/lcq.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <random>

#include "kernels/half.h"
#include "kernels/lcq_solve.h"
#include "kernels/packing.h"
#include "kernels/rtn.h"

namespace paralab::kernels {

void LcqCodebook::group_levels(int64_t g, float* lut) const {
  const int L = levels();
  for (int u = 0; u < L; ++u) lut[u] = 0.0f;
  for (int r = 0; r < rank; ++r) {
    float c = coef[g * rank + r];
    for (int u = 0; u < L; ++u) lut[u] += c * basis[r * L + u];
  }
  for (int u = 0; u < L; ++u) lut[u] -= offset[g];
}

namespace {

uint8_t nearest_level(float w, const float* lut, int L) {
  int best = 0;
  float bd = std::fabs(w - lut[0]);
  for (int u = 1; u < L; ++u) {
    float d = std::fabs(w - lut[u]);
    if (d < bd) {
      bd = d;
      best = u;
    }
  }
  return static_cast<uint8_t>(best);
}

// h: per-weight importance of the group's columns (nullptr = all 1).
double group_sse(const float* w, const uint8_t* q, int n, const float* lut, const float* h) {
  double s = 0;
  for (int i = 0; i < n; ++i) {
    double d = static_cast<double>(w[i]) - lut[q[i]];
    s += (h ? h[i] : 1.0) * d * d;
  }
  return s;
}

// Per-level (weighted) count and sum of the weights of one group.
void group_hist(const float* w, const uint8_t* q, int n, int L, const float* h, double* cnt, double* sum) {
  for (int u = 0; u < L; ++u) cnt[u] = sum[u] = 0;
  for (int i = 0; i < n; ++i) {
    double hi = h ? h[i] : 1.0;
    cnt[q[i]] += hi;
    sum[q[i]] += hi * w[i];
  }
}

// The importance of group g's first column (groups run along a row).
const float* group_h(const LcqCodebook& cb, const float* col_weight, int64_t g) {
  return col_weight ? col_weight + (g * cb.group) % cb.cols : nullptr;
}

void assign_step(const float* w, LcqCodebook& cb) {
  float lut[16];
  for (int64_t g = 0; g < cb.num_groups(); ++g) {
    cb.group_levels(g, lut);
    const int64_t base = g * cb.group;
    for (int i = 0; i < cb.group; ++i) cb.codes[base + i] = nearest_level(w[base + i], lut, cb.levels());
  }
}

// Least squares for (S[g], beta[g]) of every group, levels' features
// f_u = (V[0][u], ..., V[k-1][u], -1).
void coef_step(const float* w, LcqCodebook& cb, const float* col_weight) {
  const int L = cb.levels(), k = cb.rank, n = k + 1;
  double cnt[16], sum[16], A[25], b[5], x0[5], x[5];
  float old_lut[16], new_lut[16];
  for (int64_t g = 0; g < cb.num_groups(); ++g) {
    const float* wg = w + g * cb.group;
    const uint8_t* qg = cb.codes.data() + g * cb.group;
    const float* hg = group_h(cb, col_weight, g);
    group_hist(wg, qg, cb.group, L, hg, cnt, sum);
    std::fill(A, A + n * n, 0.0);
    std::fill(b, b + n, 0.0);
    for (int u = 0; u < L; ++u) {
      if (cnt[u] == 0) continue;
      double f[5];
      for (int r = 0; r < k; ++r) f[r] = cb.basis[r * L + u];
      f[k] = -1.0;
      for (int i = 0; i < n; ++i) {
        b[i] += sum[u] * f[i];
        for (int j = 0; j < n; ++j) A[i * n + j] += cnt[u] * f[i] * f[j];
      }
    }
    for (int r = 0; r < k; ++r) x0[r] = cb.coef[g * k + r];
    x0[k] = cb.offset[g];
    if (!solve_proximal(A, b, x0, n, x)) continue;
    cb.group_levels(g, old_lut);
    std::vector<float> keep(cb.coef.begin() + g * k, cb.coef.begin() + (g + 1) * k);
    float keep_beta = cb.offset[g];
    for (int r = 0; r < k; ++r) cb.coef[g * k + r] = static_cast<float>(x[r]);
    cb.offset[g] = static_cast<float>(x[k]);
    cb.group_levels(g, new_lut);
    if (group_sse(wg, qg, cb.group, new_lut, hg) > group_sse(wg, qg, cb.group, old_lut, hg)) {
      std::copy(keep.begin(), keep.end(), cb.coef.begin() + g * k);  // never raise the loss
      cb.offset[g] = keep_beta;
    }
  }
}

// Least squares for each column V[:, u] given S, beta and the codes.
void basis_step(const float* w, LcqCodebook& cb, const float* col_weight) {
  const int L = cb.levels(), k = cb.rank;
  std::vector<double> A(L * k * k, 0.0), b(L * k, 0.0);
  double cnt[16], sum[16];
  for (int64_t g = 0; g < cb.num_groups(); ++g) {
    group_hist(w + g * cb.group, cb.codes.data() + g * cb.group, cb.group, L, group_h(cb, col_weight, g), cnt, sum);
    const float* s = cb.coef.data() + g * k;
    for (int u = 0; u < L; ++u) {
      if (cnt[u] == 0) continue;
      double t = sum[u] + cnt[u] * cb.offset[g];
      for (int i = 0; i < k; ++i) {
        b[u * k + i] += t * s[i];
        for (int j = 0; j < k; ++j) A[(u * k + i) * k + j] += cnt[u] * s[i] * s[j];
      }
    }
  }
  double before = lcq_weight_sse(w, cb, col_weight);
  std::vector<float> keep = cb.basis;
  for (int u = 0; u < L; ++u) {
    double x0[4], x[4];
    for (int r = 0; r < k; ++r) x0[r] = cb.basis[r * L + u];
    if (!solve_proximal(&A[u * k * k], &b[u * k], x0, k, x)) continue;
    for (int r = 0; r < k; ++r) cb.basis[r * L + u] = static_cast<float>(x[r]);
  }
  if (lcq_weight_sse(w, cb, col_weight) > before) cb.basis = keep;  // never raise the loss
}

}  // namespace

double lcq_weight_sse(const float* w, const LcqCodebook& cb, const float* col_weight) {
  float lut[16];
  double s = 0;
  for (int64_t g = 0; g < cb.num_groups(); ++g) {
    cb.group_levels(g, lut);
    s += group_sse(w + g * cb.group, cb.codes.data() + g * cb.group, cb.group, lut, group_h(cb, col_weight, g));
  }
  return s;
}

LcqCodebook lcq_init_rtn(const float* w, int64_t rows, int64_t cols, int bits, int group) {
  assert(bits >= 1 && bits <= 4 && cols % group == 0);
  LcqCodebook cb;
  cb.rank = 1;
  cb.bits = bits;
  cb.group = group;
  cb.rows = rows;
  cb.cols = cols;
  const int L = cb.levels();
  cb.basis.resize(L);
  for (int u = 0; u < L; ++u) cb.basis[u] = static_cast<float>(u);
  cb.coef.resize(cb.num_groups());
  cb.offset.resize(cb.num_groups());
  cb.codes.resize(rows * cols);
  for (int64_t g = 0; g < cb.num_groups(); ++g) {
    const float* wg = w + g * group;
    UniformGroup p = rtn_group_params(wg, group, L);
    cb.coef[g] = p.scale;
    cb.offset[g] = p.scale * p.zero;  // exact: an fp16 scale times an integer < 16
    for (int i = 0; i < group; ++i) cb.codes[g * group + i] = rtn_code(wg[i], p, L);
  }
  return cb;
}

LcqCodebook lcq_add_rank(const LcqCodebook& cb, int new_rank, uint64_t seed) {
  assert(new_rank >= cb.rank && new_rank <= 4);
  LcqCodebook out = cb;
  const int L = cb.levels();
  out.rank = new_rank;
  out.coef.assign(cb.num_groups() * new_rank, 0.0f);
  for (int64_t g = 0; g < cb.num_groups(); ++g)
    for (int r = 0; r < cb.rank; ++r) out.coef[g * new_rank + r] = cb.coef[g * cb.rank + r];
  out.basis.resize(new_rank * L);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(new_rank));
  std::normal_distribution<float> normal(0.0f, 0.5f * static_cast<float>(L - 1));
  for (int r = cb.rank; r < new_rank; ++r)
    for (int u = 0; u < L; ++u) out.basis[r * L + u] = normal(rng);
  return out;
}

void lcq_als(const float* w, LcqCodebook& cb, int iterations, std::vector<double>* trace, const float* col_weight) {
  if (trace) trace->push_back(lcq_weight_sse(w, cb, col_weight));
  for (int it = 0; it < iterations; ++it) {
    assign_step(w, cb);  // nearest level: optimal for any per-weight importance
    if (trace) trace->push_back(lcq_weight_sse(w, cb, col_weight));
    coef_step(w, cb, col_weight);
    if (trace) trace->push_back(lcq_weight_sse(w, cb, col_weight));
    basis_step(w, cb, col_weight);
    if (trace) trace->push_back(lcq_weight_sse(w, cb, col_weight));
  }
}

QuantizedMatrix lcq_store(const float* w, const LcqCodebook& cb, bool double_quant) {
  QuantizedMatrix q;
  q.format = QuantFormat{QuantKind::kLcq, cb.bits, cb.group, cb.rank, double_quant};
  q.rows = cb.rows;
  q.cols = cb.cols;
  const int L = cb.levels(), k = cb.rank;
  const int64_t G = cb.num_groups();
  for (float v : cb.basis) q.basis_fp16.push_back(float_to_half(v));
  for (float v : cb.offset) q.offset_fp16.push_back(float_to_half(v));
  if (!double_quant) {
    for (float v : cb.coef) q.coef_fp16.push_back(float_to_half(v));
  } else {
    q.coef_int8.resize(G * k);
    q.dq_scale_fp16.resize(k * q.dq_blocks());
    for (int r = 0; r < k; ++r)
      for (int64_t blk = 0; blk < q.dq_blocks(); ++blk) {
        int64_t g0 = blk * kDqBlockGroups, g1 = std::min(G, g0 + kDqBlockGroups);
        float amax = 0;
        for (int64_t g = g0; g < g1; ++g) amax = std::max(amax, std::fabs(cb.coef[g * k + r]));
        uint16_t sh = float_to_half(amax / 127.0f);
        float s = half_to_float(sh);
        q.dq_scale_fp16[r * q.dq_blocks() + blk] = sh;
        for (int64_t g = g0; g < g1; ++g) {
          float c = s > 0 ? std::nearbyint(cb.coef[g * k + r] / s) : 0.0f;
          q.coef_int8[g * k + r] = static_cast<int8_t>(std::clamp(c, -127.0f, 127.0f));
        }
      }
  }
  q.codes.resize(q.rows * q.words_per_row());
  std::vector<uint8_t> row(q.cols);
  float lut[16];
  for (int64_t r = 0; r < q.rows; ++r) {
    for (int64_t gc = 0; gc < q.groups_per_row(); ++gc) {
      int64_t g = r * q.groups_per_row() + gc;
      q.group_levels(g, lut);
      for (int i = 0; i < cb.group; ++i)
        row[gc * cb.group + i] = nearest_level(w[g * cb.group + i], lut, L);
    }
    pack_codes(row.data(), q.cols, q.format.bits, q.codes.data() + r * q.words_per_row());
  }
  return q;
}

}  // namespace paralab::kernels
