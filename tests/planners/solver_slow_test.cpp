// The full agreement runs (slow tier): 200 random chains on which the exact
// DP, the MILP (CBC) and brute force agree to 1e-9 relative, and 50 random
// DAGs on which the MILP and brute force agree.
#include <gtest/gtest.h>

#include "tests/planners/random_instances.h"

namespace paralab::planner {
namespace {

// The helpers EXPECT agreement instance by instance; each test also asserts
// that the whole sweep ran without one disagreement.
TEST(PlannerSolversSlow, TwoHundredRandomChainsAgree) {
  testing::check_random_chains(20250713, 200, 5, 60);
  EXPECT_FALSE(HasFailure()) << "DP, MILP and brute force disagree on some of the 200 chains (see above)";
}

TEST(PlannerSolversSlow, FiftyRandomDagsAgree) {
  testing::check_random_dags(7, 50);
  EXPECT_FALSE(HasFailure()) << "MILP and brute force disagree on some of the 50 DAGs (see above)";
}

}  // namespace
}  // namespace paralab::planner
