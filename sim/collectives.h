// Collective algorithms: how one collective op becomes flows (flow mode), or
// its closed-form alpha-beta time (analytic mode).
//
// Conventions (nccl-tests): S = op bytes; for all-gather / reduce-scatter S is
// the whole array (count x n), for all-to-all each rank's send buffer.
// algbw = S / t; busbw = algbw x busbw_factor(kind, n).
//
// Programs (flow mode), n ranks in group order:
//  ring      all-reduce: 2(n-1) steps, all-gather / reduce-scatter: n-1 steps;
//            in step s rank i sends S/n to rank i+1 after it has received
//            step s-1 from rank i-1 and sent its own step s-1.
//  tree      all-reduce: double binary tree — two heap-shaped binary trees
//            (ranks in group order, and reversed), each carrying S/2 in
//            `chunks` pipelined chunks: reduce to the root, broadcast back.
//            Broadcast: tree 1 only, S in chunks. Others fall back to ring.
//  hierarchical  all-reduce: ring reduce-scatter inside each node (S/n1
//            chunks), ring all-reduce across nodes among ranks with the same
//            local index (S/n1 each), ring all-gather inside each node.
//            The buffer is cut into `chunks` parts whose three phases are
//            pipelined (chunk j's phase waits for its previous phase and for
//            chunk j-1's same phase), as NCCL pipelines its channels' work
//            across NVLink and the network instead of running the phases
//            one after another. Requires the same number of ranks on every
//            node, else ring.
//  broadcast ring: a chain from the first rank, pipelined in `chunks`.
//  all-to-all: every ordered pair sends S/n at once. send/recv: one flow.
//  max_ring_steps > 0 coarsens long rings (each ring phase above: reduce-
//            scatter, all-gather, the 2(n-1) steps of a ring all-reduce):
//            q = ceil(steps / max_ring_steps) consecutive steps become one
//            flow of q chunks that pays the q steps' latencies before it
//            moves its bytes. Flows fall by q; an uncontended ring takes
//            exactly as long as with every step its own flow (the same
//            steps x alpha latency and the same bytes / B); under contention
//            the merged flow holds its share of a link for the q steps
//            together instead of leaving it idle during each step's latency.
//            For rings of hundreds of ranks (data parallelism over 256
//            nodes: 2 x 255 steps x 256 flows per all-reduce) and for the
//            many small tensor-parallel rings of a training iteration.
//
// Every flow carries bytes / e, e = the route's collective_efficiency (the
// fraction of line rate NCCL achieves there, Link::collective_efficiency).
//
// Analytic (α = largest route latency between ring neighbours, B = smallest
// route bandwidth x collective_efficiency between them; hierarchical uses
// α1,B1 inside a node and α2,B2 between nodes):
//  ring AR   2(n-1)α + 2(n-1)/n · S/B      ring AG/RS, A2A  (n-1)α + (n-1)/n · S/B
//  tree AR   2⌈log2 n⌉α + 2·S/B (an interior rank moves 2S each way)
//  hier AR   2(n1-1)α1 + 2(n2-1)α2 + max(Wn, Wx) + min(Wn, Wx)/chunks,
//            Wn = 2(n1-1)/n1·S/B1 (both node phases share the NVLinks),
//            Wx = 2(n2-1)/n2·(S/n1)·m/B2, m = the node's ranks behind one
//            NIC (1 with a NIC per GPU; n1 on a one-NIC node, whose n1
//            cross-node rings split it) (the pipelined phases: the slower
//            resource runs throughout, the other shows one chunk's worth)
//  broadcast (n-1)α + S/B (pipelined chain)      send/recv α + S/B
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <vector>

#include "core/cluster.h"
#include "core/task_graph.h"

namespace paralab::sim {

struct CollectiveFlow {
  int src_device = 0, dst_device = 0;
  double bytes = 0;
  int steps = 1;  // ring steps merged into this flow: it pays steps x the route latency
};

// An immutable DAG of flows; flow i may start once all of deps_of(i) finished.
struct CollectiveProgram {
  std::vector<CollectiveFlow> flows;
  std::vector<int> num_deps;             // per flow
  std::vector<int> succ_offsets, succ;   // CSR: flows unblocked when flow i ends

  std::span<const int> successors(int i) const {
    return {succ.data() + succ_offsets[i], size_t(succ_offsets[i + 1] - succ_offsets[i])};
  }
};

// kAuto -> hierarchical for an all-reduce spanning several nodes with several
// ranks per node (same count on each), else ring; unsupported -> ring.
CollectiveAlgo resolve_algo(const Cluster& c, CollectiveKind kind, std::span<const int> ranks, CollectiveAlgo algo);

CollectiveProgram build_collective(const Cluster& c, CollectiveKind kind, std::span<const int> ranks, double bytes,
                                   CollectiveAlgo algo, int chunks = 4, int max_ring_steps = 0);

TimeNs analytic_collective_ns(const Cluster& c, CollectiveKind kind, std::span<const int> ranks, double bytes,
                              CollectiveAlgo algo, int chunks = 4);

// How many of `devices` leave their node through `device`'s NIC (0 when
// `device` has none): the cross-node flows that split that NIC.
int behind_nic_of(const Cluster& c, std::span<const int> devices, int device);

// How much longer the ring collectives of `groups` take when all run at once
// than each alone (>= 1), for the first group: each group's ring sends from
// every rank to the next; a directed link carried by k such flows gives each
// 1/k of its bandwidth; the factor is the first group's slowest ring hop
// alone over its slowest with all groups' flows on the links. (Groups
// inside one node on a PCIe tree share switch uplinks; NVSwitch gives each
// GPU its own links, factor 1.) Planners scale a collective's bytes by it.
double concurrent_ring_slowdown(const Cluster& c, const std::vector<std::vector<int>>& groups);

// nccl-tests busbw / algbw: all-reduce 2(n-1)/n; all-gather, reduce-scatter,
// all-to-all (n-1)/n; broadcast, send/recv 1.
double busbw_factor(CollectiveKind kind, int n);

}  // namespace paralab::sim
