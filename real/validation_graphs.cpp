#include "real/validation_graphs.h"

namespace paralab::real {

namespace {

// Forward GEMMs of one layer: (m, n, k) with m = tokens.
std::vector<GemmShape> layer_gemms(const TinyTransformer& m, int64_t t) {
  return {{t, 3 * m.hidden, m.hidden}, {t, m.hidden, m.hidden}, {t, m.ffn, m.hidden}, {t, m.hidden, m.ffn}};
}

// Adds one layer's forward (or backward: two GEMMs per forward GEMM) on
// (device, stream) after `prev`; returns the last op.
int add_layer(TaskGraph& g, const TinyTransformer& m, int64_t t, int device, int stream, bool backward, int prev,
              const std::string& tag) {
  int lab = g.intern_label(tag);
  double act_bytes = dtype_bytes(m.dtype) * double(t * m.hidden);
  // Layer norm: read + write the activations (memory-bound).
  int ln = g.add_compute(device, stream, ComputeKind::kElementwise, 8.0 * double(t * m.hidden), 2 * act_bytes, m.dtype, lab);
  if (prev >= 0) g.add_dep(prev, ln);
  int last = ln;
  for (const auto& s : layer_gemms(m, t)) {
    if (!backward) {
      int id = g.add_gemm(device, stream, s.m, s.n, s.k, m.dtype, lab);
      g.add_dep(last, id);
      last = id;
    } else {
      int dx = g.add_gemm(device, stream, s.m, s.k, s.n, m.dtype, lab);  // dX = dY W^T
      g.add_dep(last, dx);
      int dw = g.add_gemm(device, stream, s.k, s.n, s.m, m.dtype, lab);  // dW = X^T dY
      g.add_dep(dx, dw);
      last = dw;
    }
  }
  return last;
}

double layer_params(const TinyTransformer& m) { return double(4 * m.hidden * m.hidden + 2 * m.hidden * m.ffn); }

}  // namespace

double layer_forward_flops(const TinyTransformer& m, int64_t t) {
  double h = double(m.hidden), f = double(m.ffn), tt = double(t);
  return 2 * tt * h * 3 * h + 2 * tt * h * h + 2 * 2 * tt * h * f;
}

namespace {
TaskGraph build_dp_graph(const TinyTransformer& m, int devices) {
  TaskGraph g;
  int group = g.add_group({0, 1});
  std::vector<int> done(devices);
  for (int d = 0; d < devices; ++d) {
    int last = -1;
    for (int64_t l = 0; l < m.layers; ++l)
      last = add_layer(g, m, m.tokens, d, 0, false, last, "L" + std::to_string(l) + " fwd");
    for (int64_t l = m.layers - 1; l >= 0; --l)
      last = add_layer(g, m, m.tokens, d, 0, true, last, "L" + std::to_string(l) + " bwd");
    done[d] = last;
  }
  double grad_bytes = dtype_bytes(m.dtype) * layer_params(m) * double(m.layers);
  int ar = -1;
  if (devices == 2) {
    ar = g.add_collective(CollectiveKind::kAllReduce, group, 0, grad_bytes, CollectiveAlgo::kRing,
                          g.intern_label("grad all-reduce"));
    g.add_dep(done[0], ar);
    g.add_dep(done[1], ar);
  }
  for (int d = 0; d < devices; ++d) {
    // Adam-like update: read params, grads, two moments; write params and moments.
    int opt = g.add_compute(d, 0, ComputeKind::kElementwise, 10.0 * layer_params(m) * double(m.layers),
                            7.0 * grad_bytes, m.dtype, g.intern_label("optimizer"));
    g.add_dep(ar >= 0 ? ar : done[d], opt);
  }
  return g;
}
}  // namespace

TaskGraph build_dp2_graph(const TinyTransformer& m) { return build_dp_graph(m, 2); }
TaskGraph build_train1_graph(const TinyTransformer& m) { return build_dp_graph(m, 1); }

TaskGraph build_pp2_graph(const TinyTransformer& m, int mb) {
  TaskGraph g;
  int fwd_group = g.add_group({0, 1});
  int bwd_group = g.add_group({1, 0});
  int64_t half = m.layers / 2;
  double act_bytes = dtype_bytes(m.dtype) * double(m.tokens * m.hidden);
  std::vector<int> last0(mb, -1), last1(mb, -1);
  int prev0 = -1, prev1 = -1;
  for (int i = 0; i < mb; ++i) {
    std::string t = " mb" + std::to_string(i);
    int a = prev0;
    for (int64_t l = 0; l < half; ++l) a = add_layer(g, m, m.tokens, 0, 0, false, a, "L" + std::to_string(l) + " fwd" + t);
    prev0 = a;
    int send = g.add_collective(CollectiveKind::kSendRecv, fwd_group, 1, act_bytes, CollectiveAlgo::kAuto,
                                g.intern_label("send act" + t));
    g.add_dep(a, send);
    int b = send;
    for (int64_t l = half; l < m.layers; ++l)
      b = add_layer(g, m, m.tokens, 1, 0, false, b, "L" + std::to_string(l) + " fwd" + t);
    if (prev1 >= 0) g.add_dep(prev1, b);
    prev1 = b;
    last1[i] = b;
  }
  for (int i = mb - 1; i >= 0; --i) {
    std::string t = " mb" + std::to_string(i);
    int b = prev1;
    for (int64_t l = m.layers - 1; l >= half; --l)
      b = add_layer(g, m, m.tokens, 1, 0, true, b, "L" + std::to_string(l) + " bwd" + t);
    prev1 = b;
    int send = g.add_collective(CollectiveKind::kSendRecv, bwd_group, 1, act_bytes, CollectiveAlgo::kAuto,
                                g.intern_label("send grad" + t));
    g.add_dep(b, send);
    int a = send;
    for (int64_t l = half - 1; l >= 0; --l)
      a = add_layer(g, m, m.tokens, 0, 0, true, a, "L" + std::to_string(l) + " bwd" + t);
    g.add_dep(prev0, a);
    prev0 = a;
  }
  double stage_params = layer_params(m) * double(half);
  int opt0 = g.add_compute(0, 0, ComputeKind::kElementwise, 10 * stage_params, 28 * stage_params, m.dtype,
                           g.intern_label("optimizer"));
  g.add_dep(prev0, opt0);
  int opt1 = g.add_compute(1, 0, ComputeKind::kElementwise, 10 * stage_params, 28 * stage_params, m.dtype,
                           g.intern_label("optimizer"));
  g.add_dep(prev1, opt1);
  return g;
}

TaskGraph build_offload_graph(const TinyTransformer& m, int pool) {
  TaskGraph g;
  const double wbytes = dtype_bytes(m.dtype) * layer_params(m);
  const Place ssd{TierKind::kSsd, 0}, pinned{TierKind::kPinnedHost, 0}, dev{TierKind::kDevice, 0};
  std::vector<int> compute_done;
  int prev_read = -1, prev_copy = -1, prev_compute = -1;
  for (int64_t l = 0; l < m.layers; ++l) {
    std::string t = "L" + std::to_string(l);
    // Stream 1: disk -> pinned pool buffer (l mod pool), free once layer l - pool is computed.
    int rd = g.add_transfer(0, 1, ssd, pinned, wbytes, g.intern_label(t + " read weights"));
    if (prev_read >= 0) g.add_dep(prev_read, rd);
    if (l >= pool) g.add_dep(compute_done[l - pool], rd);
    prev_read = rd;
    // Stream 2: pinned -> device.
    int cp = g.add_transfer(0, 2, pinned, dev, wbytes, g.intern_label(t + " h2d"));
    g.add_dep(rd, cp);
    if (prev_copy >= 0) g.add_dep(prev_copy, cp);
    prev_copy = cp;
    // Stream 0: the layer's forward on `tokens` tokens.
    int last = add_layer(g, m, m.tokens, 0, 0, false, prev_compute, t + " fwd");
    g.add_dep(cp, last - 3);  // the layer norm may run early; the first GEMM needs the weights
    prev_compute = last;
    compute_done.push_back(last);
  }
  return g;
}

std::vector<ValidationGraph> host_validation_set(bool quick) {
  TinyTransformer m;
  if (quick) {
    m.hidden = 256;
    m.ffn = 1024;
    m.layers = 2;
    m.tokens = 128;
  }
  std::vector<ValidationGraph> v;
  v.push_back({"dp2-transformer", build_dp2_graph(m), 2});
  TinyTransformer pm = m;
  pm.tokens = m.tokens / 2;
  v.push_back({"pp2-transformer-gpipe", build_pp2_graph(pm, 4), 2});
  TinyTransformer om = m;
  om.hidden = quick ? 256 : 768;
  om.ffn = 4 * om.hidden;
  om.layers = quick ? 4 : 8;
  om.tokens = quick ? 16 : 64;
  v.push_back({"offload-inference-ssd", build_offload_graph(om, 2), 1});
  return v;
}

std::vector<ValidationGraph> cuda_validation_set(bool quick, int gpus) {
  // The training graph keeps its full size under --quick: 20 TFLOP, about
  // 30 ms on an H100, where the quick size (0.6 TFLOP) would be about 1 ms,
  // in which per-op issue costs, not the GPU's work, set the time.
  TinyTransformer m;
  m.dtype = DType::kBf16;
  m.hidden = 2048;
  m.ffn = 4 * m.hidden;
  m.layers = 8;
  m.tokens = 8192;
  std::vector<ValidationGraph> v;
  v.push_back({"train1-transformer-bf16", build_train1_graph(m), 1});
  if (gpus >= 2) v.push_back({"dp2-transformer-nccl", build_dp2_graph(m), 2});
  TinyTransformer om = m;
  om.hidden = quick ? 2048 : 4096;
  om.ffn = 4 * om.hidden;
  om.layers = quick ? 4 : 8;
  om.tokens = 64;
  v.push_back({"offload-inference-ssd-pinned", build_offload_graph(om, 2), 1});
  return v;
}

}  // namespace paralab::real
