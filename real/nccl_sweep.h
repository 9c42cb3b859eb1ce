// NCCL collective sweep for `calibrate --backend cuda` on a machine with two
// or more GPUs: all-reduce, all-gather and reduce-scatter over message sizes,
// one process driving every visible GPU (ncclCommInitAll), timed on the host
// around a synchronize of every GPU's stream, reported as nccl-tests defines
// it: algbw = S / t, busbw = algbw x factor (real/fit.h busbw_factor: all-
// reduce 2(n-1)/n, all-gather and reduce-scatter (n-1)/n), S the per-rank
// buffer (all-gather / reduce-scatter: the whole array, count x n).
// Invariants: 1. throws RealError (with NCCL's own words) when NCCL is
// missing or a call fails; the caller records it as "not measured: why";
// 2. every point is checked once, untimed: all-reduce of rank-dependent
// values sums to n(n+1)/2.
// Thread-safety: one sweep per process; it uses every visible GPU.
#pragma once

#include <vector>

#include "core/hardware_profile.h"
#include "real/bench_runner.h"

namespace paralab::real {

// REQUIRES: gpus >= 2 visible CUDA devices; sizes in bytes (multiples of 4 x gpus).
std::vector<CollectiveProfile> nccl_collective_sweep(int gpus, const std::vector<size_t>& sizes, const RunnerConfig& rc,
                                                     std::vector<BenchResult>* raw);

}  // namespace paralab::real
