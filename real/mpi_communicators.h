// MPI communicators for a CommunicatorPlan (core/communicator_plan.h): the
// host backend's collectives and the cuda backend's NCCL bootstrap both build
// theirs here, from the one plan, so the two cannot drift apart.
//
// Invariants:
//  1. Every process of MPI_COMM_WORLD calls these with the same plan; each
//     walks every entry in plan order and joins every world-wide call, member
//     or not, so groups that cross (TP x DP) cannot deadlock.
//  2. split_communicators() returns one MPI_Comm per entry: a communicator
//     whose rank i is the entry's member i for an entry that spans processes
//     and has a member on this process, MPI_COMM_NULL otherwise. The caller
//     frees the non-null ones (MPI_Comm_free).
//  3. broadcast_from_roots() gives every process the root's bytes for each
//     spanning entry (an NCCL unique id), one MPI_Bcast per spanning entry on
//     MPI_COMM_WORLD, in plan order.
// REQUIRES: MPI initialised (MpiWorld active) when the world has > 1 rank.
// Thread-safety: call from one thread while no other thread uses MPI.
#pragma once

#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

#include "core/communicator_plan.h"

namespace paralab::real {

std::vector<MPI_Comm> split_communicators(const std::vector<CommunicatorSpec>& plan, int rank);

// For each spanning entry: the root process calls make_root_bytes(entry)
// (e.g. ncclGetUniqueId), every process receives the bytes. Entries that do
// not span processes get "". Bytes have a fixed size per call.
std::vector<std::string> broadcast_from_roots(const std::vector<CommunicatorSpec>& plan, int rank, size_t bytes,
                                              const std::function<std::string(const CommunicatorSpec&)>& make_root_bytes);

}  // namespace paralab::real
