#include "strategies/training/layer_ops.h"

#include <algorithm>
#include <string_view>

namespace paralab {

namespace {

struct Builder {
  std::vector<OpSpec> ops;
  double e = 2;  // bytes per element
  void mem(const char* name, double bytes, ComputeKind k = ComputeKind::kElementwise) {
    OpSpec o;
    o.kind = OpSpec::kCompute;
    o.compute = k;
    o.bytes = bytes;
    o.name = name;
    ops.push_back(o);
  }
  void gemm(const char* name, double m, double n, double k) {
    OpSpec o;
    o.kind = OpSpec::kGemm;
    o.m = int64_t(m), o.n = int64_t(n), o.k = int64_t(k);
    o.flops = 2 * m * n * k;
    o.bytes = e * (m * k + k * n + m * n);
    o.compute = ComputeKind::kGemm;
    o.name = name;
    ops.push_back(o);
  }
  // Batched GEMM (attention): given FLOPs and bytes.
  void bgemm(const char* name, double flops, double bytes) {
    OpSpec o;
    o.kind = OpSpec::kCompute;
    o.compute = ComputeKind::kAttention;
    o.flops = flops;
    o.bytes = bytes;
    o.name = name;
    ops.push_back(o);
  }
  void coll(const char* name, CollectiveKind k, double bytes, bool async = false) {
    OpSpec o;
    o.kind = OpSpec::kTpCollective;
    o.collective = k;
    o.bytes = bytes;
    o.name = name;
    o.async = async;
    ops.push_back(o);
  }
};

// Names of the split backward of a column-parallel GEMM (string literals:
// the lowering keys its labels by them).
struct ColumnNames {
  const char *dgrad, *wgrad, *regather, *grad_sync;
};
ColumnNames column_names(std::string_view gemm, bool sp) {
  if (gemm == "qkv") return {"qkv_dgrad", "qkv_wgrad", "ag_qkv_input", sp ? "rs_qkv_grad" : "ar_qkv_grad"};
  if (gemm == "fc1") return {"fc1_dgrad", "fc1_wgrad", "ag_fc1_input", sp ? "rs_fc1_grad" : "ar_fc1_grad"};
  return {"logits_dgrad", "logits_wgrad", "ag_logits_input", sp ? "rs_logits_grad" : "ar_logits_grad"};
}

// Forward ops of a Transformer block.
void block_forward(Builder& b, const Layer& l, double tok, double t, double samples, const LayerStrategy& s,
                   bool core_only) {
  const BlockShape& sh = l.shape;
  double tp = s.tp, sp = s.sequence_parallel ? tp : 1.0, e = b.e;
  double h = double(sh.hidden), attn = double(sh.heads * sh.head_dim), kv = double(sh.kv_heads * sh.head_dim);
  double f = double(sh.ffn_hidden);
  double keys = sh.window_tokens > 0 ? std::min<double>(double(sh.window_tokens), t) : t;
  double scores = samples * double(sh.heads) / tp * t * keys;  // elements
  auto core = [&] {
    b.bgemm("scores", 2 * tok * keys * attn / tp, e * (tok * (attn + kv) / tp + scores));
    b.mem("softmax_dropout", scores * (4 * e + 1));
    b.bgemm("values", 2 * tok * keys * attn / tp, e * (scores + tok * (kv + attn) / tp));
  };
  if (core_only) {
    core();
    return;
  }
  bool tpc = s.tp > 1;
  b.mem("ln1", 2 * e * tok * h / sp);
  if (tpc && s.sequence_parallel) b.coll("ag_attn", CollectiveKind::kAllGather, e * tok * h);
  b.gemm("qkv", tok, (attn + 2 * kv) / tp, h);
  b.ops.back().column_parallel = true;
  core();
  b.gemm("proj", tok, h, attn / tp);
  if (tpc) b.coll(s.sequence_parallel ? "rs_attn" : "ar_attn",
                  s.sequence_parallel ? CollectiveKind::kReduceScatter : CollectiveKind::kAllReduce, e * tok * h);
  b.mem("dropout_add_ln2", (5 * e + 1) * tok * h / sp);
  if (tpc && s.sequence_parallel) b.coll("ag_mlp", CollectiveKind::kAllGather, e * tok * h);
  double f1 = sh.gated_mlp ? 2 * f : f;
  b.gemm("fc1", tok, f1 / tp, h);
  b.ops.back().column_parallel = true;
  b.mem("activation", (sh.gated_mlp ? 3 : 2) * e * tok * f / tp);
  b.gemm("fc2", tok, h, f / tp);
  if (tpc) b.coll(s.sequence_parallel ? "rs_mlp" : "ar_mlp",
                  s.sequence_parallel ? CollectiveKind::kReduceScatter : CollectiveKind::kAllReduce, e * tok * h);
  b.mem("dropout_add", (3 * e + 1) * tok * h / sp);
}

// The backward of one compute op: its work doubled (a GEMM's data and weight
// gradients, marked `backward` with the forward's shape). A frozen layer's
// weight GEMMs run their data gradient only: the same work as forward, one
// GEMM dX (m x k) = dY (m x n) W^T (inner dimension n).
OpSpec backward_of(OpSpec o, bool frozen) {
  if (frozen && (o.kind == OpSpec::kGemm || std::string_view(o.name) == "layer")) {
    std::swap(o.n, o.k);
  } else {
    o.flops *= 2;
    o.bytes *= 2;
    o.backward = o.kind == OpSpec::kGemm;
  }
  return o;
}

// Backward of a layer without TP collectives: the forward list reversed.
void mirror_backward(Builder& b, const std::vector<OpSpec>& fwd, bool frozen) {
  for (auto it = fwd.rbegin(); it != fwd.rend(); ++it) b.ops.push_back(backward_of(*it, frozen));
}

// Backward of a layer with TP > 1 as Megatron-LM runs it (the header's
// account): a row-parallel output's all-reduce (blocks, the vocabulary-
// parallel embedding) has an identity backward, its reduce-scatter (SP) an
// in-line all-gather, and the cross-entropy's forward all-reduces none; a
// column-parallel GEMM (qkv, fc1, the logits) sends its input gradient back
// over the TP group: with SP the input re-gathered beside the data gradient
// and the gradient reduce-scattered beside the weight gradient; without,
// all-reduced beside the weight gradient (async_tp) or after the whole
// backward GEMM, in line. A frozen layer runs data gradients only, so its
// input-gradient collective has nothing beside it and runs in line.
void tp_backward(Builder& b, const std::vector<OpSpec>& fwd, bool sp, bool async_tp, bool frozen) {
  for (auto it = fwd.rbegin(); it != fwd.rend(); ++it) {
    OpSpec o = *it;
    if (o.kind == OpSpec::kTpCollective) {
      if (o.collective == CollectiveKind::kReduceScatter) {  // row-parallel output (SP)
        o.collective = CollectiveKind::kAllGather;
        b.ops.push_back(o);
      }
      continue;  // all-reduce: identity backward; all-gather: with its GEMM below
    }
    if (o.kind == OpSpec::kGemm && o.column_parallel) {
      // Forward Y[m x n] = X[m x k] W^T: dX = dY W (m x k, inner n), dW =
      // dY^T X (n x k, inner m); the input and its gradient are m x k.
      const ColumnNames nm = column_names(o.name, sp);
      const double m = double(o.m), n = double(o.n), k = double(o.k), input = b.e * m * k;
      const CollectiveKind sync = sp ? CollectiveKind::kReduceScatter : CollectiveKind::kAllReduce;
      if (frozen) {
        b.gemm(nm.dgrad, m, k, n);
        b.coll(nm.grad_sync, sync, input);
      } else if (sp || async_tp) {
        if (sp) b.coll(nm.regather, CollectiveKind::kAllGather, input, true);
        b.gemm(nm.dgrad, m, k, n);
        b.coll(nm.grad_sync, sync, input, true);
        b.gemm(nm.wgrad, n, k, m);
      } else {
        b.ops.push_back(backward_of(o, false));
        b.coll(nm.grad_sync, sync, input);
      }
      continue;
    }
    b.ops.push_back(backward_of(o, frozen));
  }
}

void embedding_forward(Builder& b, const Layer& l, double tok, const LayerStrategy& s) {
  double h = double(l.shape.hidden), e = b.e, sp = s.sequence_parallel ? s.tp : 1.0;
  b.mem("gather", 2 * e * tok * h, ComputeKind::kEmbedding);
  if (s.tp > 1)
    b.coll(s.sequence_parallel ? "rs_embedding" : "ar_embedding",
           s.sequence_parallel ? CollectiveKind::kReduceScatter : CollectiveKind::kAllReduce, e * tok * h);
  b.mem("dropout", (2 * e + 1) * tok * h / sp);
}

void head_forward(Builder& b, const Layer& l, double tok, const LayerStrategy& s) {
  double h = double(l.shape.hidden), e = b.e, tp = s.tp, sp = s.sequence_parallel ? tp : 1.0;
  double V = double(l.shape.vocab);
  b.mem("final_ln", 2 * e * tok * h / sp);
  if (s.tp > 1 && s.sequence_parallel) b.coll("ag_head", CollectiveKind::kAllGather, e * tok * h);
  b.gemm("logits", tok, V / tp, h);
  b.ops.back().column_parallel = true;
  b.mem("cross_entropy", 3 * 4 * tok * V / tp);
  if (s.tp > 1) b.coll("ar_loss", CollectiveKind::kAllReduce, 3 * 4 * tok);
}

}  // namespace

std::vector<OpSpec> layer_ops(const Layer& l, int64_t seq, int64_t samples_per_device, DType dtype,
                              const LayerStrategy& s, Phase phase, double trainable_params, bool async_tp) {
  const bool frozen = trainable_params >= 0 && trainable_params < double(l.params);
  Builder b;
  b.e = dtype_bytes(dtype);
  double samples = double(samples_per_device);
  double t = double(l.tokens(seq));
  double tok = samples * t;
  bool block = l.kind == LayerKind::kEncoderBlock || l.kind == LayerKind::kDecoderBlock;
  if (phase == Phase::kRecompute) {
    if (block && s.recompute != Recompute::kNone)
      block_forward(b, l, tok, t, samples, s, s.recompute == Recompute::kSelective);
    return b.ops;
  }
  Builder fwd;
  fwd.e = b.e;
  if (block) {
    block_forward(fwd, l, tok, t, samples, s, false);
  } else if (l.kind == LayerKind::kEmbedding && l.shape.vocab > 0) {
    embedding_forward(fwd, l, tok, s);
  } else if (l.kind == LayerKind::kHead && l.shape.vocab > 0) {
    head_forward(fwd, l, tok, s);
  } else {
    fwd.bgemm("layer", l.forward_flops(seq) * samples / s.tp, fwd.e * (double(l.params) / s.tp + 2 * tok * double(l.shape.hidden)));
    fwd.ops.back().compute = ComputeKind::kGemm;
  }
  if (frozen && trainable_params > 0) {
    // Low-rank adapters x B^T A^T beside the frozen weights: 2 FLOPs per
    // adapter parameter and token (their backward doubles it as any op's).
    fwd.bgemm("adapters", 2 * tok * trainable_params / s.tp, fwd.e * (trainable_params / s.tp + 2 * tok * double(l.shape.hidden)));
    fwd.ops.back().compute = ComputeKind::kGemm;
  }
  if (phase == Phase::kForward) return fwd.ops;
  const bool vocab = (l.kind == LayerKind::kEmbedding || l.kind == LayerKind::kHead) && l.shape.vocab > 0;
  if ((block || vocab) && s.tp > 1)
    tp_backward(b, fwd.ops, s.sequence_parallel, async_tp, frozen);
  else
    mirror_backward(b, fwd.ops, frozen);
  return b.ops;
}

}  // namespace paralab
