// Exact dynamic program for UniAP's problem on chain-structured models.
//
// Inner DP (per memory class = distinct (in_flight, capacity) of a stage,
// per first layer a and its strategy kf): walks the layers a, a+1, ...
// carrying, per strategy of the current layer, the Pareto frontier of
// (stage time, stage bytes) over strategy choices of the layers so far,
// pruned by the memory cap. The frontier keeps the DP exact without
// discretising memory. Its minimum time for each end b and last strategy kl
// is the interval cost C[a..b][kf][kl] (a stage's best time given its
// boundary strategies; nothing else in the objective depends on its inside).
// Only the boundary class of kf and kl matters outside the interval: two
// strategies of layer u are in one in-class when their columns of the
// incoming crossing matrix R'_{u-1,u} are equal, in one out-class when their
// rows of R'_{u,u+1} are; so the inner DP starts from all strategies of an
// in-class at once and the table is indexed by classes (exact, and far
// smaller: tens of strategies share a handful of boundary layouts).
// Outer DP over stage boundaries: minimise sum p + sum o with every p, o
// bounded by T. The objective sum + (c-1) max is decomposable once the max
// is fixed; the solver starts with T = infinity and repeatedly bounds T
// strictly below the bottleneck of the last solution, keeping the best
// objective, until the bound F(T) + (c-1) F(T)/(2S-1) (any remaining plan has
// sum >= F(T) and max >= its average) reaches the best found. T falls
// through a finite set (the bottlenecks of solutions), so it terminates with
// a proved optimum.
// Options: fixed stage boundaries (Galvatron's even split); see baselines.
// REQUIRES: instance.is_chain(). Thread-safety: reentrant.
#pragma once

#include <vector>

#include "strategies/training/planners/plan_instance.h"
#include "strategies/training/planners/solve_result.h"

namespace paralab::planner {

struct DpOptions {
  // When non-empty: stage i must start at layer stage_starts[i] (size S,
  // stage_starts[0] = 0, increasing).
  std::vector<int> stage_starts;
};

SolveResult solve_dp(const PlanInstance& in, const DpOptions& o = {});

}  // namespace paralab::planner
