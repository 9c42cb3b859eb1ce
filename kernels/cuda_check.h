// Checking of every CUDA runtime and cuBLAS call in kernels/: on failure
// KCUDA_CHECK / KCUBLAS_CHECK throw KernelError("<file>:<line>: <call>:
// <library's error string>"). Throwing (not aborting) lets a caller record a
// failed run. After each kernel launch: KCUDA_CHECK(cudaGetLastError()).
// Thread-safety: reentrant.
#pragma once

#include <stdexcept>
#include <string>

namespace paralab::kernels {

class KernelError : public std::runtime_error {
 public:
  explicit KernelError(const std::string& m) : std::runtime_error(m) {}
};

[[noreturn]] inline void throw_kernel_error(const char* file, int line, const char* call, const char* what) {
  throw KernelError(std::string(file) + ":" + std::to_string(line) + ": " + call + ": " + what);
}

}  // namespace paralab::kernels

#define KCUDA_CHECK(call)                                                                                 \
  do {                                                                                                    \
    cudaError_t kcuda_rc_ = (call);                                                                       \
    if (kcuda_rc_ != cudaSuccess)                                                                         \
      ::paralab::kernels::throw_kernel_error(__FILE__, __LINE__, #call, cudaGetErrorString(kcuda_rc_));   \
  } while (0)

#define KCUBLAS_CHECK(call)                                                                               \
  do {                                                                                                    \
    cublasStatus_t kcublas_rc_ = (call);                                                                  \
    if (kcublas_rc_ != CUBLAS_STATUS_SUCCESS)                                                             \
      ::paralab::kernels::throw_kernel_error(__FILE__, __LINE__, #call, cublasGetStatusString(kcublas_rc_)); \
  } while (0)
