// `paralab compare --baseline results/baselines/NAME.json [--tolerance 2%]
//  [--db PATH] [--junit out.xml] [--update] [--quick]`: CI regression check.
//
// Without --db the baseline's experiment runs into a fresh database (a
// temporary folder, removed afterwards); with --db the runs already recorded
// there are read. Every simulated value is compared with the baseline (never
// `timing`); the table of changes is printed, JUnit XML written with
// --junit, and the exit code is 1 when a value regressed beyond tolerance or
// a run changed status, appeared or vanished. --update rewrites the baseline
// from these runs instead (exit 0).
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "experiments/experiment.h"
#include "results/baseline.h"
#include "tools/cli_common.h"

namespace paralab::cli {

namespace {

namespace fs = std::filesystem;

// The one place `compare` runs an experiment: into a fresh database, so that
// only this invocation's runs are compared. Returns them.
std::vector<StoredRun> run_experiment_fresh(const std::string& name, bool quick) {
  const Experiment& e = find_experiment(name);
  std::string tmpl = (fs::temp_directory_path() / "paralab-compare-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary folder under " + fs::temp_directory_path().string());
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{tmpl};
  ResultsStore store(tmpl + "/runs.db");
  ExperimentOptions opts;
  opts.quick = quick;
  e.run(store, opts);
  RunFilter f;
  f.experiment = name;
  return store.list(f);
}

void register_compare(CLI::App& app) {
  auto* cmd = app.add_subcommand("compare", "CI regression check: an experiment's simulated figures against a baseline");
  auto& o = add_common(cmd);
  static std::string baseline_path, tolerance_text = "2%", junit, experiment;
  static bool update = false, quick = false;
  cmd->get_option("--db")->description(
      "Read the experiment's runs from this database (default: run it into a fresh one; $PARALAB_DB is not used)");
  cmd->add_option("--baseline", baseline_path, "Baseline file (results/baselines/NAME.json)")->required();
  cmd->add_option("--tolerance", tolerance_text, "Relative change allowed, e.g. 2% or 0.02 (default 2%)");
  cmd->add_option("--junit", junit, "Write JUnit XML here");
  cmd->add_flag("--update", update, "Rewrite the baseline from these runs (on purpose)");
  cmd->add_option("--experiment", experiment, "Experiment to run (default: the baseline's, or the file's name with --update)");
  cmd->add_flag("--quick", quick, "With --update on a new baseline: record the experiment's --quick form");
  cmd->callback([&o] {
    const double tolerance = parse_tolerance(tolerance_text, "--tolerance");
    Baseline base;
    bool have_base = fs::exists(baseline_path);
    if (have_base) base = load_baseline(baseline_path);
    else if (!update)
      throw InputError(baseline_path + ": no such baseline; write it with `paralab compare --baseline " + baseline_path +
                       " --update`");
    if (experiment.empty()) experiment = have_base ? base.experiment : fs::path(baseline_path).stem().string();
    if (have_base && experiment != base.experiment)
      throw InputError(baseline_path + ": $.experiment: the baseline is for '" + base.experiment + "', not '" + experiment + "'");
    bool q = have_base ? base.quick || quick : quick;
    find_experiment(experiment);  // unknown names fail before anything runs

    std::vector<StoredRun> runs;
    if (!o.db.empty()) {
      ResultsStore store(o.db);
      RunFilter f;
      f.experiment = experiment;
      runs = store.list(f);
      if (runs.empty()) throw InputError(o.db + ": no runs of experiment '" + experiment + "' recorded");
    } else {
      runs = run_experiment_fresh(experiment, q);
    }
    Baseline now = baseline_from_runs(experiment, q, runs);

    if (update) {
      save_baseline(now, baseline_path);
      Json j = {{"baseline", baseline_path}, {"experiment", experiment}, {"runs", now.runs.size()}, {"updated", true}};
      emit(o, j, [&] { fmt::print("{}: wrote {} runs of '{}' (revision {})\n", baseline_path, now.runs.size(), experiment, now.git_rev); });
      return;
    }
    Comparison c = compare_to_baseline(base, now, tolerance);
    if (!junit.empty()) {  // written beside, then renamed: a CI job never reads half a file
      const std::string tmp = junit + ".partial";
      {
        std::ofstream f(tmp);
        f << comparison_junit_xml(c, base, now);
        if (!f.flush()) throw InputError("--junit " + junit + ": cannot write the JUnit report");
      }
      std::error_code ec;
      fs::rename(tmp, junit, ec);
      if (ec) throw InputError("--junit " + junit + ": cannot write the JUnit report: " + ec.message());
    }
    Json j = comparison_json(c);
    j["baseline"] = baseline_path;
    j["experiment"] = experiment;
    emit(o, j, [&] {
      fmt::print("compare '{}' with {} (baseline revision {}, tolerance {:.3g}%)\n", experiment, baseline_path,
                 base.git_rev.empty() ? "?" : base.git_rev, 100 * tolerance);
      if (!c.changes.empty()) fmt::print("\n{}\n", comparison_table(c, 40));
      fmt::print("{} runs, {} values compared: {} regressed, {} status changes, {} missing, {} new, {} improved, "
                 "{} within tolerance\n",
                 c.runs_compared, c.values_compared, c.count(ValueChange::Kind::kRegressed),
                 c.count(ValueChange::Kind::kStatus), c.count(ValueChange::Kind::kMissing), c.count(ValueChange::Kind::kNew),
                 c.count(ValueChange::Kind::kImproved), c.count(ValueChange::Kind::kWithin));
      if (c.failed())
        fmt::print("If the change is intended, refresh the baseline in the same commit:\n  paralab compare --baseline {} --update\n",
                   baseline_path);
    });
    if (c.failed())
      throw ExitStatus(1, fmt::format("{} of {} runs differ from {} beyond {:.3g}%", c.failing_runs().size(),
                                      now.runs.size(), baseline_path, 100 * tolerance));
  });
}

}  // namespace

static const CommandRegistration kRegistration(85, &register_compare);

}  // namespace paralab::cli
