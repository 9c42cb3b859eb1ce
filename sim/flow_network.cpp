#include "sim/flow_network.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "sim/sim_events.h"

namespace paralab::sim {

namespace {
// Indexed binary min-heap of ids: less orders two ids, pos(id) is the slot
// holding the id's index in the heap (-1 when out).
template <class Less, class Pos>
void sift_up(std::vector<int>& h, size_t i, Less less, Pos pos) {
  const int x = h[i];
  while (i > 0) {
    const size_t p = (i - 1) / 2;
    if (!less(x, h[p])) break;
    h[i] = h[p];
    pos(h[i]) = int(i);
    i = p;
  }
  h[i] = x;
  pos(x) = int(i);
}

template <class Less, class Pos>
void sift_down(std::vector<int>& h, size_t i, Less less, Pos pos) {
  const size_t n = h.size();
  const int x = h[i];
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && less(h[c + 1], h[c])) ++c;
    if (!less(h[c], x)) break;
    h[i] = h[c];
    pos(h[i]) = int(i);
    i = c;
  }
  h[i] = x;
  pos(x) = int(i);
}

template <class Less, class Pos>
void heap_erase(std::vector<int>& h, size_t i, Less less, Pos pos) {
  const int x = h[i], last = h.back();
  h.pop_back();
  pos(x) = -1;
  if (i < h.size()) {
    h[i] = last;
    pos(last) = int(i);
    sift_up(h, i, less, pos);
    sift_down(h, size_t(pos(last)), less, pos);
  }
}
}  // namespace

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

// A flow's resources (its route's links, then the staging and disk
// resources it adds; sorted, each once) and latencies, built once per
// distinct (route, staging, disk) and kept: a generation starts ~10^6 flows
// over a handful of paths.
const FlowNetwork::Path& FlowNetwork::flow_path(int a, int b, int pageable_node, int disk_node, bool disk_write) {
  const PathKey key{a, b, pageable_node, disk_node, disk_write};
  auto it = paths_.find(key);
  if (it != paths_.end()) return it->second;
  const Route& r = route(a, b);
  Path p;
  p.res = r.res;
  p.route_latency_ns = r.latency_ns;
  if (pageable_node >= 0 && pageable_res_[pageable_node] >= 0) p.res.push_back(pageable_res_[pageable_node]);
  if (disk_node >= 0) {
    p.res.push_back(disk_first_ + 2 * disk_node + (disk_write ? 1 : 0));
    if (const DiskSpec* d = c_.disk(disk_node)) p.disk_latency_ns = seconds_to_ns(d->latency_seconds);
  }
  std::sort(p.res.begin(), p.res.end());
  p.res.erase(std::unique(p.res.begin(), p.res.end()), p.res.end());
  return paths_.emplace(key, std::move(p)).first->second;
}

int FlowNetwork::start(TimeNs now, int a, int b, double bytes, FlowOwner owner, int pageable_node, int disk_node,
                       bool disk_write, int latency_multiple) {
  int f;
  if (!free_.empty()) {
    f = free_.back();
    free_.pop_back();
  } else {
    f = int(flows_.size());
    flows_.emplace_back();
  }
  const Path& path = flow_path(a, b, pageable_node, disk_node, disk_write);
  Flow& fl = flows_[f];
  fl.owner = owner;
  fl.res.assign(path.res.begin(), path.res.end());
  fl.latency_ns = path.route_latency_ns * latency_multiple + path.disk_latency_ns;
  fl.disk_node = disk_node;
  fl.bytes = fl.remaining = bytes;
  fl.solver_id = -1;
  fl.cls = -1;
  fl.heap_pos = -1;
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
  if (fl.remaining <= 0 || fl.res.empty()) {
    immediate_.push_back(f);
    return;
  }
  fl.solver_id = solver_.add_flow(fl.res);
  if (size_t(fl.solver_id) >= by_solver_id_.size()) by_solver_id_.resize(fl.solver_id + 1, -1);
  by_solver_id_[fl.solver_id] = f;
}

void FlowNetwork::on_flows_done(TimeNs now, uint32_t version, std::vector<FlowOwner>* finished) {
  if (version != net_version_) return;
  armed_ns_ = -1;
  due_.assign(immediate_.begin(), immediate_.end());
  immediate_.clear();
  while (!cheap_.empty() && clocks_[cheap_[0]].finish_ns <= now) {
    const int c = cheap_[0];
    ClassClock& k = clocks_[c];
    due_.push_back(class_pop(c));  // the first member: finish_ns is its finish
    TimeNs next = 0;
    while (!k.members.empty() && (next = member_finish(k, k.members[0])) <= now) due_.push_back(class_pop(c));
    reschedule(c, next);
  }
  std::sort(due_.begin(), due_.end());
  for (int f : due_) {
    finished->push_back(flows_[f].owner);
    finish(now, f);
  }
}

FlowNetwork::ClassClock& FlowNetwork::clock(int c) {
  if (size_t(c) >= clocks_.size()) {
    clocks_.resize(c + 1);
    class_mark_.resize(c + 1, 0);
  }
  return clocks_[c];
}

void FlowNetwork::anchor(ClassClock& k, TimeNs now) const {
  k.served += k.level * double(now - k.anchor_ns) * 1e-9;
  k.anchor_ns = now;
}

TimeNs FlowNetwork::member_finish(const ClassClock& k, int f) const {
  if (k.level <= 0) return TimeNs(4e18);
  const double dt = std::ceil(std::max(0.0, flows_[f].target - k.served) / k.level * 1e9);
  return k.anchor_ns + static_cast<TimeNs>(std::min(dt, 4e18));
}

void FlowNetwork::class_insert(int c, int f) {
  ClassClock& k = clocks_[c];
  flows_[f].cls = c;
  k.members.push_back(f);
  sift_up(k.members, k.members.size() - 1, [this](int a, int b) { return member_less(a, b); },
          [this](int x) -> int& { return flows_[x].heap_pos; });
}

void FlowNetwork::class_remove(int f) {
  Flow& fl = flows_[f];
  if (fl.cls < 0) return;
  ClassClock& k = clocks_[fl.cls];
  if (k.members.size() == 1) {  // most classes of training graphs hold one flow
    k.members.clear();
    fl.heap_pos = -1;
  } else {
    heap_erase(k.members, size_t(fl.heap_pos), [this](int a, int b) { return member_less(a, b); },
               [this](int x) -> int& { return flows_[x].heap_pos; });
  }
  fl.cls = -1;
}

int FlowNetwork::class_pop(int c) {
  const int f = clocks_[c].members[0];
  class_remove(f);
  return f;
}

void FlowNetwork::reschedule(int c, TimeNs first_finish_ns) {
  ClassClock& k = clocks_[c];
  auto less = [this](int a, int b) { return class_less(a, b); };
  auto pos = [this](int x) -> int& { return clocks_[x].heap_pos; };
  if (k.members.empty()) {
    if (k.heap_pos >= 0) heap_erase(cheap_, size_t(k.heap_pos), less, pos);
    return;
  }
  k.finish_ns = first_finish_ns >= 0 ? first_finish_ns : member_finish(k, k.members[0]);
  if (k.heap_pos < 0) {
    cheap_.push_back(c);
    sift_up(cheap_, cheap_.size() - 1, less, pos);
  } else {
    sift_up(cheap_, size_t(k.heap_pos), less, pos);
    sift_down(cheap_, size_t(k.heap_pos), less, pos);
  }
}

void FlowNetwork::arm(TimeNs now) {
  TimeNs t;
  if (!immediate_.empty())
    t = now;
  else if (!cheap_.empty())
    t = clocks_[cheap_[0]].finish_ns;
  else
    return;
  if (t == armed_ns_) return;
  armed_ns_ = t;
  q_.push(t, kFlowDone, 0, ++net_version_);
}

void FlowNetwork::finish(TimeNs now, int f) {
  Flow& fl = flows_[f];
  class_remove(f);
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
    arm(now);
    return;
  }
  changes_.clear();
  solver_.solve(&changes_);
  ++solves_;
  ++mark_epoch_;
  touched_classes_.clear();
  auto touch = [&](int c) {
    if (class_mark_[c] == mark_epoch_) return;
    class_mark_[c] = mark_epoch_;
    touched_classes_.push_back(c);
  };
  // 1. A flow that changed class: its remaining bytes under the old clock.
  for (int sid : changes_.moved) {
    Flow& fl = flows_[by_solver_id_[sid]];
    if (fl.cls >= 0) {
      ClassClock& k = clocks_[fl.cls];
      anchor(k, now);
      fl.remaining = std::max(0.0, fl.target - k.served);
      touch(fl.cls);
      class_remove(by_solver_id_[sid]);
    }
  }
  // 2. A class that changed level: settle its clock at the old level.
  for (int c : changes_.relevelled) {
    ClassClock& k = clock(c);
    anchor(k, now);
    k.level = solver_.class_level(c);
    k.relevelled = mark_epoch_;
    rate_changes_ += solver_.members(c).size();  // moved members included
    touch(c);
  }
  // 3. Moved flows take the clock of their new class.
  for (int sid : changes_.moved) {
    const int f = by_solver_id_[sid], c = solver_.class_of(sid);
    ClassClock& k = clock(c);
    if (k.members.empty()) {  // a class new to the network: a fresh anchor
      k.served = 0;
      k.anchor_ns = now;
      k.level = solver_.class_level(c);
    } else {
      anchor(k, now);
    }
    if (k.relevelled != mark_epoch_) ++rate_changes_;
    flows_[f].target = k.served + flows_[f].remaining;
    class_insert(c, f);
    touch(c);
  }
  for (int c : touched_classes_) reschedule(c);
  arm(now);
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
