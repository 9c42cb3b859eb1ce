// CPU paths of kernels/: dequantize, fused dequantize-GEMV (decode) and
// dequantize-GEMM (prefill) for INT4 g64/g128 and LCQ, plus the quantizers.
// Counters: bytes_per_second counts the quantized weight bytes read
// (layer_bytes) plus activations and outputs; FLOP/s counts 2*rows*cols*batch.
// Each case runs one untimed correctness pass (the fused GEMV against
// dequantize + a plain dot product) before timing.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>

#include "kernels/qmatmul_cpu.h"
#include "kernels/quantize.h"
#include "kernels/synthetic.h"

namespace {

using namespace paralab::kernels;

struct Case {
  QuantizedMatrix q;
  std::vector<float> x;
};

// One quantized matrix per (format, shape), built once.
const Case& get_case(const std::string& format, int64_t rows, int64_t cols) {
  static std::map<std::string, std::unique_ptr<Case>> cache;
  std::string key = format + "/" + std::to_string(rows) + "x" + std::to_string(cols);
  auto& c = cache[key];
  if (!c) {
    c = std::make_unique<Case>();
    auto w = synthetic_weights(rows, cols, 1);
    QuantizeOptions o;
    o.als_iterations = 2;
    c->q = quantize(w.data(), rows, cols, parse_quant_format(format), o);
    c->x = synthetic_activations(512, cols, 1);
    // Untimed correctness pass: row 0 of the fused GEMV vs dequantize + dot.
    std::vector<float> wh(rows * cols), y(rows);
    dequantize_cpu(c->q, wh.data());
    qgemv_cpu(c->q, c->x.data(), 1, y.data());
    double ref = 0;
    for (int64_t k = 0; k < cols; ++k) ref += double(wh[k]) * c->x[k];
    if (std::fabs(y[0] - ref) > 1e-3 * (1 + std::fabs(ref))) std::abort();
  }
  return *c;
}

void set_counters(benchmark::State& st, const QuantizedMatrix& q, int64_t tokens, bool writes_weights) {
  const double rows = double(q.rows), cols = double(q.cols), tok = double(tokens);
  double bytes = double(layer_bytes(q.format, q.rows, q.cols)) + 4.0 * tok * (cols + rows);
  if (writes_weights) bytes = double(layer_bytes(q.format, q.rows, q.cols)) + 4.0 * rows * cols;
  st.SetBytesProcessed(static_cast<int64_t>(bytes * double(st.iterations())));
  st.counters["FLOP/s"] = benchmark::Counter(2.0 * rows * cols * tok * double(st.iterations()),
                                             benchmark::Counter::kIsRate);
  st.SetLabel(q.format.name());
}

const char* const kFormats[] = {"rtn-b4-g64", "rtn-b4-g128", "lcq-r2-b3-g128", "lcq-r4-b2-g128"};

void BM_Dequantize(benchmark::State& st) {
  const Case& c = get_case(kFormats[st.range(0)], 4096, 4096);
  std::vector<float> out(c.q.rows * c.q.cols);
  for (auto _ : st) {
    dequantize_cpu(c.q, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(st, c.q, 0, true);
}
BENCHMARK(BM_Dequantize)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

void BM_Gemv(benchmark::State& st) {
  const Case& c = get_case(kFormats[st.range(0)], 4096, 4096);
  const int batch = static_cast<int>(st.range(1));
  std::vector<float> y(batch * c.q.rows);
  for (auto _ : st) {
    qgemv_cpu(c.q, c.x.data(), batch, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_counters(st, c.q, batch, false);
}
BENCHMARK(BM_Gemv)->ArgsProduct({{0, 1, 2, 3}, {1, 4, 8, 16, 32}})->Unit(benchmark::kMillisecond);

void BM_Gemm(benchmark::State& st) {
  const Case& c = get_case(kFormats[st.range(0)], 4096, 4096);
  const int64_t tokens = st.range(1);
  std::vector<float> y(tokens * c.q.rows);
  for (auto _ : st) {
    qgemm_cpu(c.q, c.x.data(), tokens, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  set_counters(st, c.q, tokens, false);
}
BENCHMARK(BM_Gemm)->ArgsProduct({{1, 2}, {1, 4, 8, 16, 32, 128, 512}})->Unit(benchmark::kMillisecond);

void BM_QuantizeRtn(benchmark::State& st) {
  auto w = synthetic_weights(1024, 4096, 2);
  QuantFormat f = parse_quant_format("rtn-b4-g128");
  for (auto _ : st) benchmark::DoNotOptimize(quantize(w.data(), 1024, 4096, f).codes.data());
  st.SetItemsProcessed(int64_t(1024) * 4096 * st.iterations());
}
BENCHMARK(BM_QuantizeRtn)->Unit(benchmark::kMillisecond);

// One LCQ ALS iteration (assign, coefficients, basis) on 1024 x 4096.
void BM_LcqAlsIteration(benchmark::State& st) {
  auto w = synthetic_weights(1024, 4096, 2);
  const int bits = static_cast<int>(st.range(0)), rank = static_cast<int>(st.range(1));
  LcqCodebook cb = lcq_init_rtn(w.data(), 1024, 4096, bits, 128);
  if (rank > 1) cb = lcq_add_rank(cb, rank, 1);
  for (auto _ : st) lcq_als(w.data(), cb, 1);
  st.SetItemsProcessed(int64_t(1024) * 4096 * st.iterations());
  st.SetLabel("lcq-r" + std::to_string(rank) + "-b" + std::to_string(bits) + "-g128");
}
BENCHMARK(BM_LcqAlsIteration)->ArgsProduct({{2, 4}, {1, 4}})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
