#include "strategies/training/planners/dp_solver.h"

#include <algorithm>
#include <chrono>
#include <map>

namespace paralab::planner {

namespace {

struct Label {
  double t = 0, m = 0;
  int prev_k = -1, prev_idx = -1;  // predecessor label (reconstruction)
};
using Frontiers = std::vector<std::vector<Label>>;  // per strategy of the current layer

// Groups equal vectors: class id per item, a representative item per class.
struct Classes {
  std::vector<int> of, rep;
  int count() const { return int(rep.size()); }
};
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

class ChainDp {
 public:
  ChainDp(const PlanInstance& in, const DpOptions& o) : in_(in), opt_(o), n_(in.num_layers()), S_(in.num_stages) {
    std::map<std::pair<double, double>, int> classes;
    for (int i = 0; i < S_; ++i) {
      auto [it, fresh] = classes.try_emplace(std::make_pair(in.in_flight[i], in.capacity_bytes[i]), int(classes.size()));
      mem_class_.push_back(it->second);
      if (fresh) class_stages_.emplace_back();
      class_stages_[it->second].push_back(i);
    }
    for (int u = 0; u < n_; ++u) {
      std::vector<std::vector<double>> col(K(u)), row(K(u));
      if (u > 0)
        for (int k = 0; k < K(u); ++k)
          for (int p = 0; p < K(u - 1); ++p) col[k].push_back(X(u - 1)[size_t(p) * K(u) + k]);
      if (u + 1 < n_)
        for (int k = 0; k < K(u); ++k)
          row[k].assign(X(u).begin() + size_t(k) * K(u + 1), X(u).begin() + size_t(k + 1) * K(u + 1));
      cin_.push_back(classify(col));
      cout_.push_back(classify(row));
      std::vector<std::vector<double>> rrow(u > 0 ? K(u - 1) : 0), rcol(K(u));
      if (u > 0) {
        for (int p = 0; p < K(u - 1); ++p)
          rrow[p].assign(R(u - 1).begin() + size_t(p) * K(u), R(u - 1).begin() + size_t(p + 1) * K(u));
        for (int k = 0; k < K(u); ++k)
          for (int p = 0; p < K(u - 1); ++p) rcol[k].push_back(R(u - 1)[size_t(p) * K(u) + k]);
      }
      rrow_.push_back(classify(rrow));
      rcol_.push_back(classify(rcol));
    }
    tab_.resize(class_stages_.size());
  }

  SolveResult run();

 private:
  const std::vector<double>& R(int u) const { return in_.edges[u].same_stage; }  // edge (u, u+1)
  const std::vector<double>& X(int u) const { return in_.edges[u].cross_stage; }
  int K(int u) const { return in_.num_strategies(u); }
  size_t tidx(int a, int b) const { return size_t(a) * size_t(n_) + size_t(b); }
  bool start_allowed(int stage, int a) const {
    if (!opt_.stage_starts.empty()) return opt_.stage_starts[stage] == a;
    return stage == 0 ? a == 0 : a >= stage && a <= n_ - (S_ - stage);
  }
  bool end_allowed(int stage, int b) const {
    int next = opt_.stage_starts.empty() ? -1 : (stage + 1 < S_ ? opt_.stage_starts[stage + 1] : n_);
    if (next >= 0) return b == next - 1;
    return stage == S_ - 1 ? b == n_ - 1 : b <= n_ - (S_ - stage);
  }
  bool within(double v, double T, bool strict) const { return strict ? v < T : v <= T; }

  Frontiers start(int a, int cf, int st) const {
    Frontiers f(K(a));
    for (int k = 0; k < K(a); ++k) {
      double m = in_.layer_bytes(a, k, st);
      if (cin_[a].of[k] == cf && m <= in_.capacity_bytes[st]) f[k].push_back({in_.time_seconds[a][k], m});
    }
    return f;
  }

  // One step of the inner DP: frontiers of layer u-1 -> frontiers of layer
  // u. Predecessor strategies with equal rows of R_{u-1,u} are merged into
  // one frontier; for each distinct column of R the shifted merged
  // frontiers are merged again (Q); each strategy l of layer u then takes Q
  // of its column shifted by (A_u[l], bytes_u[l]) and cut at the cap (the
  // shift keeps the order, so the result is still a frontier). Exact; the
  // work grows with the distinct rows and columns, not with K^2.
  struct Ref {
    double m, t;
    int k, idx;
  };
  static bool less(const Ref& x, const Ref& y) { return x.m != y.m ? x.m < y.m : x.t < y.t; }
  // Sorts v, made of sorted runs starting at `runs`, by merging the runs
  // pairwise (the frontiers arrive sorted: no full sort needed).
  static void merge_runs(std::vector<Ref>& v, std::vector<size_t> runs) {
    runs.push_back(v.size());
    while (runs.size() > 2) {
      std::vector<size_t> next;
      for (size_t i = 0; i + 1 < runs.size(); i += 2) {
        next.push_back(runs[i]);
        if (i + 2 < runs.size())
          std::inplace_merge(v.begin() + runs[i], v.begin() + runs[i + 1], v.begin() + runs[i + 2], less);
      }
      next.push_back(runs.back());
      runs.swap(next);
    }
  }
  // Keeps the Pareto frontier of a sorted list (time strictly falling).
  static void pareto(std::vector<Ref>& v) {
    size_t w = 0;
    double best = kInf;
    for (const Ref& x : v)
      if (x.t < best) best = x.t, v[w++] = x;
    v.resize(w);
  }
  void step(int u, int st, const Frontiers& cur, Frontiers& nxt) const {
    double cap = in_.capacity_bytes[st];
    const Classes &rows = rrow_[u], &cols = rcol_[u];
    std::vector<std::vector<Ref>> merged(rows.count());
    std::vector<std::vector<size_t>> runs(rows.count());
    for (int k = 0; k < int(cur.size()); ++k) {
      if (cur[k].empty()) continue;
      std::vector<Ref>& g = merged[rows.of[k]];
      runs[rows.of[k]].push_back(g.size());
      for (int i = 0; i < int(cur[k].size()); ++i) g.push_back({cur[k][i].m, cur[k][i].t, k, i});
    }
    for (int g = 0; g < rows.count(); ++g) {
      merge_runs(merged[g], runs[g]);
      pareto(merged[g]);
    }
    const std::vector<double>& r = R(u - 1);
    int ku = K(u);
    std::vector<std::vector<Ref>> q(cols.count());
    for (int h = 0; h < cols.count(); ++h) {
      std::vector<size_t> qr;
      for (int g = 0; g < rows.count(); ++g) {
        if (merged[g].empty()) continue;
        double rc = r[size_t(rows.rep[g]) * ku + cols.rep[h]];
        qr.push_back(q[h].size());
        for (const Ref& x : merged[g]) q[h].push_back({x.m, x.t + rc, x.k, x.idx});
      }
      merge_runs(q[h], qr);
      pareto(q[h]);
    }
    nxt.assign(ku, {});
    for (int l = 0; l < ku; ++l) {
      double a = in_.time_seconds[u][l], mb = in_.layer_bytes(u, l, st);
      std::vector<Label>& out = nxt[l];
      for (const Ref& x : q[cols.of[l]]) {
        double m = x.m + mb;
        if (m > cap) break;
        out.push_back({x.t + a, m, x.k, x.idx});
      }
    }
  }

  // Least time per out-class of layer b among frontiers `f`.
  void record(int b, const Frontiers& f, double* row) const {
    for (int l = 0; l < K(b); ++l)
      if (!f[l].empty()) {
        double& v = row[cout_[b].of[l]];
        v = std::min(v, f[l].back().t);  // the last label of a frontier has the least time
      }
  }

  void build_intervals(int s) {
    int st = class_stages_[s][0];
    std::vector<std::vector<double>>& tab = tab_[s];
    tab.assign(size_t(n_) * n_, {});
    for (int a = 0; a < n_; ++a) {
      bool needed = false;
      for (int i : class_stages_[s]) needed |= start_allowed(i, a);
      if (!needed) continue;
      for (int b = a; b < n_; ++b) tab[tidx(a, b)].assign(size_t(cin_[a].count()) * cout_[b].count(), kInf);
      for (int cf = 0; cf < cin_[a].count(); ++cf) {
        Frontiers cur = start(a, cf, st), nxt;
        record(a, cur, &tab[tidx(a, a)][size_t(cf) * cout_[a].count()]);
        for (int u = a + 1; u < n_; ++u) {
          step(u, st, cur, nxt);
          bool any = false;
          for (const auto& f : nxt) any |= !f.empty();
          if (!any) break;
          record(u, nxt, &tab[tidx(a, u)][size_t(cf) * cout_[u].count()]);
          cur.swap(nxt);
        }
      }
    }
  }

  // Strategies of stage `stage` = [a, b] entered in in-class cf and left in
  // out-class cl, with the least time (replays the inner DP with parents).
  void reconstruct(int stage, int a, int b, int cf, int cl, Assignment* out) const {
    int st = class_stages_[mem_class_[stage]][0];
    std::vector<Frontiers> layers{start(a, cf, st)};
    for (int u = a + 1; u <= b; ++u) {
      Frontiers nxt;
      step(u, st, layers.back(), nxt);
      layers.push_back(std::move(nxt));
    }
    int k = -1, idx = -1;
    for (int l = 0; l < K(b); ++l) {
      const auto& f = layers.back()[l];
      if (cout_[b].of[l] != cl || f.empty()) continue;
      if (k < 0 || f.back().t < layers.back()[k][idx].t) k = l, idx = int(f.size()) - 1;
    }
    for (int u = b; u >= a; --u) {
      out->stage[u] = stage;
      out->strategy[u] = k;
      const Label& x = layers[u - a][k][idx];
      k = x.prev_k, idx = x.prev_idx;
    }
  }

  double outer(double T, bool strict, Assignment* a) const;

  const PlanInstance& in_;
  DpOptions opt_;
  int n_, S_;
  std::vector<int> mem_class_;                 // per stage
  std::vector<std::vector<int>> class_stages_;  // per memory class: its stages
  std::vector<Classes> cin_, cout_;            // per layer: boundary classes (crossing matrices)
  std::vector<Classes> rrow_, rcol_;           // per layer u: equal rows / columns of R_{u-1,u}
  std::vector<std::vector<std::vector<double>>> tab_;  // [class][a*n+b] -> in-classes(a) x out-classes(b)
};

SolveResult ChainDp::run() {
  SolveResult r;
  for (size_t s = 0; s < class_stages_.size(); ++s) build_intervals(int(s));
  double T = kInf;
  bool strict = false;
  double c1 = double(in_.micro_batches - 1);
  for (;;) {
    Assignment a;
    double F = outer(T, strict, &a);
    r.iterations++;
    if (F == kInf) break;
    Evaluation ev = evaluate(in_, a);
    if (!ev.feasible) {  // cannot happen: the DP respects every rule evaluate() checks
      r.status = "error";
      r.message = "internal: DP solution rejected: " + ev.why;
      return r;
    }
    if (ev.objective_seconds < r.objective_seconds) {
      r.objective_seconds = ev.objective_seconds;
      r.assignment = a;
    }
    if (c1 == 0) break;
    // Any plan with a smaller bottleneck has sum >= F and max >= sum / (2S - 1).
    double lb = (F + c1 * F / double(2 * S_ - 1)) * (1 - 1e-12);
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

double ChainDp::outer(double T, bool strict, Assignment* out) const {
  struct Back {
    int a = -1, cf = -1, cprev = -1;
  };
  // f[i][b][cl]: least sum covering [0, b] with i stages, leaving in out-class cl.
  std::vector<std::vector<std::vector<double>>> f(S_ + 1, std::vector<std::vector<double>>(n_));
  std::vector<std::vector<std::vector<Back>>> back(S_ + 1, std::vector<std::vector<Back>>(n_));
  for (int i = 1; i <= S_; ++i)
    for (int b = 0; b < n_; ++b) f[i][b].assign(cout_[b].count(), kInf), back[i][b].assign(cout_[b].count(), {});
  for (int i = 0; i < S_; ++i) {
    const auto& tab = tab_[mem_class_[i]];
    for (int a = 0; a < n_; ++a) {
      if (!start_allowed(i, a)) continue;
      std::vector<double> g(cin_[a].count(), i == 0 ? 0.0 : kInf);
      std::vector<int> gk(cin_[a].count(), -1);
      if (i > 0) {
        const std::vector<double>& fp = f[i][a - 1];
        for (int cp = 0; cp < cout_[a - 1].count(); ++cp) {
          if (fp[cp] == kInf) continue;
          for (int cf = 0; cf < cin_[a].count(); ++cf) {
            double c = X(a - 1)[size_t(cout_[a - 1].rep[cp]) * K(a) + cin_[a].rep[cf]];
            if (!within(c, T, strict)) continue;
            if (fp[cp] + c < g[cf]) g[cf] = fp[cp] + c, gk[cf] = cp;
          }
        }
      }
      for (int b = a; b < n_; ++b) {
        if (!end_allowed(i, b)) continue;
        const std::vector<double>& t = tab[tidx(a, b)];
        std::vector<double>& fb = f[i + 1][b];
        int nc = cout_[b].count();
        for (int cf = 0; cf < cin_[a].count(); ++cf) {
          if (g[cf] == kInf) continue;
          for (int cl = 0; cl < nc; ++cl) {
            double c = t[size_t(cf) * nc + cl];
            if (c == kInf || !within(c, T, strict)) continue;
            if (g[cf] + c < fb[cl]) fb[cl] = g[cf] + c, back[i + 1][b][cl] = {a, cf, gk[cf]};
          }
        }
      }
    }
  }
  const std::vector<double>& fin = f[S_][n_ - 1];
  int cl = int(std::min_element(fin.begin(), fin.end()) - fin.begin());
  if (fin[cl] == kInf) return kInf;
  double F = fin[cl];
  out->stage.assign(n_, 0);
  out->strategy.assign(n_, 0);
  int b = n_ - 1;
  for (int i = S_; i >= 1; --i) {
    Back bk = back[i][b][cl];
    reconstruct(i - 1, bk.a, b, bk.cf, cl, out);
    b = bk.a - 1;
    cl = bk.cprev;
  }
  return F;
}

}  // namespace

SolveResult solve_dp(const PlanInstance& in, const DpOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  SolveResult r;
  r.status = "error";
  if (std::string e = check_instance(in); !e.empty()) {
    r.message = e;
    return r;
  }
  if (!in.is_chain()) {
    r.message = "the DP solver needs a chain-structured model; use --solver milp";
    return r;
  }
  if (!o.stage_starts.empty() && int(o.stage_starts.size()) != in.num_stages) {
    r.message = "stage_starts needs one entry per stage";
    return r;
  }
  r = ChainDp(in, o).run();
  r.solve_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace paralab::planner
