// The 32-bit CBLAS interface (OpenBLAS's default blasint) behind 64-bit
// dimensions: each dimension is checked, never truncated.
#pragma once

#include <cblas.h>

#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace paralab::kernels {

// THROWS: std::length_error when d is negative or above INT_MAX.
inline blasint blas_dim(int64_t d) {
  if (d < 0 || d > INT_MAX)
    throw std::length_error("a BLAS dimension of " + std::to_string(d) + " is outside the 32-bit interface's 0.." +
                            std::to_string(INT_MAX));
  return static_cast<blasint>(d);
}

// Row-major C (m x n) = alpha op(A) op(B) + beta C, leading dimensions as CBLAS takes them.
inline void sgemm_row_major(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, float alpha,
                            const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                            int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, blas_dim(m), blas_dim(n), blas_dim(k), alpha, a, blas_dim(lda), b, blas_dim(ldb),
              beta, c, blas_dim(ldc));
}

}  // namespace paralab::kernels
