// Simulating one OffloadPlan: check it, lower it, run it through
// sim::simulate, and reduce the run to the figures offloading papers report.
//
//   tokens_per_second = batch * gen_len / (prefill + decode seconds)
//                       (FlexGen's definition: generated tokens over the
//                       whole generation time)
//   prefill_seconds   = makespan of the graph lowered with one token
//   decode_seconds    = makespan of the whole graph - prefill_seconds
//   gpu_utilization   = share of the makespan during which a kernel runs on
//                       the GPU (as nvidia-smi reports it)
//   channel utilization = bytes carried / (capacity x makespan) for the
//                       host->GPU and GPU->host PCIe directions and SSD reads.
// A plan that oversubscribes a tier is rejected before simulation with
// status "infeasible" (message names the tier and bytes); a simulated OOM is
// status "oom".
//
// Invariants: deterministic (same inputs, same result except timing).
// Thread-safety: reentrant.
#pragma once

#include <string>

#include "core/cluster.h"
#include "core/model_graph.h"
#include "core/run_record.h"
#include "strategies/inference/offload_plan.h"

namespace paralab {

struct InferenceResult {
  std::string status = "ok";  // ok | infeasible | oom | error
  std::string message;
  OffloadPlan plan;
  double prefill_seconds = 0, decode_seconds = 0, total_seconds = 0;
  double tokens_per_second = 0;
  double gpu_utilization = 0, cpu_utilization = 0;
  double h2d_utilization = 0, d2h_utilization = 0, ssd_read_utilization = 0;
  TierBytes analytic_memory;
  RunRecord record;  // the whole generation's simulated run
  size_t ops = 0;
  double lower_seconds = 0, simulate_seconds = 0;  // wall clock
};

// `trace_json` (may be null): receives the Perfetto trace of the whole run.
InferenceResult simulate_offload(const OffloadPlan& p, const ModelGraph& m, const Cluster& cl,
                                 std::string* trace_json = nullptr);

// The RunRecord to store: strategy = schedule, config = the plan, throughput
// in tokens_per_s, metrics with the figures above (wall clock under "timing").
RunRecord inference_run_record(const InferenceResult& r, const std::string& experiment = "");

// The JSON object `plan infer --json` prints.
Json inference_result_json(const InferenceResult& r);

}  // namespace paralab
