// Held-out agreement with Narayanan et al. 2021 (arXiv 2104.04473), Table 1:
// achieved TFLOP/s per GPU of the Megatron-LM weak-scaling family on
// DGX-A100 nodes, with the same cluster file and constants as the
// Korthikanti rows (none set from this table). Tolerance 10%.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/catalog.h"
#include "experiments/narayanan/narayanan_experiment.h"

namespace paralab {

inline double narayanan_error(const NarayananRow& r) {
  ModelGraph m = load_model(r.model);
  Cluster c = load_cluster("dgx-a100-80gb", r.gpus / 8);
  NarayananSim sim = simulate_narayanan_row(r, m, c);
  EXPECT_EQ(sim.result.status, "ok") << sim.result.message;
  if (sim.result.status != "ok") return NAN;
  double tflops = sim.tflops_per_gpu;
  double err = (tflops - r.tflops_per_gpu) / r.tflops_per_gpu;
  std::printf("%s on %d GPUs: simulated %.1f TFLOP/s per GPU, published %.0f, error %+.1f%%\n", r.model, r.gpus,
              tflops, r.tflops_per_gpu, 100 * err);
  return err;
}

}  // namespace paralab
