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
  for (const auto& v : r->runs) {
    if (v.measured.status != "ok" || v.simulated.status != "ok") {
      ++r->error_runs;
      continue;
    }
    errs.push_back(v.relative_error);
  }
  r->median_relative_error = errs.empty() ? 0 : median(errs);
  r->max_relative_error = errs.empty() ? 0 : *std::max_element(errs.begin(), errs.end());
}

Json ValidationReport::to_json() const {
  Json runs_j = Json::array();
  for (const auto& v : runs)
    runs_j.push_back({{"name", v.name},
                      {"status", v.measured.status},
                      {"message", v.measured.message},
                      {"measured_seconds", v.measured_seconds},
                      {"simulated_seconds", v.simulated_seconds},
                      {"relative_error", v.relative_error},
                      {"per_kind", v.per_kind}});
  return {{"runs", runs_j},
          {"median_relative_error", median_relative_error},
          {"max_relative_error", max_relative_error},
          {"error_runs", error_runs}};
}

ValidationReport validate_graphs(std::vector<ValidationGraph>& graphs, const Cluster& calibrated,
                                 const RunGraphOptions& base, const SimulateFn& simulate) {
  ValidationReport rep;
  for (auto& vg : graphs) {
    ValidationRun v;
    v.name = vg.name;
    RunGraphOptions o = base;
    o.ranks = vg.ranks;
    v.measured = run_graph(vg.graph, calibrated, o, nullptr);
    v.measured.experiment = "validate";
    v.measured.strategy = vg.name;
    v.simulated = simulate(calibrated, vg.graph);
    v.simulated.experiment = "validate";
    v.simulated.strategy = vg.name;
    v.measured_seconds = v.measured.step_seconds;
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
