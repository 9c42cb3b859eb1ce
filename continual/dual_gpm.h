// DualGpmMemory: the old tasks' input subspace of one layer, kept as in
// InfLoRA (Liang & Li, CVPR 2024, Sec. 3.3, and the authors' code): an
// orthonormal basis M (d x k) of the span of the inputs the layer saw on the
// tasks learnt so far, grown after each task by the energy criterion of GPM.
//
// After task t (0-based, of T), with Gram matrix G = (1/n) sum h h^T of the
// task's inputs and threshold eps_t = eps + (1 - eps) t / T:
//   first task:  SVD G = U S V^T; keep the k leading columns of U, k = the
//                number of cumulative sigma^2 ratios below eps_t (at least 1);
//   later tasks: G^ = (I - M M^T) G; the captured fraction starts at
//                (|G|^2 - |G^|^2) / |G|^2 and the leading left singular vectors
//                of G^ are appended, each adding sigma^2 / |G|^2, until it
//                reaches eps_t; M is capped at d columns.
// The paper switches to storing the complement once k > d/2 (a storage
// saving, the same projector); at the sizes here M itself is always stored.
// Invariants: 1. M's columns are orthonormal (re-orthogonalised on append);
// 2. k never decreases and never exceeds d.
// Thread-safety: a value; not safe for concurrent mutation.
#pragma once

#include "continual/matrix.h"

namespace paralab::continual {

class DualGpmMemory {
 public:
  explicit DualGpmMemory(int64_t dim) : dim_(dim), basis_(dim, 0) {}
  const Matrix& basis() const { return basis_; }
  int64_t dim() const { return dim_; }
  int64_t rank() const { return basis_.cols; }
  // REQUIRES: gram is dim x dim, symmetric, positive semi-definite; 0 < eps_t <= 1.
  void update(const Matrix& gram, double eps_t);

 private:
  int64_t dim_;
  Matrix basis_;
};

// The threshold schedule of the authors' code: eps + (1 - eps) * t / T.
double dual_gpm_threshold(double eps, int task, int tasks);

// Left singular vectors of a (d x d) matrix, leading first, with their
// singular values: the eigenvectors of X X^T.
SymmetricEigen left_singular(const Matrix& x);

// InfLoRA's design of B_t (Eq. 6-8 and the code): project the new task's Gram
// matrix, G^ = (I - M M^T) G, take its top-r left singular vectors (kept
// orthogonal to M explicitly, so a rank-deficient G^ cannot leak directions of
// span(M)), and return them as the r' x d rows of B scaled by `scale`
// (r' = min(r, d - rank(M)); the code's scale is 1/sqrt(3)).
Matrix design_reduction(const Matrix& gram, const Matrix& old_basis, int rank, double scale);

}  // namespace paralab::continual
