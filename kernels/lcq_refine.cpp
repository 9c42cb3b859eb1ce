// lcq_refine_output (declared in lcq.h): Adam on the layer-output loss
//   E = ||X (W - W_hat)^T||_F^2 = sum_rows d_r H d_r^T,  H = X^T X,  D = W - W_hat,
// whose gradient with respect to W_hat is -2 D H. The rounding is crossed
// straight-through: dE/dlevel[g][u] = sum of dE/dW_hat over the weights of
// group g with code u; codes are re-assigned to the nearest level after every
// step. The best iterate (lowest E) is kept.
#include <algorithm>
#include <cmath>

#include "kernels/blas.h"
#include "kernels/lcq.h"

namespace paralab::kernels {

namespace {

struct Adam {
  std::vector<double> m, v;
  double lr = 0;
  void init(const std::vector<float>& p, float lr_rel) {
    m.assign(p.size(), 0.0);
    v.assign(p.size(), 0.0);
    double a = 0;
    for (float x : p) a += std::fabs(x);
    lr = lr_rel * (p.empty() ? 0.0 : a / static_cast<double>(p.size()));
  }
  void step(std::vector<float>& p, const std::vector<double>& g, int t) {
    const double b1 = 0.9, b2 = 0.999, eps = 1e-30;
    for (size_t i = 0; i < p.size(); ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      double mh = m[i] / (1 - std::pow(b1, t)), vh = v[i] / (1 - std::pow(b2, t));
      p[i] -= static_cast<float>(lr * mh / (std::sqrt(vh) + eps));
    }
  }
};

// Output SSE of the current codebook; leaves D H in dh.
double output_sse(const float* w, const LcqCodebook& cb, const std::vector<float>& H, std::vector<float>& d,
                  std::vector<float>& dh) {
  const int64_t N = cb.rows, K = cb.cols;
  float lut[16];
  for (int64_t g = 0; g < cb.num_groups(); ++g) {
    cb.group_levels(g, lut);
    for (int i = 0; i < cb.group; ++i) {
      int64_t e = g * cb.group + i;
      d[e] = w[e] - lut[cb.codes[e]];
    }
  }
  sgemm_row_major(CblasNoTrans, CblasNoTrans, N, K, K, 1.0f, d.data(), K, H.data(), K, 0.0f, dh.data(), K);
  double s = 0;
  for (int64_t e = 0; e < N * K; ++e) s += static_cast<double>(d[e]) * dh[e];
  return s;
}

}  // namespace

void lcq_refine_output(const float* w, const float* x, int64_t tokens, LcqCodebook& cb, const RefineOptions& o,
                       std::vector<double>* trace) {
  const int64_t N = cb.rows, K = cb.cols;
  const int L = cb.levels(), k = cb.rank;
  std::vector<float> H(K * K), d(N * K), dh(N * K);
  sgemm_row_major(CblasTrans, CblasNoTrans, K, K, tokens, 1.0f, x, K, x, K, 0.0f, H.data(), K);
  Adam as, ab, av;
  as.init(cb.coef, o.lr_rel);
  ab.init(cb.offset, o.lr_rel);
  av.init(cb.basis, o.lr_rel);
  LcqCodebook best = cb;
  double best_loss = output_sse(w, cb, H, d, dh);
  if (trace) trace->push_back(best_loss);
  std::vector<double> gl(cb.num_groups() * L), gs(cb.coef.size()), gb(cb.offset.size()), gv(cb.basis.size());
  float lut[16];
  for (int t = 1; t <= o.steps; ++t) {
    // dE/dlevel = sum over the group's weights with that code of -2 (D H).
    std::fill(gl.begin(), gl.end(), 0.0);
    for (int64_t e = 0; e < N * K; ++e) gl[(e / cb.group) * L + cb.codes[e]] += -2.0 * dh[e];
    std::fill(gv.begin(), gv.end(), 0.0);
    for (int64_t g = 0; g < cb.num_groups(); ++g) {
      double gsum = 0;
      for (int u = 0; u < L; ++u) gsum += gl[g * L + u];
      gb[g] = -gsum;
      for (int r = 0; r < k; ++r) {
        double a = 0;
        for (int u = 0; u < L; ++u) {
          a += gl[g * L + u] * cb.basis[r * L + u];
          gv[r * L + u] += gl[g * L + u] * cb.coef[g * k + r];
        }
        gs[g * k + r] = a;
      }
    }
    as.step(cb.coef, gs, t);
    ab.step(cb.offset, gb, t);
    av.step(cb.basis, gv, t);
    for (int64_t g = 0; g < cb.num_groups(); ++g) {  // straight-through: re-assign
      cb.group_levels(g, lut);
      for (int i = 0; i < cb.group; ++i) {
        int64_t e = g * cb.group + i;
        int bu = 0;
        float bd = std::fabs(w[e] - lut[0]);
        for (int u = 1; u < L; ++u) {
          float du = std::fabs(w[e] - lut[u]);
          if (du < bd) {
            bd = du;
            bu = u;
          }
        }
        cb.codes[e] = static_cast<uint8_t>(bu);
      }
    }
    double loss = output_sse(w, cb, H, d, dh);
    if (trace) trace->push_back(loss);
    if (loss < best_loss) {
      best_loss = loss;
      best = cb;
    }
  }
  cb = std::move(best);
}

}  // namespace paralab::kernels
