// `paralab experiment list|run`: experiment specs (experiments/*/spec.json),
// run as resumable sweeps on worker threads and MPI ranks, recorded in SQLite.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "experiments/experiment.h"
#include "experiments/spec.h"
#include "experiments/sweep_runner.h"
#include "tools/cli_common.h"

namespace paralab::cli {

namespace {

std::string duration_text(double s) {
  if (s >= 3600) return fmt::format("{}h{:02d}m", int(s / 3600), int(std::fmod(s, 3600) / 60));
  if (s >= 60) return fmt::format("{}m{:02d}s", int(s / 60), int(std::fmod(s, 60)));
  return fmt::format("{:.0f}s", s);
}

// Progress of a sweep: a redrawn bar on a terminal (stderr), plain lines
// (every 10% of the runs, and the last) otherwise.
class SweepDisplay {
 public:
  explicit SweepDisplay(std::string name)
      : name_(std::move(name)), tty_(::isatty(STDERR_FILENO) == 1),
        bar_("experiment " + name_, stderr, tty_, std::chrono::milliseconds(0)) {}
  void operator()(const SweepProgress& p) {
    size_t todo = p.total - p.skipped;
    std::string eta = p.done ? ", ETA " + duration_text(p.eta_seconds) : "";
    std::string text = fmt::format("{}/{} runs ({} already recorded), {} failed{}", p.skipped + p.done, p.total,
                                   p.skipped, p.failed, eta);
    if (tty_) {
      bar_.update(todo ? double(p.done) / double(todo) : 1.0, text);
      return;
    }
    size_t step = std::max<size_t>(1, todo / 10);
    if (p.done == 0 || p.done % step == 0 || p.done == todo)
      fmt::print(stderr, "experiment {}: {} ({} elapsed)\n", name_, text, duration_text(p.elapsed_seconds));
  }
  void done() { bar_.done(); }

 private:
  std::string name_;
  bool tty_;
  ProgressLine bar_;
};

void register_experiment_commands(CLI::App& app) {
  auto* exp = app.add_subcommand("experiment", "Experiment specs: paper reproductions, sweeps and what-if studies");
  exp->require_subcommand(1);
  {
    auto* list = exp->add_subcommand("list", "List experiments (experiments/*/spec.json)");
    auto& o = add_common(list);
    list->callback([&o] {
      Json j = Json::array();
      auto specs = list_specs();
      for (const auto& s : specs) {
        Json e = {{"name", s.name},       {"description", s.description}, {"reproduces", s.reproduces},
                  {"kind", s.kind},       {"backends", s.backends},       {"spec", s.path}};
        if (s.kind == "program") {
          e["program"] = s.program;
          e["parameters"] = find_experiment(s.program).parameters;
        } else {
          e["runs"] = expand_sweep(effective_spec(s, false)).size();
        }
        j.push_back(e);
      }
      emit(o, j, [&] {
        for (const auto& e : j)
          fmt::print("{:<34} {:<17} {}\n", e["name"].get<std::string>(),
                     e["kind"] == "program" ? std::string("program") : fmt::format("{} runs", e["runs"].get<size_t>()),
                     e["description"].get<std::string>());
      });
    });
  }
  {
    auto* run = exp->add_subcommand("run", "Run an experiment's sweep (resumable) and record its runs");
    auto& o = add_common(run);
    static std::string name;
    static RunExperimentOptions opts;
    static std::vector<std::string> params;
    run->add_option("name", name, "Experiment name (see `paralab experiment list`) or a spec .json file")->required();
    run->add_flag("--quick", opts.experiment.quick, "The smaller sweep of the spec's quick section (CI, `make run`)");
    run->add_option("--seed", opts.experiment.seed, "Seed for synthetic data (programs)");
    run->add_option("-j,--jobs", opts.threads, "Worker threads (per MPI rank under mpirun)")
        ->check(CLI::PositiveNumber);
    run->add_option("--param", params, "A program's parameter, key=value (repeatable; see `experiment list --json`)");
    run->callback([&o] {
      for (const auto& p : params) {
        const auto eq = p.find('=');
        if (eq == std::string::npos || eq == 0) throw InputError("--param '" + p + "': expected key=value");
        opts.experiment.params[p.substr(0, eq)] = p.substr(eq + 1);
      }
      const bool writer = sweep_writer();
      std::unique_ptr<ResultsStore> store;
      if (writer) store = std::make_unique<ResultsStore>(db_path(o));
      ExperimentSpec spec = load_spec(name);
      SweepDisplay display(spec.name);
      if (writer) opts.progress = [&display](const SweepProgress& p) { display(p); };
      ExperimentResult r = run_experiment(name, store.get(), opts);
      display.done();
      if (!writer) return;
      Json j = r.summary;
      j["experiment"] = spec.name;
      j["run_ids"] = r.run_ids;
      j["db"] = store->path();
      emit(o, j, [&] {
        fmt::print("{}: {}\n", spec.name, spec.description);
        if (!spec.reproduces.empty()) fmt::print("reproduces: {}\n", spec.reproduces);
        fmt::print("\n{}\n", r.table);
        if (j.contains("runs_total"))
          fmt::print("{} runs: {} recorded now, {} already recorded, {} failed (oom, infeasible, invalid or error); "
                     "database {}\n",
                     j["runs_total"].get<size_t>(), j["runs_made"].get<size_t>(), j["runs_skipped"].get<size_t>(),
                     j["runs_failed"].get<size_t>(), store->path());
        else
          fmt::print("{} run(s) recorded in {}\n", r.run_ids.size(), store->path());
      });
    });
  }
}

}  // namespace

static const CommandRegistration kRegistration(80, &register_experiment_commands);

}  // namespace paralab::cli
