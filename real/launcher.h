// Multi-rank runs of the host (or cuda) executor, and how their per-rank
// results come together.
//
// Two ways to run on R ranks:
//  - launch_ranks(): the calling process (not an MPI rank) starts
//    `mpirun -np R <paralab> run ... --rank-output DIR` and reads one result
//    file per rank. A rank that left no file is reported by number (from
//    mpirun's "Process name: [[job,R]]" line when it printed one), so a dead
//    rank ends the run with status error naming it.
//  - gather_rank_results(): every rank of a job started by the user's own
//    mpirun calls it; rank 0 receives all results (MPI_Gatherv of JSON).
// Invariants: 1. the returned vector is ordered by rank and has one entry per
// rank (an entry for a missing rank has status error and says why);
// 2. nothing here writes the results database — the caller writes one record,
// once, after merging.
// Thread-safety: call from one thread.
#pragma once

#include <string>
#include <vector>

#include "real/executor.h"

namespace paralab::real {

// `args` are the `paralab run` arguments after the subcommand (shell-quoted
// by the caller). `timeout_seconds` bounds the whole mpirun.
std::vector<RankResult> launch_ranks(const std::string& binary, int ranks, const std::string& args,
                                     const std::string& work_dir, double timeout_seconds);

// Rank 0 gets every rank's result; other ranks get an empty vector.
std::vector<RankResult> gather_rank_results(const RankResult& mine);

// Result file name for a rank under --rank-output DIR.
std::string rank_result_path(const std::string& dir, int rank);

}  // namespace paralab::real
