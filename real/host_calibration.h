// Host calibration: the micro-benchmarks `paralab calibrate --backend host`
// runs, and the profile it writes.
//
// Each sweep runs its points through run_benchmark (real/bench_runner.h):
//  - SGEMM (OpenBLAS, one thread) over square and skinny shapes and over a
//    grid of (m, n, k), optionally with every other core running the same
//    GEMM (the condition the host executor runs in) -> peak (the highest
//    median rate), the efficiency curve by FLOPs and the grid by shape;
//  - the weight-only quantized GEMM kernel per format by rows m, on one
//    core (how offloaded-inference graphs run it) -> seconds per stored
//    weight by m;
//  - memory sweep (read + write) by bytes -> bandwidth and curve;
//  - memcpy between pinned (mlock) and pageable buffers by size -> alpha-beta;
//  - O_DIRECT reads of a scratch file by block size and queue depth -> the
//    rate of one reader (queue depth 1) at the largest block, which is how the
//    host executor reads (one synchronous read per transfer op) and what the
//    simulator gives a transfer alone on the disk;
//  - MPI collectives by size (in an mpirun child, real/mpi_collectives.h);
//  - the core count (nproc), which the host's workers share.
// Every rate is taken from the median repetition (robust to a few slow
// repetitions when other jobs share the machine; the validation compares
// against the median of its real runs too).
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
  // Weight formats (kernels/ names) whose quantized GEMM kernel is timed.
  std::vector<std::string> quantized_formats = {"rtn-b4-g128", "rtn-b4-g64"};
};

std::vector<GemmShape> default_gemm_shapes(bool quick);
// Axes of the (m, n, k) grid the GEMM efficiency-by-shape is measured on
// (the same values on each axis, spaced by a constant factor).
std::vector<int64_t> default_gemm_grid_axis(bool quick);
// Efficiency grid from grid results: rate (flops / median seconds) / peak,
// clamped into (0, 1]. REQUIRES: results[i] is the point (m[a], n[b], k[c])
// with i = (a * n.size() + b) * k.size() + c; peak > 0.
GemmEfficiencyGrid gemm_grid_from_results(const std::vector<int64_t>& axis, const std::vector<BenchResult>& results,
                                          double peak);
// Per point i, the result of the pass with the median seconds_median (the
// lower middle for an even count); a failed check in any pass marks it.
// REQUIRES: every pass has the same points in the same order.
std::vector<BenchResult> median_of_passes(const std::vector<std::vector<BenchResult>>& passes);
std::vector<BenchResult> bench_sgemm(const std::vector<GemmShape>& shapes, const RunnerConfig& cfg, int busy_cores);
std::vector<BenchResult> bench_memory_sweep(const std::vector<size_t>& bytes, const RunnerConfig& cfg, int busy_cores);
// The host backend's weight-only quantized GEMM (kernels::qmatmul_cpu) of
// an n x k synthetic matrix in `format` at each row count m, on one core,
// checked against dequantize-then-multiply; shapes "format=F m=M n=N k=K".
std::vector<BenchResult> bench_quantized_gemm(const std::string& format, const std::vector<int64_t>& rows, int64_t n,
                                              int64_t k, const RunnerConfig& cfg);
// Seconds per stored weight at each m (median seconds / (n k)), from
// bench_quantized_gemm results in the order given. REQUIRES: same n, k.
std::vector<std::pair<double, double>> quantized_points_from_results(const std::vector<int64_t>& rows,
                                                                     const std::vector<BenchResult>& results,
                                                                     int64_t n, int64_t k);
// Copies between a pinned and a pageable buffer (pinned = both mlock-ed).
std::vector<BenchResult> bench_memcpy(const std::vector<size_t>& bytes, bool pinned, const RunnerConfig& cfg);
// Reads of `file_bytes` scratch file at each (block, queue depth): each of
// `qd` threads reads its own stripe of blocks.
std::vector<BenchResult> bench_disk_read(const std::string& path, size_t file_bytes, const std::vector<size_t>& blocks,
                                         const std::vector<int>& queue_depths, const RunnerConfig& cfg,
                                         bool* o_direct, std::string* note);

// The disk figures of a profile from bench_disk_read results (shapes
// "block=B qd=Q"): read_bytes_per_s = one reader (qd 1) at the largest block
// (how the executors read, and what the simulator gives one transfer alone;
// the best queue depth overstated it 2.3x), queue_depth = the depth past
// which more readers stopped adding 5%, latency = the alpha of the qd-1 fit.
// Both calibrations (host and cuda) use it. Adds a note to p->notes.
void disk_profile_from_results(const std::vector<BenchResult>& disk, HardwareProfile* p);

// Seconds the host executor spends per op beyond the op's work: the span of
// a chain of `ops` empty ops on one stream / ops (best of 3 runs); -1 if the
// run failed.
double measure_host_op_overhead_seconds(int ops);

// Runs all sweeps and returns the profile; `raw` (if set) receives every point.
HardwareProfile calibrate_host(const HostCalibrationConfig& cfg, std::vector<BenchResult>* raw);

// Static facts about this machine: hostname, CPU model, nproc, memory.
Json host_machine_json();

}  // namespace paralab::real
