// run_experiment (experiments/experiment.h): a spec's sweep or program, and
// the summary of a sweep, read back from the store so that a resumed sweep
// reports every run, not only those it made.
//
// Summaries: a what-if sweep (two or more variants) gives, per model and
// planner or schedule, the best throughput under each variant and its
// change against the first (baseline) variant; any other sweep gives one
// line per run.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "experiments/experiment.h"
#include "experiments/spec.h"
#include "experiments/sweep_runner.h"

namespace paralab {

namespace {

// What a what-if study compares: the planner (training-planner), the
// schedule (inference), or "megatron" (hand-set Megatron plans, of which the
// best is kept).
std::string strategy_of(const ExperimentSpec& s, const Json& cfg) {
  if (s.kind == "training-planner") return cfg.value("planner", std::string("uniap"));
  if (s.kind == "inference") return cfg.value("schedule", std::string("pipo"));
  return "megatron";
}

Json whatif_summary(const ExperimentSpec& s, const std::vector<SweepRun>& runs,
                    const std::map<std::string, const StoredRun*>& by_hash, std::string* table) {
  // (model, strategy) in first-seen order -> variant -> best ok run.
  std::vector<std::pair<std::string, std::string>> groups;
  std::map<std::pair<std::string, std::string>, std::map<std::string, const StoredRun*>> best;
  for (const auto& r : runs) {
    auto it = by_hash.find(r.hash);
    if (it == by_hash.end()) continue;
    const StoredRun* sr = it->second;
    auto key = std::make_pair(r.config["model"].get<std::string>(), strategy_of(s, r.config));
    if (!best.count(key)) groups.push_back(key);
    auto& slot = best[key][r.variant];
    if (sr->record.status == "ok" && (!slot || sr->record.throughput > slot->record.throughput)) slot = sr;
  }
  const std::string& base = s.variants.front().name;
  Json rows = Json::array();
  std::string t = "| model | planner / schedule |";
  std::string rule = "|---|---|";
  for (const auto& v : s.variants) t += " " + v.name + " |", rule += "---|";
  t += " best upgrade |\n" + rule + "---|\n";
  for (const auto& key : groups) {
    auto& per = best[key];
    const StoredRun* b = per.count(base) ? per[base] : nullptr;
    double b_tp = b ? b->record.throughput : 0;
    t += "| " + key.first + " | " + key.second + " |";
    std::string top;
    double top_change = -INFINITY;
    for (const auto& v : s.variants) {
      const StoredRun* r = per.count(v.name) ? per[v.name] : nullptr;
      Json row = {{"model", key.first}, {"strategy", key.second}, {"variant", v.name}, {"set", v.set}};
      if (!r) {
        row["status"] = "failed";
        rows.push_back(row);
        t += " failed |";
        continue;
      }
      double change = b_tp > 0 ? r->record.throughput / b_tp - 1 : NAN;
      row["status"] = "ok";
      row["best_throughput"] = r->record.throughput;
      row["throughput_unit"] = r->record.throughput_unit;
      row["change_vs_baseline"] = std::isfinite(change) ? Json(change) : Json(nullptr);
      row["run_id"] = r->id;
      rows.push_back(row);
      if (v.name == base) {
        t += fmt::format(" {:.4g} {} |", r->record.throughput, r->record.throughput_unit);
      } else {
        t += std::isfinite(change) ? fmt::format(" {:.4g} ({:+.1f}%) |", r->record.throughput, 100 * change)
                                   : fmt::format(" {:.4g} |", r->record.throughput);
        if (std::isfinite(change) && change > top_change) top_change = change, top = v.name;
      }
    }
    t += " " + (top.empty() ? std::string("-") : fmt::format("{} ({:+.1f}%)", top, 100 * top_change)) + " |\n";
  }
  *table = t;
  return {{"whatif", rows}, {"baseline", base}};
}

Json runs_summary(const std::vector<SweepRun>& runs, const std::map<std::string, const StoredRun*>& by_hash,
                  std::string* table) {
  Json rows = Json::array();
  std::string t = "| run | status | step s | throughput | published s | error |\n|---|---|---|---|---|---|\n";
  for (const auto& r : runs) {
    auto it = by_hash.find(r.hash);
    if (it == by_hash.end()) continue;
    const RunRecord& x = it->second->record;
    Json row = {{"run", r.label},     {"run_id", it->second->id},  {"status", x.status},
                {"step_seconds", x.step_seconds}, {"throughput", x.throughput}, {"throughput_unit", x.throughput_unit}};
    std::string pub = "", err = "";
    if (x.metrics.contains("published_iteration_seconds")) {
      row["published_iteration_seconds"] = x.metrics["published_iteration_seconds"];
      pub = fmt::format("{:.2f}", x.metrics["published_iteration_seconds"].get<double>());
      if (x.metrics.contains("relative_error")) {
        row["relative_error"] = x.metrics["relative_error"];
        err = fmt::format("{:+.1f}%", 100 * x.metrics["relative_error"].get<double>());
      }
    }
    rows.push_back(row);
    t += fmt::format("| {} | {} | {:.4f} | {:.4g} {} | {} | {} |\n", r.label, x.status, x.step_seconds, x.throughput,
                     x.throughput_unit, pub, err);
  }
  *table = t;
  return {{"runs", rows}};
}

ExperimentResult run_program(const ExperimentSpec& s, ResultsStore* store, const RunExperimentOptions& o) {
  const Experiment& e = find_experiment(s.program);
  ExperimentOptions opts = o.experiment;
  // The spec's params, then the command line's (which win).
  std::map<std::string, std::string> params;
  for (const auto& [k, v] : s.params.items()) params[k] = v.is_string() ? v.get<std::string>() : v.dump();
  for (const auto& [k, v] : opts.params) params[k] = v;
  for (const auto& [k, v] : params)
    if (std::find(e.parameters.begin(), e.parameters.end(), k) == e.parameters.end())
      throw InputError("experiment '" + s.name + "' has no parameter '" + k + "'; valid parameters: " +
                       (e.parameters.empty() ? std::string("(none)") : join_names(e.parameters)));
  opts.params = params;
  if (!store) return {};  // programs run on one process
  return e.run(*store, opts);
}

}  // namespace

ExperimentResult run_experiment(const std::string& name_or_spec, ResultsStore* store, const RunExperimentOptions& o) {
  ExperimentSpec s = effective_spec(load_spec(name_or_spec), o.experiment.quick);
  if (s.kind == "program") return run_program(s, store, o);
  if (!o.experiment.params.empty())
    throw InputError("--param: experiment '" + s.name + "' is a sweep; its parameters are its spec (" + s.path + ")");
  std::vector<SweepRun> runs = expand_sweep(s);
  SweepRunOptions so;
  so.threads = o.threads;
  so.progress = o.progress;
  SweepOutcome out = run_sweep(s, runs, store, so);
  if (!out.is_writer) return {};

  std::vector<StoredRun> stored = store->list(RunFilter{s.name, "", "", 0});
  std::map<std::string, const StoredRun*> by_hash;  // newest first: the first seen wins
  for (const auto& r : stored)
    if (!r.record.config_hash.empty()) by_hash.emplace(r.record.config_hash, &r);
  ExperimentResult res;
  res.run_ids = out.run_ids;
  res.summary = s.whatif() ? whatif_summary(s, runs, by_hash, &res.table) : runs_summary(runs, by_hash, &res.table);
  size_t failed = 0, recorded = 0;
  for (const auto& r : runs)
    if (auto it = by_hash.find(r.hash); it != by_hash.end()) ++recorded, failed += it->second->record.status != "ok";
  res.summary["runs_total"] = runs.size();
  res.summary["runs_recorded"] = recorded;
  res.summary["runs_failed"] = failed;
  res.summary["runs_skipped"] = out.progress.skipped;
  res.summary["runs_made"] = out.progress.done;
  res.summary["reproduces"] = s.reproduces;
  return res;
}

}  // namespace paralab
