// MemoryTracker: live bytes per memory scope and tier, from alloc/free ops.
//
// Scopes: each device's own memory (tier device), and per node its pinned
// host memory, pageable host memory and SSD (pinned and pageable are tracked
// separately, each against its own capacity from the cluster file). An
// allocation that would exceed the capacity is refused and reported as an
// OOM; frees never fail (freeing more than is live clamps at zero).
//
// Invariants: 1. live <= capacity for every scope; 2. peak = max live seen.
// Thread-safety: none.
#pragma once

#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/run_record.h"
#include "core/task_graph.h"

namespace paralab::sim {

class MemoryTracker {
 public:
  explicit MemoryTracker(const Cluster& c);

  int scope_of(Place p) const;
  // False (nothing changes) if live + bytes would exceed the capacity.
  bool alloc(int scope, double bytes);
  void free(int scope, double bytes);
  double live(int scope) const { return live_[scope]; }
  double peak(int scope) const { return peak_[scope]; }
  double capacity(int scope) const { return cap_[scope]; }
  // "device3"/"device" or "node0"/"pinned" etc.
  std::string scope_name(int scope) const;
  const char* tier_name(int scope) const;
  size_t num_scopes() const { return live_.size(); }
  std::vector<MemoryPeak> peaks() const;

 private:
  int devices_ = 0, nodes_ = 0;
  std::vector<double> live_, peak_, cap_;
};

}  // namespace paralab::sim
