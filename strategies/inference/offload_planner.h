// Offload planners: the plan each schedule's own tool would pick, an
// analytic time estimate of any plan, and the PIPO plan solver.
//
// Placement rule shared by every schedule (what device_map="auto", DeepSpeed
// and FlexGen users end up with): keep on the GPU the largest share of the
// weights that fits after the schedule's buffers, KV cache and activations;
// put the rest in host memory (page-locked where the schedule pins and the
// pinned pool allows), and what host memory cannot hold on the SSD. The KV
// cache stays on the GPU where the schedule requires it (accelerate,
// zero-inference); FlexGen and PIPO move it to host memory when the GPU
// cannot hold it. ZeRO-Inference offloads every parameter to one device
// (ZeRO-3's offload_param.device, cpu or nvme): host memory when the whole
// model fits there, else the SSD.
//
// analytic_estimate: a dataflow bound per visit (one block, all GPU
// batches): max(GPU compute, host->GPU bytes / PCIe rate, SSD bytes / read
// rate, GPU->host bytes / PCIe rate), summed over the prefill and the
// decode visits (KV at the mean context); barrier and synchronous schedules
// add their channels instead of overlapping them. Used only to rank
// candidates; the simulator decides.
//
// solve_pipo: enumerates GPU batch, number of GPU batches, prefetch depth,
// I/O threads and chunking; keeps plans that pass check_offload_plan; ranks
// them by the estimate; simulates the best `confirm` and returns the fastest
// simulated one.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/model_graph.h"
#include "strategies/inference/inference_sim.h"
#include "strategies/inference/offload_plan.h"

namespace paralab {

// The plan `s` runs with for a fixed split batch = gpu_batch x num_gpu_batches.
OffloadPlan schedule_plan(Schedule s, const InferenceJob& job, int64_t gpu_batch, int64_t num_gpu_batches,
                          const BlockCosts& c, const Cluster& cl);

// Estimated seconds of the whole generation (prefill + decode).
double analytic_estimate(const OffloadPlan& p, const BlockCosts& c, const Cluster& cl);

struct PlanSearch {
  InferenceResult best;           // simulated; status "infeasible" when nothing fits
  int candidates = 0, feasible = 0, simulated = 0;
  double seconds = 0;             // wall clock
};

// What a user fixes as the schedule's own tool takes it. `offload_to`
// ("gpu", "cpu" or "disk"; empty: the placement rule) puts every block's
// weights on one tier, as Accelerate's device_map or ZeRO-3's
// offload_param.device (cpu / nvme) do; accelerate and zero-inference only.
// `prefetch_layers` >= 0 fixes zero-inference's look-ahead in blocks (0:
// nothing fetched ahead, each block's fetch then its compute). `pinned_weights`
// 0 / 1 keeps host-held weights pageable / pinned (ZeRO-3's offload_param
// pin_memory, FlexGen's --pin-weight; pinned where the pool holds them, the
// default); zero-inference and flexgen only.
struct FixedKnobs {
  std::string offload_to;
  int prefetch_layers = -1;
  int pinned_weights = -1;
};
// InputError naming the flag, the value and the schedules it applies to.
void check_fixed_knobs(Schedule s, const FixedKnobs& k);

// Searches the schedule's own knobs. `fixed_batch` > 0 fixes the batch (the
// split into GPU batches is still searched); otherwise the batch is searched
// too, as each schedule's authors' tools do.
PlanSearch search_plan(Schedule s, const InferenceJob& job, const ModelGraph& m, const Cluster& cl,
                       int64_t fixed_batch = 0, int confirm = 3, const FixedKnobs& fixed = {});

}  // namespace paralab
