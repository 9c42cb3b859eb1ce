// MPI collective micro-benchmarks (the host backend's "NCCL"), after
// nccl-tests: for each size, algbw = S / t and busbw = algbw x factor
// (real/fit.h), t being the slowest rank's time after a barrier.
//
// mpi_collective_sweep runs inside an MPI job (every rank calls it with the
// same arguments); launch_mpi_collective_calibration starts such a job
// (`mpirun -np R paralab calibrate --mpi-worker FILE`) and reads its result.
// Invariants: 1. all ranks call the same collectives in the same order;
// 2. the all-reduce result is checked (sum of rank-dependent values) in the
// runner's untimed pass.
// Thread-safety: call from one thread per rank.
#pragma once

#include <string>
#include <vector>

#include "core/hardware_profile.h"
#include "real/bench_runner.h"

namespace paralab::real {

// Collective kinds measured: all_reduce, all_gather, send_recv. Returns the
// profiles (meaningful on rank 0; other ranks get the same figures).
std::vector<CollectiveProfile> mpi_collective_sweep(const std::vector<size_t>& bytes, const RunnerConfig& cfg);

// Starts `ranks` processes of `paralab_binary` under mpirun and returns their
// collective profiles; InputError with mpirun's output when the job fails.
std::vector<CollectiveProfile> launch_mpi_collective_calibration(const std::string& paralab_binary, int ranks,
                                                                 bool quick, const std::string& work_dir);

}  // namespace paralab::real
