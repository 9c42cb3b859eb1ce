#include "strategies/training/planners/dp_solver.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>

namespace paralab::planner {

namespace {

// A label: stage time t and bytes m of one choice of strategies for the
// layers walked so far; l its last layer's strategy, (pg, pi) its
// predecessor (group and index at the previous layer; -1 at the start).
struct Label {
  double t = 0, m = 0;
  int l = -1, pg = -1, pi = -1;
};
using Frontier = std::vector<Label>;  // a staircase: m strictly ascending, t strictly descending
using Frontiers = std::vector<Frontier>;  // per group of the current layer

// A contiguous part [p, p + n) of a frontier shifted by (dt, dm): one input
// of a union. Output labels take strategy l when l >= 0, and predecessor
// (pg, base + index) when pg >= 0; otherwise they keep the input's.
struct Piece {
  const Label* p;
  int n;
  double dt, dm;
  int l, pg, base;
};

// out = the staircase of the union of the pieces (each a staircase). A
// k-way merge in (m, t) order; a piece's labels that the best time so far
// dominates are skipped by binary search (t falls along a piece).
void staircase_union(const std::vector<Piece>& ps, Frontier& out) {
  out.clear();
  struct Head {
    double m, t;
    int i, pos;
  };
  auto later = [](const Head& a, const Head& b) {
    if (a.m != b.m) return a.m > b.m;
    if (a.t != b.t) return a.t > b.t;
    return a.i > b.i;
  };
  std::vector<Head> heap;
  heap.reserve(ps.size());
  for (int i = 0; i < int(ps.size()); ++i)
    if (ps[i].n > 0) heap.push_back({ps[i].p[0].m + ps[i].dm, ps[i].p[0].t + ps[i].dt, i, 0});
  std::make_heap(heap.begin(), heap.end(), later);
  double best = kInf;
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    Head h = heap.back();
    heap.pop_back();
    const Piece& pc = ps[h.i];
    if (h.t < best) {
      const Label& x = pc.p[h.pos];
      Label y = x;
      y.t = h.t, y.m = h.m;
      if (pc.l >= 0) y.l = pc.l;
      if (pc.pg >= 0) y.pg = pc.pg, y.pi = pc.base + h.pos;
      out.push_back(y);
      best = h.t;
    }
    const Label* nx = std::partition_point(pc.p + h.pos + 1, pc.p + pc.n,
                                           [&](const Label& x) { return x.t + pc.dt >= best; });
    if (nx != pc.p + pc.n) {
      int pos = int(nx - pc.p);
      heap.push_back({nx->m + pc.dm, nx->t + pc.dt, h.i, pos});
      std::push_heap(heap.begin(), heap.end(), later);
    }
  }
}

// Stepping into layer u from u-1 (through R_{u-1,u}).
struct StepInfo {
  Classes rows, cols;  // of u-1's strategies by row, of u's by column
  std::vector<double> rowmax;  // per row class
  std::vector<std::vector<std::pair<int, double>>> below;  // per column class: (row class, entry < rowmax)
};
// Layer u's frontier groups: strategies with equal rows of R_{u,u+1} and
// equal out-class (rows of R'_{u,u+1}); one group for the last layer.
struct GroupInfo {
  std::vector<int> of;    // per strategy
  std::vector<int> row;   // per group: row class of R_{u,u+1}
  std::vector<int> out;   // per group: out-class
  std::vector<std::vector<int>> members;
  int count() const { return int(row.size()); }
};

class ChainDp {
 public:
  ChainDp(const PlanInstance& in, const DpOptions& o);
  SolveResult run();

 private:
  const std::vector<double>& R(int u) const { return in_.edges[u].same_stage.values(); }  // edge (u, u+1)
  const std::vector<double>& X(int u) const { return in_.edges[u].cross_stage.values(); }
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

  // The walk's state: frontiers per group and the running compute bound.
  struct Walk {
    Frontiers fr;
    double lb = 0;  // sum of least A over the layers walked (added in walk order)
  };
  double time_cap(double lb) const { return (slack_ + lb) / double(in_.micro_batches); }
  Walk start(int a, int cf, int st) const;
  void step(int u, int st, Walk& w) const;
  bool alive(const Walk& w) const {
    for (const auto& f : w.fr)
      if (!f.empty()) return true;
    return false;
  }
  void record(int s, int a, int b, int cf, const Walk& w);
  void build_intervals(int s);
  void reconstruct(int stage, int a, int b, int cf, int cl, Assignment* out) const;
  double outer(double T, bool strict, Assignment* a) const;
  // One round with cap U: the best plan among those the cap keeps.
  SolveResult round(double U);

  const PlanInstance& in_;
  DpOptions opt_;
  int n_, S_;
  double lb_sum_ = 0, slack_ = kInf;  // slack = U - LBsum (+ tolerance)
  std::vector<double> min_a_;         // per layer: least A
  std::vector<int> mem_class_;                  // per stage
  std::vector<std::vector<int>> class_stages_;  // per memory class: its stages
  std::vector<Classes> cin_, cout_;             // per layer: boundary classes (crossing matrices)
  std::vector<const StepInfo*> stepinfo_;       // per layer u >= 1
  std::vector<const GroupInfo*> groups_;        // per layer
  using MatKey = std::tuple<const void*, int, int>;  // a matrix's id and shape
  std::map<MatKey, StepInfo> step_memo_;
  std::map<std::pair<MatKey, MatKey>, GroupInfo> group_memo_;
  std::vector<int> sig_;  // per layer: equal signatures walk identically
  std::vector<std::vector<std::vector<double>>> tab_;  // [class][a*n+b] -> in-classes(a) x out-classes(b)
  std::vector<std::vector<int>> reach_;                // [class][a]: last b with an interval cost (-1: none)
};

ChainDp::ChainDp(const PlanInstance& in, const DpOptions& o) : in_(in), opt_(o), n_(in.num_layers()), S_(in.num_stages) {
  std::map<std::pair<double, double>, int> classes;
  for (int i = 0; i < S_; ++i) {
    auto [it, fresh] = classes.try_emplace(std::make_pair(in.in_flight[i], in.capacity_bytes[i]), int(classes.size()));
    mem_class_.push_back(it->second);
    if (fresh) class_stages_.emplace_back();
    class_stages_[it->second].push_back(i);
  }
  std::map<MatKey, Classes> cin_memo, cout_memo;
  std::map<std::tuple<MatKey, MatKey, MatKey, MatKey, std::vector<double>, std::vector<double>, std::vector<double>>, int>
      sigs;
  for (int u = 0; u < n_; ++u) {
    min_a_.push_back(*std::min_element(in.time_seconds[u].begin(), in.time_seconds[u].end()));
    lb_sum_ += min_a_.back();
    int kp = u > 0 ? K(u - 1) : 0, kn = u + 1 < n_ ? K(u + 1) : 0;
    MatKey xin{u > 0 ? in.edges[u - 1].cross_stage.id() : nullptr, kp, K(u)};
    MatKey xout{u + 1 < n_ ? in.edges[u].cross_stage.id() : nullptr, K(u), kn};
    MatKey rin{u > 0 ? in.edges[u - 1].same_stage.id() : nullptr, kp, K(u)};
    MatKey rout{u + 1 < n_ ? in.edges[u].same_stage.id() : nullptr, K(u), kn};
    if (u == 0) cin_.push_back(one_class(K(u)));
    else {
      auto it = cin_memo.find(xin);
      if (it == cin_memo.end()) it = cin_memo.emplace(xin, cols_of(X(u - 1), K(u - 1), K(u))).first;
      cin_.push_back(it->second);
    }
    if (u + 1 == n_) cout_.push_back(one_class(K(u)));
    else {
      auto it = cout_memo.find(xout);
      if (it == cout_memo.end()) it = cout_memo.emplace(xout, rows_of(X(u), K(u), K(u + 1))).first;
      cout_.push_back(it->second);
    }
    if (u > 0) {
      auto it = step_memo_.find(rin);
      if (it == step_memo_.end()) {
        StepInfo si;
        const std::vector<double>& r = R(u - 1);
        int k1 = K(u - 1), k2 = K(u);
        si.rows = rows_of(r, k1, k2);
        si.cols = cols_of(r, k1, k2);
        si.below.resize(si.cols.count());
        for (int g = 0; g < si.rows.count(); ++g) {
          const double* row = r.data() + size_t(si.rows.rep[g]) * k2;
          double mx = *std::max_element(row, row + k2);
          si.rowmax.push_back(mx);
          for (int h = 0; h < si.cols.count(); ++h)
            if (row[si.cols.rep[h]] < mx) si.below[h].push_back({g, row[si.cols.rep[h]]});
        }
        it = step_memo_.emplace(rin, std::move(si)).first;
      }
      stepinfo_.push_back(&it->second);
    } else {
      stepinfo_.push_back(nullptr);
    }
    auto gk = std::make_pair(rout, xout);
    auto git = group_memo_.find(gk);
    if (git == group_memo_.end()) {
      GroupInfo gi;
      Classes rows = u + 1 < n_ ? rows_of(R(u), K(u), K(u + 1)) : one_class(K(u));
      std::map<std::pair<int, int>, int> ids;
      for (int k = 0; k < K(u); ++k) {
        auto [it, fresh] = ids.try_emplace({rows.of[k], cout_[u].of[k]}, gi.count());
        if (fresh) {
          gi.row.push_back(rows.of[k]);
          gi.out.push_back(cout_[u].of[k]);
          gi.members.emplace_back();
        }
        gi.of.push_back(it->second);
        gi.members[it->second].push_back(k);
      }
      git = group_memo_.emplace(gk, std::move(gi)).first;
    }
    groups_.push_back(&git->second);
    auto key = std::make_tuple(rin, xin, rout, xout, in.time_seconds[u], in.state_bytes[u], in.act_bytes[u]);
    sig_.push_back(sigs.try_emplace(key, int(sigs.size())).first->second);
  }
  tab_.resize(class_stages_.size());
  reach_.resize(class_stages_.size());
}

ChainDp::Walk ChainDp::start(int a, int cf, int st) const {
  Walk w;
  const GroupInfo& gi = *groups_[a];
  w.fr.assign(gi.count(), {});
  w.lb = 0 + min_a_[a];
  double tcap = time_cap(w.lb), cap = in_.capacity_bytes[st];
  for (int g = 0; g < gi.count(); ++g) {
    Frontier& f = w.fr[g];
    for (int k : gi.members[g]) {
      double m = in_.layer_bytes(a, k, st), t = in_.time_seconds[a][k];
      if (cin_[a].of[k] == cf && m <= cap && t <= tcap) f.push_back({t, m, k, -1, -1});
    }
    std::sort(f.begin(), f.end(), [](const Label& x, const Label& y) { return x.m != y.m ? x.m < y.m : x.t < y.t; });
    size_t keep = 0;
    double best = kInf;
    for (const Label& x : f)
      if (x.t < best) best = x.t, f[keep++] = x;
    f.resize(keep);
  }
  return w;
}

void ChainDp::step(int u, int st, Walk& w) const {
  const StepInfo& si = *stepinfo_[u];
  const GroupInfo& prev = *groups_[u - 1];
  const GroupInfo& gi = *groups_[u];
  double cap = in_.capacity_bytes[st];
  // 1. Per row class: the merged frontiers of its groups (predecessors recorded).
  std::vector<Frontier> merged(si.rows.count());
  std::vector<std::vector<Piece>> by_row(si.rows.count());
  for (int g = 0; g < prev.count(); ++g)
    if (!w.fr[g].empty()) by_row[prev.row[g]].push_back(Piece{w.fr[g].data(), int(w.fr[g].size()), 0.0, 0.0, -1, g, 0});
  for (int r = 0; r < si.rows.count(); ++r) staircase_union(by_row[r], merged[r]);
  // 2. D: every row shifted by its largest entry.
  std::vector<Piece> ps;
  for (int r = 0; r < si.rows.count(); ++r)
    if (!merged[r].empty()) ps.push_back(Piece{merged[r].data(), int(merged[r].size()), si.rowmax[r], 0.0, -1, -1, 0});
  Frontier D;
  staircase_union(ps, D);
  // 3. Q_h: D and the rows whose entry in column h is below their largest.
  std::vector<Frontier> q(si.cols.count());
  std::vector<const Frontier*> qp(si.cols.count(), &D);
  for (int h = 0; h < si.cols.count(); ++h) {
    if (si.below[h].empty()) continue;
    ps.assign(1, Piece{D.data(), int(D.size()), 0.0, 0.0, -1, -1, 0});
    for (auto [r, v] : si.below[h])
      if (!merged[r].empty()) ps.push_back(Piece{merged[r].data(), int(merged[r].size()), v, 0.0, -1, -1, 0});
    staircase_union(ps, q[h]);
    qp[h] = &q[h];
  }
  // 4. Each group: its strategies' shifted copies of Q, cut at the caps.
  w.lb = w.lb + min_a_[u];
  double tcap = time_cap(w.lb);
  Frontiers nxt(gi.count());
  for (int g = 0; g < gi.count(); ++g) {
    ps.clear();
    for (int l : gi.members[g]) {
      const Frontier& qh = *qp[si.cols.of[l]];
      double a = in_.time_seconds[u][l], mb = in_.layer_bytes(u, l, st);
      // t falls along the staircase: the labels over the time cap are a prefix; m rises: over the memory cap a suffix.
      const Label* lo = std::partition_point(qh.data(), qh.data() + qh.size(),
                                             [&](const Label& x) { return x.t + a > tcap; });
      const Label* hi = std::partition_point(lo, qh.data() + qh.size(), [&](const Label& x) { return x.m + mb <= cap; });
      if (hi > lo) ps.push_back(Piece{lo, int(hi - lo), a, mb, l, -1, 0});
    }
    staircase_union(ps, nxt[g]);
  }
  w.fr.swap(nxt);
}

void ChainDp::record(int s, int a, int b, int cf, const Walk& w) {
  std::vector<double>& t = tab_[s][tidx(a, b)];
  int nc = cout_[b].count();
  if (t.empty()) t.assign(size_t(cin_[a].count()) * nc, kInf);
  const GroupInfo& gi = *groups_[b];
  for (int g = 0; g < gi.count(); ++g)
    if (!w.fr[g].empty()) {
      double& v = t[size_t(cf) * nc + gi.out[g]];
      v = std::min(v, w.fr[g].back().t);  // the last label of a staircase has the least time
    }
  reach_[s][a] = std::max(reach_[s][a], b);
}

void ChainDp::build_intervals(int s) {
  int st = class_stages_[s][0];
  tab_[s].assign(size_t(n_) * n_, {});
  reach_[s].assign(n_, -1);
  std::vector<int> starts;
  for (int a = 0; a < n_; ++a) {
    bool needed = false;
    for (int i : class_stages_[s]) needed |= start_allowed(i, a);
    if (needed) starts.push_back(a);
  }
  // Roots walk; a start repeating an earlier one's signatures for L steps
  // forks from the root's walk after L steps.
  std::map<int, int> first_with_sig;
  std::vector<int> root(n_, -1), len(n_, -1);
  std::map<int, std::vector<std::vector<int>>> forks;  // root -> per offset L: its dependents
  for (int a : starts) {
    auto [it, fresh] = first_with_sig.try_emplace(sig_[a], a);
    if (fresh) continue;
    int a0 = it->second, j = 0;
    while (a + j + 1 < n_ && sig_[a + j + 1] == sig_[a0 + j + 1]) ++j;
    root[a] = a0, len[a] = j;
    auto& f = forks[a0];
    if (int(f.size()) <= j) f.resize(j + 1);
    f[j].push_back(a);
  }
  for (int a0 : starts) {
    if (root[a0] >= 0) continue;
    const std::vector<std::vector<int>>* fk = forks.count(a0) ? &forks[a0] : nullptr;
    for (int cf = 0; cf < cin_[a0].count(); ++cf) {
      Walk w = start(a0, cf, st);
      for (int b = a0;; ++b) {
        if (!alive(w)) break;
        record(s, a0, b, cf, w);
        if (fk && b - a0 < int(fk->size()))
          for (int a : (*fk)[b - a0]) {
            Walk t = w;
            for (int u = a + len[a] + 1; u < n_; ++u) {
              step(u, st, t);
              if (!alive(t)) break;
              record(s, a, u, cf, t);
            }
          }
        if (b + 1 == n_) break;
        step(b + 1, st, w);
      }
    }
  }
  for (int a : starts) {
    if (root[a] < 0) continue;
    int a0 = root[a];
    for (int i = 0; i <= len[a] && a0 + i <= reach_[s][a0]; ++i) {
      const std::vector<double>& src = tab_[s][tidx(a0, a0 + i)];
      if (src.empty()) continue;
      tab_[s][tidx(a, a + i)] = src;
      reach_[s][a] = std::max(reach_[s][a], a + i);
    }
  }
}

// Strategies of stage `stage` = [a, b] entered in in-class cf and left in
// out-class cl, with the least time (replays the walk with predecessors).
void ChainDp::reconstruct(int stage, int a, int b, int cf, int cl, Assignment* out) const {
  int st = class_stages_[mem_class_[stage]][0];
  std::vector<Frontiers> layers;
  Walk w = start(a, cf, st);
  layers.push_back(w.fr);
  for (int u = a + 1; u <= b; ++u) {
    step(u, st, w);
    layers.push_back(w.fr);
  }
  const GroupInfo& gi = *groups_[b];
  int g = -1;
  for (int x = 0; x < gi.count(); ++x) {
    const Frontier& f = layers.back()[x];
    if (gi.out[x] != cl || f.empty()) continue;
    if (g < 0 || f.back().t < layers.back()[g].back().t) g = x;
  }
  int idx = int(layers.back()[g].size()) - 1;
  for (int u = b; u >= a; --u) {
    const Label& x = layers[u - a][g][idx];
    out->stage[u] = stage;
    out->strategy[u] = x.l;
    g = x.pg, idx = x.pi;
  }
}

SolveResult ChainDp::round(double U) {
  SolveResult r;
  double c1 = double(in_.micro_batches - 1);
  // Tolerance: the cap only prunes, so erring high is safe.
  slack_ = U == kInf ? kInf : (U - lb_sum_) + 1e-9 * U;
  for (size_t s = 0; s < class_stages_.size(); ++s) build_intervals(int(s));
  double T = c1 > 0 && U < kInf ? slack_ / c1 : kInf;
  bool strict = false;
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
    if (lb >= r.objective_seconds || lb > U) break;
    T = ev.bottleneck_seconds;
    strict = true;
  }
  r.status = r.objective_seconds < kInf && r.objective_seconds <= U ? "optimal" : "cutoff";
  return r;
}

SolveResult ChainDp::run() {
  double U = opt_.upper_bound_seconds;
  bool given = U < kInf;
  double lb_obj = objective_lower_bound(in_);
  if (lb_obj == kInf) {
    SolveResult r;
    r.status = "infeasible";
    r.message = "no stage split and strategy choice fits the memory caps";
    return r;
  }
  if (given && lb_obj > U) {
    SolveResult r;
    r.status = "cutoff";
    r.bound_seconds = lb_obj;
    r.message = "no plan within the upper bound";
    return r;
  }
  if (!given) U = lb_obj > 0 ? 1.2 * lb_obj : kInf;
  int iterations = 0;
  for (;;) {
    SolveResult r = round(U);
    iterations += r.iterations;
    r.iterations = iterations;
    if (r.status == "error") return r;
    if (r.status == "optimal") {
      r.bound_seconds = r.objective_seconds;
      return r;
    }
    if (given) {  // proved: nothing within the caller's bound
      r.objective_seconds = kInf;
      r.assignment = {};
      r.bound_seconds = U;
      r.message = "no plan within the upper bound";
      return r;
    }
    if (U == kInf) {
      r.status = "infeasible";
      r.message = "no stage split and strategy choice fits the memory caps";
      return r;
    }
    // The next round's cap: the best plan found (proves it) or 1.5x; beyond
    // 1000x the compute bound, no cap (memory, not time, is what binds).
    U = r.objective_seconds < kInf ? r.objective_seconds : 1.5 * U;
    if (U > 1000 * lb_obj) U = kInf;
  }
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
    int s = mem_class_[i];
    const auto& tab = tab_[s];
    for (int a = 0; a < n_; ++a) {
      if (!start_allowed(i, a) || reach_[s][a] < a) continue;
      std::vector<double> g(cin_[a].count(), i == 0 ? 0.0 : kInf);
      std::vector<int> gk(cin_[a].count(), -1);
      bool any = i == 0;
      if (i > 0) {
        const std::vector<double>& fp = f[i][a - 1];
        for (int cp = 0; cp < cout_[a - 1].count(); ++cp) {
          if (fp[cp] == kInf) continue;
          for (int cf = 0; cf < cin_[a].count(); ++cf) {
            double c = X(a - 1)[size_t(cout_[a - 1].rep[cp]) * K(a) + cin_[a].rep[cf]];
            if (!within(c, T, strict)) continue;
            if (fp[cp] + c < g[cf]) g[cf] = fp[cp] + c, gk[cf] = cp, any = true;
          }
        }
      }
      if (!any) continue;
      for (int b = a; b <= reach_[s][a]; ++b) {
        if (!end_allowed(i, b)) continue;
        const std::vector<double>& t = tab[tidx(a, b)];
        if (t.empty()) continue;
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
