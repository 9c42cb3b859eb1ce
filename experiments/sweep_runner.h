// SweepRunner: runs the runs of a sweep (experiments/spec.h) on worker
// threads, across MPI ranks, resumably, and records each in the store.
//
// Resumption: before anything runs, the configuration hashes already in the
// database for the experiment are skipped. Each run is written in one
// transaction by one writer (the calling thread of rank 0), so an
// interrupted sweep (Ctrl-C, kill -9) leaves only whole runs, and a rerun
// records exactly the missing ones: none lost, none twice.
// MPI: under mpirun (real/mpi_world.h) rank 0 alone opens the database; it
// sends the pending run indices to every rank; rank r runs the pending runs
// at positions p with p % size == r (a deterministic share) and sends each
// record to rank 0 as it finishes; rank 0 records them as they arrive. Every
// rank expands the same spec, so only indices and records travel.
// Invariants: 1. a run's record does not depend on the thread or rank that
// made it (the database equals a single-process one, run for run, except
// ids, insertion order and the `timing` key); 2. a failed run (oom,
// infeasible, invalid, error) is recorded, never an abort.
// Thread-safety: one sweep per process at a time; MPI calls are made only
// from the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "experiments/spec.h"
#include "results/store.h"

namespace paralab {

struct SweepProgress {
  size_t total = 0;    // runs in the sweep
  size_t skipped = 0;  // already in the database when the sweep started
  size_t done = 0;     // recorded by this sweep
  size_t failed = 0;   // of those, status other than ok
  double elapsed_seconds = 0;
  double eta_seconds = 0;  // from the mean time per run so far; 0 until one is done
};

struct SweepRunOptions {
  int threads = 1;  // worker threads per rank
  // Called on the writer thread after each recorded run (and once at the start).
  std::function<void(const SweepProgress&)> progress;
};

struct SweepOutcome {
  SweepProgress progress;
  std::vector<int64_t> run_ids;  // recorded by this sweep (rank 0)
  bool is_writer = true;         // false on MPI ranks other than 0
};

// REQUIRES: `store` is non-null on the writer (rank 0, or the only
// process); ranks other than 0 pass nullptr.
SweepOutcome run_sweep(const ExperimentSpec& spec, const std::vector<SweepRun>& runs, ResultsStore* store,
                       const SweepRunOptions& o);

// True when this process is one rank of several under mpirun.
bool sweep_under_mpi();
// True on rank 0 or outside mpirun: the process that writes the database.
bool sweep_writer();

}  // namespace paralab
