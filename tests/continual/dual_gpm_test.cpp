// DualGPM memory and InfLoRA's design of B_t, on Gram matrices whose singular
// values are known by construction (diagonal), so the expected ranks follow by
// hand from the energy criterion.
#include "continual/dual_gpm.h"

#include <gtest/gtest.h>

#include <cmath>

namespace paralab::continual {
namespace {

Matrix diag(const std::vector<double>& d) {
  Matrix m(static_cast<int64_t>(d.size()), static_cast<int64_t>(d.size()));
  for (size_t i = 0; i < d.size(); ++i) m(static_cast<int64_t>(i), static_cast<int64_t>(i)) = d[i];
  return m;
}

TEST(DualGpm, ThresholdScheduleOfTheAuthorsCode) {
  EXPECT_DOUBLE_EQ(dual_gpm_threshold(0.95, 0, 10), 0.95);
  EXPECT_NEAR(dual_gpm_threshold(0.95, 2, 10), 0.96, 1e-15);  // 0.95 + 0.05 * 0.2
  EXPECT_NEAR(dual_gpm_threshold(0.95, 9, 10), 0.995, 1e-15);
}

TEST(DualGpm, FirstTaskKeepsDirectionsBelowTheEnergyThreshold) {
  // G = diag(4, 2, 1, 0): sigma^2 = 16, 4, 1, 0 of total 21; cumulative
  // ratios 0.762, 0.952, 1, 1. Below 0.95: one; below 0.96: two.
  DualGpmMemory a(4);
  a.update(diag({4, 2, 1, 0}), 0.95);
  ASSERT_EQ(a.rank(), 1);
  EXPECT_NEAR(std::abs(a.basis()(0, 0)), 1.0, 1e-12);
  DualGpmMemory b(4);
  b.update(diag({4, 2, 1, 0}), 0.96);
  EXPECT_EQ(b.rank(), 2);
}

TEST(DualGpm, LaterTaskAddsOnlyWhatTheBasisMisses) {
  DualGpmMemory m(4);
  m.update(diag({4, 2, 1, 0}), 0.95);  // basis e1
  // New task G = diag(1, 3, 0, 0): |G|^2 = 10; outside e1: diag(0, 3, 0, 0),
  // |G^|^2 = 9; captured starts at 0.1 < 0.95, adding e2 (9/10) gives 1.0.
  m.update(diag({1, 3, 0, 0}), 0.95);
  ASSERT_EQ(m.rank(), 2);
  EXPECT_NEAR(std::abs(m.basis()(1, 1)), 1.0, 1e-12);
  // A task entirely inside span(e1, e2) adds nothing (captured = 1).
  m.update(diag({2, 5, 0, 0}), 0.99);
  EXPECT_EQ(m.rank(), 2);
}

TEST(DualGpm, ReductionIsOrthogonalToTheOldSubspaceAndScaled) {
  // Old basis e1; new Gram diag(9, 4, 1, 0.25): projected off e1, the top
  // left singular vectors are e2 then e3.
  Matrix old(4, 1);
  old(0, 0) = 1;
  const double scale = 1 / std::sqrt(3.0);
  const Matrix b = design_reduction(diag({9, 4, 1, 0.25}), old, 2, scale);
  ASSERT_EQ(b.rows, 2);
  EXPECT_NEAR(std::abs(b(0, 1)), scale, 1e-12);
  EXPECT_NEAR(std::abs(b(1, 2)), scale, 1e-12);
  for (int i = 0; i < 2; ++i) EXPECT_NEAR(b(i, 0), 0, 1e-12);
  // A rank larger than the complement is capped at d - rank(M) = 3, and the
  // directions of a rank-deficient projection still avoid span(M).
  const Matrix c = design_reduction(diag({9, 0, 0, 0}), old, 10, 1.0);
  ASSERT_EQ(c.rows, 3);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(c(i, 0), 0, 1e-12);
}

}  // namespace
}  // namespace paralab::continual
