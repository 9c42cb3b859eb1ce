#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <random>

namespace paralab::sim {
namespace {

TEST(EventQueue, PopsByTimeThenInsertionOrder) {
  EventQueue q;
  q.push(30, 1, 0);
  q.push(10, 1, 1);
  q.push(20, 1, 2);
  q.push(10, 2, 3);  // same time as target 1, pushed later -> pops after it
  q.push(10, 1, 4);
  std::vector<int> order;
  while (!q.empty()) order.push_back(q.pop().target);
  EXPECT_EQ(order, (std::vector<int>{1, 3, 4, 2, 0}));
}

TEST(EventQueue, KindAndVersionSurvive) {
  EventQueue q;
  q.push(5, 7, 42, 123456789u);
  Event e = q.pop();
  EXPECT_EQ(e.time_ns, 5);
  EXPECT_EQ(e.kind(), 7);
  EXPECT_EQ(e.target, 42);
  EXPECT_EQ(e.version, 123456789u);
}

TEST(EventQueue, RandomTimesComeOutSorted) {
  EventQueue q;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 10000; ++i) q.push(TimeNs(rng() % 1000), 1, i);
  TimeNs last = -1;
  int last_target = -1;
  while (!q.empty()) {
    Event e = q.pop();
    ASSERT_GE(e.time_ns, last);
    if (e.time_ns == last) {
      ASSERT_GT(e.target, last_target);  // targets were pushed in increasing order
    }
    last = e.time_ns;
    last_target = e.target;
  }
}

}  // namespace
}  // namespace paralab::sim
