// `paralab simulate`: runs a TaskGraph through the discrete-event simulator,
// prints the outcome, stores one RunRecord (backend "sim") and optionally
// writes a Perfetto trace.
//
// The graph comes from one place, graph_for(): today a TaskGraph JSON file
// (--graph); a training plan lowered to a TaskGraph (--model/--plan) plugs
// in there, filling the record's model/strategy/config as it does.
#include <fmt/format.h>

#include <fstream>

#include "core/catalog.h"
#include "core/error.h"
#include "core/task_graph.h"
#include "results/store.h"
#include "sim/simulator.h"
#include "tools/cli_common.h"
#include "tools/cmd_plan.h"

namespace paralab::cli {

namespace {

struct SimulateArgs {
  std::string cluster;
  int nodes = 0;
  std::string graph;
  std::string trace;
  std::string collectives = "flow";
  int max_ring_steps = 0;
  std::vector<std::string> slowdowns;  // "device:factor"
  std::string model, plan;             // training plan path (tools/cmd_plan.h)
};

// The TaskGraph to simulate and what it is (model, strategy, config) for the record.
TaskGraph graph_for(const SimulateArgs& a, RunRecord* rec) {
  if (a.graph.empty()) throw InputError("simulate: give --graph <taskgraph.json>");
  Json j = read_json_file(a.graph);
  rec->strategy = "taskgraph";
  rec->config["graph"] = a.graph;
  return task_graph_from_json(JsonReader(j, a.graph));
}

std::vector<double> parse_slowdowns(const std::vector<std::string>& specs, const Cluster& c) {
  std::vector<double> out;
  for (const std::string& s : specs) {
    auto colon = s.find(':');
    int dev = -1;
    double f = 0;
    try {
      if (colon == std::string::npos) throw std::invalid_argument("no colon");
      dev = std::stoi(s.substr(0, colon));
      f = std::stod(s.substr(colon + 1));
    } catch (const std::exception&) {
      throw InputError("--slowdown '" + s + "': expected DEVICE:FACTOR, e.g. 3:1.5");
    }
    if (dev < 0 || dev >= c.num_devices() || !(f > 0))
      throw InputError("--slowdown '" + s + "': device must be 0.." + std::to_string(c.num_devices() - 1) +
                       " and factor positive");
    out.resize(c.num_devices(), 0.0);
    out[dev] = f;
  }
  return out;
}

void print_result(const sim::SimResult& r) {
  const RunRecord& rec = r.record;
  fmt::print("status: {}{}\n", rec.status, rec.message.empty() ? "" : " — " + rec.message);
  fmt::print("makespan: {:.6f} s ({} ops, {} events, {} flows)\n", rec.step_seconds, r.ops_done, r.events, r.flows);
  double mean = 0;
  for (double u : rec.device_utilization) mean += u;
  if (!rec.device_utilization.empty())
    fmt::print("device busy fraction: mean {:.1f}% over {} devices\n", 100 * mean / rec.device_utilization.size(),
               rec.device_utilization.size());
  for (const auto& p : rec.peak_memory)
    if (p.peak_bytes > 0) fmt::print("peak memory {} {}: {}\n", p.scope, p.tier, human_bytes(p.peak_bytes));
  for (const auto& [kind, st] : rec.metrics["collectives"].items())
    fmt::print("{}: {} calls, mean algbw {}, busbw {}\n", kind, st["count"].get<int64_t>(),
               human_rate(st["mean_algbw_bytes_per_s"].get<double>(), "B/s"),
               human_rate(st["mean_busbw_bytes_per_s"].get<double>(), "B/s"));
}

void run_simulate(const SimulateArgs& a, const CommonOptions& o) {
  Cluster c = load_cluster(a.cluster, a.nodes);
  RunRecord meta;
  TaskGraph g = graph_for(a, &meta);
  g.validate(c, a.graph.empty() ? "task graph" : a.graph);
  sim::SimOptions opt;
  opt.collectives = a.collectives == "analytic" ? sim::CollectiveMode::kAnalytic : sim::CollectiveMode::kFlow;
  opt.max_ring_steps = a.max_ring_steps;
  opt.slowdown = parse_slowdowns(a.slowdowns, c);
  opt.trace = !a.trace.empty();
  ProgressLine bar("simulate");
  opt.progress = simulation_progress(bar);
  sim::SimResult r = sim::simulate(c, g, opt);
  bar.done();
  r.record.model = meta.model;
  r.record.strategy = meta.strategy;
  for (auto& [k, v] : meta.config.items()) r.record.config[k] = v;
  if (opt.trace) {
    std::ofstream out(a.trace, std::ios::binary);
    if (!out || !(out << r.trace_json) || !out.flush()) throw InputError(a.trace + ": cannot write the trace");
  }
  ResultsStore store(db_path(o));
  int64_t id = store.insert(r.record);
  Json j = r.record.to_json();
  j["run_id"] = id;
  if (opt.trace) j["trace"] = a.trace;
  emit(o, j, [&] {
    print_result(r);
    if (opt.trace) fmt::print("trace: {} (open in https://ui.perfetto.dev)\n", a.trace);
    fmt::print("stored as run {} in {}\n", id, store.path());
  });
}

void register_simulate(CLI::App& app) {
  auto* cmd = app.add_subcommand("simulate", "Run a TaskGraph through the discrete-event simulator");
  auto& o = add_common(cmd);
  static SimulateArgs a;
  cmd->add_option("--cluster", a.cluster, "Catalog cluster name or path to a cluster file")->required();
  cmd->add_option("--nodes", a.nodes, "Scale the cluster to N nodes")->check(CLI::PositiveNumber);
  cmd->add_option("--graph", a.graph, "TaskGraph JSON file");
  cmd->add_option("--trace", a.trace, "Write a Chrome trace-event JSON (Perfetto) here");
  cmd->add_option("--collectives", a.collectives, "Collectives as flows or closed-form alpha-beta")
      ->check(CLI::IsMember({"flow", "analytic"}));
  cmd->add_option("--max-ring-steps", a.max_ring_steps,
                  "Flow mode: merge consecutive ring steps so a ring phase has at most N flows per rank "
                  "(0 = every step its own flow; for rings of hundreds of ranks)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--slowdown", a.slowdowns, "Straggler DEVICE:FACTOR (repeatable), e.g. 3:1.5");
  cmd->add_option("--model", a.model, "Model of a training plan (default: the plan's)");
  cmd->add_option("--plan", a.plan, "Training plan JSON: lowered to a TaskGraph and simulated (paralab plan megatron)");
  cmd->callback([&o] {
    if (!a.plan.empty()) {
      simulate_plan_command(o, a.model, a.cluster, a.nodes, a.plan, a.trace, a.collectives == "analytic",
                            a.max_ring_steps);
      return;
    }
    run_simulate(a, o);
  });
}

}  // namespace

static const CommandRegistration kRegistration(30, &register_simulate);

}  // namespace paralab::cli
