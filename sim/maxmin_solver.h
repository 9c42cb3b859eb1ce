// MaxMinSolver: max-min fair sharing of capacities among flows — the one
// bandwidth solver for every resource (NVLink, PCIe, NIC, network, host
// memory bus, disk, compute-free copy engines).
//
// A resource has a capacity (bytes/s); a flow crosses a set of resources.
// The allocation is the max-min fair one, found by progressive filling: all
// unfrozen flows rise at the same rate; when a resource saturates, the flows
// crossing it freeze at its share; repeat (Bertsekas & Gallager §6.5.2).
//
// Bottleneck classes. Every flow belongs to a class: the flows that froze
// together at one resource, so they share one rate (the class level). A
// class keeps, per resource, how many of its flows cross it. The solver
// works on classes: a class enters a re-fill whole (adding its counts to the
// resources it crosses, not each member's path), and when a resource
// saturates, a class whose every unfrozen member crosses it freezes whole at
// the new level — the common case, where a finished flow only moves the
// level of the classes it touched. Only members that freeze elsewhere than
// the rest of their class are handled one by one (they split off into the
// class of the resource they froze at). Callers see the same split: the
// flows that changed class, and the classes whose level changed; a caller
// that keeps per-class clocks (FlowNetwork) then pays per class, not per
// flow, for a level change.
//
// Incremental: add_flow / remove_flow only mark resources dirty and lower a
// threshold θ; solve() then re-solves only what can change. Removing a flow
// of rate r leaves every flow slower than r unchanged; adding a flow g leaves
// every flow slower than min over g's resources of capacity/flows unchanged
// (water-filling is identical below those levels). Above θ the problem is
// the same water-filling on the residual capacities (capacity minus the
// rates of the flows kept out), and only flows coupled to a change can move.
// A resource couples flows only while it is saturated, and then only the
// flows at its level (the classes it binds) move with it directly. So
// solve() starts from the new flows and the dirty saturated resources; at
// every saturated resource it reaches it takes in the classes at that
// resource's level (and at or above θ); an unsaturated resource, or the
// classes below a resource's level, only lend residual capacity. If the
// re-fill would saturate a resource below the level of a class kept out on
// it, the guess was wrong there. Those classes are taken into the running
// fill when that cannot change what it has done so far (repair(): each is
// above the current share and crosses no resource saturated yet);
// otherwise the resource is expanded fully (every class at or above θ) and
// the fill redone. The result is checked against a from-scratch solver on
// random add/remove sequences in the tests (hundreds of small networks,
// tree traffic). Changes made at one instant are solved once. The fill
// picks the smallest share by a linear scan (a heap of lazily re-pushed
// shares above 256 live resources: shares only grow during a fill).
//
// Invariants:
//  1. After solve(), every resource's load <= capacity (up to rounding) and
//     every flow has a bottleneck resource: saturated, where its rate is the
//     largest. All members of a class have the class's level as their rate.
//  2. Deterministic: ties between equal shares break in a fixed order (the
//     order resources were reached; resource id in the heap); flow and
//     class ids are slots reused in a fixed order.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace paralab::sim {

class MaxMinSolver {
 public:
  // What one solve() changed. A flow's rate is its class's level, so the
  // flows whose rate changed are the moved ones and every member of a
  // relevelled class.
  struct Changes {
    std::vector<int> moved;       // flows now in another class (new flows included)
    std::vector<int> relevelled;  // classes that kept their members but changed level
    void clear() {
      moved.clear();
      relevelled.clear();
    }
  };

  // scan_limit: fills with more live resources than this use the heap.
  explicit MaxMinSolver(size_t scan_limit = 256) : scan_limit_(scan_limit) {}
  int add_resource(double capacity_bytes_per_s);
  size_t num_resources() const { return res_.size(); }
  double capacity(int r) const { return res_[r].cap; }
  // Sum of the current rates of the flows crossing r (valid after solve()).
  double load(int r) const { return res_[r].load; }
  int flows_on(int r) const { return res_[r].nflows; }

  // REQUIRES: resources distinct and non-empty. Rate is 0 until solve().
  int add_flow(std::span<const int> resources);
  void remove_flow(int f);
  bool active(int f) const { return f >= 0 && size_t(f) < active_.size() && active_[f]; }
  double rate(int f) const { return ch_[cls_[f]].level; }
  size_t num_active_flows() const { return num_active_; }

  int class_of(int f) const { return cls_[f]; }
  double class_level(int c) const { return ch_[c].level; }
  std::span<const int> members(int c) const { return cmembers_[c]; }

  bool dirty() const { return !dirty_.empty(); }
  // Re-solves what changed since the last call and appends what changed to
  // *changes, in a deterministic order.
  void solve(Changes* changes);
  // The same, appending the ids of the active flows whose rate changed.
  void solve(std::vector<int>* changed);

  // Resources whose flows were re-solved by the last solve().
  const std::vector<int>& touched() const { return reach_res_; }

  // Statistics for benchmarks: flows and classes re-filled by solve() so far.
  uint64_t flows_visited() const { return visited_total_; }
  uint64_t classes_visited() const { return classes_visited_; }

 private:
  // A class's count on one resource; the resource lists the class back.
  struct ClassEntry {
    int r;
    int rpos;  // index of the back-reference in rentries_[r]
    int n;     // members crossing r
    int split;  // members frozen one by one in this fill (valid when stamp == fill_epoch_)
    uint32_t stamp;
  };
  struct ResEntry {
    int c;
    int cpos;  // index in centries_[c]
  };
  struct Saturation {
    int r;
    double share;
    size_t whole_begin, whole_end, split_begin, split_end;
  };

  int* path(int f) { return &path_[size_t(f) * stride_]; }
  void grow_stride(int need);
  int find_entry(int c, int r) const;
  void entry_add(int c, int r);
  void entry_sub(int c, int r);
  int new_class(double level);
  void join(int f, int c);
  void leave(int f);
  void freeze_class(int c, double share);
  void freeze_flow(int f, double share);
  void saturate(int r, double share);
  void reach(int r);
  void expand(int r, double theta, bool full);
  void add_class(int c);
  bool binds_kept_class(int r, double share) const;
  bool repair(int r, double share);
  int fill_by_scan();
  int fill_by_heap();
  void apply(Changes* changes);
  void report_moved(int f, Changes* changes);

  size_t scan_limit_;
  static constexpr double kNoShare = std::numeric_limits<double>::infinity();
  // Resources: what every solve touches fills one cache line; the rest
  // sits apart (large clusters have 10^5 resources and more).
  struct alignas(64) Res {
    double cap = 0, load = 0;  // load: sum of the current rates of its flows
    double rem = 0;            // residual capacity during a fill
    double share = kNoShare;   // rem / cnt during a fill; kNoShare when cnt is 0
    double level = 0;          // share at which the last fill saturated it
    int cnt = 0;               // unfrozen fill flows crossing it
    int nflows = 0;            // active flows crossing it
    uint32_t rmark = 0, xmark = 0;  // this solve: reached, expanded at its level
    uint8_t sat = 0;                // saturated after the last solve
  };
  struct ResCold {
    double kept_max = 0;     // fastest class kept out when expanded at its level
    uint32_t fullmark = 0;   // epoch_ of a solve that expanded it fully
    uint32_t satfill = 0;    // fill_epoch_ of the fill that saturated it
    uint32_t newmark = 0;    // repair_epoch_ of the repair that reached it
  };
  std::vector<Res> res_;
  std::vector<ResCold> rcold_;
  std::vector<std::vector<ResEntry>> rentries_;      // classes crossing each resource
  // Flows: path_[f*stride_ + i] is f's i-th resource.
  int stride_ = 8;
  std::vector<int> path_;
  std::vector<int> plen_, cls_, mpos_;
  std::vector<uint32_t> ffrozen_, fmoved_;  // frozen one by one in this fill / reported in this solve
  std::vector<uint8_t> active_, fresh_;
  std::vector<int> free_slots_;  // kept as a min-heap: lowest id reused first
  size_t num_active_ = 0;
  // Classes.
  struct Cls {
    double level = 0;
    int left = 0;                 // members not yet frozen in this fill
    uint32_t fill = 0, frozen = 0, split = 0;  // in this solve's fill / frozen whole / splitting now
    uint32_t repair = 0;          // repair_epoch_ of the repair that took it in
    uint8_t fresh = 0;            // holds a flow never solved
  };
  std::vector<Cls> ch_;
  std::vector<std::vector<int>> cmembers_;
  std::vector<std::vector<ClassEntry>> centries_;
  std::vector<int> free_classes_;                     // last freed reused first

  std::vector<int> dirty_;
  double theta_ = std::numeric_limits<double>::infinity();
  uint32_t epoch_ = 0, fill_epoch_ = 0, split_epoch_ = 0;
  size_t dead_ = 0;  // live resources whose flows all froze, not yet swept out
  uint32_t repair_epoch_ = 0;
  double theta_fill_ = 0;  // θ of the running solve
  uint64_t visited_total_ = 0, classes_visited_ = 0;
  // scratch of solve()
  std::vector<int> fresh_list_, comp_, reach_res_, live_res_, expand_q_;
  std::vector<int> whole_log_, split_log_, split_classes_, closure_, newly_;
  std::vector<Saturation> sat_log_;
  struct HeapEntry {
    double share;
    int r;
  };
  std::vector<HeapEntry> heap_;
};

}  // namespace paralab::sim
