// Host calibration: the micro-benchmarks `paralab calibrate --backend host`
// runs, and the profile it writes.
//
// Each sweep runs its points through run_benchmark (real/bench_runner.h):
//  - SGEMM (OpenBLAS, one thread) over square and skinny shapes, optionally
//    with every other core running the same GEMM (the condition the host
//    executor runs in) -> peak (best achieved) and the efficiency curve by FLOPs;
//  - memory sweep (read + write) by bytes -> bandwidth and curve;
//  - memcpy between pinned (mlock) and pageable buffers by size -> alpha-beta;
//  - O_DIRECT reads of a scratch file by block size and queue depth;
//  - MPI collectives by size (in an mpirun child, real/mpi_collectives.h).
// Invariants: 1. every BenchResult keeps its check verdict (a failed check is
// reported, never silently dropped); 2. the profile's GEMM curve is relative
// to its peak_flops_per_s["fp32"], the memory curve to its bandwidth.
// Thread-safety: one calibration per process at a time (it loads the cores).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/hardware_profile.h"
#include "real/bench_runner.h"

namespace paralab::real {

struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
  double flops() const { return 2.0 * double(m) * double(n) * double(k); }
};

struct HostCalibrationConfig {
  bool quick = false;            // small sweeps (tests, CI): seconds instead of a minute
  std::string scratch_dir;       // where the disk benchmark's file goes ("" = results/)
  int mpi_ranks = 2;             // 0 = skip the MPI collective sweep
  std::string paralab_binary;    // the program to launch under mpirun for collectives
  int busy_cores = -1;           // cores kept busy during GEMM/memory sweeps (-1 = nproc - 1)
  std::string name = "localhost-host";
};

std::vector<GemmShape> default_gemm_shapes(bool quick);
std::vector<BenchResult> bench_sgemm(const std::vector<GemmShape>& shapes, const RunnerConfig& cfg, int busy_cores);
std::vector<BenchResult> bench_memory_sweep(const std::vector<size_t>& bytes, const RunnerConfig& cfg, int busy_cores);
// Copies between a pinned and a pageable buffer (pinned = both mlock-ed).
std::vector<BenchResult> bench_memcpy(const std::vector<size_t>& bytes, bool pinned, const RunnerConfig& cfg);
// Reads of `file_bytes` scratch file at each (block, queue depth): each of
// `qd` threads reads its own stripe of blocks.
std::vector<BenchResult> bench_disk_read(const std::string& path, size_t file_bytes, const std::vector<size_t>& blocks,
                                         const std::vector<int>& queue_depths, const RunnerConfig& cfg,
                                         bool* o_direct, std::string* note);

// Runs all sweeps and returns the profile; `raw` (if set) receives every point.
HardwareProfile calibrate_host(const HostCalibrationConfig& cfg, std::vector<BenchResult>* raw);

// Static facts about this machine: hostname, CPU model, nproc, memory.
Json host_machine_json();

}  // namespace paralab::real
