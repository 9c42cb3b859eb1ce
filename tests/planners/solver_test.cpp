// The exact DP, the MILP (CBC) and brute-force enumeration on small UniAP
// instances: hand-derived optima, memory caps, 200 random chains and 50
// random DAGs on which all solvers must agree to 1e-9 relative.
#include <gtest/gtest.h>

#include <random>

#include "strategies/training/planners/dp_solver.h"
#include "strategies/training/planners/milp_solver.h"
#include "strategies/training/planners/plan_instance.h"
#include "tests/planners/random_instances.h"

namespace paralab::planner {
namespace {

PlanInstance uniform(int n, int S, int K, int64_t c) {
  PlanInstance in;
  in.num_stages = S;
  in.micro_batches = c;
  in.time_seconds.assign(n, std::vector<double>(K, 1.0));
  in.state_bytes.assign(n, std::vector<double>(K, 0.0));
  in.act_bytes.assign(n, std::vector<double>(K, 0.0));
  for (int u = 0; u + 1 < n; ++u) {
    EdgeCosts e;
    e.u = u, e.v = u + 1;
    e.same_stage.assign(size_t(K) * K, 0.0);
    e.cross_stage.assign(size_t(K) * K, 0.0);
    in.edges.push_back(e);
  }
  in.in_flight.assign(S, double(c));
  in.capacity_bytes.assign(S, 1e30);
  return in;
}

// Three layers A = 1, 2, 3 on two stages, c = 4, crossing 0.5 either way:
//   split {0}{1,2}: p = (1, 5), o = 0.5 -> 1 + 5 + 0.5 + 3 * 5 = 21.5
//   split {0,1}{2}: p = (3, 3), o = 0.5 -> 3 + 3 + 0.5 + 3 * 3 = 15.5
TEST(PlannerSolvers, HandDerivedTwoStageSplit) {
  PlanInstance in = uniform(3, 2, 1, 4);
  in.time_seconds = {{1}, {2}, {3}};
  for (auto& e : in.edges) e.cross_stage = {0.5};
  for (auto r : {solve_dp(in), solve_milp(in)}) {
    ASSERT_EQ(r.status, "optimal") << r.message;
    EXPECT_DOUBLE_EQ(r.objective_seconds, 15.5);
    EXPECT_EQ(r.assignment.stage, (std::vector<int>{0, 0, 1}));
  }
}

// Two layers, one stage, two strategies: fast (A = 1, 10 bytes) and lean
// (A = 3, 4 bytes); switching strategy between the layers costs 0.5.
// Capacity 20 lets both run fast: 2 (c = 1). Capacity 14 allows one fast
// layer: 1 + 0.5 + 3 = 4.5. Capacity 8: both lean, 6. Capacity 7: none.
TEST(PlannerSolvers, HandDerivedMemoryCap) {
  PlanInstance in = uniform(2, 1, 2, 1);
  in.time_seconds = {{1, 3}, {1, 3}};
  in.state_bytes = {{10, 4}, {10, 4}};
  in.edges[0].same_stage = {0, 0.5, 0.5, 0};
  for (auto [cap, want] : std::vector<std::pair<double, double>>{{20, 2}, {14, 4.5}, {8, 6}}) {
    in.capacity_bytes = {cap};
    for (auto r : {solve_dp(in), solve_milp(in)}) {
      ASSERT_EQ(r.status, "optimal") << "cap " << cap;
      EXPECT_DOUBLE_EQ(r.objective_seconds, want) << "cap " << cap;
    }
  }
  in.capacity_bytes = {7};
  EXPECT_EQ(solve_dp(in).status, "infeasible");
  EXPECT_EQ(solve_milp(in).status, "infeasible");
  EXPECT_EQ(brute_force(in).objective_seconds, kInf);
}

// 1F1B-style in_flight: stage 0 holds 2 micro-batches, stage 1 one; the
// activations (5 bytes per micro-batch per layer) fit the cap of 12 only
// if stage 0 has one layer: {0}{1,2} (1 x 5 x 2 = 10 and 2 x 5 x 1 = 10).
TEST(PlannerSolvers, InFlightPerStageDecidesTheSplit) {
  PlanInstance in = uniform(3, 2, 1, 2);
  in.act_bytes = {{5}, {5}, {5}};
  in.in_flight = {2, 1};
  in.capacity_bytes = {12, 12};
  for (auto r : {solve_dp(in), solve_milp(in)}) {
    ASSERT_EQ(r.status, "optimal");
    EXPECT_EQ(r.assignment.stage, (std::vector<int>{0, 1, 1}));
    // p = (1, 2), o = 0: 1 + 2 + 1 * 2 = 5.
    EXPECT_DOUBLE_EQ(r.objective_seconds, 5.0);
  }
}

TEST(PlannerSolvers, RandomChainsAgreeQuick) { testing::check_random_chains(11, 25, 1, 5); }
TEST(PlannerSolvers, RandomDagsAgreeQuick) { testing::check_random_dags(12, 8); }

TEST(PlannerSolvers, DpNamesMilpForDags) {
  PlanInstance in = uniform(3, 1, 1, 1);
  EdgeCosts skip;
  skip.u = 0, skip.v = 2, skip.same_stage = {0}, skip.cross_stage = {0};
  in.edges.push_back(skip);
  SolveResult r = solve_dp(in);
  EXPECT_EQ(r.status, "error");
  EXPECT_NE(r.message.find("--solver milp"), std::string::npos) << r.message;
}

TEST(PlannerSolvers, FixedStageStartsRestrictTheSplit) {
  PlanInstance in = uniform(3, 2, 1, 4);
  in.time_seconds = {{1}, {2}, {3}};
  for (auto& e : in.edges) e.cross_stage = {0.5};
  DpOptions o;
  o.stage_starts = {0, 1};  // forces {0}{1,2}: 21.5 (see HandDerivedTwoStageSplit)
  SolveResult r = solve_dp(in, o);
  ASSERT_EQ(r.status, "optimal");
  EXPECT_DOUBLE_EQ(r.objective_seconds, 21.5);
}

}  // namespace
}  // namespace paralab::planner
