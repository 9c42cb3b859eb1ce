#include "real/nccl_lazy.h"

#if PARALAB_HAVE_NCCL
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#include "real/check.h"

namespace paralab::real {

namespace {

struct Loaded {
  NcclApi api;
  std::string error;  // "" when loaded
};

template <typename F>
void bind(void* lib, const char* name, F* slot, std::string* error) {
  *slot = reinterpret_cast<F>(dlsym(lib, name));
  if (!*slot && error->empty()) *error = std::string("symbol ") + name + " missing: " + dlerror();
}

Loaded load() {
  Loaded l;
  const char* env = std::getenv("PARALAB_NCCL_LIBRARY");
  l.api.path = env && *env ? env : "libnccl.so.2";
  void* lib = dlopen(l.api.path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!lib) {
    const char* why = dlerror();
    l.error = "NCCL not found: dlopen(\"" + l.api.path + "\") failed: " + (why ? why : "?") +
              " (set PARALAB_NCCL_LIBRARY to a libnccl.so.2, e.g. PyTorch's nvidia/nccl/lib/libnccl.so.2)";
    return l;
  }
  NcclApi& a = l.api;
  bind(lib, "ncclGetUniqueId", &a.GetUniqueId, &l.error);
  bind(lib, "ncclCommInitRank", &a.CommInitRank, &l.error);
  bind(lib, "ncclCommInitAll", &a.CommInitAll, &l.error);
  bind(lib, "ncclCommAbort", &a.CommAbort, &l.error);
  bind(lib, "ncclCommDestroy", &a.CommDestroy, &l.error);
  bind(lib, "ncclCommGetAsyncError", &a.CommGetAsyncError, &l.error);
  bind(lib, "ncclGetErrorString", &a.GetErrorString, &l.error);
  bind(lib, "ncclGroupStart", &a.GroupStart, &l.error);
  bind(lib, "ncclGroupEnd", &a.GroupEnd, &l.error);
  bind(lib, "ncclAllReduce", &a.AllReduce, &l.error);
  bind(lib, "ncclAllGather", &a.AllGather, &l.error);
  bind(lib, "ncclReduceScatter", &a.ReduceScatter, &l.error);
  bind(lib, "ncclBroadcast", &a.Broadcast, &l.error);
  bind(lib, "ncclSend", &a.Send, &l.error);
  bind(lib, "ncclRecv", &a.Recv, &l.error);
  if (!l.error.empty()) l.error = l.api.path + ": " + l.error;
  return l;
}

const Loaded& loaded() {
  static const Loaded l = load();
  return l;
}

}  // namespace

const NcclApi& nccl_api() {
  const Loaded& l = loaded();
  if (!l.error.empty()) throw RealError(l.error);
  return l.api;
}

std::string nccl_error_string(ncclResult_t rc) {
  const Loaded& l = loaded();
  if (l.error.empty() && l.api.GetErrorString) return l.api.GetErrorString(rc);
  return "ncclResult_t " + std::to_string(int(rc));
}

}  // namespace paralab::real
#endif
