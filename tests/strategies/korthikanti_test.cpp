// Agreement with Korthikanti et al. 2022 (arXiv 2205.05198), Table 3 / 4:
// Selene DGX-A100 80 GB, sequence 2048, vocabulary 51200, dp 1, TP 8.
// Expected iteration times are the published figures; tolerance 15%.
// The 530B and 1T rows are in korthikanti_slow_test.cpp.
#include <gtest/gtest.h>

#include "tests/strategies/korthikanti_rows.h"

namespace paralab {
namespace {

TEST(Korthikanti, Gpt22bFullRecompute) { expect_row(kRows[0], Recompute::kFull); }
TEST(Korthikanti, Gpt22bSequenceParallelSelective) { expect_row(kRows[0], Recompute::kSelective); }
TEST(Korthikanti, Gpt175bFullRecompute) { expect_row(kRows[1], Recompute::kFull); }
TEST(Korthikanti, Gpt175bSequenceParallelSelective) { expect_row(kRows[1], Recompute::kSelective); }

}  // namespace
}  // namespace paralab
