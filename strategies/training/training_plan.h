// TrainingPlan: how one training iteration of a model runs on a cluster.
//
// A plan fixes the batch (global batch, micro-batch count, sequence length),
// the numeric precision (fp32, or bf16/fp16 mixed with fp32 master weights),
// the optimizer (Adam), the pipeline schedule (GPipe, 1F1B, interleaved 1F1B
// with `chunks` model chunks per device), the pipeline stages (a contiguous
// half-open layer range [first_layer, end_layer) and the device group of
// each) and, per layer, an intra-layer strategy: data-parallel replicas (dp),
// tensor-parallel degree (tp, Megatron column/row split, optional sequence
// parallelism), fully-sharded data-parallel degree (fsdp, sharding as ZeRO
// stage 1/2/3 says) and activation recomputation (none/selective/full).
//
// Device layout inside a stage (Megatron order, TP innermost): the stage's
// k-th device is  dp_index*(fsdp*tp) + fsdp_index*tp + tp_index.
// One micro-batch is global_batch/micro_batches samples; a layer processes
// that divided by its dp*fsdp on each device.
// Interleaved schedules list p*chunks stages; stage j runs on the device
// group of stage j mod p (Megatron's virtual pipeline).
//
// Invariants (checked by validate_plan, not by the types):
//  1. stages cover the model's layers in order, each layer exactly once;
//  2. each layer's dp*tp*fsdp equals its stage's device count;
//  3. global_batch is divisible by micro_batches, and the micro-batch by
//     every layer's dp*fsdp.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/json_reader.h"
#include "core/model_graph.h"

namespace paralab {

enum class Precision { kFp32, kBf16, kFp16 };
enum class PipelineSchedule { kGpipe, k1F1B, kInterleaved };
enum class Recompute { kNone, kSelective, kFull };

const char* precision_name(Precision p);
const char* schedule_name(PipelineSchedule s);
const char* recompute_name(Recompute r);
// Parsers return false on unknown names; the *_names() lists are for messages.
bool parse_precision(const std::string& s, Precision* out);
bool parse_schedule(const std::string& s, PipelineSchedule* out);
bool parse_recompute(const std::string& s, Recompute* out);
const std::vector<std::string>& precision_names();
const std::vector<std::string>& schedule_names();
const std::vector<std::string>& recompute_names();

struct LayerStrategy {
  int dp = 1;    // plain replicas (gradients all-reduced)
  int tp = 1;    // tensor-parallel degree
  int fsdp = 1;  // sharded data-parallel degree (ZeRO over these ranks)
  int zero_stage = 0;  // 0..3: what the fsdp ranks shard (1 optimizer, 2 +grads, 3 +weights)
  bool sequence_parallel = false;
  Recompute recompute = Recompute::kNone;

  int devices() const { return dp * tp * fsdp; }
  int batch_split() const { return dp * fsdp; }
  bool operator==(const LayerStrategy&) const = default;
};

// Resharding between consecutive layers of one stage (lowering and UniAP's
// edge costs alike): device k holds batch shard k / tp whatever the
// dp x fsdp split, so activations move only when the TP degrees differ, and
// then only inside aligned blocks of lcm(a.tp, b.tp) devices. Returns that
// block size, or 1 when nothing moves. (A sequence-parallel switch at equal
// TP degree is not charged.)
inline int reshard_block(const LayerStrategy& a, const LayerStrategy& b) {
  return a.tp == b.tp ? 1 : std::lcm(a.tp, b.tp);
}

// Whether layers a -> b of one stage at equal TP degree gather the sequence
// shards between them (one all-gather of a's whole output over the TP
// group): a layer with sequence parallelism hands on, and takes back as its
// input gradient, 1/tp of the tokens; one without hands on the whole
// activation. So forward into b without SP after a with it, and backward
// (b's input gradient) out of b with SP into a without it.
inline bool sp_switch_gathers(const LayerStrategy& a, const LayerStrategy& b, bool backward) {
  if (a.tp != b.tp || a.tp <= 1 || a.sequence_parallel == b.sequence_parallel) return false;
  return backward ? b.sequence_parallel : a.sequence_parallel;
}

// "dp 2 tp 4 fsdp 1 zero-1 sp recompute selective": one layer's strategy, for people.
std::string strategy_text(const LayerStrategy& s);

struct PipelineStage {
  int first_layer = 0;  // inclusive
  int end_layer = 0;    // exclusive
  std::vector<int> devices;
  int num_layers() const { return end_layer - first_layer; }
};

struct TrainingPlan {
  std::string model;    // catalog name or path
  std::string cluster;  // catalog name or path
  int nodes = 0;        // 0 = the cluster file's count
  int64_t seq_len = 2048;
  int64_t global_batch = 1;
  int64_t micro_batches = 1;
  Precision precision = Precision::kBf16;
  std::string optimizer = "adam";
  PipelineSchedule schedule = PipelineSchedule::k1F1B;
  int chunks = 1;  // model chunks per device (interleaved only)
  std::vector<PipelineStage> stages;
  std::vector<LayerStrategy> layers;  // one per model layer
  double reserve_bytes = 2.0 * 1024 * 1024 * 1024;  // allocator/framework reserve per device
  // true: each layer's gradient all-reduce starts once the last micro-batch's
  // backward of that layer is done, hidden behind the rest of the backward
  // (PyTorch DDP buckets, Megatron-LM --overlap-grad-reduce); false: all of a
  // stage's gradients are reduced after its whole backward, as Megatron-LM
  // did before 2023 (allreduce_gradients() after the pipeline schedule).
  // File key: overlap_grad_reduce (default true).
  bool overlap_grad_reduce = true;
  // true: the TP collectives of a column-parallel GEMM's backward run beside
  // its data and weight gradients (Megatron-LM's asynchronous input-gradient
  // all-reduce, on by default since late 2021; layer_ops.h); false: every
  // TP collective in line, as Megatron-LM ran before it (Narayanan et al.
  // 2021). File key: async_tensor_parallel (default true).
  bool async_tensor_parallel = true;
  // Parameter-efficient fine-tuning (LoRA, InfLoRA): trainable parameters per
  // layer; empty = every parameter trains. A layer with fewer trainable
  // parameters than it holds is frozen except for those (adapters): its
  // backward runs data-gradient GEMMs only (no weight gradients for the
  // frozen weights), it keeps the frozen weights alone (no gradient, no
  // optimizer state) plus full state for the trainable ones, and only the
  // trainable ones are synchronised and stepped by the optimizer.
  std::vector<double> trainable_params;
  std::string source;  // who wrote it ("paralab plan megatron", a planner, ...)

  // Samples in one micro-batch (all replicas together).
  int64_t micro_batch_samples() const { return micro_batches > 0 ? global_batch / micro_batches : 0; }
  // Pipeline depth p: physical device groups (stages / chunks).
  int pipeline_depth() const;
  // Stage index of each layer (-1 if no stage holds it).
  std::vector<int> stage_of_layers(int num_layers) const;
  // Every device the plan uses, ascending.
  std::vector<int> all_devices() const;
};

// The JSON form (see the header comment for the fields). `file` names the
// input in messages. Structural checks only; validate_plan checks the rules.
Json plan_to_json(const TrainingPlan& p);
TrainingPlan plan_from_json(const JsonReader& j);
TrainingPlan load_plan(const std::string& path);

// What a Megatron-LM / DeepSpeed user would set by hand.
struct MegatronOptions {
  std::string model, cluster;
  int nodes = 0;
  int64_t seq_len = 2048;
  int64_t global_batch = 1;
  int tp = 1, pp = 1, dp = 0;  // dp 0 = devices / (tp*pp)
  int64_t micro_batch = 1;     // samples per data-parallel rank
  PipelineSchedule schedule = PipelineSchedule::k1F1B;
  int chunks = 1;
  Recompute recompute = Recompute::kNone;
  bool sequence_parallel = false;
  int zero_stage = 0;
  Precision precision = Precision::kBf16;
  bool overlap_grad_reduce = true;  // TrainingPlan::overlap_grad_reduce
  bool async_tensor_parallel = true;  // TrainingPlan::async_tensor_parallel
};

// Uniform Transformer blocks per stage (the embedding joins the first stage,
// the head the last); devices numbered PP-major, then DP, then TP. Throws
// InputError when the degrees do not fit the model or the cluster.
TrainingPlan megatron_plan(const MegatronOptions& o, const ModelGraph& m, const Cluster& c);

}  // namespace paralab
