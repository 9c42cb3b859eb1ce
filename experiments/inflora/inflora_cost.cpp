#include "experiments/inflora/inflora_cost.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/catalog.h"
#include "core/error.h"
#include "results/store.h"
#include "strategies/training/training_sim.h"

namespace paralab::inflora {

namespace {

MegatronOptions candidate(int tp, int zero, Recompute rc, int64_t micro_batch) {
  MegatronOptions o;
  o.tp = tp;
  o.pp = 1;
  o.zero_stage = zero;
  o.recompute = rc;
  o.micro_batch = micro_batch;
  return o;
}

std::string describe(const MegatronOptions& o, int devices) {
  const int dp = devices / (o.tp * o.pp);
  return fmt::format("tp{} pp{} dp{} zero{} mb{} recompute {}", o.tp, o.pp, dp, o.zero_stage, o.micro_batch,
                     recompute_name(o.recompute));
}

// Adapter parameters of one block: rank r on `matrices` of the attention
// projections; k and v map h to kv_heads * head_dim.
double lora_params(const Layer& block, int rank, int matrices) {
  const double h = double(block.shape.hidden), kv = double(block.shape.kv_heads * block.shape.head_dim);
  return double(matrices) * rank * (h + kv);
}

std::vector<double> trainable_params(const ModelGraph& m, const CostWorkload& w) {
  std::vector<double> t;
  for (int l = 0; l < m.num_layers(); ++l) {
    const Layer& layer = m.layer(l);
    const bool block = layer.kind == LayerKind::kEncoderBlock || layer.kind == LayerKind::kDecoderBlock;
    if (block) t.push_back(lora_params(layer, w.lora_rank, w.lora_matrices_per_block));
    else if (layer.kind == LayerKind::kHead && w.train_head) t.push_back(double(layer.params));
    else t.push_back(0.0);
  }
  return t;
}

// Simulates every candidate of one method; marks and returns the fastest ok one.
CostPlan best_plan(const CostWorkload& w, const std::string& method, const ModelGraph& m, const Cluster& c,
                   ResultsStore* store, std::vector<CostPlan>& all) {
  const auto& candidates = method == "inflora" ? w.inflora_plans : w.full_plans;
  const size_t first = all.size();
  for (MegatronOptions o : candidates) {
    o.model = w.model;
    o.cluster = c.name;
    o.seq_len = w.seq_len;
    o.global_batch = w.global_batch;
    CostPlan cp{w.model, method, describe(o, c.num_devices()), "ok"};
    TrainingPlan plan;
    try {
      plan = megatron_plan(o, m, c);
    } catch (const InputError& e) {
      cp.status = "invalid";
      all.push_back(cp);
      continue;
    }
    plan.source = "inflora cost study: " + method;
    if (method == "inflora") plan.trainable_params = trainable_params(m, w);
    cp.trainable_params = 0;
    for (int l = 0; l < m.num_layers(); ++l)
      cp.trainable_params += plan.trainable_params.empty() ? double(m.layer(l).params) : plan.trainable_params[l];
    TrainingSimOptions so;
    so.detailed = false;
    const TrainingResult r = simulate_training(plan, m, c, so);
    cp.status = r.status;
    cp.iteration_seconds = r.iteration_seconds;
    cp.gpus = r.gpus;
    for (double b : r.peak_memory_bytes) cp.peak_memory_bytes = std::max(cp.peak_memory_bytes, b);
    if (cp.peak_memory_bytes == 0)
      for (double b : r.analytic_peak_memory_bytes) cp.peak_memory_bytes = std::max(cp.peak_memory_bytes, b);
    if (store) {
      RunRecord rec = training_run_record(r, plan, m, c);
      rec.experiment = "inflora";
      rec.strategy = "cost:" + method + ":" + cp.plan;
      rec.metrics["trainable_params"] = cp.trainable_params;
      cp.run_id = store->insert(rec);
    }
    all.push_back(cp);
  }
  size_t best = all.size();
  for (size_t i = first; i < all.size(); ++i)
    if (all[i].status == "ok" && (best == all.size() || all[i].iteration_seconds < all[best].iteration_seconds)) best = i;
  if (best == all.size()) {
    std::string why;
    for (size_t i = first; i < all.size(); ++i) why += fmt::format("; {}: {}", all[i].plan, all[i].status);
    throw InputError(fmt::format("cost study: no feasible {} plan for {} on {}{}", method, w.model, c.name, why));
  }
  all[best].chosen = true;
  return all[best];
}

}  // namespace

std::vector<CostWorkload> default_cost_workloads() {
  CostWorkload vit;
  vit.model = "vit-base-16";
  vit.data = "10,000 images of 224 px per task, 20 epochs, global batch 256";
  vit.seq_len = 197;
  vit.global_batch = 256;
  vit.samples_per_task = 10000;
  vit.epochs = 20;
  vit.train_head = true;
  for (int64_t mb : {8, 16, 32}) {
    vit.full_plans.push_back(candidate(1, 0, Recompute::kNone, mb));
    vit.inflora_plans.push_back(candidate(1, 0, Recompute::kNone, mb));
  }
  CostWorkload llama;
  llama.model = "llama-2-7b";
  llama.data = "100 M tokens per task (4,096-token sequences), 1 epoch, global batch 64 sequences";
  llama.seq_len = 4096;
  llama.global_batch = 64;
  llama.samples_per_task = 100e6 / 4096.0;
  llama.epochs = 1;
  llama.train_head = false;
  llama.full_plans = {candidate(1, 3, Recompute::kSelective, 1), candidate(1, 3, Recompute::kSelective, 2),
                      candidate(1, 3, Recompute::kFull, 2),      candidate(2, 1, Recompute::kSelective, 1),
                      candidate(8, 0, Recompute::kSelective, 1)};
  llama.inflora_plans = {candidate(1, 0, Recompute::kNone, 1), candidate(1, 0, Recompute::kSelective, 1),
                         candidate(1, 0, Recompute::kSelective, 2), candidate(1, 0, Recompute::kFull, 4)};
  return {vit, llama};
}

CostStudy run_cost_study(const std::vector<CostWorkload>& workloads, const std::string& cluster,
                         const std::vector<int>& task_counts, ResultsStore* store) {
  CostStudy s;
  s.cluster = cluster;
  s.workloads = workloads;
  const Cluster c = load_cluster(cluster, 0);
  for (const CostWorkload& w : workloads) {
    const ModelGraph m = load_model(w.model);
    const CostPlan inf = best_plan(w, "inflora", m, c, store, s.plans);
    const CostPlan full = best_plan(w, "retrain", m, c, store, s.plans);
    const double steps = w.samples_per_task * w.epochs / double(w.global_batch);
    const double unit_inf = steps * inf.iteration_seconds * inf.gpus / 3600.0;
    const double unit_full = steps * full.iteration_seconds * full.gpus / 3600.0;
    for (int t : task_counts) {
      CostRow r;
      r.model = w.model;
      r.tasks = t;
      r.add_task_inflora_gpu_hours = unit_inf;
      r.add_task_retrain_gpu_hours = t * unit_full;
      r.total_inflora_gpu_hours = t * unit_inf;
      r.total_retrain_gpu_hours = t * (t + 1) / 2.0 * unit_full;
      s.rows.push_back(r);
    }
  }
  return s;
}

Json cost_study_json(const CostStudy& s) {
  Json plans = Json::array(), rows = Json::array(), workloads = Json::array();
  for (const auto& w : s.workloads)
    workloads.push_back({{"model", w.model},
                         {"data", w.data},
                         {"lora_rank", w.lora_rank},
                         {"lora_matrices_per_block", w.lora_matrices_per_block},
                         {"train_head", w.train_head}});
  for (const auto& p : s.plans)
    plans.push_back({{"model", p.model},
                     {"method", p.method},
                     {"plan", p.plan},
                     {"status", p.status},
                     {"iteration_seconds", p.iteration_seconds},
                     {"peak_memory_bytes", p.peak_memory_bytes},
                     {"trainable_params", p.trainable_params},
                     {"gpus", p.gpus},
                     {"chosen", p.chosen},
                     {"run_id", p.run_id}});
  for (const auto& r : s.rows)
    rows.push_back({{"model", r.model},
                    {"tasks", r.tasks},
                    {"add_task_inflora_gpu_hours", r.add_task_inflora_gpu_hours},
                    {"add_task_retrain_gpu_hours", r.add_task_retrain_gpu_hours},
                    {"total_inflora_gpu_hours", r.total_inflora_gpu_hours},
                    {"total_retrain_gpu_hours", r.total_retrain_gpu_hours}});
  return {{"cluster", s.cluster}, {"workloads", workloads}, {"plans", plans}, {"rows", rows}};
}

std::string cost_study_markdown(const CostStudy& s) {
  std::string out = fmt::format("Cost of adding a task on {} (simulated; fastest feasible plan per method):\n\n", s.cluster);
  for (const auto& w : s.workloads)
    out += fmt::format("- {}: {}; InfLoRA adapters rank {} on {} attention projections per block{}\n", w.model, w.data,
                       w.lora_rank, w.lora_matrices_per_block, w.train_head ? ", the task's classifier head trained" : "");
  out += "\n| model | method | plan | iteration s | peak GiB/GPU | trainable params |\n|---|---|---|---|---|---|\n";
  for (const auto& p : s.plans)
    if (p.chosen)
      out += fmt::format("| {} | {} | {} | {:.4f} | {:.1f} | {:.4g} |\n", p.model, p.method, p.plan, p.iteration_seconds,
                         p.peak_memory_bytes / (1024.0 * 1024 * 1024), p.trainable_params);
  out += "\n| model | tasks T | add task T: InfLoRA GPU-h | add task T: retrain GPU-h | ratio | T tasks: InfLoRA GPU-h | "
         "T tasks: retrain GPU-h |\n|---|---|---|---|---|---|---|\n";
  for (const auto& r : s.rows)
    out += fmt::format("| {} | {} | {:.3f} | {:.3f} | {:.1f}x | {:.2f} | {:.2f} |\n", r.model, r.tasks,
                       r.add_task_inflora_gpu_hours, r.add_task_retrain_gpu_hours,
                       r.add_task_retrain_gpu_hours / r.add_task_inflora_gpu_hours, r.total_inflora_gpu_hours,
                       r.total_retrain_gpu_hours);
  out += "\nNot included: InfLoRA's two no-gradient passes per task (Gram matrices, DualGPM update), evaluation, data "
         "loading, checkpointing.\n";
  return out;
}

}  // namespace paralab::inflora
