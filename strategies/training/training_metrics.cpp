#include "strategies/training/training_metrics.h"

#include <algorithm>

namespace paralab {

namespace {

using Interval = std::pair<TimeNs, TimeNs>;

std::vector<Interval> merged(std::vector<Interval> v) {
  std::sort(v.begin(), v.end());
  std::vector<Interval> out;
  for (const Interval& x : v) {
    if (!out.empty() && x.first <= out.back().second) out.back().second = std::max(out.back().second, x.second);
    else out.push_back(x);
  }
  return out;
}

// Length of [a, b) not covered by the sorted, merged intervals `busy`.
TimeNs uncovered(TimeNs a, TimeNs b, const std::vector<Interval>& busy) {
  TimeNs out = 0, cur = a;
  auto it = std::lower_bound(busy.begin(), busy.end(), a, [](const Interval& x, TimeNs t) { return x.second < t; });
  for (; it != busy.end() && it->first < b; ++it) {
    if (it->first > cur) out += it->first - cur;
    cur = std::max(cur, it->second);
    if (cur >= b) break;
  }
  if (cur < b) out += b - cur;
  return out;
}

TimeNs exposed(const std::vector<Interval>& comm, const std::vector<Interval>& busy) {
  TimeNs t = 0;
  for (const Interval& x : merged(comm)) t += uncovered(x.first, x.second, busy);
  return t;
}

}  // namespace

TrainingMetrics::TrainingMetrics(const TaskGraph& g, const std::vector<int>& reps, int num_devices)
    : g_(g), slot_(size_t(num_devices), -1), devices_(reps.size()) {
  for (size_t k = 0; k < reps.size(); ++k) slot_[reps[k]] = int(k);
  label_p2p_.resize(g.num_labels());
  label_optimizer_.resize(g.num_labels());
  for (size_t l = 0; l < g.num_labels(); ++l) {
    label_p2p_[l] = g.label(int(l)).find("p2p") != std::string::npos;
    label_optimizer_[l] = g.label(int(l)) == "optimizer step";
  }
}

void TrainingMetrics::op_done(int op, TimeNs start_ns, TimeNs end_ns) {
  const Op& o = g_.op(op);
  if (o.type == OpType::kAlloc || o.type == OpType::kFree) return;
  const bool collective = o.type == OpType::kCollective;
  for (int d : g_.devices_of(op)) {
    const int k = slot_[d];
    if (k < 0) continue;
    Device& dev = devices_[k];
    if (o.stream == 0) {
      dev.compute.emplace_back(start_ns, end_ns);
      if (o.label >= 0 && label_optimizer_[o.label] && (dev.optimizer_start < 0 || start_ns < dev.optimizer_start))
        dev.optimizer_start = start_ns;
      if (collective) (o.label >= 0 && label_p2p_[o.label] ? dev.inline_pp : dev.inline_tp) += end_ns - start_ns;
    } else if (collective) {
      (o.stream == 9 ? dev.tp : o.stream == 1 || o.stream == 8 ? dev.dp : dev.pp).emplace_back(start_ns, end_ns);
    }
  }
}

TrainingFigures TrainingMetrics::figures() const {
  TrainingFigures f;
  TimeNs t_pipe = 0, ideal = 0, tp = 0, pp = 0, dp = 0;
  for (const Device& dev : devices_) {
    TimeNs busy = 0;
    for (const Interval& x : dev.compute)
      if (dev.optimizer_start < 0 || x.second <= dev.optimizer_start) busy += x.second - x.first;
    if (dev.optimizer_start >= 0) t_pipe = std::max(t_pipe, dev.optimizer_start);
    ideal = std::max(ideal, busy);
    std::vector<Interval> main = merged(dev.compute);
    tp += dev.inline_tp + exposed(dev.tp, main);
    pp += dev.inline_pp + exposed(dev.pp, main);
    dp += exposed(dev.dp, main);
  }
  const double n = double(std::max<size_t>(1, devices_.size()));
  f.exposed_tp_seconds = ns_to_seconds(tp) / n;
  f.exposed_pp_seconds = ns_to_seconds(pp) / n;
  f.exposed_dp_seconds = ns_to_seconds(dp) / n;
  f.bubble_fraction = ideal > 0 ? std::max(0.0, double(t_pipe - ideal) / double(ideal)) : 0.0;
  return f;
}

}  // namespace paralab
