// UniAP's cost model: for one (pipeline degree, micro-batch count) pair, the
// strategy set of every layer on the g = devices / pp devices of a stage and
// the matrices A, M, R, R' of a PlanInstance, derived from the functions the
// lowering and the simulator use, so planner and simulator cannot silently
// disagree:
//   A_u[k]  per micro-batch: every op of layer_ops() (forward, recomputation,
//           backward) costed by core/cost_model (GEMMs with their shapes), the
//           TP collectives by sim::analytic_collective_ns on the stage's TP
//           group; the data stream's collectives by what they add beside
//           a compute as long as the layer's own
//           (sim::ComputeModel::beside_collective_ns): the ZeRO-3 weight
//           all-gather beside the forward, and beside the backward the next
//           layer's gather (prefetched) with the gradient reductions
//           (ZeRO-2/3 reduce-scatter every micro-batch; data-parallel
//           all-reduce and ZeRO-1 reduce-scatter at the last); the
//           once-per-iteration terms (those reductions, optimizer step of optimizer_step_bytes_per_param per local shard
//           parameter (its launch overhead on the first layer only: the
//           lowering runs one step op per stage), ZeRO-1/2 weight all-gather) divided by c, so that c
//           micro-batches carry them once.
//   memory  state = model_state_bytes (plus the tied output-embedding replica
//           on the last stage when there are several), act =
//           layer_activation_bytes of one micro-batch; in_flight GPipe c,
//           1F1B min(S - i, c) (memory_model.h); capacity = device memory -
//           reserve - the largest backward transient of any layer under any
//           strategy (so a plan that fits here fits estimate_memory).
//   R_uv    as the lowering reshards: when the TP degrees differ, two
//           all-to-alls (forward and backward) of u's output inside blocks
//           of lcm(tp_u, tp_v) devices (reshard_block); at equal TP, one
//           all-gather of u's output over the TP group when sequence
//           parallelism switches (sp_switch_gathers); 0 otherwise.
//   R'_uv   forward send/recv of u's output / tp_u, backward send/recv of v's
//           output / tp_v, plus the boundary all-gathers of TP without
//           sequence parallelism (lowering.cpp boundary_gather).
// Strategies per layer: dp x tp x fsdp = g with tp | g, tp <= devices per
// node and dividing heads, key/value heads and FFN width; fsdp > 1 with ZeRO
// 1, 2 or 3 (fsdp > 1 without sharding would be plain dp); recomputation
// none / selective / full for Transformer blocks; sequence parallelism on
// or off with tp > 1 (tokens divisible by tp); the micro-batch divisible by
// dp x fsdp. Dominated strategies (no faster, no smaller in states and
// activations, and with the same layout and sequence parallelism, so R and
// R' rows are equal) are dropped before solving.
// Thread-safety: pure functions (the Cluster and ModelGraph are read only).
#pragma once

#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/model_graph.h"
#include "strategies/training/planners/plan_instance.h"
#include "strategies/training/training_plan.h"

namespace paralab::planner {

struct PlannerJob {
  std::string model, cluster;  // names recorded in the plan
  int nodes = 0;
  int64_t global_batch = 1;
  int64_t seq_len = 2048;
  Precision precision = Precision::kFp32;
  PipelineSchedule schedule = PipelineSchedule::kGpipe;
  double reserve_bytes = 2.0 * 1024 * 1024 * 1024;
};

// Which strategies a planner may use (baselines and ablations restrict it).
struct StrategySpace {
  bool tensor_parallel = true;
  bool sharding = true;        // fsdp > 1 (ZeRO 1-3)
  bool only_zero3 = false;     // sharding restricted to ZeRO-3
  bool recomputation = true;
  bool selective_recompute = true;  // with recomputation: selective as well as full
  bool sequence_parallel = true;
  bool pure_data_parallel_only = false;  // dp = g only
  bool full_sharding_only = false;       // fsdp = g, ZeRO-3 only
};

// How the gradient reductions are priced: beside the backward that follows
// them, as the lowering runs them (the default), or in line after it, an
// upper bound that the planner also solves for its best pairs, so that an
// error of the first cannot hide a plan the second finds.
enum class ReductionPricing { kBesideBackward, kInLine };

struct CostedInstance {
  PlanInstance instance;
  ReductionPricing pricing = ReductionPricing::kBesideBackward;
  std::vector<std::vector<LayerStrategy>> strategies;  // per layer, parallel to instance costs
  int pipeline_degree = 1;
  int devices_per_stage = 1;
  int strategies_enumerated = 0;  // before dominance pruning (all layers)
  int strategies_kept = 0;        // after (all layers)
  int max_strategies_per_layer = 0;
  double transient_reserve_bytes = 0;  // subtracted from the capacity
};

// REQUIRES: pp divides the device count, c divides the global batch.
// build_instance = cost_layers (strategies, A, memory, caps; no edges) then
// add_edges (R and R', one shared matrix pair per pair of layer kinds); the
// planner costs layers first to bound every pair and adds edges only to the
// pairs it solves.
CostedInstance cost_layers(const ModelGraph& m, const Cluster& c, const PlannerJob& job, int pp, int64_t micro_batches,
                           const StrategySpace& space = {},
                           ReductionPricing pricing = ReductionPricing::kBesideBackward);
void add_edges(const ModelGraph& m, const Cluster& c, const PlannerJob& job, CostedInstance* ci);
CostedInstance build_instance(const ModelGraph& m, const Cluster& c, const PlannerJob& job, int pp, int64_t micro_batches,
                              const StrategySpace& space = {});

// The TrainingPlan of a solution: stage i on devices [i*g, (i+1)*g).
TrainingPlan plan_from_assignment(const ModelGraph& m, const PlannerJob& job, const CostedInstance& ci,
                                  const Assignment& a, const std::string& source);

// Per-micro-batch time of layer `l` under `s` with `samples` per device on
// devices starting at `first_device` (compute + TP collectives, serial).
double layer_step_seconds(const ModelGraph& m, const Cluster& c, int l, int64_t seq, int64_t samples,
                          Precision p, const LayerStrategy& s, int first_device);

}  // namespace paralab::planner
