// The held-out rows that simulate in well under a second (no pipeline).
#include "tests/strategies/narayanan_rows.h"

namespace paralab {
namespace {

TEST(Narayanan, HeldOutRowsWithoutPipelineWithin10Percent) {
  for (int i = 0; i < 4; ++i) {
    const NarayananRow& r = narayanan_rows()[i];
    ASSERT_EQ(r.pp, 1) << r.model;
    EXPECT_LT(std::fabs(narayanan_error(r)), 0.10) << r.model;
  }
}

}  // namespace
}  // namespace paralab
