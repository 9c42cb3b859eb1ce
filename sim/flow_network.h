// FlowNetwork: every byte that moves — transfers between memory tiers and the
// pieces of collectives — is a flow routed over the Cluster topology and
// sharing bandwidth through one MaxMinSolver.
//
// Resources in the solver: one per directed link (id = Hop::directed()), then
// per node: pageable-memory staging (a flow to or from pageable host memory
// is capped by pageable_copy_bytes_per_s), disk read, disk write; and per
// vertex a local-copy resource (memory bandwidth) for copies whose two ends
// are the same vertex. A flow's life: wait for a disk queue slot (disk flows,
// queue-depth limit, FIFO) -> pay its latency (sum of route link latencies
// plus the disk's per-request latency) -> move bytes at its max-min rate,
// which changes only when some flow starts or ends -> done.
//
// Invariants:
//  1. Flows of one solver class move at one rate, so their progress is kept
//     per class: a clock S (bytes each member has received since the
//     class's anchor time t) and each member's target T (the value of S at
//     which its last byte arrives). A level change re-anchors the class
//     (S += level * (now - t)) and leaves its members alone; only a flow
//     that changes class is re-targeted (remaining = T - S under the old
//     class, T' = S' + remaining under the new one). Each class keeps its
//     members in a min-heap by T, the classes sit in an indexed min-heap by
//     their first finish time, and the event queue holds one kFlowDone event
//     for the earliest, so rate changes leave no stale events behind.
//  2. resolve() is called once per simulated instant, after all events of
//     that instant, so simultaneous starts/ends cost one solve.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cluster.h"
#include "core/task_graph.h"
#include "core/units.h"
#include "sim/event_queue.h"
#include "sim/maxmin_solver.h"

namespace paralab::sim {

struct FlowOwner {
  int op = -1;   // op the flow belongs to
  int tag = -1;  // index within the op's collective program, -1 for a transfer
};

struct ResourceUsage {
  std::string name;   // "n0.gpu0->n0.nvswitch0", "n0.disk.read"
  std::string kind;   // link kind, "disk_read", "disk_write", "pageable_staging", "local"
  double capacity_bytes_per_s = 0;
  double bytes = 0;   // carried in all
};

class FlowNetwork {
 public:
  FlowNetwork(const Cluster& c, EventQueue& q);

  // Vertex holding a place's bytes; -1 if the cluster lacks it.
  int vertex_of(TierKind tier, int location) const;
  // Starts a flow from vertex a to vertex b; pageable_node >= 0 adds that
  // node's staging cap, disk_node/disk_write the disk resources and queue.
  // `latency_multiple`: the route latency is paid that many times (merged ring steps).
  int start(TimeNs now, int a, int b, double bytes, FlowOwner owner, int pageable_node = -1, int disk_node = -1,
            bool disk_write = false, int latency_multiple = 1);
  int start_transfer(TimeNs now, Place src, Place dst, double bytes, FlowOwner owner);
  int start_between_devices(TimeNs now, int dev_a, int dev_b, double bytes, FlowOwner owner, int latency_multiple = 1) {
    return start(now, c_.device(dev_a).vertex, c_.device(dev_b).vertex, bytes, owner, -1, -1, false,
                 latency_multiple);
  }

  void on_latency_done(TimeNs now, int flow);
  // Handles the network's kFlowDone event: appends the owners of the flows
  // that end now (in flow-id order); nothing if the event is stale.
  void on_flows_done(TimeNs now, uint32_t version, std::vector<FlowOwner>* finished);
  // Re-solves rates and re-arms the network's single kFlowDone event.
  void resolve(TimeNs now);

  // Directed-link (and other resource) loads that changed in the last
  // resolve(), as (resource, bytes_per_s) — for trace counters; collected
  // only after track_loads(true).
  void track_loads(bool on) { track_loads_ = on; }
  const std::vector<std::pair<int, double>>& load_changes() const { return load_changes_; }
  std::string resource_name(int r) const;
  // Resources flow `f` crosses (valid from start() until the flow id is reused).
  const std::vector<int>& flow_resources(int f) const { return flows_[f].res; }
  bool is_disk_resource(int r) const { return r >= disk_first_ && r < disk_first_ + 2 * c_.num_nodes; }
  std::vector<ResourceUsage> usage() const;  // resources that carried bytes, by id
  uint64_t flows_started() const { return flows_started_; }
  uint64_t flows_finished() const { return flows_finished_; }
  uint64_t solves() const { return solves_; }
  uint64_t rate_changes() const { return rate_changes_; }
  const MaxMinSolver& solver() const { return solver_; }

 private:
  struct Route {
    std::vector<int> res;
    TimeNs latency_ns = 0;
  };
  struct Flow {
    FlowOwner owner;
    std::vector<int> res;
    double bytes = 0, remaining = 0;  // remaining: exact when cls < 0
    double target = 0;                // value of its class's clock at which it ends
    TimeNs latency_ns = 0;
    int solver_id = -1;
    int disk_node = -1;
    int cls = -1;       // solver class whose clock it follows, -1 none
    int heap_pos = -1;  // index in that class's member heap
    uint32_t version = 0;
    bool live = false;
  };
  struct ClassClock {
    double served = 0;  // S: bytes each member received since the anchor
    double level = 0;   // bytes/s per member
    TimeNs anchor_ns = 0;
    TimeNs finish_ns = 0;  // first member's finish; valid when members is non-empty
    int heap_pos = -1;     // index in cheap_, -1 when not there
    uint32_t relevelled = 0;  // mark_epoch_ of the last resolve that changed its level
    std::vector<int> members;  // min-heap by (target, flow id)
  };
  const Route& route(int a, int b);
  struct PathKey {
    int a, b, pageable_node, disk_node;
    bool disk_write;
    bool operator==(const PathKey&) const = default;
  };
  struct PathKeyHash {
    size_t operator()(const PathKey& k) const {
      uint64_t h = (uint64_t(uint32_t(k.a)) << 32) | uint32_t(k.b);
      h ^= (uint64_t(uint32_t(k.pageable_node)) * 0x9E3779B97F4A7C15ull) ^
           (uint64_t(uint32_t(k.disk_node)) * 0xC2B2AE3D27D4EB4Full) ^ uint64_t(k.disk_write);
      return size_t(h);
    }
  };
  struct Path {
    std::vector<int> res;
    TimeNs route_latency_ns = 0, disk_latency_ns = 0;
  };
  const Path& flow_path(int a, int b, int pageable_node, int disk_node, bool disk_write);
  void begin_latency(TimeNs now, int f);
  void finish(TimeNs now, int f);
  // Class clocks.
  ClassClock& clock(int c);
  void anchor(ClassClock& k, TimeNs now) const;
  TimeNs member_finish(const ClassClock& k, int f) const;
  void class_insert(int c, int f);
  void class_remove(int f);
  int class_pop(int c);
  // Sets finish_ns (from first_finish_ns when >= 0, the first member's
  // finish if already known) and the class's place in cheap_.
  void reschedule(int c, TimeNs first_finish_ns = -1);
  bool member_less(int a, int b) const {
    return flows_[a].target < flows_[b].target || (flows_[a].target == flows_[b].target && a < b);
  }
  bool class_less(int a, int b) const {
    return clocks_[a].finish_ns < clocks_[b].finish_ns || (clocks_[a].finish_ns == clocks_[b].finish_ns && a < b);
  }
  void arm(TimeNs now);
  std::vector<ClassClock> clocks_;
  std::vector<int> cheap_;       // classes with members, by (finish_ns, id)
  std::vector<int> immediate_;   // flows with nothing to move: they end at once
  std::vector<int> due_, touched_classes_;
  std::vector<uint32_t> class_mark_;
  uint32_t mark_epoch_ = 0;
  TimeNs armed_ns_ = -1;
  uint32_t net_version_ = 0;

  const Cluster& c_;
  EventQueue& q_;
  MaxMinSolver solver_;
  int pageable_first_ = 0, disk_first_ = 0;
  std::vector<int> pageable_res_;  // by node, -1 none
  std::unordered_map<int, int> local_res_;  // vertex -> resource
  std::vector<std::string> extra_names_, extra_kinds_;  // resources after the links
  std::unordered_map<int64_t, Route> routes_;
  std::unordered_map<PathKey, Path, PathKeyHash> paths_;
  std::vector<Flow> flows_;
  std::vector<int> free_;
  std::vector<int> by_solver_id_;
  std::vector<double> carried_, last_load_;
  std::vector<int> disk_inflight_;
  std::vector<std::vector<int>> disk_wait_;  // FIFO per node (head index in disk_head_)
  std::vector<size_t> disk_head_;
  MaxMinSolver::Changes changes_;
  std::vector<std::pair<int, double>> load_changes_;
  bool track_loads_ = false;
  uint64_t flows_started_ = 0, flows_finished_ = 0, solves_ = 0, rate_changes_ = 0;
};

}  // namespace paralab::sim
