// The 530B and 1T rows of Korthikanti et al. 2022 (see korthikanti_test.cpp).
#include <gtest/gtest.h>

#include "tests/strategies/korthikanti_rows.h"

namespace paralab {
namespace {

TEST(KorthikantiSlow, Gpt530bFullRecompute) { expect_row(kRows[2], Recompute::kFull); }
TEST(KorthikantiSlow, Gpt530bSequenceParallelSelective) { expect_row(kRows[2], Recompute::kSelective); }
TEST(KorthikantiSlow, Gpt1tFullRecompute) { expect_row(kRows[3], Recompute::kFull); }
TEST(KorthikantiSlow, Gpt1tSequenceParallelSelective) { expect_row(kRows[3], Recompute::kSelective); }

}  // namespace
}  // namespace paralab
