// The one-seed fast version of inflora_ordering_slow_test.cpp (which runs
// three seeds at the experiment's sizes): on a 10-class synthetic benchmark
// and on the UCI digits, both in 5 tasks of 2 classes, InfLoRA's final
// class-incremental accuracy exceeds sequential LoRA fine-tuning's by at least
// 5 points and its forgetting is lower. Same network, rank, epochs, learning
// rate and batch order for both.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "continual/learner.h"
#include "tests/continual/inflora_ordering.h"

namespace paralab::continual {
namespace {

using testing::run_inflora_and_seq_lora;

// InfLoRA's final accuracy beats seq-lora's by >= 5 points, with less forgetting.
void check(const Dataset& d, uint64_t seed) {
  auto r = run_inflora_and_seq_lora(d, seed);
  EXPECT_GE(r.inflora.final_accuracy, r.seq_lora.final_accuracy + 0.05) << "seed " << seed;
  EXPECT_LT(r.inflora.forgetting, r.seq_lora.forgetting) << "seed " << seed;
}

TEST(InfLoraOrderingFast, SyntheticTenClassesFiveTasks) {
  SyntheticSpec s;
  s.classes = 10;
  check(synthetic_dataset(s, 1), 1);
}

TEST(InfLoraOrderingFast, DigitsFiveTasks) {
  check(
      load_csv_dataset(std::string(PARALAB_SOURCE_DIR) + "/experiments/inflora/data/uci-digits.csv.gz"), 1);
}

}  // namespace
}  // namespace paralab::continual
