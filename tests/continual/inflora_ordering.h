// The check shared by inflora_ordering_test.cpp (one seed) and
// inflora_ordering_slow_test.cpp (three seeds): on a 5-task class-incremental
// split, InfLoRA's final accuracy exceeds sequential LoRA's by at least 5
// points and its forgetting is lower (same network, rank, epochs, learning
// rate and batch order for both).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "continual/learner.h"

namespace paralab::continual::testing {

inline void print_margin(const char* what, const ContinualResult& inf, const ContinualResult& seq) {
  std::printf("%s: final accuracy inflora %.4f seq-lora %.4f; forgetting inflora %.4f seq-lora %.4f\n", what,
              inf.final_accuracy, seq.final_accuracy, inf.forgetting, seq.forgetting);
}

inline void expect_inflora_beats_seq_lora(const Dataset& d, uint64_t seed) {
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

}  // namespace paralab::continual::testing
