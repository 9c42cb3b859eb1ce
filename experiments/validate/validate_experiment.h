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

// The host set's lowered training plan (besides real::host_validation_set's
// hand-built graphs): a small GPT (h 256 quick / 384, 4 layers, 4 heads,
// vocabulary 4096, sequence 64 quick / 128) as `plan megatron --tp 1 --pp 2
// --micro-batch 2 --global-batch 8 --schedule 1f1b --precision fp32` writes
// it, lowered with every rank's ops; 2 ranks.
real::ValidationGraph megatron_validation_graph(bool quick, const Cluster& c);

Experiment validate_experiment();

}  // namespace paralab
