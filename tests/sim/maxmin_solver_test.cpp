// Max-min fair rates derived by hand (progressive filling) in the comments.
#include "sim/maxmin_solver.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace paralab::sim
