// FlexGen's own analytic cost model (experimental/cost_model.py of
// FMInference/FlexLLMGen, transcribed in shared/REFERENCES.md Part B 2.3),
// reimplemented as an estimator separate from the simulator, with its
// fitted T4 constants, and its policy search (2.4).
//
// Per block (l blocks, hidden h1, FFN h2, nh heads, prompt s, n generated,
// block size bls = gbs x nb, fp16 block weights wi = 8 h1^2 + 4 h1 h2 bytes,
// /4 when compressed):
//   Tpre >= max(ctog_p + dtoc_p, gtoc_p + ctod_p, comp_p)
//   Tgen >= ctog_g + max(gtoc_g, dtoc_g, ctod_g, comp_g)
//   T = Tpre * l + Tgen * (n - 1) * l;  throughput = bls * n / T
// with the terms exactly as REFERENCES lists them (attention over a
// CPU-held cache is computed on the CPU at F_cpu,eff). Memory per tier with
// the capacities relaxed by alpha = 0.8.
// Policy search: for each gbs in 1, 2, 3, 4, 8, 16, ... and nb = 1, 2, ...
// (stopping when throughput drops or nothing fits), the placement that
// minimises T / bls under the memory constraints — an LP, because every
// term is affine in the placement fractions for a fixed (gbs, nb). FlexGen
// solves it with PuLP/CBC; here with COIN-OR Clp (CBC's LP engine).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <utility>

#include "core/cluster.h"

namespace paralab {

struct FlexGenConstants {  // bytes/s and FLOP/s
  double ctog, gtoc_cache, gtoc_hidden, dtoc, ctod_cache_p, ctod_hidden_p, ctod_g;
  double mm_p, mm_g, bmm_p, bmm_g, cpu;
  double c1, c2, c3;
  double gmem, cmem, nmem;  // bytes
};
// FlexGen's defaults "aligned on google cloud T4" (GB = 2^30, T = 1e12).
FlexGenConstants flexgen_t4_constants();

struct FlexGenModelDims {
  int64_t layers = 0, h1 = 0, h2 = 0, heads = 0;
};

struct FlexGenPolicy {
  int64_t gbs = 4, nb = 1;
  double wg = 0, wc = 1, cg = 0, cc = 1, hg = 0, hc = 1;  // disk gets the rest of each triple
  bool compress_weight = false;
};

struct FlexGenEstimate {
  double t_pre_layer = 0, t_gen_layer = 0, total_seconds = 0, tokens_per_second = 0;
  double gpu_peak_bytes = 0, cpu_peak_bytes = 0, nvme_bytes = 0;
  bool fits = false;
};

FlexGenEstimate flexgen_estimate(const FlexGenModelDims& m, int64_t s, int64_t n, const FlexGenPolicy& p,
                                 const FlexGenConstants& hw, double alpha = 0.8);

// Best placement for p's (gbs, nb) by the LP; .second.fits is false when
// nothing fits.
std::pair<FlexGenPolicy, FlexGenEstimate> flexgen_best_placement(const FlexGenModelDims& m, int64_t s, int64_t n,
                                                                 FlexGenPolicy p, const FlexGenConstants& hw);

// Best policy by the model; `fixed_bls` > 0 keeps gbs x nb == fixed_bls.
FlexGenPolicy flexgen_policy_search(const FlexGenModelDims& m, int64_t s, int64_t n, const FlexGenConstants& hw,
                                    bool compress_weight = false, int64_t fixed_bls = 0);

}  // namespace paralab
