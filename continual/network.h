// Network: the small classifier continual learning is studied on — a frozen,
// seeded "pre-trained" backbone of fully connected ReLU layers whose every
// layer can carry a low-rank branch (LoRA), and one linear classifier head per
// task. Forward, backward (hand-written, on BLAS) and class-incremental
// prediction (argmax over the concatenated heads seen so far).
//
// Layer l computes z = W h + b + A (B h), then relu(z); W: out x in, B: r x in
// (dimensionality reduction), A: out x r (dimensionality increase), as in the
// InfLoRA paper's notation. The last relu's output goes through a layer
// normalisation without affine parameters (as a ViT's final LayerNorm: each
// row to zero mean, unit variance), and that feature is what every head reads;
// it keeps the logit scales of heads trained at different times comparable.
// Invariants: 1. head k owns global classes [first_class, first_class +
// classes) and heads are added in class order, contiguous from 0; 2. a layer
// without a branch has an empty A and B; 3. gradients are those of the mean
// cross-entropy over the batch, written into the grad_* members of the
// trainable parameters only (the others are left as they were).
// Thread-safety: a Network is a value; not safe for concurrent mutation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "continual/matrix.h"

namespace paralab::continual {

// What a training step updates.
enum class Trainable {
  kLoraA,   // InfLoRA: A of every branch (B fixed) and the selected heads
  kLoraAB,  // plain LoRA: A and B of every branch, and the selected heads
  kFull,    // every W and b, and the selected heads
};

struct Layer {
  Matrix w, bias;  // out x in, 1 x out
  Matrix a, b;     // LoRA branch: out x r, r x in (empty when absent)
  Matrix grad_w, grad_bias, grad_a, grad_b;
  bool has_branch() const { return a.cols > 0; }
};

struct Head {
  int first_class = 0;
  int classes = 0;
  Matrix w, bias;  // classes x feature, 1 x classes
  Matrix grad_w, grad_bias;
};

struct ParamRef {
  Matrix* value;
  Matrix* grad;
};

class Network {
 public:
  // widths = {input, hidden_1, ..., hidden_L}; He-normal weights, zero biases,
  // seeded: a pure function of (widths, seed).
  Network(const std::vector<int>& widths, uint64_t seed);

  int layers() const { return static_cast<int>(layers_.size()); }
  Layer& layer(int l) { return layers_[static_cast<size_t>(l)]; }
  const Layer& layer(int l) const { return layers_[static_cast<size_t>(l)]; }
  int heads() const { return static_cast<int>(heads_.size()); }
  Head& head(int k) { return heads_[static_cast<size_t>(k)]; }
  int feature_dim() const { return widths_.back(); }

  // Appends a zero-initialised head for `classes` classes after the last one.
  void add_head(int classes);
  // Sets layer l's branch. REQUIRES: a is out x r, b is r x in.
  void set_branch(int l, Matrix a, Matrix b);
  // W += A B for every branch, then removes the branches.
  void merge_branches();

  // Inputs to every layer and the final features for the rows of x.
  struct Activations {
    std::vector<Matrix> inputs;  // inputs[l]: n x in_l
    std::vector<Matrix> pre;     // pre[l] = z: n x out_l
    std::vector<Matrix> reduced;  // reduced[l] = h B^T: n x r (branch layers)
    Matrix last_hidden;  // the last relu's output, before normalisation
    std::vector<double> inv_std;  // per row, of the normalisation
    Matrix features;
  };
  Activations forward(const Matrix& x) const;
  // Pre-activation output z of layer l for inputs h (n x in_l).
  Matrix layer_output(int l, const Matrix& h) const;
  // Logits of heads [0, upto) for features f: n x (classes of those heads).
  Matrix logits(const Matrix& f, int upto) const;

  // Mean cross-entropy over the logits of heads [head_lo, head_hi) of the batch
  // (labels are global; REQUIRES: every label belongs to one of those heads),
  // and its gradient written into the trainable parameters' grad_* members.
  double loss_and_gradients(const Matrix& x, const std::vector<int>& labels, int head_lo, int head_hi, Trainable what);
  std::vector<ParamRef> parameters(Trainable what, int head_lo, int head_hi);

  // Class-incremental prediction: argmax over heads [0, upto).
  std::vector<int> predict(const Matrix& x, int upto) const;

 private:
  Matrix head_logits(const Matrix& f, int head_lo, int head_hi) const;
  // Gradients of the backbone's trainable parameters from dLoss/d(last relu output).
  void backbone_backward(const Activations& act, Matrix dh, Trainable what);

  std::vector<int> widths_;
  std::vector<Layer> layers_;
  std::vector<Head> heads_;
};

// Fraction of rows whose prediction equals the label.
double accuracy(const std::vector<int>& predicted, const std::vector<int>& labels);

}  // namespace paralab::continual
