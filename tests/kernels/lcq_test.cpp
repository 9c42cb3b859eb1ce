// LCQ invariants: rank 1 at RTN is RTN, warm starts keep the loss, the
// alternating minimization never raises it, more rank never hurts, and a
// shape the RTN grid cannot hold is learned exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "kernels/half.h"
#include "kernels/lcq.h"
#include "kernels/quantize.h"
#include "kernels/rtn.h"
#include "kernels/synthetic.h"

namespace paralab::kernels {
namespace {

constexpr int64_t kRows = 32, kCols = 256;

std::vector<float> weights(uint64_t seed = 3) { return synthetic_weights(kRows, kCols, seed); }

TEST(Lcq, RankOneAtRtnReproducesRtnLevelsAndCodesExactly) {
  auto w = weights();
  for (int bits : {2, 3, 4}) {
    QuantizedMatrix rtn = quantize_rtn(w.data(), kRows, kCols, QuantFormat{QuantKind::kRtn, bits, 64, 1, false});
    LcqCodebook cb = lcq_init_rtn(w.data(), kRows, kCols, bits, 64);
    float a[16], b[16];
    for (int64_t g = 0; g < cb.num_groups(); ++g) {
      rtn.group_levels(g, a);
      cb.group_levels(g, b);
      for (int u = 0; u < cb.levels(); ++u) ASSERT_EQ(a[u], b[u]) << "bits " << bits << " group " << g;
    }
    for (int64_t r = 0; r < kRows; ++r)
      for (int64_t c = 0; c < kCols; ++c) {
        cb.group_levels((r * kCols + c) / 64, b);
        ASSERT_EQ(dequantized_at(rtn, r, c), b[cb.codes[r * kCols + c]]) << r << "," << c;
      }
  }
}

TEST(Lcq, AddingRankKeepsTheLossBitExact) {
  auto w = weights();
  LcqCodebook cb = lcq_init_rtn(w.data(), kRows, kCols, 3, 128);
  lcq_als(w.data(), cb, 3);
  double before = lcq_weight_sse(w.data(), cb);
  LcqCodebook k2 = lcq_add_rank(cb, 2, 11);
  LcqCodebook k4 = lcq_add_rank(k2, 4, 11);
  EXPECT_EQ(lcq_weight_sse(w.data(), k2), before);
  EXPECT_EQ(lcq_weight_sse(w.data(), k4), before);
}

TEST(Lcq, AlternatingMinimizationNeverRaisesTheLoss) {
  auto w = weights();
  for (int bits : {2, 3, 4}) {
    LcqCodebook cb = lcq_init_rtn(w.data(), kRows, kCols, bits, 64);
    for (int k : {1, 2, 4}) {
      if (k > 1) cb = lcq_add_rank(cb, k, 5);
      std::vector<double> trace;
      lcq_als(w.data(), cb, 8, &trace);
      ASSERT_EQ(trace.size(), 1u + 3 * 8);
      for (size_t i = 1; i < trace.size(); ++i)
        ASSERT_LE(trace[i], trace[i - 1]) << "bits " << bits << " rank " << k << " step " << i;
      EXPECT_LT(trace.back(), trace.front()) << "bits " << bits << " rank " << k;  // and it does improve
    }
  }
}

TEST(Lcq, ErrorIsNonIncreasingInRankAtEqualBits) {
  auto w = weights(9);
  QuantizeOptions o;
  o.als_iterations = 6;
  for (int bits : {2, 3, 4}) {
    auto chain = lcq_fit_chain(w.data(), kRows, kCols, bits, 128, 4, o);
    ASSERT_EQ(chain.size(), 3u);
    double rtn = lcq_weight_sse(w.data(), lcq_init_rtn(w.data(), kRows, kCols, bits, 128));
    double k1 = lcq_weight_sse(w.data(), chain[0]);
    double k2 = lcq_weight_sse(w.data(), chain[1]);
    double k4 = lcq_weight_sse(w.data(), chain[2]);
    EXPECT_LE(k1, rtn);
    EXPECT_LE(k2, k1);
    EXPECT_LE(k4, k2);
  }
}

TEST(Lcq, LearnsANonUniformSharedShapeExactly) {
  // One row, two groups of 64: group 0 repeats {-3, -1, 1.5, 5}, group 1 is
  // twice that. RTN's grid for group 0 (scale fp16(8/3), zero 1: levels
  // -2.67, 0, 2.67, 5.33) puts the four values on four different codes, so
  // one least-squares basis update gives V proportional to the shape and the
  // weight error becomes 0 (up to fp32 rounding) with rank 1 at 2 bits.
  const float shape[4] = {-3.0f, -1.0f, 1.5f, 5.0f};
  std::vector<float> w(128);
  for (int i = 0; i < 128; ++i) w[i] = shape[i % 4] * (i < 64 ? 1.0f : 2.0f);
  LcqCodebook cb = lcq_init_rtn(w.data(), 1, 128, 2, 64);
  double rtn = lcq_weight_sse(w.data(), cb);
  EXPECT_GT(rtn, 1.0);  // e.g. 16 * ((1/3)^2 + 1^2 + (7/6)^2 + (1/3)^2) ~ 40 for group 0 alone
  lcq_als(w.data(), cb, 5);
  EXPECT_LT(lcq_weight_sse(w.data(), cb), 1e-8);
}

TEST(Lcq, DeterministicForASeed) {
  auto w = weights();
  QuantFormat f = parse_quant_format("lcq-r2-b3-g64");
  QuantizeOptions o;
  o.seed = 42;
  o.als_iterations = 4;
  QuantizedMatrix a = quantize(w.data(), kRows, kCols, f, o), b = quantize(w.data(), kRows, kCols, f, o);
  EXPECT_EQ(a.codes, b.codes);
  EXPECT_EQ(a.coef_fp16, b.coef_fp16);
  EXPECT_EQ(a.basis_fp16, b.basis_fp16);
}

TEST(Lcq, StoredSizeMatchesTheFormatsBytes) {
  auto w = weights();
  for (const char* name : {"lcq-r2-b3-g128", "lcq-r4-b2-g64-dq", "rtn-b4-g64", "rtn-b8-g128"}) {
    QuantFormat f = parse_quant_format(name);
    QuantizeOptions o;
    o.als_iterations = 1;
    QuantizedMatrix q = quantize(w.data(), kRows, kCols, f, o);
    EXPECT_EQ(q.stored_bytes(), layer_bytes(f, kRows, kCols)) << name;
  }
}

TEST(Lcq, DoubleQuantizedCoefficientsWithinHalfAStep) {
  auto w = weights();
  LcqCodebook cb = lcq_fit_chain(w.data(), kRows, kCols, 3, 64, 2, QuantizeOptions{0, 3}).back();
  QuantizedMatrix q = lcq_store(w.data(), cb, true);
  for (int64_t g = 0; g < cb.num_groups(); ++g)
    for (int r = 0; r < 2; ++r) {
      float s = half_to_float(q.dq_scale_fp16[r * q.dq_blocks() + g / kDqBlockGroups]);
      float back = static_cast<float>(q.coef_int8[g * 2 + r]) * s;
      ASSERT_LE(std::fabs(back - cb.coef[g * 2 + r]), 0.5f * s * 1.001f + 1e-12f);
    }
}

TEST(Lcq, OutputRefinementNeverEndsWorse) {
  auto w = weights();
  auto x = synthetic_activations(64, kCols, 3);
  LcqCodebook cb = lcq_fit_chain(w.data(), kRows, kCols, 2, 64, 2, QuantizeOptions{0, 4}).back();
  std::vector<double> trace;
  RefineOptions ro;
  ro.steps = 10;
  lcq_refine_output(w.data(), x.data(), 64, cb, ro, &trace);
  ASSERT_EQ(trace.size(), 11u);
  double best = *std::min_element(trace.begin(), trace.end());
  EXPECT_LE(best, trace.front());
  // The codebook kept is the best iterate: recompute ||X (W - W_hat)^T||^2 naively.
  double sse = 0;
  float lut[16];
  for (int t = 0; t < 64; ++t)
    for (int64_t r = 0; r < kRows; ++r) {
      double y = 0;
      for (int64_t c = 0; c < kCols; ++c) {
        cb.group_levels((r * kCols + c) / 64, lut);
        y += static_cast<double>(x[t * kCols + c]) * (w[r * kCols + c] - lut[cb.codes[r * kCols + c]]);
      }
      sse += y * y;
    }
  EXPECT_NEAR(sse, best, 1e-3 * best);
}

}  // namespace
}  // namespace paralab::kernels

namespace paralab::kernels {
namespace {

// Per-group 1-D Lloyd (k-means) from the RTN levels: assign to the nearest
// level, move each used level to the mean of its weights; returns the SSE.
double lloyd_sse(const std::vector<float>& w, int64_t rows, int64_t cols, int bits, int group, int iterations) {
  const int L = 1 << bits;
  double total = 0;
  for (int64_t g = 0; g < rows * cols / group; ++g) {
    const float* wg = w.data() + g * group;
    UniformGroup p = rtn_group_params(wg, group, L);
    std::vector<double> lvl(L);
    for (int u = 0; u < L; ++u) lvl[u] = p.scale * (float(u) - p.zero);
    std::vector<int> q(group);
    for (int it = 0; it < iterations; ++it) {
      std::vector<double> sum(L, 0.0), cnt(L, 0.0);
      for (int i = 0; i < group; ++i) {
        int best = 0;
        for (int u = 1; u < L; ++u)
          if (std::fabs(wg[i] - lvl[u]) < std::fabs(wg[i] - lvl[best])) best = u;
        q[i] = best;
        sum[best] += wg[i];
        cnt[best] += 1;
      }
      for (int u = 0; u < L; ++u)
        if (cnt[u] > 0) lvl[u] = sum[u] / cnt[u];
    }
    for (int i = 0; i < group; ++i) total += (wg[i] - lvl[q[i]]) * (wg[i] - lvl[q[i]]);
  }
  return total;
}

TEST(Lcq, FullRankMatchesPerGroupLloyd) {
  // At k = L = 4 (b = 2) every group can hold any 4 levels, so the ALS's
  // coefficient step is Lloyd's centroid step: from the same RTN start the
  // two reach the same error (the basis step only reparameterizes).
  auto w = synthetic_weights(16, 256, 4);
  LcqCodebook cb = lcq_add_rank(lcq_init_rtn(w.data(), 16, 256, 2, 64), 4, 1);
  lcq_als(w.data(), cb, 30);
  double lcq = lcq_weight_sse(w.data(), cb), lloyd = lloyd_sse(w, 16, 256, 2, 64, 30);
  EXPECT_NEAR(lcq / lloyd, 1.0, 0.02) << "lcq " << lcq << " lloyd " << lloyd;
}

}  // namespace
}  // namespace paralab::kernels
