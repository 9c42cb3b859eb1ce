// Device copies of quantized matrices and float buffers (qmatmul_cuda.h).
#include <cuda_runtime.h>

#include <algorithm>

#include "kernels/cuda_check.h"
#include "kernels/qmatmul_cuda.h"
#include "kernels/quant_format.h"

namespace paralab::kernels {

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();  // clear the sticky "no driver / no device" error
    return 0;
  }
  return n;
}

namespace {
template <typename T>
const T* upload(const std::vector<T>& v, std::vector<void*>& owned) {
  if (v.empty()) return nullptr;
  void* p = nullptr;
  KCUDA_CHECK(cudaMalloc(&p, v.size() * sizeof(T)));
  owned.push_back(p);
  KCUDA_CHECK(cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return static_cast<const T*>(p);
}
}  // namespace

DeviceQuantizedMatrix::DeviceQuantizedMatrix(const QuantizedMatrix& q) {
  view_.bits = q.format.bits;
  view_.group = q.format.group;
  view_.rank = q.format.rank;
  view_.lcq = q.format.kind == QuantKind::kLcq;
  view_.double_quant = q.format.double_quant;
  view_.rows = q.rows;
  view_.cols = q.cols;
  try {
    view_.codes = upload(q.codes, buffers_);
    view_.scale = upload(q.scale_fp16, buffers_);
    view_.zero = upload(q.zero_fp16, buffers_);
    view_.coef = upload(q.coef_fp16, buffers_);
    view_.coef_int8 = upload(q.coef_int8, buffers_);
    view_.dq_scale = upload(q.dq_scale_fp16, buffers_);
    view_.offset = upload(q.offset_fp16, buffers_);
    view_.basis = upload(q.basis_fp16, buffers_);
  } catch (...) {
    for (void* p : buffers_) cudaFree(p);
    throw;
  }
}

DeviceQuantizedMatrix::~DeviceQuantizedMatrix() {
  for (void* p : buffers_) cudaFree(p);
}

DeviceFloats::DeviceFloats(size_t n) : n_(n) {
  KCUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&ptr_), n * sizeof(float)));
}

DeviceFloats::DeviceFloats(const std::vector<float>& host) : DeviceFloats(host.size()) {
  KCUDA_CHECK(cudaMemcpy(ptr_, host.data(), n_ * sizeof(float), cudaMemcpyHostToDevice));
}

DeviceFloats::~DeviceFloats() { cudaFree(ptr_); }

std::vector<float> DeviceFloats::to_host() const {
  std::vector<float> h(n_);
  KCUDA_CHECK(cudaMemcpy(h.data(), ptr_, n_ * sizeof(float), cudaMemcpyDeviceToHost));
  return h;
}

std::vector<std::unique_ptr<DeviceQuantizedMatrix>> device_rotation_copies(const QuantizedMatrix& q,
                                                                            int64_t cache_bytes, int factor,
                                                                            int max_copies) {
  const int n = std::min(rotation_copies(cache_bytes, q.stored_bytes(), factor), std::max(max_copies, 1));
  std::vector<std::unique_ptr<DeviceQuantizedMatrix>> out;
  for (int i = 0; i < n; ++i) out.push_back(std::make_unique<DeviceQuantizedMatrix>(q));
  return out;
}

}  // namespace paralab::kernels
