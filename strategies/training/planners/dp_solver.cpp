#include "strategies/training/planners/dp_solver.h"

#include <algorithm>
#include <chrono>
#include <map>

namespace paralab::planner {

namespace {

struct Label {
  double t = 0, m = 0;
  int prev_k = -1, prev_idx = -1;  // predecessor label (reconstruction only)
};

// Keeps the Pareto frontier (m ascending, t strictly descending).
void prune(std::vector<Label>& ls) {
  std::sort(ls.begin(), ls.end(), [](const Label& x, const Label& y) { return x.m != y.m ? x.m < y.m : x.t < y.t; });
  size_t w = 0;
  double best_t = kInf;
  for (const Label& x : ls)
    if (x.t < best_t) {
      best_t = x.t;
      ls[w++] = x;
    }
  ls.resize(w);
}

class ChainDp {
 public:
  ChainDp(const PlanInstance& in, const DpOptions& o) : in_(in), opt_(o), n_(in.num_layers()), S_(in.num_stages) {
    std::map<std::pair<double, double>, int> classes;
    for (int i = 0; i < S_; ++i) {
      auto key = std::make_pair(in.in_flight[i], in.capacity_bytes[i]);
      auto [it, fresh] = classes.try_emplace(key, int(classes.size()));
      class_of_.push_back(it->second);
      if (fresh) class_stage_.push_back(i);
    }
    tab_.resize(class_stage_.size());
  }

  SolveResult run() {
    SolveResult r;
    for (size_t s = 0; s < class_stage_.size(); ++s) build_intervals(int(s));
    double T = kInf;
    bool strict = false;
    double c1 = double(in_.micro_batches - 1);
    for (;;) {
      Assignment a;
      double F = outer(T, strict, &a);
      r.iterations++;
      if (F == kInf) break;
      Evaluation ev = evaluate(in_, a);
      if (ev.feasible && ev.objective_seconds < r.objective_seconds) {
        r.objective_seconds = ev.objective_seconds;
        r.assignment = a;
      }
      if (!ev.feasible) {  // cannot happen: the DP respects every rule evaluate() checks
        r.status = "error";
        r.message = "internal: DP solution rejected: " + ev.why;
        return r;
      }
      if (c1 == 0) break;
      double lb = F * (1 - 1e-12) + c1 * F / double(2 * S_ - 1) * (1 - 1e-12);
      if (lb >= r.objective_seconds) break;
      T = ev.bottleneck_seconds;
      strict = true;
    }
    if (r.objective_seconds < kInf) {
      r.status = "optimal";
      r.bound_seconds = r.objective_seconds;
    } else {
      r.status = "infeasible";
      r.message = "no stage split and strategy choice fits the memory caps";
    }
    return r;
  }

 private:
  const std::vector<double>& R(int u) const { return in_.edges[u].same_stage; }    // edge (u, u+1)
  const std::vector<double>& X(int u) const { return in_.edges[u].cross_stage; }
  int K(int u) const { return in_.num_strategies(u); }
  size_t tidx(int a, int b) const { return size_t(a) * size_t(n_) + size_t(b); }

  bool start_allowed(int stage, int a) const {
    if (opt_.stage_starts.empty()) return true;
    return opt_.stage_starts[stage] == a;
  }
  bool end_allowed(int stage, int b) const {
    if (opt_.stage_starts.empty()) return true;
    int next = stage + 1 < S_ ? opt_.stage_starts[stage + 1] : n_;
    return b == next - 1;
  }

  // One step of the inner DP: labels of layer u-1 -> labels of layer u.
  void step(int u, int cls_stage, const std::vector<std::vector<Label>>& cur, std::vector<std::vector<Label>>& nxt,
            bool keep_parents) const {
    int ku = K(u), kp = K(u - 1);
    double cap = in_.capacity_bytes[cls_stage];
    nxt.assign(ku, {});
    const std::vector<double>& r = R(u - 1);
    for (int l = 0; l < ku; ++l) {
      double a = in_.time_seconds[u][l], mb = in_.layer_bytes(u, l, cls_stage);
      std::vector<Label>& out = nxt[l];
      for (int k = 0; k < kp; ++k) {
        double rc = r[size_t(k) * ku + l];
        for (int idx = 0; idx < int(cur[k].size()); ++idx) {
          const Label& x = cur[k][idx];
          double m = x.m + mb;
          if (m > cap) continue;
          out.push_back({(x.t + rc) + a, m, keep_parents ? k : -1, keep_parents ? idx : -1});
        }
      }
      prune(out);
    }
  }

  void build_intervals(int s) {
    int st = class_stage_[s];
    std::vector<std::vector<double>>& tab = tab_[s];
    tab.assign(size_t(n_) * n_, {});
    double cap = in_.capacity_bytes[st];
    for (int a = 0; a < n_; ++a) {
      for (int b = a; b < n_; ++b) tab[tidx(a, b)].assign(size_t(K(a)) * K(b), kInf);
      for (int kf = 0; kf < K(a); ++kf) {
        double m0 = in_.layer_bytes(a, kf, st);
        if (m0 > cap) continue;
        std::vector<std::vector<Label>> cur(K(a)), nxt;
        cur[kf].push_back({in_.time_seconds[a][kf], m0});
        tab[tidx(a, a)][size_t(kf) * K(a) + kf] = in_.time_seconds[a][kf];
        for (int u = a + 1; u < n_; ++u) {
          step(u, st, cur, nxt, false);
          bool any = false;
          std::vector<double>& t = tab[tidx(a, u)];
          for (int l = 0; l < K(u); ++l)
            if (!nxt[l].empty()) {
              any = true;
              t[size_t(kf) * K(u) + l] = nxt[l].back().t;  // frontier: last label has the least time
            }
          if (!any) break;
          cur.swap(nxt);
        }
      }
    }
  }

  // Strategies of the interval [a, b] with boundary strategies kf, kl and
  // least time `target` (replays the inner DP with parents).
  void reconstruct_interval(int stage, int a, int b, int kf, int kl, Assignment* out) const {
    int st = class_stage_[class_of_[stage]];
    std::vector<std::vector<std::vector<Label>>> layers;  // [u - a][k] -> labels
    std::vector<std::vector<Label>> cur(K(a));
    cur[kf].push_back({in_.time_seconds[a][kf], in_.layer_bytes(a, kf, st)});
    layers.push_back(cur);
    for (int u = a + 1; u <= b; ++u) {
      std::vector<std::vector<Label>> nxt;
      step(u, st, layers.back(), nxt, true);
      layers.push_back(std::move(nxt));
    }
    const std::vector<Label>& last = layers.back()[kl];
    int best = -1;
    for (int i = 0; i < int(last.size()); ++i)
      if (best < 0 || last[i].t < last[best].t) best = i;
    int k = kl, idx = best;
    for (int u = b; u >= a; --u) {
      out->stage[u] = stage;
      out->strategy[u] = k;
      const Label& x = layers[u - a][k][idx];
      k = x.prev_k;
      idx = x.prev_idx;
    }
  }

  bool within(double v, double T, bool strict) const { return strict ? v < T : v <= T; }

  // min sum p + sum o with every term within T; fills *a. kInf if none.
  double outer(double T, bool strict, Assignment* a) const;

  const PlanInstance& in_;
  DpOptions opt_;
  int n_, S_;
  std::vector<int> class_of_, class_stage_;
  std::vector<std::vector<std::vector<double>>> tab_;  // [class][a*n+b] -> K_a x K_b
};

double ChainDp::outer(double T, bool strict, Assignment* out) const {
  // f[b][l]: best sum covering [0, b] with i stages, layer b on strategy l.
  struct Back {
    int a = -1, kf = -1, kprev = -1;
  };
  std::vector<std::vector<std::vector<double>>> f(S_ + 1);
  std::vector<std::vector<std::vector<Back>>> back(S_ + 1);
  for (int i = 1; i <= S_; ++i) {
    f[i].assign(n_, {});
    back[i].assign(n_, {});
    for (int b = 0; b < n_; ++b) f[i][b].assign(K(b), kInf), back[i][b].assign(K(b), {});
  }
  for (int i = 0; i < S_; ++i) {  // stage i covers [a, b]
    const auto& tab = tab_[class_of_[i]];
    int a_lo = i, a_hi = i == 0 ? 0 : n_ - (S_ - i);
    for (int a = a_lo; a <= a_hi; ++a) {
      if (!start_allowed(i, a)) continue;
      // g[kf]: best sum before stage i plus the crossing into a on strategy kf.
      std::vector<double> g(K(a), kInf);
      std::vector<int> gk(K(a), -1);
      if (i == 0) {
        std::fill(g.begin(), g.end(), 0.0);
      } else {
        const std::vector<double>& fp = f[i][a - 1];
        const std::vector<double>& x = X(a - 1);
        for (int k = 0; k < K(a - 1); ++k) {
          if (fp[k] == kInf) continue;
          for (int kf = 0; kf < K(a); ++kf) {
            double c = x[size_t(k) * K(a) + kf];
            if (!within(c, T, strict)) continue;
            double v = fp[k] + c;
            if (v < g[kf]) g[kf] = v, gk[kf] = k;
          }
        }
      }
      int b_hi = i == S_ - 1 ? n_ - 1 : n_ - (S_ - i);
      int b_lo = i == S_ - 1 ? n_ - 1 : a;
      for (int b = b_lo; b <= b_hi; ++b) {
        if (!end_allowed(i, b)) continue;
        const std::vector<double>& t = tab[tidx(a, b)];
        std::vector<double>& fb = f[i + 1][b];
        for (int kf = 0; kf < K(a); ++kf) {
          if (g[kf] == kInf) continue;
          for (int kl = 0; kl < K(b); ++kl) {
            double c = t[size_t(kf) * K(b) + kl];
            if (c == kInf || !within(c, T, strict)) continue;
            double v = g[kf] + c;
            if (v < fb[kl]) fb[kl] = v, back[i + 1][b][kl] = {a, kf, gk[kf]};
          }
        }
      }
    }
  }
  const std::vector<double>& fin = f[S_][n_ - 1];
  int kl = -1;
  for (int k = 0; k < K(n_ - 1); ++k)
    if (fin[k] < kInf && (kl < 0 || fin[k] < fin[kl])) kl = k;
  if (kl < 0) return kInf;
  double F = fin[kl];
  out->stage.assign(n_, 0);
  out->strategy.assign(n_, 0);
  int b = n_ - 1;
  for (int i = S_; i >= 1; --i) {
    Back bk = back[i][b][kl];
    reconstruct_interval(i - 1, bk.a, b, bk.kf, kl, out);
    b = bk.a - 1;
    kl = bk.kprev;
  }
  return F;
}

}  // namespace

SolveResult solve_dp(const PlanInstance& in, const DpOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  SolveResult r;
  if (std::string e = check_instance(in); !e.empty()) {
    r.status = "error";
    r.message = e;
    return r;
  }
  if (!in.is_chain()) {
    r.status = "error";
    r.message = "the DP solver needs a chain-structured model; use --solver milp";
    return r;
  }
  if (!o.stage_starts.empty() && int(o.stage_starts.size()) != in.num_stages) {
    r.status = "error";
    r.message = "stage_starts needs one entry per stage";
    return r;
  }
  r = ChainDp(in, o).run();
  r.solve_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace paralab::planner
