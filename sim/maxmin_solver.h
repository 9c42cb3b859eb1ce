// MaxMinSolver: max-min fair sharing of capacities among flows — the one
// bandwidth solver for every resource (NVLink, PCIe, NIC, network, host
// memory bus, disk, compute-free copy engines).
//
// A resource has a capacity (bytes/s); a flow crosses a set of resources.
// The allocation is the max-min fair one, found by progressive filling: all
// unfrozen flows rise at the same rate; when a resource saturates, the flows
// crossing it freeze at its share; repeat (Bertsekas & Gallager §6.5.2).
//
// Incremental: add_flow / remove_flow only mark resources dirty; solve()
// re-solves just the connected component (flows linked through shared
// resources) of what changed, and inside it keeps every flow whose old rate
// is below a threshold θ fixed: removing a flow of rate r leaves all flows
// slower than r unchanged, and adding a flow g leaves all flows slower than
// min over g's resources of capacity/flows unchanged (water-filling is
// identical below those levels). Changes made at one instant are solved
// once.
//
// Invariants:
//  1. After solve(), every resource's load <= capacity (up to rounding) and
//     every flow has a bottleneck resource: saturated, where its rate is the
//     largest.
//  2. Deterministic: ties break by resource id; flow ids are slots reused
//     lowest-first.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace paralab::sim {

class MaxMinSolver {
 public:
  int add_resource(double capacity_bytes_per_s);
  size_t num_resources() const { return res_.size(); }
  double capacity(int r) const { return res_[r].capacity; }
  // Sum of the current rates of the flows crossing r (valid after solve()).
  double load(int r) const { return res_[r].load; }
  int flows_on(int r) const { return int(res_[r].flows.size()); }

  // REQUIRES: resources distinct and non-empty. Rate is 0 until solve().
  int add_flow(std::span<const int> resources);
  void remove_flow(int f);
  bool active(int f) const { return f >= 0 && size_t(f) < flows_.size() && flows_[f].active; }
  double rate(int f) const { return flows_[f].rate; }
  size_t num_active_flows() const { return num_active_; }

  bool dirty() const { return !dirty_.empty(); }
  // Re-solves what changed since the last call; appends the ids of active
  // flows whose rate changed to *changed (in a deterministic order: the
  // breadth-first order of the re-solved component).
  void solve(std::vector<int>* changed);

  // Resources whose flows were re-solved by the last solve().
  const std::vector<int>& touched() const { return comp_res_; }

  // Statistics for benchmarks: flows visited by solve() so far.
  uint64_t flows_visited() const { return visited_total_; }

 private:
  struct Resource {
    double capacity = 0;
    double load = 0;
    std::vector<int> flows;  // active flows crossing it
    // scratch for solve()
    double rem = 0;
    int cnt = 0;
    uint32_t stamp = 0, epoch = 0;
  };
  struct Flow {
    std::vector<std::pair<int, int>> res;  // (resource, position in its flow list)
    double rate = 0;
    double next = 0;     // scratch: the rate being computed
    bool active = false;
    bool fresh = false;  // added since the last solve()
    bool frozen = false;
    uint32_t epoch = 0;
  };
  void mark_dirty(int r, double theta);
  void fill_by_heap();
  void fill_by_scan();

  std::vector<Resource> res_;
  std::vector<Flow> flows_;
  std::vector<int> free_slots_;  // kept as a min-heap: lowest id reused first
  size_t num_active_ = 0;
  std::vector<int> dirty_;
  double theta_ = std::numeric_limits<double>::infinity();
  uint32_t epoch_ = 0;
  uint64_t visited_total_ = 0;
  // scratch
  std::vector<int> comp_flows_, comp_res_;
  struct HeapEntry {
    double share;
    int r;
    uint32_t stamp;
  };
  std::vector<HeapEntry> heap_;
};

}  // namespace paralab::sim
