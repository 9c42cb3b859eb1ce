#include "experiments/korthikanti.h"

#include <fmt/format.h>

#include <cmath>

#include "core/catalog.h"
#include "strategies/training/training_sim.h"

namespace paralab {

const std::vector<KorthikantiRow>& korthikanti_rows() {
  static const std::vector<KorthikantiRow> rows = {
      {"megatron-gpt-22b", 8, 1, 8, 4, 4, 1.42, 1.10},
      {"megatron-gpt-175b", 8, 8, 64, 64, 1, 18.13, 13.75},
      {"megatron-gpt-530b", 8, 35, 280, 280, 1, 49.05, 37.83},
      {"megatron-gpt-1t", 8, 64, 512, 512, 1, 94.42, 71.49},
  };
  return rows;
}

TrainingPlan korthikanti_plan(const KorthikantiRow& r, Recompute rc, const ModelGraph& m, const Cluster& c) {
  MegatronOptions o;
  o.model = r.model;
  o.cluster = "dgx-a100-80gb";
  o.nodes = (r.gpus + 7) / 8;
  o.seq_len = 2048;
  o.global_batch = r.global_batch;
  o.tp = r.tp;
  o.pp = r.pp;
  o.dp = 1;
  o.micro_batch = r.micro_batch;
  o.recompute = rc;
  o.sequence_parallel = rc == Recompute::kSelective;
  return megatron_plan(o, m, c);
}

namespace {

ExperimentResult run(ResultsStore& store, const ExperimentOptions& opt) {
  ExperimentResult out;
  Json rows = Json::array();
  std::string table =
      "| model | GPUs (TP×PP) | recomputation | published s/iter | simulated s/iter | error | MFU |\n"
      "|---|---|---|---|---|---|---|\n";
  double worst = 0;
  for (const auto& r : korthikanti_rows()) {
    if (opt.quick && r.gpus > 64) continue;  // 530B and 1T take longer to simulate
    ModelGraph m = load_model(r.model);
    int nodes = (r.gpus + 7) / 8;
    Cluster c = load_cluster("dgx-a100-80gb", nodes);
    for (Recompute rc : {Recompute::kFull, Recompute::kSelective}) {
      TrainingPlan plan = korthikanti_plan(r, rc, m, c);
      TrainingSimOptions so;
      so.detailed = false;
      TrainingResult res = simulate_training(plan, m, c, so);
      double published = rc == Recompute::kFull ? r.full_seconds : r.selective_seconds;
      double err = res.status == "ok" ? (res.iteration_seconds - published) / published : NAN;
      RunRecord rec = training_run_record(res, plan, m, c);
      rec.experiment = "korthikanti";
      rec.metrics["published_iteration_seconds"] = published;
      rec.metrics["relative_error"] = err;
      out.run_ids.push_back(store.insert(rec));
      if (std::isfinite(err)) worst = std::max(worst, std::fabs(err));
      std::string label = rc == Recompute::kFull ? "full" : "selective + SP";
      rows.push_back({{"model", r.model},
                      {"gpus", r.gpus},
                      {"recompute", recompute_name(rc)},
                      {"status", res.status},
                      {"published_seconds", published},
                      {"simulated_seconds", res.iteration_seconds},
                      {"relative_error", err},
                      {"mfu", res.mfu}});
      table += fmt::format("| {} | {} ({}×{}) | {} | {:.2f} | {:.2f} | {:+.1f}% | {:.1f}% |\n", r.model, r.gpus, r.tp,
                           r.pp, label, published, res.iteration_seconds, 100 * err, 100 * res.mfu);
    }
  }
  out.summary = {{"rows", rows}, {"max_abs_relative_error", worst}};
  out.table = table;
  return out;
}

}  // namespace

Experiment korthikanti_experiment() {
  return {"korthikanti",
          "Megatron-LM iteration times of Korthikanti et al. 2022 (22B-1T on DGX-A100), published vs simulated",
          run};
}

}  // namespace paralab
