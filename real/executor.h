// Executor: runs a TaskGraph for real and measures it. Two backends behind
// one interface — `host` (threads, OpenBLAS, memcpy, O_DIRECT reads, MPI)
// and `cuda` (cuBLAS, cudaMemcpyAsync, NCCL, CUDA events) — produce the same
// RunRecord as the simulator (backend "real-host" / "real-cuda") and a trace
// in Chrome/Perfetto JSON (pid = device, tid = stream).
//
// Ranks: under MPI each rank executes the devices it owns (device d belongs
// to rank d mod world size); an op runs on a rank if one of the devices it
// occupies is local. A dependency on an op of another rank is satisfied by
// the communication op that joins them (send/recv or a collective).
//
// Invariants:
//  1. Ops on one (device, stream) start in id order; an op starts only after
//     every local predecessor finished.
//  2. Every OpTiming is relative to one start instant shared by all ranks
//     (a barrier), so merged timings form one timeline.
//  3. A failure (oom, a library error, a collective time-out naming the
//     missing rank) ends the run with that status and message; no partial
//     record escapes as "ok".
// Thread-safety: an Executor runs one graph at a time; run() spawns and joins
// its own worker threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/run_record.h"
#include "core/task_graph.h"
#include "kernels/quantized_matrix.h"
#include "real/nvml_sampler.h"

namespace paralab::real {

struct ExecOptions {
  std::string scratch_dir;                 // for the SSD scratch file ("" = results/)
  double collective_timeout_seconds = 60;  // a collective waiting longer fails the run
  int warmup_runs = 1;                     // untimed executions before the measured one
  int repetitions = 1;                     // timed executions; the one with the shortest makespan is kept
  int fail_rank = -1;                      // fault injection: this rank stops at its first collective
  bool keep_timings = true;
};

struct OpTiming {
  int op = 0;
  int device = 0;
  int stream = 0;
  double start_seconds = 0;
  double end_seconds = 0;
};

// What one rank measured (several of these merge into one run).
struct RankResult {
  int rank = 0;
  std::string status = "ok";
  std::string message;
  std::vector<OpTiming> timings;
  std::vector<MemoryPeak> peak_memory;
  std::vector<std::string> notes;
  std::vector<NvmlUtilization> nvml;  // cuda backend, where NVML is present
  Json to_json() const;
  static RankResult from_json(const Json& j);
};

// Merges per-rank results into a record for `backend` ("real-host",
// "real-cuda"): step_seconds = the latest end, per-device utilization = the
// union of kernel intervals (compute and collective ops, as the simulator
// counts them) over the makespan, metrics per op kind, and NVML's mean
// utilization per device where it was sampled (metrics.nvml_utilization).
RunRecord merge_rank_results(const std::vector<RankResult>& ranks, const TaskGraph& g, const Cluster& c,
                             const std::string& backend);

// Chrome/Perfetto trace of merged timings.
Json trace_json(const std::vector<RankResult>& ranks, const TaskGraph& g);

// Sum of busy seconds by op class ("gemm", "compute_other", "transfer",
// "ssd_read", "collective") over the merged timings.
Json busy_seconds_by_kind(const std::vector<RankResult>& ranks, const TaskGraph& g);

class Executor {
 public:
  virtual ~Executor() = default;
  // Executes the local part of `g` on `c`; the graph is validated first
  // (InputError for a bad graph).
  virtual RankResult run(const TaskGraph& g, const Cluster& c, const ExecOptions& o) = 0;
  virtual std::string backend() const = 0;  // "real-host" | "real-cuda"
};

// "host" or "cuda"; InputError listing the valid names otherwise. The cuda
// executor constructs without a device; run() then reports status error.
std::unique_ptr<Executor> make_executor(const std::string& backend);

// The synthetic matrix in `format` (a kernels/ name) of n x k that both
// executors run op `op`'s weight-quantized GEMM on (its values do not
// matter: the kernels' time depends on the bytes). An InputError naming the
// op, the format and the shape when kernels/ does not know the format or
// the shape cannot hold it.
kernels::QuantizedMatrix synthetic_weights_for(const TaskGraph& g, int op, const std::string& format, int64_t n,
                                               int64_t k);

// The first op of `g` placed on a device of `c` that is not a GPU, as an
// error message for the CUDA backend ("" when every op is on a GPU). Such an
// op (FlexGen's attention over a host-held cache, llama.cpp's CPU layers)
// would otherwise run as a GPU kernel and be timed as one.
std::string non_gpu_op(const TaskGraph& g, const Cluster& c);

// Op class used in metrics and validation ("gemm", "compute_other", ...).
std::string op_class(const TaskGraph& g, int op);

}  // namespace paralab::real
