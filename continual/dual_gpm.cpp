#include "continual/dual_gpm.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace paralab::continual {

double dual_gpm_threshold(double eps, int task, int tasks) {
  return eps + (1.0 - eps) * static_cast<double>(task) / static_cast<double>(tasks);
}

SymmetricEigen left_singular(const Matrix& x) {
  SymmetricEigen e = symmetric_eigen(gram(transpose(x)));  // X X^T / d
  // gram() divides by its row count (d); undo it and clamp rounding below 0.
  for (double& v : e.values) v = std::max(0.0, v * static_cast<double>(x.cols));
  return e;
}

void DualGpmMemory::update(const Matrix& g, double eps_t) {
  assert(g.rows == dim_ && g.cols == dim_);
  if (basis_.cols >= dim_) return;
  const SymmetricEigen total = left_singular(g);
  double total_energy = 0;  // sum of sigma^2 = |G|_F^2
  for (double s2 : total.values) total_energy += s2;
  if (total_energy <= 0) return;
  if (basis_.cols == 0) {
    int64_t k = 0;
    double cum = 0;
    for (double s2 : total.values) {
      cum += s2 / total_energy;
      if (cum < eps_t) ++k;
    }
    k = std::max<int64_t>(k, 1);
    basis_ = orthonormal_complement_columns(Matrix(dim_, 0), leading_columns(total.vectors, k));
    return;
  }
  const Matrix residual = remove_span(basis_, g);
  const SymmetricEigen hat = left_singular(residual);
  double hat_energy = 0;
  for (double s2 : hat.values) hat_energy += s2;
  double captured = (total_energy - hat_energy) / total_energy;
  int64_t k = 0;
  for (double s2 : hat.values) {
    if (captured >= eps_t) break;
    captured += s2 / total_energy;
    ++k;
  }
  if (k == 0) return;
  const Matrix added = orthonormal_complement_columns(basis_, leading_columns(hat.vectors, k));
  basis_ = leading_columns(concat_columns(basis_, added), dim_);
}

Matrix design_reduction(const Matrix& g, const Matrix& old_basis, int rank, double scale) {
  const Matrix projected = remove_span(old_basis, g);
  const SymmetricEigen e = left_singular(projected);
  // All d candidates in order, so that directions dropped for lying in
  // span(M) are replaced by the next ones.
  const Matrix cols = orthonormal_complement_columns(old_basis, e.vectors, 1e-6);
  const int64_t r = std::min<int64_t>(rank, cols.cols);
  Matrix b(r, g.rows);
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < g.rows; ++j) b(i, j) = scale * cols(j, i);
  return b;
}

}  // namespace paralab::continual
