// LCQ on a layer-sized matrix (1024 x 4096, ~5 s on 2 cores): the
// invariants of lcq_test.cpp at scale, and the stored format's error
// ordering the README table reports.
#include <gtest/gtest.h>

#include "kernels/quantize.h"
#include "kernels/rtn.h"
#include "kernels/synthetic.h"

namespace paralab::kernels {
namespace {

TEST(LcqSlow, LayerSizedChainIsMonotoneAndBeatsRtn) {
  const int64_t rows = 1024, cols = 4096, tokens = 128;
  auto w = synthetic_weights(rows, cols, 21);
  auto x = synthetic_activations(tokens, cols, 21);
  for (int bits : {2, 3}) {
    QuantizeOptions o;
    o.als_iterations = 8;
    o.calib_x = x.data();
    o.calib_tokens = tokens;
    auto chain = lcq_fit_chain(w.data(), rows, cols, bits, 128, 4, o);
    auto h = activation_col_weight(x.data(), tokens, cols);
    double prev = lcq_weight_sse(w.data(), lcq_init_rtn(w.data(), rows, cols, bits, 128), h.data());
    for (const auto& cb : chain) {
      double s = lcq_weight_sse(w.data(), cb, h.data());
      EXPECT_LE(s, prev) << "bits " << bits << " rank " << cb.rank;
      prev = s;
    }
    QuantError rtn = measure_quant_error(
        w.data(), quantize_rtn(w.data(), rows, cols, QuantFormat{QuantKind::kRtn, bits, 128, 1, false}), x.data(),
        tokens);
    QuantError lcq = measure_quant_error(w.data(), lcq_store(w.data(), chain[1], false), x.data(), tokens);
    EXPECT_LT(lcq.output_relative_error, rtn.output_relative_error) << "bits " << bits;
  }
}

}  // namespace
}  // namespace paralab::kernels
