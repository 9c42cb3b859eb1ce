#include "real/cuda_calibration.h"

#include <unistd.h>

#include <ctime>
#include <filesystem>

#include "core/error.h"
#include "real/check.h"
#include "real/fit.h"
#include "real/host_calibration.h"
#include "real/host_ops.h"
#include "real/nccl_sweep.h"

#if PARALAB_HAVE_CUDA
#include "kernels/qmatmul_cuda.h"
#include "kernels/quant_format.h"
#include "kernels/synthetic.h"
#include "real/cuda_kernels.h"
#endif

namespace paralab::real {

#if !PARALAB_HAVE_CUDA
int cuda_device_count(std::string* reason) {
  if (reason) *reason = "this paralab was built without CUDA (nvcc not found at configure time)";
  return 0;
}

HardwareProfile calibrate_cuda(const CudaCalibrationConfig&, std::vector<BenchResult>*) {
  std::string why;
  cuda_device_count(&why);
  throw InputError("calibrate --backend cuda: " + why);
}
#else

int cuda_device_count(std::string* reason) {
  int n = 0;
  cudaError_t rc = cudaGetDeviceCount(&n);
  if (rc != cudaSuccess) {
    cudaGetLastError();
    if (reason) *reason = std::string("no usable CUDA device: ") + cudaGetErrorString(rc);
    return 0;
  }
  if (n == 0 && reason) *reason = "no CUDA device visible (cudaGetDeviceCount = 0)";
  return n;
}

namespace {

// Times `work` (enqueued on `s`) with CUDA events; seconds.
template <typename F>
double event_time(cudaStream_t s, F&& work) {
  cudaEvent_t a, b;
  CUDA_CHECK(cudaEventCreate(&a));
  CUDA_CHECK(cudaEventCreate(&b));
  CUDA_CHECK(cudaEventRecord(a, s));
  work();
  CUDA_CHECK(cudaEventRecord(b, s));
  CUDA_CHECK(cudaEventSynchronize(b));
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
  CUDA_CHECK(cudaEventDestroy(a));
  CUDA_CHECK(cudaEventDestroy(b));
  return ms * 1e-3;
}

struct DevBuf {
  void* p = nullptr;
  explicit DevBuf(size_t bytes) {
    CUDA_CHECK(cudaMalloc(&p, bytes));
    CUDA_CHECK(cudaMemset(p, 0, bytes));
  }
  ~DevBuf() { cudaFree(p); }
};

struct PinnedBuf {
  void* p = nullptr;
  explicit PinnedBuf(size_t bytes) { CUDA_CHECK(cudaHostAlloc(&p, bytes, cudaHostAllocDefault)); }
  ~PinnedBuf() { cudaFreeHost(p); }
};

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

HardwareProfile calibrate_cuda(const CudaCalibrationConfig& cfg, std::vector<BenchResult>* raw) {
  std::string why;
  if (cuda_device_count(&why) == 0) throw InputError("calibrate --backend cuda: " + why);
  CUDA_CHECK(cudaSetDevice(0));
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  HardwareProfile p;
  p.name = cfg.name;
  p.backend = "cuda";
  p.created_at = now_utc();
  p.machine = host_machine_json();
  p.machine["gpu"] = prop.name;
  p.machine["gpu_memory_bytes"] = double(prop.totalGlobalMem);
  // The device from its own attributes (an H200 is 141 GB at 4.8 TB/s, not
  // an H100's 80 GB at 3.35): HBM peak = 2 (DDR) x memory clock x bus width.
  int clock_khz = 0, bus_bits = 0, l2 = 0, sms = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, 0));
  CUDA_CHECK(cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, 0));
  CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, 0));
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  p.machine["gpu_peak_memory_bytes_per_s"] = 2.0 * clock_khz * 1e3 * bus_bits / 8.0;
  p.machine["gpu_l2_bytes"] = l2;
  p.machine["gpu_sm_count"] = sms;
  p.machine["gpu_compute_capability"] = std::to_string(prop.major) + "." + std::to_string(prop.minor);
  p.machine["gpu_count"] = cuda_device_count(nullptr);
  std::vector<BenchResult> all;
  RunnerConfig rc;
  rc.warmup = 2;
  rc.repetitions = cfg.quick ? 3 : 5;
  rc.min_total_seconds = cfg.quick ? 0.01 : 0.05;
  cudaStream_t s;
  CUDA_CHECK(cudaStreamCreate(&s));
  cublasHandle_t h;
  CUBLAS_CHECK(cublasCreate(&h));
  CUBLAS_CHECK(cublasSetStream(h, s));

  // GEMMs by dtype and shape.
  DeviceProfile dev;
  dev.kind = "gpu";
  dev.model = prop.name;
  std::vector<int64_t> sizes = cfg.quick ? std::vector<int64_t>{256, 1024, 2048}
                                         : std::vector<int64_t>{128, 256, 512, 1024, 2048, 4096, 8192};
  int64_t maxn = sizes.back();
  DevBuf a(size_t(maxn * maxn * 4)), b(size_t(maxn * maxn * 4)), c(size_t(maxn * maxn * 4));
  struct Dt {
    const char* name;
    cudaDataType_t data;
    cublasComputeType_t compute;
  };
  std::vector<std::pair<double, double>> curve_pts;
  for (Dt dt : {Dt{"fp32", CUDA_R_32F, CUBLAS_COMPUTE_32F}, Dt{"tf32", CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32},
                Dt{"fp16", CUDA_R_16F, CUBLAS_COMPUTE_32F}, Dt{"bf16", CUDA_R_16BF, CUBLAS_COMPUTE_32F}}) {
    double best = 0;
    std::vector<std::pair<double, double>> pts;
    for (int64_t n : sizes) {
      Benchmark bm;
      bm.name = std::string("cublas_gemm_") + dt.name;
      bm.shape = "m=n=k=" + std::to_string(n);
      bm.size = bm.flops = 2.0 * double(n) * double(n) * double(n);
      bm.timed_run = [&] {
        float alpha = 1, beta = 0;
        return event_time(s, [&] {
          CUBLAS_CHECK(cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, int(n), int(n), int(n), &alpha, a.p, dt.data, int(n),
                                    b.p, dt.data, int(n), &beta, c.p, dt.data, int(n), dt.compute, CUBLAS_GEMM_DEFAULT));
        });
      };
      BenchResult r = run_benchmark(bm, rc);
      all.push_back(r);
      pts.emplace_back(r.flops, r.best_flops_per_s);
      best = std::max(best, r.best_flops_per_s);
    }
    dev.peak_flops_per_s[dt.name] = best;
    if (std::string(dt.name) == "bf16") {
      dev.gemm_efficiency_curve = efficiency_curve(pts, best);
    }
  }

  // Device memory bandwidth (read + write sweep). The largest working set
  // (source + destination) is 512 MiB, far beyond any L2 (40-60 MB on
  // A100-H200), so the best rate is HBM's, not the cache's.
  std::vector<size_t> mem_sizes = cfg.quick ? std::vector<size_t>{1 << 20, 1 << 29}
                                            : std::vector<size_t>{1 << 16, 1 << 20, 1 << 24, 1 << 27, 1 << 29};
  {
    size_t maxb = mem_sizes.back();
    DevBuf src(maxb / 2), dst(maxb / 2);
    std::vector<std::pair<double, double>> pts;
    double best = 0;
    for (size_t bytes : mem_sizes) {
      Benchmark bm;
      bm.name = "device_memory_sweep";
      bm.shape = "bytes=" + std::to_string(bytes);
      bm.size = bm.bytes = double(bytes);
      bm.timed_run = [&] {
        return event_time(s, [&] {
          launch_memory_sweep(static_cast<float*>(dst.p), static_cast<const float*>(src.p), bytes / 8, s);
        });
      };
      BenchResult r = run_benchmark(bm, rc);
      all.push_back(r);
      pts.emplace_back(r.bytes, r.best_bytes_per_s);
      best = std::max(best, r.best_bytes_per_s);
    }
    dev.memory_bandwidth_bytes_per_s = best;
    dev.memory_efficiency_curve = efficiency_curve(pts, best);
  }
  // Weight-only quantized GEMMs: the kernels the CUDA executor runs for
  // them (kernels/qmatmul.cu: the fused dequantize-GEMV up to 32 rows,
  // dequantize + cuBLAS above), per format and row count, on an 8192 x 4096
  // synthetic matrix whose copies, issued in turn, exceed twice the L2; the
  // simulator prices such ops by these points (seconds per stored weight).
  {
    const std::vector<int64_t> rows = cfg.quick ? std::vector<int64_t>{1, 4, 32, 33}
                                                : std::vector<int64_t>{1, 4, 16, 32, 33, 128};
    const int64_t qn = 8192, qk = 4096;
    const int64_t max_m = rows.back();
    DevBuf x(size_t(max_m * qk * 4)), y(size_t(max_m * qn * 4)), work(size_t(qn * qk * 4));
    for (const std::string& name : {std::string("rtn-b4-g128"), std::string("rtn-b4-g64")}) {
      const kernels::QuantFormat f = kernels::parse_quant_format(name);
      const kernels::QuantizedMatrix host = kernels::synthetic_quantized_matrix(f, qn, qk);
      const auto copies = kernels::device_rotation_copies(host, l2, 2);
      size_t next = 0;
      std::vector<BenchResult> rs;
      for (int64_t m : rows) {
        Benchmark bm;
        bm.name = "quantized_gemm_cuda";
        bm.shape = "format=" + name + " m=" + std::to_string(m) + " n=" + std::to_string(qn) + " k=" +
                   std::to_string(qk);
        bm.size = double(m);
        bm.flops = 2.0 * double(m) * double(qn) * double(qk);
        bm.bytes = double(host.stored_bytes()) + 4.0 * double(m) * double(qn + qk);
        bm.timed_run = [&] {
          const kernels::QuantizedMatrixView& q = copies[next++ % copies.size()]->view();
          return event_time(s, [&] {
            if (m <= 32)
              kernels::qgemv_cuda(q, static_cast<const float*>(x.p), int(m), static_cast<float*>(y.p), s);
            else
              kernels::qgemm_cuda(q, static_cast<const float*>(x.p), m, static_cast<float*>(y.p),
                                  static_cast<float*>(work.p), s);
          });
        };
        rs.push_back(run_benchmark(bm, rc));
      }
      all.insert(all.end(), rs.begin(), rs.end());
      dev.quantized_gemm_seconds_per_weight[name] = quantized_points_from_results(rows, rs, qn, qk);
    }
  }

  // Launch overhead: an empty-ish kernel's time.
  {
    DevBuf x(4096);
    Benchmark bm;
    bm.name = "launch";
    bm.shape = "one tiny kernel";
    bm.timed_run = [&] {
      return event_time(s, [&] { launch_memory_sweep(static_cast<float*>(x.p), static_cast<const float*>(x.p), 1, s); });
    };
    BenchResult r = run_benchmark(bm, rc);
    all.push_back(r);
    dev.launch_overhead_seconds = r.seconds_min;
  }
  p.devices.push_back(dev);

  // Host <-> device copies, pinned and pageable, by size.
  std::vector<size_t> copy_sizes = cfg.quick ? std::vector<size_t>{1 << 12, 1 << 20, 1 << 24}
                                             : std::vector<size_t>{1 << 12, 1 << 16, 1 << 20, 1 << 22, 1 << 24, 1 << 26, 1 << 28};
  {
    size_t maxb = copy_sizes.back();
    DevBuf d(maxb);
    PinnedBuf pin(maxb);
    HostBuffer pageable(maxb, false);
    for (bool pinned : {true, false})
      for (bool h2d : {true, false}) {
        std::vector<std::pair<double, double>> pts;
        for (size_t bytes : copy_sizes) {
          Benchmark bm;
          bm.name = std::string(h2d ? "h2d_" : "d2h_") + (pinned ? "pinned" : "pageable");
          bm.shape = "bytes=" + std::to_string(bytes);
          bm.size = bm.bytes = double(bytes);
          void* host = pinned ? pin.p : pageable.data();
          bm.timed_run = [&] {
            return event_time(s, [&] {
              CUDA_CHECK(cudaMemcpyAsync(h2d ? d.p : host, h2d ? host : d.p, bytes,
                                         h2d ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost, s));
            });
          };
          BenchResult r = run_benchmark(bm, rc);
          all.push_back(r);
          pts.emplace_back(r.bytes, r.seconds_min);
        }
        AlphaBeta ab = fit_alpha_beta(pts);
        // The GPU's PCIe path only: NIC and SSD links are "pcie" links too,
        // and keep their own figures.
        if (pinned && h2d)
          p.links.push_back({"pcie", ab.bandwidth_bytes_per_s, ab.alpha_seconds,
                             "H2D pinned cudaMemcpyAsync alpha-beta fit (r2 " + std::to_string(ab.r2) + ")",
                             {"nic", "disk"}});
        if (!pinned && h2d) p.host_memory.pageable_copy_bytes_per_s = ab.bandwidth_bytes_per_s;
      }
  }

  // Host DRAM and the disk, as on the host backend.
  auto mem = bench_memory_sweep({1 << 24, 1 << 26}, rc, 0);
  all.insert(all.end(), mem.begin(), mem.end());
  p.host_memory.bandwidth_bytes_per_s = mem.back().best_bytes_per_s;
  std::string dir = cfg.scratch_dir.empty() ? std::string(PARALAB_SOURCE_DIR) + "/results" : cfg.scratch_dir;
  std::filesystem::create_directories(dir);
  bool odirect = true;
  std::string note;
  auto disk = bench_disk_read(dir + "/paralab-cuda-calibrate-scratch." + std::to_string(::getpid()),
                              cfg.quick ? (64u << 20) : (512u << 20), {1 << 20, 1 << 22}, {1, 4, 16}, rc, &odirect, &note);
  all.insert(all.end(), disk.begin(), disk.end());
  disk_profile_from_results(disk, &p);  // one reader's rate, as on the host backend
  p.disk.o_direct = odirect;
  p.disk.note = note;
  int n = cuda_device_count(nullptr);
  if (n < 2) {
    p.notes.push_back("NCCL collectives not measured: " + std::to_string(n) + " GPU visible");
  } else {
    std::vector<size_t> csizes = cfg.quick ? std::vector<size_t>{size_t(1) << 20, size_t(16) << 20, size_t(128) << 20}
                                           : std::vector<size_t>{size_t(1) << 16, size_t(1) << 20, size_t(1) << 23,
                                                                 size_t(64) << 20, size_t(256) << 20};
    try {
      p.collectives = nccl_collective_sweep(n, csizes, rc, &all);
      // GPU to GPU: a ring all-reduce moves 2(n-1)/n S over each GPU's link,
      // so the link rate is the busbw; its 2(n-1) steps share the alpha.
      for (const auto& fit : p.collectives)
        if (fit.kind == "all_reduce" && fit.busbw_bytes_per_s > 0)
          p.links.push_back({"nvlink", fit.busbw_bytes_per_s, fit.alpha_seconds / (2.0 * (n - 1)),
                             "NCCL all-reduce busbw fit over " + std::to_string(n) + " GPUs", {}, true});
    } catch (const std::exception& e) {
      p.notes.push_back(std::string("NCCL collectives not measured: ") + e.what());
    }
  }
  for (const auto& r : all)
    if (!r.check_ok) p.notes.push_back(r.name + " " + r.shape + ": " + r.check_message);
  cublasDestroy(h);
  cudaStreamDestroy(s);
  if (raw) *raw = std::move(all);
  return p;
}
#endif

}  // namespace paralab::real
