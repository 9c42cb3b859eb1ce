#include "core/cluster.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

#include "core/error.h"

namespace paralab {

double DeviceSpec::peak(const std::string& dtype) const {
  auto get = [&](const char* k) -> double {
    auto it = peak_flops_per_s.find(k);
    return it == peak_flops_per_s.end() ? 0.0 : it->second;
  };
  double p = get(dtype.c_str());
  if (p > 0) return p;
  if (dtype == "bf16") return get("fp16");
  if (dtype == "fp16") return get("bf16");
  if (dtype == "tf32") return get("fp32");
  return 0.0;
}

namespace {
double interpolate_log(const std::vector<std::pair<double, double>>& curve, double x, double fallback) {
  if (curve.empty()) return fallback;
  if (x <= curve.front().first) return curve.front().second;
  if (x >= curve.back().first) return curve.back().second;
  for (size_t i = 1; i < curve.size(); ++i) {
    if (x <= curve[i].first) {
      double x0 = std::log(curve[i - 1].first), x1 = std::log(curve[i].first);
      double t = x1 > x0 ? (std::log(x) - x0) / (x1 - x0) : 1.0;
      return curve[i - 1].second + t * (curve[i].second - curve[i - 1].second);
    }
  }
  return curve.back().second;
}
}  // namespace

double DeviceSpec::gemm_efficiency_at(double flops) const {
  return interpolate_log(gemm_efficiency_curve, flops, gemm_efficiency);
}

double DeviceSpec::gemm_efficiency_for(double m, double n, double k, double flops) const {
  if (!gemm_efficiency_grid.empty() && m > 0 && n > 0 && k > 0) return gemm_efficiency_grid.at(m, n, k);
  return gemm_efficiency_at(flops);
}

double DeviceSpec::memory_efficiency_at(double bytes) const {
  return interpolate_log(memory_efficiency_curve, bytes, memory_efficiency);
}

double DeviceSpec::quantized_seconds_per_weight(const std::string& format, double m) const {
  auto it = quantized_gemm_seconds_per_weight.find(format);
  if (it == quantized_gemm_seconds_per_weight.end() || it->second.empty()) return -1;
  const auto& pts = it->second;
  if (pts.size() == 1 || m <= pts.front().first) return pts.front().second;
  size_t i = 1;
  while (i + 1 < pts.size() && m > pts[i].first) ++i;
  const auto &a = pts[i - 1], &b = pts[i];
  double v = a.second + (m - a.first) / (b.first - a.first) * (b.second - a.second);
  return std::max(v, std::min(a.second, b.second));
}

const char* tier_kind_name(TierKind k) {
  switch (k) {
    case TierKind::kDevice: return "device";
    case TierKind::kPinnedHost: return "pinned";
    case TierKind::kPageableHost: return "pageable";
    case TierKind::kSsd: return "ssd";
  }
  return "?";
}

bool parse_tier_kind(const std::string& name, TierKind* out) {
  for (TierKind k : {TierKind::kDevice, TierKind::kPinnedHost, TierKind::kPageableHost, TierKind::kSsd}) {
    if (name == tier_kind_name(k)) {
      *out = k;
      return true;
    }
  }
  return false;
}

Cluster::Cluster(const Cluster& o)
    : name(o.name), description(o.description), source(o.source), num_nodes(o.num_nodes),
      cpu_cores_per_node(o.cpu_cores_per_node), content_hash(o.content_hash), overrides(o.overrides),
      devices_(o.devices_), vertices_(o.vertices_), links_(o.links_), adjacency_(o.adjacency_),
      endpoint_only_(o.endpoint_only_), host_memory_vertex_(o.host_memory_vertex_), disk_vertex_(o.disk_vertex_),
      vertex_by_name_(o.vertex_by_name_), host_memory_(o.host_memory_), disks_(o.disks_) {}

Cluster& Cluster::operator=(const Cluster& o) {
  if (this != &o) {
    Cluster tmp(o);
    *this = std::move(tmp);
  }
  return *this;
}

std::vector<int> Cluster::accelerators() const {
  std::vector<int> out;
  for (const auto& d : devices_)
    if (d.spec.kind == "gpu") out.push_back(d.id);
  if (out.empty())
    for (const auto& d : devices_) out.push_back(d.id);
  return out;
}

int Cluster::devices_per_node() const {
  return num_nodes > 0 ? static_cast<int>(accelerators().size()) / num_nodes : 0;
}

int Cluster::vertex_id(const std::string& n) const {
  auto it = vertex_by_name_.find(n);
  return it == vertex_by_name_.end() ? -1 : it->second;
}

int Cluster::host_memory_vertex(int node) const {
  return node >= 0 && size_t(node) < host_memory_vertex_.size() ? host_memory_vertex_[node] : -1;
}

int Cluster::disk_vertex(int node) const {
  return node >= 0 && size_t(node) < disk_vertex_.size() ? disk_vertex_[node] : -1;
}

const DiskSpec* Cluster::disk(int node) const {
  auto it = disks_.find(node);
  return it == disks_.end() ? nullptr : &it->second;
}

int Cluster::add_vertex(Vertex v) {
  int id = static_cast<int>(vertices_.size());
  if (vertex_by_name_.count(v.name)) throw InputError("cluster " + name + ": duplicate component '" + v.name + "'");
  vertex_by_name_[v.name] = id;
  endpoint_only_.push_back(v.kind == "gpu" || v.kind == "disk");
  // Per-node lookups of the first host memory and disk (what a scan in id order finds).
  if (v.node >= 0 && (v.kind == "memory" || v.kind == "disk")) {
    auto& per_node = v.kind == "memory" ? host_memory_vertex_ : disk_vertex_;
    if (per_node.size() <= size_t(v.node)) per_node.resize(size_t(v.node) + 1, -1);
    if (per_node[v.node] < 0) per_node[v.node] = id;
  }
  vertices_.push_back(std::move(v));
  adjacency_.emplace_back();
  return id;
}

int Cluster::add_link(int a, int b, std::string kind, double bw, double latency, std::string link_source) {
  Link l;
  l.id = static_cast<int>(links_.size());
  l.a = a;
  l.b = b;
  l.kind = std::move(kind);
  l.bandwidth_bytes_per_s = bw;
  l.latency_seconds = latency;
  l.source = std::move(link_source);
  links_.push_back(l);
  // Kept sorted by neighbour so route() visits neighbours in ascending order.
  auto insert_sorted = [](auto& v, std::pair<int, int> e) { v.insert(std::upper_bound(v.begin(), v.end(), e), e); };
  insert_sorted(adjacency_[a], {b, l.id});
  insert_sorted(adjacency_[b], {a, l.id});
  cache_->routes.clear();
  cache_->home_nic_ready = false;
  return l.id;
}

void Cluster::add_device(Device d) {
  cache_->home_nic_ready = false;
  d.id = static_cast<int>(devices_.size());
  devices_.push_back(std::move(d));
}

void Cluster::set_host_memory(int node, HostMemorySpec s) { host_memory_[node] = std::move(s); }
void Cluster::set_disk(int node, DiskSpec s) { disks_[node] = std::move(s); }

std::vector<Hop> Cluster::shortest_path(int a, int b) const {
  // BFS from a; neighbours visited in ascending vertex order so ties break
  // toward the lowest vertex id (invariant 3).
  std::vector<int> prev_link(vertices_.size(), -1), prev(vertices_.size(), -1);
  std::vector<char> seen(vertices_.size(), 0);
  std::deque<int> q{a};
  seen[a] = 1;
  while (!q.empty()) {
    int u = q.front();
    q.pop_front();
    if (u == b) break;
    for (auto [v, link] : adjacency_[u]) {
      if (seen[v]) continue;
      // Paths do not pass through a device or disk on the way elsewhere.
      if (v != b && endpoint_only_[v]) continue;
      seen[v] = 1;
      prev[v] = u;
      prev_link[v] = link;
      q.push_back(v);
    }
  }
  std::vector<Hop> path;
  if (!seen[b]) return path;
  for (int v = b; v != a; v = prev[v]) {
    const Link& l = links_[prev_link[v]];
    path.push_back(Hop{l.id, l.a == prev[v]});
  }
  std::reverse(path.begin(), path.end());
  return path;
}

const std::vector<int>& Cluster::home_nics() const {
  std::lock_guard<std::mutex> lock(cache_->mu);
  if (cache_->home_nic_ready) return cache_->home_nic;
  std::vector<int>& home = cache_->home_nic;
  home.assign(vertices_.size(), -1);
  std::vector<int> taken(vertices_.size(), 0), dist(vertices_.size(), -1);
  for (const Device& d : devices_) {
    // Hops from the device to every vertex of its node (not through other
    // devices or disks); the nearest NICs are the candidates.
    std::vector<int> seen{d.vertex};
    dist[d.vertex] = 0;
    int best = -1;
    for (size_t i = 0; i < seen.size(); ++i) {
      int u = seen[i];
      if (vertices_[u].kind == "nic") {
        if (best >= 0 && dist[u] > dist[best]) break;
        if (best < 0 || taken[u] < taken[best] || (taken[u] == taken[best] && u < best)) best = u;
        continue;  // a NIC leads out of the node
      }
      if (u != d.vertex && endpoint_only_[u]) continue;
      for (auto [v, link] : adjacency_[u])
        if (dist[v] < 0 && vertices_[v].node == d.node) {
          dist[v] = dist[u] + 1;
          seen.push_back(v);
        }
    }
    for (int v : seen) dist[v] = -1;
    if (best >= 0) {
      home[d.vertex] = best;
      taken[best]++;
    }
  }
  cache_->home_nic_ready = true;
  return home;
}

std::vector<Hop> Cluster::route(int a, int b) const {
  if (a == b) return {};
  int64_t key = int64_t(a) * int64_t(vertices_.size() + 1) + b;
  {
    std::lock_guard<std::mutex> lock(cache_->mu);
    auto it = cache_->routes.find(key);
    if (it != cache_->routes.end()) return it->second;
  }
  std::vector<Hop> path;
  const int na = vertices_[a].node, nb = vertices_[b].node;
  if (na >= 0 && nb >= 0 && na != nb) {
    // Between nodes: out through a's home NIC, in through b's (invariant 3).
    const std::vector<int>& home = home_nics();
    const int x = home[a] >= 0 ? home[a] : a, y = home[b] >= 0 ? home[b] : b;
    if (x != a || y != b) {
      for (auto [from, to] : {std::pair{a, x}, std::pair{x, y}, std::pair{y, b}}) {
        if (from == to) continue;
        std::vector<Hop> seg = shortest_path(from, to);
        if (seg.empty()) {
          path.clear();
          break;
        }
        path.insert(path.end(), seg.begin(), seg.end());
      }
    }
  }
  if (path.empty()) path = shortest_path(a, b);
  std::lock_guard<std::mutex> lock(cache_->mu);
  cache_->routes[key] = path;
  return path;
}

double Cluster::route_latency_seconds(const std::vector<Hop>& r) const {
  double s = 0;
  for (const auto& h : r) s += links_[h.link].latency_seconds;
  return s;
}

double Cluster::route_bandwidth_bytes_per_s(const std::vector<Hop>& r) const {
  double bw = std::numeric_limits<double>::infinity();
  for (const auto& h : r) bw = std::min(bw, links_[h.link].bandwidth_bytes_per_s);
  return bw;
}

double Cluster::route_collective_efficiency(const std::vector<Hop>& r) const {
  double e = 1.0;
  for (const auto& h : r) e = std::min(e, links_[h.link].collective_efficiency);
  return e;
}

double Cluster::tier_capacity_bytes(int device, TierKind tier) const {
  const Device& d = devices_.at(device);
  switch (tier) {
    case TierKind::kDevice: return d.spec.memory_bytes;
    case TierKind::kPinnedHost: {
      auto it = host_memory_.find(d.node);
      return it == host_memory_.end() ? 0.0 : it->second.pinned_capacity_bytes;
    }
    case TierKind::kPageableHost: {
      auto it = host_memory_.find(d.node);
      return it == host_memory_.end() ? 0.0 : it->second.capacity_bytes;
    }
    case TierKind::kSsd: {
      const DiskSpec* s = disk(d.node);
      return s ? s->capacity_bytes : 0.0;
    }
  }
  return 0.0;
}

void Cluster::validate() const {
  if (vertices_.empty()) throw InputError("cluster " + name + ": no components");
  std::vector<char> seen(vertices_.size(), 0);
  std::deque<int> q{0};
  seen[0] = 1;
  while (!q.empty()) {
    int u = q.front();
    q.pop_front();
    for (auto [v, l] : adjacency_[u])
      if (!seen[v]) {
        seen[v] = 1;
        q.push_back(v);
      }
  }
  for (size_t i = 0; i < vertices_.size(); ++i)
    if (!seen[i])
      throw InputError("cluster " + name + ": component '" + vertices_[i].name +
                       "' is not connected to '" + vertices_[0].name + "' by any link");
}

Json Cluster::to_json() const {
  Json j;
  j["name"] = name;
  j["description"] = description;
  j["source"] = source;
  j["nodes"] = num_nodes;
  j["cpu_cores_per_node"] = cpu_cores_per_node;
  j["content_hash"] = content_hash;
  j["overrides"] = overrides;
  Json devs = Json::array();
  for (const auto& d : devices_) {
    devs.push_back({{"id", d.id},
                    {"node", d.node},
                    {"vertex", d.vertex_name},
                    {"model", d.spec.model},
                    {"kind", d.spec.kind},
                    {"peak_flops_per_s", d.spec.peak_flops_per_s},
                    {"memory_bytes", d.spec.memory_bytes},
                    {"memory_bandwidth_bytes_per_s", d.spec.memory_bandwidth_bytes_per_s},
                    {"gemm_efficiency", d.spec.gemm_efficiency},
                    {"memory_efficiency", d.spec.memory_efficiency},
                    {"launch_overhead_seconds", d.spec.launch_overhead_seconds},
                    {"collective_compute_share", d.spec.collective_compute_share},
                    {"slowdown", d.spec.slowdown}});
  }
  j["devices"] = devs;
  Json hosts = Json::array();
  for (const auto& [node, h] : host_memory_)
    hosts.push_back({{"node", node},
                     {"capacity_bytes", h.capacity_bytes},
                     {"pinned_capacity_bytes", h.pinned_capacity_bytes},
                     {"bandwidth_bytes_per_s", h.bandwidth_bytes_per_s},
                     {"pageable_copy_bytes_per_s", h.pageable_copy_bytes_per_s}});
  j["host_memory"] = hosts;
  Json disks = Json::array();
  for (const auto& [node, d] : disks_)
    disks.push_back({{"node", node},
                     {"capacity_bytes", d.capacity_bytes},
                     {"read_bytes_per_s", d.read_bytes_per_s},
                     {"write_bytes_per_s", d.write_bytes_per_s},
                     {"latency_seconds", d.latency_seconds},
                     {"queue_depth", d.queue_depth}});
  j["disks"] = disks;
  Json links = Json::array();
  for (const auto& l : links_)
    links.push_back({{"a", vertices_[l.a].name},
                     {"b", vertices_[l.b].name},
                     {"kind", l.kind},
                     {"bandwidth_bytes_per_s", l.bandwidth_bytes_per_s},
                     {"latency_seconds", l.latency_seconds},
                     {"collective_efficiency", l.collective_efficiency}});
  j["links"] = links;
  return j;
}

}  // namespace paralab
