// The host executor on small hand-built graphs: statuses, timings, faults.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/catalog.h"
#include "core/error.h"
#include "real/executor.h"
#include "real/host_ops.h"
#include "real/run_graph.h"
#include "real/validation_graphs.h"

namespace paralab::real {
namespace {

Cluster localhost() { return load_cluster("localhost-cpu"); }

ExecOptions quick_options() {
  ExecOptions o;
  o.warmup_runs = 0;
  o.scratch_dir = std::filesystem::temp_directory_path().string();
  o.collective_timeout_seconds = 10;
  return o;
}

TEST(HostExecutor, StreamOrderAndDependenciesAreRespected) {
  TaskGraph g;
  int a = g.add_gemm(0, 0, 64, 64, 64, DType::kFp32);
  int b = g.add_gemm(0, 0, 64, 64, 64, DType::kFp32);
  int c = g.add_gemm(1, 0, 32, 32, 32, DType::kFp32);
  g.add_dep(a, c);  // c (device 1) waits for a (device 0)
  auto ex = make_executor("host");
  RankResult r = ex->run(g, localhost(), quick_options());
  ASSERT_EQ(r.status, "ok") << r.message;
  ASSERT_EQ(r.timings.size(), 3u);
  std::map<int, OpTiming> t;
  for (const auto& x : r.timings) t[x.op] = x;
  EXPECT_LE(t[a].end_seconds, t[b].start_seconds);  // same stream: id order
  EXPECT_LE(t[a].end_seconds, t[c].start_seconds);  // dependency
  for (const auto& x : r.timings) EXPECT_GT(x.end_seconds, x.start_seconds);
}

TEST(HostExecutor, WeightQuantizedGemmsRunTheInt4Kernels) {
  // Two INT4 GEMMs of one (format, N, K) and one of another N: decode
  // (m = 4 -> qgemv_cpu) and prefill (m = 40 -> qgemm_cpu), plus an fp32
  // SGEMM that must not be counted. The note counts the three quantized ops.
  TaskGraph g;
  int prev = -1;
  for (auto [m, n] : {std::pair<int64_t, int64_t>{4, 512}, {40, 512}, {4, 128}}) {
    int id = g.add_quantized_gemm(0, 0, m, n, 256, "rtn-b4-g128", 2.0 * double(m * n * 256), 0, DType::kFp32);
    if (prev >= 0) g.add_dep(prev, id);  // a chain: one after the other
    prev = id;
  }
  g.add_gemm(0, 0, 64, 64, 64, DType::kFp32);
  auto ex = make_executor("host");
  RankResult r = ex->run(g, localhost(), quick_options());
  ASSERT_EQ(r.status, "ok") << r.message;
  EXPECT_EQ(r.timings.size(), 4u);
  bool noted = false;
  for (const auto& n : r.notes)
    noted |= n.rfind("3 weight-quantized GEMMs (rtn-b4-g128) ran the kernels/ CPU kernels", 0) == 0;
  EXPECT_TRUE(noted);
  // A format kernels/ does not know is bad input naming the op.
  TaskGraph bad;
  bad.add_quantized_gemm(0, 0, 4, 512, 256, "rtn-b5-g128", 1, 1, DType::kFp32);
  try {
    ex->run(bad, localhost(), quick_options());
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("op 0: weights 'rtn-b5-g128' of 512 x 256"), std::string::npos) << e.what();
  }
  // A group that does not divide K is bad input too.
  TaskGraph odd;
  odd.add_quantized_gemm(0, 0, 4, 512, 96, "rtn-b4-g128", 1, 1, DType::kFp32);
  EXPECT_THROW(ex->run(odd, localhost(), quick_options()), InputError);
}

TEST(HostExecutor, InProcessCollectivesAndSsdReadsComplete) {
  TaskGraph g;
  int grp = g.add_group({0, 1});
  for (auto k : {CollectiveKind::kAllReduce, CollectiveKind::kAllGather, CollectiveKind::kReduceScatter,
                 CollectiveKind::kAllToAll, CollectiveKind::kBroadcast, CollectiveKind::kSendRecv})
    g.add_collective(k, grp, 0, 1 << 20);
  g.add_transfer(0, 1, {TierKind::kSsd, 0}, {TierKind::kPinnedHost, 0}, 3 << 20);
  g.add_transfer(0, 2, {TierKind::kPinnedHost, 0}, {TierKind::kDevice, 0}, 3 << 20);
  RunRecord rec;
  auto ex = make_executor("host");
  RankResult r = ex->run(g, localhost(), quick_options());
  ASSERT_EQ(r.status, "ok") << r.message;
  // 6 collectives x 2 members + 2 transfers.
  EXPECT_EQ(r.timings.size(), 14u);
  rec = merge_rank_results({r}, g, localhost(), "real-host");
  EXPECT_EQ(rec.backend, "real-host");
  EXPECT_GT(rec.step_seconds, 0);
  EXPECT_TRUE(rec.metrics["busy_seconds_by_kind"].contains("ssd_read"));
}

TEST(HostExecutor, SsdWritesComplete) {
  // Device -> pinned host -> SSD (3 MiB, not a multiple of the chunking),
  // then read back: a spill and a reload, as offloading schedules do.
  TaskGraph g;
  int d2h = g.add_transfer(0, 1, {TierKind::kDevice, 0}, {TierKind::kPinnedHost, 0}, 3 << 20);
  int w = g.add_transfer(0, 1, {TierKind::kPinnedHost, 0}, {TierKind::kSsd, 0}, (3 << 20) + 100);
  int r2 = g.add_transfer(0, 1, {TierKind::kSsd, 0}, {TierKind::kPinnedHost, 0}, 3 << 20);
  g.add_dep(d2h, w);
  g.add_dep(w, r2);
  auto ex = make_executor("host");
  RankResult r = ex->run(g, localhost(), quick_options());
  ASSERT_EQ(r.status, "ok") << r.message;
  EXPECT_EQ(r.timings.size(), 3u);
  RunRecord rec = merge_rank_results({r}, g, localhost(), "real-host");
  EXPECT_TRUE(rec.metrics["busy_seconds_by_kind"].contains("ssd_write"));
  EXPECT_GT(rec.metrics["busy_seconds_by_kind"]["ssd_write"].get<double>(), 0);
}

TEST(ScratchFile, WriteLandsOnTheFileAndLeavesTheRestOfThePattern) {
  // Three pages; page 1 overwritten with 0xAB. Read back: pages 0 and 2
  // still hold the pattern byte ((page + offset) & 0xff), page 1 is 0xAB.
  std::string path = (std::filesystem::temp_directory_path() / "paralab-scratch-write-test").string();
  ScratchFile f(path, 3 * kPageBytes);
  HostBuffer page(kPageBytes, false), back(3 * kPageBytes, false);
  std::memset(page.data(), 0xAB, kPageBytes);
  f.write(kPageBytes, kPageBytes, page.data());
  f.read(0, 3 * kPageBytes, back.data());
  for (size_t i = 0; i < 3 * kPageBytes; ++i) {
    unsigned char want = i / kPageBytes == 1 ? 0xAB : static_cast<unsigned char>((i / kPageBytes + i % kPageBytes) & 0xff);
    ASSERT_EQ(static_cast<unsigned char>(back.data()[i]), want) << "byte " << i;
  }
}

TEST(HostExecutor, AllocBeyondCapacityIsOomNotACrash) {
  TaskGraph g;
  double cap = localhost().tier_capacity_bytes(0, TierKind::kDevice);
  g.add_alloc(0, 0, {TierKind::kDevice, 0}, cap * 0.75);
  g.add_alloc(0, 0, {TierKind::kDevice, 0}, cap * 0.5);
  auto ex = make_executor("host");
  RankResult r = ex->run(g, localhost(), quick_options());
  EXPECT_EQ(r.status, "oom");
  EXPECT_NE(r.message.find("exceeds its capacity"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("op 1"), std::string::npos) << r.message;
}

TEST(HostExecutor, UnknownBackendListsValidOnes) {
  try {
    make_executor("tpu");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "unknown backend 'tpu'; valid: host, cuda");
  }
}

TEST(HostExecutor, CudaBackendWithoutDeviceIsAClearError) {
  TaskGraph g;
  g.add_gemm(0, 0, 8, 8, 8, DType::kFp32);
  auto ex = make_executor("cuda");
  RankResult r = ex->run(g, localhost(), quick_options());
  if (r.status == "ok") GTEST_SKIP() << "a CUDA device is present";
  EXPECT_EQ(r.status, "error");
  EXPECT_NE(r.message.find("cuda"), std::string::npos) << r.message;
}

TEST(ValidationGraphs, FlopCountsMatchTheClosedForm) {
  // Hand count for h = 2, f = 4, t = 1: QKV 2*1*2*6 = 24, proj 2*1*2*2 = 8,
  // FFN up and down 2 * (2*1*2*4) = 32 -> 64 FLOPs.
  TinyTransformer tiny{2, 4, 1, 1};
  EXPECT_DOUBLE_EQ(layer_forward_flops(tiny, 1), 64.0);
  TinyTransformer m{64, 256, 2, 16};
  TaskGraph g = build_dp2_graph(m);
  double gemm = 0;
  for (const auto& o : g.ops())
    if (o.type == OpType::kCompute && o.compute_kind() == ComputeKind::kGemm && o.device == 0) {
      const GemmShape* s = g.gemm_shape(o);
      ASSERT_NE(s, nullptr);
      EXPECT_DOUBLE_EQ(o.flops, 2.0 * double(s->m) * double(s->n) * double(s->k));
      gemm += o.flops;
    }
  // Forward + backward (2 GEMMs per forward GEMM) = 3x forward, per layer.
  EXPECT_DOUBLE_EQ(gemm, 3 * 2 * layer_forward_flops(m, 16));
  g.validate(localhost());
  build_pp2_graph(m, 4).validate(localhost());
  build_offload_graph(m, 2).validate(localhost());
}

}  // namespace
}  // namespace paralab::real
