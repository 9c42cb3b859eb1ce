#include "real/timing_checks.h"

#include <cmath>
#include <map>

#include "core/communicator_plan.h"

namespace paralab::real {

std::string timing_violation(const TaskGraph& g, const std::vector<RankResult>& ranks, double slack) {
  const int world = int(ranks.size());
  std::map<std::pair<int, int>, const OpTiming*> at;  // (op, device) -> its timing
  for (const RankResult& r : ranks)
    for (const OpTiming& t : r.timings) {
      if (t.op < 0 || t.op >= int(g.size())) return "timing for op " + std::to_string(t.op) + ", which does not exist";
      if (!std::isfinite(t.start_seconds) || !std::isfinite(t.end_seconds) || t.start_seconds < 0 ||
          t.end_seconds < t.start_seconds)
        return g.describe(t.op) + " on device " + std::to_string(t.device) + " has times " +
               std::to_string(t.start_seconds) + " .. " + std::to_string(t.end_seconds) + " s";
      if (!at.emplace(std::make_pair(t.op, t.device), &t).second)
        return g.describe(t.op) + " ran twice on device " + std::to_string(t.device);
    }
  for (int id = 0; id < int(g.size()); ++id)
    for (int d : g.devices_of(id)) {
      if (at.count({id, d})) continue;
      return g.describe(id) + " never ran on device " + std::to_string(d) + " (rank " +
             std::to_string(process_of_device(d, world)) + ")";
    }
  std::map<std::pair<int, int>, int> last;  // (device, stream) -> previous op in id order
  for (int id = 0; id < int(g.size()); ++id)
    for (int d : g.devices_of(id)) {
      auto key = std::make_pair(d, int(g.op(id).stream));
      auto it = last.find(key);
      if (it != last.end()) {
        const OpTiming* prev = at.at({it->second, d});
        const OpTiming* cur = at.at({id, d});
        if (cur->start_seconds + slack < prev->end_seconds)
          return g.describe(id) + " started at " + std::to_string(cur->start_seconds) + " s, before " +
                 g.describe(it->second) + " ended at " + std::to_string(prev->end_seconds) +
                 " s, which precedes it on device " + std::to_string(d) + " stream " + std::to_string(key.second);
      }
      last[key] = id;
    }
  for (auto [a, b] : g.deps())
    for (int d : g.devices_of(b)) {
      auto ia = at.find({a, d});
      if (ia == at.end()) continue;  // not on one device: clocks not comparable
      const OpTiming* tb = at.at({b, d});
      if (tb->start_seconds + slack < ia->second->end_seconds)
        return g.describe(b) + " started at " + std::to_string(tb->start_seconds) + " s, before " + g.describe(a) +
               ", on which it depends, ended at " + std::to_string(ia->second->end_seconds) + " s on device " +
               std::to_string(d);
    }
  return "";
}

}  // namespace paralab::real
