// The check shared by inflora_ordering_test.cpp (one seed) and
// inflora_ordering_slow_test.cpp (three seeds): on a 5-task class-incremental
// split, InfLoRA's final accuracy exceeds sequential LoRA's by at least 5
// points and its forgetting is lower (same network, rank, epochs, learning
// rate and batch order for both); each test states the assertions.
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

struct InfLoraVsSeqLora {
  ContinualResult inflora, seq_lora;
};

// Runs both methods on a 5-task split of `d` (same network, rank, epochs,
// learning rate and batch order) and prints the margins; the callers assert.
inline InfLoraVsSeqLora run_inflora_and_seq_lora(const Dataset& d, uint64_t seed) {
  const ClassIncremental b = split_class_incremental(d, 5, 1.0 / 3.0, seed);
  LearnerConfig c;
  c.seed = seed;
  InfLoraVsSeqLora r{run_continual(Method::kInfLora, b, c), run_continual(Method::kSeqLora, b, c)};
  print_margin((d.name + " seed " + std::to_string(seed)).c_str(), r.inflora, r.seq_lora);
  return r;
}

}  // namespace paralab::continual::testing
