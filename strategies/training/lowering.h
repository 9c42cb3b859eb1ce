// Lowering: a TrainingPlan becomes the TaskGraph of one full iteration.
//
// Per device of every stage, in the pipeline schedule's order (see
// pipeline_schedule.h), each layer's forward and backward per micro-batch:
// the GEMMs of QKV, attention scores and values, output projection and MLP
// with their TP-sharded shapes, softmax/dropout/norm/activation ops as
// memory-bound ops, the recomputed forward (full) or attention core
// (selective) before a backward; TP collectives (two all-reduces forward
// and two backward per block, or all-gather/reduce-scatter pairs with
// sequence parallelism); send/recv between adjacent stages; resharding
// all-to-alls between adjacent layers whose strategies differ; gradient
// synchronisation per layer (all-reduce over dp, reduce-scatter over fsdp)
// overlapped with backward; the tied-embedding gradient all-reduce between
// the first and last stage; ZeRO-3 weight all-gathers on the data stream
// (the forward's run ahead of compute, the backward's one layer ahead, before
// the previous layer's reduction, as FSDP's BACKWARD_PRE prefetch); the optimizer step and
// the ZeRO-1/2 weight all-gather after it; alloc/free of the reserve, model
// states, stored activations and transient buffers (amounts from
// memory_model.h, so the simulated peak matches estimate_memory).
//
// Streams: 0 compute and TP collectives (Megatron runs them in line),
// 1 data-parallel / ZeRO collectives, 2..7 pipeline send/recv (one stream
// per link direction, so a stream never mixes two neighbours), 8 the
// tied-embedding gradient all-reduce between the first and last stage, 9
// the TP collectives Megatron runs asynchronously in the backward
// (layer_ops.h `async`: each waits for the compute op before it, and the
// second compute op after it waits for it).
//
// Symmetry: with `symmetric` set, only the first data-parallel replica of
// each stage (its first count/g devices, g = gcd of the stage's layers' dp)
// is lowered: its compute, alloc/free, TP and ZeRO collectives, pipeline
// messages and tied-embedding all-reduces; the data-parallel all-reduces
// still span their whole groups. The other replicas do identical work at
// identical times, so they are mirrored: device k of a stage stands for
// every device k + r*(count/g). The graph is g times smaller and the timing
// is unchanged: exactly with analytic collectives; with flow-level
// collectives the mirrored replicas' own messages are absent from the
// network, which matters only where they would share a link with a flow
// that is present (see tests/strategies/symmetric_lowering_test.cpp).
// With `one_rank_per_stage` as well, only the first device of each stage
// is lowered (tp*fsdp times smaller again): still exact with analytic
// collectives, but in flow mode the other TP ranks' inter-node traffic is
// missing, so communication is underestimated wherever it would share a
// link with the representative's (a NIC serving several GPUs; on DGX
// A100/H100 each GPU has its own NIC, and the 16 k-GPU GPT-3 iteration
// comes out the same as with replicas mirrored). The representative of each
// device is recorded for per-device metrics.
//
// Invariants: 1. ops are created so that stream order plus dependencies is
// acyclic (every collective is created once all its members' earlier ops
// exist); 2. every alloc has a matching free on the same device, so memory
// returns to zero at the end. Thread-safety: pure function of its inputs.
#pragma once

#include <cstdint>
#include <vector>

#include "core/cluster.h"
#include "core/model_graph.h"
#include "core/task_graph.h"
#include "strategies/training/training_plan.h"

namespace paralab {

// What a communication op is for (exposed-communication metrics).
enum class CommClass : uint8_t { kNone, kTensor, kPipeline, kData };
const char* comm_class_name(CommClass c);

struct LoweringOptions {
  bool symmetric = true;            // mirror data-parallel replicas (see above)
  bool one_rank_per_stage = false;  // with symmetric: one device per stage
};

struct LoweredPlan {
  TaskGraph graph;
  std::vector<CommClass> comm_class;  // per op
  std::vector<int> representative;    // per device id: the device whose ops stand for it (-1 unused)
  std::vector<int> stage_of_device;   // physical stage per device id (-1 unused)
  std::vector<int> last_backward_ops; // last op before the optimizer step, per active device of each stage
};

// REQUIRES: validate_plan(plan, m, c) passed.
LoweredPlan lower_plan(const TrainingPlan& plan, const ModelGraph& m, const Cluster& c,
                       const LoweringOptions& opt = {});

}  // namespace paralab
