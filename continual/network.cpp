#include "continual/network.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <random>

namespace paralab::continual {

namespace {
constexpr double kNormEpsilon = 1e-5;  // as torch.nn.LayerNorm
}  // namespace

Network::Network(const std::vector<int>& widths, uint64_t seed) : widths_(widths) {
  assert(widths.size() >= 2);
  std::mt19937_64 rng(seed * 0xBF58476D1CE4E5B9ull + 0xBAC4B0DEull);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    Layer layer;
    layer.w = Matrix(widths[l + 1], widths[l]);
    const double std_dev = std::sqrt(2.0 / widths[l]);
    for (double& v : layer.w.data) v = std_dev * normal(rng);
    layer.bias = Matrix(1, widths[l + 1]);
    layers_.push_back(std::move(layer));
  }
}

void Network::add_head(int classes) {
  Head h;
  h.first_class = heads_.empty() ? 0 : heads_.back().first_class + heads_.back().classes;
  h.classes = classes;
  h.w = Matrix(classes, feature_dim());
  h.bias = Matrix(1, classes);
  heads_.push_back(std::move(h));
}

void Network::set_branch(int l, Matrix a, Matrix b) {
  Layer& L = layer(l);
  assert(a.rows == L.w.rows && b.cols == L.w.cols && a.cols == b.rows);
  L.a = std::move(a);
  L.b = std::move(b);
}

void Network::merge_branches() {
  for (Layer& L : layers_) {
    if (!L.has_branch()) continue;
    gemm(L.a, false, L.b, false, 1.0, L.w, 1.0);
    L.a = Matrix();
    L.b = Matrix();
  }
}

Matrix Network::layer_output(int l, const Matrix& h) const {
  const Layer& L = layer(l);
  Matrix z = matmul(h, false, L.w, true);
  for (int64_t i = 0; i < z.rows; ++i)
    for (int64_t j = 0; j < z.cols; ++j) z(i, j) += L.bias(0, j);
  if (L.has_branch()) {
    Matrix u = matmul(h, false, L.b, true);
    gemm(u, false, L.a, true, 1.0, z, 1.0);
  }
  return z;
}

Network::Activations Network::forward(const Matrix& x) const {
  Activations act;
  Matrix h = x;
  for (int l = 0; l < layers(); ++l) {
    act.inputs.push_back(h);
    const Layer& L = layer(l);
    act.reduced.push_back(L.has_branch() ? matmul(h, false, L.b, true) : Matrix());
    Matrix z = layer_output(l, h);
    h = z;
    for (double& v : h.data) v = v > 0 ? v : 0.0;
    act.pre.push_back(std::move(z));
  }
  act.features = h;
  act.inv_std.resize(static_cast<size_t>(h.rows));
  const double d = static_cast<double>(h.cols);
  for (int64_t i = 0; i < h.rows; ++i) {
    double* r = act.features.row(i);
    double mean = 0, var = 0;
    for (int64_t j = 0; j < h.cols; ++j) mean += r[j];
    mean /= d;
    for (int64_t j = 0; j < h.cols; ++j) var += (r[j] - mean) * (r[j] - mean);
    const double inv = 1.0 / std::sqrt(var / d + kNormEpsilon);
    for (int64_t j = 0; j < h.cols; ++j) r[j] = (r[j] - mean) * inv;
    act.inv_std[static_cast<size_t>(i)] = inv;
  }
  act.last_hidden = std::move(h);
  return act;
}

Matrix Network::logits(const Matrix& f, int upto) const { return head_logits(f, 0, upto); }

Matrix Network::head_logits(const Matrix& f, int head_lo, int head_hi) const {
  int total = 0;
  for (int k = head_lo; k < head_hi; ++k) total += heads_[static_cast<size_t>(k)].classes;
  Matrix out(f.rows, total);
  int col = 0;
  for (int k = head_lo; k < head_hi; ++k) {
    const Head& h = heads_[static_cast<size_t>(k)];
    Matrix part = matmul(f, false, h.w, true);
    for (int64_t i = 0; i < f.rows; ++i)
      for (int j = 0; j < h.classes; ++j) out(i, col + j) = part(i, j) + h.bias(0, j);
    col += h.classes;
  }
  return out;
}

namespace {

// Turns logits (n x C) into dLoss/dlogits = (softmax - onehot) / n in place
// and returns the summed cross-entropy. Labels are offset by class_lo.
double softmax_cross_entropy(Matrix& logits, const std::vector<int>& labels, int class_lo) {
  const int64_t n = logits.rows, classes = logits.cols;
  double loss = 0;
  for (int64_t i = 0; i < n; ++i) {
    double* row = logits.row(i);
    const double mx = *std::max_element(row, row + classes);
    double sum = 0;
    for (int64_t j = 0; j < classes; ++j) sum += (row[j] = std::exp(row[j] - mx));
    const int y = labels[static_cast<size_t>(i)] - class_lo;
    assert(y >= 0 && y < classes);
    loss -= std::log(row[y] / sum);
    for (int64_t j = 0; j < classes; ++j) row[j] = (row[j] / sum - (j == y ? 1.0 : 0.0)) / static_cast<double>(n);
  }
  return loss;
}

// Backward through the row normalisation y = (x - mean) * inv_std, in place:
// dx = inv_std (dy - mean(dy) - y mean(dy y)).
void normalisation_backward(const Matrix& y, const std::vector<double>& inv_std, Matrix& g) {
  const double d = static_cast<double>(g.cols);
  for (int64_t i = 0; i < g.rows; ++i) {
    double* gi = g.row(i);
    const double* yi = y.row(i);
    double mg = 0, mgy = 0;
    for (int64_t j = 0; j < g.cols; ++j) {
      mg += gi[j];
      mgy += gi[j] * yi[j];
    }
    mg /= d;
    mgy /= d;
    for (int64_t j = 0; j < g.cols; ++j) gi[j] = inv_std[static_cast<size_t>(i)] * (gi[j] - mg - yi[j] * mgy);
  }
}

}  // namespace

double Network::loss_and_gradients(const Matrix& x, const std::vector<int>& labels, int head_lo, int head_hi,
                                   Trainable what) {
  const Activations act = forward(x);
  const int64_t n = x.rows;
  Matrix dlogits = head_logits(act.features, head_lo, head_hi);
  const double loss = softmax_cross_entropy(dlogits, labels, heads_[static_cast<size_t>(head_lo)].first_class);
  // Heads, and the gradient reaching the features.
  Matrix dh(n, feature_dim());
  int col = 0;
  for (int k = head_lo; k < head_hi; ++k) {
    Head& h = heads_[static_cast<size_t>(k)];
    Matrix d(n, h.classes);
    for (int64_t i = 0; i < n; ++i)
      for (int j = 0; j < h.classes; ++j) d(i, j) = dlogits(i, col + j);
    col += h.classes;
    h.grad_w = matmul(d, true, act.features, false);
    h.grad_bias = column_sums(d);
    gemm(d, false, h.w, false, 1.0, dh, 1.0);
  }
  normalisation_backward(act.features, act.inv_std, dh);
  backbone_backward(act, std::move(dh), what);
  return loss / static_cast<double>(n);
}

void Network::backbone_backward(const Activations& act, Matrix dh, Trainable what) {
  for (int l = layers() - 1; l >= 0; --l) {
    Layer& L = layer(l);
    Matrix dz = std::move(dh);
    const Matrix& z = act.pre[static_cast<size_t>(l)];
    for (size_t i = 0; i < dz.data.size(); ++i)
      if (z.data[i] <= 0) dz.data[i] = 0;
    if (what == Trainable::kFull) {
      L.grad_w = matmul(dz, true, act.inputs[static_cast<size_t>(l)], false);
      L.grad_bias = column_sums(dz);
    }
    Matrix du;
    if (L.has_branch()) {
      du = matmul(dz, false, L.a, false);  // n x r
      if (what != Trainable::kFull) L.grad_a = matmul(dz, true, act.reduced[static_cast<size_t>(l)], false);
      if (what == Trainable::kLoraAB) L.grad_b = matmul(du, true, act.inputs[static_cast<size_t>(l)], false);
    }
    if (l == 0) break;
    dh = matmul(dz, false, L.w, false);
    if (L.has_branch()) gemm(du, false, L.b, false, 1.0, dh, 1.0);
  }
}

std::vector<ParamRef> Network::parameters(Trainable what, int head_lo, int head_hi) {
  std::vector<ParamRef> out;
  for (Layer& L : layers_) {
    if (what == Trainable::kFull) {
      out.push_back({&L.w, &L.grad_w});
      out.push_back({&L.bias, &L.grad_bias});
    } else if (L.has_branch()) {
      out.push_back({&L.a, &L.grad_a});
      if (what == Trainable::kLoraAB) out.push_back({&L.b, &L.grad_b});
    }
  }
  for (int k = head_lo; k < head_hi; ++k) {
    out.push_back({&heads_[static_cast<size_t>(k)].w, &heads_[static_cast<size_t>(k)].grad_w});
    out.push_back({&heads_[static_cast<size_t>(k)].bias, &heads_[static_cast<size_t>(k)].grad_bias});
  }
  return out;
}

std::vector<int> Network::predict(const Matrix& x, int upto) const {
  const Matrix lg = logits(forward(x).features, upto);
  std::vector<int> out(static_cast<size_t>(x.rows));
  for (int64_t i = 0; i < lg.rows; ++i) {
    const double* r = lg.row(i);
    out[static_cast<size_t>(i)] = static_cast<int>(std::max_element(r, r + lg.cols) - r);
  }
  return out;
}

double accuracy(const std::vector<int>& predicted, const std::vector<int>& labels) {
  assert(predicted.size() == labels.size());
  if (labels.empty()) return 0.0;
  size_t hit = 0;
  for (size_t i = 0; i < labels.size(); ++i) hit += predicted[i] == labels[i];
  return static_cast<double>(hit) / static_cast<double>(labels.size());
}

}  // namespace paralab::continual
