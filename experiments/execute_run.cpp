// execute_run (experiments/spec.h): one run of a sweep, by kind.
#include <fmt/format.h>

#include <new>

#include "core/catalog.h"
#include "core/error.h"
#include "experiments/spec.h"
#include "strategies/inference/offload_planner.h"
#include "strategies/training/planners/training_planner.h"
#include "strategies/training/training_sim.h"

namespace paralab {

namespace {

template <typename T>
T get_or(const Json& c, const char* key, T fallback) {
  return c.contains(key) ? c[key].get<T>() : fallback;
}

std::string str_or(const Json& c, const char* key, const std::string& fallback) {
  return c.contains(key) ? c[key].get<std::string>() : fallback;
}

std::vector<std::string> overrides_of(const Json& c) {
  return c.contains("set") ? c["set"].get<std::vector<std::string>>() : std::vector<std::string>{};
}

// A name for the error message of an enum-valued key.
template <typename Parse>
void parse_named(const Json& c, const char* key, const std::string& fallback, Parse parse,
                 const std::vector<std::string>& names) {
  std::string v = str_or(c, key, fallback);
  if (!parse(v)) throw InputError(fmt::format("{}: unknown '{}'; valid values are: {}", key, v, join_names(names)));
}

RunRecord training_plan_run(const Json& cfg, const ModelGraph& m, const Cluster& c) {
  MegatronOptions o;
  o.model = cfg["model"].get<std::string>();
  o.cluster = cfg["cluster"].get<std::string>();
  o.nodes = get_or<int>(cfg, "nodes", 0);
  o.seq_len = get_or<int64_t>(cfg, "seq_len", m.default_seq_len);
  o.global_batch = get_or<int64_t>(cfg, "global_batch", 1);
  o.tp = get_or<int>(cfg, "tp", 1);
  o.pp = get_or<int>(cfg, "pp", 1);
  o.dp = get_or<int>(cfg, "dp", 0);
  o.micro_batch = get_or<int64_t>(cfg, "micro_batch", 1);
  o.chunks = get_or<int>(cfg, "chunks", 1);
  o.sequence_parallel = get_or<bool>(cfg, "sequence_parallel", false);
  o.zero_stage = get_or<int>(cfg, "zero", 0);
  parse_named(cfg, "schedule", "1f1b", [&](const std::string& v) { return parse_schedule(v, &o.schedule); },
              schedule_names());
  parse_named(cfg, "recompute", "none", [&](const std::string& v) { return parse_recompute(v, &o.recompute); },
              recompute_names());
  parse_named(cfg, "precision", "bf16", [&](const std::string& v) { return parse_precision(v, &o.precision); },
              precision_names());
  TrainingPlan plan;
  try {
    plan = megatron_plan(o, m, c);
  } catch (const InputError& e) {
    // Degrees that do not fit the model or the cluster: a failed run.
    RunRecord rec;
    rec.model = m.name();
    rec.strategy = "megatron";
    rec.status = "invalid";
    rec.message = e.what();
    return rec;
  }
  TrainingResult res = simulate_training(plan, m, c, TrainingSimOptions{});
  RunRecord rec = training_run_record(res, plan, m, c);
  if (cfg.contains("published_iteration_seconds")) {
    double published = cfg["published_iteration_seconds"].get<double>();
    rec.metrics["published_iteration_seconds"] = published;
    if (res.status == "ok") rec.metrics["relative_error"] = (res.iteration_seconds - published) / published;
  }
  return rec;
}

RunRecord training_planner_run(const Json& cfg, const ModelGraph& m, const Cluster& c, int threads) {
  planner::PlannerJob job;
  job.model = cfg["model"].get<std::string>();
  job.cluster = cfg["cluster"].get<std::string>();
  job.nodes = get_or<int>(cfg, "nodes", 0);
  job.global_batch = get_or<int64_t>(cfg, "global_batch", 1);
  job.seq_len = get_or<int64_t>(cfg, "seq_len", m.default_seq_len);
  parse_named(cfg, "precision", "fp32", [&](const std::string& v) { return parse_precision(v, &job.precision); },
              precision_names());
  parse_named(cfg, "schedule", "gpipe", [&](const std::string& v) { return parse_schedule(v, &job.schedule); },
              schedule_names());
  planner::PlannerOptions o;
  o.planner = str_or(cfg, "planner", "uniap");
  o.solver = str_or(cfg, "solver", "dp");
  o.confirm = get_or<int>(cfg, "confirm", o.confirm);
  o.threads = threads;
  planner::PlannerResult r = planner::plan_training(m, c, job, o);
  return planner::planner_run_record(r, m, c);
}

RunRecord inference_run(const ExperimentSpec& s, const Json& cfg, const ModelGraph& m, const Cluster& c) {
  InferenceJob job;
  job.model = m.name();
  job.prompt_len = get_or<int64_t>(cfg, "prompt_len", 512);
  job.gen_len = get_or<int64_t>(cfg, "gen_len", 32);
  job.weights = parse_weight_format(str_or(cfg, "weights", "fp16"));
  job.kv = parse_kv_format(str_or(cfg, "kv", "fp16"));
  int64_t batch = get_or<int64_t>(cfg, "batch", 0);
  job.batch = batch > 0 ? batch : 1;
  PlanSearch search = search_plan(parse_schedule(str_or(cfg, "schedule", "pipo")), job, m, c, batch);
  RunRecord rec = inference_run_record(search.best, s.name);
  rec.metrics["search"] = {{"candidates", search.candidates},
                           {"feasible", search.feasible},
                           {"simulated", search.simulated},
                           {"timing", {{"seconds", search.seconds}}}};
  return rec;
}

}  // namespace

RunRecord execute_run(const ExperimentSpec& s, const SweepRun& r, int planner_threads) {
  const Json& cfg = r.config;
  RunRecord rec;
  try {
    ModelGraph m = load_model(cfg["model"].get<std::string>());
    Cluster c = load_cluster(cfg["cluster"].get<std::string>(), get_or<int>(cfg, "nodes", 0), overrides_of(cfg));
    if (s.kind == "training-plan") {
      rec = training_plan_run(cfg, m, c);
    } else if (s.kind == "training-planner") {
      rec = training_planner_run(cfg, m, c, planner_threads);
    } else {
      rec = inference_run(s, cfg, m, c);
    }
    rec.set_cluster(c);
  } catch (const InputError& e) {
    rec = RunRecord{};
    rec.status = "invalid";
    rec.message = e.what();
  } catch (const std::bad_alloc&) {
    rec = RunRecord{};
    rec.status = "error";
    rec.message = "out of memory";
  } catch (const std::exception& e) {
    rec = RunRecord{};
    rec.status = "error";
    rec.message = e.what();
  }
  if (rec.model.empty()) rec.model = cfg["model"].get<std::string>();
  if (rec.cluster.empty()) {
    rec.cluster = cfg["cluster"].get<std::string>();
    rec.cluster_overrides = overrides_of(cfg);
  }
  if (rec.strategy.empty()) rec.strategy = str_or(cfg, "planner", str_or(cfg, "schedule", s.kind));
  rec.backend = "sim";
  rec.experiment = s.name;
  rec.config_hash = r.hash;
  rec.config["sweep"] = cfg;
  return rec;
}

}  // namespace paralab
