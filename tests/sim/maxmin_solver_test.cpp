// Max-min fair rates derived by hand (progressive filling) in the comments.
#include "sim/maxmin_solver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <string>

namespace paralab::sim {
namespace {

TEST(MaxMinSolver, OneFlowGetsTheBottleneck) {
  // One flow over resources of 10 and 4: it rises until the 4 saturates.
  MaxMinSolver s;
  int a = s.add_resource(10), b = s.add_resource(4);
  std::vector<int> changed;
  int f = s.add_flow(std::vector<int>{a, b});
  s.solve(&changed);
  EXPECT_DOUBLE_EQ(s.rate(f), 4);
  EXPECT_EQ(changed, std::vector<int>{f});
}

TEST(MaxMinSolver, TwoFlowsHalveALinkAndOneHandsItBack) {
  // Two flows on one link of 10: 5 each. Remove one: the other gets 10.
  MaxMinSolver s;
  int l = s.add_resource(10);
  std::vector<int> changed;
  int f1 = s.add_flow(std::vector<int>{l});
  int f2 = s.add_flow(std::vector<int>{l});
  s.solve(&changed);
  EXPECT_DOUBLE_EQ(s.rate(f1), 5);
  EXPECT_DOUBLE_EQ(s.rate(f2), 5);
  EXPECT_DOUBLE_EQ(s.load(l), 10);
  s.remove_flow(f1);
  changed.clear();
  s.solve(&changed);
  EXPECT_DOUBLE_EQ(s.rate(f2), 10);
  EXPECT_EQ(changed, std::vector<int>{f2});
}

TEST(MaxMinSolver, ThreeLinkCaseByHand) {
  // Links A=12, B=10, C=4. Flows f1:{A}, f2:{A,B}, f3:{B,C}, f4:{C}.
  // Progressive filling, shares = remaining / unfrozen flows:
  //   A: 12/2 = 6, B: 10/2 = 5, C: 4/2 = 2 -> C saturates first: f3 = f4 = 2.
  //   B now has 10-2 = 8 for f2 alone (share 8); A still 12/2 = 6 -> A
  //   saturates: f1 = f2 = 6. B carries 6+2 = 8 < 10 (not a bottleneck).
  MaxMinSolver s;
  int A = s.add_resource(12), B = s.add_resource(10), C = s.add_resource(4);
  int f1 = s.add_flow(std::vector<int>{A});
  int f2 = s.add_flow(std::vector<int>{A, B});
  int f3 = s.add_flow(std::vector<int>{B, C});
  int f4 = s.add_flow(std::vector<int>{C});
  std::vector<int> changed;
  s.solve(&changed);
  EXPECT_DOUBLE_EQ(s.rate(f1), 6);
  EXPECT_DOUBLE_EQ(s.rate(f2), 6);
  EXPECT_DOUBLE_EQ(s.rate(f3), 2);
  EXPECT_DOUBLE_EQ(s.rate(f4), 2);
  EXPECT_DOUBLE_EQ(s.load(B), 8);
  // Remove f4: C's 4 goes to f3 alone, but B (10) then binds f2 and f3:
  //   A: 12/2 = 6, B: 10/2 = 5, C: 4/1 = 4 -> C first: f3 = 4; B: 6 left for
  //   f2; A: 6 each -> f1 = f2 = 6 (B: 6 + 4 = 10, saturated too).
  s.remove_flow(f4);
  changed.clear();
  s.solve(&changed);
  EXPECT_DOUBLE_EQ(s.rate(f3), 4);
  EXPECT_DOUBLE_EQ(s.rate(f1), 6);
  EXPECT_DOUBLE_EQ(s.rate(f2), 6);
  EXPECT_EQ(changed, std::vector<int>{f3});  // only f3 changed
}

TEST(MaxMinSolver, IncrementalMatchesFromScratch) {
  // A chain of links where each change cascades; the incremental solve must
  // agree with a fresh solver on the same flows.
  std::vector<double> caps = {7, 3, 9, 4, 6};
  std::vector<std::vector<int>> flows = {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {0}, {2}, {4}, {0, 2, 4}};
  MaxMinSolver inc;
  for (double c : caps) inc.add_resource(c);
  std::vector<int> ids, changed;
  for (auto& f : flows) {
    ids.push_back(inc.add_flow(f));
    inc.solve(&changed);
  }
  inc.remove_flow(ids[1]);
  inc.remove_flow(ids[5]);
  inc.solve(&changed);
  MaxMinSolver fresh;
  for (double c : caps) fresh.add_resource(c);
  std::vector<int> fids;
  for (size_t i = 0; i < flows.size(); ++i)
    if (i != 1 && i != 5) fids.push_back(fresh.add_flow(flows[i]));
  fresh.solve(&changed);
  size_t k = 0;
  for (size_t i = 0; i < flows.size(); ++i) {
    if (i == 1 || i == 5) continue;
    EXPECT_NEAR(inc.rate(ids[i]), fresh.rate(fids[k]), 1e-12) << "flow " << i;
    ++k;
  }
  for (int r = 0; r < 5; ++r) EXPECT_LE(inc.load(r), caps[r] * (1 + 1e-12));
}


// Textbook progressive filling from scratch (Bertsekas & Gallager §6.5.2),
// O(flows x resources) per level: the reference the incremental solver must
// agree with.
std::vector<double> reference_max_min(const std::vector<double>& caps, const std::vector<std::vector<int>>& flows) {
  std::vector<double> rate(flows.size(), 0), rem = caps;
  std::vector<bool> frozen(flows.size(), false);
  for (;;) {
    int best = -1;
    double best_share = 0;
    for (size_t r = 0; r < caps.size(); ++r) {
      int n = 0;
      for (size_t f = 0; f < flows.size(); ++f)
        if (!frozen[f] && std::find(flows[f].begin(), flows[f].end(), int(r)) != flows[f].end()) ++n;
      if (n == 0) continue;
      double share = std::max(rem[r], 0.0) / n;
      if (best < 0 || share < best_share) {
        best = int(r);
        best_share = share;
      }
    }
    if (best < 0) return rate;
    for (size_t f = 0; f < flows.size(); ++f)
      if (!frozen[f] && std::find(flows[f].begin(), flows[f].end(), best) != flows[f].end()) {
        frozen[f] = true;
        rate[f] = best_share;
        for (int q : flows[f]) rem[q] -= best_share;
      }
  }
}

// Random batches of adds and removes (up to max_live flows); after every
// batch the incremental rates must equal the reference's, every change the
// solver does not report must leave the rate where it was, and the loads
// must be the sums of the rates.
void check_random_batches(MaxMinSolver& s, const std::vector<double>& caps, std::mt19937& rng,
                          const std::function<std::vector<int>()>& random_path, int steps = 600,
                          size_t max_live = 120) {
  std::vector<std::vector<int>> paths;  // by solver id; empty when not live
  std::vector<int> live, changed;
  for (int step = 0; step < steps; ++step) {
    int changes = 1 + int(rng() % 3);
    for (int c = 0; c < changes; ++c) {
      if (!live.empty() && (live.size() >= max_live || rng() % 2 == 0)) {
        size_t k = rng() % live.size();
        s.remove_flow(live[k]);
        paths[live[k]].clear();
        live.erase(live.begin() + long(k));
      } else {
        std::vector<int> p = random_path();
        int f = s.add_flow(p);
        if (size_t(f) >= paths.size()) paths.resize(f + 1);
        paths[f] = p;
        live.push_back(f);
      }
    }
    std::vector<double> before(paths.size(), -1);
    for (int f : live) before[f] = s.rate(f);
    changed.clear();
    s.solve(&changed);
    std::vector<std::vector<int>> flows;
    for (int f : live) flows.push_back(paths[f]);
    std::vector<double> want = reference_max_min(caps, flows);
    for (size_t i = 0; i < live.size(); ++i) {
      int f = live[i];
      ASSERT_NEAR(s.rate(f), want[i], 1e-9 * std::max(1.0, want[i])) << "step " << step << " flow " << f;
      if (std::find(changed.begin(), changed.end(), f) == changed.end()) {
        ASSERT_EQ(s.rate(f), before[f]) << "step " << step << ": flow " << f << " changed unreported";
      }
    }
    for (size_t r = 0; r < caps.size(); ++r) {
      double load = 0;
      for (int f : live)
        if (std::find(paths[f].begin(), paths[f].end(), int(r)) != paths[f].end()) load += s.rate(f);
      ASSERT_NEAR(s.load(int(r)), load, 1e-9 * caps[r]) << "step " << step << " resource " << r;
      ASSERT_LE(load, caps[r] * (1 + 1e-9));
    }
  }
}

// Parameter: the fill's scan limit (0 = the heap always).
class MaxMinRandom : public testing::TestWithParam<size_t> {};

TEST_P(MaxMinRandom, AddsAndRemovesMatchTheReference) {
  // 40 resources of random capacity; flows over 1-5 random resources.
  std::mt19937 rng(7);
  std::vector<double> caps;
  MaxMinSolver s(GetParam());
  for (int r = 0; r < 40; ++r) {
    caps.push_back(double(1 + rng() % 20));
    s.add_resource(caps.back());
  }
  check_random_batches(s, caps, rng, [&] {
    std::vector<int> p;
    int len = 1 + int(rng() % 5);
    while (int(p.size()) < len) {
      int r = int(rng() % 40);
      if (std::find(p.begin(), p.end(), r) == p.end()) p.push_back(r);
    }
    return p;
  });
}

TEST_P(MaxMinRandom, TreeTrafficMatchesTheReference) {
  // A two-level tree: 16 hosts (uplink and downlink of capacity 10) under 4
  // leaves (uplink and downlink of random capacity 10-40); flows between
  // random hosts. Many flows share each bottleneck, so whole classes freeze,
  // split and merge.
  std::mt19937 rng(11);
  std::vector<double> caps;
  MaxMinSolver s(GetParam());
  for (int h = 0; h < 16; ++h)
    for (int dir = 0; dir < 2; ++dir) caps.push_back(10);  // host h: 2h up, 2h+1 down
  for (int l = 0; l < 4; ++l)
    for (int dir = 0; dir < 2; ++dir) caps.push_back(double(10 + rng() % 31));  // leaf l: 32+2l up
  for (double c : caps) s.add_resource(c);
  check_random_batches(s, caps, rng, [&] {
    const int a = int(rng() % 16);
    int b = int(rng() % 15);
    if (b >= a) ++b;
    std::vector<int> p = {2 * a, 2 * b + 1};
    if (a / 4 != b / 4) {
      p.push_back(32 + 2 * (a / 4));
      p.push_back(32 + 2 * (b / 4) + 1);
    }
    return p;
  });
}

TEST_P(MaxMinRandom, ManySmallNetworksMatchTheReference) {
  // 150 small random networks (6-35 resources, some with capacities of only
  // 1-3 so that levels tie often, 5-64 live flows): the corner cases of
  // splitting classes and of guesses that must be redone.
  for (int seed = 0; seed < 150; ++seed) {
    std::mt19937 rng(seed);
    const int resources = 6 + int(rng() % 30);
    const size_t max_live = 5 + rng() % 60;
    const unsigned cap_range = seed % 3 ? 20 : 3;
    std::vector<double> caps;
    MaxMinSolver s(GetParam());
    for (int r = 0; r < resources; ++r) {
      caps.push_back(double(1 + rng() % cap_range));
      s.add_resource(caps.back());
    }
    SCOPED_TRACE("seed " + std::to_string(seed));
    check_random_batches(
        s, caps, rng,
        [&] {
          std::vector<int> p;
          const int len = 1 + int(rng() % std::min(5, resources));
          while (int(p.size()) < len) {
            int r = int(rng() % resources);
            if (std::find(p.begin(), p.end(), r) == p.end()) p.push_back(r);
          }
          return p;
        },
        200, max_live);
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(ScanAndHeap, MaxMinRandom, testing::Values(size_t(256), size_t(0)));

}  // namespace
}  // namespace paralab::sim
