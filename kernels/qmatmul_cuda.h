// CUDA twins of qmatmul_cpu.h (dequantize, fused dequantize-GEMV for decode,
// dequantize-GEMM for prefill) and the device-side copy of a QuantizedMatrix.
//
// Launchers check shapes and alignment (std::invalid_argument naming the
// argument), run on `stream` (nullptr = default stream), check every CUDA /
// cuBLAS call and cudaGetLastError() after each launch (KernelError with
// file:line, the call and CUDA's error string; see cuda_check.h).
// Requirements checked: cols % group == 0, group % 32 == 0, device pointers
// 16-byte aligned, 1 <= batch <= 32 for the GEMV.
// Numerics: fp32 activations, outputs and accumulation; levels computed as in
// QuantizedMatrix::group_levels, so results match the _cpu references up to
// summation order (compare with |gpu - ref| <= atol + rtol * |ref|).
// Thread-safety: DeviceQuantizedMatrix is a value owned by one thread; the
// GEMM uses one cuBLAS handle per (host thread, current device).
#pragma once

#if PARALAB_HAVE_CUDA

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/quantized_matrix.h"

namespace paralab::kernels {

// Devices visible to the CUDA runtime; 0 when there is none or no driver.
int cuda_device_count();

// Raw device pointers of a quantized matrix, passed to the kernels by value.
struct QuantizedMatrixView {
  int bits = 4, group = 128, rank = 1;
  bool lcq = false, double_quant = false;
  int64_t rows = 0, cols = 0;
  const uint32_t* codes = nullptr;
  const uint16_t* scale = nullptr;    // fp16 bits
  const uint16_t* zero = nullptr;
  const uint16_t* coef = nullptr;
  const int8_t* coef_int8 = nullptr;
  const uint16_t* dq_scale = nullptr;
  const uint16_t* offset = nullptr;
  const uint16_t* basis = nullptr;
};

// Owns device copies of every array of a QuantizedMatrix.
class DeviceQuantizedMatrix {
 public:
  explicit DeviceQuantizedMatrix(const QuantizedMatrix& q);
  ~DeviceQuantizedMatrix();
  DeviceQuantizedMatrix(const DeviceQuantizedMatrix&) = delete;
  DeviceQuantizedMatrix& operator=(const DeviceQuantizedMatrix&) = delete;
  const QuantizedMatrixView& view() const { return view_; }

 private:
  QuantizedMatrixView view_;
  std::vector<void*> buffers_;
};

// Device copies of `q` to issue in turn, so that together they are at least
// `factor` x a cache of `cache_bytes` (rotation_copies, quant_format.h) and a
// kernel timed or run on them streams its weights from HBM, not the L2; at
// most `max_copies` (a tiny matrix stays cache-resident rather than
// thousands of allocations: its kernel is launch-bound anyway).
std::vector<std::unique_ptr<DeviceQuantizedMatrix>> device_rotation_copies(const QuantizedMatrix& q,
                                                                            int64_t cache_bytes, int factor,
                                                                            int max_copies = 64);

// Plain device float buffer (cudaMalloc / cudaFree), with host copies.
class DeviceFloats {
 public:
  explicit DeviceFloats(size_t n);
  explicit DeviceFloats(const std::vector<float>& host);
  ~DeviceFloats();
  DeviceFloats(const DeviceFloats&) = delete;
  DeviceFloats& operator=(const DeviceFloats&) = delete;
  float* data() { return ptr_; }
  size_t size() const { return n_; }
  std::vector<float> to_host() const;

 private:
  float* ptr_ = nullptr;
  size_t n_ = 0;
};

// out: device [rows][cols].
void dequantize_cuda(const QuantizedMatrixView& q, float* out, void* stream = nullptr);
// x: device [batch][cols], y: device [batch][rows]; 1 <= batch <= 32.
void qgemv_cuda(const QuantizedMatrixView& q, const float* x, int batch, float* y, void* stream = nullptr);
// x: device [tokens][cols], y: device [tokens][rows]; workspace: device
// [rows][cols] floats (the dequantized weights).
void qgemm_cuda(const QuantizedMatrixView& q, const float* x, int64_t tokens, float* y, float* workspace,
                void* stream = nullptr);

}  // namespace paralab::kernels

#endif  // PARALAB_HAVE_CUDA
