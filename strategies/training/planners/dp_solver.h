// Exact dynamic program for UniAP's problem on chain-structured models.
//
// Inner DP (per memory class = distinct (in_flight, capacity) of a stage,
// per first layer a and in-class cf): walks the layers a, a+1, ... carrying
// Pareto frontiers of (stage time, stage bytes) over the strategy choices
// of the layers so far, cut at the memory cap. The frontier keeps the DP
// exact without discretising memory. Its least time for each end b and
// out-class is the interval cost C[a..b][cf][cl] (a stage's best time given
// its boundary classes; nothing else in the objective depends on its
// inside). Two strategies of layer u are in one in-class when their columns
// of the incoming crossing matrix R'_{u-1,u} are equal, in one out-class when
// their rows of R'_{u,u+1} are; frontiers are kept per group of strategies
// with equal rows of R_{u,u+1} and equal out-class.
// A step u-1 -> u: per row class g of R_{u-1,u} the merged frontier F_g; the
// frontier D of all F_g shifted by their row's largest entry; per column
// class h, Q_h = D plus the F_g shifted by the entries of column h below
// their row's largest (shifting by the largest instead only adds labels
// that the true shift dominates, so Q_h is exact); each strategy l then
// takes Q_{col(l)} shifted by (A_u[l], bytes_u[l]).
// Identical layers: layer u's signature is its costs and the identities of
// its adjacent matrices (CostMatrix::id). A start a whose layers a, a+1, ...
// repeat an earlier start a0's signatures for j steps takes C[a..a+i] =
// C[a0..a0+i] for i <= j and continues from a copy of a0's frontier after
// j steps; for a Transformer (embedding, N identical blocks, head) every
// start is a short tail of one walk, so the work is linear in the layers.
// Pruning by an upper bound U on the objective (exact: every plan of
// objective <= U survives): objective >= c p_i - LB_i + LBsum, where LB is
// the sum of the layers' least A (any stage, all layers), so a label with
// c t - LB[a..b] > U - LBsum can never end in such a plan, and neither can
// its extensions (the left side only grows).
// Outer DP over stage boundaries: minimise sum p + sum o with every p, o
// bounded by T. The objective sum + (c-1) max is decomposable once the max
// is fixed; the solver starts with T = (U - LBsum) / (c - 1) and repeatedly
// bounds T strictly below the bottleneck of the last solution, keeping the
// best objective, until the bound F(T) + (c-1) F(T)/(2S-1) (any remaining
// plan has sum >= F(T) and max >= its average) reaches the best found. T
// falls through a finite set (the bottlenecks of solutions), so it
// terminates with a proved optimum.
// Without a given U the solver guesses U = 1.2 x the compute bound
// LBsum (1 + (c-1)/S), and raises it (to the best plan found, which proves
// the next round, or by 1.5x) until a plan within it is found; with a given
// U and no plan within it, the status is "cutoff" (proved: objective > U).
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
  // Only plans with objective <= upper_bound_seconds are wanted; none:
  // status "cutoff". kInf = find the optimum.
  double upper_bound_seconds = kInf;
};

SolveResult solve_dp(const PlanInstance& in, const DpOptions& o = {});

}  // namespace paralab::planner
