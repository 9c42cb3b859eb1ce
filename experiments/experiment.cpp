#include "experiments/experiment.h"

#include <map>
#include <memory>
#include <mutex>

#include "core/error.h"
#include "experiments/ci/ci_experiment.h"
#include "experiments/spec.h"
#include "experiments/uniap/uniap_experiment.h"
#include "experiments/validate/validate_experiment.h"

namespace paralab {

// Defined next to each experiment; listed here explicitly (one place).
Experiment narayanan_experiment();
Experiment lcq_suite_experiment();
Experiment inflora_experiment();
Experiment pipo_experiment();

const std::vector<Experiment>& experiments() {
  static const std::vector<Experiment> all = {narayanan_experiment(), lcq_suite_experiment(), uniap_experiment(),
                                              pipo_experiment(),      inflora_experiment(),   validate_experiment(),
                                              ci_experiment()};
  return all;
}

const Experiment& find_experiment(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& e : experiments()) {
    if (e.name == name) return e;
    names.push_back(e.name);
  }
  // A sweep spec, wrapped as an Experiment for callers that run experiments
  // through this interface (its run is run_experiment, so it resumes too).
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<Experiment>> sweeps;
  std::lock_guard<std::mutex> lk(mu);
  if (auto it = sweeps.find(name); it != sweeps.end()) return *it->second;
  for (const auto& s : list_specs()) {
    if (s.name != name || s.kind == "program") continue;
    auto e = std::make_unique<Experiment>();
    e->name = s.name;
    e->description = s.description;
    e->run = [n = s.name](ResultsStore& store, const ExperimentOptions& o) {
      RunExperimentOptions ro;
      ro.experiment = o;
      return run_experiment(n, &store, ro);
    };
    return *(sweeps[name] = std::move(e));
  }
  throw InputError("unknown experiment program '" + name + "'; valid names: " + join_names(names));
}

}  // namespace paralab
