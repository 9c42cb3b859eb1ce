// `paralab experiment list|run`: named sweeps that record their runs.
#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"

#include "experiments/experiment.h"
#include "tools/cli_common.h"

namespace paralab::cli {

namespace {

void register_experiment_commands(CLI::App& app) {
  auto* exp = app.add_subcommand("experiment", "Named experiments: paper reproductions and sweeps, recorded in SQLite");
  exp->require_subcommand(1);
  {
    auto* list = exp->add_subcommand("list", "List experiments");
    auto& o = add_common(list);
    list->callback([&o] {
      Json j = Json::array();
      for (const auto& e : experiments())
        j.push_back({{"name", e.name}, {"description", e.description}, {"parameters", e.parameters}});
      emit(o, j, [&] {
        for (const auto& e : experiments()) fmt::print("{:<14} {}\n", e.name, e.description);
      });
    });
  }
  {
    auto* run = exp->add_subcommand("run", "Run an experiment and record its runs");
    auto& o = add_common(run);
    static std::string name;
    static ExperimentOptions opts;
    run->add_option("name", name, "Experiment name (see `paralab experiment list`)")->required();
    run->add_flag("--quick", opts.quick, "The smaller sweep used by CI and `make run`");
    run->add_option("--seed", opts.seed, "Seed for synthetic data");
    static std::vector<std::string> params;
    run->add_option("--param", params, "An experiment parameter, key=value (repeatable; see `experiment list`)");
    run->callback([&o] {
      const Experiment& e = find_experiment(name);
      for (const auto& p : params) {
        const auto eq = p.find('=');
        const std::string key = p.substr(0, eq);
        if (eq == std::string::npos || key.empty())
          throw InputError("--param '" + p + "': expected key=value");
        if (std::find(e.parameters.begin(), e.parameters.end(), key) == e.parameters.end())
          throw InputError("--param: experiment '" + e.name + "' has no parameter '" + key + "'; valid parameters: " +
                           (e.parameters.empty() ? std::string("(none)") : join_names(e.parameters)));
        opts.params[key] = p.substr(eq + 1);
      }
      ResultsStore store(db_path(o));
      ExperimentResult r = e.run(store, opts);
      Json j = r.summary;
      j["experiment"] = e.name;
      j["run_ids"] = r.run_ids;
      j["db"] = store.path();
      emit(o, j, [&] {
        fmt::print("{}: {}\n\n{}\n{} run(s) recorded in {}\n", e.name, e.description, r.table, r.run_ids.size(),
                   store.path());
      });
    });
  }
}

}  // namespace

static const CommandRegistration kRegistration(80, &register_experiment_commands);

}  // namespace paralab::cli
