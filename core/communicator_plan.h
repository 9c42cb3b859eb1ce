// CommunicatorPlan: the communicators a run of a TaskGraph builds from the
// graph's groups, written once for every backend (MPI_Comm_split on the host,
// ncclCommInitRank / ncclCommInitAll on cuda).
//
// One communicator per (group, stream) used by a collective with two or more
// members: collectives of one group on one stream are issued in stream order
// on every member, so they can share a communicator; collectives of one group
// on two streams may run concurrently and get two. Building a communicator
// that spans processes is a collective call of every process (a world-wide
// split, or the broadcast of an NCCL id), so every process walks the whole
// plan, in one global order, and takes part in every entry, member or not.
// A process that walked only its own groups, in the order it met them, would
// deadlock as soon as two groups cross (TP {0,1},{2,3} and DP {0,2},{1,3}).
//
// Devices map to processes as everywhere in real/: device d runs on process
// d mod world_size.
//
// Invariants:
//  1. communicator_plan(g, w) depends on (g, w) alone: every process gets the
//     same entries in the same order (ascending group id, then stream).
//  2. Each entry lists the group's devices in group order and the process of
//     each; root_process is the first member's process.
//  3. Entries are exactly the (group, stream) pairs of collectives whose
//     group has two or more devices.
// Thread-safety: pure functions.
#pragma once

#include <vector>

#include "core/task_graph.h"

namespace paralab {

inline int process_of_device(int device, int world_size) { return world_size > 0 ? device % world_size : 0; }

struct CommunicatorSpec {
  int group = 0;
  int stream = 0;
  std::vector<int> devices;    // group order: member i of the communicator
  std::vector<int> processes;  // processes[i] runs devices[i]
  int root_process = 0;
  // Whether the members live in two or more processes (else one process
  // builds it alone, e.g. ncclCommInitAll or an in-process rendezvous).
  bool spans_processes() const;
  // Indices i of the members that `process` runs, ascending.
  std::vector<int> members_of(int process) const;
};

std::vector<CommunicatorSpec> communicator_plan(const TaskGraph& g, int world_size);

// The entry a collective op uses. REQUIRES: `plan` from communicator_plan(g, ..),
// op a collective with >= 2 members. Returns its index in `plan`.
int communicator_index(const std::vector<CommunicatorSpec>& plan, const TaskGraph& g, int op);

}  // namespace paralab
