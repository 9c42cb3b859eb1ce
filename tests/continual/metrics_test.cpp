// Continual-learning metrics on an accuracy matrix computed by hand.
#include <gtest/gtest.h>

#include "continual/learner.h"
#include "core/error.h"

namespace paralab::continual {
namespace {

TEST(ContinualMetrics, HandComputedMatrix) {
  // a = [[0.9], [0.6, 0.8], [0.5, 0.7, 0.9]]
  // final: (0.5 + 0.7 + 0.9) / 3 = 0.7
  // average incremental: (0.9 + 0.7 + 0.7) / 3 = 0.766...
  // forgetting: task 0 best 0.9 -> 0.5 (0.4); task 1 best 0.8 -> 0.7 (0.1); mean 0.25
  const std::vector<std::vector<double>> a = {{0.9}, {0.6, 0.8}, {0.5, 0.7, 0.9}};
  EXPECT_NEAR(final_accuracy(a), 0.7, 1e-12);
  EXPECT_NEAR(average_incremental_accuracy(a), 2.3 / 3, 1e-12);
  EXPECT_NEAR(forgetting(a), 0.25, 1e-12);
  // Best accuracy is over any earlier step, not only the step the task was learnt.
  const std::vector<std::vector<double>> b = {{0.5}, {0.8, 1.0}, {0.6, 1.0, 1.0}};
  EXPECT_NEAR(forgetting(b), (0.2 + 0.0) / 2, 1e-12);
  EXPECT_EQ(forgetting({{0.9}}), 0.0);
}

TEST(ContinualMetrics, MethodNames) {
  EXPECT_EQ(parse_method("seq-lora"), Method::kSeqLora);
  EXPECT_EQ(method_name(Method::kJoint), "joint");
  try {
    parse_method("ewc");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "unknown continual-learning method 'ewc'; valid methods: inflora, seq-lora, seq-full, joint");
  }
}

}  // namespace
}  // namespace paralab::continual
