// The InfLoRA mechanism, checked directly:
// 1. interference-freeness: after learning task t, every layer maps inputs
//    lying in the stored old-task subspace exactly as before (the weight
//    change A_t B_t has rows in rowspace(B_t), orthogonal to that subspace),
//    while a random B_t changes those outputs materially;
// 2. Proposition 1 of the paper: one SGD step on A_t changes W_t by
//    Delta_A B_t = Delta_W B_t^T B_t, the full-weight step projected on
//    rowspace(B_t) (an identity that holds for any loss; checked numerically).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "continual/learner.h"

namespace paralab::continual {
namespace {

ClassIncremental small_benchmark() {
  SyntheticSpec s;
  s.classes = 10;
  s.samples_per_class = 60;
  return split_class_incremental(synthetic_dataset(s, 2), 5, 1.0 / 3.0, 2);
}

LearnerConfig small_config(bool random_b) {
  LearnerConfig c;
  c.hidden = {48, 48};
  c.rank = 6;
  c.epochs = 5;
  c.random_reduction = random_b;
  return c;
}

double relative_change(const Matrix& after, const Matrix& before) {
  Matrix diff = after;
  for (size_t i = 0; i < diff.data.size(); ++i) diff.data[i] -= before.data[i];
  return frobenius_norm(diff) / frobenius_norm(before);
}

struct Changes {
  double old_subspace = 0;  // largest relative change of outputs on the stored old-task subspace
  double new_task = 0;      // smallest relative change of outputs on the new task's own inputs
};

// Over layers and tasks 1..T-1: how much each layer's outputs moved while
// learning task t, on inputs drawn from the subspace stored before task t, and
// on task t's training inputs (the weights did move there).
Changes changes_while_learning(bool random_b) {
  const SingleThreadedBlas one_thread;
  const ClassIncremental b = small_benchmark();
  ContinualLearner learner(Method::kInfLora, b.input_dim, small_config(random_b));
  learner.learn_task(b, 0);
  std::mt19937_64 rng(9);
  std::normal_distribution<double> n(0.0, 1.0);
  Changes out{0, 1e300};
  for (int t = 1; t < static_cast<int>(b.tasks.size()); ++t) {
    std::vector<Matrix> probes, before, new_inputs, new_before;
    const auto act = learner.network().forward(b.tasks[static_cast<size_t>(t)].train_x);
    for (int l = 0; l < learner.network().layers(); ++l) {
      const Matrix& m = learner.memory(l).basis();  // d x k
      EXPECT_GT(m.cols, 0);
      Matrix coeff(16, m.cols);
      for (double& v : coeff.data) v = n(rng);
      probes.push_back(matmul(coeff, false, m, true));  // 16 x d, rows in span(M)
      before.push_back(learner.network().layer_output(l, probes.back()));
      new_inputs.push_back(act.inputs[static_cast<size_t>(l)]);
      new_before.push_back(learner.network().layer_output(l, new_inputs.back()));
    }
    learner.learn_task(b, t);
    for (int l = 0; l < learner.network().layers(); ++l) {
      EXPECT_EQ(learner.last_reduction(l).rows, 6) << "B_t of layer " << l << " lost rows";
      out.old_subspace = std::max(out.old_subspace, relative_change(learner.network().layer_output(l, probes[static_cast<size_t>(l)]),
                                                                    before[static_cast<size_t>(l)]));
      out.new_task = std::min(out.new_task, relative_change(learner.network().layer_output(l, new_inputs[static_cast<size_t>(l)]),
                                                            new_before[static_cast<size_t>(l)]));
    }
  }
  return out;
}

TEST(InfLoraMechanism, OldSubspaceOutputsUnchanged) {
  const Changes c = changes_while_learning(false);
  std::printf("designed B_t: old-subspace change %.3g, new-task change %.3g\n", c.old_subspace, c.new_task);
  EXPECT_LT(c.old_subspace, 1e-6);
  EXPECT_GT(c.new_task, 1e-3);  // not vacuous: the layer did learn the new task
}

TEST(InfLoraMechanism, RandomReductionInterferes) {
  // The same training with B_t random instead of designed: the outputs on the
  // old subspace move by orders of magnitude more than rounding.
  const Changes c = changes_while_learning(true);
  std::printf("random B_t: old-subspace change %.3g, new-task change %.3g\n", c.old_subspace, c.new_task);
  EXPECT_GT(c.old_subspace, 1e-3);
}

TEST(InfLoraMechanism, StepOnAEqualsProjectedStepOnW) {
  const SingleThreadedBlas one_thread;
  const ClassIncremental b = small_benchmark();
  Network net({b.input_dim, 32, 32}, 4);
  net.add_head(b.tasks[0].num_classes);
  net.add_head(b.tasks[1].num_classes);
  // Non-zero head weights (a zero head passes no gradient to the backbone).
  for (size_t i = 0; i < net.head(1).w.data.size(); ++i) net.head(1).w.data[i] = 0.1 * std::cos(0.7 * double(i));
  // B_t of each layer as InfLoRA designs it for task 1, against a stored
  // subspace from task 0; A_t = 0 as at the start of a task, then also a
  // non-zero A_t (the identity holds at every point of training).
  const auto act0 = net.forward(b.tasks[0].train_x);
  const auto act1 = net.forward(b.tasks[1].train_x);
  for (int l = 0; l < net.layers(); ++l) {
    DualGpmMemory mem(net.layer(l).w.cols);
    mem.update(gram(act0.inputs[static_cast<size_t>(l)]), 0.95);
    const Matrix bt = design_reduction(gram(act1.inputs[static_cast<size_t>(l)]), mem.basis(), 5, 1 / std::sqrt(3.0));
    net.set_branch(l, Matrix(net.layer(l).w.rows, bt.rows), bt);
  }
  const double lr = 0.1;
  for (int trial = 0; trial < 2; ++trial) {
    if (trial == 1)
      for (int l = 0; l < net.layers(); ++l)
        for (size_t i = 0; i < net.layer(l).a.data.size(); ++i) net.layer(l).a.data[i] = 0.01 * std::sin(1.0 + double(i));
    net.loss_and_gradients(b.tasks[1].train_x, b.tasks[1].train_y, 1, 2, Trainable::kLoraA);
    net.loss_and_gradients(b.tasks[1].train_x, b.tasks[1].train_y, 1, 2, Trainable::kFull);
    for (int l = 0; l < net.layers(); ++l) {
      const Layer& L = net.layer(l);
      Matrix step_a = L.grad_a;  // Delta_A = -lr dL/dA
      for (double& v : step_a.data) v *= -lr;
      const Matrix via_a = matmul(step_a, false, L.b, false);  // Delta_A B_t
      Matrix step_w = L.grad_w;  // Delta_W = -lr dL/dW
      for (double& v : step_w.data) v *= -lr;
      const Matrix projected = matmul(matmul(step_w, false, L.b, true), false, L.b, false);  // Delta_W B^T B
      Matrix diff = via_a;
      for (size_t i = 0; i < diff.data.size(); ++i) diff.data[i] -= projected.data[i];
      ASSERT_GT(frobenius_norm(projected), 0);
      EXPECT_LT(frobenius_norm(diff) / frobenius_norm(projected), 1e-12) << "layer " << l << " trial " << trial;
    }
  }
}

}  // namespace
}  // namespace paralab::continual
