// CUDA calibration: the micro-benchmarks `paralab calibrate --backend cuda`
// runs on GPU 0 — cuBLAS GEMMs over shapes and dtypes (fp32/tf32, fp16,
// bf16; tensor cores where the dtype allows) timed with CUDA events, a device
// memory bandwidth kernel, H2D/D2H copies from pinned and pageable memory by
// size (alpha-beta fits; the pinned H2D fit goes onto the GPU's "pcie"
// links, not onto those touching a NIC or an SSD), O_DIRECT file reads (one
// reader's rate, as on the host: real/host_calibration.h
// disk_profile_from_results), and with two or more GPUs an NCCL sweep
// (all-reduce, all-gather, reduce-scatter; algbw and busbw as nccl-tests
// define them: real/nccl_sweep.h) whose all-reduce busbw sets "nvlink".
// Invariants: 1. without a device (or in a build without CUDA) it throws
// InputError with the reason, never crashes; 2. the profile's device entry is
// kind "gpu" with curves relative to its per-dtype peaks (best achieved).
// Thread-safety: one calibration per process.
#pragma once

#include <string>
#include <vector>

#include "core/hardware_profile.h"
#include "real/bench_runner.h"

namespace paralab::real {

struct CudaCalibrationConfig {
  bool quick = false;
  std::string scratch_dir;
  std::string name = "localhost-cuda";
};

// Number of visible CUDA devices; 0 with `reason` set when there are none or
// the build has no CUDA.
int cuda_device_count(std::string* reason);

HardwareProfile calibrate_cuda(const CudaCalibrationConfig& cfg, std::vector<BenchResult>* raw);

}  // namespace paralab::real
