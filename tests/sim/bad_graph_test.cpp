// Bad task graphs are rejected with messages that name the op.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/task_graph.h"
#include "tests/sim/sim_test_clusters.h"

namespace paralab {
namespace {

std::string error_of(const TaskGraph& g, const Cluster& c) {
  try {
    g.validate(c, "g.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(BadGraph, Cycle) {
  Cluster c = testing::switch_cluster({});
  TaskGraph g;
  int a = g.add_compute(0, 0, ComputeKind::kGemm, 1, 0, DType::kBf16, g.intern_label("A"));
  int b = g.add_compute(1, 0, ComputeKind::kGemm, 1, 0);
  g.add_dep(a, b);
  g.add_dep(b, a);
  EXPECT_EQ(error_of(g, c),
            "g.json: op 0 (A): is on a dependency cycle (dependencies plus stream order; ops on one stream run in id "
            "order)");
}

TEST(BadGraph, CycleThroughStreamOrder) {
  // op 1 waits for op 2, but op 2 is after op 1 on the same stream.
  Cluster c = testing::switch_cluster({});
  TaskGraph g;
  g.add_compute(0, 0, ComputeKind::kGemm, 1, 0);
  int b = g.add_compute(0, 0, ComputeKind::kGemm, 1, 0);
  int d = g.add_compute(0, 0, ComputeKind::kGemm, 1, 0);
  g.add_dep(d, b);
  EXPECT_NE(error_of(g, c).find("op 1: is on a dependency cycle"), std::string::npos) << error_of(g, c);
}

TEST(BadGraph, UnknownDevice) {
  Cluster c = testing::switch_cluster({});
  TaskGraph g;
  g.add_compute(0, 0, ComputeKind::kGemm, 1, 0);
  g.add_compute(5, 0, ComputeKind::kGemm, 1, 0, DType::kBf16, g.intern_label("L3 fwd"));
  EXPECT_EQ(error_of(g, c), "g.json: op 1 (L3 fwd): bound to device 5, but cluster 'test-switch' has devices 0..1");
}

TEST(BadGraph, GroupRankNotADevice) {
  Cluster c = testing::switch_cluster({});
  TaskGraph g;
  g.add_collective(CollectiveKind::kAllReduce, g.add_group({0, 9}), 0, 1e6);
  EXPECT_EQ(error_of(g, c),
            "g.json: op 0: group rank 9 is not a device of cluster 'test-switch' (devices 0..1)");
}

TEST(BadGraph, DanglingDependency) {
  Cluster c = testing::switch_cluster({});
  TaskGraph g;
  g.add_compute(0, 0, ComputeKind::kGemm, 1, 0);
  g.add_dep(7, 0);
  EXPECT_EQ(error_of(g, c), "g.json: op 0: depends on op 7, which does not exist (1 ops)");
}

}  // namespace
}  // namespace paralab
