// Training planners: UniAP (joint inter- and intra-layer search) and its five
// baselines, each emitting a TrainingPlan with its modelled and simulated
// iteration time.
//
// UniAP (Lin et al., CVPR 2025, Algorithm 1): for every pipeline degree pp
// dividing the device count (pp <= layers) and micro-batch count c dividing
// the global batch, cost the layers (uniap_cost_model.h) and bound the pair
// from below (objective_lower_bound: compute, and memory through a
// Lagrangian bound), then, in ascending order of that bound and in parallel
// over the machine's cores, add the edges and solve the instance exactly
// (DP for chains, MILP with CBC for any DAG). A pair whose bound exceeds
// (1 + candidate_margin) x the best objective found is skipped, and the DP
// is told that figure as its upper bound (it answers "cutoff" when no plan
// is within it); near-optimal pairs remain candidates for the simulator.
// Beyond the paper, the best `confirm` candidates (one per pair) are
// simulated (flow-level collectives by default), in parallel, and the
// fastest simulated one is returned. UniAP never runs a baseline or takes a
// baseline's plan.
// Baselines (same cost model, same plan type):
//   ddp       pure data parallelism on every device, no pipeline, no ZeRO,
//             no recomputation; only the micro-batch count (gradient
//             accumulation) is chosen;
//   zero3     DeepSpeed ZeRO-3 over all devices, otherwise as ddp;
//   megatron  grid over TP x PP x DP x micro-batches (and recomputation,
//             sequence parallelism) with the Transformer blocks split evenly
//             over the stages and one strategy for every layer;
//   galvatron even pipeline split (blocks evenly, Galvatron's
//             pp_division_even), per-layer strategy DP under the memory cap
//             over DP / TP / ZeRO-3 and full recomputation on or off;
//   alpa      stage partition by DP over intra-stage costs optimised
//             independently of their neighbours (cross-stage costs ignored
//             while searching, charged when the plan is evaluated).
// Determinism: the candidates are the pairs whose optimum is within
// (1 + margin) x the final best (each solved exactly whatever the timing:
// its bound was never below that), ordered by (objective, pp, c), so the
// chosen plan does not depend on thread timing. Thread-safety: reentrant.
#pragma once

#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/model_graph.h"
#include "sim/simulator.h"
#include "strategies/training/planners/solve_result.h"
#include "strategies/training/planners/uniap_cost_model.h"
#include "strategies/training/training_plan.h"
#include "strategies/training/training_sim.h"

namespace paralab::planner {

const std::vector<std::string>& planner_names();  // uniap ddp zero3 megatron galvatron alpa

struct PlannerOptions {
  std::string planner = "uniap";
  std::string solver = "dp";  // dp | milp
  double milp_time_limit_seconds = 60;
  int threads = 0;            // 0 = hardware concurrency
  int confirm = 3;            // candidates confirmed by the simulator (0 = none)
  // Pairs whose compute bound is within (1 + margin) x the best objective are
  // solved (more candidates for the simulator); 0 = prune at the best.
  double candidate_margin = 0.05;
  sim::CollectiveMode confirm_collectives = sim::CollectiveMode::kFlow;
  // Ablations (UniAP only): fixed pipeline degree (0 = search), restricted
  // strategy space.
  int fixed_pp = 0;
  StrategySpace space;
};

struct Candidate {
  int pp = 1;
  int64_t micro_batches = 1;
  SolveResult solve;
  bool reductions_in_line = false;  // solved with ReductionPricing::kInLine (UniAP's second candidate of a pair)
  TrainingPlan plan;
  std::string sim_status;  // "" when not simulated
  double simulated_iteration_seconds = 0;
};

struct PlannerResult {
  std::string status = "infeasible";  // ok | infeasible | error
  std::string message;
  std::string planner, solver;
  // Of the chosen candidate, except "time_limit" (with the gap of the best
  // objective to the least bound) when any pair stopped at the time limit
  // with a bound below the best objective found.
  std::string solver_status;
  std::string confirm_collectives;  // flow | analytic: the confirming simulations' mode
  double gap = 0;
  TrainingPlan plan;
  double predicted_iteration_seconds = 0;
  double simulated_iteration_seconds = 0;
  double samples_per_second = 0;  // simulated
  double optimization_seconds = 0;  // search (and confirmation) wall clock
  double search_seconds = 0;        // of which the search (costing and solving the pairs)
  // Pairs with a compute bound within the final best (all solved) and beyond
  // it (skipped or discarded); pairs_solved_wall counts every pair actually
  // solved, which depends on thread timing.
  int pairs_total = 0, pairs_solved = 0, pairs_pruned = 0, pairs_solved_wall = 0;
  int max_strategies_per_layer = 0;
  double least_bytes_per_device = 0;  // when infeasible: states + activations fully sharded, full recomputation
  std::vector<Candidate> confirmed;   // simulated candidates, best first
  TrainingResult simulation;          // of the chosen plan
};

PlannerResult plan_training(const ModelGraph& m, const Cluster& c, const PlannerJob& job, const PlannerOptions& o);

Json planner_result_json(const PlannerResult& r);
// The run to record for a planner's outcome: the chosen plan's simulation
// when ok, else a run with the planner's status (infeasible | error) and
// message; metrics["planner"] holds planner_result_json(r).
RunRecord planner_run_record(const PlannerResult& r, const ModelGraph& m, const Cluster& c);

}  // namespace paralab::planner
