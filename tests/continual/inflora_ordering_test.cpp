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

TEST(InfLoraOrderingFast, SyntheticTenClassesFiveTasks) {
  SyntheticSpec s;
  s.classes = 10;
  expect_inflora_beats_seq_lora(synthetic_dataset(s, 1), 1);
}

TEST(InfLoraOrderingFast, DigitsFiveTasks) {
  expect_inflora_beats_seq_lora(
      load_csv_dataset(std::string(PARALAB_SOURCE_DIR) + "/experiments/inflora/data/uci-digits.csv.gz"), 1);
}

}  // namespace
}  // namespace paralab::continual
