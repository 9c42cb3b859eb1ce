// `paralab results list|show|export`.
#include <fmt/format.h>

#include "core/error.h"
#include "results/store.h"
#include "tools/cli_common.h"

namespace paralab::cli {

namespace {

Json stored_json(const StoredRun& r) {
  Json j = r.record.to_json();
  j["id"] = r.id;
  j["created_at"] = r.created_at;
  j["git_rev"] = r.git_rev;
  j["host"] = r.host;
  return j;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// "dgx-a100-80gb 3f2a1c" (the first 6 digits of the effective cluster's
// content hash), "+N" when N overrides were applied: a what-if run and its
// baseline share a name but not this.
std::string cluster_label(const RunRecord& r) {
  std::string out = r.cluster;
  if (!r.cluster_hash.empty()) out += " " + r.cluster_hash.substr(0, 6);
  if (!r.cluster_overrides.empty()) out += fmt::format(" +{}", r.cluster_overrides.size());
  return out;
}

}  // namespace

namespace {
void register_results_commands(CLI::App& app) {
  auto* results = app.add_subcommand("results", "The SQLite results store");
  results->require_subcommand(1);
  static RunFilter filter;
  auto add_filter = [](CLI::App* c) {
    c->add_option("--experiment", filter.experiment, "Only runs of this experiment");
    c->add_option("--backend", filter.backend, "Only runs of this backend (sim, real-host, real-cuda)");
    c->add_option("--status", filter.status, "Only runs with this status");
    c->add_option("--limit", filter.limit, "At most N runs, newest first");
  };
  {
    auto* list = results->add_subcommand("list", "List recorded runs, newest first");
    auto& o = add_common(list);
    add_filter(list);
    list->callback([&o] {
      ResultsStore store(db_path(o));
      auto runs = store.list(filter);
      Json j = Json::array();
      for (const auto& r : runs) j.push_back(stored_json(r));
      emit(o, j, [&] {
        fmt::print("{:>5}  {:<20} {:<9} {:<12} {:<30} {:<28} {:<36} {:<10} {:>12}\n", "id", "when", "backend",
                   "experiment", "model", "cluster", "strategy", "status", "step (s)");
        for (const auto& r : runs)
          fmt::print("{:>5}  {:<20} {:<9} {:<12} {:<30} {:<28} {:<36} {:<10} {:>12.6g}\n", r.id, r.created_at,
                     r.record.backend, r.record.experiment, r.record.model, cluster_label(r.record),
                     r.record.strategy, r.record.status, r.record.step_seconds);
      });
    });
  }
  {
    auto* show = results->add_subcommand("show", "Show one run");
    auto& o = add_common(show);
    static int64_t id = 0;
    show->add_option("id", id, "Run id")->required();
    show->callback([&o] {
      ResultsStore store(db_path(o));
      StoredRun r = store.get(id);
      Json j = stored_json(r);
      emit(o, j, [&] { std::cout << j.dump(2) << "\n"; });
    });
  }
  {
    auto* exp = results->add_subcommand("export", "Export runs as CSV or JSON");
    auto& o = add_common(exp);
    static bool csv = false;
    add_filter(exp);
    exp->add_flag("--csv", csv, "CSV, one row per run");
    exp->callback([&o] {
      ResultsStore store(db_path(o));
      auto runs = store.list(filter);
      if (!csv) {
        Json j = Json::array();
        for (const auto& r : runs) j.push_back(stored_json(r));
        std::cout << j.dump(2) << "\n";
        return;
      }
      fmt::print("id,created_at,git_rev,host,backend,experiment,model,cluster,strategy,status,message,"
                 "step_seconds,throughput,throughput_unit,mean_utilization,metrics_json,cluster_hash,"
                 "cluster_overrides,config_hash\n");
      for (const auto& r : runs) {
        const RunRecord& x = r.record;
        double util = 0;
        for (double u : x.device_utilization) util += u;
        if (!x.device_utilization.empty()) util /= double(x.device_utilization.size());
        fmt::print("{},{},{},{},{},{},{},{},{},{},{},{:.9g},{:.9g},{},{:.6g},{},{},{},{}\n", r.id, r.created_at,
                   r.git_rev, csv_field(r.host), x.backend, csv_field(x.experiment), csv_field(x.model),
                   csv_field(x.cluster), csv_field(x.strategy), x.status, csv_field(x.message), x.step_seconds,
                   x.throughput, x.throughput_unit, util, csv_field(x.metrics.dump()), x.cluster_hash,
                   csv_field(Json(x.cluster_overrides).dump()), x.config_hash);
      }
    });
  }
}

}  // namespace

static const CommandRegistration kRegistration(90, &register_results_commands);

}  // namespace paralab::cli
