// `paralab plan megatron|show|simulate`: write the plan a Megatron-LM /
// DeepSpeed user would set by hand, print a plan readably, and simulate one
// training iteration of a plan (recorded in the results database).
#include <fmt/format.h>

#include <fstream>

#include "core/catalog.h"
#include "core/error.h"
#include "results/store.h"
#include "strategies/training/memory_model.h"
#include "strategies/training/plan_validation.h"
#include "strategies/training/training_plan.h"
#include "tools/cli_common.h"
#include "tools/cmd_simulate.h"

namespace paralab::cli {

namespace {


void print_plan(const TrainingPlan& p, const ModelGraph& m, const Cluster& c) {
  fmt::print("training plan for {} on {} ({} devices)\n", p.model, p.cluster, p.all_devices().size());
  if (!p.source.empty()) fmt::print("  source: {}\n", p.source);
  // Megatron-LM's terms: micro-batch size per data-parallel rank, and the
  // number of micro-batches each pipeline runs per iteration.
  const int dp = p.layers.empty() ? 1 : p.layers.front().dp * p.layers.front().fsdp;
  const int64_t per_rank = p.micro_batch_samples() / std::max(1, dp);
  fmt::print("  sequence {}, global batch {} = micro-batch {} per data-parallel rank x {} micro-batches per "
             "pipeline x data-parallel {}\n  {} with {}\n",
             p.seq_len, p.global_batch, per_rank, p.micro_batches, dp, precision_name(p.precision), p.optimizer);
  fmt::print("  schedule {}{}, pipeline depth {}\n", schedule_name(p.schedule),
             p.schedule == PipelineSchedule::kInterleaved ? fmt::format(" ({} chunks per device)", p.chunks) : "",
             p.pipeline_depth());
  fmt::print("\n  {:>5}  {:<16} {:<14} {}\n", "stage", "layers", "devices", "strategy");
  for (size_t s = 0; s < p.stages.size(); ++s) {
    const PipelineStage& st = p.stages[s];
    std::string layers = fmt::format("[{}, {})", st.first_layer, st.end_layer);
    std::string devs = st.devices.empty() ? "-" : fmt::format("{}..{} ({})", st.devices.front(), st.devices.back(), st.devices.size());
    std::string strat = "?";
    if (st.first_layer < int(p.layers.size())) {
      strat = strategy_text(p.layers[st.first_layer]);
      for (int l = st.first_layer + 1; l < st.end_layer && l < int(p.layers.size()); ++l)
        if (!(p.layers[l] == p.layers[st.first_layer])) strat += " (layers differ)";
    }
    fmt::print("  {:>5}  {:<16} {:<14} {}\n", s, layers, devs, strat);
  }
  std::string broken = check_plan(p, m, c);
  if (!broken.empty()) {
    fmt::print("\n  INVALID: {}\n", broken);
    return;
  }
  MemoryEstimate e = estimate_memory(p, m, c);
  fmt::print("\n  analytic memory per device (GiB): stage  states  activations(in flight)  transient  reserve  peak / capacity\n");
  for (const auto& s : e.stages)
    fmt::print("    {:>5}  {:>7.2f}  {:>8.2f} ({:>3})  {:>9.2f}  {:>7.2f}  {:>6.2f} / {:.2f}\n", s.stage,
               s.state_bytes / kGiB, s.activation_bytes / kGiB, s.in_flight, s.transient_bytes / kGiB,
               s.reserve_bytes / kGiB, s.peak_bytes / kGiB, s.capacity_bytes / kGiB);
  if (!e.fits) fmt::print("  OOM: {}\n", e.oom_message);
}

void register_plan_commands(CLI::App& app) {
  auto* plan = app.add_subcommand("plan", "Training plans: write, show and simulate");
  plan->require_subcommand(1);
  {
    auto* mg = plan->add_subcommand("megatron", "Write the plan a Megatron-LM / DeepSpeed user would set by hand");
    auto& o = add_common(mg);
    static MegatronOptions opt;
    static std::string out, schedule = "1f1b", recompute = "none", precision = "bf16";
    static std::vector<std::string> sets;
    mg->add_option("--model", opt.model, "Catalog model or config.json")->required();
    mg->add_option("--cluster", opt.cluster, "Catalog cluster or file")->required();
    mg->add_option("--nodes", opt.nodes, "Scale the cluster to N nodes")->check(CLI::PositiveNumber);
    add_cluster_set_option(mg, &sets);
    mg->add_option("--seq", opt.seq_len, "Sequence length")->required()->check(CLI::PositiveNumber);
    mg->add_option("--global-batch", opt.global_batch, "Global batch (samples)")->required()->check(CLI::PositiveNumber);
    mg->add_option("--tp", opt.tp, "Tensor-parallel degree")->required()->check(CLI::PositiveNumber);
    mg->add_option("--pp", opt.pp, "Pipeline-parallel degree")->required()->check(CLI::PositiveNumber);
    mg->add_option("--dp", opt.dp, "Data-parallel degree (default: devices / (tp*pp))")->check(CLI::PositiveNumber);
    mg->add_option("--micro-batch", opt.micro_batch, "Samples per micro-batch per data-parallel rank")
        ->required()->check(CLI::PositiveNumber);
    mg->add_option("--schedule", schedule, "gpipe | 1f1b | interleaved");
    mg->add_option("--chunks", opt.chunks, "Model chunks per device (interleaved)")->check(CLI::PositiveNumber);
    mg->add_option("--recompute", recompute, "none | selective | full");
    mg->add_flag("--sequence-parallel", opt.sequence_parallel, "Megatron sequence parallelism");
    mg->add_option("--zero", opt.zero_stage, "ZeRO stage over the data-parallel ranks (0-3)")->check(CLI::Range(0, 3));
    mg->add_option("--precision", precision, "fp32 | bf16 | fp16");
    mg->add_flag("!--no-overlap-grad-reduce", opt.overlap_grad_reduce,
                 "Reduce gradients after the whole backward (Megatron-LM before 2023) instead of overlapping it");
    mg->add_flag("!--no-async-tensor-parallel", opt.async_tensor_parallel,
                 "Run every TP collective in line (Megatron-LM before late 2021) instead of the backward's beside its GEMMs");
    mg->add_option("-o,--output", out, "Write the plan here")->required();
    mg->callback([&o] {
      if (!parse_schedule(schedule, &opt.schedule))
        throw InputError(fmt::format("--schedule: unknown '{}'; valid values are: {}", schedule, join_names(schedule_names())));
      if (!parse_recompute(recompute, &opt.recompute))
        throw InputError(fmt::format("--recompute: unknown '{}'; valid values are: {}", recompute, join_names(recompute_names())));
      if (!parse_precision(precision, &opt.precision))
        throw InputError(fmt::format("--precision: unknown '{}'; valid values are: {}", precision, join_names(precision_names())));
      ModelGraph m = load_model(opt.model);
      Cluster c = load_cluster(opt.cluster, opt.nodes, sets);
      TrainingPlan p = megatron_plan(opt, m, c);
      validate_plan(p, m, c);
      Json j = plan_to_json(p);
      write_json_file(out, j);
      // A plan that does not fit is still written (users inspect it), but the
      // job failed: exit code 1 with the reason (DESIGN.md).
      MemoryEstimate e = estimate_memory(p, m, c);
      Json shown = j;
      shown["fits"] = e.fits;
      if (!e.fits) shown["oom_message"] = e.oom_message;
      emit(o, shown, [&] {
        print_plan(p, m, c);
        fmt::print("\nwrote {}\n", out);
      });
      if (!e.fits) throw ExitStatus(1, "plan megatron: the plan does not fit in device memory (" + e.oom_message +
                                           "); wrote it to " + out + " for inspection");
    });
  }
  {
    auto* show = plan->add_subcommand("show", "Print a training plan readably (with its analytic memory)");
    auto& o = add_common(show);
    static std::string path, model, cluster;
    static int nodes = 0;
    show->add_option("plan", path, "Plan JSON")->required();
    show->add_option("--model", model, "Override the plan's model");
    show->add_option("--cluster", cluster, "Override the plan's cluster");
    show->add_option("--nodes", nodes, "Override the node count")->check(CLI::PositiveNumber);
    static std::vector<std::string> show_sets;
    add_cluster_set_option(show, &show_sets);
    show->callback([&o] {
      TrainingPlan p = load_plan(path);
      ModelGraph m = load_model(model.empty() ? p.model : model);
      Cluster c = load_cluster(cluster.empty() ? p.cluster : cluster, nodes > 0 ? nodes : p.nodes, show_sets);
      Json j = plan_to_json(p);
      std::string broken = check_plan(p, m, c);
      j["valid"] = broken.empty();
      if (!broken.empty()) j["invalid_reason"] = broken;
      emit(o, j, [&] { print_plan(p, m, c); });
    });
  }
  {
    // The same command as `paralab simulate --plan` (tools/cmd_simulate.h).
    auto* sim = plan->add_subcommand("simulate", "Simulate one training iteration of a plan (= simulate --plan)");
    auto& o = add_common(sim);
    static SimulateArgs a;
    add_simulate_options(sim, &a, true);
    sim->callback([&o] { run_simulate_command(o, a); });
  }
}

}  // namespace

static const CommandRegistration kRegistration(40, &register_plan_commands);

}  // namespace paralab::cli
