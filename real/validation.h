// Validation: run TaskGraphs for real and in the simulator (with the
// calibrated cluster) and report how far apart they are.
//
// relative_error = |simulated - measured| / measured, end to end (makespan)
// and per op class (busy seconds of gemm, compute_other, transfer, ssd_read,
// collective). The simulator is passed in as a function so real/ does not
// fix which simulator options are used.
// Each graph runs for real `real_runs` times (each a fresh launch with its
// own warm-up); the measured time is the median makespan, and the spread
// (min, max) is reported beside it. The record and trace kept are those of
// the run whose makespan is the median (the lower middle one for even counts).
// Invariants: 1. a run whose real execution failed is reported with its
// status and excluded from the median/max (error_runs counts it, failures
// names it and why); 2. median and max are over the successful runs only,
// and are NaN (JSON null) when no run succeeded — never a 0% that reads as a
// perfect match; 3. measured_min_seconds <= measured_seconds <=
// measured_max_seconds; 4. passed() is false when any graph failed, so
// `paralab validate` and real/gpu_check.sh fail with the reason.
// Thread-safety: one validation at a time (it loads every core).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/run_record.h"
#include "real/run_graph.h"
#include "real/validation_graphs.h"

namespace paralab::real {

// Simulates a graph; writes the Chrome trace into *trace_json when it is not null.
using SimulateFn = std::function<RunRecord(const Cluster&, const TaskGraph&, std::string* trace_json)>;

struct ValidationOptions {
  int real_runs = 5;         // real executions per graph (median kept)
  bool keep_traces = false;  // fill ValidationRun::measured_trace / simulated_trace
};

struct ValidationRun {
  std::string name;
  RunRecord measured;
  RunRecord simulated;
  double measured_seconds = 0;      // median over the real runs
  double measured_min_seconds = 0;  // spread of the real runs
  double measured_max_seconds = 0;
  std::vector<double> measured_samples_seconds;
  double simulated_seconds = 0;
  double relative_error = 0;
  Json per_kind = Json::object();  // class -> {measured_seconds, simulated_seconds, relative_error}
  Json measured_trace, simulated_trace;  // null unless ValidationOptions::keep_traces
};

struct ValidationReport {
  std::vector<ValidationRun> runs;
  double median_relative_error = 0;
  double max_relative_error = 0;
  int error_runs = 0;
  std::vector<std::string> failures;  // "<graph>: <status>: <message>" per failed graph
  bool passed() const { return error_runs == 0 && !runs.empty(); }
  // "" when passed(), else one line: "2 of 3 graphs failed: dp2: error: ..."
  std::string failure_summary() const;
  Json to_json() const;
};

double relative_error(double simulated, double measured);

// Fills median/max from the runs.
void summarize(ValidationReport* r);

ValidationReport validate_graphs(std::vector<ValidationGraph>& graphs, const Cluster& calibrated,
                                 const RunGraphOptions& real_options, const SimulateFn& simulate,
                                 const ValidationOptions& options = {});

}  // namespace paralab::real
