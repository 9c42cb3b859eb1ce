// UniAP's cost model against the analytic simulation, and the planners on
// catalog jobs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/catalog.h"
#include "strategies/training/planners/training_planner.h"
#include "strategies/training/lowering.h"
#include "strategies/training/planners/uniap_cost_model.h"
#include "strategies/training/training_sim.h"
#include "tests/planners/random_instances.h"

namespace paralab::planner {
namespace {

PlannerJob gpt_job(int64_t batch, Precision p) {
  PlannerJob j;
  j.model = "megatron-gpt-1.7b";
  j.cluster = "dgx-a100-80gb";
  j.global_batch = batch;
  j.seq_len = 2048;
  j.precision = p;
  return j;
}

// Picks, for every layer, the strategy equal to `want` (non-blocks: the same
// with recomputation none); -1 when the cost model dropped or lacks it.
Assignment uniform(const CostedInstance& ci, const ModelGraph& m, LayerStrategy want) {
  Assignment a;
  for (int u = 0; u < m.num_layers(); ++u) {
    LayerStrategy w = want;
    bool block = m.layer(u).kind == LayerKind::kEncoderBlock || m.layer(u).kind == LayerKind::kDecoderBlock;
    if (!block) w.recompute = Recompute::kNone;
    int found = -1;
    for (int k = 0; k < int(ci.strategies[u].size()); ++k)
      if (ci.strategies[u][k] == w) found = k;
    a.stage.push_back(0);
    a.strategy.push_back(found);
  }
  return a;
}

// The assignment giving layer u strategy want(u) in stage stage_of(u); a
// strategy the cost model lacks (dominated or unfitting) fails the test.
template <class Want, class Stage>
Assignment assigned(const CostedInstance& ci, int n, Want want, Stage stage_of) {
  Assignment a;
  for (int u = 0; u < n; ++u) {
    const auto& ks = ci.strategies[size_t(u)];
    auto it = std::find(ks.begin(), ks.end(), want(u));
    if (it == ks.end()) ADD_FAILURE() << "layer " << u << ": strategy not among the cost model's";
    a.stage.push_back(stage_of(u));
    a.strategy.push_back(it == ks.end() ? 0 : int(it - ks.begin()));
  }
  return a;
}

// T5-Large, bf16, global batch 8 of 512 tokens (the T5 tests' job).
PlannerJob t5_job() {
  PlannerJob j = gpt_job(8, Precision::kBf16);
  j.model = "t5-large";
  j.seq_len = 512;
  return j;
}

// The cost model's objective for `want` on every layer, and the simulated
// iteration of the plan it lowers to; candidate false when the cost model
// dropped the strategy somewhere (dominated or unfitting).
struct Compared {
  bool candidate = false;
  double predicted = 0, simulated = 0;
};
Compared predict_and_simulate(const ModelGraph& m, const Cluster& c, const PlannerJob& job, const CostedInstance& ci,
                              LayerStrategy want, sim::CollectiveMode mode) {
  Compared out;
  Assignment a = uniform(ci, m, want);
  if (std::count(a.strategy.begin(), a.strategy.end(), -1) > 0) return out;
  Evaluation ev = evaluate(ci.instance, a);
  EXPECT_TRUE(ev.feasible) << ev.why;
  TrainingPlan p = plan_from_assignment(m, job, ci, a, "test");
  TrainingSimOptions so;
  so.collectives = mode;
  so.detailed = false;
  TrainingResult r = simulate_training(p, m, c, so);
  EXPECT_EQ(r.status, "ok") << r.message;
  out.candidate = true;
  out.predicted = ev.objective_seconds;
  out.simulated = r.iteration_seconds;
  return out;
}

// On one stage with no data parallelism every op runs in line on the
// compute stream, so the analytic simulation's iteration is the sum the
// cost model forms: c micro-batches x (forward + recomputation + backward,
// TP collectives included) + the optimizer step.
TEST(PlannerCostModel, SingleStageTensorParallelMatchesAnalyticSimulation) {
  ModelGraph m = load_model("megatron-gpt-1.7b");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  PlannerJob job = gpt_job(8, Precision::kBf16);
  CostedInstance ci = build_instance(m, c, job, 1, 4);
  int checked = 0;
  for (bool sp : {false, true})
    for (Recompute rc : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
      LayerStrategy s;
      s.tp = 8;
      s.sequence_parallel = sp;
      s.recompute = rc;
      Compared x = predict_and_simulate(m, c, job, ci, s, sim::CollectiveMode::kAnalytic);
      if (!x.candidate) continue;  // dominated: not a candidate
      // 1e-9 relative, plus the simulator's rounding of the one optimizer
      // step op to whole nanoseconds against the per-layer shares here
      // (at most 0.5 ns per layer).
      EXPECT_NEAR(x.predicted, x.simulated, 1e-9 * x.simulated + 0.5e-9 * m.num_layers())
          << "sp " << sp << " recompute " << recompute_name(rc);
      checked++;
    }
  EXPECT_GE(checked, 4);
}

// A TP switch inside a stage reshards only inside aligned blocks of
// lcm(tp_a, tp_b) devices, one DGX node here: with the data per device held
// equal (global batch 8 per node), its cost is the same on one node and on
// two. A dp <-> fsdp switch at equal TP moves nothing and costs nothing.
TEST(PlannerCostModel, ReshardingStaysInsideTheNode) {
  ModelGraph m = load_model("megatron-gpt-1.7b");
  auto reshard = [&](int nodes, LayerStrategy a, LayerStrategy b) {
    Cluster c = load_cluster("dgx-a100-80gb", nodes);
    CostedInstance ci = build_instance(m, c, gpt_job(8 * nodes, Precision::kBf16), 1, 1);
    int g = 8 * nodes;
    a.dp = g / (a.tp * a.fsdp), b.dp = g / (b.tp * b.fsdp);
    for (const EdgeCosts& e : ci.instance.edges) {
      if (m.layer(e.u).kind != LayerKind::kDecoderBlock || m.layer(e.v).kind != LayerKind::kDecoderBlock) continue;
      const auto &su = ci.strategies[size_t(e.u)], &sv = ci.strategies[size_t(e.v)];
      // The first strategy of each layout (ZeRO stage, SP and recomputation do not move activations).
      auto layout = [](const LayerStrategy& want) {
        return [want](const LayerStrategy& s) { return s.dp == want.dp && s.tp == want.tp && s.fsdp == want.fsdp; };
      };
      auto k = std::find_if(su.begin(), su.end(), layout(a)) - su.begin();
      auto l = std::find_if(sv.begin(), sv.end(), layout(b)) - sv.begin();
      if (size_t(k) == su.size() || size_t(l) == sv.size()) return -1.0;
      return e.same_stage[size_t(k) * sv.size() + size_t(l)];
    }
    return -1.0;
  };
  LayerStrategy tp8, tp4, tp4_fsdp2;
  tp8.tp = 8;
  tp4.tp = 4;
  tp4_fsdp2.tp = 4, tp4_fsdp2.fsdp = 2;
  double one = reshard(1, tp8, tp4), two = reshard(2, tp8, tp4);
  ASSERT_GT(one, 0);
  EXPECT_NEAR(two, one, 1e-12 * one);
  EXPECT_EQ(reshard(2, tp4, tp4_fsdp2), 0.0);
}

TEST(PlannerCostModel, StrategyCountsAreTensNotHundredsAfterPruning) {
  ModelGraph m = load_model("megatron-gpt-1.7b");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  CostedInstance ci = build_instance(m, c, gpt_job(8, Precision::kBf16), 1, 1);
  EXPECT_LT(ci.strategies_kept, ci.strategies_enumerated);
  EXPECT_LE(ci.max_strategies_per_layer, 150);
  EXPECT_GE(ci.max_strategies_per_layer, 10);
}

// On catalog jobs UniAP's optimum is no worse under the cost model than any
// baseline's plan, and its simulated throughput is at least each baseline's.
void expect_uniap_beats_baselines(const char* model, const char* cluster, int64_t batch, int64_t seq) {
  ModelGraph m = load_model(model);
  Cluster c = load_cluster(cluster);
  PlannerJob job;
  job.model = model;
  job.cluster = cluster;
  job.global_batch = batch;
  job.seq_len = seq > 0 ? seq : m.default_seq_len;
  PlannerOptions o;
  o.confirm = 2;
  PlannerResult u = plan_training(m, c, job, o);
  ASSERT_EQ(u.status, "ok") << u.message;
  EXPECT_EQ(u.solver_status, "optimal");
  int compared = 0;
  for (std::string b : {"ddp", "zero3", "megatron", "galvatron", "alpa"}) {
    o.planner = b;
    PlannerResult r = plan_training(m, c, job, o);
    if (r.status != "ok") continue;  // a baseline that cannot fit is beaten by definition
    compared++;
    double best_modelled = kInf;
    for (const Candidate& k : u.confirmed) best_modelled = std::min(best_modelled, k.solve.objective_seconds);
    EXPECT_LE(best_modelled, r.predicted_iteration_seconds * (1 + 1e-12)) << model << " " << b;
    EXPECT_GE(u.samples_per_second, r.samples_per_second * (1 - 1e-9)) << model << " " << b;
  }
  EXPECT_GE(compared, 2) << model;
}

TEST(Planners, UniapBeatsEveryBaselineOnBertHuge) {
  expect_uniap_beats_baselines("bert-huge", "commodity-2x4-10gbe", 16, 512);
}
TEST(Planners, UniapBeatsEveryBaselineOnVitHuge) { expect_uniap_beats_baselines("vit-huge", "commodity-2x4-10gbe", 16, 0); }

TEST(Planners, InfeasibleJobNamesTheLeastMemory) {
  ModelGraph m = load_model("llama-7b");
  Cluster c = load_cluster("commodity-4x4", 1);
  PlannerJob job;
  job.global_batch = 4;
  job.seq_len = 2048;
  PlannerResult r = plan_training(m, c, job, {});
  EXPECT_EQ(r.status, "infeasible");
  EXPECT_GT(r.least_bytes_per_device, c.device(0).spec.memory_bytes);
  EXPECT_NE(r.message.find("GiB per device"), std::string::npos) << r.message;
}

// T5's decoder layers read the encoder output (the model's skip edges). It
// travels down the decoder chain beside the activations: a layout switch
// between two decoder layers moves both tensors in one collective, and the
// skip edges move nothing of their own. Here a single-stage tp 8 plan on one
// DGX node switches sequence parallelism halfway through the decoder, so the
// lowering gathers both sequence-sharded tensors once, in line (forward when
// SP ends there, backward when it starts there). By hand, per micro-batch of
// 2 samples: 2 tensors x 512 tokens x 1,024 hidden x 2 B x 2 = 4 MiB. The
// cost model must price exactly what is lowered: predicted = analytic
// simulation to 1e-9.
TEST(PlannerCostModel, EncoderOutputTravelsWithTheDecoderActivations) {
  ModelGraph m = load_model("t5-large");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  PlannerJob job = t5_job();
  CostedInstance ci = build_instance(m, c, job, 1, 4);
  int n = m.num_layers(), half = n - 1 - 12;  // 24 decoder layers end at n - 2
  ASSERT_EQ(m.layer(half).kind, LayerKind::kDecoderBlock);
  ASSERT_EQ(m.layer(half - 12).kind, LayerKind::kDecoderBlock);
  for (bool sp_first : {true, false}) {
    auto want = [&](int u) {
      LayerStrategy w;
      w.tp = 8;
      w.sequence_parallel = (u < half) == sp_first;
      return w;
    };
    Assignment a = assigned(ci, n, want, [](int) { return 0; });
    ASSERT_FALSE(HasFailure());
    Evaluation ev = evaluate(ci.instance, a);
    ASSERT_TRUE(ev.feasible) << ev.why;
    TrainingPlan p = plan_from_assignment(m, job, ci, a, "test");
    LoweredPlan low = lower_plan(p, m, c);
    int gathers = 0;
    for (const Op& o : low.graph.ops())
      if (o.label >= 0 && low.graph.label(o.label).find("sequence gather") != std::string::npos) {
        EXPECT_NE(low.graph.label(o.label).find("L" + std::to_string(half)), std::string::npos) << low.graph.label(o.label);
        EXPECT_DOUBLE_EQ(o.bytes, 2.0 * 512 * 1024 * 2 * 2);
        gathers++;
      }
    EXPECT_EQ(gathers, 4) << "one per micro-batch";
    TrainingSimOptions so;
    so.collectives = sim::CollectiveMode::kAnalytic;
    so.detailed = false;
    TrainingResult r = simulate_training(p, m, c, so);
    ASSERT_EQ(r.status, "ok") << r.message;
    EXPECT_NEAR(ev.objective_seconds, r.iteration_seconds, 1e-9 * r.iteration_seconds + 0.5e-9 * n)
        << "sequence parallelism first: " << sp_first;
  }
}

// Across a pipeline boundary the encoder output goes with the activations
// where a decoder layer after the boundary still reads it: a split between
// two decoder layers sends 2 tensors, a split between the encoder and the
// decoder 1 (the encoder's output is the activation). By hand: dp 4 on
// each stage's 4 GPUs, global batch 8 in 2 micro-batches, so 1 sample per
// message: 512 tokens x 1,024 hidden x 2 B = 1 MiB a tensor.
TEST(PlannerCostModel, PipelineBoundaryInTheDecoderSendsTheEncoderOutputToo) {
  ModelGraph m = load_model("t5-large");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  PlannerJob job = t5_job();
  CostedInstance ci = build_instance(m, c, job, 2, 2);
  const int n = m.num_layers(), first_decoder = n - 1 - 24;
  ASSERT_EQ(m.layer(first_decoder - 1).kind, LayerKind::kEncoderBlock);
  for (auto [split, tensors] : {std::pair{first_decoder, 1}, std::pair{first_decoder + 12, 2}}) {
    LayerStrategy dp4;
    dp4.dp = 4;
    Assignment a = assigned(ci, n, [&](int) { return dp4; }, [&, split = split](int u) { return u < split ? 0 : 1; });
    ASSERT_FALSE(HasFailure());
    TrainingPlan p = plan_from_assignment(m, job, ci, a, "test");
    LoweredPlan low = lower_plan(p, m, c, LoweringOptions{});
    int sends = 0;
    for (const Op& o : low.graph.ops())
      if (o.type == OpType::kCollective && o.collective_kind() == CollectiveKind::kSendRecv) {
        EXPECT_DOUBLE_EQ(o.bytes, tensors * 512.0 * 1024 * 2) << "split before layer " << split;
        sends++;
      }
    EXPECT_GT(sends, 0);
  }
}

// Megatron's tied-embedding gradient all-reduce between the first and the
// last stage (lowering.cpp tied_embedding_sync) is priced too, its g pairs
// splitting the links they share. T5-Large pp 2 x dp 4 on
// commodity-2x4-10gbe, a stage per node: the 4 pairs each sum the 32,128 x
// 1,024 fp32 head gradient (131.6 MB) through the node's one 10 Gb/s NIC,
// 4 x 131.6 MB / 1.25 GB/s = 421 ms once an iteration. Without that term
// the prediction was 19% under the flow simulation; with it within 3%.
TEST(PlannerCostModel, TiedEmbeddingSyncAcrossStagesSharesTheNic) {
  ModelGraph m = load_model("t5-large");
  Cluster c = load_cluster("commodity-2x4-10gbe");
  PlannerJob job = testing::batch_job(32, 512);
  job.model = "t5-large";
  job.cluster = "commodity-2x4-10gbe";
  CostedInstance ci = build_instance(m, c, job, 2, 8);
  const int n = m.num_layers(), split = n - 1 - 24;  // encoder | decoder
  auto want = [&](int u) {
    LayerStrategy w;
    w.dp = 4;
    const LayerKind kind = m.layer(u).kind;
    if (kind == LayerKind::kEncoderBlock || kind == LayerKind::kDecoderBlock) w.recompute = Recompute::kFull;
    return w;
  };
  Assignment a = assigned(ci, n, want, [&](int u) { return u < split ? 0 : 1; });
  ASSERT_FALSE(HasFailure());
  Evaluation ev = evaluate(ci.instance, a);
  ASSERT_TRUE(ev.feasible) << ev.why;
  TrainingPlan p = plan_from_assignment(m, job, ci, a, "test");
  TrainingSimOptions so;
  so.detailed = false;
  TrainingResult r = simulate_training(p, m, c, so);
  ASSERT_EQ(r.status, "ok") << r.message;
  EXPECT_GE(r.iteration_seconds, 4 * 32128.0 * 1024 * 4 / 1.25e9);
  std::printf("predicted %.6f s, flow-simulated %.6f s (%+.2f%%)\n", ev.objective_seconds, r.iteration_seconds,
              100 * (ev.objective_seconds / r.iteration_seconds - 1));
  EXPECT_NEAR(ev.objective_seconds, r.iteration_seconds, 0.03 * r.iteration_seconds);
}

// Pairs whose memory bound passes but whose DP finds no plan: no candidate
// (an infeasible pair once slipped through as inf <= inf and crashed the
// confirmation). Llama-7B in FP32 on 16 x 12 GB cannot fit (README).
TEST(Planners, PairsWithoutAPlanAreNoCandidates) {
  PlannerResult r = plan_training(load_model("llama-7b"), load_cluster("commodity-4x4"), testing::batch_job(32, 2048), {});
  EXPECT_EQ(r.status, "infeasible") << r.message;
  EXPECT_TRUE(r.confirmed.empty());
}

TEST(Planners, DpSolverOnADagNamesMilp) {
  ModelGraph m = load_model("t5-large");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  PlannerJob job;
  job.global_batch = 8;
  job.seq_len = 512;
  try {
    plan_training(m, c, job, {});
    FAIL() << "expected an InputError";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("--solver milp"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace paralab::planner

namespace paralab::planner {
namespace {

// Single-stage data parallelism and ZeRO (plain dp, ZeRO-1/2/3 over all 8
// GPUs or 2 of them, with TP 2 and sequence parallelism): the model charges
// what the data stream's collectives add beside a compute as long as the
// layer's own: the ZeRO-3 gathers beside the forward, the next layer's gather
// (prefetched) and the reductions beside the backward. What is left between
// model and simulation comes from the layers unlike their neighbours (the
// embedding and the head): the first layer's reduction (nothing follows it),
// its forward gather (nothing precedes it), a large layer's collectives
// spilling over onto a smaller neighbour's compute. Within 1% of the
// analytic simulation, with one and with four micro-batches.
TEST(PlannerCostModel, SingleStageDataParallelMatchesTheAnalyticSimulation) {
  ModelGraph m = load_model("megatron-gpt-1.7b");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  struct Layout {
    int dp, tp, fsdp, zero;
  };
  int checked = 0;
  for (int64_t micro_batches : {1, 4}) {
    PlannerJob job = gpt_job(8 * micro_batches, Precision::kBf16);  // micro-batches of 8
    CostedInstance ci = build_instance(m, c, job, 1, micro_batches);
    for (Layout l : {Layout{8, 1, 1, 0}, Layout{1, 1, 8, 1}, Layout{1, 1, 8, 2}, Layout{1, 1, 8, 3}, Layout{4, 1, 2, 3},
                     Layout{2, 2, 2, 3}})
      for (Recompute rc : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
        if (micro_batches > 1 && rc == Recompute::kNone) continue;  // four micro-batches' activations do not fit
        LayerStrategy s;
        s.dp = l.dp, s.tp = l.tp, s.fsdp = l.fsdp, s.zero_stage = l.zero;
        s.sequence_parallel = l.tp > 1;
        s.recompute = rc;
        Compared x = predict_and_simulate(m, c, job, ci, s, sim::CollectiveMode::kAnalytic);
        if (!x.candidate) continue;  // dominated: not a candidate
        double err = (x.predicted - x.simulated) / x.simulated;
        std::printf("c %ld dp %d tp %d fsdp %d zero %d recompute %s: predicted %.9f s, simulated %.9f s (%+.3f%%)\n",
                    long(micro_batches), l.dp, l.tp, l.fsdp, l.zero, recompute_name(rc), x.predicted, x.simulated,
                    100 * err);
        EXPECT_LT(std::fabs(err), 0.01) << "c " << micro_batches << " dp " << l.dp << " tp " << l.tp << " fsdp "
                                        << l.fsdp << " zero " << l.zero << " " << recompute_name(rc);
        checked++;
      }
  }
  EXPECT_GE(checked, 20);
}

// Data-parallel groups that run their gradient reductions at once share
// links: across two commodity nodes (one 10 Gb/s NIC each), with tp 4 inside
// a node the 4 groups ({0,4}, {1,5}, ...) go through the same NIC, and with
// dp 8 one group's 4 cross-node rings do; inside one commodity node (two
// GPUs per PCIe switch), dp 4 x tp 2's two rings ({0,2,4,6}, {1,3,5,7})
// climb the same switch uplinks. The flow simulation (links shared flow by
// flow) is the reference; priced as if each group or ring had its links
// alone, the reductions would cost a half to a quarter of what they do.
// Within 5% of it.
TEST(PlannerCostModel, GroupsSharingLinksSplitThem) {
  struct Case {
    const char *model, *cluster;
    int tp;
  };
  // BERT-Large where dp 8's model states must fit 12 GB.
  for (Case k : {Case{"bert-huge", "commodity-2x4-10gbe", 4}, Case{"bert-large", "commodity-2x4-10gbe", 1},
                 Case{"bert-large", "commodity-1x8", 2}}) {
    ModelGraph m = load_model(k.model);
    Cluster c = load_cluster(k.cluster);
    PlannerJob job;
    job.global_batch = 16;
    job.seq_len = 512;
    CostedInstance ci = build_instance(m, c, job, 1, 1);
    LayerStrategy s;
    s.tp = k.tp;
    s.dp = 8 / k.tp;
    s.recompute = Recompute::kFull;
    Compared x = predict_and_simulate(m, c, job, ci, s, sim::CollectiveMode::kFlow);
    ASSERT_TRUE(x.candidate) << k.model;
    double err = (x.predicted - x.simulated) / x.simulated;
    std::printf("%s dp %d tp %d on %s: predicted %.6f s, flow-simulated %.6f s (%+.2f%%)\n", k.model, s.dp, k.tp,
                k.cluster, x.predicted, x.simulated, 100 * err);
    EXPECT_LT(std::fabs(err), 0.05) << k.model << " on " << k.cluster;
  }
}

}  // namespace
}  // namespace paralab::planner

namespace paralab::planner {
namespace {

// Two runs on two threads give the same plan and the same JSON outside the
// wall-clock key (timing).
TEST(Planners, DeterministicAcrossRuns) {
  ModelGraph m = load_model("bert-huge");
  Cluster c = load_cluster("commodity-2x4-10gbe");
  PlannerJob job;
  job.model = "bert-huge";
  job.cluster = "commodity-2x4-10gbe";
  job.global_batch = 16;
  job.seq_len = 512;
  PlannerOptions o;
  o.threads = 2;
  o.confirm = 1;
  Json a = planner_result_json(plan_training(m, c, job, o));
  Json b = planner_result_json(plan_training(m, c, job, o));
  for (Json* j : {&a, &b}) j->erase("timing");
  EXPECT_EQ(a.dump(), b.dump());
}

}  // namespace
}  // namespace paralab::planner
