#include "real/nvml_sampler.h"

#include <dlfcn.h>

namespace paralab::real {

// The few NVML entry points used, declared here from NVML's stable C ABI
// (nvml.h is not part of every toolkit install).
struct NvmlSampler::Api {
  struct Utilization {
    unsigned int gpu, memory;
  };
  int (*init)();
  int (*shutdown)();
  int (*handle_by_pci)(const char*, void**);
  int (*utilization)(void*, Utilization*);
  const char* (*error_string)(int);
};

namespace {
template <typename F>
bool bind(void* lib, const char* name, F* out) {
  *out = reinterpret_cast<F>(::dlsym(lib, name));
  return *out != nullptr;
}
}  // namespace

NvmlSampler::NvmlSampler() {
  lib_ = ::dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib_) {
    const char* e = ::dlerror();
    reason_ = std::string("NVML unavailable: cannot load libnvidia-ml.so.1 (") + (e ? e : "not found") + ")";
    return;
  }
  api_ = new Api{};
  bool ok = bind(lib_, "nvmlInit_v2", &api_->init) && bind(lib_, "nvmlShutdown", &api_->shutdown) &&
            bind(lib_, "nvmlDeviceGetHandleByPciBusId_v2", &api_->handle_by_pci) &&
            bind(lib_, "nvmlDeviceGetUtilizationRates", &api_->utilization) &&
            bind(lib_, "nvmlErrorString", &api_->error_string);
  int rc = ok ? api_->init() : -1;
  if (!ok || rc != 0) {
    reason_ = ok ? std::string("NVML unavailable: nvmlInit failed (") + api_->error_string(rc) + ")"
                 : "NVML unavailable: libnvidia-ml.so.1 lacks the expected entry points";
    delete api_;
    api_ = nullptr;
    ::dlclose(lib_);
    lib_ = nullptr;
  }
}

NvmlSampler::~NvmlSampler() {
  stop();
  if (lib_) {
    api_->shutdown();
    delete api_;
    ::dlclose(lib_);
  }
}

void NvmlSampler::start(const std::vector<std::string>& pci_bus_ids, std::chrono::milliseconds period) {
  if (!lib_ || running_) return;
  handles_.clear();
  acc_.clear();
  for (const std::string& id : pci_bus_ids) {
    void* h = nullptr;
    int rc = api_->handle_by_pci(id.c_str(), &h);
    if (rc != 0) {
      reason_ += (reason_.empty() ? "" : "; ") + std::string("NVML does not know PCI device ") + id + " (" +
                 api_->error_string(rc) + ")";
      continue;
    }
    handles_.push_back(h);
    acc_.push_back(NvmlUtilization{-1, id, 0, 0, 0});
  }
  running_ = true;
  thread_ = std::thread([this, period] {
    while (running_) {
      for (size_t i = 0; i < handles_.size(); ++i) {
        Api::Utilization u{};
        if (api_->utilization(handles_[i], &u) == 0) {
          acc_[i].mean_gpu_percent += u.gpu;
          acc_[i].mean_memory_percent += u.memory;
          acc_[i].samples++;
        }
      }
      std::this_thread::sleep_for(period);
    }
  });
}

std::vector<NvmlUtilization> NvmlSampler::stop() {
  if (!running_) return {};
  running_ = false;
  thread_.join();
  std::vector<NvmlUtilization> out = acc_;
  for (NvmlUtilization& u : out)
    if (u.samples > 0) {
      u.mean_gpu_percent /= u.samples;
      u.mean_memory_percent /= u.samples;
    }
  return out;
}

}  // namespace paralab::real
