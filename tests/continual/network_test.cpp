// Network gradients against central finite differences (an independent
// derivation of the same derivative), for every trainable kind, through the
// LoRA branch, the ReLUs, the feature normalisation and the heads.
#include "continual/network.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace paralab::continual {
namespace {

struct Fixture {
  Network net{{6, 5, 4}, 11};
  Matrix x{7, 6};
  std::vector<int> y;
  Fixture() {
    std::mt19937_64 rng(5);
    std::normal_distribution<double> n(0.0, 1.0);
    for (double& v : x.data) v = n(rng);
    net.add_head(2);
    net.add_head(3);
    for (int k = 0; k < 2; ++k)
      for (double& v : net.head(k).w.data) v = 0.5 * n(rng);
    for (int l = 0; l < 2; ++l) {
      Matrix a(net.layer(l).w.rows, 2), b(2, net.layer(l).w.cols);
      for (double& v : a.data) v = 0.3 * n(rng);
      for (double& v : b.data) v = 0.3 * n(rng);
      net.set_branch(l, a, b);
    }
    y = {0, 1, 2, 3, 4, 2, 0};
  }
};

// Max relative difference between analytic and numeric gradients of every
// trainable parameter.
double check(Trainable what, int head_lo, int head_hi, const std::vector<int>& labels) {
  Fixture f;
  f.net.loss_and_gradients(f.x, labels, head_lo, head_hi, what);
  // Copy every analytic gradient first: each numeric evaluation overwrites them.
  const auto params = f.net.parameters(what, head_lo, head_hi);
  std::vector<Matrix> analytic_all;
  for (const ParamRef& p : params) analytic_all.push_back(*p.grad);
  double worst = 0;
  for (size_t k = 0; k < params.size(); ++k) {
    const ParamRef& p = params[k];
    const Matrix& analytic = analytic_all[k];
    for (size_t i = 0; i < p.value->data.size(); ++i) {
      const double h = 1e-6, keep = p.value->data[i];
      p.value->data[i] = keep + h;
      const double up = f.net.loss_and_gradients(f.x, labels, head_lo, head_hi, what);
      p.value->data[i] = keep - h;
      const double down = f.net.loss_and_gradients(f.x, labels, head_lo, head_hi, what);
      p.value->data[i] = keep;
      const double numeric = (up - down) / (2 * h);
      const double rel = std::abs(numeric - analytic.data[i]) / std::max(1e-4, std::abs(numeric));
      worst = std::max(worst, rel);
    }
  }
  return worst;
}

TEST(ContinualNetwork, FullGradientsMatchFiniteDifferences) {
  EXPECT_LT(check(Trainable::kFull, 0, 2, {0, 1, 2, 3, 4, 2, 0}), 1e-5);
}

TEST(ContinualNetwork, LoraGradientsMatchFiniteDifferences) {
  EXPECT_LT(check(Trainable::kLoraAB, 0, 2, {0, 1, 2, 3, 4, 2, 0}), 1e-5);
  EXPECT_LT(check(Trainable::kLoraA, 1, 2, {2, 3, 4, 2, 3, 4, 4}), 1e-5);  // local cross-entropy, head 1
}

TEST(ContinualNetwork, MergingABranchKeepsTheFunction) {
  Fixture f;
  const Matrix before = f.net.forward(f.x).features;
  f.net.merge_branches();
  EXPECT_FALSE(f.net.layer(0).has_branch());
  const Matrix after = f.net.forward(f.x).features;
  for (size_t i = 0; i < before.data.size(); ++i) EXPECT_NEAR(before.data[i], after.data[i], 1e-12);
}

TEST(ContinualNetwork, PredictionIsArgmaxOverConcatenatedHeads) {
  Network net({2, 3}, 1);
  net.add_head(1);
  net.add_head(2);
  // Head 1, class 2 (global) wins for every input: bias 10.
  net.head(1).bias(0, 1) = 10;
  Matrix x(2, 2);
  x.data = {1, 0, 0, 1};
  EXPECT_EQ(net.predict(x, 2), (std::vector<int>{2, 2}));
  EXPECT_EQ(net.predict(x, 1), (std::vector<int>{0, 0}));  // only head 0 known
  EXPECT_DOUBLE_EQ(accuracy({2, 1, 2}, {2, 2, 2}), 2.0 / 3.0);
}

}  // namespace
}  // namespace paralab::continual
