// Training plan JSON -> TrainingPlan -> validation against GPT-2 XL on two
// DGX A100 nodes -> the memory estimate of a valid plan. (Lowering a valid
// plan to a TaskGraph is left out: its size grows with the plan's
// micro-batches and layers, which the fuzzer would spend its time on.)
#include "core/catalog.h"
#include "fuzz/fuzz_driver.h"
#include "strategies/training/memory_model.h"
#include "strategies/training/plan_validation.h"
#include "strategies/training/training_plan.h"

void paralab::fuzz::consume(const JsonReader& j) {
  static const ModelGraph model = load_model("gpt2-xl");
  static const Cluster cluster = load_cluster("dgx-a100-80gb", 2);
  TrainingPlan p = plan_from_json(j);
  if (!check_plan(p, model, cluster).empty()) return;  // an invalid plan, reported as such
  (void)estimate_memory(p, model, cluster);
}
