#include "sim/compute_model.h"

#include <algorithm>
#include <cmath>

#include "sim/sim_events.h"

namespace paralab::sim {

void ComputeModel::advance(Dev& d, TimeNs now) {
  if (d.ops.size() == 1) {  // alone: works from its launch end on
    Running& r = d.ops[0];
    TimeNs from = std::max(d.last_ns, r.launch_end_ns);
    if (now > from) r.remaining_ns -= double(now - from);
  } else if (now > d.last_ns && !d.ops.empty()) {
    int k = 0;
    for (const Running& r : d.ops) k += r.launch_end_ns <= d.last_ns;
    if (k > 0) {
      double step = double(now - d.last_ns) / k;
      for (Running& r : d.ops)
        if (r.launch_end_ns <= d.last_ns) r.remaining_ns -= step;
    }
  }
  d.last_ns = now;
}

void ComputeModel::arm(Dev& d, int device, TimeNs now) {
  d.version++;
  if (d.ops.empty()) return;
  int k = 0;
  for (const Running& r : d.ops) k += r.launch_end_ns <= now;
  TimeNs next = INT64_MAX;
  for (const Running& r : d.ops) {
    TimeNs t = r.launch_end_ns > now ? r.launch_end_ns
                                     : now + static_cast<TimeNs>(std::ceil(std::max(r.remaining_ns, 0.0) * k));
    next = std::min(next, t);
  }
  q_.push(next, kComputeTick, device, d.version);
}

void ComputeModel::start(TimeNs now, int device, int op, ComputeTime t) {
  Dev& d = devs_[device];
  if (d.ops.empty()) {  // fast path: alone on the device
    d.last_ns = now;
    d.ops.push_back({op, now + t.launch_ns, double(t.work_ns)});
    d.version++;
    q_.push(now + t.total_ns(), kComputeTick, device, d.version);
    return;
  }
  advance(d, now);
  d.ops.push_back({op, now + t.launch_ns, double(t.work_ns)});
  arm(d, device, now);
}

void ComputeModel::on_tick(TimeNs now, int device, uint32_t version, std::vector<int>* done) {
  Dev& d = devs_[device];
  if (version != d.version) return;
  advance(d, now);
  size_t w = 0;
  for (size_t i = 0; i < d.ops.size(); ++i) {
    const Running& r = d.ops[i];
    if (r.launch_end_ns <= now && r.remaining_ns <= 1e-6)
      done->push_back(r.op);
    else
      d.ops[w++] = r;
  }
  d.ops.resize(w);
  arm(d, device, now);
}

}  // namespace paralab::sim
