// GEMM efficiency by shape: the grid lookup (core/gemm_efficiency_grid.h),
// its use by the cost model, and the calibration helpers that fill it.
#include <gtest/gtest.h>

#include "core/cost_model.h"
#include "core/gemm_efficiency_grid.h"
#include "real/host_calibration.h"

namespace paralab {
namespace {

// m in {100, 10000}, n in {1000}, k in {10, 1000}; index (i * 1 + 0) * 2 + l.
GemmEfficiencyGrid grid() {
  GemmEfficiencyGrid g;
  g.m = {100, 10000};
  g.n = {1000};
  g.k = {10, 1000};
  g.efficiency = {0.4, 0.8,   // m = 100:   k = 10, k = 1000
                  0.6, 1.0};  // m = 10000: k = 10, k = 1000
  return g;
}

TEST(GemmEfficiencyGrid, ReturnsTheCalibratedValueAtGridPoints) {
  GemmEfficiencyGrid g = grid();
  ASSERT_EQ(g.check(), "");
  EXPECT_DOUBLE_EQ(g.at(100, 1000, 10), 0.4);
  EXPECT_DOUBLE_EQ(g.at(100, 1000, 1000), 0.8);
  EXPECT_DOUBLE_EQ(g.at(10000, 1000, 10), 0.6);
  EXPECT_DOUBLE_EQ(g.at(10000, 1000, 1000), 1.0);
}

TEST(GemmEfficiencyGrid, InterpolatesLinearlyInLogSize) {
  GemmEfficiencyGrid g = grid();
  // m = 1000 is halfway between 100 and 10000 in log: (0.4 + 0.6) / 2.
  EXPECT_NEAR(g.at(1000, 1000, 10), 0.5, 1e-12);
  // m = 10^2.5 is a quarter of the way: 0.4 + 0.25 * 0.2.
  EXPECT_NEAR(g.at(316.22776601683796, 1000, 10), 0.45, 1e-12);
  // m and k both halfway: the mean of the four corners, (0.4 + 0.8 + 0.6 + 1.0) / 4.
  EXPECT_NEAR(g.at(1000, 1000, 100), 0.7, 1e-12);
  // A one-point axis (n) ignores n.
  EXPECT_NEAR(g.at(1000, 7, 100), 0.7, 1e-12);
}

TEST(GemmEfficiencyGrid, ClampsOutsideTheAxes) {
  GemmEfficiencyGrid g = grid();
  EXPECT_DOUBLE_EQ(g.at(10, 5, 1e6), 0.8);   // m -> 100, k -> 1000
  EXPECT_DOUBLE_EQ(g.at(1e9, 1e9, 1), 0.6);  // m -> 10000, k -> 10
}

TEST(GemmEfficiencyGrid, CheckNamesWhatIsWrong) {
  GemmEfficiencyGrid g = grid();
  g.k = {1000, 10};
  EXPECT_EQ(g.check(), "axis k is not ascending at 1");
  g = grid();
  g.efficiency.pop_back();
  EXPECT_EQ(g.check(), "efficiency has 3 values, expected m x n x k = 4");
  g = grid();
  g.efficiency[2] = 1.5;
  EXPECT_EQ(g.check(), "efficiency[2] = 1.500000 is outside (0, 1]");
}

TEST(GemmEfficiencyGrid, CostModelUsesTheGridForShapedOpsOnly) {
  // One device, 1e11 FLOP/s fp32, FLOPs curve flat at 0.5, grid as above.
  Cluster c;
  c.add_vertex({"n0.cpu0", "cpu", "cpu", 0, 0});
  Device d;
  d.component = "cpu";
  d.vertex_name = "n0.cpu0";
  d.spec.kind = "cpu";
  d.spec.peak_flops_per_s = {{"fp32", 1e11}};
  d.spec.launch_overhead_seconds = 0;
  d.spec.gemm_efficiency_curve = {{1, 0.5}, {1e15, 0.5}};
  d.spec.gemm_efficiency_grid = grid();
  c.add_device(d);
  CostModel cm(c);
  // GEMM 100 x 1000 x 10: 2e6 FLOPs; grid 0.4 -> 2e6 / (1e11 * 0.4) = 50 us.
  GemmShape s{100, 1000, 10};
  EXPECT_EQ(cm.compute(0, ComputeKind::kGemm, 2e6, 0, DType::kFp32, &s).work_ns, 50'000);
  // Without a shape the FLOPs curve applies: 2e6 / (1e11 * 0.5) = 40 us.
  EXPECT_EQ(cm.compute(0, ComputeKind::kGemm, 2e6, 0, DType::kFp32).work_ns, 40'000);
  // A weight-only quantized GEMM of the same shape is not an SGEMM: the
  // curve applies, 40 us as for the shapeless op.
  GemmShape q{100, 1000, 10, 0};
  EXPECT_EQ(cm.compute(0, ComputeKind::kGemm, 2e6, 0, DType::kFp32, &q).work_ns, 40'000);
  // The backward of forward (m, n, k) = (10000, 1000, 10): 4e8 FLOPs in two
  // kernels of 2e8, the data gradient (10000, 10, 1000) at grid 1.0 (m =
  // 10000, k = 1000; the one-point n axis ignores n) and the weight gradient
  // (10, 1000, 10000) at 0.8 (m clamped to 100, k to 1000):
  // 2e8 / 1e11 + 2e8 / (1e11 * 0.8) = 2 ms + 2.5 ms.
  GemmShape back{10000, 1000, 10, -1, true};
  EXPECT_EQ(cm.compute(0, ComputeKind::kGemm, 4e8, 0, DType::kFp32, &back).work_ns, 4'500'000);
}

TEST(HostCalibration, GridFromResultsIsMedianRateOverPeak) {
  // Axis {10, 20}: 8 points; point i ran at (i + 1) * 1e9 FLOP/s against a 1e10 peak.
  std::vector<real::BenchResult> rs(8);
  for (int i = 0; i < 8; ++i) rs[i].flops_per_s = (i + 1) * 1e9;
  GemmEfficiencyGrid g = real::gemm_grid_from_results({10, 20}, rs, 1e10);
  ASSERT_EQ(g.check(), "");
  EXPECT_DOUBLE_EQ(g.at(10, 10, 10), 0.1);  // point 0
  EXPECT_DOUBLE_EQ(g.at(10, 20, 10), 0.3);  // point (0 * 2 + 1) * 2 + 0 = 2
  EXPECT_DOUBLE_EQ(g.at(20, 20, 20), 0.8);  // point 7
}

TEST(HostCalibration, MedianOfPassesKeepsTheMiddlePassPerPoint) {
  // Two points, three passes: point 0 took 1, 3, 2 s -> the 2 s pass;
  // point 1 took 5, 4, 6 s -> the 5 s pass; a failed check in any pass marks the point.
  std::vector<std::vector<real::BenchResult>> passes(3, std::vector<real::BenchResult>(2));
  double t0[] = {1, 3, 2}, t1[] = {5, 4, 6};
  for (int p = 0; p < 3; ++p) {
    passes[p][0].seconds_median = t0[p];
    passes[p][1].seconds_median = t1[p];
  }
  passes[1][1].check_ok = false;
  passes[1][1].check_message = "C[0,0] wrong";
  auto m = real::median_of_passes(passes);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_DOUBLE_EQ(m[0].seconds_median, 2);
  EXPECT_TRUE(m[0].check_ok);
  EXPECT_DOUBLE_EQ(m[1].seconds_median, 5);
  EXPECT_FALSE(m[1].check_ok);
  EXPECT_EQ(m[1].check_message, "C[0,0] wrong");
}

}  // namespace
}  // namespace paralab
