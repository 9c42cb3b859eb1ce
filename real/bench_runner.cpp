#include "real/bench_runner.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <numeric>

namespace paralab::real {

double median(std::vector<double> v) {
  assert(!v.empty());
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

namespace {
double time_once(const Benchmark& b) {
  if (b.timed_run) return b.timed_run();
  auto t0 = std::chrono::steady_clock::now();
  b.run();
  auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(t1 - t0).count();
}
}  // namespace

BenchResult run_benchmark(const Benchmark& b, const RunnerConfig& cfg) {
  assert(b.run || b.timed_run);
  assert(cfg.repetitions >= 1);
  BenchResult r;
  r.name = b.name;
  r.shape = b.shape;
  r.size = b.size;
  r.bytes = b.bytes;
  r.flops = b.flops;
  if (b.setup) b.setup();
  // Untimed correctness pass (invariant 1).
  if (b.run) b.run(); else b.timed_run();
  if (b.check) {
    r.check_message = b.check();
    r.check_ok = r.check_message.empty();
  }
  for (int i = 0; i < cfg.warmup; ++i) time_once(b);
  std::vector<double> t;
  double total = 0;
  while (static_cast<int>(t.size()) < cfg.repetitions ||
         (total < cfg.min_total_seconds && static_cast<int>(t.size()) < cfg.max_repetitions)) {
    double s = time_once(b);
    t.push_back(s);
    total += s;
  }
  r.repetitions = static_cast<int>(t.size());
  r.seconds_median = median(t);
  r.seconds_min = *std::min_element(t.begin(), t.end());
  r.seconds_max = *std::max_element(t.begin(), t.end());
  r.seconds_mean = total / double(t.size());
  if (r.seconds_median > 0) {
    r.bytes_per_s = b.bytes / r.seconds_median;
    r.flops_per_s = b.flops / r.seconds_median;
  }
  if (r.seconds_min > 0) {
    r.best_bytes_per_s = b.bytes / r.seconds_min;
    r.best_flops_per_s = b.flops / r.seconds_min;
  }
  return r;
}

Json BenchResult::to_json() const {
  return {{"name", name},
          {"shape", shape},
          {"size", size},
          {"bytes", bytes},
          {"flops", flops},
          {"repetitions", repetitions},
          {"seconds_median", seconds_median},
          {"seconds_min", seconds_min},
          {"seconds_max", seconds_max},
          {"seconds_mean", seconds_mean},
          {"bytes_per_s", bytes_per_s},
          {"flops_per_s", flops_per_s},
          {"best_bytes_per_s", best_bytes_per_s},
          {"best_flops_per_s", best_flops_per_s},
          {"check_ok", check_ok},
          {"check_message", check_message}};
}

}  // namespace paralab::real
