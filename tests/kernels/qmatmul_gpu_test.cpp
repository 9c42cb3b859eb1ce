// CUDA kernels against their CPU references (qmatmul_cpu.h), with the
// tolerance |gpu - ref| <= atol + rtol * |ref| scaled by the data. Skips when
// the build has no CUDA or the machine no device.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/qmatmul_cpu.h"
#include "kernels/quantize.h"
#include "kernels/synthetic.h"
#if PARALAB_HAVE_CUDA
#include "kernels/qmatmul_cuda.h"
#endif

namespace paralab::kernels {
namespace {

#if PARALAB_HAVE_CUDA
// Max abs / rel error and the first mismatches, as llm.c's validate_result.
void validate(const std::vector<float>& gpu, const std::vector<float>& ref, double atol, double rtol,
              const std::string& what) {
  ASSERT_EQ(gpu.size(), ref.size());
  double max_abs = 0;
  int bad = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    double d = std::fabs(double(gpu[i]) - ref[i]);
    max_abs = std::max(max_abs, d);
    if (d > atol + rtol * std::fabs(ref[i]) && ++bad <= 5)
      ADD_FAILURE() << what << " mismatch at " << i << ": gpu " << gpu[i] << " cpu " << ref[i];
  }
  ::testing::Test::RecordProperty(what + "_max_abs_error", std::to_string(max_abs));
}

class QmatmulGpu : public ::testing::TestWithParam<const char*> {};

TEST_P(QmatmulGpu, MatchesCpuReference) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible (cudaGetDeviceCount found none)";
  const int64_t rows = 259, cols = 1024;  // rows not a multiple of the rows per block
  QuantFormat f = parse_quant_format(GetParam());
  auto w = synthetic_weights(rows, cols, 2);
  QuantizeOptions o;
  o.als_iterations = 2;
  QuantizedMatrix q = quantize(w.data(), rows, cols, f, o);
  DeviceQuantizedMatrix dq(q);
  std::vector<float> ref(rows * cols);
  dequantize_cpu(q, ref.data());
  DeviceFloats dw(rows * cols);
  dequantize_cuda(dq.view(), dw.data());
  validate(dw.to_host(), ref, 1e-7, 1e-6, "dequantize");
  for (int batch : {1, 3, 8, 17, 32}) {
    auto x = synthetic_activations(batch, cols, 4);
    std::vector<float> y(batch * rows);
    qgemv_cpu(q, x.data(), batch, y.data());
    DeviceFloats dx(x), dy(batch * rows);
    qgemv_cuda(dq.view(), dx.data(), batch, dy.data());
    validate(dy.to_host(), y, 1e-4, 1e-4, "qgemv batch " + std::to_string(batch));
  }
  const int64_t tokens = 70;
  auto x = synthetic_activations(tokens, cols, 6);
  std::vector<float> y(tokens * rows);
  qgemm_cpu(q, x.data(), tokens, y.data());
  DeviceFloats dx(x), dy(tokens * rows), ws(rows * cols);
  qgemm_cuda(dq.view(), dx.data(), tokens, dy.data(), ws.data());
  validate(dy.to_host(), y, 1e-3, 1e-3, "qgemm");  // cuBLAS may use TF32-free but reordered sums
}

INSTANTIATE_TEST_SUITE_P(Formats, QmatmulGpu,
                         ::testing::Values("rtn-b4-g64", "rtn-b4-g128", "rtn-b8-g128", "rtn-b3-g128", "lcq-r1-b4-g128",
                                           "lcq-r2-b3-g128", "lcq-r4-b2-g64", "lcq-r2-b4-g64-dq"));

TEST(QmatmulGpuLaunch, RejectsBadShapes) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible (cudaGetDeviceCount found none)";
  auto w = synthetic_weights(8, 128, 1);
  QuantizedMatrix q = quantize(w.data(), 8, 128, parse_quant_format("rtn-b4-g128"));
  DeviceQuantizedMatrix dq(q);
  DeviceFloats x(33 * 128), y(33 * 8);
  EXPECT_THROW(qgemv_cuda(dq.view(), x.data(), 33, y.data()), std::invalid_argument);
  EXPECT_THROW(qgemv_cuda(dq.view(), x.data() + 1, 1, y.data()), std::invalid_argument);  // misaligned x
}
#else
TEST(QmatmulGpu, Skipped) { GTEST_SKIP() << "built without CUDA (nvcc not found)"; }
#endif

}  // namespace
}  // namespace paralab::kernels
