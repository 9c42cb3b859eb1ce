// kernels/blas.h: 64-bit dimensions reach the 32-bit CBLAS interface only
// when they fit; a product computed through it matches one done by hand.
#include "kernels/blas.h"

#include <gtest/gtest.h>

#include <climits>

namespace paralab::kernels {
namespace {

TEST(Blas, DimensionsOutsideTheInterfaceThrowInsteadOfTruncating) {
  EXPECT_EQ(blas_dim(0), 0);
  EXPECT_EQ(blas_dim(INT_MAX), INT_MAX);
  // 2^31 would have become -2^31 through static_cast<int>, 2^32 + 5 would have become 5.
  EXPECT_THROW(blas_dim(int64_t(1) << 31), std::length_error);
  EXPECT_THROW(blas_dim((int64_t(1) << 32) + 5), std::length_error);
  EXPECT_THROW(blas_dim(-1), std::length_error);
}

TEST(Blas, RowMajorProductMatchesHandComputation) {
  // [1 2; 3 4] x [5 6; 7 8] = [19 22; 43 50].
  const float a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8};
  float c[4] = {};
  sgemm_row_major(CblasNoTrans, CblasNoTrans, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2);
  EXPECT_FLOAT_EQ(c[0], 19);
  EXPECT_FLOAT_EQ(c[1], 22);
  EXPECT_FLOAT_EQ(c[2], 43);
  EXPECT_FLOAT_EQ(c[3], 50);
  // A^T x B with A as stored: [1 3; 2 4] x [5 6; 7 8] = [26 30; 38 44].
  sgemm_row_major(CblasTrans, CblasNoTrans, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c, 2);
  EXPECT_FLOAT_EQ(c[0], 26);
  EXPECT_FLOAT_EQ(c[3], 44);
}

}  // namespace
}  // namespace paralab::kernels
