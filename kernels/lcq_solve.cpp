#include "kernels/lcq_solve.h"

#include <cmath>

namespace paralab::kernels {

bool solve_proximal(const double* A, const double* b, const double* x0, int n, double* x) {
  double tr = 0;
  for (int i = 0; i < n; ++i) tr += A[i * n + i];
  if (!(tr > 0)) return false;
  const double lambda = 1e-9 * tr / n;
  double M[25], L[25] = {0}, y[5], rhs[5];
  for (int i = 0; i < n; ++i) {
    rhs[i] = b[i] + lambda * x0[i];
    for (int j = 0; j < n; ++j) M[i * n + j] = A[i * n + j] + (i == j ? lambda : 0.0);
  }
  for (int j = 0; j < n; ++j) {  // M = L L^T
    double d = M[j * n + j];
    for (int p = 0; p < j; ++p) d -= L[j * n + p] * L[j * n + p];
    if (!(d > 0)) return false;
    L[j * n + j] = std::sqrt(d);
    for (int i = j + 1; i < n; ++i) {
      double s = M[i * n + j];
      for (int p = 0; p < j; ++p) s -= L[i * n + p] * L[j * n + p];
      L[i * n + j] = s / L[j * n + j];
    }
  }
  for (int i = 0; i < n; ++i) {  // L y = rhs
    double s = rhs[i];
    for (int p = 0; p < i; ++p) s -= L[i * n + p] * y[p];
    y[i] = s / L[i * n + i];
  }
  for (int i = n - 1; i >= 0; --i) {  // L^T x = y
    double s = y[i];
    for (int p = i + 1; p < n; ++p) s -= L[p * n + i] * x[p];
    x[i] = s / L[i * n + i];
  }
  for (int i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return false;
  return true;
}

}  // namespace paralab::kernels
