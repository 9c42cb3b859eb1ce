// Linear algebra of continual/: expected values derived by hand.
#include "continual/matrix.h"

#include <gtest/gtest.h>

#include <cmath>

namespace paralab::continual {
namespace {

TEST(ContinualMatrix, SymmetricEigenOfTwoByTwo) {
  // [[2,1],[1,2]]: eigenvalues 3 and 1, eigenvectors (1,1)/sqrt2 and (1,-1)/sqrt2
  // (the largest-magnitude entry made positive: the first one on a tie).
  Matrix s(2, 2);
  s.data = {2, 1, 1, 2};
  const SymmetricEigen e = symmetric_eigen(s);
  ASSERT_EQ(e.values.size(), 2u);
  EXPECT_NEAR(e.values[0], 3.0, 1e-12);
  EXPECT_NEAR(e.values[1], 1.0, 1e-12);
  const double r = 1 / std::sqrt(2.0);
  EXPECT_NEAR(std::abs(e.vectors(0, 0)), r, 1e-12);
  EXPECT_NEAR(e.vectors(0, 0) * e.vectors(1, 0), 0.5, 1e-12);   // same sign
  EXPECT_NEAR(e.vectors(0, 1) * e.vectors(1, 1), -0.5, 1e-12);  // opposite signs
}

TEST(ContinualMatrix, GemmTransposesAndGram) {
  Matrix a(2, 3);
  a.data = {1, 2, 3, 4, 5, 6};
  // A A^T = [[14, 32], [32, 77]]
  const Matrix c = matmul(a, false, a, true);
  EXPECT_DOUBLE_EQ(c(0, 0), 14);
  EXPECT_DOUBLE_EQ(c(0, 1), 32);
  EXPECT_DOUBLE_EQ(c(1, 1), 77);
  // Gram of the rows: A^T A / 2; entry (0,0) = (1 + 16) / 2, (0,2) = (3 + 24) / 2.
  const Matrix g = gram(a);
  EXPECT_DOUBLE_EQ(g(0, 0), 8.5);
  EXPECT_DOUBLE_EQ(g(0, 2), 13.5);
  EXPECT_DOUBLE_EQ(g(2, 0), 13.5);
}

TEST(ContinualMatrix, RemoveSpanAndOrthonormalComplement) {
  Matrix m(3, 1);  // e1
  m.data = {1, 0, 0};
  Matrix v(3, 2);  // columns (1,2,0) and (3,0,4)
  v.data = {1, 3, 2, 0, 0, 4};
  const Matrix r = remove_span(m, v);  // (0,2,0), (0,0,4)
  EXPECT_DOUBLE_EQ(r(0, 0), 0);
  EXPECT_DOUBLE_EQ(r(1, 0), 2);
  EXPECT_DOUBLE_EQ(r(2, 1), 4);
  const Matrix q = orthonormal_complement_columns(m, v);  // e2, e3
  ASSERT_EQ(q.cols, 2);
  EXPECT_NEAR(q(1, 0), 1, 1e-15);
  EXPECT_NEAR(q(2, 1), 1, 1e-15);
  // A column inside span(M) is dropped.
  Matrix inside(3, 1);
  inside.data = {5, 0, 0};
  EXPECT_EQ(orthonormal_complement_columns(m, inside).cols, 0);
}

}  // namespace
}  // namespace paralab::continual
