#include "sim/flow_network.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "sim/sim_events.h"

namespace paralab::sim {

FlowNetwork::FlowNetwork(const Cluster& c, EventQueue& q) : c_(c), q_(q) {
  for (const Link& l : c.links()) {
    double bw = std::max(l.bandwidth_bytes_per_s, 1.0);
    solver_.add_resource(bw);
    solver_.add_resource(bw);
  }
  pageable_first_ = int(solver_.num_resources());
  pageable_res_.assign(c.num_nodes, -1);
  for (int n = 0; n < c.num_nodes; ++n) {
    double cap = 0;
    if (c.host_memory_vertex(n) >= 0) cap = c.host_memory(n).pageable_copy_bytes_per_s;
    if (cap > 0) {
      pageable_res_[n] = solver_.add_resource(cap);
      extra_names_.push_back("n" + std::to_string(n) + ".pageable_staging");
      extra_kinds_.push_back("pageable_staging");
    }
  }
  disk_first_ = int(solver_.num_resources());
  for (int n = 0; n < c.num_nodes; ++n) {
    const DiskSpec* d = c.disk(n);
    solver_.add_resource(d && d->read_bytes_per_s > 0 ? d->read_bytes_per_s : 1.0);
    solver_.add_resource(d && d->write_bytes_per_s > 0 ? d->write_bytes_per_s : 1.0);
    extra_names_.push_back("n" + std::to_string(n) + ".disk.read");
    extra_kinds_.push_back("disk_read");
    extra_names_.push_back("n" + std::to_string(n) + ".disk.write");
    extra_kinds_.push_back("disk_write");
  }
  disk_inflight_.assign(c.num_nodes, 0);
  disk_wait_.resize(c.num_nodes);
  disk_head_.assign(c.num_nodes, 0);
}

int FlowNetwork::vertex_of(TierKind tier, int location) const {
  switch (tier) {
    case TierKind::kDevice: return c_.device(location).vertex;
    case TierKind::kPinnedHost:
    case TierKind::kPageableHost: return c_.host_memory_vertex(location);
    case TierKind::kSsd: return c_.disk_vertex(location);
  }
  return -1;
}

const FlowNetwork::Route& FlowNetwork::route(int a, int b) {
  int64_t key = (int64_t(a) << 32) | uint32_t(b);
  auto it = routes_.find(key);
  if (it != routes_.end()) return it->second;
  Route r;
  if (a == b) {
    auto [lit, fresh] = local_res_.try_emplace(a, -1);
    if (fresh) {
      double bw = 0;
      for (const Device& d : c_.devices())
        if (d.vertex == a) bw = d.spec.memory_bandwidth_bytes_per_s;
      if (bw <= 0 && c_.vertices()[a].node >= 0 && c_.host_memory_vertex(c_.vertices()[a].node) == a)
        bw = c_.host_memory(c_.vertices()[a].node).bandwidth_bytes_per_s;
      lit->second = solver_.add_resource(bw > 0 ? bw : 1e12);
      extra_names_.push_back(c_.vertices()[a].name + ".local");
      extra_kinds_.push_back("local");
    }
    r.res.push_back(lit->second);
  } else {
    std::vector<Hop> hops = c_.route(a, b);
    for (const Hop& h : hops) r.res.push_back(h.directed());
    r.latency_ns = seconds_to_ns(c_.route_latency_seconds(hops));
  }
  return routes_.emplace(key, std::move(r)).first->second;
}

int FlowNetwork::start(TimeNs now, int a, int b, double bytes, FlowOwner owner, int pageable_node, int disk_node,
                       bool disk_write) {
  int f;
  if (!free_.empty()) {
    f = free_.back();
    free_.pop_back();
  } else {
    f = int(flows_.size());
    flows_.emplace_back();
  }
  const Route& r = route(a, b);
  Flow& fl = flows_[f];
  fl.owner = owner;
  fl.res.assign(r.res.begin(), r.res.end());
  fl.latency_ns = r.latency_ns;
  if (pageable_node >= 0 && pageable_res_[pageable_node] >= 0) fl.res.push_back(pageable_res_[pageable_node]);
  fl.disk_node = disk_node;
  if (disk_node >= 0) {
    fl.res.push_back(disk_first_ + 2 * disk_node + (disk_write ? 1 : 0));
    if (const DiskSpec* d = c_.disk(disk_node)) fl.latency_ns += seconds_to_ns(d->latency_seconds);
  }
  std::sort(fl.res.begin(), fl.res.end());
  fl.res.erase(std::unique(fl.res.begin(), fl.res.end()), fl.res.end());
  fl.bytes = fl.remaining = bytes;
  fl.rate = 0;
  fl.solver_id = -1;
  fl.live = true;
  fl.version++;
  ++flows_started_;
  if (disk_node >= 0) {
    const DiskSpec* d = c_.disk(disk_node);
    int qd = d ? std::max(d->queue_depth, 1) : 1;
    if (disk_inflight_[disk_node] >= qd) {
      disk_wait_[disk_node].push_back(f);
      return f;
    }
    disk_inflight_[disk_node]++;
  }
  begin_latency(now, f);
  return f;
}

int FlowNetwork::start_transfer(TimeNs now, Place src, Place dst, double bytes, FlowOwner owner) {
  int a = vertex_of(src.tier, src.location), b = vertex_of(dst.tier, dst.location);
  int pageable = -1;
  if (src.tier == TierKind::kPageableHost && dst.tier != TierKind::kPageableHost) pageable = src.location;
  if (dst.tier == TierKind::kPageableHost && src.tier != TierKind::kPageableHost) pageable = dst.location;
  int disk = -1;
  bool write = false;
  if (src.tier == TierKind::kSsd) disk = src.location;
  if (dst.tier == TierKind::kSsd) {
    disk = dst.location;
    write = true;
  }
  return start(now, a, b, bytes, owner, pageable, disk, write);
}

void FlowNetwork::begin_latency(TimeNs now, int f) {
  Flow& fl = flows_[f];
  if (fl.latency_ns > 0)
    q_.push(now + fl.latency_ns, kFlowLatencyDone, f, fl.version);
  else
    on_latency_done(now, f);
}

void FlowNetwork::on_latency_done(TimeNs now, int f) {
  Flow& fl = flows_[f];
  fl.last_ns = now;
  if (fl.remaining <= 0 || fl.res.empty()) {
    fh_set(f, now);
    return;
  }
  fl.solver_id = solver_.add_flow(fl.res);
  if (size_t(fl.solver_id) >= by_solver_id_.size()) by_solver_id_.resize(fl.solver_id + 1, -1);
  by_solver_id_[fl.solver_id] = f;
}

void FlowNetwork::on_flows_done(TimeNs now, uint32_t version, std::vector<FlowOwner>* finished) {
  if (version != net_version_) return;
  armed_ns_ = -1;
  while (!fheap_.empty() && flows_[fheap_[0]].finish_ns <= now) {
    int f = fheap_[0];
    finished->push_back(flows_[f].owner);
    finish(now, f);
  }
}

void FlowNetwork::fh_up(size_t i) {
  int f = fheap_[i];
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!fh_less(f, fheap_[p])) break;
    fheap_[i] = fheap_[p];
    flows_[fheap_[i]].heap_pos = int(i);
    i = p;
  }
  fheap_[i] = f;
  flows_[f].heap_pos = int(i);
}

void FlowNetwork::fh_down(size_t i) {
  const size_t n = fheap_.size();
  int f = fheap_[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && fh_less(fheap_[c + 1], fheap_[c])) ++c;
    if (!fh_less(fheap_[c], f)) break;
    fheap_[i] = fheap_[c];
    flows_[fheap_[i]].heap_pos = int(i);
    i = c;
  }
  fheap_[i] = f;
  flows_[f].heap_pos = int(i);
}

void FlowNetwork::fh_set(int f, TimeNs finish_ns) {
  Flow& fl = flows_[f];
  fl.finish_ns = finish_ns;
  if (fl.heap_pos < 0) {
    fheap_.push_back(f);
    fh_up(fheap_.size() - 1);
  } else {
    fh_up(size_t(fl.heap_pos));
    fh_down(size_t(flows_[f].heap_pos));
  }
}

void FlowNetwork::fh_remove(int f) {
  int pos = flows_[f].heap_pos;
  if (pos < 0) return;
  int last = fheap_.back();
  fheap_.pop_back();
  flows_[f].heap_pos = -1;
  if (last != f) {
    fheap_[pos] = last;
    flows_[last].heap_pos = pos;
    fh_up(size_t(pos));
    fh_down(size_t(flows_[last].heap_pos));
  }
}

void FlowNetwork::arm() {
  if (fheap_.empty()) return;
  TimeNs t = flows_[fheap_[0]].finish_ns;
  if (t == armed_ns_) return;
  armed_ns_ = t;
  q_.push(t, kFlowDone, 0, ++net_version_);
}

void FlowNetwork::finish(TimeNs now, int f) {
  Flow& fl = flows_[f];
  fh_remove(f);
  if (fl.solver_id >= 0) {
    solver_.remove_flow(fl.solver_id);
    by_solver_id_[fl.solver_id] = -1;
    fl.solver_id = -1;
  }
  if (carried_.size() < solver_.num_resources()) carried_.resize(solver_.num_resources(), 0.0);
  for (int r : fl.res) carried_[r] += fl.bytes;
  fl.live = false;
  fl.version++;
  ++flows_finished_;
  free_.push_back(f);
  int n = fl.disk_node;
  if (n >= 0) {
    disk_inflight_[n]--;
    if (disk_head_[n] < disk_wait_[n].size()) {
      int next = disk_wait_[n][disk_head_[n]++];
      if (disk_head_[n] == disk_wait_[n].size()) {
        disk_wait_[n].clear();
        disk_head_[n] = 0;
      }
      disk_inflight_[n]++;
      begin_latency(now, next);
    }
  }
}

void FlowNetwork::resolve(TimeNs now) {
  load_changes_.clear();
  if (!solver_.dirty()) {
    arm();
    return;
  }
  changed_.clear();
  solver_.solve(&changed_);
  ++solves_;
  rate_changes_ += changed_.size();
  for (int sid : changed_) {
    int f = by_solver_id_[sid];
    Flow& fl = flows_[f];
    fl.remaining = std::max(0.0, fl.remaining - fl.rate * double(now - fl.last_ns) * 1e-9);
    fl.last_ns = now;
    fl.rate = solver_.rate(sid);
    double dt = fl.rate > 0 ? std::ceil(fl.remaining / fl.rate * 1e9) : 1e18;
    fh_set(f, now + static_cast<TimeNs>(std::min(dt, 4e18)));
  }
  arm();
  if (!track_loads_) return;
  if (last_load_.size() < solver_.num_resources()) last_load_.resize(solver_.num_resources(), 0.0);
  for (int r : solver_.touched()) {
    double l = solver_.load(r);
    if (l != last_load_[r]) {
      last_load_[r] = l;
      load_changes_.emplace_back(r, l);
    }
  }
}

std::string FlowNetwork::resource_name(int r) const {
  int nl = int(c_.links().size());
  if (r < 2 * nl) {
    const Link& l = c_.links()[r / 2];
    const std::string& a = c_.vertices()[l.a].name;
    const std::string& b = c_.vertices()[l.b].name;
    return r % 2 == 0 ? a + "->" + b : b + "->" + a;
  }
  return extra_names_[r - 2 * nl];
}

std::vector<ResourceUsage> FlowNetwork::usage() const {
  std::vector<ResourceUsage> out;
  int nl = int(c_.links().size());
  for (size_t r = 0; r < carried_.size(); ++r) {
    if (carried_[r] <= 0) continue;
    ResourceUsage u;
    u.name = resource_name(int(r));
    u.kind = int(r) < 2 * nl ? c_.links()[r / 2].kind : extra_kinds_[r - 2 * nl];
    u.capacity_bytes_per_s = solver_.capacity(int(r));
    u.bytes = carried_[r];
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace paralab::sim
