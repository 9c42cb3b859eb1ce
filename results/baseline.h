// Baseline: the simulated figures of one experiment, frozen in a JSON file
// (results/baselines/NAME.json), and the comparison `paralab compare` makes
// between a baseline and a fresh set of recorded runs.
//
// A run is identified by its key "backend | model | cluster | strategy"; when
// several recorded runs share a key, the newest (highest id) stands for it.
// Its values are every simulated figure of the record, flattened to dotted
// names: step_seconds, throughput, utilization.deviceN, peak_bytes.SCOPE.TIER
// and metrics.PATH (arrays as PATH[i]); strings and booleans are compared for
// equality. The `timing` key (wall-clock figures, DESIGN.md) and `run_id` are
// left out wherever they appear. The run's configuration (its plan) is
// compared through a digest of its JSON without `timing`.
//
// Invariants: 1. a baseline built from runs and read back from its file
// compares equal to those runs with no change; 2. a value whose direction is
// unknown (metric_direction() == 0) regresses when it moves beyond tolerance
// either way; 3. a run whose status changes, that disappears or that is new
// is a failure whatever the tolerance.
// Thread-safety: plain values and pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/json_reader.h"
#include "results/store.h"

namespace paralab {

struct BaselineRun {
  std::string key;     // backend | model | cluster | strategy
  std::string status;  // ok, oom, ...
  std::string config_digest;          // 16 hex digits, FNV-1a 64 of the config without `timing`
  std::map<std::string, Json> values;  // flattened figures (numbers, strings, booleans, null)
};

struct Baseline {
  std::string experiment;
  bool quick = false;
  std::string git_rev;  // revision the baseline was written from (informative)
  std::vector<BaselineRun> runs;  // sorted by key
};

// The runs of `runs` (any order) as a baseline: one entry per key, the newest run.
Baseline baseline_from_runs(const std::string& experiment, bool quick, const std::vector<StoredRun>& runs);
BaselineRun baseline_run(const StoredRun& r);
std::string run_key(const RunRecord& r);

Json baseline_to_json(const Baseline& b);
// Strict: an unknown key is an error naming the file, the JSON path and the
// nearest valid key (InputError).
Baseline baseline_from_json(const Json& j, const std::string& file);
Baseline load_baseline(const std::string& path);
void save_baseline(const Baseline& b, const std::string& path);

// +1: higher is better (throughput, *_per_second, utilization, mfu, hfu);
// -1: lower is better (*_seconds, *_bytes, errors, bubble); 0: unknown.
int metric_direction(const std::string& value_name);

// "2%" -> 0.02, "0.02" -> 0.02; InputError naming `option` otherwise.
double parse_tolerance(const std::string& text, const std::string& option);

struct ValueChange {
  enum class Kind { kWithin, kImproved, kRegressed, kStatus, kMissing, kNew };
  Kind kind = Kind::kWithin;
  std::string run_key;
  std::string value;  // the value's name, "status", "config" or "run"
  Json before, after;
  double relative = 0;  // (after - before) / |before| for numbers, 0 otherwise
};
const char* change_kind_name(ValueChange::Kind k);

struct Comparison {
  double tolerance = 0;
  int runs_compared = 0, values_compared = 0;
  std::vector<ValueChange> changes;  // every value that differs at all, in key order
  int count(ValueChange::Kind k) const;
  // Regressions beyond tolerance, status changes, missing or new runs.
  bool failed() const;
  std::vector<std::string> failing_runs() const;
};

// Two numbers differ when |after - before| > tolerance * max(|before|, |after|)
// and > 1e-12 (exact zeros stay equal).
Comparison compare_to_baseline(const Baseline& base, const Baseline& current, double tolerance);

// JUnit XML: one testsuite, one testcase per run key (baseline and current),
// a <failure> listing what regressed; improvements beyond tolerance go to
// <system-out>.
std::string comparison_junit_xml(const Comparison& c, const Baseline& base, const Baseline& current);
// Markdown-ish table of the changes (at most `max_rows`, then a count).
std::string comparison_table(const Comparison& c, size_t max_rows);
Json comparison_json(const Comparison& c);

}  // namespace paralab
