// Registers the LCQ suite (experiments/lcq/lcq_experiment.h) as an experiment.
#include "experiments/experiment.h"
#include "experiments/lcq/lcq_experiment.h"

namespace paralab {

Experiment lcq_suite_experiment() {
  auto run = [](ResultsStore& store, const ExperimentOptions& opt) {
    lcq::LcqExperimentConfig c = opt.quick ? lcq::lcq_quick_config() : lcq::LcqExperimentConfig{};
    auto rows = lcq::run_lcq_experiment(c, &store);
    ExperimentResult out;
    Json j = Json::array();
    for (const auto& r : rows) {
      j.push_back({{"matrix", r.matrix},
                   {"format", r.format},
                   {"bits", r.bits},
                   {"rank", r.rank},
                   {"bits_per_weight", r.bits_per_weight},
                   {"mse", r.mse},
                   {"output_relative_error", r.output_relative_error}});
      if (r.run_id) out.run_ids.push_back(r.run_id);
    }
    out.summary = {{"rows", j}};
    out.table = lcq::lcq_results_markdown(rows);
    return out;
  };
  return {"lcq", "RTN vs LCQ rank 1, 2, 4 at 2-4 bits on the synthetic LLM-like weight suite", run};
}

}  // namespace paralab
