// The claim the experiment shows, as a test: on the synthetic benchmark
// (5 tasks) and on the UCI digits (5 tasks of 2 classes), for each of three
// seeds, InfLoRA's final class-incremental accuracy exceeds sequential LoRA
// fine-tuning's by at least 5 points and its forgetting is lower. Same
// network, rank, epochs, learning rate and batch order for both. (About 10 s
// of CPU: the slow tier; inflora_ordering_test.cpp is the one-seed fast check.)
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "continual/learner.h"
#include "tests/continual/inflora_ordering.h"

namespace paralab::continual {
namespace {

using testing::run_inflora_and_seq_lora;

TEST(InfLoraOrdering, SyntheticFiveTasksThreeSeeds) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    auto r = run_inflora_and_seq_lora(synthetic_dataset(SyntheticSpec{}, seed), seed);
    EXPECT_GE(r.inflora.final_accuracy, r.seq_lora.final_accuracy + 0.05) << "seed " << seed;
    EXPECT_LT(r.inflora.forgetting, r.seq_lora.forgetting) << "seed " << seed;
  }
}

TEST(InfLoraOrdering, DigitsFiveTasksThreeSeeds) {
  const Dataset d = load_csv_dataset(std::string(PARALAB_SOURCE_DIR) + "/experiments/inflora/data/uci-digits.csv.gz");
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    auto r = run_inflora_and_seq_lora(d, seed);
    EXPECT_GE(r.inflora.final_accuracy, r.seq_lora.final_accuracy + 0.05) << "seed " << seed;
    EXPECT_LT(r.inflora.forgetting, r.seq_lora.forgetting) << "seed " << seed;
  }
}

}  // namespace
}  // namespace paralab::continual
