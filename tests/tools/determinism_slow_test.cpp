// Determinism across UniAP's two exact solvers (strategies/training/planners:
// dp and milp): each plan simulates to identical JSON and traces run to run,
// and the two plans simulate identically. Slow tier: the MILP solve takes
// about a minute on two loaded cores.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "tests/tools/determinism.h"

namespace paralab {
namespace {

using nlohmann::json;
using paralab::testing::run_paralab;
using paralab::testing::run_twice;
using paralab::testing::tmp;
using paralab::testing::without_run_ids_and_timing;

TEST(DeterminismSlow, BothUniapSolversPlansSimulateIdentically) {
  std::string plans[2] = {tmp("dp.json"), tmp("milp.json")};
  const char* solvers[2] = {"dp", "milp"};
  for (int i = 0; i < 2; ++i) {
    auto r = run_paralab("plan train --model bert-huge --cluster commodity-2x4-10gbe --global-batch 16 --seq 512 "
                         "--planner uniap --solver " + std::string(solvers[i]) + " --db " + tmp("runs.db") + " -o " +
                         plans[i]);
    ASSERT_EQ(r.exit_code, 0) << solvers[i] << ": " << r.err;
  }
  // Both solve the same MIQP to optimality; they may break ties differently
  // (sequence parallelism of a layer it does not change), but the plans
  // must then cost the same: identical simulations.
  json a = without_run_ids_and_timing(run_twice("simulate --plan " + plans[0], true, "dp"));
  json b = without_run_ids_and_timing(run_twice("simulate --plan " + plans[1], true, "milp"));
  a.erase("config");  // names the plan file
  b.erase("config");
  EXPECT_EQ(a.dump(2), b.dump(2));
  for (const auto& p : plans) std::remove(p.c_str());
}

}  // namespace
}  // namespace paralab
