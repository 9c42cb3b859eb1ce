// Offloaded inference (issue: PIPO). Targets: the PIPO plan search for
// OPT-30B INT4 on pipo-laptop (s = 512, n = 32) under 2 s, simulator
// confirmations included; simulating a 2,000-token generation of
// Llama-2-13B INT4 (batch 32, prompt 512) under 1 s.
// Run: build/bench/inference_bench Labels report the
// search counts, ops and the lowering / simulation split.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "core/catalog.h"
#include "strategies/inference/offload_planner.h"

namespace paralab {
namespace {

InferenceJob job(const ModelGraph& m, int64_t s, int64_t n) {
  InferenceJob j;
  j.model = m.name();
  j.prompt_len = s, j.gen_len = n;
  j.weights = parse_weight_format("int4-g128");
  return j;
}

void BM_PipoSearchOpt30b(benchmark::State& state) {
  ModelGraph m = load_model("opt-30b");
  Cluster c = load_cluster("pipo-laptop");
  PlanSearch r;
  for (auto _ : state) {
    r = search_plan(Schedule::kPipo, job(m, 512, 32), m, c);
    benchmark::DoNotOptimize(r.candidates);
  }
  state.SetLabel(fmt::format("{} candidates, {} feasible, {} simulated; best batch {} at {:.2f} tok/s", r.candidates,
                             r.feasible, r.simulated, r.best.plan.job.batch, r.best.tokens_per_second));
}
BENCHMARK(BM_PipoSearchOpt30b)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_SimulateLlama13b2000Tokens(benchmark::State& state) {
  ModelGraph m = load_model("llama-2-13b");
  Cluster c = load_cluster("pipo-laptop");
  InferenceJob j = job(m, 512, 2000);
  j.batch = 32;
  BlockCosts costs = block_costs(m, j);
  // 32 sequences of 2,512 positions hold 65 GB of fp16 KV cache: more than
  // the laptop's 16 GB of DRAM, so the cache lives on the SSD.
  OffloadPlan p = schedule_plan(Schedule::kPipo, j, 32, 1, costs, c);
  p.kv_gpu = 0, p.kv_cpu = 0, p.kv_disk = 1;
  InferenceResult r;
  for (auto _ : state) {
    r = simulate_offload(p, m, c);
    benchmark::DoNotOptimize(r.ops);
  }
  if (r.status != "ok") {
    state.SkipWithError(r.message.c_str());
    return;
  }
  state.SetLabel(fmt::format("{} ops, simulated {:.1f} s ({:.2f} tok/s), lowering {:.3f} s, simulation {:.3f} s "
                             "(prefill graph + whole graph)",
                             r.ops, r.total_seconds, r.tokens_per_second, r.lower_seconds, r.simulate_seconds));
}
BENCHMARK(BM_SimulateLlama13b2000Tokens)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace paralab

BENCHMARK_MAIN();
