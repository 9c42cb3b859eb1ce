// Transfers through the simulator: times derived by hand from the
// switch_cluster of sim_test_clusters.h (GPU-GPU inside a node: 2 hops).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "sim/simulator.h"
#include "tests/sim/sim_test_clusters.h"

namespace paralab::sim {
namespace {

using testing::switch_cluster;
using testing::SwitchClusterSpec;

Place dev(int d) { return {TierKind::kDevice, d}; }

TEST(Flows, OneFlowIsLatencyPlusBytesOverBandwidth) {
  // 1e9 bytes gpu0 -> gpu1 over two 100 GB/s links with 1 us latency each:
  // 2 us + 1e9 / 100e9 s = 2 us + 10 ms = 10,002,000 ns.
  Cluster c = switch_cluster({});
  TaskGraph g;
  g.add_transfer(0, 0, dev(0), dev(1), 1e9);
  SimResult r = simulate(c, g);
  EXPECT_EQ(r.record.status, "ok");
  EXPECT_EQ(r.makespan_ns, 10'002'000);
}

TEST(Flows, TwoFlowsShareAndTheEarlyOneHandsItsShareBack) {
  // gpu0 -> gpu1 (1e9 B) and gpu0 -> gpu2 (3e9 B) share gpu0's uplink
  // (100 GB/s, no latency): 50 GB/s each. The first ends at 1e9/50e9 = 20 ms;
  // the second has 2e9 left and gets 100 GB/s: 20 ms more -> 40 ms.
  SwitchClusterSpec s;
  s.gpus = 3;
  s.intra_lat = 0;
  Cluster c = switch_cluster(s);
  TaskGraph g;
  int a = g.add_transfer(0, 0, dev(0), dev(1), 1e9);
  int b = g.add_transfer(0, 1, dev(0), dev(2), 3e9);
  int after_a = g.add_compute(1, 0, ComputeKind::kOther, 0, 0);  // marks when a ended
  g.add_dep(a, after_a);
  (void)b;
  SimOptions o;
  o.trace = true;
  SimResult r = simulate(c, g, o);
  EXPECT_EQ(r.makespan_ns, 40'000'000);
  EXPECT_NE(r.trace_json.find("\"ts\":20000.000"), std::string::npos);  // after_a starts at 20 ms
  // gpu0's uplink carried 4e9 bytes in 40 ms at 100 GB/s: utilization 1.
  bool found = false;
  for (const auto& l : r.record.metrics["link_utilization"])
    if (l["name"] == "n0.gpu0->n0.sw") {
      found = true;
      EXPECT_NEAR(l["utilization"].get<double>(), 1.0, 1e-9);
      EXPECT_DOUBLE_EQ(l["bytes"].get<double>(), 4e9);
    }
  EXPECT_TRUE(found);
}

TEST(Flows, AFlowChangesBottleneckMidFlight) {
  // Four GPUs on one switch, 100 GB/s per link direction, no latency.
  //   A, A2: gpu0 -> gpu1, 1.275e9 B     B: gpu0 -> gpu2, 0.65e9 B
  //   C: gpu1 -> gpu2, 1.25e9 B          E, E2: gpu3 -> gpu2, 0.25e9 B
  // 0-10 ms: gpu2's downlink carries B, C, E, E2 and saturates first at
  //   25 GB/s each; gpu0's uplink gives the rest, 75, to A and A2: 37.5 each.
  //   E and E2 end at 0.25e9 / 25e9 = 10 ms.
  // 10-22 ms: gpu0's uplink (A, A2, B) now saturates first at 33.3 GB/s, so
  //   B leaves the downlink's class for the uplink's; C alone gets 66.7.
  //   B has 0.4e9 left: ends at 10 + 12 = 22 ms. C has moved 0.25e9 +
  //   0.8e9 by then.
  // 22-24 ms: C alone on the downlink at 100: 0.2e9 left -> 24 ms.
  //   A and A2 (0.375e9 + 0.4e9 moved) share gpu0's uplink at 50 each:
  //   0.5e9 left -> 22 + 10 = 32 ms.
  SwitchClusterSpec s;
  s.gpus = 4;
  s.intra_lat = 0;
  Cluster c = switch_cluster(s);
  TaskGraph g;
  struct Want {
    const char* name;
    int src, stream, dst;
    double bytes;
    double end_us;
  };
  const Want flows[] = {{"A", 0, 0, 1, 1.275e9, 32000}, {"A2", 0, 1, 1, 1.275e9, 32000},
                        {"B", 0, 2, 2, 0.65e9, 22000},  {"C", 1, 0, 2, 1.25e9, 24000},
                        {"E", 3, 0, 2, 0.25e9, 10000},  {"E2", 3, 1, 2, 0.25e9, 10000}};
  int marker_stream = 0;
  for (const Want& w : flows) {
    int x = g.add_transfer(w.src, w.stream, dev(w.src), dev(w.dst), w.bytes);
    int done = g.add_compute(2, 10 + marker_stream++, ComputeKind::kOther, 0, 0, DType::kBf16,
                             g.intern_label(std::string(w.name) + " done"));
    g.add_dep(x, done);
  }
  SimOptions o;
  o.trace = true;
  SimResult r = simulate(c, g, o);
  EXPECT_EQ(r.makespan_ns, 32'000'000);
  nlohmann::json trace = nlohmann::json::parse(r.trace_json);
  for (const Want& w : flows) {
    bool found = false;
    for (const auto& e : trace["traceEvents"])
      if (e["ph"] == "X" && e["name"] == std::string(w.name) + " done") {
        found = true;
        EXPECT_NEAR(e["ts"].get<double>(), w.end_us, 1e-3) << w.name;
      }
    EXPECT_TRUE(found) << w.name;
  }
}

TEST(Flows, DiskQueueDepthSerializesRequests) {
  // Two 1e9-byte SSD -> pinned reads at 1 GB/s read, 100 us per-request latency.
  // Queue depth 1: one after the other, 2 x (100 us + 1 s) = 2.0002 s.
  // Queue depth 2: both pay the latency together, then share 1 GB/s:
  // 100 us + 2 s = 2.0001 s.
  for (int qd : {1, 2}) {
    SwitchClusterSpec s;
    s.disk_lat = 100e-6;
    s.queue_depth = qd;
    Cluster c = switch_cluster(s);
    TaskGraph g;
    g.add_transfer(0, 0, {TierKind::kSsd, 0}, {TierKind::kPinnedHost, 0}, 1e9);
    g.add_transfer(0, 1, {TierKind::kSsd, 0}, {TierKind::kPinnedHost, 0}, 1e9);
    SimResult r = simulate(c, g);
    EXPECT_EQ(r.makespan_ns, qd == 1 ? 2'000'200'000 : 2'000'100'000) << "queue depth " << qd;
  }
}

TEST(Flows, PageableCopiesAreCappedByStaging) {
  // pageable host -> gpu0: route mem -> sw -> gpu0 (20 GB/s, 100 GB/s, no
  // latency on the mem link, 1 us on the gpu link), capped at the 5 GB/s
  // pageable staging rate: 1 us + 1e9 / 5e9 s = 200,001,000 ns.
  Cluster c = switch_cluster({});
  TaskGraph g;
  g.add_transfer(0, 0, {TierKind::kPageableHost, 0}, dev(0), 1e9);
  EXPECT_EQ(simulate(c, g).makespan_ns, 200'001'000);
}

}  // namespace
}  // namespace paralab::sim
