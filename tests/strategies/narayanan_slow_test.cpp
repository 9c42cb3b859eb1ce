// The held-out pipelined rows, 39B on 512 GPUs to 1T on 3072 GPUs.
#include "tests/strategies/narayanan_rows.h"

namespace paralab {
namespace {

TEST(NarayananSlow, HeldOutPipelinedRowsWithin10Percent) {
  for (const NarayananRow& r : narayanan_rows())
    if (r.pp > 1) {
      EXPECT_LT(std::fabs(narayanan_error(r)), 0.10) << r.model;
    }
}

}  // namespace
}  // namespace paralab
