// Compute ops and streams. Test devices: 100 TFLOP/s bf16, 1 TB/s, efficiency 1.
#include <gtest/gtest.h>

#include "sim/simulator.h"
#include "tests/sim/sim_test_clusters.h"

namespace paralab::sim {
namespace {

using testing::switch_cluster;
using testing::SwitchClusterSpec;

Cluster launch_cluster() {
  SwitchClusterSpec s;
  s.launch_s = 10e-6;
  return switch_cluster(s);
}

TEST(Streams, RooflineTakesTheSlowerOfFlopsAndBytes) {
  // 1e11 FLOPs / 100e12 = 1 ms; 5e9 bytes / 1e12 = 5 ms -> memory bound, 5 ms + 10 us.
  Cluster c = launch_cluster();
  TaskGraph g;
  g.add_compute(0, 0, ComputeKind::kElementwise, 1e11, 5e9);
  EXPECT_EQ(simulate(c, g).makespan_ns, 5'010'000);
}

TEST(Streams, OneStreamSerializes) {
  // Two 1 ms ops (1e11 FLOPs each) on one stream: 2 x (1 ms + 10 us) = 2.02 ms.
  Cluster c = launch_cluster();
  TaskGraph g;
  g.add_compute(0, 0, ComputeKind::kGemm, 1e11, 0);
  g.add_compute(0, 0, ComputeKind::kGemm, 1e11, 0);
  SimResult r = simulate(c, g);
  EXPECT_EQ(r.makespan_ns, 2'020'000);
  EXPECT_DOUBLE_EQ(r.record.device_utilization[0], 1.0);
  EXPECT_DOUBLE_EQ(r.record.device_utilization[1], 0.0);
}

TEST(Streams, TwoStreamsOverlapAndShareTheDevice) {
  // Same ops on streams 0 and 1: launches overlap (10 us), then both share
  // the device at half speed: 10 us + 2 ms = 2.01 ms, both ending together.
  Cluster c = launch_cluster();
  TaskGraph g;
  g.add_compute(0, 0, ComputeKind::kGemm, 1e11, 0);
  g.add_compute(0, 1, ComputeKind::kGemm, 1e11, 0);
  EXPECT_EQ(simulate(c, g).makespan_ns, 2'010'000);
}

TEST(Streams, ComputeOverlapsATransferOnAnotherStream) {
  // 1 ms + 10 us compute on stream 0 and a 1e9 B gpu0 -> gpu1 copy on stream 1
  // (2 us + 10 ms): makespan is the copy's 10.002 ms, not the sum.
  Cluster c = launch_cluster();
  TaskGraph g;
  g.add_compute(0, 0, ComputeKind::kGemm, 1e11, 0);
  g.add_transfer(0, 1, {TierKind::kDevice, 0}, {TierKind::kDevice, 1}, 1e9);
  SimResult r = simulate(c, g);
  EXPECT_EQ(r.makespan_ns, 10'002'000);
  // gpu0 ran a kernel for 1.01 ms of 10.002 ms.
  EXPECT_NEAR(r.record.device_utilization[0], 1.01 / 10.002, 1e-12);
}

TEST(Streams, DependenciesAcrossDevices) {
  // gpu0 op (1 ms) then gpu1 op (1 ms) that depends on it: 2 ms, no launch.
  Cluster c = switch_cluster({});
  TaskGraph g;
  int a = g.add_compute(0, 0, ComputeKind::kGemm, 1e11, 0);
  int b = g.add_compute(1, 0, ComputeKind::kGemm, 1e11, 0);
  g.add_dep(a, b);
  EXPECT_EQ(simulate(c, g).makespan_ns, 2'000'000);
}

TEST(Streams, StragglerSlowdownFromOptionsAndSpec) {
  // slowdown 3 on gpu0: a 1 ms op takes 3 ms; set in the spec it does too.
  Cluster c = switch_cluster({});
  TaskGraph g;
  g.add_compute(0, 0, ComputeKind::kGemm, 1e11, 0);
  SimOptions o;
  o.slowdown = {3.0, 0.0};
  EXPECT_EQ(simulate(c, g, o).makespan_ns, 3'000'000);
  c.set_slowdown(0, 3.0);
  EXPECT_EQ(simulate(c, g).makespan_ns, 3'000'000);
}

TEST(Streams, UnknownDtypeFallsBackToFp32Peak) {
  // int4 is not in the spec: fp32 peak 25 TFLOP/s -> 1e11 FLOPs take 4 ms.
  Cluster c = switch_cluster({});
  TaskGraph g;
  g.add_compute(0, 0, ComputeKind::kGemm, 1e11, 0, DType::kInt4);
  EXPECT_EQ(simulate(c, g).makespan_ns, 4'000'000);
}

}  // namespace
}  // namespace paralab::sim
