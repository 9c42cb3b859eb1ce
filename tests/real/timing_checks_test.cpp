// timing_violation (real/timing_checks.h): the check the executor tests use
// to see that a real run did every op, in stream order and dependency order.
// On the CPU it checks the host executor; the same check runs on the cuda
// executor in cuda_executor_gpu_test.cpp where a GPU exists.
#include "real/timing_checks.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/catalog.h"
#include "real/validation_graphs.h"

namespace paralab::real {
namespace {

// The receive-then-compute graph of tests/core/issue_order_test.cpp: naive
// topological order issues op 2 before the receive op 1 on (dev1, s0).
TaskGraph receive_then_compute() {
  TaskGraph g;
  int a = g.add_gemm(0, 0, 64, 64, 64, DType::kFp32);
  int r = g.add_collective(CollectiveKind::kSendRecv, g.add_group({0, 1}), 0, 1 << 16);
  g.add_gemm(1, 0, 64, 64, 64, DType::kFp32);
  int f = g.add_gemm(1, 1, 128, 128, 128, DType::kFp32);
  g.add_dep(a, r);
  g.add_dep(f, r);
  return g;
}

ExecOptions quick() {
  ExecOptions o;
  o.warmup_runs = 0;
  o.scratch_dir = std::filesystem::temp_directory_path().string();
  o.collective_timeout_seconds = 10;
  return o;
}

TEST(TimingChecks, HostRunsRespectStreamOrderAndDependencies) {
  Cluster c = load_cluster("localhost-cpu");
  TaskGraph g = receive_then_compute();
  RankResult r = make_executor("host")->run(g, c, quick());
  ASSERT_EQ(r.status, "ok") << r.message;
  EXPECT_EQ(timing_violation(g, {r}), "");
  TinyTransformer m{64, 256, 2, 32};
  TaskGraph pp = build_pp2_graph(m, 3);
  RankResult rp = make_executor("host")->run(pp, c, quick());
  ASSERT_EQ(rp.status, "ok") << rp.message;
  EXPECT_EQ(timing_violation(pp, {rp}), "");
}

TEST(TimingChecks, NamesAMissingOpAStreamOrderBreachAndADependencyBreach) {
  TaskGraph g = receive_then_compute();
  g.finalize();
  // Hand-made timings: op 0 on dev 0; op 1 on both; op 2 and 3 on dev 1.
  RankResult r;
  r.timings = {{0, 0, 0, 0.0, 1.0}, {1, 0, 0, 2.0, 3.0}, {1, 1, 0, 2.0, 3.0}, {3, 1, 1, 0.0, 1.5}};
  EXPECT_EQ(timing_violation(g, {r}), "op 2 never ran on device 1 (rank 0)");
  // op 2 starts at 2.5 while op 1 (before it on dev 1 stream 0) ends at 3.0.
  r.timings.push_back({2, 1, 0, 2.5, 4.0});
  EXPECT_EQ(timing_violation(g, {r}),
            "op 2 started at 2.500000 s, before op 1 ended at 3.000000 s, which precedes it on device 1 stream 0");
  // Fixed stream order, but op 1 on dev 1 starts (1.2) before op 3 ends (1.5).
  r.timings[2] = {1, 1, 0, 1.2, 3.0};
  r.timings[4] = {2, 1, 0, 3.0, 4.0};
  EXPECT_EQ(timing_violation(g, {r}),
            "op 1 started at 1.200000 s, before op 3, on which it depends, ended at 1.500000 s on device 1");
  r.timings[2] = {1, 1, 0, 2.0, 3.0};
  EXPECT_EQ(timing_violation(g, {r}), "");
  r.timings[0].end_seconds = NAN;
  EXPECT_NE(timing_violation(g, {r}).find("has times"), std::string::npos);
}

}  // namespace
}  // namespace paralab::real
