// MaxMinSolver: max-min fair sharing of capacities among flows — the one
// bandwidth solver for every resource (NVLink, PCIe, NIC, network, host
// memory bus, disk, compute-free copy engines).
//
// A resource has a capacity (bytes/s); a flow crosses a set of resources.
// The allocation is the max-min fair one, found by progressive filling: all
// unfrozen flows rise at the same rate; when a resource saturates, the flows
// crossing it freeze at its share; repeat (Bertsekas & Gallager §6.5.2).
//
// Incremental: add_flow / remove_flow only mark resources dirty and lower a
// threshold θ; solve() then re-solves only what can change. Removing a flow
// of rate r leaves every flow slower than r unchanged; adding a flow g leaves
// every flow slower than min over g's resources of capacity/flows unchanged
// (water-filling is identical below those levels). Above θ the problem is
// the same water-filling on the residual capacities (capacity minus the
// rates of the flows below θ), and only flows coupled to a change can move.
// A resource couples flows only while it is saturated, and then only the
// flows at its level (the ones it binds) move with it directly. So solve()
// starts from the fresh flows and the dirty saturated resources; at every
// saturated resource it reaches it takes in the flows at that resource's
// level (and at or above θ); an unsaturated resource, or the flows below a
// resource's level, only lend residual capacity. If the re-fill would
// saturate a resource below the rate of a flow kept out on it, the guess was
// wrong there: that resource is expanded fully (every flow at or above θ)
// and the fill redone. The result is checked against a from-scratch solver
// on random add/remove sequences in the tests. Changes made at one instant
// are solved once. The fill picks the smallest share by a linear scan (a
// heap of lazily re-pushed shares above 256 live resources: shares only
// grow during a fill).
//
// Layout: structure of arrays. A flow's resources (and its position in each
// resource's flow list) sit in a fixed-stride pool, so a solve touches
// contiguous ints and one double per flow.
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
  // scan_limit: fills with more live resources than this use the heap.
  explicit MaxMinSolver(size_t scan_limit = 256) : scan_limit_(scan_limit) {}
  int add_resource(double capacity_bytes_per_s);
  size_t num_resources() const { return cap_.size(); }
  double capacity(int r) const { return cap_[r]; }
  // Sum of the current rates of the flows crossing r (valid after solve()).
  double load(int r) const { return load_[r]; }
  int flows_on(int r) const { return int(rflows_[r].size()); }

  // REQUIRES: resources distinct and non-empty. Rate is 0 until solve().
  int add_flow(std::span<const int> resources);
  void remove_flow(int f);
  bool active(int f) const { return f >= 0 && size_t(f) < active_.size() && active_[f]; }
  double rate(int f) const { return rate_[f]; }
  size_t num_active_flows() const { return num_active_; }

  bool dirty() const { return !dirty_.empty(); }
  // Re-solves what changed since the last call; appends the ids of active
  // flows whose rate changed to *changed (in a deterministic order: the
  // breadth-first order of the re-solved part).
  void solve(std::vector<int>* changed);

  // Resources whose flows were re-solved by the last solve().
  const std::vector<int>& touched() const { return reach_res_; }

  // Statistics for benchmarks: flows re-filled by solve() so far.
  uint64_t flows_visited() const { return visited_total_; }

 private:
  int* path(int f) { return &path_[size_t(f) * stride_]; }
  int* slot(int f) { return &slot_[size_t(f) * stride_]; }
  void grow_stride(int need);
  void freeze(int f, double share);
  void saturate(int r, double share);
  void reach(int r);
  void expand(int r, double theta, bool full);
  void add_to_fill(int f);
  bool binds_kept_flow(int r, double share) const;
  int fill_by_scan();
  int fill_by_heap();

  size_t scan_limit_;
  static constexpr double kNoShare = std::numeric_limits<double>::infinity();
  // Resources.
  std::vector<double> cap_, load_, rem_;
  std::vector<double> share_;     // rem_ / cnt_ during a fill; kNoShare when cnt_ is 0
  std::vector<double> level_;     // share at which the last fill saturated the resource
  std::vector<double> kept_max_;  // fastest flow kept out when expanded at its level
  std::vector<int> cnt_;
  std::vector<uint32_t> rmark_, xmark_, fullmark_;  // this solve: reached, expanded at level, fully
  std::vector<uint8_t> sat_;                         // saturated after the last solve
  std::vector<std::vector<int>> rflows_;  // active flows crossing each resource
  // Flows: path_[f*stride_ + i] is f's i-th resource, slot_[...] its index in
  // that resource's rflows_ list.
  int stride_ = 8;
  std::vector<int> path_, slot_;
  std::vector<int> plen_;
  std::vector<double> rate_, next_;
  std::vector<uint32_t> fmark_, frozen_;  // walked in this solve / frozen in this fill
  std::vector<uint8_t> active_, fresh_;
  std::vector<int> free_slots_;  // kept as a min-heap: lowest id reused first
  size_t num_active_ = 0;

  std::vector<int> dirty_;
  double theta_ = std::numeric_limits<double>::infinity();
  uint32_t epoch_ = 0, fill_epoch_ = 0;
  uint64_t visited_total_ = 0;
  // scratch of solve()
  std::vector<int> fresh_list_, comp_flows_, reach_res_, live_res_, expand_q_;
  struct HeapEntry {
    double share;
    int r;
  };
  std::vector<HeapEntry> heap_;
};

}  // namespace paralab::sim
