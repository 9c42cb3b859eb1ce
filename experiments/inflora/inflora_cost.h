// The cost study of continual fine-tuning: GPU-hours to add one task by
// InfLoRA fine-tuning (frozen backbone, rank-r adapters, new data only)
// against retraining the whole model on all the data seen so far, from
// simulated training iterations (strategies/training with frozen layers,
// TrainingPlan::trainable_params) on one cluster.
//
// For each workload and each method, a few Megatron/DeepSpeed plans are
// simulated and the fastest that fits in memory is kept (every simulated plan
// is a recorded run). With S samples per task, E epochs, global batch B,
// iteration time t and G GPUs, one task's worth of training costs
//   U = S * E / B * t * G / 3600 GPU-hours.
// Adding task T: InfLoRA U_inflora; retraining T * U_full. Over T tasks:
// InfLoRA T * U_inflora; retraining after every task sum_{k<=T} k * U_full =
// T (T + 1) / 2 * U_full. Not included (stated with the table): InfLoRA's
// two no-gradient passes per task (the Gram matrices before training and the
// DualGPM update after; 2 forward passes against E epochs of training),
// evaluation, data loading and checkpointing.
// Invariants: 1. a pure function of the workloads and the cluster (only the
// "timing" figures vary); 2. a workload with no feasible plan for a method is
// an error naming the plans and their statuses.
// Thread-safety: writes to the given store only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json_reader.h"
#include "strategies/training/training_plan.h"

namespace paralab {
class ResultsStore;
}

namespace paralab::inflora {

struct CostWorkload {
  std::string model;  // catalog name
  std::string data;   // words for the table: "10,000 images of 224 px per task, 20 epochs"
  int64_t seq_len = 0;
  int64_t global_batch = 0;
  double samples_per_task = 0;  // images or sequences
  double epochs = 1;
  int lora_rank = 10;
  int lora_matrices_per_block = 2;  // k and v, as InfLoRA's code adapts
  bool train_head = false;          // a new classifier head per task (vision) or a frozen LM head
  std::vector<MegatronOptions> full_plans, inflora_plans;  // candidates (model/cluster filled in)
};

// ViT-B/16 (10,000 images per task, 20 epochs, batch 256) and Llama-2-7B
// (100 M tokens per task as 4,096-token sequences, 1 epoch, batch 64).
std::vector<CostWorkload> default_cost_workloads();

struct CostPlan {
  std::string model, method;  // method: inflora | retrain
  std::string plan;           // "tp1 pp1 dp8 zero0 mb32 recompute none"
  std::string status;
  double iteration_seconds = 0;
  double peak_memory_bytes = 0;  // largest device peak
  double trainable_params = 0;
  int gpus = 0;
  bool chosen = false;
  int64_t run_id = 0;
};

struct CostRow {
  std::string model;
  int tasks = 0;
  double add_task_inflora_gpu_hours = 0, add_task_retrain_gpu_hours = 0;
  double total_inflora_gpu_hours = 0, total_retrain_gpu_hours = 0;
};

struct CostStudy {
  std::string cluster;
  std::vector<CostWorkload> workloads;
  std::vector<CostPlan> plans;
  std::vector<CostRow> rows;
};

CostStudy run_cost_study(const std::vector<CostWorkload>& workloads, const std::string& cluster,
                         const std::vector<int>& task_counts, ResultsStore* store);

Json cost_study_json(const CostStudy& s);
std::string cost_study_markdown(const CostStudy& s);

}  // namespace paralab::inflora
