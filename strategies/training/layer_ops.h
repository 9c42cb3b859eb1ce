// Layer op templates: the ops one device runs for one layer, one
// micro-batch and one phase (forward, backward, recomputation), before they
// are bound to devices and groups by the lowering.
//
// Shapes per device (b samples on this device, t tokens per sample, tok =
// b*t, TP degree tp, sequence parallelism divides the tokens of norms,
// dropouts and residuals by tp):
//   forward block: LN1, [SP all-gather], QKV GEMM tok x (attn+2kv)/tp x h,
//   scores GEMM, softmax+dropout (memory-bound, (4e+1) bytes per score),
//   values GEMM, projection GEMM tok x h x attn/tp, TP all-reduce (SP:
//   reduce-scatter), dropout-residual-LN2, [SP all-gather], fc1 GEMM
//   tok x f/tp x h (x2 gated), activation, fc2 GEMM tok x h x f/tp, TP
//   all-reduce (SP: reduce-scatter), dropout-residual.
//   backward block: the same in reverse; each GEMM twice its forward work
//   (its data and weight gradients: one op marked `backward`, with the
//   forward's shape), each memory-bound op twice its bytes. With TP > 1
//   (blocks, embedding and head) the TP collectives as Megatron-LM runs
//   them (megatron/mpu/layers.py, ColumnParallelLinearWithAsyncAllreduce
//   and ...WithSequenceParallelism, 2022): a row-parallel output's forward
//   all-reduce (proj, fc2, the embedding) has an identity backward, its
//   reduce-scatter (SP) an in-line all-gather, the cross-entropy's forward
//   all-reduces none; a column-parallel GEMM (qkv, fc1, the logits) sends
//   its input gradient back over the TP group. Its backward is split into
//   its data gradient (dgrad) and weight gradient (wgrad): with SP the
//   input re-gathered `async` beside dgrad, then the input gradient
//   reduce-scattered `async` beside wgrad; without SP dgrad, then the input
//   gradient's all-reduce `async` beside wgrad (async_tp), or in line after
//   the whole backward GEMM (Megatron-LM before late 2021). An `async`
//   collective starts after the op before it and runs beside the next
//   compute op; the compute op after that one waits for it (each is
//   followed by two compute ops of the same list).
//   recompute: full = the forward block again; selective = the attention
//   core (scores, softmax+dropout, values).
//   embedding / head: gather and dropout, vocabulary-parallel logits GEMM and
//   fp32 cross-entropy, with the TP all-reduce of the embedding output.
//   Other layers: one GEMM-like op of forward_flops/tp.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "core/model_graph.h"
#include "core/task_graph.h"
#include "strategies/training/training_plan.h"

namespace paralab {

enum class Phase { kForward, kBackward, kRecompute };

struct OpSpec {
  enum Kind : uint8_t { kCompute, kGemm, kTpCollective } kind = kCompute;
  ComputeKind compute = ComputeKind::kElementwise;
  CollectiveKind collective = CollectiveKind::kAllReduce;
  double flops = 0, bytes = 0;
  int64_t m = 0, n = 0, k = 0;  // kGemm
  bool backward = false;        // kGemm: the backward of (m, n, k), GemmShape::backward
  bool async = false;           // kTpCollective: beside the next compute op (see above)
  bool column_parallel = false; // kGemm of a block: its input is the TP group's whole activation
  const char* name = "";
};

// Frozen layers (trainable_params >= 0 and below the layer's parameters;
// -1 = all train): backward weight GEMMs run only their data gradient (work
// x1, not x2), and trainable_params > 0 adds an "adapters" op of 2 FLOPs per
// adapter parameter and token (LoRA), doubled in backward.
// REQUIRES: samples_per_device >= 1.
// async_tp: without SP, a column-parallel GEMM's input-gradient all-reduce
// beside its weight gradient (Megatron-LM since late 2021); false: in line.
std::vector<OpSpec> layer_ops(const Layer& l, int64_t seq, int64_t samples_per_device, DType dtype,
                              const LayerStrategy& s, Phase phase, double trainable_params = -1.0,
                              bool async_tp = true);

}  // namespace paralab
