#include "real/nccl_sweep.h"

#if PARALAB_HAVE_CUDA && PARALAB_HAVE_NCCL
#include <chrono>
#include <vector>

#include "real/check.h"
#include "real/fit.h"
#include "real/nccl_lazy.h"

namespace paralab::real {

namespace {

struct Gpus {
  std::vector<ncclComm_t> comms;
  std::vector<cudaStream_t> streams;
  std::vector<float*> send, recv;
  ~Gpus() {
    for (size_t i = 0; i < streams.size(); ++i) {
      cudaSetDevice(int(i));
      cudaStreamSynchronize(streams[i]);
      cudaFree(send[i]);
      cudaFree(recv[i]);
      cudaStreamDestroy(streams[i]);
    }
    for (auto c : comms)
      if (c) nccl_api().CommDestroy(c);
  }
};

void sync_all(const Gpus& g) {
  for (size_t i = 0; i < g.streams.size(); ++i) {
    CUDA_CHECK(cudaSetDevice(int(i)));
    CUDA_CHECK(cudaStreamSynchronize(g.streams[i]));
  }
}

}  // namespace

std::vector<CollectiveProfile> nccl_collective_sweep(int n, const std::vector<size_t>& sizes, const RunnerConfig& rc,
                                                     std::vector<BenchResult>* raw) {
  const NcclApi& nccl = nccl_api();
  size_t max_bytes = 0;
  for (size_t b : sizes) max_bytes = std::max(max_bytes, b);
  Gpus g;
  g.comms.assign(n, nullptr);
  std::vector<int> devs(n);
  for (int i = 0; i < n; ++i) devs[i] = i;
  NCCL_CHECK(nccl.CommInitAll(g.comms.data(), n, devs.data()));
  for (int i = 0; i < n; ++i) {
    CUDA_CHECK(cudaSetDevice(i));
    cudaStream_t s;
    CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    g.streams.push_back(s);
    float *a = nullptr, *b = nullptr;
    CUDA_CHECK(cudaMalloc(&a, max_bytes));
    CUDA_CHECK(cudaMalloc(&b, max_bytes));
    g.send.push_back(a);
    g.recv.push_back(b);
    std::vector<float> fill(max_bytes / 4, float(i + 1));
    CUDA_CHECK(cudaMemcpy(a, fill.data(), max_bytes, cudaMemcpyHostToDevice));
  }
  std::vector<CollectiveProfile> out;
  for (const char* kind : {"all_reduce", "all_gather", "reduce_scatter"}) {
    const std::string k = kind;
    CollectiveProfile cp;
    cp.kind = k;
    cp.ranks = n;
    cp.transport = "nccl";
    std::vector<std::pair<double, double>> fit_pts;
    for (size_t bytes : sizes) {
      const size_t count = bytes / 4, per = count / n;
      Benchmark b;
      b.name = "nccl_" + k;
      b.shape = "bytes=" + std::to_string(bytes) + " gpus=" + std::to_string(n);
      b.size = b.bytes = double(bytes);
      b.timed_run = [&] {
        sync_all(g);
        auto t0 = std::chrono::steady_clock::now();
        NCCL_CHECK(nccl.GroupStart());
        for (int i = 0; i < n; ++i) {
          if (k == "all_reduce")
            NCCL_CHECK(nccl.AllReduce(g.send[i], g.recv[i], count, ncclFloat, ncclSum, g.comms[i], g.streams[i]));
          else if (k == "all_gather")
            NCCL_CHECK(nccl.AllGather(g.send[i], g.recv[i], per, ncclFloat, g.comms[i], g.streams[i]));
          else
            NCCL_CHECK(nccl.ReduceScatter(g.send[i], g.recv[i], per, ncclFloat, ncclSum, g.comms[i], g.streams[i]));
        }
        NCCL_CHECK(nccl.GroupEnd());
        sync_all(g);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      };
      if (k == "all_reduce")
        b.check = [&]() -> std::string {
          float got = 0, want = float(n) * float(n + 1) / 2;  // sum of (rank + 1)
          CUDA_CHECK(cudaSetDevice(0));
          CUDA_CHECK(cudaMemcpy(&got, g.recv[0] + count - 1, 4, cudaMemcpyDeviceToHost));
          return got == want ? "" : "all_reduce result " + std::to_string(got) + ", expected " + std::to_string(want);
        };
      BenchResult r = run_benchmark(b, rc);
      if (raw) raw->push_back(r);
      double algbw = r.bytes / r.seconds_median;
      cp.points.push_back({r.bytes, r.seconds_median, algbw, algbw * busbw_factor(k, n)});
      fit_pts.emplace_back(r.bytes * busbw_factor(k, n), r.seconds_median);  // T = alpha + factor S / busbw
    }
    if (fit_pts.size() >= 2) {
      AlphaBeta ab = fit_alpha_beta(fit_pts);
      cp.alpha_seconds = ab.alpha_seconds;
      cp.busbw_bytes_per_s = ab.bandwidth_bytes_per_s;
    }
    out.push_back(cp);
  }
  return out;
}

}  // namespace paralab::real
#else
#include "real/check.h"

namespace paralab::real {

std::vector<CollectiveProfile> nccl_collective_sweep(int, const std::vector<size_t>&, const RunnerConfig&,
                                                     std::vector<BenchResult>*) {
  throw RealError("this paralab was built without CUDA and NCCL headers");
}

}  // namespace paralab::real
#endif
