#include "sim/compute_model.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>

#include "sim/sim_events.h"

namespace paralab::sim {

ComputeModel::ComputeModel(const Cluster& c, EventQueue& q) : q_(q) {
  std::map<int, int> node_pool;
  for (const Device& d : c.devices()) {
    share_.push_back(d.spec.collective_compute_share);
    if (d.spec.kind == "cpu" && c.cpu_cores_per_node > 0) {
      auto [it, fresh] = node_pool.emplace(d.node, int(pools_.size()));
      if (fresh) {
        pools_.emplace_back();
        pools_.back().cores = c.cpu_cores_per_node;
      }
      pool_of_.push_back(it->second);
    } else {
      pool_of_.push_back(int(pools_.size()));
      pools_.emplace_back();
    }
  }
}

void ComputeModel::advance(Pool& p, TimeNs now) {
  if (p.ops.size() == 1) {  // alone: works from its launch end on
    Running& r = p.ops[0];
    TimeNs from = std::max(p.last_ns, r.launch_end_ns);
    if (now > from) r.remaining_ns -= double(now - from) * p.rate(1);  // rate(1) is exactly 1 when nothing is held
  } else if (now > p.last_ns && !p.ops.empty()) {
    int k = 0;
    for (const Running& r : p.ops) k += r.launch_end_ns <= p.last_ns;
    if (k > 0) {
      // dt * min(1, capacity / k): each working op gets a share of a processor.
      double dt = double(now - p.last_ns);
      double step = p.reserved > 0 ? dt * p.rate(k) : k <= p.cores ? dt : dt * p.cores / k;
      for (Running& r : p.ops)
        if (r.launch_end_ns <= p.last_ns) r.remaining_ns -= step;
    }
  }
  p.last_ns = now;
}

void ComputeModel::arm(Pool& p, int pool, TimeNs now) {
  p.version++;
  if (p.ops.empty()) return;
  int k = 0;
  for (const Running& r : p.ops) k += r.launch_end_ns <= now;
  TimeNs next = INT64_MAX;
  for (const Running& r : p.ops) {
    // Wall time of the remaining work at min(1, cores / k) of a processor.
    double left = std::max(r.remaining_ns, 0.0);
    double wall = p.reserved > 0 && k > 0 ? left / p.rate(k) : k <= p.cores ? left : left * k / p.cores;
    TimeNs t = r.launch_end_ns > now ? r.launch_end_ns : now + static_cast<TimeNs>(std::ceil(wall));
    next = std::min(next, t);
  }
  q_.push(next, kComputeTick, pool, p.version);
}

void ComputeModel::start(TimeNs now, int device, int op, ComputeTime t) {
  int pool = pool_of_[device];
  Pool& p = pools_[pool];
  if (p.ops.empty() && p.reserved == 0) {  // fast path: alone in the pool
    p.last_ns = now;
    p.ops.push_back({op, now + t.launch_ns, double(t.work_ns)});
    p.version++;
    q_.push(now + t.total_ns(), kComputeTick, pool, p.version);
    return;
  }
  advance(p, now);
  p.ops.push_back({op, now + t.launch_ns, double(t.work_ns)});
  arm(p, pool, now);
}

TimeNs ComputeModel::beside_collective_ns(TimeNs collective_ns, ComputeTime t, double share) {
  if (share <= 0 || collective_ns <= t.launch_ns) return std::max(collective_ns, t.total_ns());
  Pool p;  // the same arithmetic as advance() and arm()
  p.reserved = share;
  const double rate = p.rate(1);
  const TimeNs alone_end = t.launch_ns + static_cast<TimeNs>(std::ceil(double(t.work_ns) / rate));
  if (alone_end <= collective_ns) return collective_ns;
  const double left = double(t.work_ns) - double(collective_ns - t.launch_ns) * rate;
  return collective_ns + static_cast<TimeNs>(std::ceil(std::max(left, 0.0)));
}

void ComputeModel::collective(TimeNs now, int device, int delta) {
  const double share = share_[size_t(device)];
  if (share <= 0) return;
  const int pool = pool_of_[size_t(device)];
  Pool& p = pools_[size_t(pool)];
  advance(p, now);  // the progress so far, at the old rate
  p.reserved = std::max(0.0, p.reserved + delta * share);
  if (p.reserved < 1e-12) p.reserved = 0;  // all ended: exactly free again
  if (!p.ops.empty()) arm(p, pool, now);
}

void ComputeModel::on_tick(TimeNs now, int pool, uint32_t version, std::vector<int>* done) {
  Pool& p = pools_[pool];
  if (version != p.version) return;
  advance(p, now);
  size_t w = 0;
  for (size_t i = 0; i < p.ops.size(); ++i) {
    const Running& r = p.ops[i];
    if (r.launch_end_ns <= now && r.remaining_ns <= 1e-6)
      done->push_back(r.op);
    else
      p.ops[w++] = r;
  }
  p.ops.resize(w);
  arm(p, pool, now);
}

}  // namespace paralab::sim
