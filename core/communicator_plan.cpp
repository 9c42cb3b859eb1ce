#include "core/communicator_plan.h"

#include <algorithm>
#include <cassert>
#include <set>

namespace paralab {

bool CommunicatorSpec::spans_processes() const {
  return std::set<int>(processes.begin(), processes.end()).size() > 1;
}

std::vector<int> CommunicatorSpec::members_of(int process) const {
  std::vector<int> out;
  for (size_t i = 0; i < processes.size(); ++i)
    if (processes[i] == process) out.push_back(int(i));
  return out;
}

std::vector<CommunicatorSpec> communicator_plan(const TaskGraph& g, int world_size) {
  std::set<std::pair<int, int>> keys;  // (group, stream), ascending
  for (int id = 0; id < int(g.size()); ++id) {
    const Op& o = g.op(id);
    if (o.type == OpType::kCollective && g.group(o.group()).size() >= 2) keys.insert({o.group(), int(o.stream)});
  }
  std::vector<CommunicatorSpec> plan;
  for (auto [group, stream] : keys) {
    CommunicatorSpec s;
    s.group = group;
    s.stream = stream;
    auto ranks = g.group(group);
    s.devices.assign(ranks.begin(), ranks.end());
    for (int d : s.devices) s.processes.push_back(process_of_device(d, world_size));
    s.root_process = s.processes.front();
    plan.push_back(std::move(s));
  }
  return plan;
}

int communicator_index(const std::vector<CommunicatorSpec>& plan, const TaskGraph& g, int op) {
  const Op& o = g.op(op);
  auto it = std::lower_bound(plan.begin(), plan.end(), std::make_pair(o.group(), int(o.stream)),
                             [](const CommunicatorSpec& s, std::pair<int, int> k) {
                               return std::make_pair(s.group, s.stream) < k;
                             });
  assert(it != plan.end() && it->group == o.group() && it->stream == int(o.stream));  // REQUIRES of the caller
  return int(it - plan.begin());
}

}  // namespace paralab
