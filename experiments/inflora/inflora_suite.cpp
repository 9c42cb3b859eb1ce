// Registers the InfLoRA experiment (experiments/inflora/inflora_experiment.h).
#include "experiments/experiment.h"
#include "experiments/inflora/inflora_cost.h"
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
    if (c.cost_study) {
      const inflora::CostStudy cost =
          inflora::run_cost_study(inflora::default_cost_workloads(), c.cost_cluster, c.cost_tasks, &store);
      out.summary["cost_study"] = inflora::cost_study_json(cost);
      out.table += "\n" + inflora::cost_study_markdown(cost);
      for (const auto& p : cost.plans)
        if (p.run_id) out.run_ids.push_back(p.run_id);
    }
    return out;
  };
  return {"inflora",
          "InfLoRA vs seq-lora, seq-full, joint: class-incremental accuracy and forgetting, synthetic 5/10/20 tasks "
          "and UCI digits 5 tasks, 3 seeds; GPU-hours of adding a task vs retraining (ViT-B/16, Llama-2-7B)",
          run, inflora::inflora_parameters()};
}

}  // namespace paralab
