// Chrome trace output: well-formed trace events, and byte-identical across runs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sstream>
#include <set>

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

TEST(Trace, StreamedTraceIsTheSameDocument) {
  SwitchClusterSpec s;
  s.gpus = 4;
  Cluster c = switch_cluster(s);
  SimOptions o;
  o.trace = true;
  SimResult in_memory = simulate(c, mixed_graph(), o);
  std::ostringstream out;
  o.trace_out = &out;
  SimResult streamed = simulate(c, mixed_graph(), o);
  EXPECT_TRUE(streamed.trace_ok);
  EXPECT_TRUE(streamed.trace_json.empty());  // it went to the stream
  EXPECT_EQ(out.str(), in_memory.trace_json);
}

// Observes every op's interval.
struct Intervals : OpObserver {
  std::vector<std::pair<TimeNs, TimeNs>> by_op = std::vector<std::pair<TimeNs, TimeNs>>(7, {-1, -1});
  void op_done(int op, TimeNs start, TimeNs end) override { by_op.at(op) = {start, end}; }
};

TEST(Trace, FilteredTraceDrawsOnlyTheChosenDevices) {
  SwitchClusterSpec s;
  s.gpus = 4;
  Cluster c = switch_cluster(s);
  SimOptions o;
  o.trace = true;
  o.trace_devices = {0, 0, 1, 0};  // device 2: its transfer from SSD and its part of the all-reduce
  o.trace_device_names = {"", "", "the chosen one"};
  o.trace_stream_names = {"compute", "collectives"};
  Intervals seen;
  o.observer = &seen;
  SimResult r = simulate(c, mixed_graph(), o);
  nlohmann::json j = nlohmann::json::parse(r.trace_json);
  std::set<int> slice_pids;
  std::set<std::string> names;
  int slices = 0;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] == "X") {
      ++slices;
      slice_pids.insert(e["pid"].get<int>());
    }
    if (e["ph"] == "M") names.insert(e["args"]["name"].get<std::string>());
  }
  EXPECT_EQ(slice_pids, std::set<int>{2});
  EXPECT_EQ(slices, 2);  // the all-reduce and the SSD transfer
  EXPECT_TRUE(names.count("the chosen one"));
  EXPECT_TRUE(names.count("collectives"));
  EXPECT_FALSE(names.count("device 0 (n0.gpu0)"));
  // The observer saw all 7 ops, whatever the filter, each with end >= start.
  for (auto [start, end] : seen.by_op) {
    EXPECT_GE(start, 0);
    EXPECT_GE(end, start);
  }
}

}  // namespace
}  // namespace paralab::sim
