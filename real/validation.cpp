#include "real/validation.h"

#include <algorithm>
#include <cmath>

#include "real/bench_runner.h"

namespace paralab::real {

double relative_error(double simulated, double measured) {
  if (measured <= 0) return simulated <= 0 ? 0.0 : INFINITY;
  return std::fabs(simulated - measured) / measured;
}

void summarize(ValidationReport* r) {
  std::vector<double> errs;
  r->error_runs = 0;
  r->failures.clear();
  for (const auto& v : r->runs) {
    if (v.measured.status != "ok" || v.simulated.status != "ok") {
      ++r->error_runs;
      const RunRecord& bad = v.measured.status != "ok" ? v.measured : v.simulated;
      r->failures.push_back(v.name + ": " + (&bad == &v.measured ? "real run " : "simulation ") + bad.status +
                            (bad.message.empty() ? "" : ": " + bad.message));
      continue;
    }
    errs.push_back(v.relative_error);
  }
  r->median_relative_error = errs.empty() ? NAN : median(errs);
  r->max_relative_error = errs.empty() ? NAN : *std::max_element(errs.begin(), errs.end());
}

std::string ValidationReport::failure_summary() const {
  if (passed()) return "";
  if (runs.empty()) return "no validation graph ran";
  std::string s = std::to_string(error_runs) + " of " + std::to_string(runs.size()) + " graphs failed";
  for (size_t i = 0; i < failures.size(); ++i) s += (i ? "; " : ": ") + failures[i];
  return s;
}

Json ValidationReport::to_json() const {
  Json runs_j = Json::array();
  for (const auto& v : runs) {
    runs_j.push_back({{"name", v.name},
                      {"status", v.measured.status},
                      {"message", v.measured.message},
                      {"measured_seconds", v.measured_seconds},
                      {"measured_min_seconds", v.measured_min_seconds},
                      {"measured_max_seconds", v.measured_max_seconds},
                      {"measured_samples_seconds", v.measured_samples_seconds},
                      {"simulated_seconds", v.simulated_seconds},
                      {"relative_error", v.relative_error},
                      {"per_kind", v.per_kind},
                      {"measured_device_utilization", v.measured.device_utilization},
                      {"simulated_device_utilization", v.simulated.device_utilization}});
    if (v.measured.metrics.contains("nvml_utilization"))
      runs_j.back()["nvml_utilization"] = v.measured.metrics["nvml_utilization"];
  }
  auto number_or_null = [](double x) { return std::isfinite(x) ? Json(x) : Json(); };
  return {{"runs", runs_j},
          {"median_relative_error", number_or_null(median_relative_error)},
          {"max_relative_error", number_or_null(max_relative_error)},
          {"error_runs", error_runs},
          {"failures", failures},
          {"passed", passed()}};
}

namespace {

// Runs `g` for real `runs` times; keeps the record (and ranks) of the median
// run, or of the first failed run. Fills the spread fields of *v.
void measure(const ValidationGraph& vg, const Cluster& c, const RunGraphOptions& o, int runs, ValidationRun* v,
             std::vector<RankResult>* kept_ranks) {
  struct Sample {
    RunRecord rec;
    std::vector<RankResult> ranks;
  };
  std::vector<Sample> samples;
  for (int i = 0; i < std::max(1, runs); ++i) {
    Sample s;
    s.rec = run_graph(vg.graph, c, o, &s.ranks);
    bool failed = s.rec.status != "ok";
    samples.push_back(std::move(s));
    if (failed) {
      v->measured = std::move(samples.back().rec);
      *kept_ranks = std::move(samples.back().ranks);
      return;
    }
  }
  std::vector<size_t> order(samples.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return samples[a].rec.step_seconds < samples[b].rec.step_seconds; });
  for (const auto& s : samples) v->measured_samples_seconds.push_back(s.rec.step_seconds);
  v->measured_min_seconds = samples[order.front()].rec.step_seconds;
  v->measured_max_seconds = samples[order.back()].rec.step_seconds;
  size_t mid = order[(order.size() - 1) / 2];
  v->measured = std::move(samples[mid].rec);
  *kept_ranks = std::move(samples[mid].ranks);
}

}  // namespace

ValidationReport validate_graphs(std::vector<ValidationGraph>& graphs, const Cluster& calibrated,
                                 const RunGraphOptions& base, const SimulateFn& simulate,
                                 const ValidationOptions& opt) {
  ValidationReport rep;
  for (auto& vg : graphs) {
    ValidationRun v;
    v.name = vg.name;
    RunGraphOptions o = base;
    o.ranks = vg.ranks;
    std::vector<RankResult> ranks;
    measure(vg, calibrated, o, opt.real_runs, &v, &ranks);
    v.measured.experiment = "validate";
    v.measured.strategy = vg.name;
    std::string sim_trace;
    v.simulated = simulate(calibrated, vg.graph, opt.keep_traces ? &sim_trace : nullptr);
    if (opt.keep_traces) {
      v.measured_trace = trace_json(ranks, vg.graph);
      if (!sim_trace.empty()) v.simulated_trace = Json::parse(sim_trace);
    }
    v.simulated.experiment = "validate";
    v.simulated.strategy = vg.name;
    v.measured_seconds = v.measured.step_seconds;
    v.measured.metrics["validation_real_runs"] = {{"samples_seconds", v.measured_samples_seconds},
                                                  {"min_seconds", v.measured_min_seconds},
                                                  {"median_seconds", v.measured_seconds},
                                                  {"max_seconds", v.measured_max_seconds}};
    v.simulated_seconds = v.simulated.step_seconds;
    v.relative_error = relative_error(v.simulated_seconds, v.measured_seconds);
    // Per op class: the real run's busy seconds against the simulator's, when it reports them.
    // Coarse op types (compute, transfer, collective), as the simulator's trace reports them.
    Json mk = Json::object();
    for (auto& [k, val] : v.measured.metrics["busy_seconds_by_kind"].items()) {
      std::string t = (k == "gemm" || k == "compute_other") ? "compute"
                      : (k == "collective" ? "collective" : (k == "memory" ? "memory" : "transfer"));
      mk[t] = mk.value(t, 0.0) + val.get<double>();
    }
    const Json* sk = v.simulated.metrics.contains("busy_seconds_by_kind") ? &v.simulated.metrics["busy_seconds_by_kind"] : nullptr;
    for (auto& [k, val] : mk.items()) {
      Json e = {{"measured_seconds", val}};
      if (sk && sk->contains(k)) {
        e["simulated_seconds"] = (*sk)[k];
        e["relative_error"] = relative_error((*sk)[k].get<double>(), val.get<double>());
      }
      v.per_kind[k] = e;
    }
    v.measured.metrics["validation"] = {{"simulated_seconds", v.simulated_seconds}, {"relative_error", v.relative_error},
                                        {"per_kind", v.per_kind}};
    v.simulated.metrics["validation"] = {{"measured_seconds", v.measured_seconds}, {"relative_error", v.relative_error}};
    rep.runs.push_back(std::move(v));
  }
  summarize(&rep);
  return rep;
}

}  // namespace paralab::real
