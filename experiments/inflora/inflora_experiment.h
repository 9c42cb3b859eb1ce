// The InfLoRA experiment: class-incremental learning by InfLoRA and its
// baselines (seq-lora, seq-full, joint; continual/learner.h) on the seeded
// synthetic benchmark split into 5, 10 and 20 tasks and on the UCI digits
// split into 5 tasks, over several seeds; every (benchmark, tasks, method,
// seed) is one run recorded in the results store (experiment "inflora",
// backend "real-host"), with its whole accuracy matrix.
//
// Parameters (`paralab experiment run inflora --param key=value`):
//   synthetic_tasks  comma list of task counts (divisors of 40), "" for none
//   digits_tasks     comma list of task counts (divisors of 10), "" for none
//   seeds            number of seeds, starting at --seed
//   methods          comma list of methods
//   epochs, rank, learning_rate, eps   the learner's settings
//   cost_study       1: also run the cost study (inflora_cost.h) on the
//                    DGX-A100 for 5, 10, 20 tasks; 0: not (default 1, quick 0)
// Invariants: 1. the recorded metrics are a pure function of the
// configuration (only train_seconds, under "timing", varies); 2. the digits
// file is required: a missing file is an InputError, never a skipped run.
// Thread-safety: writes to the given store only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "continual/learner.h"
#include "core/json_reader.h"

namespace paralab {
class ResultsStore;
struct ExperimentOptions;
}  // namespace paralab

namespace paralab::inflora {

struct InfloraConfig {
  std::vector<int> synthetic_tasks = {5, 10, 20};
  std::vector<int> digits_tasks = {5};
  int seeds = 3;
  uint64_t first_seed = 1;
  std::vector<std::string> methods = continual::method_names();
  continual::LearnerConfig learner;
  continual::SyntheticSpec synthetic;
  double test_fraction = 1.0 / 3.0;
  bool cost_study = true;
  std::string cost_cluster = "dgx-a100-80gb";
  std::vector<int> cost_tasks = {5, 10, 20};
  std::string digits_path;  // default: experiments/inflora/data/uci-digits.csv.gz of the source tree
};

// The keys `--param` accepts.
const std::vector<std::string>& inflora_parameters();
// The configuration for the CLI options: quick = synthetic 5 tasks, digits 5
// tasks, one seed. InputError naming the parameter, its value and what was
// expected for a malformed value.
InfloraConfig inflora_config(const ExperimentOptions& opt);

struct InfloraRow {
  std::string benchmark;  // synthetic | digits
  int tasks = 0;
  std::string method;
  uint64_t seed = 0;
  continual::ContinualResult result;
  int64_t run_id = 0;
};

std::vector<InfloraRow> run_inflora_experiment(const InfloraConfig& c, ResultsStore* store);

// {"settings": [...], "<method>": {"<benchmark>-<tasks>": {final_accuracy,
// average_accuracy, forgetting (means over seeds), their *_std, seeds: [...]}}}
Json inflora_summary(const std::vector<InfloraRow>& rows);
// One line per (setting, method): mean +- std over seeds, in percent.
std::string inflora_markdown(const std::vector<InfloraRow>& rows);

}  // namespace paralab::inflora
