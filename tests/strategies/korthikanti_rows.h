// The published rows of Korthikanti et al. 2022 (Table 3 and the iteration
// times of Table 5) and the check shared by the fast and slow tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "core/catalog.h"
#include "experiments/korthikanti.h"
#include "strategies/training/training_plan.h"
#include "strategies/training/training_sim.h"

namespace paralab {

// The published table and the plan of each row live with the experiment
// (experiments/korthikanti.h); the figures there are copied from the paper.
inline const std::vector<KorthikantiRow>& kRows = korthikanti_rows();

inline TrainingResult simulate_row(const KorthikantiRow& r, Recompute rc,
                                   sim::CollectiveMode mode = sim::CollectiveMode::kFlow) {
  ModelGraph m = load_model(r.model);
  Cluster c = load_cluster("dgx-a100-80gb", (r.gpus + 7) / 8);
  TrainingPlan p = korthikanti_plan(r, rc, m, c);
  TrainingSimOptions o;
  o.detailed = false;
  o.collectives = mode;
  return simulate_training(p, m, c, o);
}

// Relative error of the simulated iteration time against the published one
// (NaN, with a failure recorded, if the run is not ok).
inline double simulated_error(const KorthikantiRow& r, Recompute rc) {
  TrainingResult res = simulate_row(r, rc);
  EXPECT_EQ(res.status, "ok") << res.message;
  if (res.status != "ok") return NAN;
  double published = rc == Recompute::kFull ? r.full_seconds : r.selective_seconds;
  double err = (res.iteration_seconds - published) / published;
  std::printf("%s %s: simulated %.3f s, published %.2f s, error %+.1f%%, MFU %.1f%%, %zu ops, lower %.3f s, sim %.3f s\n",
              r.model, recompute_name(rc), res.iteration_seconds, published, 100 * err, 100 * res.mfu, res.ops,
              res.lower_seconds, res.simulate_seconds);
  return err;
}

}  // namespace paralab
