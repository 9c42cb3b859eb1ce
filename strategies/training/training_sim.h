// Training simulation: a TrainingPlan checked, costed in memory, lowered and
// run through the simulator, with the figures practitioners quote.
//
// Order: validate (status "invalid" with the broken rule), analytic memory
// (status "oom" naming the stage and the bytes over, without simulating),
// lower_plan, sim::simulate. Metrics:
//   iteration_seconds  simulated makespan of one iteration
//   samples_per_second global_batch / iteration_seconds
//   model_flops        the model's FLOPs of one iteration without
//                      recomputation (Korthikanti et al. 2022, sec. 6): for
//                      GPT models 72*B*s*L*h^2*(1 + s/(6h) + V/(12*L*h));
//                      other architectures 3*B*forward_flops
//   hardware_flops     what the GPUs execute, recomputation included: with
//                      full recomputation 96*B*s*L*h^2*(1 + s/(6h) +
//                      V/(16*L*h)) (Narayanan et al. 2021; the logit layer is
//                      not recomputed); with selective recomputation the
//                      model FLOPs plus the recomputed attention core,
//                      4*B*s^2*h*L (Korthikanti et al. 2022, sec. 6);
//                      else the model FLOPs (other architectures: 4x / 3x
//                      forward FLOPs with / without full recomputation)
//   mfu, hfu           model_flops (hardware_flops) / (iteration * GPUs *
//                      peak); model_tflops_per_gpu the numerator per GPU
//   bubble_fraction, exposed_seconds  from the simulator's op records on
//                      one representative device per stage
//                      (training_metrics.h), when `detailed` is set
//   peak memory        per device, simulated (alloc/free) and analytic
// Out of memory while lowering or simulating ends in status "error" naming
// the phase and how large the graph had grown (the caller exits with 3).
// Thread-safety: reentrant.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/model_graph.h"
#include "core/run_record.h"
#include "sim/simulator.h"
#include "strategies/training/training_plan.h"

namespace paralab {

// Which identical devices are lowered once and mirrored (lowering.h):
//   kReplicas  data-parallel replica 0 of each stage (LoweringOptions::symmetric);
//   kRanks     also one tensor/sharded-parallel rank per stage
//              (one_rank_per_stage: ~tp times fewer ops);
//   kNone      every device;
//   kAuto      kRanks where that is exact — analytic collectives, or flow
//              mode on a cluster where every device of the plan has a NIC of
//              its own and every switch-to-switch link carries at least the
//              NICs below it (so the other ranks' flows, absent from the
//              network, could never have slowed the representative's) —
//              else kReplicas where that is exact: each stage's devices
//              consecutive (the planners' layout), and no NIC home to a
//              mirrored replica and another (of any stage), or no replica's
//              own traffic leaving its node (one stage, each replica inside
//              a node: only the data-parallel rings cross, and they are
//              lowered whole) —
//              else kNone (commodity nodes with one NIC for their GPUs and
//              a pipeline across them: every replica's messages and
//              tied-embedding all-reduce share that NIC).
// Mirroring needs the mirrored devices to run at one speed: a plan whose
// devices have different straggler factors is lowered device by device.
enum class Mirror { kAuto, kReplicas, kRanks, kNone };
const char* mirror_name(Mirror m);
bool parse_mirror(const std::string& s, Mirror* out);

// True when mirroring tensor-parallel ranks is exact for `plan` on `c` (see kAuto).
bool tensor_ranks_mirror_exactly(const TrainingPlan& plan, const Cluster& c, sim::CollectiveMode mode);
// True when mirroring data-parallel replicas is exact (see kAuto).
bool replicas_mirror_exactly(const TrainingPlan& plan, const Cluster& c, sim::CollectiveMode mode);

struct TrainingSimOptions {
  Mirror mirror = Mirror::kAuto;
  bool detailed = true;             // bubble and exposed communication (op records, cheap)
  // Perfetto trace: streamed to trace_out as the run goes; by default one
  // representative device per stage (its streams, named), the node memory
  // and the links it uses; trace_all_devices draws every simulated device
  // and names mirrored data-parallel replicas as mirrors.
  std::ostream* trace_out = nullptr;
  bool trace_all_devices = false;
  bool keep_trace = false;  // or return it in TrainingResult::trace_json (small plans)
  sim::CollectiveMode collectives = sim::CollectiveMode::kFlow;
  // sim::SimOptions::max_ring_steps: 1 = one flow per rank per ring phase,
  // paying every step's latency (exact for uncontended rings, sim/collectives.h);
  // 0 = every ring step its own flow.
  int max_ring_steps = 1;
  std::function<void(uint64_t, uint64_t, TimeNs)> progress;  // sim::SimOptions::progress
};

struct TrainingResult {
  std::string status = "ok";  // ok | oom | invalid | error
  std::string message;
  double iteration_seconds = 0;
  double samples_per_second = 0;
  double model_flops = 0, hardware_flops = 0;
  double model_tflops_per_gpu = 0;
  double mfu = 0, hfu = 0;
  int gpus = 0;
  Mirror mirror = Mirror::kReplicas;  // what was mirrored (kAuto resolved)
  double bubble_fraction = 0;
  double exposed_tp_seconds = 0, exposed_pp_seconds = 0, exposed_dp_seconds = 0;
  std::vector<double> device_utilization;       // per device id
  std::vector<double> peak_memory_bytes;        // simulated, per device id
  std::vector<double> analytic_peak_memory_bytes;
  size_t ops = 0;
  uint64_t events = 0, flows = 0;  // simulator events popped, flows started
  double lower_seconds = 0, simulate_seconds = 0;  // wall-clock cost of paralab itself
  bool trace_ok = true;  // false if writing the streamed trace failed
  std::string trace_json;
  Json memory = Json::array();  // per stage breakdown
};

// FLOPs of one iteration (see above): the model's, and what the hardware runs.
double model_flops_per_iteration(const ModelGraph& m, int64_t global_batch, int64_t seq);
double hardware_flops_per_iteration(const ModelGraph& m, int64_t global_batch, int64_t seq, Recompute rc);

TrainingResult simulate_training(const TrainingPlan& plan, const ModelGraph& m, const Cluster& c,
                                 const TrainingSimOptions& o = {});

Json training_result_json(const TrainingResult& r);
RunRecord training_run_record(const TrainingResult& r, const TrainingPlan& plan, const ModelGraph& m,
                              const Cluster& c);

}  // namespace paralab
