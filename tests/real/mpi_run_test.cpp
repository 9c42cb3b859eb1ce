// Multi-rank host runs under mpirun (2 ranks on localhost, kept short).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/catalog.h"
#include "real/run_graph.h"
#include "real/validation_graphs.h"

namespace paralab::real {
namespace {

RunGraphOptions two_ranks(double timeout) {
  RunGraphOptions o;
  o.ranks = 2;
  o.cluster_arg = "localhost-cpu";
  o.paralab_binary = PARALAB_BINARY;
  o.work_dir = std::filesystem::temp_directory_path().string();
  o.exec.scratch_dir = o.work_dir;
  o.exec.warmup_runs = 0;
  o.exec.collective_timeout_seconds = timeout;
  return o;
}

TEST(MpiRun, TwoRankDataParallelIterationRunsAndMerges) {
  TinyTransformer m{64, 256, 2, 32};
  TaskGraph g = build_dp2_graph(m);
  std::vector<RankResult> ranks;
  RunRecord r = run_graph(g, load_cluster("localhost-cpu"), two_ranks(20), &ranks);
  ASSERT_EQ(r.status, "ok") << r.message;
  ASSERT_EQ(ranks.size(), 2u);
  EXPECT_EQ(r.backend, "real-host");
  // Every op timed once per member device: the all-reduce twice, the rest once.
  size_t timed = ranks[0].timings.size() + ranks[1].timings.size();
  EXPECT_EQ(timed, g.size() + 1);
  EXPECT_GT(r.step_seconds, 0);
}

TEST(MpiRun, AStoppedRankIsAnErrorNamingIt) {
  TinyTransformer m{32, 64, 1, 8};
  TaskGraph g = build_dp2_graph(m);
  RunGraphOptions o = two_ranks(2);
  o.exec.fail_rank = 1;
  RunRecord r = run_graph(g, load_cluster("localhost-cpu"), o, nullptr);
  EXPECT_EQ(r.status, "error");
  EXPECT_NE(r.message.find("rank 1"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace paralab::real
