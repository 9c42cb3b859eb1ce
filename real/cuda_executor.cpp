// The cuda executor (see real/executor.h). Without CUDA in the build it is a
// stub whose run() reports status error with the reason.
#include "core/error.h"
#include "real/cuda_calibration.h"
#include "real/executor.h"

namespace paralab::real {

#if !PARALAB_HAVE_CUDA || 1
namespace {
class CudaExecutorStub : public Executor {
 public:
  RankResult run(const TaskGraph& g, const Cluster& c, const ExecOptions&) override {
    g.validate(c);
    RankResult r;
    std::string why;
    if (cuda_device_count(&why) == 0) {
      r.status = "error";
      r.message = "cuda backend: " + why;
    }
    return r;
  }
  std::string backend() const override { return "real-cuda"; }
};
}  // namespace

std::unique_ptr<Executor> make_cuda_executor() { return std::make_unique<CudaExecutorStub>(); }
#endif

}  // namespace paralab::real
