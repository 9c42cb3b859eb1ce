#include "strategies/training/planners/plan_instance.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace paralab::planner {

bool PlanInstance::is_chain() const {
  int n = num_layers();
  if (int(edges.size()) != n - 1) return false;
  for (int i = 0; i < n - 1; ++i)
    if (edges[i].u != i || edges[i].v != i + 1) return false;
  return true;
}

Classes classify(const std::vector<std::vector<double>>& keys) {
  Classes c;
  std::map<std::vector<double>, int> seen;
  for (int k = 0; k < int(keys.size()); ++k) {
    auto [it, fresh] = seen.try_emplace(keys[k], c.count());
    if (fresh) c.rep.push_back(k);
    c.of.push_back(it->second);
  }
  return c;
}

Classes rows_of(const std::vector<double>& x, int k1, int k2) {
  std::vector<std::vector<double>> r(k1);
  for (int k = 0; k < k1; ++k) r[k].assign(x.begin() + size_t(k) * k2, x.begin() + size_t(k + 1) * k2);
  return classify(r);
}

Classes cols_of(const std::vector<double>& x, int k1, int k2) {
  std::vector<std::vector<double>> c(k2);
  for (int l = 0; l < k2; ++l)
    for (int k = 0; k < k1; ++k) c[l].push_back(x[size_t(k) * k2 + l]);
  return classify(c);
}

Classes one_class(int k) {
  Classes c;
  c.of.assign(k, 0);
  c.rep = {0};
  return c;
}

std::string check_instance(const PlanInstance& in) {
  int n = in.num_layers();
  if (n < 1) return "no layers";
  if (in.num_stages < 1 || in.num_stages > n)
    return fmt::format("{} stages for {} layers (need 1..{})", in.num_stages, n, n);
  if (in.micro_batches < 1) return fmt::format("micro_batches {} < 1", in.micro_batches);
  if (int(in.state_bytes.size()) != n || int(in.act_bytes.size()) != n) return "memory vectors do not match the layers";
  for (int u = 0; u < n; ++u) {
    int k = in.num_strategies(u);
    if (k < 1) return fmt::format("layer {} has no strategy", u);
    if (int(in.state_bytes[u].size()) != k || int(in.act_bytes[u].size()) != k)
      return fmt::format("layer {}: memory vectors have the wrong length", u);
    for (double t : in.time_seconds[u])
      if (!std::isfinite(t) || t < 0) return fmt::format("layer {}: time {} is not a finite value >= 0", u, t);
  }
  if (int(in.in_flight.size()) != in.num_stages || int(in.capacity_bytes.size()) != in.num_stages)
    return "in_flight / capacity_bytes need one entry per stage";
  for (const EdgeCosts& e : in.edges) {
    if (e.u < 0 || e.v >= n || e.u >= e.v) return fmt::format("edge ({}, {}) is not forward", e.u, e.v);
    size_t kk = size_t(in.num_strategies(e.u)) * size_t(in.num_strategies(e.v));
    if (e.same_stage.size() != kk || e.cross_stage.size() != kk)
      return fmt::format("edge ({}, {}): cost matrices are not {} x {}", e.u, e.v, in.num_strategies(e.u),
                         in.num_strategies(e.v));
    // Every solver relies on R, R' >= 0 (the chain relaxation's bound, the
    // DP's pruning), and classify() on values that compare.
    for (const CostMatrix* m : {&e.same_stage, &e.cross_stage})
      for (double x : *m)
        if (!std::isfinite(x) || x < 0)
          return fmt::format("edge ({}, {}): cost {} is not a finite value >= 0", e.u, e.v, x);
  }
  return "";
}

double objective_lower_bound(const PlanInstance& in) {
  int n = in.num_layers(), S = in.num_stages;
  double inflight = *std::min_element(in.in_flight.begin(), in.in_flight.end());
  double total = 0;
  for (double cap : in.capacity_bytes) total += cap;
  // Identical layers (a Transformer's blocks) are one term with a count.
  std::map<std::pair<std::vector<double>, std::vector<double>>, int> kinds;
  for (int u = 0; u < n; ++u) {
    std::vector<double> b(in.num_strategies(u));
    for (int k = 0; k < in.num_strategies(u); ++k) b[k] = in.state_bytes[u][k] + inflight * in.act_bytes[u][k];
    kinds[{in.time_seconds[u], b}]++;
  }
  // dual(lambda) and the bytes of its minimisers (a supergradient + total).
  auto dual = [&](double lambda, double* bytes) {
    double v = -lambda * total;
    *bytes = 0;
    for (const auto& [tb, count] : kinds) {
      const auto& [t, b] = tb;
      size_t best = 0;
      for (size_t k = 1; k < t.size(); ++k) {
        double x = t[k] + lambda * b[k], y = t[best] + lambda * b[best];
        if (x < y || (x == y && b[k] < b[best])) best = k;
      }
      v += count * (t[best] + lambda * b[best]);
      *bytes += count * b[best];
    }
    return v;
  };
  double bytes;
  double best = dual(0, &bytes);
  if (bytes > total) {
    // The least-bytes choice must fit at all; then bisect on the supergradient's sign.
    double least = 0;
    for (const auto& [tb, count] : kinds) least += count * *std::min_element(tb.second.begin(), tb.second.end());
    if (least > total) return kInf;
    double lo = 0, hi = 1e-12;
    while (dual(hi, &bytes), bytes > total && hi < 1e30) hi *= 2;
    for (int it = 0; it < 100; ++it) {
      double mid = 0.5 * (lo + hi);
      best = std::max(best, dual(mid, &bytes));
      (bytes > total ? lo : hi) = mid;
    }
    best = std::max(best, dual(hi, &bytes));
  }
  // (1 - 1e-9): rounding in the sums must not lift the bound above a tight optimum.
  return best * (1.0 + double(in.micro_batches - 1) / double(S)) * (1 - 1e-9);
}

Evaluation evaluate(const PlanInstance& in, const Assignment& a) {
  Evaluation ev;
  int n = in.num_layers(), S = in.num_stages;
  if (int(a.stage.size()) != n || int(a.strategy.size()) != n) {
    ev.why = "assignment does not cover the layers";
    return ev;
  }
  if (a.stage[0] != 0 || a.stage[n - 1] != S - 1) {
    ev.why = "first layer not in stage 0 or last layer not in the last stage";
    return ev;
  }
  for (int u = 0; u + 1 < n; ++u) {
    int d = a.stage[u + 1] - a.stage[u];
    if (d != 0 && d != 1) {
      ev.why = fmt::format("layers {} and {} are in stages {} and {}", u, u + 1, a.stage[u], a.stage[u + 1]);
      return ev;
    }
  }
  for (int u = 0; u < n; ++u)
    if (a.strategy[u] < 0 || a.strategy[u] >= in.num_strategies(u)) {
      ev.why = fmt::format("layer {}: strategy {} out of range", u, a.strategy[u]);
      return ev;
    }
  // In-edges per layer, in edge-list order.
  std::vector<std::vector<int>> in_edges(n);
  for (int e = 0; e < int(in.edges.size()); ++e) in_edges[in.edges[e].v].push_back(e);
  ev.stage_seconds.assign(S, 0.0);
  ev.link_seconds.assign(S > 1 ? S - 1 : 0, 0.0);
  ev.stage_bytes.assign(S, 0.0);
  for (int v = 0; v < n; ++v) {
    int i = a.stage[v], kv = a.strategy[v];
    double& p = ev.stage_seconds[i];
    for (int e : in_edges[v]) {
      const EdgeCosts& ec = in.edges[e];
      size_t idx = size_t(a.strategy[ec.u]) * size_t(in.num_strategies(v)) + size_t(kv);
      int j = a.stage[ec.u];
      if (j == i) p = p + ec.same_stage[idx];
      else if (j + 1 == i) ev.link_seconds[j] += ec.cross_stage[idx];
    }
    p = p + in.time_seconds[v][kv];
    ev.stage_bytes[i] += in.layer_bytes(v, kv, i);
  }
  for (int i = 0; i < S; ++i)
    if (ev.stage_bytes[i] > in.capacity_bytes[i]) {
      ev.why = fmt::format("stage {} needs {:.6g} bytes, capacity {:.6g}", i, ev.stage_bytes[i], in.capacity_bytes[i]);
      return ev;
    }
  double sum = 0, mx = 0;
  for (double p : ev.stage_seconds) sum += p, mx = std::max(mx, p);
  for (double o : ev.link_seconds) sum += o, mx = std::max(mx, o);
  ev.bottleneck_seconds = mx;
  ev.objective_seconds = sum + double(in.micro_batches - 1) * mx;
  ev.feasible = true;
  return ev;
}

namespace {

void enumerate_strategies(const PlanInstance& in, Assignment& a, int u, BruteForceResult& r) {
  if (u == in.num_layers()) {
    r.candidates++;
    Evaluation ev = evaluate(in, a);
    if (ev.feasible && ev.objective_seconds < r.objective_seconds) {
      r.objective_seconds = ev.objective_seconds;
      r.best = a;
    }
    return;
  }
  for (int k = 0; k < in.num_strategies(u); ++k) {
    a.strategy[u] = k;
    enumerate_strategies(in, a, u + 1, r);
  }
}

void enumerate_splits(const PlanInstance& in, Assignment& a, int u, BruteForceResult& r) {
  int n = in.num_layers(), S = in.num_stages;
  if (u == n) {
    if (a.stage[n - 1] == S - 1) enumerate_strategies(in, a, 0, r);
    return;
  }
  int prev = a.stage[u - 1];
  for (int d = 0; d <= 1; ++d) {
    int s = prev + d;
    if (s >= S || S - 1 - s > n - 1 - u) continue;  // too few layers left for the remaining stages
    a.stage[u] = s;
    enumerate_splits(in, a, u + 1, r);
  }
}

}  // namespace

BruteForceResult brute_force(const PlanInstance& in) {
  BruteForceResult r;
  Assignment a;
  a.stage.assign(in.num_layers(), 0);
  a.strategy.assign(in.num_layers(), 0);
  if (in.num_layers() == 1) {
    if (in.num_stages == 1) enumerate_strategies(in, a, 0, r);
    return r;
  }
  enumerate_splits(in, a, 1, r);
  return r;
}

const CostMatrix& Zeros::get(int ku, int kv) {
  auto it = of_shape.find({ku, kv});
  if (it == of_shape.end())
    it = of_shape.emplace(std::make_pair(ku, kv), CostMatrix(std::vector<double>(size_t(ku) * size_t(kv), 0.0))).first;
  return it->second;
}

PlanInstance chain_relaxation(const PlanInstance& in) {
  PlanInstance out = in;
  out.edges.clear();
  Zeros zeros;
  const int n = in.num_layers();
  std::vector<const EdgeCosts*> next(size_t(n), nullptr);
  for (const EdgeCosts& e : in.edges)
    if (e.v == e.u + 1) next[size_t(e.u)] = &e;
  for (int u = 0; u + 1 < n; ++u) {
    if (next[size_t(u)]) {
      out.edges.push_back(*next[size_t(u)]);
      continue;
    }
    EdgeCosts e;
    e.u = u, e.v = u + 1;
    e.same_stage = e.cross_stage = zeros.get(in.num_strategies(u), in.num_strategies(u + 1));
    out.edges.push_back(e);
  }
  return out;
}

}  // namespace paralab::planner
