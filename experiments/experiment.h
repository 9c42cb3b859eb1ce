// Experiment: a named, reproducible job that produces recorded runs.
//
// An experiment sweeps some of paralab's machinery (planners, schedules,
// quantizers, executors), stores every run it makes in the results database
// (experiment = its name) and returns a summary: a JSON object for machines
// and a Markdown table for people (the README's figures come from these).
// The list is explicit, in registry.cpp, so `paralab experiment list` shows
// exactly what exists.
//
// Invariants: 1. running an experiment twice with the same options records
// runs with identical metrics (experiments are deterministic; real-execution
// experiments record measured times, which vary, but nothing else does);
// 2. an experiment that fails part-way has recorded only whole runs.
// Thread-safety: experiments run one at a time on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/json_reader.h"
#include "results/store.h"

namespace paralab {

struct ExperimentOptions {
  bool quick = false;  // a smaller sweep, for CI and `make run`
  uint64_t seed = 1;
  // Experiment-specific parameters (`--param key=value`); an experiment
  // accepts only the keys in its Experiment::parameters.
  std::map<std::string, std::string> params;
};

struct ExperimentResult {
  Json summary = Json::object();
  std::string table;  // Markdown
  std::vector<int64_t> run_ids;
};

struct Experiment {
  std::string name;
  std::string description;
  std::function<ExperimentResult(ResultsStore&, const ExperimentOptions&)> run;
  std::vector<std::string> parameters = {};  // the `--param` keys it accepts, with their meaning in its description
};

const std::vector<Experiment>& experiments();
// InputError listing the valid names when `name` is unknown.
const Experiment& find_experiment(const std::string& name);

}  // namespace paralab
