// Small dense solves for the LCQ fit (n <= 5 unknowns).
//
// solve_proximal finds x minimizing ||A^(1/2) x - ...||: it solves
//   (A + lambda I) x = b + lambda x0,  lambda = 1e-9 * trace(A) / n,
// the normal equations of a least-squares problem plus a tiny pull towards
// the current value x0. For a rank-deficient A (a level no weight uses, two
// basis rows alike) this stays well posed and moves x only along directions
// the data determine. Cholesky in double; false (x untouched) when A carries
// no data or the factorization fails.
// Thread-safety: pure function.
#pragma once

namespace paralab::kernels {

bool solve_proximal(const double* A, const double* b, const double* x0, int n, double* x);

}  // namespace paralab::kernels
