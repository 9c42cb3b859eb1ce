#include <gtest/gtest.h>

#include "sim/simulator.h"
#include "tests/sim/sim_test_clusters.h"

namespace paralab::sim {
namespace {

using testing::switch_cluster;
using testing::SwitchClusterSpec;

TEST(Memory, PeakPerTierFromAllocAndFree) {
  // gpu0: +3e9, +2e9 (5e9 live), -3e9, +1e9 (3e9 live): peak 5e9.
  // node0 pinned: +7e9: peak 7e9.
  Cluster c = switch_cluster({});
  TaskGraph g;
  Place d0{TierKind::kDevice, 0};
  g.add_alloc(0, 0, d0, 3e9);
  g.add_alloc(0, 0, d0, 2e9);
  g.add_free(0, 0, d0, 3e9);
  g.add_alloc(0, 0, d0, 1e9);
  g.add_alloc(0, 0, {TierKind::kPinnedHost, 0}, 7e9);
  SimResult r = simulate(c, g);
  EXPECT_EQ(r.record.status, "ok");
  double dev0 = -1, pinned = -1;
  for (const auto& p : r.record.peak_memory) {
    if (p.scope == "device0" && p.tier == "device") dev0 = p.peak_bytes;
    if (p.scope == "node0" && p.tier == "pinned") pinned = p.peak_bytes;
  }
  EXPECT_DOUBLE_EQ(dev0, 5e9);
  EXPECT_DOUBLE_EQ(pinned, 7e9);
}

TEST(Memory, OomEndsTheRunNamingDeviceTierOpAndTime) {
  // gpu1 has 1e9 bytes. A 1 ms compute, then 6e8 allocated twice: the second
  // allocation, at t = 1 ms, exceeds the capacity.
  SwitchClusterSpec s;
  s.mem_bytes = 1e9;
  Cluster c = switch_cluster(s);
  TaskGraph g;
  Place d1{TierKind::kDevice, 1};
  g.add_compute(1, 0, ComputeKind::kGemm, 1e11, 0);
  g.add_alloc(1, 0, d1, 6e8, g.intern_label("activations mb0"));
  g.add_alloc(1, 0, d1, 6e8, g.intern_label("activations mb1"));
  g.add_compute(1, 0, ComputeKind::kGemm, 1e11, 0);
  SimResult r = simulate(c, g);
  EXPECT_EQ(r.record.status, "oom");
  EXPECT_EQ(r.record.message,
            "out of memory on device1 tier device: op 2 (activations mb1) allocates 600000000 bytes at t=1000000 ns "
            "with 600000000 bytes live of 1000000000 bytes capacity");
  EXPECT_EQ(r.makespan_ns, 1'000'000);
  EXPECT_EQ(r.ops_done, 2u);
}

}  // namespace
}  // namespace paralab::sim
