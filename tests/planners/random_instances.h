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

namespace paralab::planner::testing {

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
  auto edge = [&](int u, int v) {
    EdgeCosts e;
    e.u = u, e.v = v;
    for (int k = 0; k < K[u]; ++k)
      for (int l = 0; l < K[v]; ++l) {
        e.same_stage.push_back(u01(rng) < 0.3 ? 0.0 : t(rng) / 4);
        e.cross_stage.push_back(t(rng) / 3);
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
  bool gpipe = u01(rng) < 0.5;
  double total = 0;
  for (int u = 0; u < n; ++u) total += in.state_bytes[u][0] + in.micro_batches * in.act_bytes[u][0];
  for (int i = 0; i < S; ++i) {
    in.in_flight.push_back(gpipe ? double(in.micro_batches) : double(std::min<int64_t>(S - i, in.micro_batches)));
    // Tight caps among them: from a fraction of one stage's fair share up to everything.
    double frac = u01(rng) < 0.4 ? 0.5 + 0.7 * u01(rng) : 3.0;
    in.capacity_bytes.push_back(frac * total / S);
  }
  return in;
}

inline void expect_same(double want, double got, const std::string& what) {
  if (want == kInf) {
    EXPECT_EQ(got, kInf) << what;
    return;
  }
  EXPECT_NEAR(got, want, 1e-9 * want) << what;
}


// `count` random chains: DP, MILP and brute force agree to 1e-9 relative.
inline void check_random_chains(uint64_t seed, int count, int min_infeasible, int min_multi_stage) {
  std::mt19937_64 rng(seed);
  int infeasible = 0, multi_stage = 0;
  for (int trial = 0; trial < count; ++trial) {
    PlanInstance in = random_instance(rng, false);
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
