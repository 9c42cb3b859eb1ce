// PlanInstance: UniAP's optimisation problem for one (pipeline degree,
// micro-batch count) pair, stripped of the model: layers with per-strategy
// costs, the edges between them, and the stages' memory caps.
//
// A solution (Assignment) puts each layer u in a stage stage[u] and gives it
// a strategy strategy[u]. Time per iteration (UniAP Eq. 1, GPipe form; 1F1B
// uses the same form and differs only in in_flight):
//   p_i = sum_{u in i} A_u[k_u] + sum_{(u,v) in E, both in i} R_e[k_u][k_v]
//   o_j = sum_{(u,v) in E, u in j, v in j+1} R'_e[k_u][k_v]
//   TPI = sum_i p_i + sum_j o_j + (c - 1) * max({p_i} U {o_j})
// Stage time is summed in layer order (A_a, then R_{a,a+1} + A_{a+1}, ...)
// and every solver sums in that order, so equal plans give equal doubles.
// An edge that skips a stage (u in j, v in j+2 or later) costs nothing, as in
// the paper's Eq. 3 (only adjacent stages exchange).
// Feasibility:
//  1. stage[0] = 0, stage[u+1] - stage[u] in {0, 1}, stage[n-1] = S - 1
//     (contiguous, order-preserving, no empty stage: the TrainingPlan form);
//  2. per stage i: sum_{u in i} state_bytes_u[k] + in_flight[i] *
//     act_bytes_u[k] <= capacity_bytes[i].
// Invariants: edges have u < v; matrices are K_u x K_v, row-major; costs >= 0.
// Thread-safety: plain values; the functions are pure. CostMatrix copies
// share storage (a shared_ptr: the edges between identical layers of one
// model carry the same matrix, and the DP recognises them by id()); a write
// through a shared copy clones it first, so copies behave as values.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace paralab::planner {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A row-major cost matrix with value semantics and shared storage.
class CostMatrix {
 public:
  CostMatrix() = default;
  CostMatrix(std::vector<double> v) : p_(std::make_shared<std::vector<double>>(std::move(v))) {}  // NOLINT: implicit by design
  CostMatrix(std::initializer_list<double> v) : CostMatrix(std::vector<double>(v)) {}
  size_t size() const { return p_ ? p_->size() : 0; }
  double operator[](size_t i) const { return (*p_)[i]; }
  const std::vector<double>& values() const { return p_ ? *p_ : empty(); }
  std::vector<double>::const_iterator begin() const { return values().begin(); }
  std::vector<double>::const_iterator end() const { return values().end(); }
  void push_back(double v) { mut().push_back(v); }
  void assign(size_t n, double v) { mut().assign(n, v); }
  // Equal ids mean equal contents (shared storage); unequal ids say nothing.
  const void* id() const { return p_.get(); }

 private:
  static const std::vector<double>& empty() {
    static const std::vector<double> e;
    return e;
  }
  std::vector<double>& mut() {
    if (!p_) p_ = std::make_shared<std::vector<double>>();
    else if (p_.use_count() > 1) p_ = std::make_shared<std::vector<double>>(*p_);
    return *p_;
  }
  std::shared_ptr<std::vector<double>> p_;  // shared: identical edges of one model hold one matrix
};

struct EdgeCosts {
  int u = 0, v = 0;
  CostMatrix same_stage;   // R_uv, K_u x K_v
  CostMatrix cross_stage;  // R'_uv, K_u x K_v
};

struct PlanInstance {
  int num_stages = 1;
  int64_t micro_batches = 1;  // c
  // Per layer, per strategy.
  std::vector<std::vector<double>> time_seconds;  // A_u[k]
  std::vector<std::vector<double>> state_bytes;   // model states (and anything not scaled by in_flight)
  std::vector<std::vector<double>> act_bytes;     // stored activations of one micro-batch
  std::vector<EdgeCosts> edges;
  std::vector<double> in_flight;       // per stage: micro-batches whose activations are alive at once
  std::vector<double> capacity_bytes;  // per stage

  int num_layers() const { return int(time_seconds.size()); }
  int num_strategies(int u) const { return int(time_seconds[u].size()); }
  // True when the edges are exactly (u, u+1) for every u.
  bool is_chain() const;
  double layer_bytes(int u, int k, int stage) const { return state_bytes[u][k] + in_flight[stage] * act_bytes[u][k]; }
};

struct Assignment {
  std::vector<int> stage;     // per layer
  std::vector<int> strategy;  // per layer
};

struct Evaluation {
  bool feasible = false;
  std::string why;             // first broken rule when infeasible
  std::vector<double> stage_seconds;  // p_i
  std::vector<double> link_seconds;   // o_j
  std::vector<double> stage_bytes;    // memory per stage
  double bottleneck_seconds = 0;      // max(p, o)
  double objective_seconds = kInf;    // TPI
};

Evaluation evaluate(const PlanInstance& in, const Assignment& a);

// A zero matrix of each shape, shared (so equal edges stay equal for the DP).
struct Zeros {
  std::map<std::pair<int, int>, CostMatrix> of_shape;
  const CostMatrix& get(int ku, int kv);
};

// The chain relaxation of a DAG instance: its edges (u, u+1) kept (zero
// matrices where it has none), the others dropped; what chain-only searches
// see of a DAG. R, R' >= 0, so no assignment costs more on it, and
// feasibility does not depend on edges: its DP optimum bounds the DAG's from
// below, and the DP's assignment is a feasible plan of the DAG.
PlanInstance chain_relaxation(const PlanInstance& in);

// A lower bound on the objective of every feasible assignment (kInf when
// none can fit): sum p >= min { sum_u A_u[k_u] : sum_u bytes_u[k_u] <= sum_i
// capacity_i } (R, R' >= 0; bytes at the least in_flight, so every plan's
// bytes are no more), bounded below by its Lagrangian dual
// max_{lambda >= 0} sum_u min_k (A_u[k] + lambda bytes_u[k]) - lambda sum_i capacity_i,
// and objective >= sum p (1 + (c - 1) / S) (the max is at least the mean).
// Without a memory cap this is the compute-only bound sum_u min_k A_u[k] (...).
double objective_lower_bound(const PlanInstance& in);

// Groups equal vectors: class id per item (`of`), a representative item per
// class (`rep`, the first of its class), classes numbered by first
// appearance. The solvers use it on cost matrices: strategies whose rows (or
// columns) are equal cost the same against every neighbour strategy, so one
// variable or one frontier serves the whole class.
struct Classes {
  std::vector<int> of, rep;
  int count() const { return int(rep.size()); }
};
Classes classify(const std::vector<std::vector<double>>& keys);
// Classes of the rows / columns of a row-major k1 x k2 matrix.
Classes rows_of(const std::vector<double>& x, int k1, int k2);
Classes cols_of(const std::vector<double>& x, int k1, int k2);
// k items in one class.
Classes one_class(int k);

// Checks the instance's shape; "" when consistent, else what is wrong.
std::string check_instance(const PlanInstance& in);

// Exhaustive search over all stage splits and strategies (tests only: the
// count is C(n-1, S-1) * prod K_u). Objective kInf when nothing is feasible.
struct BruteForceResult {
  Assignment best;
  double objective_seconds = kInf;
  uint64_t candidates = 0;
};
BruteForceResult brute_force(const PlanInstance& in);

}  // namespace paralab::planner
