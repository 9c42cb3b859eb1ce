// Datasets for class-incremental learning: a labelled feature matrix, the
// seeded synthetic benchmark, a plain CSV loader (gzip read transparently) and
// the split of a dataset into a sequence of tasks with disjoint classes.
//
// Synthetic benchmark: `classes` Gaussian classes in a latent space
// (means ~ N(0, I_latent), spread `within_class_std`), passed through one fixed
// random feature map x = tanh(R z / sqrt(latent)) + N(0, noise_std^2), R a
// dim x latent standard-normal matrix: structured, non-linearly separable
// inputs whose energy concentrates in few directions, as features of a
// pre-trained model do.
// Invariants: 1. every function is a pure function of its arguments (and the
// file's bytes); 2. in a ClassIncremental, task t owns the global labels
// [first_class, first_class + num_classes), tasks are contiguous and disjoint;
// 3. train and test sets of a class are disjoint.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "continual/matrix.h"

namespace paralab::continual {

struct Dataset {
  std::string name;
  Matrix x;                // samples x features
  std::vector<int> labels;  // 0 .. num_classes-1
  int num_classes = 0;
};

struct SyntheticSpec {
  int classes = 40;
  int latent = 16;
  int dim = 64;
  int samples_per_class = 150;
  double mean_std = 1.0;
  double within_class_std = 0.5;
  double noise_std = 0.05;
};
Dataset synthetic_dataset(const SyntheticSpec& spec, uint64_t seed);

enum class LabelColumn { kLast, kFirst };
// Reads a numeric CSV (optionally gzip-compressed): one sample per line, the
// label (a non-negative integer) in the first or last column, the same number
// of columns on every line; blank lines are skipped. Labels are renumbered
// densely in increasing order. InputError naming the file, the line and the
// value for anything else (missing file, ragged line, non-numeric field,
// fewer than two classes).
Dataset load_csv_dataset(const std::string& path, LabelColumn label = LabelColumn::kLast);

struct TaskData {
  Matrix train_x;
  std::vector<int> train_y;  // global labels
  Matrix test_x;
  std::vector<int> test_y;
  int first_class = 0;
  int num_classes = 0;
};

struct ClassIncremental {
  std::string name;
  int input_dim = 0;
  int total_classes = 0;
  std::vector<TaskData> tasks;
};

// Splits `d` into `tasks` tasks of equal class counts: the class order is a
// seeded permutation, each class's samples are shuffled (seeded) and the first
// `test_fraction` of them (rounded) become its test set. Features are divided
// by the largest absolute feature value of the dataset (a fixed scale, not
// fitted on test data of later tasks). InputError when the class count is not
// a multiple of `tasks` or a class would have an empty train or test set.
ClassIncremental split_class_incremental(const Dataset& d, int tasks, double test_fraction, uint64_t seed);

// The union of the training sets of tasks [0, upto] (for joint training).
TaskData union_of_tasks(const ClassIncremental& b, int upto);

}  // namespace paralab::continual
