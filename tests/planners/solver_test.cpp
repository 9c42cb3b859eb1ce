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

// The memory-aware bound, by hand: two layers, one stage, c = 1, strategies
// fast (A = 1, 10 bytes) and lean (A = 3, 4 bytes), capacity 14. Compute
// alone bounds 1 + 1 = 2. With memory: sum bytes <= 14, and the dual
// 2 min(1 + 10 L, 3 + 4 L) - 14 L peaks where 1 + 10 L = 3 + 4 L, L = 1/3:
// 2 (13/3) - 14/3 = 4, the optimum found in HandDerivedMemoryCap (one fast
// layer and one lean, no switching cost here): 1 + 3 = 4.
TEST(PlannerSolvers, MemoryAwareLowerBoundByHand) {
  PlanInstance in = uniform(2, 1, 2, 1);
  in.time_seconds = {{1, 3}, {1, 3}};
  in.state_bytes = {{10, 4}, {10, 4}};
  in.capacity_bytes = {1e30};
  EXPECT_NEAR(objective_lower_bound(in), 2.0, 1e-8);
  in.capacity_bytes = {14};
  EXPECT_NEAR(objective_lower_bound(in), 4.0, 1e-8);
  // Capacity 7 < the least bytes 8: no plan can fit.
  in.capacity_bytes = {7};
  EXPECT_EQ(objective_lower_bound(in), kInf);
}

// A Transformer-like chain of 12 identical layers whose edges share one
// matrix pair, on 3 stages: the DP's shared walks (forks) give the optimum
// brute force finds. Two strategies: A = 1 (8 bytes) and A = 2 (3 bytes),
// switching within a stage costs 0.25, crossing 0.1; c = 6; 40 bytes per
// stage. By hand: 4 layers per stage is the balanced split; a stage of 4
// fast layers needs 32 bytes (fits), so every stage is 4 fast layers:
// p = 4, o = 0.1: 3 x 4 + 2 x 0.1 + 5 x 4 = 32.2.
TEST(PlannerSolvers, IdenticalLayersShareWalks) {
  PlanInstance in = uniform(12, 3, 2, 6);
  in.time_seconds.assign(12, {1, 2});
  in.state_bytes.assign(12, {8, 3});
  CostMatrix same({0, 0.25, 0.25, 0}), cross({0.1, 0.1, 0.1, 0.1});
  for (auto& e : in.edges) e.same_stage = same, e.cross_stage = cross;
  in.capacity_bytes.assign(3, 40);
  SolveResult r = solve_dp(in);
  ASSERT_EQ(r.status, "optimal") << r.message;
  EXPECT_NEAR(r.objective_seconds, 32.2, 1e-12);
  EXPECT_EQ(r.assignment.stage, (std::vector<int>{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}));
  // 30 bytes per stage: four fast layers (32) no longer fit, so stages mix
  // strategies and pay switches; brute force (2^12 x 55 assignments) is the
  // reference.
  in.capacity_bytes.assign(3, 30);
  EXPECT_NEAR(solve_dp(in).objective_seconds, brute_force(in).objective_seconds, 1e-12);
}

// Strategy pairs by class. Two layers, one stage, c = 1, four strategies
// each; switching between an even and an odd strategy costs 2 (R), crossing
// costs 0.5 (R'), so u's rows and v's columns fall into two classes each.
// By hand: A0 = {3, 1, 2.5, 1.5}, A1 = {1, 3, 1.5, 2}; the cheapest pairs
// are (1, 3) = 1 + 2 = 3 (both odd), (2, 0) = 3.5, (3, 3) = 3.5, and (1, 0)
// = 1 + 1 + 2 = 4 across classes: the optimum is 3 at (1, 3). Columns: P 2,
// S 8, x 8, T 1, w 1, e 2 x 2 = 4 (16 with one per strategy pair), r 1 = 25.
TEST(PlannerSolvers, MilpCarriesAnEdgeByStrategyClasses) {
  PlanInstance in = uniform(2, 1, 4, 1);
  in.time_seconds = {{3, 1, 2.5, 1.5}, {1, 3, 1.5, 2}};
  std::vector<double> same;
  for (int k = 0; k < 4; ++k)
    for (int l = 0; l < 4; ++l) same.push_back(k % 2 == l % 2 ? 0.0 : 2.0);
  in.edges[0].same_stage = same;
  in.edges[0].cross_stage.assign(16, 0.5);
  SolveResult r = solve_milp(in);
  ASSERT_EQ(r.status, "optimal") << r.message;
  EXPECT_NEAR(r.objective_seconds, 3.0, 1e-12);
  EXPECT_EQ(r.assignment.strategy, (std::vector<int>{1, 3}));
  EXPECT_EQ(r.columns, 25);
}

// A DAG's chain relaxation (skip edges dropped) bounds it from below and
// gives CBC its first plan. Three layers on one stage, c = 1, A0 = A1 =
// {1, 1}, A2 = {1, 1.5}, chain edges free, skip edge (0, 2) costing R0.
// The relaxation's optimum is 3, at strategy 0 for layer 2.
//  - R0 charges 3 whenever layer 2 takes strategy 0: that plan costs 6 on
//    the DAG, and the optimum is strategy 1 for layer 2: 1 + 1 + 1.5 = 3.5
//    (CBC has to find it).
//  - R0 charges 3 whenever layer 2 takes strategy 1: the relaxation's plan
//    costs 3 on the DAG too, equal to the bound, so it is optimal without
//    CBC (no model built: 0 columns).
TEST(PlannerSolvers, MilpStartsADagFromItsChainRelaxation) {
  for (bool costly_start : {true, false}) {
    PlanInstance in = uniform(3, 1, 2, 1);
    in.time_seconds[2] = {1, 1.5};
    EdgeCosts skip;
    skip.u = 0, skip.v = 2;
    skip.same_stage = costly_start ? std::vector<double>{3, 0, 3, 0} : std::vector<double>{0, 3, 0, 3};
    skip.cross_stage.assign(4, 0.0);
    in.edges.push_back(skip);
    SolveResult r = solve_milp(in);
    ASSERT_EQ(r.status, "optimal") << r.message;
    EXPECT_NEAR(r.objective_seconds, costly_start ? 3.5 : 3.0, 1e-12);
    EXPECT_EQ(r.assignment.strategy[2], costly_start ? 1 : 0);
    EXPECT_NEAR(r.objective_seconds, brute_force(in).objective_seconds, 1e-12);
    if (costly_start) EXPECT_GT(r.columns, 0);
    else EXPECT_EQ(r.columns, 0);
  }
}

// A DAG without the edge (0, 1) (two inputs feeding layer 2): its chain
// relaxation adds (0, 1) with zero costs. Two stages, c = 2, two strategies;
// the MILP (with that relaxation's start and bound) agrees with brute force.
TEST(PlannerSolvers, MilpOnADagMissingAChainEdge) {
  PlanInstance in = uniform(3, 2, 2, 2);
  in.edges.clear();
  in.time_seconds = {{1, 2}, {2, 1}, {1.5, 1}};
  for (auto [u, v] : {std::pair{0, 2}, std::pair{1, 2}}) {
    EdgeCosts e;
    e.u = u, e.v = v;
    e.same_stage = std::vector<double>{0, 0.7, 0.4, 0};
    e.cross_stage = std::vector<double>{0.3, 0.5, 0.2, 0.6};
    in.edges.push_back(e);
  }
  ASSERT_FALSE(in.is_chain());
  SolveResult r = solve_milp(in);
  ASSERT_EQ(r.status, "optimal") << r.message;
  EXPECT_NEAR(r.objective_seconds, brute_force(in).objective_seconds, 1e-12);
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
