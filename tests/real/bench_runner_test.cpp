// The benchmark runner and the host calibration sweeps it drives.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "real/bench_runner.h"
#include "real/host_calibration.h"

namespace paralab::real {
namespace {

TEST(BenchRunner, CorrectnessPassIsUntimedAndRepetitionsAreCounted) {
  int runs = 0, checks = 0;
  Benchmark b;
  b.name = "count";
  b.bytes = 100;
  b.flops = 50;
  b.run = [&] { ++runs; };
  b.check = [&]() -> std::string {
    ++checks;
    return runs == 1 ? "" : "check ran after timed runs";  // only after the first (untimed) run
  };
  RunnerConfig cfg;
  cfg.warmup = 2;
  cfg.repetitions = 4;
  BenchResult r = run_benchmark(b, cfg);
  EXPECT_TRUE(r.check_ok) << r.check_message;
  EXPECT_EQ(checks, 1);
  EXPECT_EQ(runs, 1 + 2 + 4);  // correctness pass + warm-up + timed
  EXPECT_EQ(r.repetitions, 4);
  EXPECT_LE(r.seconds_min, r.seconds_median);
  EXPECT_LE(r.seconds_median, r.seconds_max);
}

TEST(BenchRunner, TimedRunSecondsAreUsedAndRatesDerivedFromThem) {
  Benchmark b;
  b.name = "fixed";
  b.bytes = 1e9;
  b.flops = 4e9;
  b.timed_run = [] { return 0.5; };
  BenchResult r = run_benchmark(b, RunnerConfig{});
  EXPECT_DOUBLE_EQ(r.seconds_median, 0.5);
  EXPECT_DOUBLE_EQ(r.bytes_per_s, 2e9);  // 1e9 bytes / 0.5 s
  EXPECT_DOUBLE_EQ(r.flops_per_s, 8e9);
}

TEST(BenchRunner, FailedCheckIsReportedNotDropped) {
  Benchmark b;
  b.name = "bad";
  b.run = [] {};
  b.check = [] { return std::string("wrong answer"); };
  BenchResult r = run_benchmark(b, RunnerConfig{});
  EXPECT_FALSE(r.check_ok);
  EXPECT_EQ(r.check_message, "wrong answer");
}

TEST(HostCalibration, SgemmCountsTwoMnkFlopsAndPassesItsCheck) {
  RunnerConfig cfg;
  cfg.repetitions = 1;
  cfg.warmup = 0;
  auto r = bench_sgemm({{3, 5, 7}, {16, 8, 4}}, cfg, 0);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_DOUBLE_EQ(r[0].flops, 2.0 * 3 * 5 * 7);
  EXPECT_DOUBLE_EQ(r[1].flops, 2.0 * 16 * 8 * 4);
  for (const auto& x : r) EXPECT_TRUE(x.check_ok) << x.check_message;
}

// The quantized GEMM the host executor runs, through both kernels (fused
// GEMV up to kCpuGemvMaxRows rows, dequantized panels into SGEMM above), each checked
// against dequantize-then-multiply; the profile's rate is median seconds
// over the n x k stored weights.
TEST(HostCalibration, QuantizedGemmPassesItsCheckAndGivesSecondsPerWeight) {
  RunnerConfig cfg;
  cfg.repetitions = 1;
  cfg.warmup = 0;
  auto r = bench_quantized_gemm("rtn-b4-g128", {1, 33}, 256, 384, cfg);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].shape, "format=rtn-b4-g128 m=33 n=256 k=384");
  EXPECT_DOUBLE_EQ(r[1].flops, 2.0 * 33 * 256 * 384);
  for (const auto& x : r) EXPECT_TRUE(x.check_ok) << x.check_message;
  auto pts = quantized_points_from_results({1, 33}, r, 256, 384);
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[1].first, 33.0);
  EXPECT_DOUBLE_EQ(pts[1].second, r[1].seconds_median / (256.0 * 384.0));
  EXPECT_THROW(bench_quantized_gemm("int5-g7", {1}, 256, 384, cfg), InputError);
}

TEST(HostCalibration, DiskReadsVerifyTheFilePattern) {
  RunnerConfig cfg;
  cfg.repetitions = 1;
  cfg.warmup = 0;
  bool odirect = false;
  std::string note;
  auto path = (std::filesystem::temp_directory_path() / "paralab-disk-test").string();
  auto r = bench_disk_read(path, 1 << 20, {1 << 16}, {1, 2}, cfg, &odirect, &note);
  ASSERT_EQ(r.size(), 2u);
  for (const auto& x : r) EXPECT_TRUE(x.check_ok) << x.check_message;
  EXPECT_FALSE(std::filesystem::exists(path));  // scratch file removed
}

}  // namespace
}  // namespace paralab::real
