#include "sim/memory_tracker.h"

#include <algorithm>

namespace paralab::sim {

MemoryTracker::MemoryTracker(const Cluster& c) : devices_(c.num_devices()), nodes_(c.num_nodes) {
  size_t n = size_t(devices_) + 3 * size_t(nodes_);
  live_.assign(n, 0);
  peak_.assign(n, 0);
  cap_.assign(n, 0);
  for (int d = 0; d < devices_; ++d) cap_[d] = c.device(d).spec.memory_bytes;
  for (int node = 0; node < nodes_; ++node) {
    if (c.host_memory_vertex(node) >= 0) {
      cap_[devices_ + node] = c.host_memory(node).pinned_capacity_bytes;
      cap_[devices_ + nodes_ + node] = c.host_memory(node).capacity_bytes;
    }
    if (const DiskSpec* d = c.disk(node)) cap_[devices_ + 2 * nodes_ + node] = d->capacity_bytes;
  }
}

int MemoryTracker::scope_of(Place p) const {
  switch (p.tier) {
    case TierKind::kDevice: return p.location;
    case TierKind::kPinnedHost: return devices_ + p.location;
    case TierKind::kPageableHost: return devices_ + nodes_ + p.location;
    case TierKind::kSsd: return devices_ + 2 * nodes_ + p.location;
  }
  return 0;
}

bool MemoryTracker::alloc(int scope, double bytes) {
  double next = live_[scope] + bytes;
  if (next > cap_[scope]) return false;
  live_[scope] = next;
  peak_[scope] = std::max(peak_[scope], next);
  return true;
}

void MemoryTracker::free(int scope, double bytes) { live_[scope] = std::max(0.0, live_[scope] - bytes); }

std::string MemoryTracker::scope_name(int scope) const {
  if (scope < devices_) return "device" + std::to_string(scope);
  return "node" + std::to_string((scope - devices_) % nodes_);
}

const char* MemoryTracker::tier_name(int scope) const {
  if (scope < devices_) return "device";
  switch ((scope - devices_) / nodes_) {
    case 0: return "pinned";
    case 1: return "pageable";
    default: return "ssd";
  }
}

std::vector<MemoryPeak> MemoryTracker::peaks() const {
  std::vector<MemoryPeak> out;
  for (size_t s = 0; s < live_.size(); ++s)
    if (s < size_t(devices_) || peak_[s] > 0) out.push_back({scope_name(int(s)), tier_name(int(s)), peak_[s]});
  return out;
}

}  // namespace paralab::sim
