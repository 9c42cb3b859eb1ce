// Matrix: a dense row-major matrix of doubles, and the few linear-algebra
// operations the continual-learning code needs (GEMM through OpenBLAS, a
// symmetric eigendecomposition through the LAPACK inside OpenBLAS, projection
// onto the orthogonal complement of a basis).
//
// Doubles, not floats: the interference-freeness of InfLoRA is checked to a
// relative 1e-6, which float accumulation would blur.
// Invariants: 1. data.size() == rows * cols; 2. element (i, j) is
// data[i * cols + j].
// Thread-safety: values; functions are pure (OpenBLAS may use its own threads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace paralab::continual {

struct Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> data;

  Matrix() = default;
  Matrix(int64_t r, int64_t c, double fill = 0.0) : rows(r), cols(c), data(static_cast<size_t>(r * c), fill) {}
  double& operator()(int64_t i, int64_t j) { return data[static_cast<size_t>(i * cols + j)]; }
  double operator()(int64_t i, int64_t j) const { return data[static_cast<size_t>(i * cols + j)]; }
  const double* row(int64_t i) const { return data.data() + i * cols; }
  double* row(int64_t i) { return data.data() + i * cols; }
  bool empty() const { return rows == 0 || cols == 0; }
};

// While alive, OpenBLAS runs on the calling thread only (the matrices here are
// at most a few hundred wide: threads cost more than they save); the previous
// thread count is restored on destruction. Not for concurrent use with other
// BLAS users in the same process.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int previous_;
};

// C = alpha * op(A) * op(B) + beta * C, op = transpose when the flag is set.
// REQUIRES: shapes agree; when beta != 0, C already has the result's shape.
void gemm(const Matrix& a, bool trans_a, const Matrix& b, bool trans_b, double alpha, Matrix& c, double beta = 0.0);
// op(A) * op(B) as a new matrix.
Matrix matmul(const Matrix& a, bool trans_a, const Matrix& b, bool trans_b);
Matrix transpose(const Matrix& a);
double frobenius_norm(const Matrix& a);
// Sum over rows: a 1 x cols matrix.
Matrix column_sums(const Matrix& a);

// Eigendecomposition of a symmetric matrix S (n x n): eigenvalues in
// descending order, and the eigenvectors as the columns of an n x n matrix in
// the same order. Deterministic: each eigenvector's largest-magnitude entry is
// made positive.
struct SymmetricEigen {
  std::vector<double> values;
  Matrix vectors;
};
SymmetricEigen symmetric_eigen(const Matrix& s);

// The Gram matrix X^T X / n of the rows of X (n x d): d x d.
Matrix gram(const Matrix& x);

// v - M M^T v for each column v of V, where M (d x k) has orthonormal columns
// (k may be 0): the component of V outside span(M).
Matrix remove_span(const Matrix& m, const Matrix& v);

// Orthonormalises the columns of V (d x k) against the columns of M (d x m,
// orthonormal, may be empty) and against each other by modified Gram-Schmidt
// applied twice; columns whose remaining norm is below `tolerance` times their
// original norm are dropped. Returns the surviving orthonormal columns.
Matrix orthonormal_complement_columns(const Matrix& m, const Matrix& v, double tolerance = 1e-8);

// Columns [0, k) of A.
Matrix leading_columns(const Matrix& a, int64_t k);
// [A | B] side by side. REQUIRES: same row count (or A empty).
Matrix concat_columns(const Matrix& a, const Matrix& b);

}  // namespace paralab::continual
