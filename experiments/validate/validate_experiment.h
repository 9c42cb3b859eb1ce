// Measured-vs-simulated validation as one job: calibrate (unless a profile
// is given), run the validation TaskGraphs for real and in the simulator
// with the calibrated cluster, and report the relative errors. Used by
// `paralab validate` and by the `validate` experiment (the program of
// experiments/validate/spec.json, params quick=0|1 and runs=N), which records
// the measured and the simulated run of each graph.
// Thread-safety: one validation at a time (it loads every core).
#pragma once

#include <string>
#include <vector>

#include "experiments/experiment.h"
#include "real/validation.h"

namespace paralab {

struct ValidationJob {
  std::string backend = "host";  // host | cuda
  std::string profile;           // "" = calibrate now and write results/profile-<backend>.json
  std::string cluster;           // "" = localhost-cpu (host) or dgx-h100 (cuda)
  std::vector<std::string> sets;  // cluster overrides
  std::string scratch_dir;
  std::string graphs_dir;  // also write the graphs here when set
  std::string paralab_binary;  // launched for MPI ranks
  bool quick = false;
  int runs = 0;  // real runs per graph; 0 = 5 (2 with quick)
  bool keep_traces = false;
};

struct ValidationOutcome {
  real::ValidationReport report;
  std::string profile, cluster;
  int real_runs = 0;
};

ValidationOutcome run_validation(ValidationJob job);

Experiment validate_experiment();

}  // namespace paralab
