// SolveResult: what a solver of a PlanInstance returns.
//
// status: "optimal" (proved), "time_limit" (best found when the limit struck,
// with the gap to the solver's bound), "infeasible" (proved: no assignment
// fits the memory caps), "cutoff" (proved: no assignment has an objective
// within the upper bound the caller gave; DpOptions), "feasible" (a plan a
// heuristic found, nothing proved about it), "error" (the solver failed;
// message says why).
// objective_seconds is always evaluate(instance, assignment).objective, so
// every solver's figure is comparable to the byte.
// Thread-safety: plain value.
#pragma once

#include <string>

#include "strategies/training/planners/plan_instance.h"

namespace paralab::planner {

struct SolveResult {
  std::string status = "infeasible";
  std::string message;
  Assignment assignment;
  double objective_seconds = kInf;
  double bound_seconds = 0;  // proved lower bound (= objective when optimal)
  double gap = 0;            // (objective - bound) / objective
  double solve_seconds = 0;  // wall clock
  int iterations = 0;        // DP: bottleneck bounds tried; MILP: nodes
  int columns = 0;           // MILP: columns (variables) of the model CBC solved
  bool ok() const { return status == "optimal" || status == "time_limit" || status == "feasible"; }
};

}  // namespace paralab::planner
