// Collectives against closed forms (Thakur, Rabenseifner & Gropp 2005;
// nccl-tests PERFORMANCE.md), on the switch_cluster of sim_test_clusters.h.
#include "sim/collectives.h"

#include <gtest/gtest.h>

#include <numeric>

#include "sim/simulator.h"
#include "tests/sim/sim_test_clusters.h"

namespace paralab::sim {
namespace {

using testing::switch_cluster;
using testing::SwitchClusterSpec;

double run_collective_s(const Cluster& c, CollectiveKind kind, std::vector<int> ranks, double bytes,
                        CollectiveAlgo algo, CollectiveMode mode) {
  TaskGraph g;
  g.add_collective(kind, g.add_group(ranks), 0, bytes, algo);
  SimOptions o;
  o.collectives = mode;
  SimResult r = simulate(c, g, o);
  EXPECT_EQ(r.record.status, "ok");
  return ns_to_seconds(r.makespan_ns);
}

TEST(Collectives, RingAllReduceMatchesAlphaBeta) {
  // n = 8 GPUs on one switch: neighbour route = 2 hops of 100 GB/s, 1 us each
  // -> alpha = 2 us, B = 100 GB/s. S = 1 GiB:
  // T = 2(n-1) alpha + 2(n-1)/n S/B = 14 * 2 us + 1.75 * 1073741824 / 1e11 s
  //   = 28 us + 18.790 ms = 18.818 ms.
  SwitchClusterSpec s;
  s.gpus = 8;
  Cluster c = switch_cluster(s);
  const double S = 1024.0 * 1024 * 1024, expected = 14 * 2e-6 + 1.75 * S / 100e9;
  std::vector<int> ranks(8);
  std::iota(ranks.begin(), ranks.end(), 0);
  double flow = run_collective_s(c, CollectiveKind::kAllReduce, ranks, S, CollectiveAlgo::kRing, CollectiveMode::kFlow);
  EXPECT_NEAR(flow, expected, 0.01 * expected);
  double analytic =
      run_collective_s(c, CollectiveKind::kAllReduce, ranks, S, CollectiveAlgo::kRing, CollectiveMode::kAnalytic);
  EXPECT_NEAR(analytic, expected, 1e-6 * expected);
}

TEST(Collectives, CoarsenedRingMergesStepsAndKeepsTheBandwidthTerm) {
  // The ring all-reduce above (n = 8, alpha = 2 us, B = 100 GB/s, S = 1 GiB,
  // 2(n-1) = 14 steps of S/8) with max_ring_steps m: q = ceil(14 / m) steps
  // per flow, ceil(14 / q) rounds of n concurrent flows on disjoint links;
  // a merged flow pays the latencies of the q steps it stands for, so the
  // uncontended ring takes what the exact one does, 14 alpha + 1.75 S/B:
  //  m = 2: q = 7, 2 rounds of 7S/8, 16 flows;
  //  m = 4: q = 4, rounds of 4, 4, 4, 2, 32 flows.
  SwitchClusterSpec s;
  s.gpus = 8;
  Cluster c = switch_cluster(s);
  const double S = 1024.0 * 1024 * 1024;
  std::vector<int> ranks(8);
  std::iota(ranks.begin(), ranks.end(), 0);
  for (auto [m, rounds] : {std::pair{2, 2}, std::pair{4, 4}}) {
    TaskGraph g;
    g.add_collective(CollectiveKind::kAllReduce, g.add_group(ranks), 0, S, CollectiveAlgo::kRing);
    SimOptions o;
    o.max_ring_steps = m;
    SimResult r = simulate(c, g, o);
    ASSERT_EQ(r.record.status, "ok");
    const double expected = 14 * 2e-6 + 1.75 * S / 100e9;
    EXPECT_NEAR(ns_to_seconds(r.makespan_ns), expected, 1e-6 * expected) << "max_ring_steps " << m;
    EXPECT_EQ(r.flows, uint64_t(8 * rounds)) << "max_ring_steps " << m;
  }
}

TEST(Collectives, RingAllGatherAndReduceScatter) {
  // n = 4: T = (n-1) alpha + (n-1)/n S/B = 3 * 2 us + 0.75 * 4e9 / 1e11 = 30.006 ms.
  SwitchClusterSpec s;
  s.gpus = 4;
  Cluster c = switch_cluster(s);
  for (auto kind : {CollectiveKind::kAllGather, CollectiveKind::kReduceScatter}) {
    double t = run_collective_s(c, kind, {0, 1, 2, 3}, 4e9, CollectiveAlgo::kRing, CollectiveMode::kFlow);
    EXPECT_NEAR(t, 30.006e-3, 0.01 * 30.006e-3);
  }
}

TEST(Collectives, HierarchicalAllReduceMatchesItsClosedForm) {
  // 2 nodes x 4 GPUs. Intra: alpha1 = 2 x 1 us, B1 = 100 GB/s. Inter (one NIC
  // per GPU, 4 hops of 10 GB/s and 5 us): alpha2 = 20 us, B2 = 10 GB/s.
  // S = 1e9, n1 = 4, n2 = 2, 4 pipelined chunks:
  //   node phases (RS + AG) W_node = 2(n1-1)/n1 S/B1 = 15 ms
  //   network phase (AR on S/n1) W_net = 2(n2-1)/n2 (S/n1)/B2 = 25 ms
  //   latencies 2(n1-1) alpha1 + 2(n2-1) alpha2 = 12 us + 40 us
  //   pipelined: W_net + W_node/4 + latencies = 28.802 ms
  //   (one phase after another it would be 40.052 ms). The flow engine pays
  //   each chunk's network latency in turn (4 x 40 us instead of 40 us):
  //   within 1%.
  SwitchClusterSpec s;
  s.nodes = 2;
  s.gpus = 4;
  s.inter_lat = 5e-6;
  Cluster c = switch_cluster(s);
  std::vector<int> ranks = {0, 1, 2, 3, 4, 5, 6, 7};
  const double expected = 28.802e-3;
  double flow = run_collective_s(c, CollectiveKind::kAllReduce, ranks, 1e9, CollectiveAlgo::kHierarchical,
                                 CollectiveMode::kFlow);
  EXPECT_NEAR(flow, expected, 0.01 * expected);
  EXPECT_LT(flow, 40.052e-3 * 0.75);
  double analytic = run_collective_s(c, CollectiveKind::kAllReduce, ranks, 1e9, CollectiveAlgo::kAuto,
                                     CollectiveMode::kAnalytic);
  EXPECT_NEAR(analytic, expected, 1e-6 * expected);
}

TEST(Collectives, SendRecvAndBroadcast) {
  // send/recv 1e9 B gpu0 -> gpu1: 2 us + 10 ms.
  SwitchClusterSpec s;
  s.gpus = 4;
  Cluster c = switch_cluster(s);
  EXPECT_NEAR(run_collective_s(c, CollectiveKind::kSendRecv, {0, 1}, 1e9, CollectiveAlgo::kAuto, CollectiveMode::kFlow),
              10.002e-3, 1e-9);
  // Pipelined chain broadcast, 4 chunks, n = 4: the last chunk leaves the root
  // after 4 chunk times and needs n-2 more hops: (4 + 2) x (2 us + 2.5 ms)
  // = 15.012 ms; the (n-1) alpha + S/B bound of the analytic mode is 10.006 ms.
  EXPECT_NEAR(run_collective_s(c, CollectiveKind::kBroadcast, {0, 1, 2, 3}, 1e9, CollectiveAlgo::kRing,
                               CollectiveMode::kFlow),
              15.012e-3, 1e-7);
  EXPECT_NEAR(run_collective_s(c, CollectiveKind::kBroadcast, {0, 1, 2, 3}, 1e9, CollectiveAlgo::kRing,
                               CollectiveMode::kAnalytic),
              10.006e-3, 1e-9);
}

TEST(Collectives, AllToAllSharesEachUplink) {
  // n = 4, S = 4e9: each rank sends 1e9 to each of 3 peers at once; its
  // uplink (100 GB/s) carries 3e9 -> 30 ms + 2 us latency.
  SwitchClusterSpec s;
  s.gpus = 4;
  Cluster c = switch_cluster(s);
  EXPECT_NEAR(
      run_collective_s(c, CollectiveKind::kAllToAll, {0, 1, 2, 3}, 4e9, CollectiveAlgo::kAuto, CollectiveMode::kFlow),
      30.002e-3, 1e-8);
}

TEST(Collectives, DoubleBinaryTreeIsNearTwoSOverB) {
  // Double binary tree all-reduce, n = 8, S = 1e9: an interior rank moves
  // about 2S each way, so T is close to 2 S / B = 20 ms (plus pipeline fill);
  // it must not beat the lower bound 2(n-1)/n S/B = 17.5 ms.
  SwitchClusterSpec s;
  s.gpus = 8;
  Cluster c = switch_cluster(s);
  double t = run_collective_s(c, CollectiveKind::kAllReduce, {0, 1, 2, 3, 4, 5, 6, 7}, 1e9, CollectiveAlgo::kTree,
                              CollectiveMode::kFlow);
  EXPECT_GE(t, 17.5e-3);
  EXPECT_LE(t, 30e-3);
}

TEST(Collectives, BusBandwidthFactorsFollowNcclTests) {
  EXPECT_DOUBLE_EQ(busbw_factor(CollectiveKind::kAllReduce, 8), 2.0 * 7 / 8);
  EXPECT_DOUBLE_EQ(busbw_factor(CollectiveKind::kAllGather, 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(busbw_factor(CollectiveKind::kReduceScatter, 4), 3.0 / 4);
  EXPECT_DOUBLE_EQ(busbw_factor(CollectiveKind::kAllToAll, 4), 3.0 / 4);
  EXPECT_DOUBLE_EQ(busbw_factor(CollectiveKind::kBroadcast, 4), 1.0);
}

TEST(Collectives, RecordReportsBusBandwidth) {
  // Ring all-reduce n = 8, S = 1 GiB, t ~ 18.818 ms: busbw = S/t * 1.75 ~ 99.85 GB/s,
  // just under the 100 GB/s link, as nccl-tests would show.
  SwitchClusterSpec s;
  s.gpus = 8;
  Cluster c = switch_cluster(s);
  TaskGraph g;
  g.add_collective(CollectiveKind::kAllReduce, g.add_group({0, 1, 2, 3, 4, 5, 6, 7}), 0, 1024.0 * 1024 * 1024,
                   CollectiveAlgo::kRing);
  SimResult r = simulate(c, g);
  double busbw = r.record.metrics["collectives"]["all_reduce"]["mean_busbw_bytes_per_s"].get<double>();
  const double S = 1024.0 * 1024 * 1024;
  EXPECT_NEAR(busbw, S / (14 * 2e-6 + 1.75 * S / 100e9) * 1.75, 1e9);
}

}  // namespace
}  // namespace paralab::sim
