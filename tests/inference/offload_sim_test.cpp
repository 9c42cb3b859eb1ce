// Offloaded-inference schedules on a hand-made machine (tests/data/inference/
// offload-box.json): a GPU so fast that compute is negligible, a 10 GB/s
// PCIe link, 5 GB/s pageable copies, a 2 GB/s SSD, no latencies. Expected
// times are derived by hand from the model's dimensions.
//
// tiny-opt (tests/data/inference/tiny-opt.json): OPT-style, h = 1024, 2
// blocks, FFN 4096. One block: GEMM weights 4h^2 + 2*h*4h = 12h^2 =
// 12,582,912; biases (9h) and layer norms (4h) 13h = 13,312 parameters.
//   fp16 block bytes = 2 * (12,582,912 + 13,312)               = 25,192,448
//   KV per position per block (fp16) = 2 (K, V) * 1024 * 2 B  = 4,096
// Compute per block visit is at most ~0.3 us (25 MB at 100 TB/s), below the
// tolerances used.
#include <gtest/gtest.h>

#include "core/catalog.h"
#include "core/error.h"
#include "core/hardware_profile.h"
#include "strategies/inference/inference_sim.h"
#include "strategies/inference/offload_lowering.h"
#include "strategies/inference/offload_planner.h"

namespace paralab {
namespace {

constexpr double kBlockBytes = 25192448.0;

struct Box {
  ModelGraph m = load_model(PARALAB_TEST_DATA "/inference/tiny-opt.json");
  Cluster cl = load_cluster(PARALAB_TEST_DATA "/inference/offload-box.json");
  InferenceJob job(int64_t s, int64_t n, int64_t batch = 1) {
    InferenceJob j;
    j.model = m.name();
    j.prompt_len = s, j.gen_len = n, j.batch = batch;
    return j;
  }
  OffloadPlan plan(Schedule sch, const InferenceJob& j) {
    return schedule_plan(sch, j, j.batch, 1, block_costs(m, j), cl);
  }
  // Prompt 4, 3 tokens, `batch` sequences in int4-g128 (one GPU batch).
  InferenceJob int4_job(int64_t batch) {
    InferenceJob j = job(4, 3, batch);
    j.weights = parse_weight_format("int4-g128");
    return j;
  }
};

TEST(OffloadSim, BlockCostsByHand) {
  Box b;
  BlockCosts c = block_costs(b.m, b.job(4, 3));
  EXPECT_EQ(c.layer_count, 2);
  EXPECT_DOUBLE_EQ(c.weight_bytes, kBlockBytes);
  EXPECT_DOUBLE_EQ(c.kv_bytes_per_token, 4096.0);
  InferenceJob j = b.job(4, 3);
  j.weights = parse_weight_format("int4-g128");
  // 12,582,912 * 4.25 / 8 + 2 * 13,312 = 6,684,672 + 26,624.
  EXPECT_DOUBLE_EQ(block_costs(b.m, j).weight_bytes, 6711296.0);
}

TEST(OffloadSim, Int4DecodeGemmsCarryTheirFormatAndStackedShape) {
  // tiny-opt in int4-g128, batch 2: a decode block's GEMMs are 12 h^2 weights
  // = 12,582,912 = N x K with K = h = 1024, N = 12 h = 12,288 rows; FLOPs
  // 2 * 12,582,912 * 2 sequences = 50,331,648. The LM head (vocab 1024 x h)
  // is N = 1024 rows of K = 1024.
  Box b;
  InferenceJob j = b.int4_job(2);
  BlockCosts c = block_costs(b.m, j);
  OffloadPlan p = schedule_plan(Schedule::kPipo, j, 2, 1, c, b.cl);
  TaskGraph g = lower_offload_plan(p, c, b.cl);
  int blocks = 0, heads = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const Op& o = g.op(int(i));
    const std::string& lbl = o.label >= 0 ? g.label(o.label) : std::string();
    const std::string* w = g.weight_format(o);
    if (lbl.ends_with(" gemm")) {
      ASSERT_NE(w, nullptr) << lbl;
      EXPECT_EQ(*w, "rtn-b4-g128");
      const GemmShape* s = g.gemm_shape(o);
      EXPECT_EQ(s->m, 2);
      EXPECT_EQ(s->n, 12288);
      EXPECT_EQ(s->k, 1024);
      EXPECT_DOUBLE_EQ(o.flops, 50331648.0);
      ++blocks;
    } else if (lbl.ends_with(" head")) {
      ASSERT_NE(w, nullptr);
      EXPECT_EQ(g.gemm_shape(o)->n, 1024);
      EXPECT_EQ(g.gemm_shape(o)->k, 1024);
      ++heads;
    } else if (lbl.ends_with(" prefill") || lbl.ends_with(" attention")) {
      EXPECT_EQ(w, nullptr) << lbl;  // attention inside: no single GEMM shape
    }
  }
  // 2 decode tokens (gen 3, the first is the prefill's) x 2 blocks; a head
  // after the last block of each of the 3 tokens.
  EXPECT_EQ(blocks, 4);
  EXPECT_EQ(heads, 3);
  // fp16 weights: no format on any op.
  InferenceJob f = b.job(4, 3, 2);
  BlockCosts cf = block_costs(b.m, f);
  TaskGraph gf = lower_offload_plan(schedule_plan(Schedule::kPipo, f, 2, 1, cf, b.cl), cf, b.cl);
  for (size_t i = 0; i < gf.size(); ++i) EXPECT_EQ(gf.weight_format(gf.op(int(i))), nullptr);
}

TEST(OffloadSim, CalibratedQuantizedRateReachesThePlannersEstimateAsTheSimulation) {
  // tiny-opt in int4-g128, prompt 4, 3 tokens, batch 1, PIPO (every weight
  // fits on the GPU: nothing streams). A profile that times rtn-b4-g128 at
  // 1 ns per stored weight at any row count: a decode visit's GEMMs are the
  // block's 12,582,912 weights = 12.582912 ms, where the roofline of the
  // 1e15 FLOP/s test GPU says 25 ns. 2 decode tokens x 2 blocks = 50.33 ms;
  // the prefill, attention and head stay on the roofline (microseconds).
  Box b;
  InferenceJob j = b.int4_job(1);
  BlockCosts c = block_costs(b.m, j);
  OffloadPlan p = schedule_plan(Schedule::kPipo, j, 1, 1, c, b.cl);
  EXPECT_LT(analytic_estimate(p, c, b.cl), 1e-3);
  HardwareProfile prof;
  DeviceProfile d;
  d.kind = "gpu";
  d.quantized_gemm_seconds_per_weight["rtn-b4-g128"] = {{1, 1e-9}, {64, 1e-9}};
  prof.devices.push_back(d);
  Cluster cal = b.cl;
  apply_hardware_profile(prof, &cal);
  const double decode = 2 * 2 * 12582912e-9;
  EXPECT_NEAR(analytic_estimate(p, c, cal), decode, 0.5e-3);
  // The simulation runs the same ops (the head too: 1,048,576 weights more
  // per token, 3 tokens = 3.1 ms) and agrees within those.
  InferenceResult r = simulate_offload(p, b.m, cal);
  ASSERT_EQ(r.status, "ok") << r.message;
  EXPECT_NEAR(r.total_seconds, decode + 3 * 1048576e-9, 0.5e-3);
}

TEST(OffloadSim, AccelerateIsPcieBoundFromPinnedHost) {
  // Every block visit copies the whole block over PCIe, then computes:
  // 25,192,448 B / 10 GB/s = 2.5192448 ms; 3 tokens x 2 blocks = 15.1154688 ms.
  Box b;
  OffloadPlan p = b.plan(Schedule::kAccelerate, b.job(4, 3));
  p.w_gpu = 0, p.w_cpu = 1, p.w_disk = 0, p.pinned_weights = true;
  InferenceResult r = simulate_offload(p, b.m, b.cl);
  ASSERT_EQ(r.status, "ok") << r.message;
  EXPECT_NEAR(r.total_seconds, 15.1154688e-3, 15.1154688e-3 * 5e-4);
  EXPECT_NEAR(r.prefill_seconds, 2 * 2.5192448e-3, 2.5e-6);
  // tokens / s = batch * n / total = 3 / 15.1154688 ms.
  EXPECT_NEAR(r.tokens_per_second, 3 / 15.1154688e-3, 0.2);
  EXPECT_LT(r.gpu_utilization, 0.01);
  EXPECT_NEAR(r.h2d_utilization, 1.0, 0.01);
}

TEST(OffloadSim, PageableWeightsMoveAtTheStagingRate) {
  // Pageable copies are capped at 5 GB/s: 5.0384896 ms per visit, x 6.
  Box b;
  OffloadPlan p = b.plan(Schedule::kAccelerate, b.job(4, 3));
  p.w_gpu = 0, p.w_cpu = 1, p.w_disk = 0, p.pinned_weights = false;
  InferenceResult r = simulate_offload(p, b.m, b.cl);
  ASSERT_EQ(r.status, "ok") << r.message;
  EXPECT_NEAR(r.total_seconds, 30.2309376e-3, 30.2309376e-3 * 5e-4);
}

TEST(OffloadSim, ZeroInferenceOverlapsSsdReadsWithCopies) {
  // Weights on the SSD, one block of prefetch: the SSD reads back to back,
  // 25,192,448 B / 2 GB/s = 12.596224 ms each, six of them; only the last
  // block's PCIe copy (2.5192448 ms) is exposed: 78.0965888 ms. A read
  // waits for the compute two visits back (slot reuse), which ends at
  // (v+1)*12.60 + 2.52 ms, before the read ahead of it ends.
  Box b;
  OffloadPlan p = b.plan(Schedule::kZeroInference, b.job(4, 3));
  p.w_gpu = 0, p.w_cpu = 0, p.w_disk = 1, p.chunks_per_layer = 1, p.io_threads = 1;
  InferenceResult r = simulate_offload(p, b.m, b.cl);
  ASSERT_EQ(r.status, "ok") << r.message;
  EXPECT_NEAR(r.total_seconds, 78.0965888e-3, 78.0965888e-3 * 5e-4);
  EXPECT_NEAR(r.ssd_read_utilization, 6 * 12.596224 / 78.0965888, 0.01);
}

TEST(OffloadSim, AccelerateFromSsdPaysReadAndCopySerially) {
  // Synchronous: each visit reads then copies: 12.596224 + 2.5192448 ms, x 6
  // = 90.6928128 ms.
  Box b;
  OffloadPlan p = b.plan(Schedule::kAccelerate, b.job(4, 3));
  p.w_gpu = 0, p.w_cpu = 0, p.w_disk = 1;
  InferenceResult r = simulate_offload(p, b.m, b.cl);
  ASSERT_EQ(r.status, "ok") << r.message;
  EXPECT_NEAR(r.total_seconds, 90.6928128e-3, 90.6928128e-3 * 5e-4);
}

TEST(OffloadSim, DecodeKvLoadsGrowWithTheCache) {
  // Weights resident, KV cache in pinned host memory, s = 1000, n = 4.
  // Prefill compute is not negligible here: per block 2 x 12,582,912 x 1000
  // GEMM FLOPs + causal attention 4 x 1000 x 1000.5/2 x 1024 = 27,215,872,000
  // FLOPs at 1 PFLOP/s = 27.215872 us. Each block then stores 1000
  // positions: 4,096,000 B / 10 GB/s = 409.6 us, one after the other on the
  // D2H stream: prefill = 27.215872 + 2 x 409.6 = 846.415872 us.
  // Decode step t loads the s + t - 1 cached positions of each block:
  // 2 blocks x 4096 B x (1000 + 1001 + 1002) = 24,600,576 B = 2460.0576 us
  // of H2D, back to back from the end of block 0's prefill store (436.8 us):
  // total = 27.215872 + 409.6 + 2460.0576 = 2896.873472 us (+ < 1 us of
  // one-position stores and compute at the end).
  Box b;
  OffloadPlan p = b.plan(Schedule::kPipo, b.job(1000, 4));
  p.w_gpu = 1, p.w_cpu = 0, p.w_disk = 0;
  p.kv_gpu = 0, p.kv_cpu = 1, p.kv_disk = 0, p.pinned_kv = true;
  InferenceResult r = simulate_offload(p, b.m, b.cl);
  ASSERT_EQ(r.status, "ok") << r.message;
  EXPECT_NEAR(r.prefill_seconds, 846.415872e-6, 1e-8);
  EXPECT_NEAR(r.total_seconds, 2896.873472e-6, 1.5e-6);
}

TEST(OffloadSim, PipelinedScheduleBeatsSynchronousOnTheSameMachine) {
  Box b;
  OffloadPlan sync = b.plan(Schedule::kAccelerate, b.job(4, 3));
  sync.w_gpu = 0, sync.w_cpu = 0, sync.w_disk = 1;
  OffloadPlan pipo = b.plan(Schedule::kPipo, b.job(4, 3));
  pipo.w_gpu = 0, pipo.w_cpu = 0, pipo.w_disk = 1;
  double t_sync = simulate_offload(sync, b.m, b.cl).total_seconds;
  double t_pipo = simulate_offload(pipo, b.m, b.cl).total_seconds;
  // PIPO is SSD-bound: 6 reads of 12.596224 ms plus at most one exposed copy.
  EXPECT_LT(t_pipo, 6 * 12.596224e-3 + 2.52e-3 + 1e-5);
  EXPECT_GT(t_sync, t_pipo * 1.15);
}

TEST(OffloadSim, FlexGenBarrierExposesComputeThatDataflowHides) {
  // GPU slowed 5000x: a decode GEMM reads 25,192,448 + 8,192 B at 100 TB/s
  // = 252.0 ns, x 5000 = C = 1.26 ms (its 25 MFLOP take 25 ns, less); the
  // weight copy from pinned memory is W = 2.5192448 ms. Two GPU batches of
  // one sequence, weights on the host, KV and hidden on the GPU, s = 4,
  // n = 3: six block visits.
  // FlexGen: step (v, 0) = max(load v+1, compute) = W, step (v, 1) = C, and
  // the last visit has no load: total >= prologue W + 5 W + 5 C + 2 C
  // > 6 W + 5 C = 21.42 ms.
  // PIPO: the copy stream runs back to back (buffer slots free early,
  // since 2 C = W), so total <= 6 W + the last visit's 2 C + the LM head
  // (2 MB at 100 TB/s x 5000 = 0.1 ms per batch) < 6 W + 3 C = 18.9 ms.
  Box b;
  b.cl.set_slowdown(0, 5000);
  const double W = 2.5192448e-3, C = 1.26e-3;
  InferenceJob j = b.job(4, 3, 2);
  BlockCosts c = block_costs(b.m, j);
  for (Schedule s : {Schedule::kFlexGen, Schedule::kPipo}) {
    OffloadPlan p = schedule_plan(s, j, 1, 2, c, b.cl);
    p.w_gpu = 0, p.w_cpu = 1, p.w_disk = 0, p.pinned_weights = true;
    p.kv_gpu = 1, p.kv_cpu = 0, p.kv_disk = 0, p.hidden_on_gpu = true, p.cpu_attention = false;
    InferenceResult r = simulate_offload(p, b.m, b.cl);
    ASSERT_EQ(r.status, "ok") << r.message;
    if (s == Schedule::kFlexGen)
      EXPECT_GT(r.total_seconds, 6 * W + 5 * C);
    else
      EXPECT_LT(r.total_seconds, 6 * W + 3 * C);
  }
}

TEST(OffloadSim, OversubscribedTierIsInfeasibleBeforeSimulation) {
  // KV on the GPU for 1024 sequences of 2000 positions: 2 blocks x 2000 x
  // 1024 x 4096 B = 16,777,216,000 B = 15.625 GiB > 8 GiB.
  Box b;
  OffloadPlan p = b.plan(Schedule::kAccelerate, b.job(1000, 1000, 1024));
  InferenceResult r = simulate_offload(p, b.m, b.cl);
  EXPECT_EQ(r.status, "infeasible");
  EXPECT_NE(r.message.find("GPU memory needs"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("holds 8.000 GiB"), std::string::npos) << r.message;
  EXPECT_GE(r.analytic_memory.gpu, 16777216000.0);
}

TEST(OffloadSim, SameInputSameRecord) {
  Box b;
  OffloadPlan p = b.plan(Schedule::kFlexGen, b.job(64, 4, 4));
  p.w_gpu = 0.2, p.w_cpu = 0.5, p.w_disk = 0.3;
  Json a = inference_run_record(simulate_offload(p, b.m, b.cl)).to_json();
  Json c = inference_run_record(simulate_offload(p, b.m, b.cl)).to_json();
  a["metrics"].erase("timing");
  c["metrics"].erase("timing");
  EXPECT_EQ(a.dump(), c.dump());
}

TEST(OffloadSim, FormatsAndNames) {
  EXPECT_DOUBLE_EQ(parse_weight_format("int4-g128").bits_per_weight, 4.25);  // 4 + 32/128
  EXPECT_DOUBLE_EQ(parse_weight_format("int4-g64").bits_per_weight, 4.5);    // 4 + 32/64
  EXPECT_EQ(parse_weight_format("int4-g64").name, "rtn-b4-g64");
  EXPECT_DOUBLE_EQ(parse_kv_format("int4").bits_per_element, 4.5);
  try {
    parse_weight_format("int3");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown weight format 'int3'; valid formats are: fp16, int8"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(parse_schedule("deepspeed"), InputError);
  InferenceJob j;
  try {
    block_costs(load_model("bert-large"), j);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("model 'bert-large' has no decoder blocks"), std::string::npos) << e.what();
  }
}

TEST(OffloadSim, KernelTrafficFollowsTheRuntimesDataPath) {
  // tiny-opt, GPU batch 2, 10 cached positions: 2 (K, V) x 1024 x 10 x 2 =
  // 40,960 cache elements, 81,920 B in fp16.
  Box b;
  InferenceJob j = b.job(4, 3, 2);
  OffloadPlan p = b.plan(Schedule::kFlexGen, j);
  BlockCosts c = block_costs(b.m, j);
  p.cpu_attention = false;
  EXPECT_DOUBLE_EQ(attention_traffic_bytes(p, c, 10), 81920.0);
  // FlexGen's CPU attention casts K and V to fp32 (write 4 B) and the fp32
  // bmm reads them (4 B): 81,920 + 8 x 40,960 = 409,600, five times the cache.
  p.cpu_attention = true;
  EXPECT_DOUBLE_EQ(attention_traffic_bytes(p, c, 10), 409600.0);
  // A 4.5-bit cache expanded to fp16 first: 13 x 40,960 = 532,480, then the
  // fp32 cast and read: + 327,680 = 860,160; on the GPU the fp16 bmm reads
  // 2 x 40,960: 614,400.
  j.kv = parse_kv_format("int4");
  j.weights = parse_weight_format("int4-g128");
  p = b.plan(Schedule::kFlexGen, j);
  c = block_costs(b.m, j);
  p.dequant_to_fp16 = true;
  p.cpu_attention = true;
  EXPECT_DOUBLE_EQ(attention_traffic_bytes(p, c, 10), 860160.0);
  p.cpu_attention = false;
  EXPECT_DOUBLE_EQ(attention_traffic_bytes(p, c, 10), 614400.0);
  // Weights: 12,582,912 GEMM weights x (13 + 2) B + 26,624 B of fp16 norms
  // and biases = 188,770,304 B; fused kernels read the packed block,
  // 6,711,296 B (BlockCostsByHand).
  EXPECT_DOUBLE_EQ(gemm_weight_traffic_bytes(p, c), 188770304.0);
  p.dequant_to_fp16 = false;
  EXPECT_DOUBLE_EQ(gemm_weight_traffic_bytes(p, c), 6711296.0);
  // Without the expansion a 4.5-bit cache is read at its packed size,
  // 40,960 x 4.5 / 8 = 23,040 B.
  EXPECT_DOUBLE_EQ(attention_traffic_bytes(p, c, 10), 23040.0);
}

TEST(OffloadSim, FlexGenSepLayerSyncsAfterAttentionAndAfterMlp) {
  // FlexGen's loop runs attention and MLP as separate layers (--sep-layer,
  // on by default): 3 tokens x 2 blocks x 2 parts x 2 GPU batches = 24
  // steps, each ended by a sync, plus the prologue's and the tail's: 26
  // (12 + 2 = 14 with whole blocks). Its per-tensor copies follow the
  // parts: OPT attention = w_q b_q w_k b_k w_v b_v w_out b_out w_ln b_ln
  // (10 tensors) holding 4h^2 of the 12h^2 GEMM weights, a third of the
  // block: 25,192,448 / 3 / 10 = 839,748.27 B per copy.
  Box b;
  InferenceJob j = b.job(4, 3, 4);
  BlockCosts c = block_costs(b.m, j);
  OffloadPlan p = schedule_plan(Schedule::kFlexGen, j, 2, 2, c, b.cl);
  p.w_gpu = 0, p.w_cpu = 1, p.w_disk = 0, p.kv_gpu = 1, p.kv_cpu = 0, p.kv_disk = 0, p.cpu_attention = false;
  ASSERT_TRUE(p.sep_layer);
  auto syncs = [&](const TaskGraph& g) {
    int n = 0;
    for (const Op& o : g.ops()) n += o.type == OpType::kFree && o.stream == 31;
    return n;
  };
  TaskGraph g = lower_offload_plan(p, c, b.cl);
  EXPECT_EQ(syncs(g), 26);
  int copies = 0;
  for (const Op& o : g.ops())
    if (o.type == OpType::kTransfer && o.label >= 0 && g.label(o.label) == "L0 load weight") {
      if (copies++ < 10) {
        EXPECT_NEAR(o.bytes, 25192448.0 / 30.0, 1e-6);
      }
    }
  EXPECT_EQ(copies, 3 * 16);  // every token loads block 0: 10 + 6 copies
  p.sep_layer = false;
  EXPECT_EQ(syncs(lower_offload_plan(p, c, b.cl)), 14);
}

}  // namespace
}  // namespace paralab
