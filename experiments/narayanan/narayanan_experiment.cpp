#include "experiments/narayanan/narayanan_experiment.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/catalog.h"

namespace paralab {

const std::vector<NarayananRow>& narayanan_rows() {
  // Narayanan et al. 2021, Table 1: model, TP, PP, GPUs, batch, TFLOP/s per GPU.
  static const std::vector<NarayananRow> rows = {
      {"megatron-gpt-1.7b", 1, 1, 32, 512, 137},      {"megatron-gpt-3.6b", 2, 1, 64, 512, 138},
      {"megatron-gpt-7.5b", 4, 1, 128, 512, 142},     {"megatron-gpt-18b", 8, 1, 256, 1024, 135},
      {"megatron-gpt-39b", 8, 2, 512, 1536, 138},     {"megatron-gpt-76b", 8, 4, 1024, 1792, 140},
      {"megatron-gpt-145b", 8, 8, 1536, 2304, 148},   {"megatron-gpt-310b", 8, 16, 1920, 2160, 155},
      {"megatron-gpt-530b", 8, 35, 2520, 2520, 163},  {"megatron-gpt-1t", 8, 64, 3072, 3072, 163},
  };
  return rows;
}

TrainingPlan narayanan_plan(const NarayananRow& r, const ModelGraph& m, const Cluster& c) {
  MegatronOptions o;
  o.model = r.model;
  o.cluster = "dgx-a100-80gb";
  o.nodes = r.gpus / 8;
  o.seq_len = 2048;
  o.global_batch = r.global_batch;
  o.tp = r.tp;
  o.pp = r.pp;
  o.dp = r.gpus / (r.tp * r.pp);
  o.micro_batch = 1;
  o.recompute = Recompute::kFull;
  o.overlap_grad_reduce = false;  // Megatron-LM 2021 reduced gradients after the pipeline's backward
  o.async_tensor_parallel = false;  // ... and ran the backward's TP all-reduces in line (async came late 2021)
  return megatron_plan(o, m, c);
}

NarayananSim simulate_narayanan_row(const NarayananRow& r, const ModelGraph& m, const Cluster& c) {
  NarayananSim s{narayanan_plan(r, m, c), {}, NAN};
  TrainingSimOptions so;
  so.detailed = false;
  s.result = simulate_training(s.plan, m, c, so);
  if (s.result.status == "ok")
    s.tflops_per_gpu = s.result.hardware_flops / s.result.iteration_seconds / s.result.gpus / 1e12;
  return s;
}

namespace {

ExperimentResult run(ResultsStore& store, const ExperimentOptions& opt) {
  ExperimentResult out;
  Json rows = Json::array();
  std::string table =
      "| model | GPUs (TP×PP×DP) | batch | published TFLOP/s per GPU | simulated | error |\n"
      "|---|---|---|---|---|---|\n";
  double worst = 0;
  std::vector<double> errors;
  for (const auto& r : narayanan_rows()) {
    if (opt.quick && r.gpus > 512) continue;
    ModelGraph m = load_model(r.model);
    Cluster c = load_cluster("dgx-a100-80gb", r.gpus / 8);
    NarayananSim sim = simulate_narayanan_row(r, m, c);
    const TrainingPlan& plan = sim.plan;
    const TrainingResult& res = sim.result;
    double tflops = sim.tflops_per_gpu;
    double err = (tflops - r.tflops_per_gpu) / r.tflops_per_gpu;
    RunRecord rec = training_run_record(res, plan, m, c);
    rec.experiment = "narayanan";
    rec.metrics["published_tflops_per_gpu"] = r.tflops_per_gpu;
    rec.metrics["hardware_tflops_per_gpu"] = tflops;
    rec.metrics["relative_error"] = err;
    out.run_ids.push_back(store.insert(rec));
    if (std::isfinite(err)) {
      worst = std::max(worst, std::fabs(err));
      errors.push_back(std::fabs(err));
    }
    int dp = r.gpus / (r.tp * r.pp);
    rows.push_back({{"model", r.model},
                    {"gpus", r.gpus},
                    {"status", res.status},
                    {"published_tflops_per_gpu", r.tflops_per_gpu},
                    {"simulated_tflops_per_gpu", tflops},
                    {"relative_error", err}});
    table += fmt::format("| {} | {} ({}×{}×{}) | {} | {:.0f} | {:.1f} | {:+.1f}% |\n", r.model, r.gpus, r.tp, r.pp,
                         dp, r.global_batch, r.tflops_per_gpu, tflops, 100 * err);
  }
  std::sort(errors.begin(), errors.end());
  double median = errors.empty() ? NAN : errors[errors.size() / 2];
  table += fmt::format(
      "\nAssumed (not in the table): micro-batch 1, 1F1B without interleaving, full recomputation; gradients "
      "all-reduced after the backward and TP all-reduces in line (Megatron-LM 2021). "
      "Largest |error| {:.1f}%.\n",
      100 * worst);
  out.summary = {{"rows", rows}, {"max_abs_relative_error", worst}, {"median_abs_relative_error", median}};
  out.table = table;
  return out;
}

}  // namespace

Experiment narayanan_experiment() {
  return {"narayanan",
          "Held out: Megatron-LM weak scaling of Narayanan et al. 2021 (1.7B-1T on 32-3072 A100s), published vs "
          "simulated TFLOP/s per GPU",
          run};
}

}  // namespace paralab
