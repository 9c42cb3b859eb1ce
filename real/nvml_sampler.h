// NvmlSampler: NVIDIA's own GPU-utilization counter, sampled during a run, as
// a second opinion beside the union of kernel-busy intervals.
//
// NVML's "gpu" utilization is the percentage of time, over its last sample
// period (1/6 s to 1 s depending on the product), during which at least one
// kernel ran — the figure nvidia-smi prints. The sampler polls it every
// `period` on a thread of its own between start() and stop() and reports the
// mean per device. Runs shorter than NVML's own sample period give coarse
// figures; the record says how many samples each mean holds.
//
// libnvidia-ml ships with the driver, not the toolkit, so it is loaded with
// dlopen at run time: on a machine without it the sampler is unavailable and
// says why (reason()); nothing is linked at build time.
//
// Thread-safety: start()/stop() from one thread; the sampling thread only
// reads NVML and writes its own accumulators.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace paralab::real {

struct NvmlUtilization {
  int device = -1;  // the TaskGraph's device id (set by the caller)
  std::string pci_bus_id;
  double mean_gpu_percent = 0;     // mean of the samples' "gpu" field
  double mean_memory_percent = 0;  // mean of the samples' "memory" field (memory-controller busy)
  int samples = 0;
};

class NvmlSampler {
 public:
  NvmlSampler();
  ~NvmlSampler();
  NvmlSampler(const NvmlSampler&) = delete;
  NvmlSampler& operator=(const NvmlSampler&) = delete;

  bool available() const { return lib_ != nullptr; }
  const std::string& reason() const { return reason_; }  // why unavailable ("" when available)

  // Starts sampling the devices with these PCI bus ids (as
  // cudaDeviceGetPCIBusId writes them). A device NVML does not know is
  // skipped and named in reason(). No-op when unavailable.
  void start(const std::vector<std::string>& pci_bus_ids,
             std::chrono::milliseconds period = std::chrono::milliseconds(20));
  // Stops and returns one entry per sampled device (empty when unavailable).
  std::vector<NvmlUtilization> stop();

 private:
  struct Api;
  void* lib_ = nullptr;
  Api* api_ = nullptr;
  std::string reason_;
  std::vector<void*> handles_;
  std::vector<NvmlUtilization> acc_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace paralab::real
