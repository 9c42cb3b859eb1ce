// CPU reference kernels for quantized weights: the `_cpu` twin of every CUDA
// kernel in qmatmul.cu, and the CPU path the host backend runs.
//
//   dequantize_cpu  W_hat = dequant(Q)                       [rows][cols] fp32
//   qgemv_cpu       y[b] = W_hat x[b] for b < batch (decode, batch 1..32),
//                   fused: codes are dequantized group by group through the
//                   group's level table, never materialized
//   qgemm_cpu       Y = X W_hat^T (prefill): dequantizes 64-row panels and
//                   multiplies them with OpenBLAS sgemm
// All arithmetic is fp32; every format (rtn and lcq, any bits) goes through
// the same path: a 2^b-entry level table per group, then a gather per code.
// Invariants: results equal W_hat x up to fp32 summation order.
// Thread-safety: pure functions of their arguments (OpenBLAS may use its
// own threads inside qgemm_cpu).
#pragma once

#include <cstdint>

#include "kernels/quantized_matrix.h"

namespace paralab::kernels {

constexpr int kMaxGemvBatch = 32;

// out: [q.rows][q.cols].
void dequantize_cpu(const QuantizedMatrix& q, float* out);

// x: [batch][q.cols], y: [batch][q.rows]. REQUIRES: 1 <= batch <= 32.
void qgemv_cpu(const QuantizedMatrix& q, const float* x, int batch, float* y);

// x: [tokens][q.cols], y: [tokens][q.rows]. REQUIRES: tokens >= 1.
void qgemm_cpu(const QuantizedMatrix& q, const float* x, int64_t tokens, float* y);

// Rows up to which qmatmul_cpu runs the fused GEMV; above it dequantized
// panels into SGEMM are faster. Measured (bench/kernels_bench, 4096 x 4096,
// 2-vCPU Xeon VM, AVX-512, 2026-11-30): rtn-b4-g128 GEMV / panels 33 / 38 ms
// at 1 row, 39 / 40 ms at 4, 63 / 37 ms at 8, 183 / 51 ms at 32;
// lcq-r2-b3-g128 61 / 72 ms at 4, 79 / 68 ms at 8.
constexpr int kCpuGemvMaxRows = 4;

// y = x W_hat^T for `rows` rows of x, as the host backend runs a weight-only
// quantized GEMM op: qgemv_cpu up to kCpuGemvMaxRows rows, else qgemm_cpu.
// x: [rows][q.cols], y: [rows][q.rows]. REQUIRES: rows >= 1.
void qmatmul_cpu(const QuantizedMatrix& q, const float* x, int64_t rows, float* y);

}  // namespace paralab::kernels
