// One checking macro per library for every MPI, CUDA, cuBLAS and NCCL call
// in real/: on failure it throws RealError("<file>:<line>: <call>: <library's
// error string>"), which the executors turn into a run with status `error`.
// (Throwing, rather than aborting, is what lets a failed run be recorded.)
// Thread-safety: the macros are reentrant.
#pragma once

#include <stdexcept>
#include <string>

namespace paralab::real {

class RealError : public std::runtime_error {
 public:
  explicit RealError(const std::string& m) : std::runtime_error(m) {}
};

[[noreturn]] void throw_call_error(const char* file, int line, const char* call, const std::string& what);

// MPI: error string from MPI_Error_string.
std::string mpi_error_string(int code);

}  // namespace paralab::real

#define PARALAB_CHECK_CALL(ok_expr, err_string, call)                              \
  do {                                                                             \
    if (!(ok_expr)) ::paralab::real::throw_call_error(__FILE__, __LINE__, call, err_string); \
  } while (0)

#define MPI_CHECK(call)                                                                          \
  do {                                                                                           \
    int mpi_check_rc_ = (call);                                                                  \
    PARALAB_CHECK_CALL(mpi_check_rc_ == 0, ::paralab::real::mpi_error_string(mpi_check_rc_), #call); \
  } while (0)

#if PARALAB_HAVE_CUDA
#include <cublas_v2.h>
#include <cuda_runtime.h>
#define CUDA_CHECK(call)                                                                          \
  do {                                                                                            \
    cudaError_t cuda_check_rc_ = (call);                                                          \
    PARALAB_CHECK_CALL(cuda_check_rc_ == cudaSuccess, cudaGetErrorString(cuda_check_rc_), #call); \
  } while (0)
#define CUBLAS_CHECK(call)                                                                             \
  do {                                                                                                 \
    cublasStatus_t cublas_check_rc_ = (call);                                                          \
    PARALAB_CHECK_CALL(cublas_check_rc_ == CUBLAS_STATUS_SUCCESS, cublasGetStatusString(cublas_check_rc_), #call); \
  } while (0)
#endif
#if PARALAB_HAVE_NCCL
#include "real/nccl_lazy.h"  // NCCL is loaded with dlopen: its error string comes from there
#define NCCL_CHECK(call)                                                                         \
  do {                                                                                           \
    ncclResult_t nccl_check_rc_ = (call);                                                        \
    PARALAB_CHECK_CALL(nccl_check_rc_ == ncclSuccess, paralab::real::nccl_error_string(nccl_check_rc_), #call); \
  } while (0)
#endif
