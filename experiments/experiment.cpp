#include "experiments/experiment.h"

#include "core/error.h"
#include "experiments/uniap/uniap_experiment.h"
#include "experiments/validate/validate_experiment.h"

namespace paralab {

// Defined next to each experiment; listed here explicitly (one place).
Experiment lcq_suite_experiment();
Experiment inflora_experiment();
Experiment pipo_experiment();

const std::vector<Experiment>& experiments() {
  static const std::vector<Experiment> all = {lcq_suite_experiment(), uniap_experiment(), pipo_experiment(),
                                              inflora_experiment(), validate_experiment()};
  return all;
}

const Experiment& find_experiment(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& e : experiments()) {
    if (e.name == name) return e;
    names.push_back(e.name);
  }
  throw InputError("unknown experiment program '" + name + "'; valid names: " + join_names(names));
}

}  // namespace paralab
