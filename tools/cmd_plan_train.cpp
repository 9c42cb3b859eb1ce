// `paralab plan train`: search a training plan with UniAP or one of its
// baselines (strategies/training/planners/training_planner.h), print the
// plan, its predicted and simulated iteration time, memory per stage,
// optimization time and solver status, write it with -o, and record the
// simulated run (or the infeasible job) in the results database.
// Registered under the existing `plan` command (tools/cmd_plan.cpp).
// Exit codes: 0 a plan was found; 1 infeasible (with the least memory per
// device the job would need); 2 bad input.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <cstdlib>

#include "core/catalog.h"
#include "core/error.h"
#include "results/store.h"
#include "strategies/training/planners/training_planner.h"
#include "tools/cli_common.h"

namespace paralab::cli {

namespace {


void print_result(const planner::PlannerResult& r, const ModelGraph& m) {
  fmt::print("planner {} (solver {}): {}\n", r.planner, r.solver, r.status);
  if (r.status != "ok") {
    fmt::print("  {}\n", r.message);
    return;
  }
  const TrainingPlan& p = r.plan;
  fmt::print("  {} on {}: pipeline degree {}, {} micro-batches of {} samples, {} {}\n", p.model, p.cluster,
             p.pipeline_depth(), p.micro_batches, p.micro_batch_samples(), schedule_name(p.schedule),
             precision_name(p.precision));
  fmt::print("  {:>5}  {:<10} {:<10} {}\n", "stage", "layers", "devices", "strategies (layer: strategy)");
  for (size_t s = 0; s < p.stages.size(); ++s) {
    const PipelineStage& st = p.stages[s];
    std::string strat;
    LayerStrategy prev;
    bool first = true;
    for (int l = st.first_layer; l < st.end_layer; ++l) {
      if (!first && p.layers[l] == prev) continue;
      strat += fmt::format("{}{}: {}", first ? "" : "; ", l, strategy_text(p.layers[l]));
      prev = p.layers[l];
      first = false;
    }
    fmt::print("  {:>5}  [{}, {})    {}..{}   {}\n", s, st.first_layer, st.end_layer, st.devices.front(),
               st.devices.back(), strat);
  }
  fmt::print("  memory per device (GiB, analytic):");
  for (const auto& s : r.simulation.memory)
    fmt::print(" stage {} {:.2f}/{:.2f}", s.value("stage", 0), s.value("peak_bytes", 0.0) / kGiB,
               s.value("capacity_bytes", 0.0) / kGiB);
  fmt::print("\n  predicted iteration {:.6f} s, simulated {:.6f} s ({:.2f} samples/s)\n", r.predicted_iteration_seconds,
             r.simulated_iteration_seconds, r.samples_per_second);
  fmt::print("  solver status {}{}; {} of {} (pp, micro-batch) pairs solved, {} pruned; up to {} strategies per layer\n",
             r.solver_status, r.gap > 0 ? fmt::format(" (gap {:.2f}%)", 100 * r.gap) : "", r.pairs_solved,
             r.pairs_total, r.pairs_pruned, r.max_strategies_per_layer);
  fmt::print("  optimization time {:.3f} s (search and {} simulator confirmations)\n", r.optimization_seconds,
             r.confirmed.size());
}

void register_plan_train(CLI::App& app) {
  CLI::App* plan = app.get_subcommand("plan");
  auto* t = plan->add_subcommand("train", "Search a training plan (UniAP or a baseline planner)");
  auto& o = add_common(t);
  static planner::PlannerJob job;
  static planner::PlannerOptions opt;
  static std::string out, schedule = "gpipe", precision = "fp32";
  static int64_t seq = 0;
  static std::vector<std::string> sets;
  static std::string profile;
  t->add_option("--model", job.model, "Catalog model or config.json")->required();
  t->add_option("--cluster", job.cluster, "Catalog cluster or file")->required();
  t->add_option("--nodes", job.nodes, "Scale the cluster to N nodes")->check(CLI::PositiveNumber);
  add_cluster_set_option(t, &sets);
  add_profile_option(t, &profile);
  t->add_option("--global-batch", job.global_batch, "Global batch (samples)")->required()->check(CLI::PositiveNumber);
  t->add_option("--seq", seq, "Sequence length (default: the model's)")->check(CLI::PositiveNumber);
  t->add_option("--planner", opt.planner, "uniap | ddp | zero3 | megatron | galvatron | alpa");
  t->add_option("--solver", opt.solver, "dp | milp (UniAP)");
  t->add_option("--time-limit", opt.milp_time_limit_seconds, "MILP time limit per pair, seconds")
      ->check(CLI::PositiveNumber);
  t->add_option("--schedule", schedule, "gpipe | 1f1b");
  t->add_option("--precision", precision, "fp32 | bf16 | fp16");
  t->add_option("--confirm", opt.confirm, "Candidates confirmed by the simulator")->check(CLI::NonNegativeNumber);
  t->add_option("--threads", opt.threads, "Worker threads (default: all cores)")->check(CLI::NonNegativeNumber);
  static std::string confirm_collectives = "flow";
  t->add_option("--confirm-collectives", confirm_collectives,
                "Collectives in the confirming simulations: flow (contention) | analytic");
  t->add_option("-o,--output", out, "Write the plan here");
  t->callback([&o] {
    if (!parse_schedule(schedule, &job.schedule) || job.schedule == PipelineSchedule::kInterleaved)
      throw InputError(fmt::format("--schedule: unknown '{}'; valid values are: gpipe, 1f1b", schedule));
    if (confirm_collectives != "flow" && confirm_collectives != "analytic")
      throw InputError(fmt::format("--confirm-collectives: unknown '{}'; valid values are: flow, analytic",
                                   confirm_collectives));
    opt.confirm_collectives =
        confirm_collectives == "flow" ? sim::CollectiveMode::kFlow : sim::CollectiveMode::kAnalytic;
    if (!parse_precision(precision, &job.precision))
      throw InputError(fmt::format("--precision: unknown '{}'; valid values are: {}", precision,
                                   fmt::join(precision_names(), ", ")));
    ModelGraph m = load_model(job.model);
    Cluster c = load_cluster(job.cluster, job.nodes, sets);
    apply_profile_option(profile, &c);
    job.seq_len = seq > 0 ? seq : m.default_seq_len;
    planner::PlannerResult r = planner::plan_training(m, c, job, opt);
    Json j = planner::planner_result_json(r);
    RunRecord rec = planner::planner_run_record(r, m, c);
    rec.experiment = "plan train";
    rec.strategy = "planner " + r.planner;
    if (!profile.empty()) rec.config["profile"] = profile;
    {
      ResultsStore store(db_path(o));
      j["run_id"] = store.insert(rec);
    }
    if (r.status == "ok" && !out.empty()) write_json_file(out, plan_to_json(r.plan));
    emit(o, j, [&] {
      print_result(r, m);
      if (r.status == "ok" && !out.empty()) fmt::print("wrote {}\n", out);
    });
    if (r.status == "error") throw InputError(r.message);
    if (r.status != "ok") throw run_failed("plan train", r.status, r.message);  // after the output is out
  });
}

}  // namespace

static const CommandRegistration kRegistration(41, &register_plan_train);

}  // namespace paralab::cli
