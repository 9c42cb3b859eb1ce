#include "sim/collectives.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace paralab::sim {

namespace {

// Flows carry the bytes a collective library puts on the wire: the payload
// divided by the route's collective_efficiency (protocol overhead).
struct Builder {
  explicit Builder(const Cluster& cluster) : c(cluster) {}
  const Cluster& c;
  std::vector<CollectiveFlow> flows;
  std::vector<std::vector<int>> deps;
  int add(int src, int dst, double bytes, std::vector<int> d, int steps = 1) {
    double eff = c.route_collective_efficiency(c.route(c.device(src).vertex, c.device(dst).vertex));
    flows.push_back({src, dst, bytes / eff, steps});
    d.erase(std::remove(d.begin(), d.end(), -1), d.end());
    deps.push_back(std::move(d));
    return int(flows.size() - 1);
  }
  CollectiveProgram finish() {
    CollectiveProgram p;
    p.flows = std::move(flows);
    size_t n = p.flows.size();
    p.num_deps.assign(n, 0);
    p.succ_offsets.assign(n + 1, 0);
    for (size_t i = 0; i < n; ++i)
      for (int d : deps[i]) {
        p.num_deps[i]++;
        p.succ_offsets[d + 1]++;
      }
    for (size_t i = 0; i < n; ++i) p.succ_offsets[i + 1] += p.succ_offsets[i];
    p.succ.assign(p.succ_offsets[n], 0);
    std::vector<int> fill(p.succ_offsets.begin(), p.succ_offsets.end() - 1);
    for (size_t i = 0; i < n; ++i)
      for (int d : deps[i]) p.succ[fill[d]++] = int(i);
    return p;
  }
};

using Deps = std::vector<std::vector<int>>;  // per rank: flows it must wait for

// `steps` ring steps over `ranks`, chunk bytes each; returns each rank's exit
// dependencies (the last flow it received and the last it sent). With
// max_steps > 0 and steps > max_steps, runs of q = ceil(steps / max_steps)
// consecutive steps are merged into one flow of q chunks that pays q route
// latencies (the last run takes the remainder).
Deps ring_steps(Builder& b, const std::vector<int>& ranks, int steps, double chunk, const Deps& entry,
                int max_steps = 0) {
  const int n = int(ranks.size());
  if (steps <= 0 || n < 2) return entry;
  const int q = max_steps > 0 && steps > max_steps ? (steps + max_steps - 1) / max_steps : 1;
  std::vector<int> prev(n, -1), cur(n, -1);
  for (int s = 0; s * q < steps; ++s) {
    const int merged = std::min(q, steps - s * q);
    const double bytes = chunk * merged;
    for (int i = 0; i < n; ++i) {
      std::vector<int> d;
      if (s == 0) {
        d = entry[i];
      } else {
        d = {prev[(i + n - 1) % n], prev[i]};
      }
      cur[i] = b.add(ranks[i], ranks[(i + 1) % n], bytes, std::move(d), merged);
    }
    std::swap(prev, cur);
  }
  Deps exit(n);
  for (int i = 0; i < n; ++i) exit[i] = {prev[(i + n - 1) % n], prev[i]};
  return exit;
}

std::vector<std::vector<int>> ranks_by_node(const Cluster& c, std::span<const int> ranks) {
  std::map<int, int> index;
  std::vector<std::vector<int>> nodes;
  for (int r : ranks) {
    int node = c.device(r).node;
    auto [it, fresh] = index.try_emplace(node, int(nodes.size()));
    if (fresh) nodes.emplace_back();
    nodes[it->second].push_back(r);
  }
  return nodes;
}

bool uniform_multi_node(const std::vector<std::vector<int>>& nodes) {
  if (nodes.size() < 2 || nodes[0].size() < 2) return false;
  for (const auto& n : nodes)
    if (n.size() != nodes[0].size()) return false;
  return true;
}

// Tree over positions 0..n-1 (heap shape) with position p holding rank order[p].
void tree_all_reduce(Builder& b, const std::vector<int>& order, double bytes, int chunks) {
  const int n = int(order.size());
  const double chunk = bytes / chunks;
  std::vector<int> up_prev(n, -1), down_prev(n, -1);  // per child position: last flow on its edge
  for (int j = 0; j < chunks; ++j) {
    std::vector<int> up(n, -1), down(n, -1);
    // Reduce: children (higher positions) first, so deps exist when added.
    for (int p = n - 1; p >= 1; --p) {
      std::vector<int> d = {up_prev[p]};
      for (int c = 2 * p + 1; c <= 2 * p + 2 && c < n; ++c) d.push_back(up[c]);
      up[p] = b.add(order[p], order[(p - 1) / 2], chunk, std::move(d));
    }
    for (int p = 1; p < n; ++p) {
      int parent = (p - 1) / 2;
      std::vector<int> d = {down_prev[p]};
      if (parent == 0) {
        for (int c = 1; c <= 2 && c < n; ++c) d.push_back(up[c]);
      } else {
        d.push_back(down[parent]);
      }
      down[p] = b.add(order[parent], order[p], chunk, std::move(d));
    }
    up_prev = up;
    down_prev = down;
  }
}

void tree_broadcast(Builder& b, const std::vector<int>& order, double bytes, int chunks) {
  const int n = int(order.size());
  const double chunk = bytes / chunks;
  std::vector<int> prev(n, -1);
  for (int j = 0; j < chunks; ++j) {
    std::vector<int> down(n, -1);
    for (int p = 1; p < n; ++p) {
      int parent = (p - 1) / 2;
      down[p] = b.add(order[parent], order[p], chunk, {prev[p], parent == 0 ? -1 : down[parent]});
    }
    prev = down;
  }
}

struct AlphaBeta {
  double alpha_s = 0, bw = 1e300;
};

AlphaBeta ring_alpha_beta(const Cluster& c, const std::vector<int>& ranks) {
  AlphaBeta ab;
  const int n = int(ranks.size());
  if (n < 2) return ab;
  for (int i = 0; i < n; ++i) {
    auto hops = c.route(c.device(ranks[i]).vertex, c.device(ranks[(i + 1) % n]).vertex);
    ab.alpha_s = std::max(ab.alpha_s, c.route_latency_seconds(hops));
    if (!hops.empty())
      ab.bw = std::min(ab.bw, c.route_bandwidth_bytes_per_s(hops) * c.route_collective_efficiency(hops));
  }
  return ab;
}

}  // namespace

CollectiveAlgo resolve_algo(const Cluster& c, CollectiveKind kind, std::span<const int> ranks, CollectiveAlgo algo) {
  bool multi = uniform_multi_node(ranks_by_node(c, ranks));
  if (algo == CollectiveAlgo::kAuto)
    return kind == CollectiveKind::kAllReduce && multi ? CollectiveAlgo::kHierarchical : CollectiveAlgo::kRing;
  if (algo == CollectiveAlgo::kHierarchical && !(kind == CollectiveKind::kAllReduce && multi))
    return CollectiveAlgo::kRing;
  if (algo == CollectiveAlgo::kTree && kind != CollectiveKind::kAllReduce && kind != CollectiveKind::kBroadcast)
    return CollectiveAlgo::kRing;
  return algo;
}

CollectiveProgram build_collective(const Cluster& c, CollectiveKind kind, std::span<const int> ranks_in, double bytes,
                                   CollectiveAlgo algo, int chunks, int max_ring_steps) {
  Builder b(c);
  std::vector<int> ranks(ranks_in.begin(), ranks_in.end());
  const int n = int(ranks.size());
  chunks = std::max(chunks, 1);
  if (n < 2) return b.finish();
  algo = resolve_algo(c, kind, ranks, algo);
  Deps none(n);
  switch (kind) {
    case CollectiveKind::kAllReduce:
      if (algo == CollectiveAlgo::kHierarchical) {
        // Three phases per chunk, chunks pipelined: chunk j's phase waits for
        // its previous phase and for chunk j-1's same phase (one ring per
        // phase and group, used in chunk order).
        auto nodes = ranks_by_node(c, ranks);
        const int n1 = int(nodes[0].size()), n2 = int(nodes.size());
        const double part = bytes / chunks;
        auto merged = [](const Deps& x, const Deps& y) {
          Deps m = x;
          for (size_t i = 0; i < m.size(); ++i) m[i].insert(m[i].end(), y[i].begin(), y[i].end());
          return m;
        };
        std::vector<Deps> rs_done(n2, Deps(n1)), ar_done(n2, Deps(n1)), ag_done(n2, Deps(n1));
        for (int j = 0; j < chunks; ++j) {
          for (int k = 0; k < n2; ++k)
            rs_done[k] = ring_steps(b, nodes[k], n1 - 1, part / n1, rs_done[k], max_ring_steps);
          for (int i = 0; i < n1; ++i) {
            std::vector<int> rail;
            Deps entry;
            for (int k = 0; k < n2; ++k) {
              rail.push_back(nodes[k][i]);
              entry.push_back(rs_done[k][i]);
              entry.back().insert(entry.back().end(), ar_done[k][i].begin(), ar_done[k][i].end());
            }
            Deps exit = ring_steps(b, rail, 2 * (n2 - 1), part / (double(n1) * n2), entry, max_ring_steps);
            for (int k = 0; k < n2; ++k) ar_done[k][i] = exit[k];
          }
          for (int k = 0; k < n2; ++k)
            ag_done[k] = ring_steps(b, nodes[k], n1 - 1, part / n1, merged(ar_done[k], ag_done[k]), max_ring_steps);
        }
      } else if (algo == CollectiveAlgo::kTree) {
        std::vector<int> rev(ranks.rbegin(), ranks.rend());
        tree_all_reduce(b, ranks, bytes / 2, chunks);
        tree_all_reduce(b, rev, bytes / 2, chunks);
      } else {
        ring_steps(b, ranks, 2 * (n - 1), bytes / n, none, max_ring_steps);
      }
      break;
    case CollectiveKind::kAllGather:
    case CollectiveKind::kReduceScatter:
      ring_steps(b, ranks, n - 1, bytes / n, none, max_ring_steps);
      break;
    case CollectiveKind::kAllToAll:
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
          if (i != j) b.add(ranks[i], ranks[j], bytes / n, {});
      break;
    case CollectiveKind::kBroadcast:
      if (algo == CollectiveAlgo::kTree) {
        tree_broadcast(b, ranks, bytes, chunks);
      } else {
        std::vector<int> prev(n, -1);
        for (int j = 0; j < chunks; ++j) {
          std::vector<int> cur(n, -1);
          for (int h = 0; h + 1 < n; ++h)
            cur[h] = b.add(ranks[h], ranks[h + 1], bytes / chunks, {prev[h], h > 0 ? cur[h - 1] : -1});
          prev = cur;
        }
      }
      break;
    case CollectiveKind::kSendRecv:
      b.add(ranks[0], ranks[1], bytes, {});
      break;
  }
  return b.finish();
}

TimeNs analytic_collective_ns(const Cluster& c, CollectiveKind kind, std::span<const int> ranks_in, double bytes,
                              CollectiveAlgo algo, int chunks) {
  std::vector<int> ranks(ranks_in.begin(), ranks_in.end());
  const double n = double(ranks.size());
  if (ranks.size() < 2) return 0;
  algo = resolve_algo(c, kind, ranks, algo);
  double t = 0;
  if (kind == CollectiveKind::kAllReduce && algo == CollectiveAlgo::kHierarchical) {
    auto nodes = ranks_by_node(c, ranks);
    const double n1 = double(nodes[0].size()), n2 = double(nodes.size());
    AlphaBeta intra = ring_alpha_beta(c, nodes[0]);
    std::vector<int> rail;
    for (const auto& nd : nodes) rail.push_back(nd[0]);
    AlphaBeta inter = ring_alpha_beta(c, rail);
    const double w_node = 2 * (n1 - 1) / n1 * bytes / intra.bw;          // reduce-scatter + all-gather
    // The n1 rings across nodes (one per local index) run at once; those of
    // a node's ranks that leave through one NIC split it (a commodity node's
    // single NIC; DGX gives each GPU its own, shared = 1).
    const double shared = std::max(behind_nic_of(c, nodes[0], nodes[0][0]), 1);
    const double w_net = 2 * (n2 - 1) / n2 * (bytes / n1) * shared / inter.bw;  // across nodes
    const double k = std::max(chunks, 1);
    t = 2 * (n1 - 1) * intra.alpha_s + 2 * (n2 - 1) * inter.alpha_s + std::max(w_node, w_net) +
        std::min(w_node, w_net) / k;
    return seconds_to_ns(t);
  }
  AlphaBeta ab = ring_alpha_beta(c, ranks);
  switch (kind) {
    case CollectiveKind::kAllReduce:
      if (algo == CollectiveAlgo::kTree)
        t = 2 * std::ceil(std::log2(n)) * ab.alpha_s + 2 * bytes / ab.bw;
      else
        t = 2 * (n - 1) * ab.alpha_s + 2 * (n - 1) / n * bytes / ab.bw;
      break;
    case CollectiveKind::kAllGather:
    case CollectiveKind::kReduceScatter:
    case CollectiveKind::kAllToAll: t = (n - 1) * ab.alpha_s + (n - 1) / n * bytes / ab.bw; break;
    case CollectiveKind::kBroadcast: t = (n - 1) * ab.alpha_s + bytes / ab.bw; break;
    case CollectiveKind::kSendRecv: t = ab.alpha_s + bytes / ab.bw; break;
  }
  return seconds_to_ns(t);
}

int behind_nic_of(const Cluster& c, std::span<const int> devices, int device) {
  const std::vector<int>& nic = c.home_nics();
  const int home = nic[size_t(c.device(device).vertex)];
  if (home < 0) return 0;
  int n = 0;
  for (int d : devices) n += nic[size_t(c.device(d).vertex)] == home;
  return n;
}

double concurrent_ring_slowdown(const Cluster& c, const std::vector<std::vector<int>>& groups) {
  if (groups.empty() || groups[0].size() < 2) return 1;
  std::map<int, int> load_all, load_own;  // directed link -> ring flows on it
  std::vector<std::vector<Hop>> own;      // the first group's ring hops
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const std::vector<int>& r = groups[gi];
    for (size_t i = 0; r.size() > 1 && i < r.size(); ++i) {
      std::vector<Hop> hops = c.route(c.device(r[i]).vertex, c.device(r[(i + 1) % r.size()]).vertex);
      for (const Hop& h : hops) {
        load_all[h.directed()]++;
        if (gi == 0) load_own[h.directed()]++;
      }
      if (gi == 0) own.push_back(std::move(hops));
    }
  }
  double alone = std::numeric_limits<double>::infinity(), shared = alone;
  for (const auto& hops : own)
    for (const Hop& h : hops) {
      double bw = c.links()[size_t(h.link)].bandwidth_bytes_per_s;
      alone = std::min(alone, bw / load_own[h.directed()]);
      shared = std::min(shared, bw / load_all[h.directed()]);
    }
  return std::isfinite(alone) && shared > 0 ? std::max(1.0, alone / shared) : 1.0;
}

double busbw_factor(CollectiveKind kind, int n) {
  if (n < 1) return 0;
  switch (kind) {
    case CollectiveKind::kAllReduce: return 2.0 * (n - 1) / n;
    case CollectiveKind::kAllGather:
    case CollectiveKind::kReduceScatter:
    case CollectiveKind::kAllToAll: return double(n - 1) / n;
    case CollectiveKind::kBroadcast:
    case CollectiveKind::kSendRecv: return 1.0;
  }
  return 1.0;
}

}  // namespace paralab::sim
