// Scale benchmarks (issue 3): one 1F1B iteration of GPT-3 175B lowered with
// the symmetric lowering (lowering.h: data-parallel replica 0 lowered, the
// other replicas mirrored; data-parallel collectives span whole groups) and
// simulated.
//
//  BM_Gpt3Symmetric/dp/micro/flow/one_rank/ring_cap  dgx-a100-80gb x (dp * 8) nodes,
//      Megatron TP 8, PP 8, DP dp, micro-batch 1, `micro` micro-batches per
//      pipeline (global batch dp * micro), selective recomputation with
//      sequence parallelism; flow 0 = analytic collectives, 1 = flow mode;
//      one_rank 1 = LoweringOptions::one_rank_per_stage (one device per
//      stage: 8x fewer ops and data-parallel rings, flow mode then misses the
//      other TP ranks' NIC contention, see symmetric_lowering_test.cpp);
//      ring_cap > 0 = SimOptions::max_ring_steps (flow mode: at most that
//      many flows per rank per ring phase, see sim/collectives.h).
//      Cases: 1,024 GPUs (DP 16, 96 micro-batches: the global batch 1536 of
//      GPT-3) and 16,384 GPUs (DP 256, 32 micro-batches = 4 x PP, global
//      batch 8192), the latter also with 96 micro-batches so that the two
//      scales differ in DP only. Target at 16 k GPUs: under a minute and a
//      few GB. The last case (16 k GPUs, flow mode, replicas mirrored,
//      exact rings) runs ~1e8 flows — 8 rings of 256 ranks x 2*255 steps
//      per layer's gradient all-reduce — and takes minutes; leave it out
//      with --benchmark_filter='-dp:256/micro:32/flow:1/one_rank:0/ring_cap:0'.
//
// Counters: ops, events, flows, cluster_s (building the 2,048-node cluster),
// lower_s, simulate_s, total_s (check + memory model + lowering +
// simulation + per-device figures), peak_rss_GB (high-water mark of this
// case alone where /proc/self/clear_refs allows, else of the process),
// simulated_iteration_s, mfu and load_1m (the machine's load average after
// the case, since these timings are single-threaded wall-clock figures).
#include <benchmark/benchmark.h>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "bench/bench_rss.h"
#include "core/catalog.h"
#include "strategies/training/training_plan.h"
#include "strategies/training/training_sim.h"

namespace paralab {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

using bench::peak_rss_bytes;
using bench::reset_peak_rss;

void BM_Gpt3Symmetric(benchmark::State& state) {
  const int dp = int(state.range(0)), micro = int(state.range(1));
  const auto mode = state.range(2) == 0 ? sim::CollectiveMode::kAnalytic : sim::CollectiveMode::kFlow;
  const bool one_rank = state.range(3) != 0;
  const int ring_cap = int(state.range(4));
  reset_peak_rss();
  ModelGraph m = load_model("gpt3-175b");
  auto t0 = std::chrono::steady_clock::now();
  Cluster c = load_cluster("dgx-a100-80gb", dp * 8);
  double cluster_s = seconds_since(t0);
  MegatronOptions o;
  o.seq_len = 2048;
  o.tp = 8, o.pp = 8, o.dp = dp;
  o.micro_batch = 1;
  o.global_batch = int64_t(dp) * micro;
  o.recompute = Recompute::kSelective;
  o.sequence_parallel = true;
  TrainingPlan p = megatron_plan(o, m, c);
  TrainingSimOptions so;
  so.mirror = one_rank ? Mirror::kRanks : Mirror::kReplicas;
  so.max_ring_steps = ring_cap;
  so.detailed = false;
  so.collectives = mode;
  TrainingResult r;
  double total_s = 0;
  for (auto _ : state) {
    t0 = std::chrono::steady_clock::now();
    r = simulate_training(p, m, c, so);
    total_s = seconds_since(t0);
    benchmark::DoNotOptimize(r.ops);
  }
  if (r.status != "ok") {
    state.SkipWithError(r.message.c_str());
    return;
  }
  state.counters["gpus"] = double(r.gpus);
  state.counters["ops"] = double(r.ops);
  state.counters["events"] = double(r.events);
  state.counters["flows"] = double(r.flows);
  state.counters["cluster_s"] = cluster_s;
  state.counters["lower_s"] = r.lower_seconds;
  state.counters["simulate_s"] = r.simulate_seconds;
  state.counters["total_s"] = total_s;
  state.counters["peak_rss_GB"] = peak_rss_bytes() / 1e9;
  state.counters["simulated_iteration_s"] = r.iteration_seconds;
  state.counters["mfu"] = r.mfu;
  double load[1] = {0};
  if (getloadavg(load, 1) == 1) state.counters["load_1m"] = load[0];
}

BENCHMARK(BM_Gpt3Symmetric)
    ->ArgNames({"dp", "micro", "flow", "one_rank", "ring_cap"})
    ->Args({16, 96, 0, 0, 0})
    ->Args({16, 96, 1, 0, 0})
    ->Args({16, 96, 1, 1, 0})
    ->Args({256, 32, 0, 0, 0})
    ->Args({256, 96, 0, 0, 0})
    ->Args({256, 32, 1, 1, 0})
    ->Args({256, 32, 1, 0, 32})
    ->Args({256, 32, 1, 0, 0})
    ->Unit(benchmark::kSecond)
    ->Iterations(1);

}  // namespace
}  // namespace paralab

BENCHMARK_MAIN();
