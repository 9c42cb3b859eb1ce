// Chrome trace output: well-formed trace events, and byte-identical across runs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/simulator.h"
#include "tests/sim/sim_test_clusters.h"

namespace paralab::sim {
namespace {

using testing::switch_cluster;
using testing::SwitchClusterSpec;

TaskGraph mixed_graph() {
  TaskGraph g;
  int l = g.intern_label("fwd");
  int a = g.add_alloc(0, 0, {TierKind::kDevice, 0}, 1e9);
  int c0 = g.add_compute(0, 0, ComputeKind::kGemm, 1e11, 1e8, DType::kBf16, l);
  int c1 = g.add_compute(1, 0, ComputeKind::kAttention, 5e10, 1e8, DType::kBf16, l);
  int ar = g.add_collective(CollectiveKind::kAllReduce, g.add_group({0, 1, 2, 3}), 1, 4e8, CollectiveAlgo::kRing);
  int t = g.add_transfer(2, 2, {TierKind::kSsd, 0}, {TierKind::kDevice, 2}, 2e8);
  int t2 = g.add_transfer(3, 2, {TierKind::kDevice, 3}, {TierKind::kPageableHost, 0}, 2e8);
  g.add_dep(a, c0);
  g.add_dep(c0, ar);
  g.add_dep(c1, ar);
  g.add_dep(ar, t2);
  g.add_free(0, 0, {TierKind::kDevice, 0}, 1e9);
  (void)t;
  return g;
}

TEST(Trace, TwoRunsGiveIdenticalBytes) {
  SwitchClusterSpec s;
  s.gpus = 4;
  s.launch_s = 5e-6;
  Cluster c = switch_cluster(s);
  TaskGraph g = mixed_graph();
  SimOptions o;
  o.trace = true;
  SimResult a = simulate(c, g, o), b = simulate(c, g, o);
  ASSERT_FALSE(a.trace_json.empty());
  EXPECT_EQ(a.trace_json, b.trace_json);
  EXPECT_EQ(a.record.to_json().dump(), b.record.to_json().dump());
}

TEST(Trace, EventsFollowTheTraceEventFormat) {
  SwitchClusterSpec s;
  s.gpus = 4;
  Cluster c = switch_cluster(s);
  SimOptions o;
  o.trace = true;
  SimResult r = simulate(c, mixed_graph(), o);
  nlohmann::json j = nlohmann::json::parse(r.trace_json);
  ASSERT_TRUE(j["traceEvents"].is_array());
  int slices = 0, counters = 0, collective_slices = 0;
  for (const auto& e : j["traceEvents"]) {
    ASSERT_TRUE(e.contains("ph") && e.contains("ts") && e.contains("pid") && e.contains("tid")) << e.dump();
    if (e["ph"] == "X") {
      ++slices;
      ASSERT_TRUE(e.contains("dur"));
      EXPECT_GE(e["dur"].get<double>(), 0);
      if (e["name"] == "all_reduce") ++collective_slices;
    }
    if (e["ph"] == "C") ++counters;
  }
  // 7 ops, the all-reduce drawn once on each of its 4 devices: 10 slices.
  EXPECT_EQ(slices, 10);
  EXPECT_EQ(collective_slices, 4);
  EXPECT_GT(counters, 0);  // link loads and memory
}

}  // namespace
}  // namespace paralab::sim
