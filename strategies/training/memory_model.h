// Memory model: analytic peak memory per device of a training plan.
//
// Per device of a physical pipeline stage, the peak is
//   model states + the allocator/framework reserve + the peak of stored
//   activations plus transients, found by replaying the stage's schedule
//   layer by layer (forwards allocate each layer's activations; backwards
//   visit layers in reverse, each with its transient, freeing as they go).
// For identical layers this is states + in-flight x stage activations +
// one layer's transient.
// Frozen layers (TrainingPlan::trainable_params): the frozen weights keep only
// their weight bytes; the trainable ones the full state below.
// Model states (bytes per parameter on a device, parameters divided by tp):
//   mixed precision: 2 weight + 2 gradient + 12 optimizer (fp32 master, Adam
//   m and v) = 16; fp32: 4 + 4 + 8 = 16. ZeRO over the fsdp ranks f:
//   stage 1 divides the optimizer by f, stage 2 also the gradients, stage 3
//   everything. A tied output embedding on another stage than the input
//   embedding keeps its own copy (Megatron's word-embedding replica).
// Activations per block and sample (Korthikanti et al. 2022, 16-bit, t
//   tokens, generalised from the block's shape: A = Layer::activation_bytes,
//   core C = 5*a*t*keys, replicated part R = 10*t*h, sharded part
//   S = A - R - C; for GPT A = 34th + 5at^2):
//     none:      R + (S + C)/tp          (SP: A/tp)
//     selective: R + S/tp                (SP: (R + S)/tp, i.e. 34th/tp)
//     full:      2th (the block input)   (SP: 2th/tp)
//   embedding: dropout mask t*h (SP: /tp); head with a vocabulary: LN and
//   projection inputs 4th (SP: /tp) + fp32 logits 4*t*V/tp. fp32 plans
//   store every activation at twice the size.
// In-flight micro-batches per physical stage i of p (m micro-batches):
//   GPipe m; 1F1B min(p - i, m); interleaved (v chunks): the first
//   min(2(p-i-1) + (v-1)p + 1, m*v) forwards in Megatron's order.
// Transients: full recomputation rebuilds one block's activations
// (A_none - A_full), selective the attention core (C/tp); ZeRO-3 gathers one
// layer's 16-bit weights. The lowering allocates and frees exactly these
// amounts, so the simulated peak matches this estimate.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/model_graph.h"
#include "strategies/training/training_plan.h"

namespace paralab {

// Memory traffic of the optimizer step per local parameter, kernel by kernel
// as Megatron-LM's mixed-precision optimizer runs them (megatron/optimizer/
// optimizer.py, Float16OptimizerWithFloat16Params.step; apex's multi-tensor
// kernels), in bytes per parameter:
//                                               fp16   bf16   fp32
//   fp16 grads copied to fp32 main grads (r2 w4)   6      -      -
//   bf16: the fp32 grad buffer zeroed (w4)         -      4      -
//   unscale + inf/NaN check, fp16 loss scale (r4 w4) 8    -      -
//   grads scaled by 1 / data-parallel size before
//     their all-reduce, fp16 or fp32 buffer (r w;
//     megatron/model/distributed.py
//     allreduce_gradients: buffer /= dp, any dp)   4      8      8
//   global gradient norm (r4)                      4      4      4
//   fused Adam: read p, g, m, v; write p, m, v    28     28     28
//   fp32 main params copied to 16-bit (r4 w2)      6      6      -
//   total                                         56     50     40
// Memory-bound: its time is these bytes over the device's memory bandwidth.
double optimizer_step_bytes_per_param(Precision p);

// Bytes of model state per device for `params` parameters of one layer.
double model_state_bytes(double params, Precision p, const LayerStrategy& s);
// Stored activation bytes per device for one micro-batch of `samples`
// samples (all replicas together) through layer `l`.
double layer_activation_bytes(const Layer& l, int64_t seq, int64_t samples, Precision p, const LayerStrategy& s);
// Transient bytes per device while layer `l` runs its backward.
double layer_transient_bytes(const Layer& l, int64_t seq, int64_t samples, Precision p, const LayerStrategy& s);
// Parameters whose state layer `layer` keeps on its stage (adds the tied
// output-embedding replica when the input embedding is on another stage).
double layer_state_params(const TrainingPlan& plan, const ModelGraph& m, int layer);
// Parameters of layer `layer` that train (plan.trainable_params; all of
// layer_state_params when that list is empty).
double layer_trainable_params(const TrainingPlan& plan, const ModelGraph& m, int layer);
// Model-state bytes per device of layer `layer`: model_state_bytes of its
// trainable parameters plus, for the frozen rest, the weights alone (16-bit
// or fp32, divided by tp, and by fsdp under ZeRO-3).
double layer_model_state_bytes(const TrainingPlan& plan, const ModelGraph& m, int layer);
// In-flight micro-batches of `chunk` on physical stage `stage`.
int in_flight_micro_batches(const TrainingPlan& plan, int stage, int chunk);

struct StageMemory {
  int stage = 0;  // physical stage (device group)
  std::vector<int> devices;
  double state_bytes = 0;
  double activation_bytes = 0;  // in-flight total
  int in_flight = 0;            // micro-batches (chunk 0 for interleaved)
  double transient_bytes = 0;
  double reserve_bytes = 0;
  double peak_bytes = 0;
  double capacity_bytes = 0;
  double over_bytes() const { return peak_bytes > capacity_bytes ? peak_bytes - capacity_bytes : 0.0; }
};

struct MemoryEstimate {
  std::vector<StageMemory> stages;
  bool fits = true;
  std::string oom_message;  // names the first stage that does not fit and by how much
  // Peak per device id (0 for devices the plan does not use).
  std::vector<double> peak_per_device(int num_devices) const;
};

// REQUIRES: validate_plan(plan, m, c) passed.
MemoryEstimate estimate_memory(const TrainingPlan& plan, const ModelGraph& m, const Cluster& c);

}  // namespace paralab
