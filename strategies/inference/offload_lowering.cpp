// The lowering driver: one class whose members each emit one task type of a
// step; run() is the issue loop of the plan's discipline (see the header).
#include "strategies/inference/offload_lowering.h"

#include <fmt/format.h>

#include <cmath>
#include <initializer_list>
#include <map>
#include <span>
#include <vector>

namespace paralab {

namespace {

constexpr int kCompute = 0, kWeightH2D = 1, kKvLoad = 2, kKvStore = 3, kHiddenLoad = 4, kHiddenStore = 5;
constexpr int kDiskFirst = 8, kSetup = 30, kBarrier = 31;
constexpr int kWhole = 0, kAttentionPart = 1, kMlpPart = 2;

using Ops = std::vector<int>;

class Lowerer {
 public:
  Lowerer(const OffloadPlan& p, const BlockCosts& c, const Cluster& cl, int64_t tokens)
      : p_(p), c_(c), cl_(cl), g_(gpu_device(cl)), cpu_(cpu_device(cl)) {
    T_ = tokens > 0 ? tokens : p.job.gen_len;
    L_ = c.layer_count;
    nb_ = p.num_gpu_batches;
    parts_ = p.step_barrier && p.sep_layer ? 2 : 1;
    gpu_ = {TierKind::kDevice, g_};
    w_host_ = {p.pinned_weights ? TierKind::kPinnedHost : TierKind::kPageableHost, 0};
    kv_host_ = {p.pinned_kv ? TierKind::kPinnedHost : TierKind::kPageableHost, 0};
    visit_done_.assign(size_t(T_ * L_), -1);
    step_done_.assign(size_t(T_ * L_ * parts_ * nb_), -1);
    last_op_.assign(size_t(nb_), -1);
    last_hidden_store_.assign(size_t(nb_), -1);
    last_kv_store_.assign(size_t(L_ * nb_), -1);
  }

  TaskGraph run() {
    // An upper bound on the ops per visit (weight copies, then per step at
    // most 4 KV, 2 hidden, 6 compute-side ops and a barrier) and 3 deps per
    // op, so the graph's vectors grow once; untouched capacity costs no RAM.
    const int64_t pieces = std::max<int64_t>(p_.chunks_per_layer, c_.weight_tensors);
    const int64_t per_visit = 3 * pieces + 13 * nb_ * parts_;
    g.reserve(size_t(T_ * L_ * per_visit + 64), size_t(3 * T_ * L_ * per_visit + 64));
    setup();
    if (p_.step_barrier)
      barrier_loop();
    else
      dataflow_loop();
    teardown();
    return std::move(g);
  }

 private:
  int64_t positions(int64_t t) const { return t == 0 ? p_.job.prompt_len : 1; }
  // Interned once per (text, block): formatting and hashing a label per op
  // would dominate the lowering of long generations.
  int label(const char* what, int64_t j) {
    auto& ids = label_ids_[what];
    if (ids.empty()) ids.assign(size_t(L_), -1);
    int& id = ids[size_t(j)];
    if (id < 0) id = g.intern_label(fmt::format("L{} {}", j, what));
    return id;
  }
  void deps(int op, std::span<const int> before) {
    for (int b : before)
      if (b >= 0) g.add_dep(b, op);
  }
  // `after` as a span or a braced list: no vector is built per op.
  int xfer(int stream, Place src, Place dst, double bytes, int lbl, std::span<const int> after) {
    int op = g.add_transfer(g_, stream, src, dst, bytes, lbl);
    deps(op, after);
    return op;
  }
  int xfer(int stream, Place src, Place dst, double bytes, int lbl, std::initializer_list<int> after) {
    return xfer(stream, src, dst, bytes, lbl, std::span<const int>(after.begin(), after.size()));
  }
  int disk_stream() { return kDiskFirst + (next_disk_++ % p_.io_threads); }

  void setup() {
    TierBytes t = plan_memory(p_, c_, cl_);
    int lbl = g.intern_label("plan memory");
    const std::pair<Place, double> tiers[] = {{gpu_, t.gpu},
                                              {{TierKind::kPinnedHost, 0}, t.pinned},
                                              {{TierKind::kPageableHost, 0}, t.pageable},
                                              {{TierKind::kSsd, 0}, t.ssd}};
    for (const auto& [place, bytes] : tiers)
      if (bytes > 0) {
        g.add_alloc(g_, kSetup, place, bytes, lbl);
        allocated_.push_back({place, bytes});
      }
  }

  // Frees the plan's memory after every op that has no successor, so a
  // backend that runs the graph again (warm-up, repetitions) starts empty.
  void teardown() {
    std::vector<char> has_succ(g.size(), 0);
    for (auto [before, after] : g.deps()) has_succ[size_t(before)] = 1;
    Ops sinks;
    for (size_t i = 0; i < g.size(); ++i)
      if (!has_succ[i]) sinks.push_back(int(i));
    int lbl = g.intern_label("free plan memory");
    for (const auto& [place, bytes] : allocated_) deps(g.add_free(g_, kSetup, place, bytes, lbl), sinks);
  }

  // Every task below takes the op it must wait for as one id (-1 = none)
  // and appends the ops it emits that others wait on to *out: no vector is
  // built per step (a 2,000-token generation has ~10^6 ops).

  // Part of a block: kWhole, or with sep_layer (FlexGen's default: its
  // attention and MLP are separate layers of its loop) kAttention / kMlp.
  // Share of the block's weights and separate tensors of each part (Llama:
  // q k v o + norm, gate up down + norm; OPT: 4 matrices, 4 biases and a
  // layer norm's weight and bias, then 2 matrices, 2 biases, 2 norm tensors).
  double part_fraction(int part) const {
    const double attn = (c_.qkv_params + c_.attention_out_params) / c_.matmul_params;
    return part == kWhole ? 1.0 : part == kAttentionPart ? attn : 1.0 - attn;
  }
  int part_tensors(int part) const {
    if (part == kWhole) return c_.weight_tensors;
    return part == kAttentionPart ? (c_.gated_mlp ? 5 : 10) : (c_.gated_mlp ? 4 : 6);
  }

  // The streamed part of block j's weights (or of one part of it); appends
  // the ops after which the weights are on the GPU.
  void weight_load(int64_t j, int part, int after, Ops* out) {
    if (p_.schedule == Schedule::kLlamaCpp) return;
    const double f = part_fraction(part);
    const double host = p_.w_cpu * c_.weight_bytes * f, disk = p_.w_disk * c_.weight_bytes * f;
    const int tensors = p_.merged_copies ? 1 : part_tensors(part);
    int lbl = label("load weight", j);
    if (host > 0)
      for (int i = 0; i < tensors; ++i) out->push_back(xfer(kWeightH2D, w_host_, gpu_, host / tensors, lbl, {after}));
    if (disk > 0) {
      const Place pinned{TierKind::kPinnedHost, 0}, ssd{TierKind::kSsd, 0};
      const int pieces = p_.merged_copies ? p_.chunks_per_layer : part_tensors(part);
      for (int i = 0; i < pieces; ++i) {
        int s = disk_stream();
        int r = xfer(s, ssd, pinned, disk / pieces, lbl, {after});
        // A FlexGen copy thread does read-to-relay and H2D serially; a
        // pipelined runtime hands the H2D to the copy stream.
        out->push_back(xfer(p_.merged_copies ? kWeightH2D : s, pinned, gpu_, disk / pieces, lbl, {r}));
      }
    }
  }

  // Reads the cache of (j, k) that earlier steps stored: after the last store.
  void kv_load(int64_t t, int64_t j, int64_t k, int after, Ops* out, int part = kWhole) {
    const int stored = last_kv_store_[size_t(j * nb_ + k)];
    if (t == 0 || p_.cpu_attention || p_.schedule == Schedule::kLlamaCpp || part == kMlpPart) return;
    const double bytes = c_.kv_bytes(p_.job.prompt_len + t - 1, p_.gpu_batch);
    int lbl = label("load cache", j);
    if (p_.kv_cpu > 0) out->push_back(xfer(kKvLoad, kv_host_, gpu_, p_.kv_cpu * bytes, lbl, {after, stored}));
    if (p_.kv_disk > 0) {
      const Place pinned{TierKind::kPinnedHost, 0};
      int r = xfer(disk_stream(), {TierKind::kSsd, 0}, pinned, p_.kv_disk * bytes, lbl, {after, stored});
      out->push_back(xfer(kKvLoad, pinned, gpu_, p_.kv_disk * bytes, lbl, {r}));
    }
  }

  void kv_store(int64_t t, int64_t j, int64_t k, int after, Ops* out, int part = kWhole) {
    // With CPU attention a decode step's new K, V go to the CPU inside the
    // compute task; the prefill's cache is stored like any other.
    if ((p_.cpu_attention && t > 0) || p_.schedule == Schedule::kLlamaCpp || part == kMlpPart) return;
    const double bytes = c_.kv_bytes(positions(t), p_.gpu_batch);
    int lbl = label("store cache", j);
    int last = -1;
    if (p_.kv_cpu > 0) last = xfer(kKvStore, gpu_, kv_host_, p_.kv_cpu * bytes, lbl, {after});
    if (last >= 0 && out) out->push_back(last);
    if (p_.kv_disk > 0) {
      const Place pinned{TierKind::kPinnedHost, 0};
      int d = xfer(kKvStore, gpu_, pinned, p_.kv_disk * bytes, lbl, {after});
      last = xfer(disk_stream(), pinned, {TierKind::kSsd, 0}, p_.kv_disk * bytes, lbl, {d});
      if (out) out->push_back(last);
    }
    if (last >= 0) last_kv_store_[size_t(j * nb_ + k)] = last;
  }

  void hidden_load(int64_t t, int64_t j, int64_t k, int after, Ops* out) {
    if (p_.hidden_on_gpu || p_.schedule == Schedule::kLlamaCpp) return;
    double bytes = c_.hidden_bytes_per_token * double(positions(t) * p_.gpu_batch);
    out->push_back(xfer(kHiddenLoad, {TierKind::kPageableHost, 0}, gpu_, bytes, label("load hidden", j),
                        {after, last_hidden_store_[k]}));
  }

  void hidden_store(int64_t t, int64_t j, int64_t k, int after, Ops* out) {
    if (p_.hidden_on_gpu || p_.schedule == Schedule::kLlamaCpp) return;
    double bytes = c_.hidden_bytes_per_token * double(positions(t) * p_.gpu_batch);
    last_hidden_store_[k] = xfer(kHiddenStore, gpu_, {TierKind::kPageableHost, 0}, bytes, label("store hidden", j), {after});
    if (out) out->push_back(last_hidden_store_[k]);
  }

  int compute_op(int dev, ComputeKind kind, double flops, double bytes, int lbl, std::span<const int> after) {
    const bool gpu = cl_.device(dev).spec.kind == "gpu";
    int op = g.add_compute(dev, kCompute, kind, flops, bytes, gpu ? DType::kFp16 : DType::kFp32, lbl);
    deps(op, after);
    return op;
  }
  int compute_op(int dev, ComputeKind kind, double flops, double bytes, int lbl, std::initializer_list<int> after) {
    return compute_op(dev, kind, flops, bytes, lbl, std::span<const int>(after.begin(), after.size()));
  }

  // GEMMs of one position per sequence (a decode step, or the head's last
  // position) over `params` weights (a share of a block's matrices, or the
  // head) for one GPU batch. With weights in a kernels/ format (rtn-..., lcq-...)
  // the op is a weight-only quantized GEMM of m = the batch's sequences (one
  // position each) by the matrices stacked into N = params / h rows of K = h
  // inputs: the same FLOPs and stored weight bytes as the separate matrices
  // (the MLP's down projection, K = ffn, is folded into rows). Its cost is
  // the given FLOPs and bytes, as for a shapeless op.
  int decode_gemm(double params, double flops, double bytes, int lbl, std::span<const int> after) {
    const DecodeGemmShape q = decode_gemm_shape(p_.job, c_, params, p_.gpu_batch);
    if (!q.quantized()) return compute_op(g_, ComputeKind::kGemm, flops, bytes, lbl, after);
    const bool gpu = cl_.device(g_).spec.kind == "gpu";
    int op = g.add_quantized_gemm(g_, kCompute, q.m, q.n, q.k, p_.job.weights.name, flops, bytes,
                                  gpu ? DType::kFp16 : DType::kFp32, lbl);
    deps(op, after);
    return op;
  }
  int decode_gemm(double params, double flops, double bytes, int lbl, std::initializer_list<int> after) {
    return decode_gemm(params, flops, bytes, lbl, std::span<const int>(after.begin(), after.size()));
  }

  // Block j (or one part of it) of token t for GPU batch k, after the ops
  // in *after (which it may change); returns the op that ends it.
  int compute(int64_t t, int64_t j, int64_t k, Ops* after_ops, int part = kWhole) {
    Ops& after = *after_ops;
    after.push_back(last_op_[k]);
    const bool on_cpu = p_.schedule == Schedule::kLlamaCpp && j >= p_.gpu_layers;
    const int dev = on_cpu ? cpu_ : g_;
    const double gbs = double(p_.gpu_batch), hid = c_.hidden_bytes_per_token;
    const int64_t pos = positions(t);
    if (p_.schedule == Schedule::kLlamaCpp && j == p_.gpu_layers && j > 0) {  // GPU -> CPU boundary
      int x = xfer(kHiddenStore, gpu_, {TierKind::kPageableHost, 0}, hid * double(pos) * gbs, label("hidden to cpu", j), after);
      after.assign(1, x);
    }
    // Activation traffic: 8 rows of h per token for a whole block, half of
    // it for each of its parts.
    const double act = part == kWhole ? 8.0 : 4.0;
    const double mlp = 1.0 - part_fraction(kAttentionPart);
    int last;
    if (t == 0) {
      const double mlp_flops = 2.0 * c_.matmul_params * mlp * double(pos) * gbs;
      const double flops = part == kWhole ? c_.prefill_flops(pos, p_.gpu_batch)
                           : part == kMlpPart ? mlp_flops
                                              : c_.prefill_flops(pos, p_.gpu_batch) - mlp_flops;
      const double bytes = gemm_weight_traffic_bytes(p_, c_, part_fraction(part)) +
                     (part == kMlpPart ? 0.0 : c_.kv_bytes(pos, p_.gpu_batch)) + act * hid * double(pos) * gbs;
      last = compute_op(dev, ComputeKind::kGemm, flops, bytes, label(part == kMlpPart ? "prefill mlp" : "prefill", j), after);
    } else if (part == kMlpPart) {
      last = on_cpu ? compute_op(dev, ComputeKind::kGemm, mlp * c_.decode_gemm_flops(p_.gpu_batch),
                                 gemm_weight_traffic_bytes(p_, c_, mlp) + 2 * hid * gbs, label("mlp", j), after)
                    : decode_gemm(mlp * c_.matmul_params, mlp * c_.decode_gemm_flops(p_.gpu_batch),
                                  gemm_weight_traffic_bytes(p_, c_, mlp) + 2 * hid * gbs, label("mlp", j), after);
    } else {
      const int64_t ctx = p_.job.prompt_len + t;  // cached positions plus this one
      const double attn_flops = c_.decode_attention_flops(ctx, p_.gpu_batch), attn_bytes = attention_traffic_bytes(p_, c_, ctx);
      // The GEMMs after attention: the output projection and, for a whole
      // block, the MLP.
      const double q = c_.qkv_params / c_.matmul_params, rest = (part == kWhole ? 1.0 : part_fraction(kAttentionPart)) - q;
      if (p_.cpu_attention) {
        int qkv = decode_gemm(q * c_.matmul_params, q * c_.decode_gemm_flops(p_.gpu_batch), gemm_weight_traffic_bytes(p_, c_, q),
                              label("qkv", j), after);
        int d2h = xfer(kKvStore, gpu_, kv_host_, (c_.kv_bytes_per_token + hid) * gbs, label("qkv to cpu", j), {qkv});
        int attn = compute_op(cpu_, ComputeKind::kAttention, attn_flops, attn_bytes, label("cpu attention", j), {d2h});
        int h2d = xfer(kHiddenLoad, kv_host_, gpu_, hid * gbs, label("attention to gpu", j), {attn});
        if (part == kWhole)
          last = decode_gemm((1 - q) * c_.matmul_params, (1 - q) * c_.decode_gemm_flops(p_.gpu_batch),
                             gemm_weight_traffic_bytes(p_, c_, 1 - q), label("out+mlp", j), {h2d});
        else
          last = decode_gemm(rest * c_.matmul_params, rest * c_.decode_gemm_flops(p_.gpu_batch),
                             gemm_weight_traffic_bytes(p_, c_, rest), label("out", j), {h2d});
      } else {
        int attn = compute_op(dev, ComputeKind::kAttention, attn_flops, attn_bytes, label("attention", j), after);
        if (on_cpu)
          last = compute_op(dev, ComputeKind::kGemm, c_.decode_gemm_flops(p_.gpu_batch),
                            gemm_weight_traffic_bytes(p_, c_) + 4 * hid * gbs, label("gemm", j), {attn});
        else if (part == kWhole)
          last = decode_gemm(c_.matmul_params, c_.decode_gemm_flops(p_.gpu_batch),
                             gemm_weight_traffic_bytes(p_, c_) + 4 * hid * gbs, label("gemm", j), {attn});
        else
          last = decode_gemm(part_fraction(part) * c_.matmul_params, part_fraction(part) * c_.decode_gemm_flops(p_.gpu_batch),
                             gemm_weight_traffic_bytes(p_, c_, part_fraction(part)) + 2 * hid * gbs, label("qkv+out", j),
                             {attn});
      }
    }
    if (j == L_ - 1 && part != kAttentionPart) {  // LM head on the GPU: logits of the last position
      int a = last;
      if (on_cpu) a = xfer(kHiddenLoad, {TierKind::kPageableHost, 0}, gpu_, hid * gbs, label("hidden to gpu", j), {a});
      last = decode_gemm(c_.head_params, 2.0 * c_.head_params * gbs, c_.head_bytes, label("head", j), {a});
    }
    last_op_[k] = last;
    return last;
  }

  // Dataflow: a task waits for its inputs and a free buffer slot only.
  void dataflow_loop() {
    const int64_t slots = p_.weight_slots();
    Ops w, in;
    for (int64_t t = 0; t < T_; ++t)
      for (int64_t j = 0; j < L_; ++j) {
        const int64_t v = t * L_ + j;
        w.clear();
        weight_load(j, kWhole, v >= slots ? visit_done_[v - slots] : -1, &w);
        for (int64_t k = 0; k < nb_; ++k) {
          const int64_t s = v * nb_ + k;
          in.assign(w.begin(), w.end());
          kv_load(t, j, k, s >= 2 ? step_done_[s - 2] : -1, &in);
          hidden_load(t, j, k, -1, &in);
          int c = compute(t, j, k, &in);
          kv_store(t, j, k, c, nullptr);
          hidden_store(t, j, k, c, nullptr);
          step_done_[s] = c;
        }
        visit_done_[v] = step_done_[v * nb_ + nb_ - 1];
      }
  }

  // FlexGen's generation_loop_overlap_multi_batch: six tasks, then sync().
  // Its layers are blocks, or with sep_layer the attention and the MLP of
  // each block in turn (parts_ layers per block).
  void barrier_loop() {
    const int64_t layers = L_ * parts_, steps = T_ * layers * nb_;
    auto t_of = [&](int64_t s) { return s / (layers * nb_); };
    auto l_of = [&](int64_t s) { return (s / nb_) % layers; };
    auto j_of = [&](int64_t s) { return l_of(s) / parts_; };
    auto part_of = [&](int64_t s) { return parts_ == 1 ? kWhole : int(1 + l_of(s) % parts_); };
    int blbl = g.intern_label("sync");
    Ops ops, b;
    weight_load(0, part_of(0), -1, &ops);  // prologue: layer 0's weights, step 0's inputs
    kv_load(0, 0, 0, -1, &ops, part_of(0));
    hidden_load(0, 0, 0, -1, &ops);
    int barrier = barrier_after(ops, blbl);
    for (int64_t s = 0; s < steps; ++s) {
      const int64_t t = t_of(s), j = j_of(s), k = s % nb_;
      ops.clear();
      if (k == 0 && s / nb_ + 1 < T_ * layers) {
        const int64_t next = s + nb_;  // the first step of the next layer
        weight_load(j_of(next), part_of(next), barrier, &ops);
      }
      if (s + 1 < steps) {
        kv_load(t_of(s + 1), j_of(s + 1), (s + 1) % nb_, barrier, &ops, part_of(s + 1));
        hidden_load(t_of(s + 1), j_of(s + 1), (s + 1) % nb_, barrier, &ops);
      }
      if (s >= 1) {
        hidden_store(t_of(s - 1), j_of(s - 1), (s - 1) % nb_, step_done_[s - 1], &ops);
        kv_store(t_of(s - 1), j_of(s - 1), (s - 1) % nb_, step_done_[s - 1], &ops, part_of(s - 1));
      }
      b.assign(1, barrier);
      ops.push_back(step_done_[s] = compute(t, j, k, &b, part_of(s)));
      barrier = barrier_after(ops, blbl);
    }
    ops.clear();
    hidden_store(t_of(steps - 1), j_of(steps - 1), (steps - 1) % nb_, barrier, &ops);
    kv_store(t_of(steps - 1), j_of(steps - 1), (steps - 1) % nb_, barrier, &ops, part_of(steps - 1));
    barrier_after(ops, blbl);
  }

  int barrier_after(std::span<const int> ops, int lbl) {
    int b = g.add_free(g_, kBarrier, {TierKind::kPinnedHost, 0}, 0.0, lbl);
    deps(b, ops);
    return b;
  }

  const OffloadPlan& p_;
  const BlockCosts& c_;
  const Cluster& cl_;
  TaskGraph g;
  int g_, cpu_;
  int64_t T_ = 0, L_ = 0, nb_ = 1, parts_ = 1;
  Place gpu_, w_host_, kv_host_;
  std::vector<int> visit_done_, step_done_, last_op_, last_hidden_store_, last_kv_store_;
  int next_disk_ = 0;
  std::map<const char*, std::vector<int>> label_ids_;
  std::vector<std::pair<Place, double>> allocated_;  // keyed by the literal's address
};

}  // namespace

TaskGraph lower_offload_plan(const OffloadPlan& p, const BlockCosts& c, const Cluster& cl, int64_t tokens) {
  Lowerer l(p, c, cl, tokens);
  return l.run();
}

}  // namespace paralab
