// cuBLAS loaded on first use with dlopen, not linked. Linking libcublas makes
// the dynamic loader map and relocate libcublas and libcublasLt (about 210 MB
// of resident memory) in every process, including `paralab --help` and every
// simulation that never touches a GPU. The few cuBLAS entry points paralab
// calls are defined here with the library's own prototypes (from
// <cublas_v2.h>, so the compiler checks them); each forwards to the real
// function, resolved once.
//
// Where from: $PARALAB_CUBLAS_LIBRARY (a path) if set, else
// "libcublas.so.<major>" by the loader's search, else the same file in the
// CUDA toolkit folder found at build time (PARALAB_CUDA_LIBRARY_DIR).
// When the library or a symbol is missing, every call returns
// CUBLAS_STATUS_NOT_INITIALIZED and cublasGetStatusString() names what was
// tried and dlerror()'s words, so the existing checks (KCUBLAS_CHECK,
// CUBLAS_CHECK) report the reason.
// Thread-safety: resolution is a function-local static (thread-safe).
// Add an entry point here when code starts to call a new cuBLAS function;
// the link fails with "undefined reference to cublasX" until then.
#if PARALAB_HAVE_CUDA
#include <cublas_v2.h>
#include <dlfcn.h>

#include <cstdlib>
#include <string>

namespace {

struct CublasLib {
  void* handle = nullptr;
  std::string error;  // "" when loaded
};

const CublasLib& cublas_lib() {
  static const CublasLib lib = [] {
    CublasLib l;
    std::string soname = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
    std::string tried;
    auto try_open = [&](const std::string& p) {
      if (l.handle) return;
      l.handle = dlopen(p.c_str(), RTLD_NOW | RTLD_GLOBAL);
      if (!l.handle) {
        const char* why = dlerror();
        tried += (tried.empty() ? "" : "; ") + p + ": " + (why ? why : "?");
      }
    };
    const char* env = std::getenv("PARALAB_CUBLAS_LIBRARY");
    if (env && *env) {
      try_open(env);
    } else {
      try_open(soname);
#ifdef PARALAB_CUDA_LIBRARY_DIR
      try_open(std::string(PARALAB_CUDA_LIBRARY_DIR) + "/" + soname);
#endif
    }
    if (!l.handle) l.error = "cuBLAS not loaded (" + tried + "); set PARALAB_CUBLAS_LIBRARY to a " + soname;
    return l;
  }();
  return lib;
}

// The function `name` of the loaded library, or nullptr.
template <typename F>
F resolve(const char* name) {
  const CublasLib& l = cublas_lib();
  return l.handle ? reinterpret_cast<F>(dlsym(l.handle, name)) : nullptr;
}

}  // namespace

// Calls `name` of the loaded library, whose pointer type is Fn.
#define PARALAB_CUBLAS_FORWARD(Fn, name, ...)                  \
  static const auto fn = resolve<Fn>(#name);                  \
  return fn ? fn(__VA_ARGS__) : CUBLAS_STATUS_NOT_INITIALIZED

extern "C" {

cublasStatus_t CUBLASWINAPI cublasCreate_v2(cublasHandle_t* handle) {
  PARALAB_CUBLAS_FORWARD(decltype(&::cublasCreate_v2), cublasCreate_v2, handle);
}

cublasStatus_t CUBLASWINAPI cublasDestroy_v2(cublasHandle_t handle) {
  PARALAB_CUBLAS_FORWARD(decltype(&::cublasDestroy_v2), cublasDestroy_v2, handle);
}

cublasStatus_t CUBLASWINAPI cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream) {
  PARALAB_CUBLAS_FORWARD(decltype(&::cublasSetStream_v2), cublasSetStream_v2, handle, stream);
}

cublasStatus_t CUBLASWINAPI cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  PARALAB_CUBLAS_FORWARD(decltype(&::cublasSetMathMode), cublasSetMathMode, handle, mode);
}

cublasStatus_t CUBLASWINAPI cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                           int m, int n, int k, const float* alpha, const float* A, int lda,
                                           const float* B, int ldb, const float* beta, float* C, int ldc) {
  PARALAB_CUBLAS_FORWARD(decltype(&::cublasSgemm_v2), cublasSgemm_v2, handle, transa, transb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

cublasStatus_t CUBLASWINAPI cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
                                         int m, int n, int k, const void* alpha, const void* A, cudaDataType Atype,
                                         int lda, const void* B, cudaDataType Btype, int ldb, const void* beta,
                                         void* C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType,
                                         cublasGemmAlgo_t algo) {
  // <cublas_api.h> overloads cublasGemmEx for C++, so its type is spelled out.
  using Fn = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
                                const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*,
                                cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);
  PARALAB_CUBLAS_FORWARD(Fn, cublasGemmEx, handle, transa, transb, m, n, k, alpha, A, Atype, lda, B, Btype, ldb, beta,
                         C, Ctype, ldc, computeType, algo);
}

const char* CUBLASWINAPI cublasGetStatusString(cublasStatus_t status) {
  const CublasLib& l = cublas_lib();
  if (!l.handle) return l.error.c_str();
  static const auto fn = resolve<decltype(&::cublasGetStatusString)>("cublasGetStatusString");
  return fn ? fn(status) : "cublasGetStatusString missing from the loaded cuBLAS";
}

}  // extern "C"
#endif
