// The one op issue order (core/issue_order.h) and the one communicator plan
// (core/communicator_plan.h) that the simulator's contract and both real
// executors share. Expected orders are worked out by hand in the comments.
#include "core/issue_order.h"

#include <gtest/gtest.h>

#include "core/communicator_plan.h"
#include "core/error.h"

namespace paralab {
namespace {

// Stream order contradicts an order built from the dependency edges alone:
//   op0 compute dev0 s0
//   op1 send/recv {0,1} on s0, after op0 (edge) and op3 (edge)
//   op2 compute dev1 s0 — no edge, but after op1 on (dev1, s0)
//   op3 compute dev1 s1 (e.g. a buffer filled on another stream, later id)
// Kahn over edges only, smallest id first: ready {0,2,3} -> 0, 2, 3, 1:
// op2 would be issued before the receive that precedes it on its stream.
TaskGraph receive_then_compute() {
  TaskGraph g;
  int a = g.add_compute(0, 0, ComputeKind::kOther, 1e6, 1e3);
  int r = g.add_collective(CollectiveKind::kSendRecv, g.add_group({0, 1}), 0, 4096);
  g.add_compute(1, 0, ComputeKind::kOther, 1e6, 1e3);
  int f = g.add_compute(1, 1, ComputeKind::kOther, 1e6, 1e3);
  g.add_dep(a, r);
  g.add_dep(f, r);
  g.finalize();
  return g;
}

TEST(IssueOrder, StreamOrderWinsOverNaiveTopologicalOrder) {
  TaskGraph g = receive_then_compute();
  // With stream order: op1 needs {op0 (edge and dev0 s0), op3}; op2 needs op1.
  // Ready {0, 3} -> 0, 3, then 1, then 2.
  EXPECT_EQ(global_issue_order(g), (std::vector<int>{0, 3, 1, 2}));
  EXPECT_EQ(issue_order_violation(g, {0, 3, 1, 2}), "");
  EXPECT_EQ(issue_order_violation(g, {0, 2, 3, 1}),
            "op 2 issued before op 1, which precedes it on device 1 stream 0");
  EXPECT_EQ(issue_order_violation(g, {1, 0}), "op 1 issued before op 0, on which it depends");
}

TEST(IssueOrder, EachRankKeepsItsOpsInTheGlobalOrder) {
  TaskGraph g = receive_then_compute();
  // Rank 1 of 2 runs device 1: ops 1 (member), 2, 3; global order filtered.
  IssuePlan p = plan_issue(g, [](int d) { return d == 1; });
  EXPECT_EQ(p.order, (std::vector<int>{3, 1, 2}));
  ASSERT_EQ(p.lanes.size(), 2u);
  EXPECT_EQ(p.lanes[0].device, 1);
  EXPECT_EQ(p.lanes[0].stream, 0);
  EXPECT_EQ(p.lanes[0].ops, (std::vector<int>{1, 2}));
  EXPECT_EQ(p.lanes[1].stream, 1);
  EXPECT_EQ(p.lanes[1].ops, (std::vector<int>{3}));
  // op1's edge from op0 is remote (met by the send/recv itself); op3 is local.
  EXPECT_EQ(p.preds[1], (std::vector<int>{3}));
  EXPECT_TRUE(p.preds[0].empty());
  // Rank 0 runs device 0: ops 0 and 1 on lane (0, 0).
  IssuePlan p0 = plan_issue(g, [](int d) { return d == 0; });
  EXPECT_EQ(p0.order, (std::vector<int>{0, 1}));
  ASSERT_EQ(p0.lanes.size(), 1u);
  EXPECT_EQ(p0.lanes[0].ops, (std::vector<int>{0, 1}));
}

TEST(IssueOrder, ACycleThroughStreamOrderIsAnInputError) {
  // op0 and op1 on one stream (0 then 1),
  // and an edge 1 -> 0 closes a cycle.
  TaskGraph g;
  int a = g.add_compute(0, 0, ComputeKind::kOther, 1, 1);
  int b = g.add_compute(0, 0, ComputeKind::kOther, 1, 1);
  g.add_dep(b, a);
  g.finalize();
  try {
    global_issue_order(g);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("op 0 is on a dependency cycle"), std::string::npos) << e.what();
  }
}

// Four devices, one per process: TP groups {0,1} {2,3} on stream 1 and DP
// groups {0,2} {1,3} on stream 2, added so that the first collective each
// process meets differs (process 3 meets DP {1,3} first, process 0 TP {0,1}).
TaskGraph crossing_groups() {
  TaskGraph g;
  int dp13 = g.add_group({1, 3}), tp01 = g.add_group({0, 1}), tp23 = g.add_group({2, 3}), dp02 = g.add_group({0, 2});
  g.add_collective(CollectiveKind::kAllReduce, dp13, 2, 1024);
  g.add_collective(CollectiveKind::kAllReduce, tp01, 1, 1024);
  g.add_collective(CollectiveKind::kAllReduce, tp23, 1, 1024);
  g.add_collective(CollectiveKind::kAllReduce, dp02, 2, 1024);
  g.add_collective(CollectiveKind::kAllGather, tp01, 1, 1024);  // same (group, stream): no new communicator
  g.add_collective(CollectiveKind::kAllReduce, tp01, 2, 1024);  // same group, other stream: a second one
  g.finalize();
  return g;
}

TEST(CommunicatorPlan, EveryProcessBuildsEveryGroupInOneOrder) {
  TaskGraph g = crossing_groups();
  std::vector<CommunicatorSpec> p = communicator_plan(g, 4);
  // Groups were interned dp13=0, tp01=1, tp23=2, dp02=3; entries ascend by (group, stream).
  ASSERT_EQ(p.size(), 5u);
  std::vector<std::pair<int, int>> keys;
  for (const auto& s : p) keys.push_back({s.group, s.stream});
  EXPECT_EQ(keys, (std::vector<std::pair<int, int>>{{0, 2}, {1, 1}, {1, 2}, {2, 1}, {3, 2}}));
  EXPECT_EQ(p[0].devices, (std::vector<int>{1, 3}));
  EXPECT_EQ(p[0].processes, (std::vector<int>{1, 3}));
  EXPECT_EQ(p[0].root_process, 1);
  EXPECT_EQ(p[4].devices, (std::vector<int>{0, 2}));
  EXPECT_TRUE(p[4].spans_processes());
  EXPECT_EQ(p[4].members_of(2), (std::vector<int>{1}));
  EXPECT_TRUE(p[4].members_of(1).empty());
  // Each collective finds its entry.
  EXPECT_EQ(communicator_index(p, g, 0), 0);
  EXPECT_EQ(communicator_index(p, g, 3), 4);
  EXPECT_EQ(communicator_index(p, g, 4), 1);
  EXPECT_EQ(communicator_index(p, g, 5), 2);
}

TEST(CommunicatorPlan, GroupsInsideOneProcessDoNotSpanProcesses) {
  TaskGraph g = crossing_groups();
  // Two processes: device d on process d mod 2, so DP {1,3} lives in process 1
  // and DP {0,2} in process 0, while TP groups span both.
  std::vector<CommunicatorSpec> p = communicator_plan(g, 2);
  EXPECT_FALSE(p[0].spans_processes());
  EXPECT_EQ(p[0].members_of(1), (std::vector<int>{0, 1}));
  EXPECT_TRUE(p[1].spans_processes());
  EXPECT_EQ(p[1].processes, (std::vector<int>{0, 1}));
}

}  // namespace
}  // namespace paralab
