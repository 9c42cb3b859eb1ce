#include "kernels/quantize.h"

#include <cmath>

#include "kernels/blas.h"
#include "kernels/qmatmul_cpu.h"
#include "kernels/rtn.h"

namespace paralab::kernels {

std::vector<float> activation_col_weight(const float* x, int64_t tokens, int64_t cols) {
  std::vector<double> acc(cols, 0.0);
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t c = 0; c < cols; ++c) acc[c] += static_cast<double>(x[t * cols + c]) * x[t * cols + c];
  double mean = 0;
  for (double a : acc) mean += a;
  mean /= static_cast<double>(cols);
  std::vector<float> h(cols, 1.0f);
  if (mean > 0)
    for (int64_t c = 0; c < cols; ++c) h[c] = static_cast<float>(acc[c] / mean);
  return h;
}

std::vector<LcqCodebook> lcq_fit_chain(const float* w, int64_t rows, int64_t cols, int bits, int group,
                                       int max_rank, const QuantizeOptions& o) {
  std::vector<LcqCodebook> out;
  std::vector<float> h;
  if (o.activation_weighted && o.calib_x && o.calib_tokens > 0) h = activation_col_weight(o.calib_x, o.calib_tokens, cols);
  LcqCodebook cb = lcq_init_rtn(w, rows, cols, bits, group);
  for (int k = 1; k <= max_rank; k *= 2) {
    if (k > 1) cb = lcq_add_rank(cb, k, o.seed);
    lcq_als(w, cb, o.als_iterations, nullptr, h.empty() ? nullptr : h.data());
    out.push_back(cb);
  }
  return out;
}

QuantizedMatrix quantize(const float* w, int64_t rows, int64_t cols, const QuantFormat& f,
                         const QuantizeOptions& o) {
  check_quant_shape(f, rows, cols);
  if (f.kind == QuantKind::kRtn) return quantize_rtn(w, rows, cols, f);
  LcqCodebook cb = lcq_fit_chain(w, rows, cols, f.bits, f.group, f.rank, o).back();
  if (o.refine_steps > 0 && o.calib_x && o.calib_tokens > 0) {
    RefineOptions ro;
    ro.steps = o.refine_steps;
    lcq_refine_output(w, o.calib_x, o.calib_tokens, cb, ro);
  }
  return lcq_store(w, cb, f.double_quant);
}

QuantError measure_quant_error(const float* w, const QuantizedMatrix& q, const float* x, int64_t tokens) {
  const int64_t n = q.rows * q.cols;
  std::vector<float> wh(n), d(n);
  dequantize_cpu(q, wh.data());
  double se = 0, sw = 0;
  for (int64_t i = 0; i < n; ++i) {
    d[i] = w[i] - wh[i];
    se += static_cast<double>(d[i]) * d[i];
    sw += static_cast<double>(w[i]) * w[i];
  }
  QuantError e;
  e.mse = se / static_cast<double>(n);
  e.weight_relative_error = sw > 0 ? std::sqrt(se / sw) : 0.0;
  if (x && tokens > 0) {
    std::vector<float> yd(tokens * q.rows), yw(tokens * q.rows);
    sgemm_row_major(CblasNoTrans, CblasTrans, tokens, q.rows, q.cols, 1.0f, x, q.cols, d.data(), q.cols, 0.0f,
                    yd.data(), q.rows);
    sgemm_row_major(CblasNoTrans, CblasTrans, tokens, q.rows, q.cols, 1.0f, x, q.cols, w, q.cols, 0.0f, yw.data(),
                    q.rows);
    double a = 0, b = 0;
    for (size_t i = 0; i < yd.size(); ++i) {
      a += static_cast<double>(yd[i]) * yd[i];
      b += static_cast<double>(yw[i]) * yw[i];
    }
    e.output_relative_error = b > 0 ? std::sqrt(a / b) : 0.0;
  }
  return e;
}

}  // namespace paralab::kernels
