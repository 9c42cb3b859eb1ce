#include "continual/learner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "continual/adam.h"
#include "core/error.h"

namespace paralab::continual {

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names = {"inflora", "seq-lora", "seq-full", "joint"};
  return names;
}

Method parse_method(const std::string& name) {
  const auto& n = method_names();
  for (size_t i = 0; i < n.size(); ++i)
    if (n[i] == name) return static_cast<Method>(i);
  throw InputError("unknown continual-learning method '" + name + "'; valid methods: " + join_names(n));
}

std::string method_name(Method m) { return method_names()[static_cast<size_t>(m)]; }

namespace {

std::vector<int> widths_of(int input_dim, const LearnerConfig& c) {
  std::vector<int> w = {input_dim};
  w.insert(w.end(), c.hidden.begin(), c.hidden.end());
  return w;
}

Matrix gather_rows(const Matrix& x, const std::vector<int64_t>& idx, size_t begin, size_t end) {
  Matrix out(static_cast<int64_t>(end - begin), x.cols);
  for (size_t k = begin; k < end; ++k) std::copy(x.row(idx[k]), x.row(idx[k]) + x.cols, out.row(static_cast<int64_t>(k - begin)));
  return out;
}

int64_t count(const std::vector<ParamRef>& ps) {
  int64_t n = 0;
  for (const auto& p : ps) n += static_cast<int64_t>(p.value->data.size());
  return n;
}

}  // namespace

ContinualLearner::ContinualLearner(Method m, int input_dim, const LearnerConfig& c)
    : method_(m), input_dim_(input_dim), config_(c), net_(std::make_unique<Network>(widths_of(input_dim, c), c.seed)) {
  for (int l = 0; l < net_->layers(); ++l) {
    memories_.emplace_back(net_->layer(l).w.cols);
    last_b_.emplace_back();
  }
  if (m == Method::kSeqLora) {
    std::mt19937_64 rng(c.seed * 0x94D049BB133111EBull + 0x10CAull);
    std::normal_distribution<double> normal(0.0, 1.0);
    for (int l = 0; l < net_->layers(); ++l) {
      const Layer& L = net_->layer(l);
      Matrix b(c.rank, L.w.cols);
      for (double& v : b.data) v = normal(rng) / std::sqrt(static_cast<double>(L.w.cols));
      net_->set_branch(l, Matrix(L.w.rows, c.rank), std::move(b));
    }
  }
}

void ContinualLearner::train(const Matrix& x, const std::vector<int>& y, int head_lo, int head_hi, Trainable what,
                             int t) {
  auto params = net_->parameters(what, head_lo, head_hi);
  trainable_parameters_ = count(params);
  Adam adam(std::move(params));
  std::mt19937_64 rng(config_.seed * 0x2545F4914F6CDD1Dull + static_cast<uint64_t>(t) + 1);
  std::vector<int64_t> order(static_cast<size_t>(x.rows));
  std::iota(order.begin(), order.end(), 0);
  const size_t batch = static_cast<size_t>(config_.batch_size);
  const int64_t steps_per_epoch = (x.rows + config_.batch_size - 1) / config_.batch_size;
  const double total_steps = static_cast<double>(steps_per_epoch * config_.epochs);
  int64_t step = 0;
  std::vector<int> yb;
  for (int e = 0; e < config_.epochs; ++e) {
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t s = 0; s < order.size(); s += batch, ++step) {
      const size_t end = std::min(order.size(), s + batch);
      const Matrix xb = gather_rows(x, order, s, end);
      yb.clear();
      for (size_t k = s; k < end; ++k) yb.push_back(y[static_cast<size_t>(order[k])]);
      net_->loss_and_gradients(xb, yb, head_lo, head_hi, what);
      const double lr = config_.learning_rate * 0.5 * (1.0 + std::cos(M_PI * static_cast<double>(step) / total_steps));
      adam.step(lr);
    }
  }
}

void ContinualLearner::design_branches(const TaskData& task, int t, int tasks) {
  const auto act = net_->forward(task.train_x);
  std::mt19937_64 rng(config_.seed * 0xA0761D6478BD642Full + static_cast<uint64_t>(t));
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int l = 0; l < net_->layers(); ++l) {
    const int64_t in = net_->layer(l).w.cols, out = net_->layer(l).w.rows;
    Matrix b;
    if (config_.random_reduction) {
      Matrix g(in, config_.rank);
      for (double& v : g.data) v = normal(rng);
      const Matrix q = orthonormal_complement_columns(Matrix(in, 0), g);
      b = transpose(q);
      for (double& v : b.data) v *= config_.reduction_scale;
    } else {
      b = design_reduction(gram(act.inputs[static_cast<size_t>(l)]), memories_[static_cast<size_t>(l)].basis(),
                           config_.rank, config_.reduction_scale);
    }
    last_b_[static_cast<size_t>(l)] = b;
    net_->set_branch(l, Matrix(out, b.rows), std::move(b));
  }
  (void)tasks;
}

void ContinualLearner::update_memories(const TaskData& task, int t, int tasks) {
  const auto act = net_->forward(task.train_x);
  const double eps_t = dual_gpm_threshold(config_.eps, t, tasks);
  for (int l = 0; l < net_->layers(); ++l)
    memories_[static_cast<size_t>(l)].update(gram(act.inputs[static_cast<size_t>(l)]), eps_t);
}

void ContinualLearner::learn_task(const ClassIncremental& b, int t) {
  const TaskData& task = b.tasks[static_cast<size_t>(t)];
  const int tasks = static_cast<int>(b.tasks.size());
  switch (method_) {
    case Method::kInfLora:
      net_->add_head(task.num_classes);
      design_branches(task, t, tasks);
      train(task.train_x, task.train_y, t, t + 1, Trainable::kLoraA, t);
      net_->merge_branches();
      update_memories(task, t, tasks);
      break;
    case Method::kSeqLora:
      net_->add_head(task.num_classes);
      train(task.train_x, task.train_y, t, t + 1, Trainable::kLoraAB, t);
      break;
    case Method::kSeqFull:
      net_->add_head(task.num_classes);
      train(task.train_x, task.train_y, t, t + 1, Trainable::kFull, t);
      break;
    case Method::kJoint: {
      net_ = std::make_unique<Network>(widths_of(input_dim_, config_), config_.seed);
      for (int k = 0; k <= t; ++k) net_->add_head(b.tasks[static_cast<size_t>(k)].num_classes);
      const TaskData u = union_of_tasks(b, t);
      train(u.train_x, u.train_y, 0, t + 1, Trainable::kFull, t);
      break;
    }
  }
}

double ContinualLearner::test_accuracy(const TaskData& task) const {
  return accuracy(net_->predict(task.test_x, net_->heads()), task.test_y);
}

ContinualResult run_continual(Method m, const ClassIncremental& b, const LearnerConfig& c) {
  const SingleThreadedBlas one_thread;
  const auto start = std::chrono::steady_clock::now();
  ContinualLearner learner(m, b.input_dim, c);
  ContinualResult r;
  r.method = method_name(m);
  for (int i = 0; i < static_cast<int>(b.tasks.size()); ++i) {
    learner.learn_task(b, i);
    std::vector<double> row;
    for (int j = 0; j <= i; ++j) row.push_back(learner.test_accuracy(b.tasks[static_cast<size_t>(j)]));
    r.accuracy.push_back(std::move(row));
  }
  r.final_accuracy = final_accuracy(r.accuracy);
  r.average_accuracy = average_incremental_accuracy(r.accuracy);
  r.forgetting = forgetting(r.accuracy);
  if (m == Method::kInfLora)
    for (int l = 0; l < learner.network().layers(); ++l) r.memory_ranks.push_back(learner.memory(l).rank());
  r.trainable_parameters_last_task = learner.trainable_parameters();
  r.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

double final_accuracy(const std::vector<std::vector<double>>& a) {
  if (a.empty()) return 0;
  const auto& last = a.back();
  return std::accumulate(last.begin(), last.end(), 0.0) / static_cast<double>(last.size());
}

double average_incremental_accuracy(const std::vector<std::vector<double>>& a) {
  if (a.empty()) return 0;
  double s = 0;
  for (const auto& row : a) s += std::accumulate(row.begin(), row.end(), 0.0) / static_cast<double>(row.size());
  return s / static_cast<double>(a.size());
}

double forgetting(const std::vector<std::vector<double>>& a) {
  const size_t T = a.size();
  if (T < 2) return 0;
  double s = 0;
  for (size_t j = 0; j + 1 < T; ++j) {
    double best = 0;
    for (size_t i = j; i + 1 < T; ++i) best = std::max(best, a[i][j]);
    s += best - a[T - 1][j];
  }
  return s / static_cast<double>(T - 1);
}

}  // namespace paralab::continual
