// Experiments: named, reproducible jobs that produce recorded runs.
//
// Every experiment is a spec, experiments/<name>/spec.json
// (experiments/spec.h): a sweep that the runner executes run by run
// (experiments/sweep_runner.h: threads, MPI ranks, resumable), or a
// `program` — an Experiment below, written as code — that the spec names
// and gives parameters. Either way every run is stored in the results
// database (experiment = its name) and the result is a summary: a JSON
// object for machines and a Markdown table for people (the README's
// figures come from these). The programs are listed explicitly in
// experiment.cpp.
//
// The entry point for other commands (`paralab report`, `compare`) is
// run_experiment(): give it a name or a spec path, a store and options; it
// skips runs already recorded and returns the whole sweep's summary, read
// back from the store.
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

// A program: an experiment written as code, run whole (not run by run).
struct Experiment {
  std::string name;
  std::string description;
  std::function<ExperimentResult(ResultsStore&, const ExperimentOptions&)> run;
  std::vector<std::string> parameters = {};  // the `--param` keys it accepts, with their meaning in its description
};

// The programs, and one by name (InputError listing the valid names).
const std::vector<Experiment>& experiments();
const Experiment& find_experiment(const std::string& name);

struct SweepProgress;

struct RunExperimentOptions {
  ExperimentOptions experiment;  // quick, seed, params (params: programs only)
  int threads = 1;               // worker threads of a sweep (per MPI rank)
  // Called after each recorded run of a sweep, on the calling thread.
  std::function<void(const SweepProgress&)> progress;
};

// Runs the experiment `name_or_spec` (a name under experiments/ or a spec
// file): a sweep records only the runs whose configuration hash is not yet
// in `store` and summarises all of its runs; a program runs whole. Under
// mpirun every rank calls this; ranks other than 0 pass store = nullptr and
// get an empty result. InputError for a bad spec, name or parameter.
ExperimentResult run_experiment(const std::string& name_or_spec, ResultsStore* store, const RunExperimentOptions& o);

}  // namespace paralab
