// UniAP planner solve time (issue: UniAP). Targets on the 2-vCPU VM: the DP
// solver plans Llama-7B on 16 GPUs (all pipeline degrees and micro-batch
// counts) in under 1 s and GPT-3 175B on 1,024 A100s (global batch 1,536)
// in under 10 s, simulator confirmations included; the MILP path solves
// the BERT-Huge instances within CBC's time limit (times and gaps in the
// label). Each benchmark reports the pairs solved and pruned, the strategies
// per layer, and the chosen plan's predicted and simulated iteration. The
// GPT-3 case runs twice: confirmations with analytic collectives, and with
// flow-level collectives (the default), whose cost depends on the
// candidates' traffic (a plan that reshards between layouts puts 128-rank
// all-to-alls, 16,256 flows each, into the network).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "core/catalog.h"
#include "strategies/training/planners/training_planner.h"

namespace paralab::planner {
namespace {

struct Case {
  const char* model;
  const char* cluster;
  int nodes;
  int64_t global_batch, seq;
  Precision precision;
  const char* solver;
  int confirm;
  sim::CollectiveMode confirm_collectives = sim::CollectiveMode::kFlow;
};

void run_case(benchmark::State& state, const Case& k) {
  ModelGraph m = load_model(k.model);
  Cluster c = load_cluster(k.cluster, k.nodes);
  PlannerJob job;
  job.model = k.model;
  job.cluster = k.cluster;
  job.nodes = k.nodes;
  job.global_batch = k.global_batch;
  job.seq_len = k.seq;
  job.precision = k.precision;
  PlannerOptions o;
  o.solver = k.solver;
  o.confirm = k.confirm;
  o.confirm_collectives = k.confirm_collectives;
  o.milp_time_limit_seconds = 30;
  PlannerResult r;
  for (auto _ : state) {
    r = plan_training(m, c, job, o);
    benchmark::DoNotOptimize(r.pairs_solved);
  }
  if (r.status != "ok") {
    state.SkipWithError(r.message.c_str());
    return;
  }
  state.SetLabel(fmt::format("{} of {} pairs solved, {} pruned, <= {} strategies/layer, pp {} c {}, solver {} gap {:.3g}, "
                             "predicted {:.4f} s, simulated {:.4f} s",
                             r.pairs_solved, r.pairs_total, r.pairs_pruned, r.max_strategies_per_layer,
                             r.plan.pipeline_depth(), r.plan.micro_batches, r.solver_status, r.gap,
                             r.predicted_iteration_seconds, r.simulated_iteration_seconds));
}

void BM_UniapDpLlama7B16Gpus(benchmark::State& s) {
  run_case(s, {"llama-7b", "dgx-a100-80gb", 2, 32, 2048, Precision::kBf16, "dp", 3});
}
void BM_UniapDpGpt3On1024Gpus(benchmark::State& s) {
  run_case(s, {"gpt3-175b", "dgx-a100-80gb", 128, 1536, 2048, Precision::kBf16, "dp", 3,
               s.range(0) ? sim::CollectiveMode::kFlow : sim::CollectiveMode::kAnalytic});
}
void BM_UniapDpBertHuge2x4(benchmark::State& s) {
  run_case(s, {"bert-huge", "commodity-4x4", 2, 32, 512, Precision::kFp32, "dp", 3});
}
void BM_UniapMilpBertHuge1Node(benchmark::State& s) {
  run_case(s, {"bert-huge", "commodity-4x4", 1, 16, 512, Precision::kFp32, "milp", 1});
}

BENCHMARK(BM_UniapDpLlama7B16Gpus)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_UniapDpGpt3On1024Gpus)->ArgName("flow")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_UniapDpBertHuge2x4)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_UniapMilpBertHuge1Node)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace paralab::planner

BENCHMARK_MAIN();
