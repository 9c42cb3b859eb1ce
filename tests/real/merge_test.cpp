// Merging rank results: utilization as the simulator defines it, and NVML's
// figures carried through the per-rank JSON.
#include <gtest/gtest.h>

#include "core/catalog.h"
#include "real/executor.h"
#include "real/nvml_sampler.h"

namespace paralab::real {
namespace {

TEST(MergeRankResults, UtilizationIsTheUnionOfComputeAndCollectiveIntervals) {
  // Device 0: a GEMM over [0, 1] s and an all-reduce over [1, 3] s; device 1:
  // the all-reduce over [1, 3] s and a GEMM over [3, 4] s. Makespan 4 s.
  // Busy: device 0 = 3 s of 4 (0.75), device 1 = 3 s of 4 (0.75). A transfer
  // on device 0 over [3, 4] s is not a kernel and does not count.
  TaskGraph g;
  int grp = g.add_group({0, 1});
  int a = g.add_gemm(0, 0, 64, 64, 64, DType::kFp32);
  int ar = g.add_collective(CollectiveKind::kAllReduce, grp, 0, 1 << 20);
  int b = g.add_gemm(1, 0, 64, 64, 64, DType::kFp32);
  int x = g.add_transfer(0, 1, {TierKind::kDevice, 0}, {TierKind::kPinnedHost, 0}, 1 << 20);
  RankResult r;
  r.timings = {{a, 0, 0, 0, 1}, {ar, 0, 0, 1, 3}, {ar, 1, 0, 1, 3}, {b, 1, 0, 3, 4}, {x, 0, 1, 3, 4}};
  RunRecord rec = merge_rank_results({r}, g, load_cluster("localhost-cpu"), "real-host");
  ASSERT_EQ(rec.device_utilization.size(), 2u);
  EXPECT_DOUBLE_EQ(rec.step_seconds, 4);
  EXPECT_DOUBLE_EQ(rec.device_utilization[0], 0.75);
  EXPECT_DOUBLE_EQ(rec.device_utilization[1], 0.75);
  EXPECT_FALSE(rec.metrics.contains("nvml_utilization"));
}

// Rank 1 runs out of memory and aborts; rank 0, waiting on it, leaves no
// result ("error"). The run is the oom, named first, whatever the rank order.
TEST(MergeRankResults, ARanksOomOutranksItsPeersLostResult) {
  TaskGraph g;
  g.add_gemm(0, 0, 64, 64, 64, DType::kFp32);
  RankResult lost, oom;
  lost.rank = 0, lost.status = "error", lost.message = "rank 0 left no result (mpirun exit 4)";
  oom.rank = 1, oom.status = "oom", oom.message = "op 1 (model states): oom: alloc of 8 bytes on device of device1";
  RunRecord rec = merge_rank_results({lost, oom}, g, load_cluster("localhost-cpu"), "real-host");
  EXPECT_EQ(rec.status, "oom");
  EXPECT_EQ(rec.message, oom.message + "; " + lost.message);
  RunRecord rev = merge_rank_results({oom, lost}, g, load_cluster("localhost-cpu"), "real-host");
  EXPECT_EQ(rev.status, "oom");
  EXPECT_EQ(rev.message, oom.message + "; " + lost.message);
}

TEST(MergeRankResults, NvmlFiguresSurviveTheRankJsonAndReachTheRecord) {
  TaskGraph g;
  int a = g.add_gemm(0, 0, 64, 64, 64, DType::kFp32);
  RankResult r;
  r.timings = {{a, 0, 0, 0, 1}};
  r.nvml = {{0, "00000000:19:00.0", 93.5, 40.0, 12}};
  RankResult back = RankResult::from_json(r.to_json());
  ASSERT_EQ(back.nvml.size(), 1u);
  EXPECT_EQ(back.nvml[0].pci_bus_id, "00000000:19:00.0");
  RunRecord rec = merge_rank_results({back}, g, load_cluster("localhost-cpu"), "real-cuda");
  ASSERT_TRUE(rec.metrics.contains("nvml_utilization"));
  EXPECT_EQ(rec.metrics["nvml_utilization"][0]["device"], 0);
  EXPECT_DOUBLE_EQ(rec.metrics["nvml_utilization"][0]["mean_gpu_percent"].get<double>(), 93.5);
  EXPECT_EQ(rec.metrics["nvml_utilization"][0]["samples"], 12);
}

TEST(NvmlSampler, WithoutTheLibraryItSaysWhyAndSamplesNothing) {
  NvmlSampler s;
  if (s.available()) GTEST_SKIP() << "libnvidia-ml is present on this machine";
  EXPECT_NE(s.reason().find("libnvidia-ml.so.1"), std::string::npos) << s.reason();
  s.start({"00000000:19:00.0"});
  EXPECT_TRUE(s.stop().empty());
}

}  // namespace
}  // namespace paralab::real
