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

namespace paralab::continual {
namespace {

void print_margin(const char* what, const ContinualResult& inf, const ContinualResult& seq) {
  std::printf("%s: final accuracy inflora %.4f seq-lora %.4f; forgetting inflora %.4f seq-lora %.4f\n", what,
              inf.final_accuracy, seq.final_accuracy, inf.forgetting, seq.forgetting);
}

void expect_inflora_beats_seq_lora(const Dataset& d, uint64_t seed) {
  const ClassIncremental b = split_class_incremental(d, 5, 1.0 / 3.0, seed);
  LearnerConfig c;
  c.seed = seed;
  const ContinualResult inf = run_continual(Method::kInfLora, b, c);
  const ContinualResult seq = run_continual(Method::kSeqLora, b, c);
  print_margin((d.name + " seed " + std::to_string(seed)).c_str(), inf, seq);
  EXPECT_GE(inf.final_accuracy, seq.final_accuracy + 0.05)
      << d.name << " seed " << seed << ": inflora " << inf.final_accuracy << ", seq-lora " << seq.final_accuracy;
  EXPECT_LT(inf.forgetting, seq.forgetting)
      << d.name << " seed " << seed << ": inflora " << inf.forgetting << ", seq-lora " << seq.forgetting;
}

TEST(InfLoraOrdering, SyntheticFiveTasksThreeSeeds) {
  for (uint64_t seed = 1; seed <= 3; ++seed) expect_inflora_beats_seq_lora(synthetic_dataset(SyntheticSpec{}, seed), seed);
}

TEST(InfLoraOrdering, DigitsFiveTasksThreeSeeds) {
  const Dataset d = load_csv_dataset(std::string(PARALAB_SOURCE_DIR) + "/experiments/inflora/data/uci-digits.csv.gz");
  for (uint64_t seed = 1; seed <= 3; ++seed) expect_inflora_beats_seq_lora(d, seed);
}

}  // namespace
}  // namespace paralab::continual
