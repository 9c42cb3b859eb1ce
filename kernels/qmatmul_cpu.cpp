#include "kernels/qmatmul_cpu.h"

#include <algorithm>
#include <cassert>
#include <vector>

#include "kernels/blas.h"
#include "kernels/packing.h"

namespace paralab::kernels {

namespace {

// Dequantizes rows [r0, r1) into out ([r1 - r0][cols]).
void dequantize_rows(const QuantizedMatrix& q, int64_t r0, int64_t r1, float* out) {
  const int G = q.format.group, bits = q.format.bits;
  float lut[256];
  uint8_t code[32];
  const GroupLevels levels(q);
  for (int64_t r = r0; r < r1; ++r) {
    const uint32_t* words = q.row_codes(r);
    float* o = out + (r - r0) * q.cols;
    for (int64_t gc = 0; gc < q.groups_per_row(); ++gc) {
      levels(r * q.groups_per_row() + gc, lut);
      for (int c = 0; c < G; c += 32) {
        int64_t chunk = (gc * G + c) / 32;
        unpack_chunk32(words + chunk * bits, bits, code);
        for (int i = 0; i < 32; ++i) o[gc * G + c + i] = lut[code[i]];
      }
    }
  }
}

}  // namespace

void dequantize_cpu(const QuantizedMatrix& q, float* out) { dequantize_rows(q, 0, q.rows, out); }

void qgemv_cpu(const QuantizedMatrix& q, const float* x, int batch, float* y) {
  assert(batch >= 1 && batch <= kMaxGemvBatch);
  const int G = q.format.group, bits = q.format.bits;
  const int64_t K = q.cols;
  // 8 independent partial sums per batch row: breaks the add dependency chain
  // and lets the compiler keep them in SIMD registers (no reassociation needed).
  float lut[256], acc[kMaxGemvBatch][8];
  uint8_t code[32];
  float wv[32];
  const GroupLevels levels(q);
  for (int64_t r = 0; r < q.rows; ++r) {
    const uint32_t* words = q.row_codes(r);
    for (int b = 0; b < batch; ++b)
      for (int j = 0; j < 8; ++j) acc[b][j] = 0.0f;
    for (int64_t gc = 0; gc < q.groups_per_row(); ++gc) {
      levels(r * q.groups_per_row() + gc, lut);
      for (int c = 0; c < G; c += 32) {
        int64_t k0 = gc * G + c;
        unpack_chunk32(words + (k0 / 32) * bits, bits, code);
        for (int i = 0; i < 32; ++i) wv[i] = lut[code[i]];
        for (int b = 0; b < batch; ++b) {
          const float* xb = x + b * K + k0;
          for (int i = 0; i < 32; i += 8)
            for (int j = 0; j < 8; ++j) acc[b][j] += wv[i + j] * xb[i + j];
        }
      }
    }
    for (int b = 0; b < batch; ++b) {
      float s = 0;
      for (int j = 0; j < 8; ++j) s += acc[b][j];
      y[b * q.rows + r] = s;
    }
  }
}

void qgemm_cpu(const QuantizedMatrix& q, const float* x, int64_t tokens, float* y) {
  constexpr int64_t kPanelRows = 64;
  std::vector<float> panel(kPanelRows * q.cols);
  for (int64_t r0 = 0; r0 < q.rows; r0 += kPanelRows) {
    int64_t r1 = std::min(q.rows, r0 + kPanelRows);
    dequantize_rows(q, r0, r1, panel.data());
    // Y[:, r0:r1] = X [tokens x K] * panel^T [K x (r1 - r0)]
    sgemm_row_major(CblasNoTrans, CblasTrans, tokens, r1 - r0, q.cols, 1.0f, x, q.cols, panel.data(), q.cols, 0.0f,
                    y + r0, q.rows);
  }
}

void qmatmul_cpu(const QuantizedMatrix& q, const float* x, int64_t rows, float* y) {
  if (rows <= kCpuGemvMaxRows)
    qgemv_cpu(q, x, int(rows), y);
  else
    qgemm_cpu(q, x, rows, y);
}

}  // namespace paralab::kernels
