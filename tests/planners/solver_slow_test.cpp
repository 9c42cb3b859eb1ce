// The full agreement runs (slow tier): 200 random chains on which the exact
// DP, the MILP (CBC) and brute force agree to 1e-9 relative, and 50 random
// DAGs on which the MILP and brute force agree.
#include <gtest/gtest.h>

#include "tests/planners/random_instances.h"

namespace paralab::planner {
namespace {

TEST(PlannerSolversSlow, TwoHundredRandomChainsAgree) { testing::check_random_chains(20250713, 200, 5, 60); }
TEST(PlannerSolversSlow, FiftyRandomDagsAgree) { testing::check_random_dags(7, 50); }

}  // namespace
}  // namespace paralab::planner
