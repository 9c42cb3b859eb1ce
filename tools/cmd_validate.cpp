// `paralab validate --backend host|cuda [--profile p.json] [--json]`: runs the
// validation TaskGraphs for real and in the simulator with the calibrated
// profile, records both runs of each graph, and reports relative errors.
#include <fmt/format.h>

#include <filesystem>

#include "core/error.h"
#include "experiments/validate/validate_experiment.h"
#include "results/store.h"
#include "tools/cli_common.h"

namespace paralab::cli {

std::string self_binary();  // tools/cmd_calibrate.cpp

namespace {

void register_validate(CLI::App& app) {
  auto* cmd = app.add_subcommand("validate", "Measured vs simulated: run TaskGraphs both ways and record the error");
  auto& o = add_common(cmd);
  static std::string backend = "host", profile, cluster_arg, scratch, graphs_dir, trace_dir;
  static bool quick = false, no_store = false;
  static int runs = 0;
  static std::vector<std::string> sets;
  cmd->add_option("--backend", backend, "host or cuda")->check(CLI::IsMember({"host", "cuda"}));
  cmd->add_option("--profile", profile, "Hardware profile (default: calibrate now and write results/profile-<backend>.json)");
  cmd->add_option("--cluster", cluster_arg, "Cluster (default localhost-cpu for host)");
  add_cluster_set_option(cmd, &sets);
  cmd->add_option("--scratch-dir", scratch, "Directory for scratch files");
  cmd->add_option("--write-graphs", graphs_dir, "Also write the validation TaskGraphs as JSON into this directory");
  cmd->add_option("--trace-dir", trace_dir,
                  "Write each graph's measured (<graph>.measured.json) and simulated (<graph>.simulated.json) traces here");
  cmd->add_option("--runs", runs, "Real executions per graph, each with its own warm-up; the median is compared (default 5, --quick 2)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--quick", quick, "Smaller graphs and calibration (CI smoke test)");
  cmd->add_flag("--no-store", no_store, "Do not record the runs");
  cmd->callback([&o] {
    ValidationJob job;
    job.backend = backend;
    job.profile = profile;
    job.cluster = cluster_arg;
    job.sets = sets;
    job.scratch_dir = scratch;
    job.graphs_dir = graphs_dir;
    job.paralab_binary = self_binary();
    job.quick = quick;
    job.runs = runs;
    job.keep_traces = !trace_dir.empty();
    ValidationOutcome out = run_validation(job);
    real::ValidationReport& rep = out.report;
    profile = out.profile;
    cluster_arg = out.cluster;
    real::ValidationOptions vo;
    vo.real_runs = out.real_runs;
    if (!trace_dir.empty()) {
      std::filesystem::create_directories(trace_dir);
      for (const auto& v : rep.runs) {
        write_json_file(trace_dir + "/" + v.name + ".measured.json", v.measured_trace);
        write_json_file(trace_dir + "/" + v.name + ".simulated.json", v.simulated_trace);
      }
    }
    Json j = rep.to_json();
    j["profile"] = profile;
    j["cluster"] = cluster_arg;
    j["backend"] = backend;
    if (!no_store) {
      ResultsStore store(db_path(o));
      for (size_t i = 0; i < rep.runs.size(); ++i) {
        auto& v = rep.runs[i];
        v.measured.config["profile"] = profile;
        v.simulated.config["profile"] = profile;
        j["runs"][i]["measured_run_id"] = store.insert(v.measured);
        j["runs"][i]["simulated_run_id"] = store.insert(v.simulated);
      }
    }
    emit(o, j, [&] {
      fmt::print("validation on {} ({} backend, profile {})\n", cluster_arg, backend, profile);
      fmt::print("  {:<26} {:>12} {:>19} {:>12} {:>9}\n", "graph", "measured s", "(min - max)", "simulated s", "error");
      for (const auto& v : rep.runs) {
        if (v.measured.status != "ok") {  // no measurement: no error figure
          fmt::print("  {:<26} {:>12} {:>19} {:>12.5f} {:>9}  [{}: {}]\n", v.name, "-", "", v.simulated_seconds, "-",
                     v.measured.status, v.measured.message);
          continue;
        }
        fmt::print("  {:<26} {:>12.5f} ({:.5f} - {:.5f}) {:>12.5f} {:>8.1f}%\n", v.name, v.measured_seconds,
                   v.measured_min_seconds, v.measured_max_seconds, v.simulated_seconds, 100 * v.relative_error);
      }
      fmt::print("  (measured = median of {} runs)\n", vo.real_runs);
      if (rep.passed())
        fmt::print("  median error {:.1f}%, max {:.1f}%\n", 100 * rep.median_relative_error, 100 * rep.max_relative_error);
      else
        fmt::print("  FAILED: {}\n", rep.failure_summary());
    });
    // A validation in which a graph failed has not validated anything about
    // that graph: exit 1 with the reason (after printing and recording).
    if (!rep.passed()) throw ExitStatus{1, "validate: " + rep.failure_summary()};
  });
}

const CommandRegistration kRegistration(62, &register_validate);

}  // namespace
}  // namespace paralab::cli
