// Google Benchmark programs for the host backend's building blocks: the
// single-threaded SGEMM the executor runs for a GEMM op (FLOP/s counter),
// the memory sweep of memory-bound ops and memcpy between host tiers
// (bytes/s counters). `paralab calibrate` measures the same kernels through
// real/bench_runner.h; this is for profiling them in isolation.
#include <benchmark/benchmark.h>

#include <cstring>

#include "real/host_ops.h"

namespace {

using paralab::real::HostBuffer;

void BM_Sgemm(benchmark::State& st) {
  paralab::real::set_blas_single_thread();
  int64_t n = st.range(0);
  HostBuffer a(n * n * 4, false), b(n * n * 4, false), c(n * n * 4, false);
  for (auto _ : st) paralab::real::host_sgemm(n, n, n, a.floats(), b.floats(), c.floats());
  st.counters["FLOP/s"] = benchmark::Counter(2.0 * double(n) * double(n) * double(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Sgemm)->RangeMultiplier(2)->Range(64, 1024)->Unit(benchmark::kMillisecond);

void BM_MemorySweep(benchmark::State& st) {
  size_t bytes = size_t(st.range(0));
  HostBuffer src(bytes / 2, false), dst(bytes / 2, false);
  for (auto _ : st) {
    paralab::real::memory_sweep(dst.floats(), src.floats(), bytes / 8);
    benchmark::ClobberMemory();
  }
  st.counters["bytes/s"] = benchmark::Counter(double(bytes), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MemorySweep)->RangeMultiplier(16)->Range(1 << 16, 1 << 28);

void BM_Memcpy(benchmark::State& st) {
  size_t bytes = size_t(st.range(0));
  bool pinned = st.range(1) != 0;
  HostBuffer src(bytes, pinned), dst(bytes, pinned);
  for (auto _ : st) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::ClobberMemory();
  }
  st.counters["bytes/s"] = benchmark::Counter(double(bytes), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Memcpy)->ArgsProduct({{1 << 12, 1 << 20, 1 << 26}, {0, 1}});

}  // namespace

BENCHMARK_MAIN();
