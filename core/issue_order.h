// IssueOrder: the order in which a backend issues a TaskGraph's ops, written
// once for every backend (DESIGN.md: "one copy of backend-independent logic").
//
// The TaskGraph contract orders ops in two ways: explicit dependency edges,
// and stream order (ops on one (device, stream) run in id order; a collective
// occupies the stream of every member device). Stream order adds no edge, so
// an order built from the edges alone (Kahn over deps) can issue a later
// compute before the receive that precedes it on its stream, and two ranks can
// issue their collectives in different orders (an NCCL hang). Backends that
// issue from one thread (cuda) take `order`; backends with a thread per lane
// (host) take `lanes` and `preds`.
//
// The global order is Kahn's algorithm over dependencies plus stream order,
// ties broken by the smallest op id. It depends on the graph alone, so every
// rank computes the same sequence and keeps its local ops: two ops that two
// ranks both issue (a collective on a shared communicator) come in the same
// relative order on both.
//
// Invariants:
//  1. global_issue_order(g) is a permutation of 0..size()-1 in which every op
//     comes after each of its dependencies and after the previous op on every
//     (device, stream) it occupies.
//  2. IssuePlan::order is global_issue_order(g) restricted to local ops (an
//     op is local when one of devices_of(op) is local), so it respects local
//     dependencies and local stream order too.
//  3. IssuePlan::lanes holds one lane per local (device, stream), sorted by
//     (device, stream); a lane's ops are in id order (= stream order).
//  4. IssuePlan::preds[op] lists the op's explicit predecessors that are
//     local, ascending, without repeats (empty for non-local ops); a
//     dependency on a remote op is met by the communication op joining them.
// Thread-safety: pure functions of a const graph (finalize() must have run,
// as validate() does).
#pragma once

#include <functional>
#include <vector>

#include "core/task_graph.h"

namespace paralab {

// REQUIRES: g.validate() accepted the graph. A cycle (dependencies plus
// stream order) is an InputError naming an op on it.
std::vector<int> global_issue_order(const TaskGraph& g);

struct IssueLane {
  int device = 0;
  int stream = 0;
  std::vector<int> ops;  // id order
};

struct IssuePlan {
  std::vector<int> order;               // local ops, in the one global order
  std::vector<IssueLane> lanes;         // local (device, stream) lanes
  std::vector<std::vector<int>> preds;  // per op id: local explicit predecessors
};

// `is_local(device)` says whether this process executes `device`.
IssuePlan plan_issue(const TaskGraph& g, const std::function<bool(int device)>& is_local);

// Whether `sequence` (a subset of op ids, each at most once) respects the
// dependencies and stream order among the ops it contains: "" if so, else a
// message naming the first violation ("op 7 (x) issued before op 5 (y), which
// precedes it on device 1 stream 0"). For tests and executor self-checks.
std::string issue_order_violation(const TaskGraph& g, const std::vector<int>& sequence);

}  // namespace paralab
