#include "continual/matrix.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "kernels/blas.h"

extern "C" void dsyev_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
                       double* work, const int* lwork, int* info);

namespace paralab::continual {

SingleThreadedBlas::SingleThreadedBlas() : previous_(openblas_get_num_threads()) { openblas_set_num_threads(1); }
SingleThreadedBlas::~SingleThreadedBlas() { openblas_set_num_threads(previous_); }

void gemm(const Matrix& a, bool trans_a, const Matrix& b, bool trans_b, double alpha, Matrix& c, double beta) {
  const int64_t m = trans_a ? a.cols : a.rows;
  const int64_t k = trans_a ? a.rows : a.cols;
  const int64_t kb = trans_b ? b.cols : b.rows;
  const int64_t n = trans_b ? b.rows : b.cols;
  assert(k == kb && "gemm: inner dimensions differ");
  (void)kb;
  if (beta == 0.0 || c.rows != m || c.cols != n) c = Matrix(m, n);
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (double& x : c.data) x *= beta;
    return;
  }
  using kernels::blas_dim;
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, blas_dim(m),
              blas_dim(n), blas_dim(k), alpha, a.data.data(), blas_dim(a.cols), b.data.data(), blas_dim(b.cols), beta,
              c.data.data(), blas_dim(n));
}

Matrix matmul(const Matrix& a, bool trans_a, const Matrix& b, bool trans_b) {
  Matrix c;
  gemm(a, trans_a, b, trans_b, 1.0, c, 0.0);
  return c;
}

Matrix transpose(const Matrix& a) {
  Matrix t(a.cols, a.rows);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j) t(j, i) = a(i, j);
  return t;
}

double frobenius_norm(const Matrix& a) {
  double s = 0;
  for (double x : a.data) s += x * x;
  return std::sqrt(s);
}

Matrix column_sums(const Matrix& a) {
  Matrix s(1, a.cols);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < a.cols; ++j) s(0, j) += a(i, j);
  return s;
}

SymmetricEigen symmetric_eigen(const Matrix& s) {
  assert(s.rows == s.cols);
  const int n = static_cast<int>(s.rows);
  SymmetricEigen out;
  if (n == 0) return out;
  // LAPACK is column-major; S is symmetric so its row-major bytes are the same
  // matrix. On exit the columns (column-major) are eigenvectors, ascending.
  std::vector<double> a = s.data;
  std::vector<double> w(static_cast<size_t>(n));
  int lwork = -1, info = 0;
  double query = 0;
  dsyev_("V", "U", &n, a.data(), &n, w.data(), &query, &lwork, &info);
  lwork = static_cast<int>(query);
  std::vector<double> work(static_cast<size_t>(std::max(lwork, 1)));
  dsyev_("V", "U", &n, a.data(), &n, w.data(), work.data(), &lwork, &info);
  if (info != 0) throw std::runtime_error("dsyev failed with info " + std::to_string(info));
  out.values.resize(static_cast<size_t>(n));
  out.vectors = Matrix(n, n);
  for (int c = 0; c < n; ++c) {
    const int src = n - 1 - c;  // descending order
    out.values[static_cast<size_t>(c)] = w[static_cast<size_t>(src)];
    const double* v = a.data() + static_cast<size_t>(src) * n;
    int64_t big = 0;
    for (int i = 1; i < n; ++i)
      if (std::abs(v[i]) > std::abs(v[big])) big = i;
    const double sign = v[big] < 0 ? -1.0 : 1.0;
    for (int i = 0; i < n; ++i) out.vectors(i, c) = sign * v[i];
  }
  return out;
}

Matrix gram(const Matrix& x) {
  Matrix g;
  gemm(x, true, x, false, x.rows > 0 ? 1.0 / static_cast<double>(x.rows) : 0.0, g, 0.0);
  // Symmetrise exactly (BLAS rounding may differ between the two triangles).
  for (int64_t i = 0; i < g.rows; ++i)
    for (int64_t j = i + 1; j < g.cols; ++j) g(j, i) = g(i, j);
  return g;
}

Matrix remove_span(const Matrix& m, const Matrix& v) {
  Matrix out = v;
  if (m.empty()) return out;
  Matrix coeff = matmul(m, true, v, false);  // k x cols(v)
  gemm(m, false, coeff, false, -1.0, out, 1.0);
  return out;
}

Matrix orthonormal_complement_columns(const Matrix& m, const Matrix& v, double tolerance) {
  const int64_t d = v.rows;
  std::vector<std::vector<double>> kept;
  auto dot = [d](const double* a, const std::vector<double>& b) {
    double s = 0;
    for (int64_t i = 0; i < d; ++i) s += a[i * 1] * b[static_cast<size_t>(i)];
    return s;
  };
  for (int64_t c = 0; c < v.cols; ++c) {
    std::vector<double> x(static_cast<size_t>(d));
    for (int64_t i = 0; i < d; ++i) x[static_cast<size_t>(i)] = v(i, c);
    double norm0 = 0;
    for (double e : x) norm0 += e * e;
    norm0 = std::sqrt(norm0);
    if (norm0 == 0) continue;
    for (int pass = 0; pass < 2; ++pass) {
      for (int64_t j = 0; j < m.cols; ++j) {
        double s = 0;
        for (int64_t i = 0; i < d; ++i) s += m(i, j) * x[static_cast<size_t>(i)];
        for (int64_t i = 0; i < d; ++i) x[static_cast<size_t>(i)] -= s * m(i, j);
      }
      for (const auto& q : kept) {
        const double s = dot(q.data(), x);
        for (int64_t i = 0; i < d; ++i) x[static_cast<size_t>(i)] -= s * q[static_cast<size_t>(i)];
      }
    }
    double norm = 0;
    for (double e : x) norm += e * e;
    norm = std::sqrt(norm);
    if (norm <= tolerance * norm0) continue;
    for (double& e : x) e /= norm;
    kept.push_back(std::move(x));
  }
  Matrix out(d, static_cast<int64_t>(kept.size()));
  for (size_t c = 0; c < kept.size(); ++c)
    for (int64_t i = 0; i < d; ++i) out(i, static_cast<int64_t>(c)) = kept[c][static_cast<size_t>(i)];
  return out;
}

Matrix leading_columns(const Matrix& a, int64_t k) {
  k = std::min(k, a.cols);
  Matrix out(a.rows, k);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < k; ++j) out(i, j) = a(i, j);
  return out;
}

Matrix concat_columns(const Matrix& a, const Matrix& b) {
  if (a.cols == 0) return b;
  if (b.cols == 0) return a;
  assert(a.rows == b.rows);
  Matrix out(a.rows, a.cols + b.cols);
  for (int64_t i = 0; i < a.rows; ++i) {
    for (int64_t j = 0; j < a.cols; ++j) out(i, j) = a(i, j);
    for (int64_t j = 0; j < b.cols; ++j) out(i, a.cols + j) = b(i, j);
  }
  return out;
}

}  // namespace paralab::continual
