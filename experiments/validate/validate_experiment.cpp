#include "experiments/validate/validate_experiment.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/catalog.h"
#include "core/error.h"
#include "core/hardware_profile.h"
#include "real/cuda_calibration.h"
#include "real/host_calibration.h"
#include "core/model_builder.h"
#include "sim/simulator.h"
#include "strategies/training/lowering.h"
#include "strategies/training/plan_validation.h"
#include "strategies/training/training_plan.h"

namespace paralab {

// A training iteration as `paralab plan megatron` writes it and `paralab run
// --plan` runs it: a small GPT in two pipeline stages (one per core of
// localhost-cpu), 1F1B over 4 micro-batches, fp32 (the host backend computes
// in fp32), lowered with every rank's ops. It covers what the hand-built
// graphs do not: the lowering's own ops (embedding, attention core, loss,
// tied-embedding gradient all-reduce between the first and last stage, the
// optimizer step) and the 1F1B order of sends and receives.
real::ValidationGraph megatron_validation_graph(bool quick, const Cluster& c) {
  ArchSpec a;
  a.name = "validation-gpt";
  a.family = "gpt";
  a.hidden = quick ? 256 : 384;
  a.layers = 4;
  a.heads = 4;
  a.vocab = 4096;
  a.max_positions = 1024;
  a.seq_len = quick ? 64 : 128;
  ModelGraph m = build_model(a);
  MegatronOptions o;
  o.model = a.name;
  o.cluster = c.name;
  o.seq_len = a.seq_len;
  o.tp = 1;
  o.pp = 2;
  o.dp = 1;
  o.micro_batch = 2;
  o.global_batch = 4 * o.micro_batch;  // 4 micro-batches
  o.schedule = PipelineSchedule::k1F1B;
  o.precision = Precision::kFp32;
  TrainingPlan p = megatron_plan(o, m, c);
  validate_plan(p, m, c);
  LoweringOptions lo;
  lo.symmetric = false;  // every rank's ops, as `paralab run --plan` runs them
  return {"megatron-pp2-1f1b", std::move(lower_plan(p, m, c, lo).graph), 2};
}

ValidationOutcome run_validation(ValidationJob job) {
  if (job.cluster.empty()) job.cluster = job.backend == "host" ? "localhost-cpu" : "dgx-h100";
  std::string results_dir = std::string(PARALAB_SOURCE_DIR) + "/results";
  HardwareProfile p;
  if (!job.profile.empty()) {
    p = load_hardware_profile(job.profile);
  } else if (job.backend == "host") {
    real::HostCalibrationConfig cfg;
    cfg.quick = job.quick;
    cfg.scratch_dir = job.scratch_dir;
    cfg.paralab_binary = job.paralab_binary;
    p = real::calibrate_host(cfg, nullptr);
    job.profile = results_dir + "/profile-host.json";
    save_hardware_profile(p, job.profile);
  } else {
    real::CudaCalibrationConfig cfg;
    cfg.quick = job.quick;
    cfg.scratch_dir = job.scratch_dir;
    p = real::calibrate_cuda(cfg, nullptr);
    job.profile = results_dir + "/profile-cuda.json";
    save_hardware_profile(p, job.profile);
  }
  if (p.backend != job.backend)
    throw InputError(job.profile + ": a " + p.backend + " profile cannot validate the " + job.backend +
                     " backend");
  Cluster c = load_cluster(job.cluster, 0, job.sets);
  apply_hardware_profile(p, &c);
  std::string why;
  auto graphs = job.backend == "host" ? real::host_validation_set(job.quick)
                                      : real::cuda_validation_set(job.quick, real::cuda_device_count(&why));
  if (job.backend == "host" && c.num_devices() >= 2) graphs.push_back(megatron_validation_graph(job.quick, c));
  if (!job.graphs_dir.empty()) {
    std::filesystem::create_directories(job.graphs_dir);
    for (const auto& g : graphs) write_json_file(job.graphs_dir + "/" + g.name + ".json", g.graph.to_json());
  }
  real::RunGraphOptions ro;
  ro.backend = job.backend;
  ro.cluster_arg = job.cluster;
  ro.paralab_binary = job.paralab_binary;
  ro.exec.scratch_dir = job.scratch_dir;
  ro.work_dir = job.scratch_dir;  // rank files beside the scratch files ("" = results/)
  ro.exec.collective_timeout_seconds = 60;
  ro.exec.warmup_runs = 1;
  ro.exec.repetitions = 1;  // the spread comes from separate launches (ValidationOptions::real_runs)
  real::ValidationOptions vo;
  vo.real_runs = job.runs > 0 ? job.runs : (job.quick ? 2 : 5);
  vo.keep_traces = job.keep_traces;
  auto simulate = [](const Cluster& cl, const TaskGraph& g, std::string* trace_out) {
    sim::SimOptions so;
    so.trace = true;
    sim::SimResult sr = sim::simulate(cl, g, so);
    // Busy seconds per op type from the trace (a collective's slice appears once per member).
    Json busy = Json::object();
    Json t = Json::parse(sr.trace_json);
    for (const auto& e : t["traceEvents"]) {
      if (e.value("ph", "") != "X" || !e.contains("cat")) continue;
      std::string cat = e["cat"].get<std::string>();
      if (cat == "alloc" || cat == "free") cat = "memory";
      busy[cat] = busy.value(cat, 0.0) + e["dur"].get<double>() * 1e-6;
    }
    if (busy.contains("collective")) busy["collective"] = busy["collective"].get<double>() / 2;  // 2-member groups
    sr.record.metrics["busy_seconds_by_kind"] = busy;
    if (trace_out) *trace_out = std::move(sr.trace_json);
    return sr.record;
  };
  ValidationOutcome out;
  out.report = real::validate_graphs(graphs, c, ro, simulate, vo);
  out.profile = job.profile;
  out.cluster = job.cluster;
  out.real_runs = vo.real_runs;
  return out;
}

namespace {

ExperimentResult run(ResultsStore& store, const ExperimentOptions& opt) {
  ValidationJob job;
  auto param = [&](const char* k) { return opt.params.count(k) ? opt.params.at(k) : std::string(); };
  job.quick = opt.quick || param("quick") == "1";
  if (!param("runs").empty()) {
    try {
      job.runs = std::stoi(param("runs"));
    } catch (const std::exception&) {
      job.runs = 0;
    }
    if (job.runs <= 0) throw InputError("--param runs='" + param("runs") + "': expected a positive integer");
  }
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  job.paralab_binary = ec ? std::string("paralab") : self.string();
  ValidationOutcome v = run_validation(job);
  ExperimentResult out;
  std::string t = "| graph | measured s (median) | min - max | simulated s | error |\n|---|---|---|---|---|\n";
  for (auto& r : v.report.runs) {
    r.measured.experiment = r.simulated.experiment = "validate";
    r.measured.config["profile"] = r.simulated.config["profile"] = v.profile;
    out.run_ids.push_back(store.insert(r.measured));
    out.run_ids.push_back(store.insert(r.simulated));
    if (r.measured.status != "ok") {
      t += fmt::format("| {} | {}: {} | | {:.5f} | - |\n", r.name, r.measured.status, r.measured.message,
                       r.simulated_seconds);
      continue;
    }
    t += fmt::format("| {} | {:.5f} | {:.5f} - {:.5f} | {:.5f} | {:.1f}% |\n", r.name, r.measured_seconds,
                     r.measured_min_seconds, r.measured_max_seconds, r.simulated_seconds, 100 * r.relative_error);
  }
  out.summary = v.report.to_json();
  out.summary["profile"] = v.profile;
  out.table = t + (v.report.passed() ? fmt::format("\nmedian error {:.1f}%, max {:.1f}% (median of {} real runs)\n",
                                                   100 * v.report.median_relative_error,
                                                   100 * v.report.max_relative_error, v.real_runs)
                                     : "\nFAILED: " + v.report.failure_summary() + "\n");
  return out;
}

}  // namespace

Experiment validate_experiment() {
  return {"validate",
          "Measured vs simulated on this host: the validation TaskGraphs, a fresh calibration, relative errors",
          run,
          {"quick", "runs"}};
}

}  // namespace paralab
