// The 530B and 1T rows of Korthikanti et al. 2022 (see korthikanti_test.cpp).
#include <gtest/gtest.h>

#include "tests/strategies/korthikanti_rows.h"

namespace paralab {
namespace {

// 530B with full recomputation is the one row outside 5% (+6.5%, README);
// its bound is 8% until the cost behind it is found.
TEST(KorthikantiSlow, Gpt530bFullRecompute) { EXPECT_LT(std::fabs(simulated_error(kRows[2], Recompute::kFull)), 0.05); }
TEST(KorthikantiSlow, Gpt530bSequenceParallelSelective) { EXPECT_LT(std::fabs(simulated_error(kRows[2], Recompute::kSelective)), 0.05); }
TEST(KorthikantiSlow, Gpt1tFullRecompute) { EXPECT_LT(std::fabs(simulated_error(kRows[3], Recompute::kFull)), 0.05); }
TEST(KorthikantiSlow, Gpt1tSequenceParallelSelective) { EXPECT_LT(std::fabs(simulated_error(kRows[3], Recompute::kSelective)), 0.05); }

}  // namespace
}  // namespace paralab
