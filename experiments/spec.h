// ExperimentSpec: an experiment as data (experiments/<name>/spec.json).
//
// A spec names the experiment, says what it reproduces or asks, which
// backend runs it, and what it sweeps. `kind` says what one run is:
//   training-plan     a hand-set Megatron-LM / DeepSpeed plan, simulated
//                     (keys: model cluster nodes seq_len global_batch tp pp dp
//                     micro_batch schedule chunks recompute sequence_parallel
//                     zero precision published_iteration_seconds)
//   training-planner  a planner's search, its chosen plan simulated (model
//                     cluster nodes seq_len global_batch planner solver
//                     precision schedule confirm)
//   inference         an offloaded-inference schedule at its own best batch
//                     (model cluster prompt_len gen_len weights kv batch
//                     schedule)
//   program           an experiment written as code (experiments/*/),
//                     named by `program`, given `params`
// The sweep is `fixed` (keys every run shares) merged with each point of the
// cross product of `grid` (key -> list of values) and, when given, each
// entry of `list` (explicit configurations; with both, every list entry
// meets every grid point), times each of `variants` (what-if studies: a
// name and the cluster overrides it applies, core/cluster_overrides.h; the
// first variant is the baseline). `quick` may replace any of fixed, grid,
// list, variants and params for `--quick`.
//
// Invariants: 1. expansion is deterministic (grid keys in sorted order, the
// last key varying fastest; then list order; then variant order); 2. every
// run's configuration hash covers the experiment name, the configuration,
// the effective model and cluster files (content hashes, after overrides)
// and kParalabVersion, so a resumed sweep skips exactly the runs already
// recorded; 3. a bad spec is an InputError naming the file, the JSON path,
// the value and what was expected (unknown keys name the nearest valid one);
// so is a sweep of more than kMaxSweepRuns runs (core/limits.h).
// Thread-safety: load and expand on one thread; execute_run is reentrant.
#pragma once

#include <string>
#include <vector>

#include "core/json_reader.h"
#include "core/run_record.h"

namespace paralab {

// Part of every configuration hash: bump when a change to paralab changes
// what an already-recorded configuration would produce, so resumed sweeps
// recompute instead of mixing old and new results.
inline constexpr const char* kParalabVersion = "0.3.0";

struct SweepVariant {
  std::string name;
  std::vector<std::string> set;  // cluster overrides
};

struct ExperimentSpec {
  std::string name, description, reproduces;
  std::string path;  // the spec file
  std::string kind;  // training-plan | training-planner | inference | program
  std::vector<std::string> backends;
  std::string program;           // kind program: the experiment code to run
  Json params = Json::object();  // kind program: its parameters
  Json fixed = Json::object();
  Json grid = Json::object();
  Json list = Json::array();
  std::vector<SweepVariant> variants;
  Json quick = Json::object();  // the raw "quick" section
  bool whatif() const { return variants.size() > 1; }
};

// One run of a sweep: its position, configuration and hash.
struct SweepRun {
  size_t index = 0;
  Json config;          // fixed + grid point + list entry, plus "variant" and "set"
  std::string label;    // the keys that vary, for people
  std::string variant;  // "" without variants
  std::string hash;
};

// A spec from its parsed JSON; `file` names it in messages (InputError on
// anything the format does not allow). Depends on core only (spec.cpp); the
// lookups by name below also know the programs (spec_lookup.cpp).
ExperimentSpec spec_from_json(const Json& j, const std::string& file);

// `name_or_path`: an experiment name (experiments/<name>/spec.json) or the
// path of a spec file; a program (experiments()) without a spec file stands
// for a spec of kind program. InputError listing the valid names when unknown.
ExperimentSpec load_spec(const std::string& name_or_path);
// Every experiments/*/spec.json, by name.
std::vector<ExperimentSpec> list_specs();

// The spec with its quick section applied (when `quick`).
ExperimentSpec effective_spec(const ExperimentSpec& s, bool quick);

// The runs of `s` (already effective), validated: unknown keys, models and
// clusters (loaded with each variant's overrides) are InputErrors before
// anything runs. Empty for kind program.
std::vector<SweepRun> expand_sweep(const ExperimentSpec& s);

// Executes one run and returns its record (experiment, config_hash and the
// sweep configuration under config["sweep"] filled in). A run that fails
// (OOM, infeasible, an invalid plan, an error) is a record with that status,
// never an exception; `planner_threads` is handed to planners (0 = all cores).
RunRecord execute_run(const ExperimentSpec& s, const SweepRun& r, int planner_threads);

}  // namespace paralab
