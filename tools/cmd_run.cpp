// `paralab run --backend host|cuda --graph g.json [--ranks N] [--trace t.json]`:
// executes a TaskGraph for real and records the run (RunRecord with backend
// real-host / real-cuda) in the results database, once, after all ranks merged.
#include <fmt/format.h>

#include "core/catalog.h"
#include "core/error.h"
#include "real/launcher.h"
#include "real/mpi_world.h"
#include "real/run_graph.h"
#include "results/store.h"
#include "strategies/training/lowering.h"
#include "strategies/training/training_plan.h"
#include "tools/cli_common.h"

namespace paralab::cli {

std::string self_binary();  // tools/cmd_calibrate.cpp

namespace {

void print_record(const RunRecord& r) {
  fmt::print("{} run on {}: status {}{}\n", r.backend, r.cluster, r.status, r.message.empty() ? "" : " (" + r.message + ")");
  fmt::print("  makespan {:.6f} s\n", r.step_seconds);
  for (size_t d = 0; d < r.device_utilization.size(); ++d)
    fmt::print("  device {} compute busy {:.1f}%\n", d, 100 * r.device_utilization[d]);
  if (r.metrics.contains("busy_seconds_by_kind"))
    for (auto& [k, v] : r.metrics["busy_seconds_by_kind"].items()) fmt::print("  {:<14} {:.6f} s busy\n", k, v.get<double>());
  if (r.metrics.contains("notes"))
    for (const auto& n : r.metrics["notes"]) fmt::print("  note: {}\n", n.get<std::string>());
}

void register_run(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Execute a TaskGraph for real (host threads/BLAS/MPI or CUDA)");
  auto& o = add_common(cmd);
  static std::string backend = "host", graph, cluster_arg = "localhost-cpu", trace, rank_output, model, plan, scratch;
  static int ranks = 1, warmup = 1, fail_rank = -1, repetitions = 1, nodes = 0;
  static double timeout = 60;
  static bool no_store = false;
  static std::vector<std::string> sets;
  cmd->add_option("--backend", backend, "host or cuda")->check(CLI::IsMember({"host", "cuda"}));
  cmd->add_option("--graph", graph, "TaskGraph JSON to execute");
  cmd->add_option("--model", model, "Model name recorded with the run");
  cmd->add_option("--plan", plan, "Training plan JSON (lowered to a TaskGraph)");
  auto* cluster_opt = cmd->add_option(
      "--cluster", cluster_arg, "Cluster the graph's device ids refer to (default localhost-cpu; with --plan, the plan's)");
  cmd->add_option("--nodes", nodes, "Scale the cluster to N nodes (default: the file's; with --plan, the plan's)")
      ->check(CLI::PositiveNumber);
  add_cluster_set_option(cmd, &sets);
  cmd->add_option("--ranks", ranks, "Processes to start under mpirun (one per device group)");
  cmd->add_option("--trace", trace, "Write a Chrome/Perfetto trace here");
  cmd->add_option("--warmup", warmup, "Untimed executions before the measured one");
  cmd->add_option("--repetitions", repetitions, "Timed executions; the fastest is recorded");
  cmd->add_option("--collective-timeout", timeout, "Seconds a collective may wait before the run fails");
  cmd->add_option("--scratch-dir", scratch, "Directory for the SSD scratch file");
  cmd->add_option("--fail-rank", fail_rank, "Fault injection: this rank stops at its first collective")->group("");
  cmd->add_option("--rank-output", rank_output, "(internal) write this rank's result here")->group("");
  cmd->add_flag("--no-store", no_store, "Do not record the run in the database");
  cmd->callback([&o, cluster_opt] {
    if (graph.empty() == plan.empty()) throw InputError("run: give exactly one of --graph taskgraph.json or --plan plan.json");
    TaskGraph g;
    Cluster c;
    if (!plan.empty()) {
      // A training plan runs as its full lowering: every rank's ops, not the
      // simulator's one representative rank per stage.
      TrainingPlan p = load_plan(plan);
      if (cluster_opt->count() == 0) cluster_arg = p.cluster;
      c = load_cluster(cluster_arg, nodes > 0 ? nodes : (cluster_opt->count() == 0 ? p.nodes : 0), sets);
      if (model.empty()) model = p.model;
      ModelGraph m = load_model(model);
      LoweringOptions lo;
      lo.symmetric = false;
      g = std::move(lower_plan(p, m, c, lo).graph);
      g.validate(c, plan);
    } else {
      c = load_cluster(cluster_arg, nodes, sets);
      Json gj = read_json_file(graph);
      g = task_graph_from_json(JsonReader(gj, graph));
      g.validate(c, graph);
    }
    real::RunGraphOptions ro;
    ro.backend = backend;
    ro.ranks = ranks;
    ro.cluster_arg = cluster_arg;
    ro.cluster_sets = sets;
    ro.paralab_binary = self_binary();
    ro.exec.collective_timeout_seconds = timeout;
    ro.exec.warmup_runs = warmup;
    ro.exec.repetitions = repetitions;
    ro.exec.fail_rank = fail_rank;
    ro.exec.scratch_dir = scratch;
    ro.work_dir = scratch;  // graph and rank files beside the scratch files ("" = results/)
    real::MpiWorld& w = real::MpiWorld::get();
    std::vector<real::RankResult> rr;
    RunRecord rec;
    if (!rank_output.empty() || w.size() > 1) {
      // This process is one rank of an mpirun job.
      auto ex = real::make_executor(backend);
      real::RankResult mine = ex->run(g, c, ro.exec);
      if (!rank_output.empty()) {
        write_json_file(real::rank_result_path(rank_output, w.rank()), mine.to_json(), -1);
        if (mine.status != "ok") w.abort(4);  // the others may be waiting on us
        return;
      }
      if (mine.status != "ok") {
        rr = {mine};
      } else {
        rr = real::gather_rank_results(mine);
        if (w.rank() != 0) return;
      }
      rec = real::merge_rank_results(rr, g, c, ex->backend());
      rec.config = {{"backend", backend}, {"ranks", w.size()}, {"cluster", cluster_arg}};
    } else {
      rec = real::run_graph(g, c, ro, &rr);
    }
    rec.model = model;
    rec.config[plan.empty() ? "graph" : "plan"] = plan.empty() ? graph : plan;
    Json j = rec.to_json();
    if (!no_store) {
      ResultsStore store(db_path(o));
      j["run_id"] = store.insert(rec);
    }
    if (!trace.empty()) write_json_file(trace, real::trace_json(rr, g), -1);
    emit(o, j, [&] { print_record(rec); });
    if (w.size() > 1 && rec.status != "ok") w.abort(4);
    if (rec.status != "ok") throw run_failed("run", rec.status, rec.message);  // a recorded run (DESIGN.md)
  });
}

const CommandRegistration kRegistration(61, &register_run);

}  // namespace
}  // namespace paralab::cli
