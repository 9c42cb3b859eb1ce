// The decode-path target: the fused INT4 g128 dequant-GEMV at batch 1 must
// stream its weights at >= 70% of the device's peak memory bandwidth.
// Peak = 2 (DDR) x memory clock x bus width / 8, from the device's own
// attributes. Achieved = bytes the kernel must read and write (packed codes,
// fp16 scales and zeros, x, y) / time per call, averaged over 50 calls after
// warm-up. Prints both figures (real/gpu_check.sh keeps them); skips without
// a device.
#include <gtest/gtest.h>

#include <cstdio>

#include "kernels/quant_format.h"
#include "kernels/quantize.h"
#include "kernels/synthetic.h"
#if PARALAB_HAVE_CUDA
#include <cuda_runtime.h>

#include "kernels/qmatmul_cuda.h"
#endif

namespace paralab::kernels {
namespace {

#if PARALAB_HAVE_CUDA
TEST(QgemvBandwidthGpu, Int4Batch1ReachesSeventyPercentOfPeak) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible (cudaGetDeviceCount found none)";
  int dev = 0, clock_khz = 0, bus_bits = 0;
  ASSERT_EQ(cudaGetDevice(&dev), cudaSuccess);
  ASSERT_EQ(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, dev), cudaSuccess);
  ASSERT_EQ(cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, dev), cudaSuccess);
  double peak_bytes_per_s = 2.0 * clock_khz * 1e3 * bus_bits / 8.0;
  ASSERT_GT(peak_bytes_per_s, 0);

  const int64_t rows = 8192, cols = 8192;  // 32 MiB of INT4 codes: well past L2
  QuantFormat f = parse_quant_format("rtn-b4-g128");
  auto w = synthetic_weights(rows, cols, 11);
  QuantizedMatrix q = quantize(w.data(), rows, cols, f);
  DeviceQuantizedMatrix dq(q);
  auto x = synthetic_activations(1, cols, 12);
  DeviceFloats dx(x), dy(rows);
  for (int i = 0; i < 5; ++i) qgemv_cuda(dq.view(), dx.data(), 1, dy.data());
  cudaEvent_t start, stop;
  ASSERT_EQ(cudaEventCreate(&start), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&stop), cudaSuccess);
  const int calls = 50;
  cudaEventRecord(start);
  for (int i = 0; i < calls; ++i) qgemv_cuda(dq.view(), dx.data(), 1, dy.data());
  cudaEventRecord(stop);
  ASSERT_EQ(cudaEventSynchronize(stop), cudaSuccess);
  float ms = 0;
  cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  double seconds = ms * 1e-3 / calls;
  double bytes = double(layer_bytes(f, rows, cols)) + 4.0 * cols + 4.0 * rows;
  double achieved = bytes / seconds;
  std::printf("qgemv rtn-b4-g128 %lldx%lld batch 1: %.1f us, %.1f GB/s of %.1f GB/s peak (%.1f%%)\n",
              static_cast<long long>(rows), static_cast<long long>(cols), seconds * 1e6, achieved / 1e9,
              peak_bytes_per_s / 1e9, 100 * achieved / peak_bytes_per_s);
  RecordProperty("achieved_bytes_per_s", std::to_string(achieved));
  RecordProperty("peak_bytes_per_s", std::to_string(peak_bytes_per_s));
  EXPECT_GE(achieved, 0.7 * peak_bytes_per_s);
}
#else
TEST(QgemvBandwidthGpu, Skipped) { GTEST_SKIP() << "built without CUDA (nvcc not found)"; }
#endif

}  // namespace
}  // namespace paralab::kernels
