// BenchRunner: the one harness every calibration micro-benchmark runs in
// (after nccl-tests' src/common.cu).
//
// A benchmark supplies only its name, its shape, the bytes and FLOPs one run
// moves or computes, an optional setup, its run and an optional correctness
// check. The runner owns the rest: setup once, one untimed correctness pass
// (run, then check), warm-up runs, then timed repetitions; it reports the
// median, min and mean time and the achieved rates derived from the median.
//
// Invariants:
//  1. The check is never inside a timed region; a failed check marks the
//     result (check_ok = false) but still times it, so the report says why.
//  2. seconds_median <= seconds_mean is not assumed; min <= median <= max.
//  3. When a benchmark supplies `timed_run` (e.g. CUDA events), the runner
//     uses its returned seconds instead of the host clock around `run`.
// Thread-safety: run_benchmark is reentrant; a Benchmark's callbacks are
// called from the calling thread only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/json_reader.h"

namespace paralab::real {

struct Benchmark {
  std::string name;    // "sgemm", "memcpy_pinned", ...
  std::string shape;   // "m=512 n=512 k=512", "bytes=1048576"
  double size = 0;     // the size the benchmark is indexed by (FLOPs, bytes)
  double bytes = 0;    // bytes moved by one run (0 if not meaningful)
  double flops = 0;    // FLOPs of one run (0 if not meaningful)
  std::function<void()> setup;                // optional, once
  std::function<void()> run;                  // the timed work
  std::function<double()> timed_run;          // optional: runs once and returns its own seconds
  std::function<std::string()> check;         // optional: "" if correct, else what is wrong
};

struct RunnerConfig {
  int warmup = 1;
  int repetitions = 5;
  // Keep repeating (beyond `repetitions`) until this much time was measured,
  // up to max_repetitions: short benchmarks get more samples.
  double min_total_seconds = 0.0;
  int max_repetitions = 1000;
};

struct BenchResult {
  std::string name;
  std::string shape;
  double size = 0, bytes = 0, flops = 0;
  int repetitions = 0;
  double seconds_median = 0, seconds_min = 0, seconds_max = 0, seconds_mean = 0;
  double bytes_per_s = 0;  // bytes / median
  double flops_per_s = 0;  // flops / median
  double best_bytes_per_s = 0;  // bytes / min (reported; the host calibration fits median rates)
  double best_flops_per_s = 0;  // flops / min
  bool check_ok = true;
  std::string check_message;

  Json to_json() const;
};

// REQUIRES: b.run or b.timed_run set; cfg.repetitions >= 1.
BenchResult run_benchmark(const Benchmark& b, const RunnerConfig& cfg);

// Median of a non-empty list (mean of the two middle values for even sizes).
double median(std::vector<double> v);

}  // namespace paralab::real
