// Training simulation: zero-communication pipeline bubbles, pure data
// parallelism, analytic vs simulated peak memory, and the oom / invalid
// outcomes (symmetric lowering: symmetric_lowering_test.cpp).
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "core/catalog.h"
#include "strategies/training/layer_ops.h"
#include "strategies/training/lowering.h"
#include "strategies/training/training_plan.h"
#include "strategies/training/training_sim.h"

namespace paralab {
namespace {

// Blocks only (no embedding or head), so every pipeline stage does the same work.
ModelGraph blocks_only(const std::string& name, int blocks) {
  ModelGraph full = load_model(name);
  std::vector<Layer> layers;
  for (const Layer& l : full.layers())
    if (l.kind == LayerKind::kDecoderBlock && int(layers.size()) < blocks) layers.push_back(l);
  return ModelGraph("blocks", "blocks", layers, {});
}

// dgx-a100-80gb with every link 1e6 times faster: communication ~ free.
Cluster free_comm_cluster(int nodes) {
  Cluster c = load_cluster("dgx-a100-80gb", nodes);
  for (const Link& l : c.links()) c.scale_link_bandwidth(l.id, 1e6);
  return c;
}

TrainingPlan plan_for(const ModelGraph& m, const Cluster& c, int tp, int pp, int dp, int64_t gb, int64_t mb,
                      PipelineSchedule s = PipelineSchedule::k1F1B) {
  MegatronOptions o;
  o.seq_len = 2048;
  o.global_batch = gb;
  o.tp = tp, o.pp = pp, o.dp = dp, o.micro_batch = mb;
  o.schedule = s;
  o.recompute = Recompute::kSelective;
  o.sequence_parallel = tp > 1;
  return megatron_plan(o, m, c);
}

TEST(TrainingSim, ZeroCommBubbleIsPMinusOneOverM) {
  ModelGraph m = blocks_only("megatron-gpt-1.7b", 8);
  Cluster c = free_comm_cluster(1);
  for (PipelineSchedule s : {PipelineSchedule::kGpipe, PipelineSchedule::k1F1B}) {
    TrainingPlan p = plan_for(m, c, 1, 4, 1, 8, 1, s);  // p = 4, m = 8
    TrainingResult r = simulate_training(p, m, c);
    ASSERT_EQ(r.status, "ok") << r.message;
    EXPECT_NEAR(r.bubble_fraction, 3.0 / 8.0, 0.005) << schedule_name(s);
  }
}

TEST(TrainingSim, ZeroCommInterleavedBubbleIsPMinusOneOverVM) {
  ModelGraph m = blocks_only("megatron-gpt-1.7b", 8);
  Cluster c = free_comm_cluster(1);
  MegatronOptions o;
  o.global_batch = 8;
  o.tp = 1, o.pp = 2, o.dp = 1, o.micro_batch = 1;
  o.schedule = PipelineSchedule::kInterleaved;
  o.chunks = 2;  // 4 stages of 2 blocks on 2 devices
  o.recompute = Recompute::kSelective;
  TrainingPlan p = megatron_plan(o, m, c);
  ASSERT_EQ(p.stages.size(), 4u);
  TrainingResult r = simulate_training(p, m, c);
  ASSERT_EQ(r.status, "ok") << r.message;
  EXPECT_NEAR(r.bubble_fraction, 1.0 / (2 * 8), 0.005);  // (p-1)/(v m)
  for (int d = 0; d < 2; ++d)
    EXPECT_NEAR(r.peak_memory_bytes[d], r.analytic_peak_memory_bytes[d], 0.02 * r.analytic_peak_memory_bytes[d]);
}

TEST(TrainingSim, PureDataParallelIsComputePlusExposedAllReduce) {
  ModelGraph m = load_model("megatron-gpt-1.7b");
  Cluster one = load_cluster("dgx-a100-80gb", 1);
  // The same per-device work without communication: one GPU, batch 4.
  TrainingResult solo = simulate_training(plan_for(m, one, 1, 1, 1, 4, 4), m, one);
  TrainingResult dp = simulate_training(plan_for(m, one, 1, 1, 8, 32, 4), m, one);
  ASSERT_EQ(solo.status, "ok") << solo.message;
  ASSERT_EQ(dp.status, "ok") << dp.message;
  // The hidden part of the gradient all-reduces costs the backward it runs
  // beside up to 0.2222 of the GPU (the catalog's collective_compute_share):
  // at most that share of every layer's ring all-reduce on 8 GPUs behind
  // the NVSwitch, 2(n-1) alpha + 2(n-1)/n S/B with alpha 2 us, B 210 GB/s.
  double all_reduces = 0;
  for (int l = 0; l < m.num_layers(); ++l)
    all_reduces += 14 * 2e-6 + 2.0 * 7 / 8 * double(m.layer(l).params) * 2 / 210e9;
  const double exposed = solo.iteration_seconds + dp.exposed_dp_seconds;
  EXPECT_GE(dp.iteration_seconds, exposed - 0.002 * solo.iteration_seconds);
  EXPECT_LE(dp.iteration_seconds, exposed + 0.2222 * all_reduces + 0.002 * solo.iteration_seconds);
  // The embedding's gradients are reduced after the last backward op, so at
  // least their ring all-reduce is exposed: 2 (n-1)/n S / B over NVLink.
  double s_bytes = double(m.layer(0).params) * 2;
  EXPECT_GT(dp.exposed_dp_seconds, 2.0 * 7 / 8 * s_bytes / 300e9);
  EXPECT_EQ(dp.exposed_tp_seconds, 0.0);
  EXPECT_EQ(dp.exposed_pp_seconds, 0.0);
}

// TP 2 on one DGX-A100, sequence 2048, micro-batches of 1, no recomputation.
MegatronOptions tp2_one_node(int64_t global_batch) {
  MegatronOptions o;
  o.seq_len = 2048, o.global_batch = global_batch, o.tp = 2, o.pp = 1, o.dp = 1, o.micro_batch = 1;
  o.recompute = Recompute::kNone;
  return o;
}

TEST(TrainingSim, ExposedTensorParallelTimeIsEveryInlineAllReduce) {
  // 4 blocks of GPT 1.7B (h 2304), TP 2 on one DGX-A100, 2 micro-batches of
  // 1 x 2048 tokens, no sequence parallelism, no recomputation, analytic
  // collectives. Each all-reduce moves S = 2048 x 2304 x 2 bytes (bf16)
  // between two GPUs behind one NVSwitch (GPU-switch links: 300 GB/s, 1 us
  // each way, so alpha = 2 us; NCCL reaches 0.70 of it, B = 210 GB/s). Ring
  // all-reduce on n = 2: 2(n-1) alpha + 2(n-1)/n S/B = 4 us + S/210e9.
  ModelGraph m = blocks_only("megatron-gpt-1.7b", 4);
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  MegatronOptions o = tp2_one_node(2);
  TrainingSimOptions so;
  so.collectives = sim::CollectiveMode::kAnalytic;
  const double each = 4e-6 + 2048.0 * 2304 * 2 / 210e9;  // 49 us
  // Megatron-LM before late 2021: 2 all-reduces forward and 2 backward per
  // block and micro-batch, all in line: 4 x 4 x 2 = 32.
  o.async_tensor_parallel = false;
  TrainingResult r = simulate_training(megatron_plan(o, m, c), m, c, so);
  ASSERT_EQ(r.status, "ok") << r.message;
  EXPECT_NEAR(r.exposed_tp_seconds, 32 * each, 32 * 2e-9);  // each rounded to whole nanoseconds
  EXPECT_EQ(r.exposed_pp_seconds, 0.0);
  EXPECT_EQ(r.exposed_dp_seconds, 0.0);
  EXPECT_EQ(r.bubble_fraction, 0.0);
  // Since: the backward's two run beside the weight-gradient GEMMs of qkv
  // (2 x 2048 x 3456 x 2304 FLOPs at 312e12 x 0.75: 139 us) and fc1 (4608
  // columns: 186 us), longer than 49 us even at 1 - 0.2222 of the GPU, so
  // only the 16 forward ones are exposed.
  o.async_tensor_parallel = true;
  TrainingResult a = simulate_training(megatron_plan(o, m, c), m, c, so);
  ASSERT_EQ(a.status, "ok") << a.message;
  EXPECT_NEAR(a.exposed_tp_seconds, 16 * each, 16 * 2e-9);
}

// Megatron-LM's backward of a column-parallel GEMM (megatron/mpu/layers.py,
// 2022): without SP the input gradient's all-reduce runs beside the weight
// gradient; with SP the input is re-gathered beside the data gradient and
// the input gradient reduce-scattered beside the weight gradient, and a
// row-parallel GEMM's reduce-scatter comes back as an in-line all-gather.
TEST(TrainingSim, BlockBackwardRunsTensorParallelCollectivesAsMegatronDoes) {
  ModelGraph m = load_model("megatron-gpt-1.7b");
  const Layer& block = m.layer(1);
  ASSERT_EQ(block.kind, LayerKind::kDecoderBlock);
  struct Count {
    int inline_ar = 0, inline_ag = 0, inline_rs = 0, async_ar = 0, async_ag = 0, async_rs = 0, gemms = 0;
  };
  auto count = [&](bool sp, bool async_tp) {
    LayerStrategy s;
    s.tp = 2;
    s.sequence_parallel = sp;
    Count c;
    for (const OpSpec& o : layer_ops(block, 2048, 1, DType::kBf16, s, Phase::kBackward, -1.0, async_tp)) {
      if (o.kind == OpSpec::kGemm) c.gemms++;
      if (o.kind != OpSpec::kTpCollective) continue;
      int* slot = o.collective == CollectiveKind::kAllReduce     ? (o.async ? &c.async_ar : &c.inline_ar)
                  : o.collective == CollectiveKind::kAllGather   ? (o.async ? &c.async_ag : &c.inline_ag)
                                                                 : (o.async ? &c.async_rs : &c.inline_rs);
      ++*slot;
    }
    return c;
  };
  Count plain = count(false, true);
  EXPECT_EQ(plain.async_ar, 2);
  EXPECT_EQ(plain.inline_ar + plain.inline_ag + plain.inline_rs + plain.async_ag + plain.async_rs, 0);
  EXPECT_EQ(plain.gemms, 6);  // qkv and fc1 split into data and weight gradients; proj and fc2 whole
  Count sp = count(true, true);
  EXPECT_EQ(sp.inline_ag, 2);
  EXPECT_EQ(sp.async_ag, 2);
  EXPECT_EQ(sp.async_rs, 2);
  EXPECT_EQ(sp.inline_ar + sp.inline_rs + sp.async_ar, 0);
  Count old = count(false, false);  // all in line, mirrored from the forward
  EXPECT_EQ(old.inline_ar, 2);
  EXPECT_EQ(old.async_ar + old.async_ag + old.async_rs, 0);
  EXPECT_EQ(old.gemms, 4);
}

// The lowering runs a column-parallel GEMM's backward collectives beside its
// GEMMs, as the 2022 Megatron-LM code orders them: with SP the input
// re-gather (stream 9) waits for the op before it and runs beside the data
// gradient; the weight gradient waits for the re-gather; the input
// gradient's reduce-scatter (stream 9) waits for the data gradient; the op
// after the weight gradient (LayerNorm's backward) waits for it.
TEST(TrainingSim, OverlappedBackwardCollectivesWaitAsMegatronDoes) {
  ModelGraph m = blocks_only("megatron-gpt-1.7b", 1);
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  MegatronOptions o = tp2_one_node(1);
  o.sequence_parallel = true;
  LoweredPlan lp = lower_plan(megatron_plan(o, m, c), m, c);
  const TaskGraph& g = lp.graph;
  g.finalize();
  auto find = [&](const std::string& label) {
    for (size_t i = 0; i < g.size(); ++i)
      if (g.op(int(i)).label >= 0 && g.label(g.op(int(i)).label) == label && g.op(int(i)).device == 0) return int(i);
    ADD_FAILURE() << "no op " << label;
    return -1;
  };
  auto waits = [&](int before, int after) {
    for (int s : g.successors(before))
      if (s == after) return true;
    return false;
  };
  const int ag = find("L0 bwd ag_qkv_input"), dgrad = find("L0 bwd qkv_dgrad"), rs = find("L0 bwd rs_qkv_grad"),
            wgrad = find("L0 bwd qkv_wgrad"), ln = find("L0 bwd ln1");
  ASSERT_TRUE(ag >= 0 && dgrad >= 0 && rs >= 0 && wgrad >= 0 && ln >= 0);
  EXPECT_EQ(g.op(ag).stream, 9);
  EXPECT_EQ(g.op(rs).stream, 9);
  EXPECT_EQ(g.op(dgrad).stream, 0);
  EXPECT_EQ(g.op(wgrad).stream, 0);
  EXPECT_TRUE(ag < dgrad && dgrad < rs && rs < wgrad && wgrad < ln);  // issue order
  EXPECT_FALSE(waits(ag, dgrad));  // beside it
  EXPECT_TRUE(waits(ag, wgrad));
  EXPECT_TRUE(waits(dgrad, rs));
  EXPECT_FALSE(waits(rs, wgrad));  // beside it
  EXPECT_TRUE(waits(rs, ln));
  // The GEMM shapes: forward qkv (2048 x 3456 x 2304) backward as the data
  // gradient (2048 x 2304, inner 3456) and the weight gradient (3456 x 2304,
  // inner 2048).
  const GemmShape* d = g.gemm_shape(g.op(dgrad));
  const GemmShape* w = g.gemm_shape(g.op(wgrad));
  ASSERT_TRUE(d && w);
  EXPECT_EQ(d->m, 2048);
  EXPECT_EQ(d->n, 2304);
  EXPECT_EQ(d->k, 3456);
  EXPECT_EQ(w->m, 3456);
  EXPECT_EQ(w->n, 2304);
  EXPECT_EQ(w->k, 2048);
}

TEST(TrainingSim, AnalyticPeakMatchesSimulatedPeak) {
  ModelGraph m = load_model("megatron-gpt-1.7b");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  for (PipelineSchedule s : {PipelineSchedule::kGpipe, PipelineSchedule::k1F1B}) {
    for (Recompute rc : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
      TrainingPlan p = plan_for(m, c, 2, 4, 1, 8, 1, s);
      for (auto& l : p.layers) l.recompute = rc;
      TrainingResult r = simulate_training(p, m, c);
      ASSERT_EQ(r.status, "ok") << r.message;
      for (int d = 0; d < 8; ++d)
        EXPECT_NEAR(r.peak_memory_bytes[d], r.analytic_peak_memory_bytes[d], 0.02 * r.analytic_peak_memory_bytes[d])
            << schedule_name(s) << " " << recompute_name(rc) << " device " << d;
    }
  }
}

TEST(TrainingSim, ZeroStagesMatchAnalyticPeak) {
  ModelGraph m = load_model("megatron-gpt-1.7b");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  double states0 = 0;
  for (int zero : {0, 1, 2, 3}) {
    MegatronOptions o;
    o.global_batch = 16;
    o.tp = 1, o.pp = 1, o.dp = 8, o.micro_batch = 2;
    o.zero_stage = zero;
    TrainingPlan p = megatron_plan(o, m, c);
    TrainingResult r = simulate_training(p, m, c);
    ASSERT_EQ(r.status, "ok") << r.message;
    EXPECT_NEAR(r.peak_memory_bytes[3], r.analytic_peak_memory_bytes[3], 0.02 * r.analytic_peak_memory_bytes[3])
        << "zero " << zero;
    double states = r.memory[0]["state_bytes"].get<double>();
    double phi = double(m.params());  // the head is tied: no extra copy on one stage
    double expected[] = {16 * phi, 4 * phi + 12 * phi / 8, 2 * phi + 14 * phi / 8, 16 * phi / 8};
    EXPECT_NEAR(states, expected[zero], 1e-9 * expected[zero]) << "zero " << zero;
    if (zero == 0) states0 = states;
  }
  EXPECT_GT(states0, 0);
}

TEST(TrainingSim, LayersWithDifferentStrategiesReshard) {
  ModelGraph m = load_model("megatron-gpt-1.7b");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  TrainingPlan p = plan_for(m, c, 8, 1, 1, 8, 8);
  for (size_t l = p.layers.size() / 2; l < p.layers.size(); ++l) {
    p.layers[l].tp = 4;
    p.layers[l].dp = 2;
    p.layers[l].sequence_parallel = false;
  }
  TrainingResult r = simulate_training(p, m, c);
  ASSERT_EQ(r.status, "ok") << r.message;
  EXPECT_NEAR(r.peak_memory_bytes[0], r.analytic_peak_memory_bytes[0], 0.02 * r.analytic_peak_memory_bytes[0]);
  LoweredPlan lp = lower_plan(p, m, c);
  int reshards = 0;
  for (size_t i = 0; i < lp.graph.size(); ++i)
    if (lp.graph.op(int(i)).label >= 0 && lp.graph.label(lp.graph.op(int(i)).label).find("reshard") != std::string::npos)
      ++reshards;
  EXPECT_EQ(reshards, 2);  // one layout change: forward and backward of the one micro-batch
}

// Device k holds batch shard k / tp, so a TP 8 -> TP 4 switch on 16 GPUs
// (2 DGX nodes) moves activations only inside the two aligned blocks of
// lcm(8, 4) = 8 devices, one node each; a dp <-> fsdp switch at equal TP
// moves nothing.
TEST(TrainingSim, ReshardingStaysInsideTpBlocks) {
  ModelGraph m = load_model("megatron-gpt-1.7b");
  Cluster c = load_cluster("dgx-a100-80gb", 2);
  auto reshard_groups = [&](const TrainingPlan& p) {
    LoweringOptions all;
    all.symmetric = false;
    LoweredPlan lp = lower_plan(p, m, c, all);
    std::vector<std::vector<int>> groups;
    for (size_t i = 0; i < lp.graph.size(); ++i) {
      const Op& op = lp.graph.op(int(i));
      if (op.label < 0 || lp.graph.label(op.label).find("reshard") == std::string::npos) continue;
      EXPECT_EQ(op.type, OpType::kCollective);
      auto r = lp.graph.group(op.group());
      groups.emplace_back(r.begin(), r.end());
    }
    return groups;
  };
  TrainingPlan p = plan_for(m, c, 8, 1, 2, 16, 8);  // tp 8 x dp 2, one micro-batch of 2 x 8 samples
  TrainingPlan tp4 = p;
  for (size_t l = p.layers.size() / 2; l < p.layers.size(); ++l) {
    tp4.layers[l].tp = 4;
    tp4.layers[l].dp = 4;
    tp4.layers[l].sequence_parallel = false;
  }
  ASSERT_EQ(simulate_training(tp4, m, c).status, "ok");
  auto groups = reshard_groups(tp4);
  ASSERT_EQ(groups.size(), 4u);  // 2 blocks x (forward, backward)
  std::set<int> blocks;
  for (const auto& g : groups) {
    ASSERT_EQ(g.size(), 8u);
    for (int d : g) EXPECT_EQ(c.device(d).node, c.device(g[0]).node) << "device " << d;
    blocks.insert(g[0]);
  }
  EXPECT_EQ(blocks.size(), 2u);  // both nodes' blocks
  TrainingPlan sharded = p;
  for (size_t l = p.layers.size() / 2; l < p.layers.size(); ++l) {
    sharded.layers[l].dp = 1;
    sharded.layers[l].fsdp = 2;
    sharded.layers[l].zero_stage = 1;
  }
  ASSERT_EQ(simulate_training(sharded, m, c).status, "ok");
  EXPECT_TRUE(reshard_groups(sharded).empty());
}

TEST(TrainingSim, EncoderDecoderAndLlamaPlansRun) {
  for (const char* name : {"t5-large", "llama-2-7b"}) {
    ModelGraph m = load_model(name);
    Cluster c = load_cluster("dgx-a100-80gb", 1);
    MegatronOptions o;
    o.seq_len = 512;
    o.global_batch = 16;
    o.tp = 2, o.pp = 2, o.dp = 2, o.micro_batch = 2;
    TrainingPlan p = megatron_plan(o, m, c);
    TrainingResult r = simulate_training(p, m, c);
    ASSERT_EQ(r.status, "ok") << name << ": " << r.message;
    EXPECT_GT(r.mfu, 0.05) << name;
    EXPECT_LT(r.mfu, 0.75) << name;
  }
}

TEST(TrainingSim, AutoMirrorsTensorRanksOnlyWhereExact) {
  // DGX-A100: one NIC per GPU, non-blocking fat tree. Leaving the other TP
  // ranks' flows out changes nothing there, so auto mirrors them and gets
  // the iteration time of the replicas-only lowering.
  ModelGraph m = blocks_only("megatron-gpt-1.7b", 8);
  Cluster c = load_cluster("dgx-a100-80gb", 2);
  TrainingPlan p = plan_for(m, c, 4, 2, 2, 8, 1);  // TP 4 x PP 2 x DP 2 over 16 GPUs
  TrainingSimOptions o;
  TrainingResult automatic = simulate_training(p, m, c, o);
  o.mirror = Mirror::kReplicas;
  TrainingResult replicas = simulate_training(p, m, c, o);
  ASSERT_EQ(automatic.status, "ok") << automatic.message;
  EXPECT_EQ(automatic.mirror, Mirror::kRanks);
  EXPECT_LT(automatic.ops, replicas.ops / 3);
  EXPECT_NEAR(automatic.iteration_seconds, replicas.iteration_seconds, 1e-9 * replicas.iteration_seconds);
  // An oversubscribed fat tree (trunks at half the NICs below them): the
  // other ranks' traffic would share the trunks, so auto keeps them.
  nlohmann::json j;
  std::ifstream(std::string(PARALAB_SOURCE_DIR) + "/catalog/clusters/dgx-a100-80gb.json") >> j;
  j["network"]["oversubscription"] = 2.0;
  std::string path = "/tmp/paralab_oversubscribed_" + std::to_string(::getpid()) + ".json";
  std::ofstream(path) << j.dump();
  Cluster over = load_cluster(path, 16);  // 2 leaves of 8 nodes: trunks exist
  std::remove(path.c_str());
  TrainingPlan q = plan_for(m, over, 4, 2, 2, 8, 1);
  EXPECT_FALSE(tensor_ranks_mirror_exactly(q, over, sim::CollectiveMode::kFlow));
  EXPECT_TRUE(tensor_ranks_mirror_exactly(q, over, sim::CollectiveMode::kAnalytic));
  EXPECT_TRUE(tensor_ranks_mirror_exactly(p, c, sim::CollectiveMode::kFlow));
}

TEST(TrainingSim, OomPlanEndsOomNamingStage) {
  ModelGraph m = load_model("megatron-gpt-175b");
  Cluster c = load_cluster("dgx-a100-80gb", 8);
  TrainingPlan p = plan_for(m, c, 1, 8, 8, 64, 1);
  TrainingResult r = simulate_training(p, m, c);
  EXPECT_EQ(r.status, "oom");
  EXPECT_EQ(r.message.rfind("stage 0 (devices 0..7) needs ", 0), 0u) << r.message;
  EXPECT_NE(r.message.find("bytes ("), std::string::npos) << r.message;
}

TEST(TrainingSim, InvalidPlanStatus) {
  ModelGraph m = load_model("megatron-gpt-1.7b");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  TrainingPlan p = plan_for(m, c, 2, 4, 1, 8, 1);
  p.layers[2].tp = 4;
  TrainingResult r = simulate_training(p, m, c);
  EXPECT_EQ(r.status, "invalid");
  EXPECT_EQ(r.message.rfind("invalid plan: layer 2 (block.1): dp 1 x tp 4", 0), 0u) << r.message;
}

TEST(TrainingSim, ModelAndHardwareFlopsFormulas) {
  // 175B row (B 64, s 2048, L 96, h 12288, V 51200), by hand:
  //   model (Korthikanti et al. 2022 sec. 6) 72 B s L h^2 (1 + s/6h + V/12Lh) = 1.410915e17
  //   hardware, full recomputation (Narayanan et al. 2021) 96 B s L h^2 (1 + s/6h + V/16Lh) = 1.879571e17
  //   hardware, selective: model + the recomputed attention core 4 B s^2 h L = 1.423582e17
  ModelGraph m = load_model("megatron-gpt-175b");
  EXPECT_NEAR(model_flops_per_iteration(m, 64, 2048), 1.410915e17, 1e11);
  EXPECT_NEAR(hardware_flops_per_iteration(m, 64, 2048, Recompute::kFull), 1.879571e17, 1e11);
  EXPECT_NEAR(hardware_flops_per_iteration(m, 64, 2048, Recompute::kSelective), 1.423582e17, 1e11);
  EXPECT_EQ(hardware_flops_per_iteration(m, 64, 2048, Recompute::kNone), model_flops_per_iteration(m, 64, 2048));
}

TEST(TrainingSim, MfuOfPublishedTimesMatchesPublishedMfu) {
  // Megatron-LM's published MFU for Korthikanti et al.'s four rows (SP +
  // selective recomputation, 312 TFLOP/s A100s): 41.5%, 51.4%, 56.0%, 56.3%
  // at the published 1.10 / 13.75 / 37.83 / 71.49 s per iteration.
  struct Row {
    const char* model;
    int64_t batch;
    int gpus;
    double seconds, mfu;
  };
  for (Row r : {Row{"megatron-gpt-22b", 4, 8, 1.10, 0.415}, Row{"megatron-gpt-175b", 64, 64, 13.75, 0.514},
                Row{"megatron-gpt-530b", 280, 280, 37.83, 0.560}, Row{"megatron-gpt-1t", 512, 512, 71.49, 0.563}}) {
    ModelGraph m = load_model(r.model);
    double mfu = model_flops_per_iteration(m, r.batch, 2048) / (r.seconds * r.gpus * 312e12);
    EXPECT_NEAR(mfu, r.mfu, 0.002) << r.model;
  }
}

TEST(TrainingSim, MfuAndHfuOfSimulatedPlans) {
  // 22B on one DGX-A100 (B 4, s 2048, L 48, h 6144, V 51200), by hand:
  //   model FLOPs 72 B s L h^2 (1 + s/6h + V/12Lh) = 1.143561e15
  //   full recomputation: hardware 96 B s L h^2 (1 + s/6h + V/16Lh) = 1.519594e15
  //   selective: hardware = model + 4 B s^2 h L = 1.163352e15
  // MFU (HFU) = FLOPs / (iteration seconds x 8 GPUs x 312 TFLOP/s).
  ModelGraph m = load_model("megatron-gpt-22b");
  Cluster c = load_cluster("dgx-a100-80gb", 1);
  for (Recompute rc : {Recompute::kFull, Recompute::kSelective}) {
    MegatronOptions o;
    o.seq_len = 2048, o.global_batch = 4, o.tp = 8, o.pp = 1, o.dp = 1, o.micro_batch = 4;
    o.recompute = rc;
    o.sequence_parallel = rc == Recompute::kSelective;
    TrainingResult r = simulate_training(megatron_plan(o, m, c), m, c);
    ASSERT_EQ(r.status, "ok") << r.message;
    const double hw = rc == Recompute::kFull ? 1.519594e15 : 1.163352e15;
    const double denom = r.iteration_seconds * 8 * 312e12;
    EXPECT_NEAR(r.mfu, 1.143561e15 / denom, 1e-6) << recompute_name(rc);
    EXPECT_NEAR(r.hfu, hw / denom, 1e-5) << recompute_name(rc);
    EXPECT_GT(r.hfu, r.mfu);
  }
}

}  // namespace
}  // namespace paralab

namespace paralab {
namespace {

TEST(TrainingSim, GradientAllReduceAfterTheBackwardExposesEveryLayersReduction) {
  // 4 blocks of GPT 1.7B, DP 2 on one DGX-A100, one micro-batch of 1 x 2048
  // tokens, analytic collectives. Each block's gradient all-reduce: S = its
  // parameters x 2 bytes (bf16) between two GPUs behind the NVSwitch
  // (alpha = 2 us, B = 300 GB/s x 0.70): 2(n-1) alpha + 2(n-1)/n S/B =
  // 4 us + S/210e9, about 0.6 ms, shorter than a block's backward (~2 ms).
  // Overlapped, the reductions of blocks 3, 2, 1 hide behind the backward of
  // the blocks below and only block 0's shows; after the backward, all four
  // run one after another. The difference is 3 all-reduces (here without
  // the share of the GPU a running collective takes from the backward:
  // CollectiveContention tests that).
  ModelGraph m = blocks_only("megatron-gpt-1.7b", 4);
  Cluster c = load_cluster("dgx-a100-80gb", 1, {"components[kind=gpu].device.collective_compute_share=0"});
  MegatronOptions o;
  o.seq_len = 2048, o.global_batch = 2, o.tp = 1, o.pp = 1, o.dp = 2, o.micro_batch = 1;
  TrainingSimOptions so;
  so.collectives = sim::CollectiveMode::kAnalytic;
  TrainingResult overlapped = simulate_training(megatron_plan(o, m, c), m, c, so);
  o.overlap_grad_reduce = false;
  TrainingPlan after = megatron_plan(o, m, c);
  EXPECT_FALSE(plan_from_json(JsonReader(plan_to_json(after), "plan")).overlap_grad_reduce);
  TrainingResult serial = simulate_training(after, m, c, so);
  ASSERT_EQ(overlapped.status, "ok") << overlapped.message;
  ASSERT_EQ(serial.status, "ok") << serial.message;
  const double each = 4e-6 + double(m.layer(0).params) * 2 / 210e9;
  EXPECT_NEAR(serial.iteration_seconds - overlapped.iteration_seconds, 3 * each, 4e-9);
  EXPECT_NEAR(serial.exposed_dp_seconds, 4 * each, 4e-9);
}

// ZeRO-3 prefetches the next layer's weights one layer ahead in the
// backward (FSDP's default BACKWARD_PRE; DeepSpeed's ZeRO-3 prefetch), so the
// backward never waits for a reduce-scatter. 4 blocks of GPT 1.7B, ZeRO-3
// over 2 GPUs of one DGX-A100, one micro-batch of 1 x 2048 tokens,
// analytic collectives, no share of the GPU taken by a running collective.
// A block's weight all-gather and gradient reduce-scatter each move S = its
// parameters x 2 bytes (bf16) between two GPUs behind the NVSwitch: (n-1)
// alpha + (n-1)/n S/B = 2 us + S / 2 / 210e9, about 0.3 ms, shorter than a
// block's forward (~1 ms). What nothing hides: block 0's forward gather
// (the first op of the iteration) and block 0's reduce-scatter (the last).
// Every other gather runs ahead beside compute, every other reduce-scatter
// beside the next block's backward: 2 collectives exposed. Without the
// backward prefetch, each backward gather would wait behind the previous
// block's reduce-scatter on the data stream, exposing 8.
TEST(TrainingSim, ZeroThreeBackwardPrefetchExposesOnlyTheFirstGatherAndTheLastReduction) {
  ModelGraph m = blocks_only("megatron-gpt-1.7b", 4);
  Cluster c = load_cluster("dgx-a100-80gb", 1, {"components[kind=gpu].device.collective_compute_share=0"});
  MegatronOptions o;
  o.seq_len = 2048, o.global_batch = 2, o.tp = 1, o.pp = 1, o.dp = 2, o.micro_batch = 1;
  o.zero_stage = 3;
  TrainingPlan p = megatron_plan(o, m, c);
  ASSERT_EQ(p.layers[0].fsdp, 2);
  TrainingSimOptions so;
  so.collectives = sim::CollectiveMode::kAnalytic;
  TrainingResult r = simulate_training(p, m, c, so);
  ASSERT_EQ(r.status, "ok") << r.message;
  const double each = 2e-6 + double(m.layer(0).params) * 2 / 2 / 210e9;
  EXPECT_NEAR(r.exposed_dp_seconds, 2 * each, 4e-9);
  // On the data stream, block l - 1's backward gather comes before block l's reduce-scatter.
  LoweredPlan low = lower_plan(p, m, c);
  auto first_op = [&](const std::string& what) {
    for (const Op& op : low.graph.ops())
      if (op.label >= 0 && low.graph.label(op.label) == what) return int(&op - low.graph.ops().data());
    ADD_FAILURE() << "no op " << what;
    return -1;
  };
  for (int l = 1; l < 4; ++l)
    EXPECT_LT(first_op(fmt::format("L{} bwd zero3 gather", l - 1)), first_op(fmt::format("L{} grad reduce-scatter", l)));
}

}  // namespace
}  // namespace paralab
