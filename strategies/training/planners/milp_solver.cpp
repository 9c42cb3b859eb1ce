#include "strategies/training/planners/milp_solver.h"

#include <Cbc_C_Interface.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>

#include "strategies/training/planners/dp_solver.h"

namespace paralab::planner {

namespace {

struct CbcDeleter {
  void operator()(Cbc_Model* m) const { Cbc_deleteModel(m); }
};

// Column and row builder over the CBC C API.
class Model {
 public:
  Model() : m_(Cbc_newModel()) {}
  // Columns get distinct names: CBC matches a MIP start by name.
  int col(double lb, double ub, double obj, bool integer) {
    std::string name = "c" + std::to_string(ncols_);
    Cbc_addCol(m_.get(), name.c_str(), lb, ub, obj, integer ? 1 : 0, 0, nullptr, nullptr);
    return ncols_++;
  }
  void row(const std::vector<int>& cols, const std::vector<double>& coefs, char sense, double rhs) {
    Cbc_addRow(m_.get(), "", int(cols.size()), cols.data(), coefs.data(), sense, rhs);
  }
  Cbc_Model* get() { return m_.get(); }

 private:
  std::unique_ptr<Cbc_Model, CbcDeleter> m_;
  int ncols_ = 0;
};

}  // namespace

SolveResult solve_milp(const PlanInstance& in, const MilpOptions& o) {
  auto t0 = std::chrono::steady_clock::now();
  SolveResult r;
  if (std::string e = check_instance(in); !e.empty()) {
    r.status = "error";
    r.message = e;
    return r;
  }
  // A DAG starts from its chain relaxation, solved exactly by the DP: a
  // lower bound and a first plan (CBC's MIP start). When the plan costs no
  // more on the DAG than on the chain, it is optimal and CBC is not needed.
  // A chain goes to CBC alone, so the two solvers stay independent there.
  double lower = 0, start_objective = kInf;
  Assignment start;
  if (!in.is_chain()) {
    SolveResult relaxed = solve_dp(chain_relaxation(in));
    if (relaxed.status == "infeasible") {
      r.status = "infeasible";
      r.message = "no stage split and strategy choice fits the memory caps";
      r.solve_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      return r;
    }
    if (relaxed.status == "optimal") {
      lower = relaxed.objective_seconds;
      Evaluation ev = evaluate(in, relaxed.assignment);
      if (ev.feasible) start = relaxed.assignment, start_objective = ev.objective_seconds;
      if (start_objective <= lower * (1 + 1e-12)) {
        r.status = "optimal";
        r.assignment = start;
        r.objective_seconds = r.bound_seconds = start_objective;
        r.solve_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return r;
      }
    }
  }
  int n = in.num_layers(), S = in.num_stages;
  // Time scale: the largest A entry (so costs are O(1) for CBC's tolerances).
  double scale = 0;
  for (const auto& a : in.time_seconds)
    for (double v : a) scale = std::max(scale, v);
  for (const EdgeCosts& e : in.edges) {
    for (double v : e.same_stage) scale = std::max(scale, v);
    for (double v : e.cross_stage) scale = std::max(scale, v);
  }
  if (scale <= 0) scale = 1;
  double c1 = double(in.micro_batches - 1);
  Model md;
  std::vector<std::vector<int>> P(n, std::vector<int>(S)), Sv(n);
  std::vector<std::vector<std::vector<int>>> x(n);
  for (int u = 0; u < n; ++u) {
    for (int i = 0; i < S; ++i) P[u][i] = md.col(0, 1, 0, true);
    for (int k = 0; k < in.num_strategies(u); ++k) Sv[u].push_back(md.col(0, 1, 0, true));
    x[u].assign(S, {});
    for (int i = 0; i < S; ++i)
      for (int k = 0; k < in.num_strategies(u); ++k) x[u][i].push_back(md.col(0, 1, in.time_seconds[u][k] / scale, false));
  }
  int T = md.col(0, 1e30, c1, false);
  // p_i rows: T - sum A x - sum r >= 0, collected and added at the end.
  std::vector<std::vector<int>> p_cols(S), o_cols(S > 1 ? S - 1 : 0);
  std::vector<std::vector<double>> p_coef(S), o_coef(S > 1 ? S - 1 : 0);
  for (int u = 0; u < n; ++u)
    for (int i = 0; i < S; ++i)
      for (int k = 0; k < in.num_strategies(u); ++k) {
        p_cols[i].push_back(x[u][i][k]);
        p_coef[i].push_back(-in.time_seconds[u][k] / scale);
      }
  // Assignment rows.
  for (int u = 0; u < n; ++u) {
    md.row(P[u], std::vector<double>(S, 1.0), 'E', 1);
    md.row(Sv[u], std::vector<double>(Sv[u].size(), 1.0), 'E', 1);
    for (int i = 0; i < S; ++i) {  // sum_k x_uik = P_ui
      std::vector<int> c = x[u][i];
      std::vector<double> v(c.size(), 1.0);
      c.push_back(P[u][i]);
      v.push_back(-1);
      md.row(c, v, 'E', 0);
    }
    for (int k = 0; k < in.num_strategies(u); ++k) {  // sum_i x_uik = S_uk
      std::vector<int> c;
      for (int i = 0; i < S; ++i) c.push_back(x[u][i][k]);
      std::vector<double> v(c.size(), 1.0);
      c.push_back(Sv[u][k]);
      v.push_back(-1);
      md.row(c, v, 'E', 0);
    }
  }
  // Contiguity and order: cumulative sums, no skipped stage, endpoints.
  md.row({P[0][0]}, {1.0}, 'E', 1);
  md.row({P[n - 1][S - 1]}, {1.0}, 'E', 1);
  for (int u = 0; u + 1 < n; ++u)
    for (int i = 0; i < S; ++i) {
      std::vector<int> c;
      std::vector<double> v;
      for (int j = 0; j <= i; ++j) {
        c.push_back(P[u + 1][j]), v.push_back(1);
        c.push_back(P[u][j]), v.push_back(-1);
      }
      md.row(c, v, 'L', 0);  // stage[u+1] >= stage[u]
      if (i > 0) md.row({P[u + 1][i], P[u][i], P[u][i - 1]}, {1, -1, -1}, 'L', 0);
      else md.row({P[u + 1][0], P[u][0]}, {1, -1}, 'L', 0);
    }
  for (int i = 0; i < S; ++i) {
    std::vector<int> c;
    for (int u = 0; u < n; ++u) c.push_back(P[u][i]);
    md.row(c, std::vector<double>(n, 1.0), 'G', 1);
  }
  // Memory per stage, scaled by the capacity.
  for (int i = 0; i < S; ++i) {
    std::vector<int> c;
    std::vector<double> v;
    double cap = in.capacity_bytes[i];
    for (int u = 0; u < n; ++u)
      for (int k = 0; k < in.num_strategies(u); ++k) {
        c.push_back(x[u][i][k]);
        v.push_back(cap > 0 ? in.layer_bytes(u, k, i) / cap : in.layer_bytes(u, k, i));
      }
    md.row(c, v, 'L', cap > 0 ? 1.0 : 0.0);
  }
  // Edges.
  for (const EdgeCosts& e : in.edges) {
    int ku = in.num_strategies(e.u), kv = in.num_strategies(e.v);
    double Ur = *std::max_element(e.same_stage.begin(), e.same_stage.end()) / scale;
    double Ux = *std::max_element(e.cross_stage.begin(), e.cross_stage.end()) / scale;
    bool chain_edge = e.v == e.u + 1;
    std::vector<int> w(S), z(S > 1 ? S - 1 : 0);
    for (int i = 0; i < S; ++i) {
      w[i] = md.col(0, 1, 0, false);
      md.row({w[i], P[e.u][i], P[e.v][i]}, {1, -1, -1}, 'G', -1);
      md.row({w[i], P[e.u][i]}, {1, -1}, 'L', 0);
      md.row({w[i], P[e.v][i]}, {1, -1}, 'L', 0);
    }
    for (int j = 0; j + 1 < S; ++j) {
      z[j] = md.col(0, 1, 0, false);
      md.row({z[j], P[e.u][j], P[e.v][j + 1]}, {1, -1, -1}, 'G', -1);
      md.row({z[j], P[e.u][j]}, {1, -1}, 'L', 0);
      md.row({z[j], P[e.v][j + 1]}, {1, -1}, 'L', 0);
    }
    if (chain_edge) {
      std::vector<int> c = w;
      c.insert(c.end(), z.begin(), z.end());
      md.row(c, std::vector<double>(c.size(), 1.0), 'E', 1);
    }
    if (Ur <= 0 && Ux <= 0) continue;
    // Strategy pairs by class: u's strategies whose rows of R and R' are
    // equal cost the same against every strategy of v, and likewise v's
    // columns, so one e per (row class, column class) carries the edge. Its
    // row sums are the class's S_uk summed (column sums likewise): for
    // integral S exactly the chosen pair, and the LP relaxation is the
    // projection of the one with an e per strategy pair (split a class
    // entry proportionally to get that one back), so bounds are as tight.
    // The cost model's R and R' depend on the TP degree and sequence
    // parallelism only, so tens of strategies fall into a few classes.
    std::vector<double> both_rows, both_cols = e.same_stage.values();  // [R | R'] and [R ; R']
    both_cols.insert(both_cols.end(), e.cross_stage.begin(), e.cross_stage.end());
    for (int k = 0; k < ku; ++k)
      for (const CostMatrix* m : {&e.same_stage, &e.cross_stage})
        for (int l = 0; l < kv; ++l) both_rows.push_back((*m)[size_t(k) * kv + l]);
    Classes rc = rows_of(both_rows, ku, 2 * kv), cc = cols_of(both_cols, 2 * ku, kv);
    int nr = rc.count(), nc = cc.count();
    std::vector<int> ev(size_t(nr) * nc);
    for (auto& id : ev) id = md.col(0, 1, 0, false);
    for (int a = 0; a < nr; ++a) {  // row sums
      std::vector<int> c(ev.begin() + ptrdiff_t(a) * nc, ev.begin() + ptrdiff_t(a + 1) * nc);
      std::vector<double> v(c.size(), 1.0);
      for (int k = 0; k < ku; ++k)
        if (rc.of[k] == a) c.push_back(Sv[e.u][k]), v.push_back(-1);
      md.row(c, v, 'E', 0);
    }
    for (int b = 0; b < nc; ++b) {  // column sums
      std::vector<int> c;
      for (int a = 0; a < nr; ++a) c.push_back(ev[size_t(a) * nc + b]);
      std::vector<double> v(c.size(), 1.0);
      for (int l = 0; l < kv; ++l)
        if (cc.of[l] == b) c.push_back(Sv[e.v][l]), v.push_back(-1);
      md.row(c, v, 'E', 0);
    }
    auto class_matrix = [&](const CostMatrix& R) {
      std::vector<double> by_class;
      for (int a = 0; a < nr; ++a)
        for (int b = 0; b < nc; ++b) by_class.push_back(R[size_t(rc.rep[a]) * kv + cc.rep[b]]);
      return by_class;
    };
    auto linked = [&](const std::vector<double>& R, double U, int ind, std::vector<int>& cols,
                      std::vector<double>& coefs) {
      int rv = md.col(0, 1e30, 1.0, false);  // r or q: objective coefficient 1
      std::vector<int> c{rv, ind};
      std::vector<double> v{1.0, -U};
      for (size_t q = 0; q < R.size(); ++q)
        if (R[q] > 0) c.push_back(ev[q]), v.push_back(-R[q] / scale);
      md.row(c, v, 'G', -U);  // r >= sum R e - U (1 - ind)
      cols.push_back(rv);
      coefs.push_back(-1.0);
    };
    if (Ur > 0) {
      std::vector<double> Rc = class_matrix(e.same_stage);
      for (int i = 0; i < S; ++i) linked(Rc, Ur, w[i], p_cols[i], p_coef[i]);
    }
    if (Ux > 0) {
      std::vector<double> Xc = class_matrix(e.cross_stage);
      for (int j = 0; j + 1 < S; ++j) linked(Xc, Ux, z[j], o_cols[j], o_coef[j]);
    }
  }
  // Epigraph rows.
  for (int i = 0; i < S; ++i) {
    std::vector<int> c = p_cols[i];
    std::vector<double> v = p_coef[i];
    c.push_back(T), v.push_back(1.0);
    md.row(c, v, 'G', 0);
  }
  for (int j = 0; j + 1 < S; ++j) {
    std::vector<int> c = o_cols[j];
    std::vector<double> v = o_coef[j];
    c.push_back(T), v.push_back(1.0);
    md.row(c, v, 'G', 0);
  }
  Cbc_Model* m = md.get();
  Cbc_setLogLevel(m, 0);
  Cbc_setMaximumSeconds(m, o.time_limit_seconds);
  if (start_objective < kInf) {
    std::vector<int> idx;
    for (int u = 0; u < n; ++u) idx.push_back(P[u][start.stage[u]]), idx.push_back(Sv[u][start.strategy[u]]);
    std::vector<double> ones(idx.size(), 1.0);
    Cbc_setMIPStartI(m, int(idx.size()), idx.data(), ones.data());
  }
  Cbc_setAllowableGap(m, 1e-10);
  Cbc_setAllowableFractionGap(m, 1e-12);
  r.columns = Cbc_getNumCols(m);
  Cbc_solve(m);
  r.iterations = 0;
  bool have = Cbc_numberSavedSolutions(m) > 0 || Cbc_isProvenOptimal(m);
  if (have) {
    const double* sol = Cbc_getColSolution(m);
    Assignment a;
    a.stage.assign(n, 0);
    a.strategy.assign(n, 0);
    for (int u = 0; u < n; ++u) {
      for (int i = 0; i < S; ++i)
        if (sol[P[u][i]] > 0.5) a.stage[u] = i;
      for (int k = 0; k < in.num_strategies(u); ++k)
        if (sol[Sv[u][k]] > 0.5) a.strategy[u] = k;
    }
    Evaluation ev = evaluate(in, a);
    if (ev.feasible) {
      r.assignment = a;
      r.objective_seconds = ev.objective_seconds;
    }
  }
  if (start_objective < r.objective_seconds) r.assignment = start, r.objective_seconds = start_objective;
  double bound = std::max(Cbc_getBestPossibleObjValue(m) * scale, lower);
  if (Cbc_isProvenInfeasible(m) && r.objective_seconds == kInf) {
    r.status = "infeasible";
    r.message = "no stage split and strategy choice fits the memory caps";
  } else if (r.objective_seconds < kInf && (Cbc_isProvenOptimal(m) || r.objective_seconds <= bound * (1 + 1e-12))) {
    r.status = "optimal";
    r.bound_seconds = r.objective_seconds;
  } else if (r.objective_seconds < kInf) {
    r.status = "time_limit";
    r.bound_seconds = std::min(bound, r.objective_seconds);
    r.gap = (r.objective_seconds - r.bound_seconds) / r.objective_seconds;
  } else {
    r.status = Cbc_status(m) == 1 ? "time_limit" : "error";
    r.message = r.status == "time_limit" ? "no feasible plan found within the time limit"
                                         : "CBC returned no solution (status " + std::to_string(Cbc_status(m)) + ")";
  }
  r.solve_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace paralab::planner
