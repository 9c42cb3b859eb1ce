// Adam: the optimizer of every trainable parameter in continual/ (Kingma & Ba,
// beta1 0.9, beta2 0.999, eps 1e-8, no weight decay, bias-corrected), over a
// fixed list of parameters (ParamRef) given at construction.
// Invariants: 1. the parameter list and its shapes do not change during the
// optimizer's life; 2. step() reads each grad and updates its value in place.
// Thread-safety: not thread-safe; one optimizer per training run.
#pragma once

#include <vector>

#include "continual/network.h"

namespace paralab::continual {

class Adam {
 public:
  explicit Adam(std::vector<ParamRef> params, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8);
  void step(double learning_rate);
  int64_t steps() const { return t_; }

 private:
  std::vector<ParamRef> params_;
  std::vector<std::vector<double>> m_, v_;
  double beta1_, beta2_, eps_;
  int64_t t_ = 0;
};

}  // namespace paralab::continual
