// Random UniAP instances for the solver tests (chains and DAGs with skip
// edges, GPipe or 1F1B in-flight counts, tight memory caps among them), and
// the agreement checks shared by the fast and slow tiers.
#pragma once

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "strategies/training/planners/dp_solver.h"
#include "strategies/training/planners/milp_solver.h"
#include "strategies/training/planners/plan_instance.h"
#include "strategies/training/planners/uniap_cost_model.h"

namespace paralab::planner::testing {

// A planner job of `batch` samples of `seq` tokens (names left empty).
inline PlannerJob batch_job(int64_t batch, int64_t seq) {
  PlannerJob job;
  job.global_batch = batch;
  job.seq_len = seq;
  return job;
}

// GPipe or 1F1B in-flight counts and per-stage caps, tight ones among them:
// from a fraction of one stage's fair share up to everything.
inline void add_memory(std::mt19937_64& rng, PlanInstance& in) {
  std::uniform_real_distribution<double> u01(0, 1);
  int n = in.num_layers(), S = in.num_stages;
  bool gpipe = u01(rng) < 0.5;
  double total = 0;
  for (int u = 0; u < n; ++u) total += in.state_bytes[u][0] + double(in.micro_batches) * in.act_bytes[u][0];
  for (int i = 0; i < S; ++i) {
    in.in_flight.push_back(gpipe ? double(in.micro_batches) : double(std::min<int64_t>(S - i, in.micro_batches)));
    double frac = u01(rng) < 0.4 ? 0.5 + 0.7 * u01(rng) : 3.0;
    in.capacity_bytes.push_back(frac * total / S);
  }
}

inline PlanInstance random_instance(std::mt19937_64& rng, bool dag) {
  std::uniform_int_distribution<int> nl(2, 6), kd(1, 3), cd(1, 8);
  std::uniform_real_distribution<double> t(0.1, 10.0), mem(1.0, 10.0), u01(0, 1);
  int n = nl(rng);
  int S = std::uniform_int_distribution<int>(1, std::min(n, 3))(rng);
  PlanInstance in;
  in.num_stages = S;
  in.micro_batches = cd(rng);
  std::vector<int> K(n);
  for (int u = 0; u < n; ++u) {
    K[u] = kd(rng);
    in.time_seconds.push_back({});
    in.state_bytes.push_back({});
    in.act_bytes.push_back({});
    for (int k = 0; k < K[u]; ++k) {
      in.time_seconds[u].push_back(t(rng));
      in.state_bytes[u].push_back(mem(rng));
      in.act_bytes[u].push_back(mem(rng) / 4);
    }
  }
  // Half the edges have matrices by strategy class (as the cost model's,
  // which depend on the TP degree and SP only): u's strategies fall into
  // two row classes, v's into two column classes, so the MILP's
  // class-pair variables stand for several strategy pairs.
  auto edge = [&](int u, int v) {
    EdgeCosts e;
    e.u = u, e.v = v;
    bool classed = u01(rng) < 0.5;
    std::vector<int> cu(K[u]), cv(K[v]);
    for (int& c : cu) c = classed ? int(u01(rng) < 0.5) : 0;
    for (int& c : cv) c = classed ? int(u01(rng) < 0.5) : 0;
    double r[2][2], x[2][2];
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) r[a][b] = u01(rng) < 0.3 ? 0.0 : t(rng) / 4, x[a][b] = t(rng) / 3;
    for (int k = 0; k < K[u]; ++k)
      for (int l = 0; l < K[v]; ++l) {
        e.same_stage.push_back(classed ? r[cu[k]][cv[l]] : u01(rng) < 0.3 ? 0.0 : t(rng) / 4);
        e.cross_stage.push_back(classed ? x[cu[k]][cv[l]] : t(rng) / 3);
      }
    in.edges.push_back(e);
  };
  for (int u = 0; u + 1 < n; ++u) edge(u, u + 1);
  if (dag)
    for (int extra = 0; extra < 2 && n >= 3; ++extra) {
      int u = std::uniform_int_distribution<int>(0, n - 3)(rng);
      int v = std::uniform_int_distribution<int>(u + 2, n - 1)(rng);
      edge(u, v);
    }
  add_memory(rng, in);
  return in;
}

// A Transformer-shaped random chain: a first layer, 2-5 identical middle
// layers whose edges share one pair of cost matrices (CostMatrix ids, as
// the cost model builds them), and a last layer; so the DP's walks from
// different starts are shared (forks) as on a real model.
inline PlanInstance random_repeated_instance(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> kd(1, 3), cd(1, 8), md(2, 5);
  std::uniform_real_distribution<double> t(0.1, 10.0), mem(1.0, 10.0), u01(0, 1);
  int mid = md(rng), n = mid + 2;
  int S = std::uniform_int_distribution<int>(1, std::min(n, 3))(rng);
  PlanInstance in;
  in.num_stages = S;
  in.micro_batches = cd(rng);
  int kinds[3] = {kd(rng), kd(rng), kd(rng)};  // first, middle, last
  auto costs = [&](int K) {
    std::vector<std::vector<double>> v(3);
    for (int k = 0; k < K; ++k) v[0].push_back(t(rng)), v[1].push_back(mem(rng)), v[2].push_back(mem(rng) / 4);
    return v;
  };
  auto matrix = [&](int Ku, int Kv, bool same) {
    std::vector<double> x;
    for (int q = 0; q < Ku * Kv; ++q) x.push_back(same ? (u01(rng) < 0.3 ? 0.0 : t(rng) / 4) : t(rng) / 3);
    return CostMatrix(x);
  };
  std::vector<std::vector<double>> c0 = costs(kinds[0]), c1 = costs(kinds[1]), c2 = costs(kinds[2]);
  for (int u = 0; u < n; ++u) {
    const auto& c = u == 0 ? c0 : u + 1 == n ? c2 : c1;
    in.time_seconds.push_back(c[0]);
    in.state_bytes.push_back(c[1]);
    in.act_bytes.push_back(c[2]);
  }
  CostMatrix r01 = matrix(kinds[0], kinds[1], true), x01 = matrix(kinds[0], kinds[1], false);
  CostMatrix r11 = matrix(kinds[1], kinds[1], true), x11 = matrix(kinds[1], kinds[1], false);
  CostMatrix r12 = matrix(kinds[1], kinds[2], true), x12 = matrix(kinds[1], kinds[2], false);
  for (int u = 0; u + 1 < n; ++u) {
    EdgeCosts e;
    e.u = u, e.v = u + 1;
    e.same_stage = u == 0 ? r01 : u + 2 == n ? r12 : r11;
    e.cross_stage = u == 0 ? x01 : u + 2 == n ? x12 : x11;
    in.edges.push_back(e);
  }
  add_memory(rng, in);
  return in;
}

inline void expect_same(double want, double got, const std::string& what) {
  if (want == kInf) {
    EXPECT_EQ(got, kInf) << what;
    return;
  }
  EXPECT_NEAR(got, want, 1e-9 * want) << what;
}


// The DP told an upper bound U: the optimum when U >= it, "cutoff" below;
// the objective lower bound never exceeds the optimum.
inline void check_bounds(const PlanInstance& in, double optimum, const std::string& what) {
  EXPECT_LE(objective_lower_bound(in), optimum) << what;
  DpOptions at;
  at.upper_bound_seconds = optimum;
  SolveResult r = solve_dp(in, at);
  EXPECT_EQ(r.status, "optimal") << what << " U = optimum";
  expect_same(optimum, r.objective_seconds, what + " U = optimum");
  DpOptions below;
  below.upper_bound_seconds = optimum * (1 - 1e-6);
  EXPECT_EQ(solve_dp(in, below).status, "cutoff") << what << " U below the optimum";
}

// `count` random chains: DP, MILP and brute force agree to 1e-9 relative
// (every other chain Transformer-shaped, with shared matrices).
inline void check_random_chains(uint64_t seed, int count, int min_infeasible, int min_multi_stage) {
  std::mt19937_64 rng(seed);
  int infeasible = 0, multi_stage = 0;
  for (int trial = 0; trial < count; ++trial) {
    PlanInstance in = trial % 2 ? random_repeated_instance(rng) : random_instance(rng, false);
    ASSERT_TRUE(in.is_chain());
    BruteForceResult bf = brute_force(in);
    SolveResult dp = solve_dp(in), milp = solve_milp(in);
    std::string what = "chain " + std::to_string(trial);
    if (bf.objective_seconds == kInf) {
      infeasible++;
      EXPECT_EQ(dp.status, "infeasible") << what;
      EXPECT_EQ(milp.status, "infeasible") << what;
      continue;
    }
    multi_stage += in.num_stages > 1;
    ASSERT_EQ(dp.status, "optimal") << what << " " << dp.message;
    ASSERT_EQ(milp.status, "optimal") << what << " " << milp.message;
    expect_same(bf.objective_seconds, dp.objective_seconds, what + " dp");
    expect_same(bf.objective_seconds, milp.objective_seconds, what + " milp");
    check_bounds(in, bf.objective_seconds, what);
  }
  // The generator must exercise both tight caps and pipelines.
  EXPECT_GE(infeasible, min_infeasible);
  EXPECT_GE(multi_stage, min_multi_stage);
}

// `count` random DAGs (not chains): MILP and brute force agree; DP refuses.
inline void check_random_dags(uint64_t seed, int count) {
  std::mt19937_64 rng(seed);
  int dags = 0;
  while (dags < count) {
    PlanInstance in = random_instance(rng, true);
    if (in.is_chain()) continue;
    dags++;
    BruteForceResult bf = brute_force(in);
    SolveResult milp = solve_milp(in);
    std::string what = "dag " + std::to_string(dags);
    EXPECT_EQ(solve_dp(in).status, "error") << what;
    if (bf.objective_seconds == kInf) {
      EXPECT_EQ(milp.status, "infeasible") << what;
      continue;
    }
    ASSERT_EQ(milp.status, "optimal") << what;
    expect_same(bf.objective_seconds, milp.objective_seconds, what);
  }
}

}  // namespace paralab::planner::testing
