// UniAP's MIQP linearised to a MILP and solved with COIN-OR CBC (C API of
// Debian's coinor-libcbc-dev), for any DAG whose layers are numbered in
// topological order.
//
// Variables (binary unless noted): P_ui (layer u in stage i), S_uk (layer u
// on strategy k); continuous in [0,1]: x_uik = P_ui S_uk (row/column sums
// sum_k x = P_ui, sum_i x = S_uk, exact once P and S are integral),
// e_ab = (sum_{k in a} S_uk)(sum_{l in b} S_vl) per edge and pair of
// strategy classes (Alpa's row/column sums over classes: strategies of u
// with equal rows of R and R', of v with equal columns; the cost model's
// matrices have a few classes where a layer has tens of strategies), w_i = P_ui P_vi and
// z_j = P_uj P_v,j+1 per edge (McCormick bounds); continuous >= 0: the
// per-stage resharding r_i >= sum R e - U (1 - w_i) and crossing q_j >=
// sum R' e - U' (1 - z_j) (big-M = the matrix's largest entry), the epigraph
// T >= p_i, T >= o_j. Objective sum_i p_i + sum_j o_j + (c-1) T with
// p_i = sum A x_.i. + sum r_i, o_j = sum q_j. Constraints: one stage and one
// strategy per layer; stage[u+1] - stage[u] in {0,1} (cumulative form),
// first layer in stage 0, last in S-1; per stage sum (state + in_flight
// act) x <= capacity; for chain edges sum_i w + sum_j z = 1.
// Times are scaled to O(1) and memory rows by the capacity before CBC sees
// them; the returned objective is evaluate() of the rounded assignment.
// Thread-safety: reentrant (one CBC model per call).
#pragma once

#include "strategies/training/planners/plan_instance.h"
#include "strategies/training/planners/solve_result.h"

namespace paralab::planner {

struct MilpOptions {
  double time_limit_seconds = 60;
};

SolveResult solve_milp(const PlanInstance& in, const MilpOptions& o = {});

}  // namespace paralab::planner
