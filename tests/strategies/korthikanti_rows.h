// The published rows of Korthikanti et al. 2022 (Table 3 and the iteration
// times of Table 4) and the check shared by the fast and slow tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/catalog.h"
#include "strategies/training/training_plan.h"
#include "strategies/training/training_sim.h"

namespace paralab {

struct KorthikantiRow {
  const char* model;
  int tp, pp, gpus, global_batch, micro_batch;
  double full_seconds, selective_seconds;  // published s/iteration
};

inline constexpr KorthikantiRow kRows[] = {
    {"megatron-gpt-22b", 8, 1, 8, 4, 4, 1.42, 1.10},
    {"megatron-gpt-175b", 8, 8, 64, 64, 1, 18.13, 13.75},
    {"megatron-gpt-530b", 8, 35, 280, 280, 1, 49.05, 37.83},
    {"megatron-gpt-1t", 8, 64, 512, 512, 1, 94.42, 71.49},
};

// Full recomputation without sequence parallelism, or sequence parallelism
// with selective recomputation, as in the paper's two columns.
inline TrainingPlan korthikanti_plan(const KorthikantiRow& r, Recompute rc, const ModelGraph& m, const Cluster& c) {
  MegatronOptions o;
  o.model = r.model;
  o.cluster = "dgx-a100-80gb";
  o.nodes = (r.gpus + 7) / 8;
  o.seq_len = 2048;
  o.global_batch = r.global_batch;
  o.tp = r.tp;
  o.pp = r.pp;
  o.dp = 1;
  o.micro_batch = r.micro_batch;
  o.recompute = rc;
  o.sequence_parallel = rc == Recompute::kSelective;
  return megatron_plan(o, m, c);
}

inline void expect_row(const KorthikantiRow& r, Recompute rc) {
  ModelGraph m = load_model(r.model);
  Cluster c = load_cluster("dgx-a100-80gb", (r.gpus + 7) / 8);
  TrainingPlan p = korthikanti_plan(r, rc, m, c);
  TrainingSimOptions o;
  o.detailed = false;
  TrainingResult res = simulate_training(p, m, c, o);
  ASSERT_EQ(res.status, "ok") << res.message;
  double published = rc == Recompute::kFull ? r.full_seconds : r.selective_seconds;
  double err = (res.iteration_seconds - published) / published;
  std::printf("%s %s: simulated %.3f s, published %.2f s, error %+.1f%%, MFU %.1f%%, %zu ops, lower %.3f s, sim %.3f s\n",
              r.model, recompute_name(rc), res.iteration_seconds, published, 100 * err, 100 * res.mfu, res.ops,
              res.lower_seconds, res.simulate_seconds);
  EXPECT_LT(std::fabs(err), 0.15);
}

}  // namespace paralab
