// Registers the InfLoRA experiment (experiments/inflora/inflora_experiment.h).
#include "experiments/experiment.h"
#include "experiments/inflora/inflora_experiment.h"

namespace paralab {

Experiment inflora_experiment() {
  auto run = [](ResultsStore& store, const ExperimentOptions& opt) {
    const inflora::InfloraConfig c = inflora::inflora_config(opt);
    const auto rows = inflora::run_inflora_experiment(c, &store);
    ExperimentResult out;
    out.summary = inflora::inflora_summary(rows);
    out.table = inflora::inflora_markdown(rows);
    for (const auto& r : rows) out.run_ids.push_back(r.run_id);
    return out;
  };
  return {"inflora",
          "InfLoRA vs seq-lora, seq-full, joint: class-incremental accuracy and forgetting, synthetic 5/10/20 tasks "
          "and UCI digits 5 tasks, 3 seeds",
          run, inflora::inflora_parameters()};
}

}  // namespace paralab
