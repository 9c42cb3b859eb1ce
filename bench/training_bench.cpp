// Lowering + simulating one training iteration (issue: training plans).
// Target: the Korthikanti 175B row (TP8 PP8, 64 GPUs, 64 micro-batches)
// under 1 s. Each benchmark reports ops, simulated iteration seconds and
// the split between lowering and simulation. GPT-3 175B on 1,024 and
// 16,384 GPUs is in scale_bench.cpp (with peak memory).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "core/catalog.h"
#include "strategies/training/lowering.h"
#include "strategies/training/training_plan.h"
#include "strategies/training/training_sim.h"

namespace paralab {
namespace {

struct Case {
  const char* model;
  int nodes, tp, pp, dp;
  int64_t global_batch, micro_batch;
  Recompute recompute;
};

void run_case(benchmark::State& state, const Case& k, sim::CollectiveMode mode) {
  ModelGraph m = load_model(k.model);
  Cluster c = load_cluster("dgx-a100-80gb", k.nodes);
  MegatronOptions o;
  o.seq_len = 2048;
  o.global_batch = k.global_batch;
  o.tp = k.tp, o.pp = k.pp, o.dp = k.dp;
  o.micro_batch = k.micro_batch;
  o.recompute = k.recompute;
  o.sequence_parallel = k.recompute == Recompute::kSelective;
  TrainingPlan p = megatron_plan(o, m, c);
  TrainingSimOptions so;
  so.detailed = false;
  so.collectives = mode;
  TrainingResult r;
  for (auto _ : state) {
    r = simulate_training(p, m, c, so);
    benchmark::DoNotOptimize(r.ops);  // not the double: DoNotOptimize("+m,r") can clobber a double here
  }
  if (r.status != "ok") {
    state.SkipWithError(r.message.c_str());
    return;
  }
  state.SetLabel(fmt::format("{} ops, simulated iteration {:.3f} s, MFU {:.1f}%, lowering {:.3f} s, simulation {:.3f} s",
                             r.ops, r.iteration_seconds, 100 * r.mfu, r.lower_seconds, r.simulate_seconds));
}

const Case kKorthikanti175b{"megatron-gpt-175b", 8, 8, 8, 1, 64, 1, Recompute::kSelective};

void BM_Korthikanti175bFlow(benchmark::State& s) { run_case(s, kKorthikanti175b, sim::CollectiveMode::kFlow); }
void BM_Korthikanti175bAnalytic(benchmark::State& s) { run_case(s, kKorthikanti175b, sim::CollectiveMode::kAnalytic); }

BENCHMARK(BM_Korthikanti175bFlow)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Korthikanti175bAnalytic)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace paralab

BENCHMARK_MAIN();
