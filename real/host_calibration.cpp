#include "real/host_calibration.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/catalog.h"
#include "core/error.h"
#include "kernels/qmatmul_cpu.h"
#include "kernels/quant_format.h"
#include "kernels/synthetic.h"
#include "real/executor.h"
#include "real/fit.h"
#include "real/host_ops.h"
#include "real/mpi_collectives.h"

namespace paralab::real {

namespace {

// Keeps `n` other cores busy with `work` while alive (the condition the host
// executor runs in: every core is a worker).
class BusyCores {
 public:
  BusyCores(int n, std::function<void()> work) {
    for (int i = 0; i < n; ++i)
      threads_.emplace_back([this, work] {
        while (!stop_.load(std::memory_order_relaxed)) work();
      });
  }
  ~BusyCores() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

int default_busy(int busy) {
  if (busy >= 0) return busy;
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 1 ? int(n - 1) : 0;
}

// A benchmark check's verdict on one entry: "" when got is want to fp32
// summation accuracy, else what differs.
std::string mismatch(const char* what, int64_t i, int64_t j, double got, double want) {
  if (std::fabs(got - want) <= 1e-3 + 1e-4 * std::fabs(want)) return "";
  return std::string(what) + "[" + std::to_string(i) + "," + std::to_string(j) + "] = " + std::to_string(got) +
         ", expected " + std::to_string(want);
}

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

std::vector<GemmShape> default_gemm_shapes(bool quick) {
  if (quick) return {{64, 64, 64}, {128, 128, 128}, {256, 256, 256}, {384, 384, 384}};
  return {{32, 32, 32},     {64, 64, 64},     {96, 96, 96},    {128, 128, 128},  {192, 192, 192},
          {256, 256, 256},  {384, 384, 384},  {512, 512, 512}, {768, 768, 768},  {1024, 1024, 1024},
          {64, 512, 512},   {128, 1024, 256}, {256, 768, 768}, {512, 2048, 512}, {1, 4096, 1024},
          // Transformer-layer shapes (tokens x out x in, forward and the two
          // backward GEMMs), where real workloads sit: skinny in m.
          {64, 2304, 768},  {64, 768, 768},   {64, 3072, 768}, {64, 768, 3072},
          {256, 1152, 384}, {256, 384, 384},  {256, 1536, 384}, {256, 384, 1536},
          {384, 1152, 256}, {384, 384, 256},  {128, 1152, 384}, {128, 1536, 384}};
}

std::vector<int64_t> default_gemm_grid_axis(bool quick) {
  if (quick) return {32, 128, 512};
  return {32, 128, 512, 2048};
}

GemmEfficiencyGrid gemm_grid_from_results(const std::vector<int64_t>& axis, const std::vector<BenchResult>& results,
                                          double peak) {
  GemmEfficiencyGrid g;
  for (int64_t v : axis) g.m.push_back(double(v));
  g.n = g.k = g.m;
  for (const auto& r : results) g.efficiency.push_back(std::clamp(r.flops_per_s / peak, 1e-6, 1.0));
  return g;
}

std::vector<BenchResult> median_of_passes(const std::vector<std::vector<BenchResult>>& passes) {
  std::vector<BenchResult> out;
  if (passes.empty()) return out;
  for (size_t i = 0; i < passes[0].size(); ++i) {
    std::vector<const BenchResult*> v;
    for (const auto& p : passes) v.push_back(&p.at(i));
    std::sort(v.begin(), v.end(), [](const BenchResult* a, const BenchResult* b) { return a->seconds_median < b->seconds_median; });
    BenchResult r = *v[(v.size() - 1) / 2];
    for (const BenchResult* x : v)
      if (!x->check_ok) r.check_ok = false, r.check_message = x->check_message;
    out.push_back(r);
  }
  return out;
}

std::vector<BenchResult> bench_sgemm(const std::vector<GemmShape>& shapes, const RunnerConfig& cfg, int busy_cores) {
  set_blas_single_thread();
  std::vector<BenchResult> out;
  for (const auto& s : shapes) {
    HostBuffer a(s.m * s.k * 4, false), b(s.k * s.n * 4, false), c(s.m * s.n * 4, false);
    for (int64_t i = 0; i < s.m * s.k; ++i) a.floats()[i] = float((i % 7) - 3) * 0.25f;
    for (int64_t i = 0; i < s.k * s.n; ++i) b.floats()[i] = float((i % 5) - 2) * 0.5f;
    // Background copies so the busy cores do the same kind of work.
    HostBuffer a2(s.m * s.k * 4, false), b2(s.k * s.n * 4, false), c2(s.m * s.n * 4, false);
    BusyCores busy(busy_cores, [&] { host_sgemm(s.m, s.n, s.k, a2.floats(), b2.floats(), c2.floats()); });
    Benchmark bm;
    bm.name = "sgemm";
    bm.shape = "m=" + std::to_string(s.m) + " n=" + std::to_string(s.n) + " k=" + std::to_string(s.k);
    bm.size = bm.flops = s.flops();
    bm.bytes = 4.0 * double(s.m * s.k + s.k * s.n + s.m * s.n);
    bm.run = [&] { host_sgemm(s.m, s.n, s.k, a.floats(), b.floats(), c.floats()); };
    bm.check = [&]() -> std::string {
      // Spot-check a few entries against the plain dot product.
      for (int64_t i : {int64_t(0), s.m / 2, s.m - 1})
        for (int64_t j : {int64_t(0), s.n - 1}) {
          double want = 0;
          for (int64_t p = 0; p < s.k; ++p) want += double(a.floats()[i * s.k + p]) * b.floats()[p * s.n + j];
          if (std::string e = mismatch("C", i, j, c.floats()[i * s.n + j], want); !e.empty()) return e;
        }
      return "";
    };
    out.push_back(run_benchmark(bm, cfg));
  }
  return out;
}

std::vector<BenchResult> bench_quantized_gemm(const std::string& format, const std::vector<int64_t>& rows, int64_t n,
                                              int64_t k, const RunnerConfig& cfg) {
  set_blas_single_thread();
  const kernels::QuantizedMatrix q = kernels::synthetic_quantized_matrix(kernels::parse_quant_format(format), n, k);
  const int64_t max_m = *std::max_element(rows.begin(), rows.end());
  std::vector<float> x(size_t(max_m * k)), y(size_t(max_m * n));
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i % 7) - 3) * 0.25f;
  // Reference rows of W_hat for the check.
  std::vector<float> w(static_cast<size_t>(k));
  std::vector<BenchResult> out;
  for (int64_t m : rows) {
    Benchmark bm;
    bm.name = "quantized_gemm";
    bm.shape = "format=" + format + " m=" + std::to_string(m) + " n=" + std::to_string(n) + " k=" + std::to_string(k);
    bm.size = double(m);
    bm.flops = 2.0 * double(m) * double(n) * double(k);
    bm.bytes = double(q.stored_bytes()) + 4.0 * double(m) * double(n + k);
    bm.run = [&] { kernels::qmatmul_cpu(q, x.data(), m, y.data()); };
    bm.check = [&]() -> std::string {
      for (int64_t r : {int64_t(0), n / 2, n - 1}) {
        for (int64_t c = 0; c < k; ++c) w[size_t(c)] = kernels::dequantized_at(q, r, c);
        for (int64_t b : {int64_t(0), m - 1}) {
          double want = 0;
          for (int64_t c = 0; c < k; ++c) want += double(w[size_t(c)]) * x[size_t(b * k + c)];
          if (std::string e = mismatch("y", b, r, y[size_t(b * n + r)], want); !e.empty()) return e;
        }
      }
      return "";
    };
    out.push_back(run_benchmark(bm, cfg));
  }
  return out;
}

std::vector<std::pair<double, double>> quantized_points_from_results(const std::vector<int64_t>& rows,
                                                                     const std::vector<BenchResult>& results,
                                                                     int64_t n, int64_t k) {
  std::vector<std::pair<double, double>> pts;
  for (size_t i = 0; i < rows.size() && i < results.size(); ++i)
    pts.emplace_back(double(rows[i]), results[i].seconds_median / (double(n) * double(k)));
  return pts;
}

std::vector<BenchResult> bench_memory_sweep(const std::vector<size_t>& sizes, const RunnerConfig& cfg, int busy_cores) {
  std::vector<BenchResult> out;
  for (size_t bytes : sizes) {
    size_t floats = bytes / 8;  // half read, half written
    HostBuffer src(floats * 4, false), dst(floats * 4, false);
    for (size_t i = 0; i < floats; ++i) src.floats()[i] = float(i % 1000);
    HostBuffer s2(floats * 4, false), d2(floats * 4, false);
    BusyCores busy(busy_cores, [&] { memory_sweep(d2.floats(), s2.floats(), floats); });
    Benchmark b;
    b.name = "memory_sweep";
    b.shape = "bytes=" + std::to_string(floats * 8);
    b.size = b.bytes = double(floats * 8);
    b.run = [&] { memory_sweep(dst.floats(), src.floats(), floats); };
    b.check = [&]() -> std::string {
      for (size_t i = 0; i < floats; i += 4099)
        if (dst.floats()[i] != src.floats()[i] * 1.000001f) return "element " + std::to_string(i) + " wrong";
      return "";
    };
    out.push_back(run_benchmark(b, cfg));
  }
  return out;
}

std::vector<BenchResult> bench_memcpy(const std::vector<size_t>& sizes, bool pinned, const RunnerConfig& cfg) {
  std::vector<BenchResult> out;
  for (size_t bytes : sizes) {
    HostBuffer src(bytes, pinned), dst(bytes, pinned);
    for (size_t i = 0; i < bytes; i += 64) src.data()[i] = char(i / 64);
    Benchmark b;
    b.name = pinned ? "memcpy_pinned" : "memcpy_pageable";
    b.shape = "bytes=" + std::to_string(bytes);
    b.size = b.bytes = double(bytes);
    b.run = [&] { std::memcpy(dst.data(), src.data(), bytes); };
    b.check = [&]() -> std::string { return std::memcmp(dst.data(), src.data(), bytes) ? "copy differs" : ""; };
    out.push_back(run_benchmark(b, cfg));
  }
  return out;
}

std::vector<BenchResult> bench_disk_read(const std::string& path, size_t file_bytes, const std::vector<size_t>& blocks,
                                         const std::vector<int>& qds, const RunnerConfig& cfg, bool* o_direct,
                                         std::string* note) {
  ScratchFile f(path, file_bytes);
  *o_direct = f.o_direct();
  *note = f.note();
  std::vector<BenchResult> out;
  for (size_t block : blocks) {
    for (int qd : qds) {
      size_t nblocks = std::max<size_t>(1, std::min<size_t>(f.size() / block, size_t(qd) * 64));
      nblocks = nblocks / qd * qd;
      if (nblocks == 0) continue;
      std::vector<HostBuffer> bufs;
      for (int t = 0; t < qd; ++t) bufs.emplace_back(block, false);
      Benchmark b;
      b.name = "disk_read";
      b.shape = "block=" + std::to_string(block) + " qd=" + std::to_string(qd);
      b.size = double(block);
      b.bytes = double(nblocks * block);
      b.run = [&] {
        if (!f.o_direct()) f.drop_cache();
        std::vector<std::thread> th;
        for (int t = 0; t < qd; ++t)
          th.emplace_back([&, t] {
            for (size_t i = t; i < nblocks; i += qd) f.read(i * block, block, bufs[t].data());
          });
        for (auto& x : th) x.join();
      };
      b.check = [&]() -> std::string {
        // Thread 0 last read block (largest i with i % qd == 0).
        size_t last = (nblocks - 1) / qd * qd;
        for (size_t off = 0; off < block; off += 511)
          if (static_cast<unsigned char>(bufs[0].data()[off]) != scratch_byte(last * block + off))
            return "byte " + std::to_string(off) + " of block " + std::to_string(last) + " differs from the file";
        return "";
      };
      out.push_back(run_benchmark(b, cfg));
    }
  }
  return out;
}

Json host_machine_json() {
  Json m;
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  m["hostname"] = host;
  m["nproc"] = ::sysconf(_SC_NPROCESSORS_ONLN);
  m["memory_bytes"] = double(::sysconf(_SC_PHYS_PAGES)) * double(::sysconf(_SC_PAGESIZE));
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      m["cpu_model"] = line.substr(line.find(':') + 2);
      break;
    }
  }
  return m;
}

void disk_profile_from_results(const std::vector<BenchResult>& disk, HardwareProfile* p) {
  std::vector<std::pair<double, double>> qd1;
  double best = 0, single = 0, single_block = 0;
  int best_qd = 1;
  for (const auto& r : disk) {
    int qd = std::stoi(r.shape.substr(r.shape.find("qd=") + 3));
    if (qd == 1) {
      qd1.emplace_back(r.size, r.seconds_median / (r.bytes / r.size));  // per-block time
      if (r.size >= single_block) single_block = r.size, single = r.bytes_per_s;
    }
    if (r.bytes_per_s > best * 1.05) best = r.bytes_per_s, best_qd = qd;
  }
  p->disk.read_bytes_per_s = single > 0 ? single : best;
  p->disk.queue_depth = best_qd;
  if (qd1.size() >= 2) p->disk.latency_seconds = fit_alpha_beta(qd1).alpha_seconds;
  if (single > 0)
    p->notes.push_back("disk: one reader at " + std::to_string(size_t(single_block) >> 10) + " KiB blocks reads " +
                       std::to_string(single / 1e9).substr(0, 5) + " GB/s (the profile's rate); " +
                       std::to_string(best_qd) + " readers reach " + std::to_string(best / 1e9).substr(0, 5) +
                       " GB/s together");
}

double measure_host_op_overhead_seconds(int ops) {
  // A chain of `ops` empty compute ops on one stream of one worker: what the
  // host executor spends per op beyond the op's own work (a timestamp, the
  // wait for predecessors, the completion signal).
  Cluster c = load_cluster("localhost-cpu");
  TaskGraph g;
  for (int i = 0; i < ops; ++i) g.add_compute(0, 0, ComputeKind::kElementwise, 0, 0, DType::kFp32);
  ExecOptions o;
  o.warmup_runs = 1;
  o.repetitions = 3;
  RankResult r = make_executor("host")->run(g, c, o);
  if (r.status != "ok" || r.timings.empty()) return -1;
  double first = r.timings.front().start_seconds, last = 0;
  for (const auto& t : r.timings) first = std::min(first, t.start_seconds), last = std::max(last, t.end_seconds);
  return (last - first) / ops;
}

HardwareProfile calibrate_host(const HostCalibrationConfig& cfg, std::vector<BenchResult>* raw) {
  HardwareProfile p;
  p.name = cfg.name;
  p.backend = "host";
  p.created_at = now_utc();
  p.machine = host_machine_json();
  int busy = default_busy(cfg.busy_cores);
  p.machine["busy_cores_during_compute_sweeps"] = busy;
  p.host_cores = p.machine.value("nproc", 0);
  RunnerConfig rc;
  rc.warmup = 1;
  rc.repetitions = cfg.quick ? 3 : 5;
  rc.min_total_seconds = cfg.quick ? 0.02 : 0.2;
  std::vector<BenchResult> all;
  auto keep = [&](const std::vector<BenchResult>& v) {
    all.insert(all.end(), v.begin(), v.end());
    for (const auto& r : v)
      if (!r.check_ok) p.notes.push_back(r.name + " " + r.shape + ": correctness check failed: " + r.check_message);
    return v;
  };

  // Compute: GEMM efficiency by FLOPs and by shape, relative to the highest median rate.
  DeviceProfile dev;
  dev.kind = "cpu";
  dev.model = p.machine.value("cpu_model", std::string("cpu")) + " (1 core, OpenBLAS 1 thread)";
  std::vector<int64_t> axis = default_gemm_grid_axis(cfg.quick);
  std::vector<GemmShape> grid_shapes;
  for (int64_t m : axis)
    for (int64_t n : axis)
      for (int64_t k : axis) grid_shapes.push_back({m, n, k});
  RunnerConfig grc = rc;
  grc.min_total_seconds = cfg.quick ? 0.01 : 0.05;
  // Several interleaved passes over all shapes; each point keeps the pass
  // with the median rate, so a burst of other work spoils one pass of a
  // point, not the point.
  const int passes = cfg.quick ? 1 : 3;
  std::vector<std::vector<BenchResult>> shape_passes, grid_passes;
  for (int i = 0; i < passes; ++i) {
    shape_passes.push_back(bench_sgemm(default_gemm_shapes(cfg.quick), rc, busy));
    grid_passes.push_back(bench_sgemm(grid_shapes, grc, busy));
  }
  auto gemm = keep(median_of_passes(shape_passes));
  auto grid = keep(median_of_passes(grid_passes));
  std::vector<std::pair<double, double>> pts;
  double peak = 0;
  for (const auto& r : gemm) {
    pts.emplace_back(r.flops, r.flops_per_s);
    peak = std::max(peak, r.flops_per_s);
  }
  for (const auto& r : grid) peak = std::max(peak, r.flops_per_s);
  dev.peak_flops_per_s["fp32"] = peak;
  dev.gemm_efficiency_curve = efficiency_curve(pts, peak);
  dev.gemm_efficiency_grid = gemm_grid_from_results(axis, grid, peak);

  // Memory-bound ops.
  std::vector<size_t> msizes = cfg.quick ? std::vector<size_t>{1 << 16, 1 << 20, 1 << 24}
                                         : std::vector<size_t>{1 << 14, 1 << 16, 1 << 18, 1 << 20, 1 << 22,
                                                               1 << 24, 1 << 26, 1 << 28};
  auto mem = keep(bench_memory_sweep(msizes, rc, busy));
  pts.clear();
  double mpeak = 0;
  for (const auto& r : mem) {
    pts.emplace_back(r.bytes, r.bytes_per_s);
    mpeak = std::max(mpeak, r.bytes_per_s);
  }
  dev.memory_bandwidth_bytes_per_s = mpeak;
  dev.memory_efficiency_curve = efficiency_curve(pts, mpeak);
  // Launch overhead: the executor's own cost per op, from a chain of empty ops.
  double overhead = measure_host_op_overhead_seconds(cfg.quick ? 2000 : 20000);
  if (overhead >= 0) {
    dev.launch_overhead_seconds = overhead;
  } else {
    p.notes.push_back("launch overhead not measured: the host executor failed on a chain of empty ops");
  }
  // Weight-only quantized GEMMs: the kernel the host executor runs for them,
  // per format, by rows: up to kCpuGemvMaxRows rows the fused GEMV, above it
  // dequantized panels into SGEMM (kCpuGemvMaxRows + 1 is measured too, so
  // the interpolation does not blur the switch). No core is kept busy: these ops
  // come from offloaded-inference graphs, whose one device worker computes
  // while the other workers copy and read, not while a second core runs the
  // same kernel.
  {
    constexpr int64_t kGemv = kernels::kCpuGemvMaxRows;
    const std::vector<int64_t> rows = cfg.quick ? std::vector<int64_t>{1, 8}
                                                : std::vector<int64_t>{1, kGemv, kGemv + 1, 16, 32, 128};
    const int64_t qn = cfg.quick ? 1024 : 4096, qk = cfg.quick ? 1024 : 2048;
    for (const std::string& f : cfg.quantized_formats) {
      auto r = keep(bench_quantized_gemm(f, rows, qn, qk, rc));
      dev.quantized_gemm_seconds_per_weight[f] = quantized_points_from_results(rows, r, qn, qk);
    }
  }
  p.devices.push_back(dev);
  // DRAM bandwidth as the simulator's host memory sees it: the large-size sweep rate.
  p.host_memory.bandwidth_bytes_per_s = mem.back().bytes_per_s;

  // Transfers between host tiers: alpha-beta fits of memcpy.
  std::vector<size_t> csizes = cfg.quick ? std::vector<size_t>{1 << 12, 1 << 16, 1 << 20, 1 << 23}
                                         : std::vector<size_t>{1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20,
                                                               1 << 22, 1 << 24, 1 << 26};
  for (bool pinned : {true, false}) {
    auto cp = keep(bench_memcpy(csizes, pinned, rc));
    std::vector<std::pair<double, double>> bs;
    for (const auto& r : cp) bs.emplace_back(r.bytes, r.seconds_median);
    AlphaBeta ab = fit_alpha_beta(bs);
    if (pinned) {
      p.links.push_back(LinkProfile{"memory_bus", ab.bandwidth_bytes_per_s, ab.alpha_seconds,
                                    "memcpy between mlock-ed buffers, alpha-beta fit (r2 " + std::to_string(ab.r2) + ")", {}});
    } else {
      p.host_memory.pageable_copy_bytes_per_s = ab.bandwidth_bytes_per_s;
    }
  }

  // Disk: O_DIRECT reads by block size and queue depth.
  std::string dir = cfg.scratch_dir.empty() ? std::string(PARALAB_SOURCE_DIR) + "/results" : cfg.scratch_dir;
  std::filesystem::create_directories(dir);
  std::string path = dir + "/paralab-calibrate-scratch." + std::to_string(::getpid());
  size_t file_bytes = cfg.quick ? (16u << 20) : (256u << 20);
  std::vector<size_t> blocks = cfg.quick ? std::vector<size_t>{1 << 16, 1 << 20}
                                         : std::vector<size_t>{1 << 12, 1 << 16, 1 << 18, 1 << 20, 1 << 22, 1 << 24};
  std::vector<int> qds = cfg.quick ? std::vector<int>{1, 4} : std::vector<int>{1, 4, 16};
  bool odirect = true;
  std::string note;
  auto disk = keep(bench_disk_read(path, file_bytes, blocks, qds, rc, &odirect, &note));
  disk_profile_from_results(disk, &p);
  p.disk.o_direct = odirect;
  p.disk.note = note;
  if (!odirect) p.notes.push_back("disk: " + note);

  // Collectives among MPI ranks on this host.
  if (cfg.mpi_ranks >= 2 && !cfg.paralab_binary.empty()) {
    try {
      p.collectives = launch_mpi_collective_calibration(cfg.paralab_binary, cfg.mpi_ranks, cfg.quick, dir);
      // The rank-to-rank path ("shm" links, two hops between cores): a ring
      // all-reduce of n = 2 ranks moves S/2 twice over it, so the link rate
      // is the busbw and the 4 hop latencies add up to the fitted alpha.
      for (const auto& c : p.collectives)
        if (c.kind == "all_reduce" && c.busbw_bytes_per_s > 0)
          p.links.push_back(LinkProfile{"shm", c.busbw_bytes_per_s, c.alpha_seconds / 4,
                                        "MPI all-reduce busbw fit over " + std::to_string(c.ranks) + " ranks", {},
                                        true});
    } catch (const std::exception& e) {
      p.notes.push_back(std::string("MPI collectives not measured: ") + e.what());
    }
  }
  p.notes.push_back("compute sweeps ran with " + std::to_string(busy) +
                    " other core(s) running the same kernel; figures are noisy if other jobs share the machine");
  if (raw) *raw = std::move(all);
  return p;
}

}  // namespace paralab::real
