// ContinualLearner: one method of class-incremental learning run task after
// task on the Network, and the accuracy matrix it produces.
//
// Methods (all share the backbone, the heads, Adam with a cosine schedule,
// the batch size, epochs and learning rate):
//   inflora   per task: for every layer, B_t designed from the task's inputs
//             projected off the stored old-task subspace (DualGPM), A_t = 0;
//             train A_t and the task's head; merge W += A_t B_t; update the
//             subspace with the task's inputs (threshold raised across tasks).
//   seq-lora  one plain LoRA branch per layer (A = 0, B Gaussian), A and B and
//             the task's head trained task after task (no protection).
//   seq-full  every backbone weight and the task's head trained task after task.
//   joint     at step t, the pre-trained backbone and all heads so far trained
//             together on the union of tasks 0..t (the upper bound, and what
//             "retraining on everything" costs).
// Sequential methods use InfLoRA's local cross-entropy (the current head's
// logits only); joint uses the cross-entropy over all heads. Evaluation is
// class-incremental: argmax over every head learnt so far.
// Invariants: 1. a pure function of (benchmark, config); 2. heads of tasks
// other than the current one are never updated by sequential methods.
// Thread-safety: a value; one learner per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "continual/dataset.h"
#include "continual/dual_gpm.h"
#include "continual/network.h"

namespace paralab::continual {

enum class Method { kInfLora, kSeqLora, kSeqFull, kJoint };
const std::vector<std::string>& method_names();  // inflora, seq-lora, seq-full, joint
// InputError naming the valid methods when unknown.
Method parse_method(const std::string& name);
std::string method_name(Method m);

struct LearnerConfig {
  std::vector<int> hidden = {128, 128};
  int rank = 10;          // LoRA rank of every branch
  int epochs = 20;
  int batch_size = 32;
  double learning_rate = 1e-3;
  double eps = 0.95;      // DualGPM threshold at the first task
  double reduction_scale = 0.57735026918962576;  // 1/sqrt(3), as the authors' code scales B_t
  bool random_reduction = false;  // ablation: inflora with a random orthonormal B_t
  uint64_t seed = 1;      // backbone, branch initialisation, batch order
};

class ContinualLearner {
 public:
  ContinualLearner(Method m, int input_dim, const LearnerConfig& c);
  // Learns task t of b (t = 0, 1, ... in order). REQUIRES: tasks < t learnt.
  void learn_task(const ClassIncremental& b, int t);
  // Class-incremental accuracy on task j's test set with the heads so far.
  double test_accuracy(const TaskData& task) const;

  const Network& network() const { return *net_; }
  Network& network() { return *net_; }
  // InfLoRA's stored subspace of layer l (empty for other methods).
  const DualGpmMemory& memory(int l) const { return memories_[static_cast<size_t>(l)]; }
  // B_t of layer l used for the last task learnt (inflora; kept after merging).
  const Matrix& last_reduction(int l) const { return last_b_[static_cast<size_t>(l)]; }
  int64_t trainable_parameters() const { return trainable_parameters_; }

 private:
  void design_branches(const TaskData& task, int t, int tasks);
  void update_memories(const TaskData& task, int t, int tasks);
  void train(const Matrix& x, const std::vector<int>& y, int head_lo, int head_hi, Trainable what, int t);

  Method method_;
  int input_dim_;
  LearnerConfig config_;
  std::unique_ptr<Network> net_;
  std::vector<DualGpmMemory> memories_;
  std::vector<Matrix> last_b_;
  int64_t trainable_parameters_ = 0;
};

struct ContinualResult {
  std::string method;
  std::vector<std::vector<double>> accuracy;  // accuracy[i][j], j <= i: on task j after learning task i
  double final_accuracy = 0;
  double average_accuracy = 0;
  double forgetting = 0;
  std::vector<int64_t> memory_ranks;  // inflora: stored subspace dimension per layer at the end
  int64_t trainable_parameters_last_task = 0;
  double train_seconds = 0;  // wall clock (not deterministic)
};

// Runs the method over every task of b and computes the metrics.
ContinualResult run_continual(Method m, const ClassIncremental& b, const LearnerConfig& c);

// Metrics of an accuracy matrix (rows i = 0..T-1, row i has i+1 entries):
// A_T = mean of the last row; average incremental accuracy = mean over i of
// the mean of row i; forgetting = mean over j < T-1 of (max over i in [j, T-2]
// of a[i][j]) - a[T-1][j] (0 when T = 1).
double final_accuracy(const std::vector<std::vector<double>>& a);
double average_incremental_accuracy(const std::vector<std::vector<double>>& a);
double forgetting(const std::vector<std::vector<double>>& a);

}  // namespace paralab::continual
