// A running collective holds a share of its GPUs' compute (NCCL's thread
// blocks occupy SMs; DeviceSpec::collective_compute_share), so a compute op
// beside it runs slower (sim/compute_model.h). Test devices: 100 TFLOP/s
// bf16, efficiency 1, no launch overhead; the two GPUs meet behind one
// switch over 1 GB/s links with no latency, so a ring all-reduce of S bytes
// on 2 GPUs takes 2(n-1)/n x S / B = S / 1e9 s.
#include <gtest/gtest.h>

#include "sim/compute_model.h"
#include "sim/simulator.h"
#include "tests/sim/sim_test_clusters.h"

namespace paralab::sim {
namespace {

using testing::switch_cluster;
using testing::SwitchClusterSpec;

Cluster two_gpus(double share) {
  SwitchClusterSpec s;
  s.intra_bw = 1e9;
  s.intra_lat = 0;
  s.collective_compute_share = share;
  return switch_cluster(s);
}

// A GEMM of `flops` on GPU 0 (stream 0) and an all-reduce of `bytes` over
// both GPUs (stream 1), both ready at t = 0.
TimeNs makespan(double share, double flops, double bytes, CollectiveMode mode) {
  TaskGraph g;
  g.add_compute(0, 0, ComputeKind::kGemm, flops, 0);
  g.add_collective(CollectiveKind::kAllReduce, g.add_group({0, 1}), 1, bytes);
  SimOptions o;
  o.collectives = mode;
  return simulate(two_gpus(share), g, o).makespan_ns;
}

TEST(CollectiveContention, ComputeBesideACollectiveLosesTheShareForTheOverlap) {
  for (CollectiveMode mode : {CollectiveMode::kAnalytic, CollectiveMode::kFlow}) {
    // GEMM 1e12 FLOPs = 10 ms alone; all-reduce 4e6 bytes = 4 ms. Share
    // 0.25: 4 ms at 0.75 does 3 ms of the GEMM, the other 7 ms follow at
    // full speed: 11 ms = 10 ms + 0.25 x 4 ms.
    EXPECT_EQ(makespan(0.25, 1e12, 4e6, mode), 11'000'000) << collective_mode_name(mode);
    // No share: the two overlap for free.
    EXPECT_EQ(makespan(0.0, 1e12, 4e6, mode), 10'000'000) << collective_mode_name(mode);
    // GEMM 3 ms at 0.75 ends with the 4 ms all-reduce: 3 / 0.75 = 4 ms.
    EXPECT_EQ(makespan(0.25, 3e11, 4e6, mode), 4'000'000) << collective_mode_name(mode);
  }
}

TEST(CollectiveContention, SharesOfConcurrentCollectivesAddUp) {
  // Two 4 ms all-reduces on streams 1 and 2 beside a 10 ms GEMM, share 0.2
  // each: 4 ms at 0.6 does 2.4 ms, the other 7.6 ms at full speed: 11.6 ms.
  TaskGraph g;
  g.add_compute(0, 0, ComputeKind::kGemm, 1e12, 0);
  int grp = g.add_group({0, 1});
  g.add_collective(CollectiveKind::kAllReduce, grp, 1, 4e6);
  g.add_collective(CollectiveKind::kAllReduce, grp, 2, 4e6);
  SimOptions o;
  o.collectives = CollectiveMode::kAnalytic;
  // Both all-reduces share the links in flow mode; analytic, each takes 4 ms.
  EXPECT_EQ(simulate(two_gpus(0.2), g, o).makespan_ns, 11'600'000);
}

TEST(CollectiveContention, PlannersClosedFormIsWhatTheModelGives) {
  // beside_collective_ns against the hand-derived cases above, and a
  // launch overhead that the collective does not slow: launch 1 ms, work
  // 10 ms, collective 5 ms, share 0.5: the work runs at 0.5 from 1 to 5 ms
  // (2 ms done), then 8 ms at full speed: 13 ms = 1 + 10 + 0.5 x 4.
  EXPECT_EQ(ComputeModel::beside_collective_ns(4'000'000, {10'000'000, 0}, 0.25), 11'000'000);
  EXPECT_EQ(ComputeModel::beside_collective_ns(4'000'000, {3'000'000, 0}, 0.25), 4'000'000);
  EXPECT_EQ(ComputeModel::beside_collective_ns(4'000'000, {10'000'000, 0}, 0.0), 10'000'000);
  EXPECT_EQ(ComputeModel::beside_collective_ns(5'000'000, {10'000'000, 1'000'000}, 0.5), 13'000'000);
  // A collective shorter than the launch costs nothing.
  EXPECT_EQ(ComputeModel::beside_collective_ns(500'000, {10'000'000, 1'000'000}, 0.5), 11'000'000);
}

}  // namespace
}  // namespace paralab::sim
