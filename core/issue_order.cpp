#include "core/issue_order.h"

#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <string>

#include "core/error.h"

namespace paralab {

namespace {

int64_t lane_key(int device, int stream) { return (int64_t(device) << 16) | stream; }

}  // namespace

std::vector<int> global_issue_order(const TaskGraph& g) {
  g.finalize();
  const int n = int(g.size());
  std::vector<int> indeg(n);
  for (int i = 0; i < n; ++i) indeg[i] = g.num_preds(i);
  // Stream order as edges: per (op, member slot) the next op on that lane.
  std::vector<int> next_off(n + 1, 0);
  for (int i = 0; i < n; ++i) next_off[i + 1] = next_off[i] + int(g.devices_of(i).size());
  std::vector<int> stream_next(next_off[n], -1);
  std::map<int64_t, int> last_slot;
  for (int i = 0; i < n; ++i) {
    auto devs = g.devices_of(i);
    for (size_t k = 0; k < devs.size(); ++k) {
      auto [it, fresh] = last_slot.try_emplace(lane_key(devs[k], g.op(i).stream), next_off[i] + int(k));
      if (fresh) continue;
      stream_next[it->second] = i;
      it->second = next_off[i] + int(k);
      ++indeg[i];
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;  // smallest id first
  for (int i = 0; i < n; ++i)
    if (indeg[i] == 0) ready.push(i);
  std::vector<int> out;
  out.reserve(n);
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    out.push_back(i);
    for (int s : g.successors(i))
      if (--indeg[s] == 0) ready.push(s);
    for (int k = next_off[i]; k < next_off[i + 1]; ++k)
      if (stream_next[k] >= 0 && --indeg[stream_next[k]] == 0) ready.push(stream_next[k]);
  }
  if (int(out.size()) != n)
    for (int i = 0; i < n; ++i)
      if (indeg[i] > 0)
        throw InputError(g.describe(i) + " is on a dependency cycle (dependencies plus stream order; ops on one "
                                         "stream run in id order)");
  return out;
}

IssuePlan plan_issue(const TaskGraph& g, const std::function<bool(int device)>& is_local) {
  IssuePlan p;
  const int n = int(g.size());
  std::vector<char> local(n, 0);
  std::map<int64_t, size_t> lane_of;
  for (int i = 0; i < n; ++i)
    for (int d : g.devices_of(i))
      if (is_local(d)) {
        local[i] = 1;
        lane_of.try_emplace(lane_key(d, g.op(i).stream), 0);
      }
  for (auto& [key, index] : lane_of) {  // map order = (device, stream) order
    index = p.lanes.size();
    p.lanes.push_back({int(key >> 16), int(key & 0xffff), {}});
  }
  for (int i = 0; i < n; ++i)
    for (int d : g.devices_of(i))
      if (is_local(d)) p.lanes[lane_of.at(lane_key(d, g.op(i).stream))].ops.push_back(i);
  for (int id : global_issue_order(g))
    if (local[id]) p.order.push_back(id);
  p.preds.assign(n, {});
  for (auto [before, after] : g.deps())
    if (local[before] && local[after]) p.preds[after].push_back(before);
  for (auto& v : p.preds) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
  return p;
}

std::string issue_order_violation(const TaskGraph& g, const std::vector<int>& sequence) {
  const int n = int(g.size());
  std::vector<int> pos(n, -1);
  for (size_t i = 0; i < sequence.size(); ++i) {
    int id = sequence[i];
    if (id < 0 || id >= n) return "op " + std::to_string(id) + " does not exist";
    if (pos[id] >= 0) return g.describe(id) + " issued twice";
    pos[id] = int(i);
  }
  for (auto [a, b] : g.deps())
    if (pos[a] >= 0 && pos[b] >= 0 && pos[b] < pos[a])
      return g.describe(b) + " issued before " + g.describe(a) + ", on which it depends";
  std::map<int64_t, int> last;  // lane -> last op seen in id order
  for (int id = 0; id < n; ++id) {
    if (pos[id] < 0) continue;
    for (int d : g.devices_of(id)) {
      auto [it, fresh] = last.try_emplace(lane_key(d, g.op(id).stream), id);
      if (!fresh && pos[id] < pos[it->second])
        return g.describe(id) + " issued before " + g.describe(it->second) + ", which precedes it on device " +
               std::to_string(d) + " stream " + std::to_string(g.op(id).stream);
      it->second = id;
    }
  }
  return "";
}

}  // namespace paralab
