// The progress line of long jobs: drawn only when enabled and past its delay,
// erased at the end, and the simulator's hook that feeds it.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "core/catalog.h"
#include "core/task_graph.h"
#include "sim/simulator.h"
#include "tools/cli_common.h"

namespace paralab {
namespace {

std::string read_all(std::FILE* f) {
  std::string s;
  std::rewind(f);
  for (int c; (c = std::fgetc(f)) != EOF;) s.push_back(char(c));
  return s;
}

TEST(ProgressLine, DrawsPercentAndDetailThenErasesItself) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    cli::ProgressLine bar("simulate", f, true, std::chrono::milliseconds(0));
    bar.update(0.5, "1 of 2 ops");
  }
  std::string out = read_all(f);
  EXPECT_NE(out.find("simulate:  50% 1 of 2 ops"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 4), "\r\033[K");  // erased by the destructor
  std::fclose(f);
}

TEST(ProgressLine, SilentWhenDisabledOrBeforeItsDelay) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    cli::ProgressLine off("simulate", f, false, std::chrono::milliseconds(0));
    off.update(0.5, "x");
    cli::ProgressLine early("simulate", f, true, std::chrono::hours(1));
    early.update(0.5, "x");
  }
  EXPECT_EQ(read_all(f), "");
  std::fclose(f);
}

TEST(SimulatorProgress, ReportsOpsDoneOfTheGraphAsTheRunGoes) {
  // 300,000 chained compute ops on one GPU: about 300,000 events, so the hook
  // (every 65,536 events) runs 4 times with ops done rising and the total
  // fixed at the graph's size.
  Cluster c = load_cluster("dgx-a100-80gb");
  TaskGraph g;
  const int n = 300000;
  for (int i = 0; i < n; ++i) g.add_compute(0, 0, ComputeKind::kGemm, 1e9, 1e6);
  std::vector<uint64_t> seen;
  sim::SimOptions o;
  o.progress = [&](uint64_t done, uint64_t total, TimeNs) {
    EXPECT_EQ(total, uint64_t(n));
    seen.push_back(done);
  };
  sim::SimResult r = sim::simulate(c, g, o);
  ASSERT_EQ(r.record.status, "ok");
  ASSERT_EQ(seen.size(), size_t(r.events / 65536));
  ASSERT_GE(seen.size(), 4u);
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i], seen[i - 1]);
}

}  // namespace
}  // namespace paralab
