// NcclApi: NCCL loaded on first use with dlopen, not linked. NCCL is not part
// of the CUDA toolkit and is far too large to bundle (real/gpu_bundle.sh), so
// a binary that linked it could not even start where it is missing; loaded
// lazily, a single-GPU run never needs it and a multi-GPU run finds the copy
// the machine has (e.g. the one PyTorch's packages carry).
//
// Where from: $PARALAB_NCCL_LIBRARY (a path) if set, else "libnccl.so.2" by
// the dynamic loader's search (LD_LIBRARY_PATH, --library-path, ...).
// Invariants: 1. nccl_api() loads at most once per process and returns the
// same table after; 2. if the library or a symbol is missing, it throws
// RealError naming what it tried and dlerror()'s words, every time it is
// called (a run that needs NCCL fails with the reason; others never ask).
// Thread-safety: nccl_api() is thread-safe (function-local static).
#pragma once

#if PARALAB_HAVE_NCCL
#include <nccl.h>

#include <string>

namespace paralab::real {

struct NcclApi {
  std::string path;  // what was loaded
  decltype(&::ncclGetUniqueId) GetUniqueId = nullptr;
  decltype(&::ncclCommInitRank) CommInitRank = nullptr;
  decltype(&::ncclCommInitAll) CommInitAll = nullptr;
  decltype(&::ncclCommAbort) CommAbort = nullptr;
  decltype(&::ncclCommDestroy) CommDestroy = nullptr;
  decltype(&::ncclCommGetAsyncError) CommGetAsyncError = nullptr;
  decltype(&::ncclGetErrorString) GetErrorString = nullptr;
  decltype(&::ncclGroupStart) GroupStart = nullptr;
  decltype(&::ncclGroupEnd) GroupEnd = nullptr;
  decltype(&::ncclAllReduce) AllReduce = nullptr;
  decltype(&::ncclAllGather) AllGather = nullptr;
  decltype(&::ncclReduceScatter) ReduceScatter = nullptr;
  decltype(&::ncclBroadcast) Broadcast = nullptr;
  decltype(&::ncclSend) Send = nullptr;
  decltype(&::ncclRecv) Recv = nullptr;
};

const NcclApi& nccl_api();

// The library's error string, or "ncclResult_t <n>" when NCCL is not loaded.
std::string nccl_error_string(ncclResult_t rc);

}  // namespace paralab::real
#endif
