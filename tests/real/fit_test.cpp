// Fits that turn benchmark points into cost parameters; every expectation is
// derived by hand from the synthetic points' generating formula.
#include <gtest/gtest.h>

#include "core/error.h"
#include "real/fit.h"

namespace paralab::real {
namespace {

TEST(AlphaBetaFit, RecoversKnownAlphaAndBandwidthFromExactPoints) {
  // T(m) = 5 us + m / 10 GB/s, sampled at four sizes.
  const double alpha = 5e-6, bw = 10e9;
  std::vector<std::pair<double, double>> pts;
  for (double m : {1e3, 1e5, 1e6, 1e8}) pts.emplace_back(m, alpha + m / bw);
  AlphaBeta f = fit_alpha_beta(pts);
  EXPECT_NEAR(f.alpha_seconds, 5e-6, 1e-12);
  EXPECT_NEAR(f.bandwidth_bytes_per_s, 10e9, 10e9 * 1e-9);
  EXPECT_NEAR(f.r2, 1.0, 1e-12);
}

TEST(AlphaBetaFit, SymmetricNoiseAveragesOut) {
  // Points at 1 MB and 3 MB, each measured +-1 us around T = 2 us + m / 1 GB/s:
  // the least-squares line passes through the pair means, so the noise cancels.
  std::vector<std::pair<double, double>> pts = {
      {1e6, 2e-6 + 1e-3 + 1e-6}, {1e6, 2e-6 + 1e-3 - 1e-6}, {3e6, 2e-6 + 3e-3 + 1e-6}, {3e6, 2e-6 + 3e-3 - 1e-6}};
  AlphaBeta f = fit_alpha_beta(pts);
  EXPECT_NEAR(f.alpha_seconds, 2e-6, 1e-12);
  EXPECT_NEAR(f.bandwidth_bytes_per_s, 1e9, 1.0);
  EXPECT_LT(f.r2, 1.0);
}

TEST(AlphaBetaFit, NegativeInterceptIsClampedToZeroAndRefitThroughOrigin) {
  // (1, 1) and (2, 3): the free line is y = 2x - 1; through the origin the
  // least-squares slope is (1*1 + 2*3) / (1 + 4) = 7/5, so bandwidth 5/7.
  AlphaBeta f = fit_alpha_beta({{1, 1}, {2, 3}});
  EXPECT_EQ(f.alpha_seconds, 0.0);
  EXPECT_NEAR(f.bandwidth_bytes_per_s, 5.0 / 7.0, 1e-12);
}

TEST(BusBandwidth, FactorsAsNcclTestsDefinesThem) {
  EXPECT_DOUBLE_EQ(busbw_factor("all_reduce", 8), 2.0 * 7 / 8);
  EXPECT_DOUBLE_EQ(busbw_factor("all_reduce", 2), 1.0);
  EXPECT_DOUBLE_EQ(busbw_factor("all_gather", 4), 0.75);
  EXPECT_DOUBLE_EQ(busbw_factor("reduce_scatter", 4), 0.75);
  EXPECT_DOUBLE_EQ(busbw_factor("broadcast", 16), 1.0);
  EXPECT_DOUBLE_EQ(busbw_factor("send_recv", 2), 1.0);
}

TEST(BusBandwidth, UnknownCollectiveListsTheValidOnes) {
  try {
    busbw_factor("allreduce", 2);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("valid: all_reduce, all_gather"), std::string::npos) << e.what();
  }
}

TEST(EfficiencyCurve, SortsKeepsBestPerSizeAndDividesByPeak) {
  // Peak 100: rates 50 @ 1e6, 25 @ 1e3 and a worse duplicate 20 @ 1e3.
  EfficiencyCurve c = efficiency_curve({{1e6, 50}, {1e3, 20}, {1e3, 25}}, 100);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_DOUBLE_EQ(c[0].first, 1e3);
  EXPECT_DOUBLE_EQ(c[0].second, 0.25);
  EXPECT_DOUBLE_EQ(c[1].first, 1e6);
  EXPECT_DOUBLE_EQ(c[1].second, 0.5);
}

}  // namespace
}  // namespace paralab::real
