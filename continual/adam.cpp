#include "continual/adam.h"

#include <cassert>
#include <cmath>

namespace paralab::continual {

Adam::Adam(std::vector<ParamRef> params, double beta1, double beta2, double eps)
    : params_(std::move(params)), beta1_(beta1), beta2_(beta2), eps_(eps) {
  for (const auto& p : params_) {
    m_.emplace_back(p.value->data.size(), 0.0);
    v_.emplace_back(p.value->data.size(), 0.0);
  }
}

void Adam::step(double learning_rate) {
  ++t_;
  const double c1 = 1.0 - std::pow(beta1_, static_cast<double>(t_));
  const double c2 = 1.0 - std::pow(beta2_, static_cast<double>(t_));
  for (size_t k = 0; k < params_.size(); ++k) {
    auto& w = params_[k].value->data;
    const auto& g = params_[k].grad->data;
    assert(g.size() == w.size() && "Adam: a gradient was not computed for a trainable parameter");
    auto& m = m_[k];
    auto& v = v_[k];
    for (size_t i = 0; i < w.size(); ++i) {
      m[i] = beta1_ * m[i] + (1 - beta1_) * g[i];
      v[i] = beta2_ * v[i] + (1 - beta2_) * g[i] * g[i];
      w[i] -= learning_rate * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps_);
    }
  }
}

}  // namespace paralab::continual
