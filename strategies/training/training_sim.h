// Training simulation: a TrainingPlan checked, costed in memory, lowered and
// run through the simulator, with the figures practitioners quote.
//
// Order: validate (status "invalid" with the broken rule), analytic memory
// (status "oom" naming the stage and the bytes over, without simulating),
// lower_plan, sim::simulate. Metrics:
//   iteration_seconds  simulated makespan of one iteration
//   samples_per_second global_batch / iteration_seconds
//   model_flops        Narayanan et al. 2021 for GPT models:
//                      K*B*s*L*h^2*(1 + s/(6h) + V/(16*L*h)), K = 72, or 96
//                      with full recomputation; other architectures
//                      3*B*forward_flops (4x with full recomputation)
//   model_tflops_per_gpu, mfu  model_flops / (iteration * GPUs [* peak])
//   bubble_fraction    (T_pipe - ideal) / ideal, T_pipe = latest start of an
//                      optimizer step, ideal = the largest compute-stream busy
//                      time before it (Megatron's (p-1)/m definition)
//   exposed_seconds    per kind (tp, pp, dp): TP collectives in line on the
//                      compute stream count whole; PP and DP time on their
//                      streams outside compute-stream activity; mean over
//                      the stages' representative devices
//   peak memory        per device, simulated (alloc/free) and analytic
// Bubble and exposed times need the trace (SimOptions::trace); they are
// computed when `detailed` is set.
// Thread-safety: reentrant.
#pragma once

#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/model_graph.h"
#include "core/run_record.h"
#include "sim/simulator.h"
#include "strategies/training/training_plan.h"

namespace paralab {

struct TrainingSimOptions {
  bool symmetric = true;            // LoweringOptions::symmetric
  bool one_rank_per_stage = false;  // LoweringOptions::one_rank_per_stage
  bool detailed = true;     // bubble and exposed communication (needs the trace)
  bool keep_trace = false;  // return the Chrome trace
  sim::CollectiveMode collectives = sim::CollectiveMode::kFlow;
  int max_ring_steps = 0;  // sim::SimOptions::max_ring_steps (flow mode; 0 = exact rings)
  std::function<void(uint64_t, uint64_t, TimeNs)> progress;  // sim::SimOptions::progress
};

struct TrainingResult {
  std::string status = "ok";  // ok | oom | invalid | error
  std::string message;
  double iteration_seconds = 0;
  double samples_per_second = 0;
  double model_flops = 0;
  double model_tflops_per_gpu = 0;
  double mfu = 0;
  int gpus = 0;
  double bubble_fraction = 0;
  double exposed_tp_seconds = 0, exposed_pp_seconds = 0, exposed_dp_seconds = 0;
  std::vector<double> device_utilization;       // per device id
  std::vector<double> peak_memory_bytes;        // simulated, per device id
  std::vector<double> analytic_peak_memory_bytes;
  size_t ops = 0;
  uint64_t events = 0, flows = 0;  // simulator events popped, flows started
  double lower_seconds = 0, simulate_seconds = 0;  // wall-clock cost of paralab itself
  std::string trace_json;
  Json memory = Json::array();  // per stage breakdown
};

// Narayanan et al. 2021 model FLOPs of one iteration (see above).
double model_flops_per_iteration(const ModelGraph& m, int64_t global_batch, int64_t seq, bool full_recompute);

TrainingResult simulate_training(const TrainingPlan& plan, const ModelGraph& m, const Cluster& c,
                                 const TrainingSimOptions& o = {});

Json training_result_json(const TrainingResult& r);
RunRecord training_run_record(const TrainingResult& r, const TrainingPlan& plan, const ModelGraph& m,
                              const Cluster& c);

}  // namespace paralab
