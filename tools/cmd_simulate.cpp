// `paralab simulate` (and `paralab plan simulate`, the same command): runs a
// TaskGraph or a training plan through the discrete-event simulator, prints
// the outcome, stores one RunRecord (backend "sim") and optionally streams a
// Perfetto trace. See cmd_simulate.h for the options and exit codes.
#include "tools/cmd_simulate.h"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>

#include "core/catalog.h"
#include "core/cluster_overrides.h"
#include "core/error.h"
#include "core/task_graph.h"
#include "results/store.h"
#include "sim/simulator.h"
#include "strategies/training/training_plan.h"
#include "strategies/training/training_sim.h"

namespace paralab::cli {

namespace {

sim::CollectiveMode collective_mode(const SimulateArgs& a) {
  return a.analytic || a.collectives == "analytic" ? sim::CollectiveMode::kAnalytic : sim::CollectiveMode::kFlow;
}

// --slowdown DEVICE:FACTOR, checked against the devices that take part
// (`used`: every device of the cluster for a graph, the plan's for a plan).
std::vector<std::pair<int, double>> parse_slowdowns(const std::vector<std::string>& specs, const Cluster& c,
                                                    const std::vector<int>& used, const std::string& what) {
  std::vector<std::pair<int, double>> out;
  for (const std::string& s : specs) {
    auto colon = s.find(':');
    int dev = -1;
    double f = 0;
    try {
      if (colon == std::string::npos) throw std::invalid_argument("no colon");
      size_t end = 0;
      dev = std::stoi(s.substr(0, colon), &end);
      if (end != colon) throw std::invalid_argument("device");
      f = std::stod(s.substr(colon + 1), &end);
      if (end != s.size() - colon - 1) throw std::invalid_argument("factor");
    } catch (const std::exception&) {
      throw InputError("--slowdown '" + s + "': expected DEVICE:FACTOR, e.g. 3:1.5");
    }
    if (!(f > 0)) throw InputError("--slowdown '" + s + "': the factor must be positive");
    if (dev < 0 || dev >= c.num_devices())
      throw InputError(fmt::format("--slowdown '{}': device {} does not exist; {} has devices 0..{}", s, dev, c.name,
                                   c.num_devices() - 1));
    if (std::find(used.begin(), used.end(), dev) == used.end())
      throw InputError(fmt::format("--slowdown '{}': device {} takes no part in {}", s, dev, what));
    out.emplace_back(dev, f);
  }
  return out;
}

// The one what-if mechanism: --set overrides, then each straggler factor as
// the override that appends it to the file's device_overrides; the cluster
// is loaded once more with all of them (the first load only checked the
// devices). The factors are also kept in the run's config.
Cluster load_with_overrides(const std::string& cluster, int nodes, const SimulateArgs& a,
                            const std::vector<std::pair<int, double>>& sd, Json* config) {
  std::vector<std::string> ov = a.sets;
  Json dev = Json::array();
  for (auto [d, f] : sd) {
    ov.push_back(slowdown_override(d, f));
    dev.push_back({{"device", d}, {"slowdown", f}});
  }
  if (!sd.empty()) (*config)["device_overrides"] = dev;
  Cluster c = load_cluster(cluster, nodes, ov);
  apply_profile_option(a.profile, &c);
  return c;
}

// A trace file written whole or not at all: streamed to FILE.partial and
// renamed when complete.
class TraceFile {
 public:
  explicit TraceFile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) return;
    out_.open(path_ + ".partial", std::ios::binary | std::ios::trunc);
    if (!out_) throw InputError(fmt::format("--trace: cannot write {}.partial", path_));
  }
  ~TraceFile() {
    if (!path_.empty() && !committed_) std::remove((path_ + ".partial").c_str());
  }
  std::ostream* stream() { return path_.empty() ? nullptr : &out_; }
  // False (and the partial file removed) when the trace could not be written.
  bool commit() {
    if (path_.empty()) return true;
    out_.close();
    committed_ = out_.good() && std::rename((path_ + ".partial").c_str(), path_.c_str()) == 0;
    return committed_;
  }

 private:
  std::string path_;
  std::ofstream out_;
  bool committed_ = false;
};

void print_graph_result(const sim::SimResult& r) {
  const RunRecord& rec = r.record;
  fmt::print("status: {}{}\n", rec.status, rec.message.empty() ? "" : " — " + rec.message);
  fmt::print("makespan: {:.6f} s ({} ops, {} events, {} flows)\n", rec.step_seconds, r.ops_done, r.events, r.flows);
  double mean = 0;
  for (double u : rec.device_utilization) mean += u;
  if (!rec.device_utilization.empty())
    fmt::print("device busy fraction: mean {:.1f}% over {} devices\n", 100 * mean / double(rec.device_utilization.size()),
               rec.device_utilization.size());
  for (const auto& p : rec.peak_memory)
    if (p.peak_bytes > 0) fmt::print("peak memory {} {}: {}\n", p.scope, p.tier, human_bytes(p.peak_bytes));
  for (const auto& [kind, st] : rec.metrics["collectives"].items())
    fmt::print("{}: {} calls, mean algbw {}, busbw {}\n", kind, st["count"].get<int64_t>(),
               human_rate(st["mean_algbw_bytes_per_s"].get<double>(), "B/s"),
               human_rate(st["mean_busbw_bytes_per_s"].get<double>(), "B/s"));
}

void print_training_result(const TrainingResult& r) {
  fmt::print("status: {}{}\n", r.status, r.message.empty() ? "" : " — " + r.message);
  if (r.status != "ok") return;
  fmt::print("iteration {:.4f} s, {:.2f} samples/s, {:.1f} model TFLOP/s per GPU ({} GPUs)\n", r.iteration_seconds,
             r.samples_per_second, r.model_tflops_per_gpu, r.gpus);
  fmt::print("MFU {:.1f}% (model FLOPs, recomputation not counted), HFU {:.1f}% (hardware FLOPs, recomputation "
             "counted)\n",
             100 * r.mfu, 100 * r.hfu);
  fmt::print("pipeline bubble {:.1f}%, exposed communication per device: TP {:.4f} s, PP {:.4f} s, DP {:.4f} s\n",
             100 * r.bubble_fraction, r.exposed_tp_seconds, r.exposed_pp_seconds, r.exposed_dp_seconds);
  double peak = 0, analytic = 0;
  for (double b : r.peak_memory_bytes) peak = std::max(peak, b);
  for (double b : r.analytic_peak_memory_bytes) analytic = std::max(analytic, b);
  fmt::print("peak memory (largest device): simulated {}, analytic {}\n", human_bytes(peak), human_bytes(analytic));
  fmt::print("{} ops, {} events, {} flows; lowering {:.3f} s, simulation {:.3f} s\n", r.ops, r.events, r.flows,
             r.lower_seconds, r.simulate_seconds);
}

// Ends the command: stores nothing more, reports a failed run's exit code.
void finish(const std::string& status, const std::string& message) {
  if (status != "ok") throw run_failed("simulate", status, message);
}

void simulate_plan(const CommonOptions& o, const SimulateArgs& a) {
  TrainingPlan p = load_plan(a.plan);
  ModelGraph m = load_model(a.model.empty() ? p.model : a.model);
  const std::string cluster = a.cluster.empty() ? p.cluster : a.cluster;
  const int nodes = a.nodes > 0 ? a.nodes : p.nodes;
  Cluster c = load_cluster(cluster, nodes, a.sets);
  apply_profile_option(a.profile, &c);
  Json overrides = Json::object();
  auto sd = parse_slowdowns(a.slowdowns, c, p.all_devices(), "the plan " + a.plan);
  if (!sd.empty()) c = load_with_overrides(cluster, nodes, a, sd, &overrides);
  TraceFile trace(a.trace);
  TrainingSimOptions so;
  so.trace_out = trace.stream();
  so.trace_all_devices = a.trace_devices == "all";
  parse_mirror(a.mirror, &so.mirror);  // CLI11 checked the name
  so.collectives = collective_mode(a);
  so.max_ring_steps = a.max_ring_steps;
  ProgressLine bar("simulate");
  so.progress = simulation_progress(bar);
  TrainingResult r = simulate_training(p, m, c, so);
  bar.done();
  if (!trace.commit() || !r.trace_ok) {
    r.status = "error";
    r.message = fmt::format("--trace: writing {} failed (disk full?)", a.trace);
  }
  RunRecord rec = training_run_record(r, p, m, c);
  for (auto& [k, v] : overrides.items()) rec.config[k] = v;
  rec.config["collectives"] = sim::collective_mode_name(so.collectives);
  rec.config["mirror"] = mirror_name(r.mirror);
  rec.config["max_ring_steps"] = a.max_ring_steps;
  if (!a.profile.empty()) rec.config["profile"] = a.profile;
  ResultsStore store(db_path(o));
  int64_t id = store.insert(rec);
  Json j = training_result_json(r);
  j["run_id"] = id;
  if (!a.trace.empty() && r.status != "error") j["trace"] = a.trace;
  emit(o, j, [&] {
    print_training_result(r);
    if (j.contains("trace")) fmt::print("trace: {} (open in https://ui.perfetto.dev)\n", a.trace);
    fmt::print("stored as run {} in {}\n", id, store.path());
  });
  finish(r.status, r.message);
}

void simulate_graph(const CommonOptions& o, const SimulateArgs& a) {
  if (a.cluster.empty()) throw InputError("simulate --graph: give --cluster NAME|FILE (a task graph names no cluster)");
  Cluster c = load_cluster(a.cluster, a.nodes, a.sets);
  apply_profile_option(a.profile, &c);
  Json j0 = read_json_file(a.graph);
  TaskGraph g = task_graph_from_json(JsonReader(j0, a.graph));
  g.validate(c, a.graph);
  RunRecord meta;
  meta.config["graph"] = a.graph;
  if (!a.profile.empty()) meta.config["profile"] = a.profile;
  std::vector<int> all(c.num_devices());
  for (int d = 0; d < c.num_devices(); ++d) all[d] = d;
  auto sd = parse_slowdowns(a.slowdowns, c, all, "the cluster");
  if (!sd.empty()) c = load_with_overrides(a.cluster, a.nodes, a, sd, &meta.config);
  TraceFile trace(a.trace);
  sim::SimOptions opt;
  opt.collectives = collective_mode(a);
  opt.max_ring_steps = a.max_ring_steps;
  opt.trace_out = trace.stream();
  ProgressLine bar("simulate");
  opt.progress = simulation_progress(bar);
  sim::SimResult r = sim::simulate(c, g, opt);
  bar.done();
  if (!trace.commit() || !r.trace_ok) {
    r.record.status = "error";
    r.record.message = fmt::format("--trace: writing {} failed (disk full?)", a.trace);
  }
  r.record.strategy = "taskgraph";
  for (auto& [k, v] : meta.config.items()) r.record.config[k] = v;
  ResultsStore store(db_path(o));
  int64_t id = store.insert(r.record);
  Json j = r.record.to_json();
  j["run_id"] = id;
  if (!a.trace.empty() && r.record.status != "error") j["trace"] = a.trace;
  emit(o, j, [&] {
    print_graph_result(r);
    if (j.contains("trace")) fmt::print("trace: {} (open in https://ui.perfetto.dev)\n", a.trace);
    fmt::print("stored as run {} in {}\n", id, store.path());
  });
  finish(r.record.status, r.record.message);
}

void register_simulate(CLI::App& app) {
  auto* cmd = app.add_subcommand("simulate", "Simulate a training plan (--plan) or a TaskGraph (--graph)");
  auto& o = add_common(cmd);
  static SimulateArgs a;
  add_simulate_options(cmd, &a, false);
  cmd->callback([&o] { run_simulate_command(o, a); });
}

}  // namespace

void add_simulate_options(CLI::App* cmd, SimulateArgs* a, bool plan_only) {
  auto* plan = cmd->add_option("--plan", a->plan, "Training plan JSON (paralab plan megatron): lowered and simulated");
  if (plan_only) {
    plan->required();
  } else {
    cmd->add_option("--graph", a->graph, "TaskGraph JSON file")->excludes(plan);
  }
  cmd->add_option("--model", a->model, "Model of a training plan (default: the plan's)");
  cmd->add_option("--cluster", a->cluster, "Cluster name or file (default with --plan: the plan's)");
  cmd->add_option("--nodes", a->nodes, "Scale the cluster to N nodes (default with --plan: the plan's)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--collectives", a->collectives, "Collectives as flows or closed-form alpha-beta")
      ->check(CLI::IsMember({"flow", "analytic"}));
  cmd->add_flag("--analytic", a->analytic, "Short for --collectives analytic");
  cmd->add_option("--max-ring-steps", a->max_ring_steps,
                  "Flow mode: merge consecutive ring steps so a ring phase has at most N flows per rank, each "
                  "paying its steps' latencies (exact for uncontended rings; 0 = every step its own flow)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--slowdown", a->slowdowns,
                  "Straggler DEVICE:FACTOR (repeatable), e.g. 3:1.5; short for "
                  "--set 'device_overrides+={\"device\":3,\"slowdown\":1.5}'");
  add_cluster_set_option(cmd, &a->sets);
  add_profile_option(cmd, &a->profile);
  cmd->add_option("--mirror", a->mirror,
                  "Plans: which identical devices are lowered once: one data-parallel replica per stage "
                  "(replicas), also one tensor-parallel rank (ranks: ~tp times fewer ops, but the other ranks' "
                  "own NIC traffic is left out), every device (none), or auto: ranks where that is exact "
                  "(every GPU its own NIC, non-blocking switches), else replicas where that is exact (consecutive stage "
                  "devices, and no NIC shared by two replicas or no replica's traffic leaving its node), else none")
      ->check(CLI::IsMember({"auto", "replicas", "ranks", "none"}));
  cmd->add_option("--trace", a->trace, "Stream a Chrome trace-event JSON (Perfetto) to this file");
  cmd->add_option("--trace-devices", a->trace_devices,
                  "Plans: draw one representative device per stage (stage) or every device (all)")
      ->check(CLI::IsMember({"stage", "all"}));
}

void run_simulate_command(const CommonOptions& o, const SimulateArgs& a) {
  if (!a.plan.empty()) return simulate_plan(o, a);
  if (a.graph.empty()) throw InputError("simulate: give --plan <plan.json> or --graph <taskgraph.json>");
  simulate_graph(o, a);
}

static const CommandRegistration kRegistration(30, &register_simulate);

}  // namespace paralab::cli
