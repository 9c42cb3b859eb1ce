#include "experiments/ci/ci_experiment.h"

#include <fmt/format.h>

#include "core/catalog.h"
#include "core/error.h"
#include "strategies/inference/offload_planner.h"
#include "strategies/training/planners/training_planner.h"
#include "strategies/training/training_sim.h"

namespace paralab {

namespace {

// A catalog cluster with what-if overrides in its file's own keys
// (device_overrides, link_overrides): the one what-if mechanism, recorded
// with the run.
Cluster cluster_with_overrides(const std::string& name, const Json& overrides) {
  std::string path;
  for (const auto& e : list_clusters())
    if (e.name == name) path = e.path;
  Json j = read_json_file(path);
  for (auto& [k, v] : overrides.items()) j[k] = v;
  return cluster_from_json(JsonReader(j, path));
}

struct Ctx {
  ResultsStore& store;
  ExperimentResult& out;
  Json rows = Json::array();
};

void record(Ctx& x, RunRecord rec, const std::string& label, const Json& overrides = Json::object()) {
  rec.experiment = "ci";
  rec.strategy = label;
  for (auto& [k, v] : overrides.items()) rec.config[k] = v;
  x.out.run_ids.push_back(x.store.insert(rec));
  x.out.table += fmt::format("| {} | {} | {} | {} | {:.6g} {} |\n", label, rec.model, rec.cluster, rec.status,
                             rec.throughput, rec.throughput_unit);
  x.rows.push_back({{"strategy", label}, {"status", rec.status}, {"throughput", rec.throughput},
                    {"throughput_unit", rec.throughput_unit}, {"step_seconds", rec.step_seconds}});
}

MegatronOptions gpt_1_7b(int tp, int pp, PipelineSchedule s) {
  MegatronOptions o;
  o.model = "megatron-gpt-1.7b";
  o.cluster = "dgx-a100-80gb";
  o.seq_len = 2048;
  o.global_batch = 32;
  o.tp = tp, o.pp = pp;
  o.micro_batch = 2;
  o.schedule = s;
  return o;
}

RunRecord simulate_megatron(const MegatronOptions& o, const Cluster& c) {
  ModelGraph m = load_model(o.model);
  TrainingPlan p;
  TrainingResult r;
  try {
    p = megatron_plan(o, m, c);
    r = simulate_training(p, m, c);
  } catch (const InputError& e) {
    r.status = "invalid";
    r.message = e.what();
  }
  return training_run_record(r, p, m, c);
}

RunRecord infer(Schedule s, const Cluster& cl) {
  ModelGraph m = load_model("llama-2-13b");
  InferenceJob job;
  job.model = m.name();
  job.prompt_len = 128, job.gen_len = 16;
  job.weights = parse_weight_format("int4-g128");
  return inference_run_record(search_plan(s, job, m, cl, 8).best);
}

// Sensitivity of throughput to a parameter scaled by `factor`.
void what_if(Ctx& x, RunRecord base, RunRecord changed, const std::string& parameter, double factor,
             const std::string& label, const Json& overrides) {
  double dt = base.throughput > 0 ? changed.throughput / base.throughput - 1 : 0;
  double sensitivity = dt / (factor - 1);
  changed.metrics["what_if"] = {{"parameter", parameter},
                                {"factor", factor},
                                {"base_strategy", base.strategy},
                                {"base_throughput", base.throughput},
                                {"relative_throughput_change", dt},
                                {"sensitivity", sensitivity}};
  record(x, changed, label, overrides);
  x.out.summary["what_if"].push_back({{"parameter", parameter}, {"factor", factor}, {"sensitivity", sensitivity}});
}

ExperimentResult run(ResultsStore& store, const ExperimentOptions&) {
  ExperimentResult out;
  Ctx x{store, out};
  out.table = "| run | model | cluster | status | throughput |\n|---|---|---|---|---|\n";
  out.summary["what_if"] = Json::array();

  Cluster dgx = load_cluster("dgx-a100-80gb");
  RunRecord base1f1b = simulate_megatron(gpt_1_7b(2, 2, PipelineSchedule::k1F1B), dgx);
  record(x, base1f1b, "megatron tp2 pp2 dp2 1f1b");
  base1f1b.strategy = "megatron tp2 pp2 dp2 1f1b";
  record(x, simulate_megatron(gpt_1_7b(2, 2, PipelineSchedule::kGpipe), dgx), "megatron tp2 pp2 dp2 gpipe");
  record(x, simulate_megatron(gpt_1_7b(8, 1, PipelineSchedule::k1F1B), dgx), "megatron tp8 pp1 dp1");
  MegatronOptions zero = gpt_1_7b(1, 1, PipelineSchedule::k1F1B);
  zero.zero_stage = 1;
  record(x, simulate_megatron(zero, dgx), "megatron dp8 zero1");
  MegatronOptions big = gpt_1_7b(1, 1, PipelineSchedule::k1F1B);
  big.model = "megatron-gpt-22b";
  record(x, simulate_megatron(big, dgx), "megatron 22b dp8 (out of memory)");

  ModelGraph bert = load_model("bert-large");
  Cluster commodity = load_cluster("commodity-1x8");
  for (const char* name : {"uniap", "galvatron"}) {
    planner::PlannerJob job;
    job.model = "bert-large", job.cluster = "commodity-1x8";
    job.global_batch = 32, job.seq_len = 512;
    job.precision = Precision::kFp32;
    job.schedule = PipelineSchedule::kGpipe;
    planner::PlannerOptions o;
    o.planner = name;
    o.threads = 1;
    o.confirm = 2;
    record(x, planner::planner_run_record(planner::plan_training(bert, commodity, job, o), bert, commodity),
           std::string("planner ") + name);
  }

  Cluster laptop = load_cluster("pipo-laptop");
  RunRecord pipo;
  for (Schedule s : {Schedule::kAccelerate, Schedule::kZeroInference, Schedule::kFlexGen, Schedule::kPipo}) {
    RunRecord r = infer(s, laptop);
    r.strategy = std::string("schedule ") + schedule_name(s);
    if (s == Schedule::kPipo) pipo = r;
    record(x, r, r.strategy);
  }

  Json nvlink = Json::array();
  for (int g = 0; g < 8; ++g)
    nvlink.push_back({{"a", "n0.gpu" + std::to_string(g)}, {"b", "n0.nvswitch0"}, {"bandwidth_scale", 0.5}});
  Json half_nvlink = {{"link_overrides", nvlink}};
  what_if(x, base1f1b, simulate_megatron(gpt_1_7b(2, 2, PipelineSchedule::k1F1B), cluster_with_overrides("dgx-a100-80gb", half_nvlink)),
          "NVLink bandwidth", 0.5, "what-if nvlink x0.5: megatron tp2 pp2 dp2 1f1b", half_nvlink);
  Json straggler = {{"device_overrides", Json::array({{{"device", 3}, {"slowdown", 1.5}}})}};
  what_if(x, base1f1b, simulate_megatron(gpt_1_7b(2, 2, PipelineSchedule::k1F1B), cluster_with_overrides("dgx-a100-80gb", straggler)),
          "speed of GPU 3", 1 / 1.5, "what-if gpu3 slowdown 1.5: megatron tp2 pp2 dp2 1f1b", straggler);
  Json half_pcie = {{"link_overrides", Json::array({{{"a", "n0.gpu0"}, {"b", "n0.cpu0"}, {"bandwidth_scale", 0.5}}})}};
  RunRecord slow_pcie = infer(Schedule::kPipo, cluster_with_overrides("pipo-laptop", half_pcie));
  what_if(x, pipo, slow_pcie, "PCIe GPU-CPU bandwidth", 0.5, "what-if pcie x0.5: schedule pipo", half_pcie);

  out.summary["runs"] = x.rows;
  return out;
}

}  // namespace

Experiment ci_experiment() {
  return {"ci",
          "CI regression suite: a few training plans, planners, inference schedules and what-ifs, simulated in seconds",
          run};
}

}  // namespace paralab
