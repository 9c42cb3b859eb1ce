#include "real/cuda_calibration.h"

#include "core/error.h"


namespace paralab::real {

#if !PARALAB_HAVE_CUDA || 1
int cuda_device_count(std::string* reason) {
  if (reason) *reason = "this paralab was built without CUDA (nvcc not found at configure time)";
  return 0;
}

HardwareProfile calibrate_cuda(const CudaCalibrationConfig&, std::vector<BenchResult>*) {
  std::string why;
  cuda_device_count(&why);
  throw InputError("calibrate --backend cuda: " + why);
}
#endif

}  // namespace paralab::real
