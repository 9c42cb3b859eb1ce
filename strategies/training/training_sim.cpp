#include "strategies/training/training_sim.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <new>
#include <numeric>
#include <set>

#include "core/error.h"
#include "strategies/training/lowering.h"
#include "strategies/training/memory_model.h"
#include "strategies/training/plan_validation.h"
#include "strategies/training/training_metrics.h"

namespace paralab {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The plan's recomputation for the hardware-FLOPs formula: full if every
// layer recomputes fully, selective if any layer recomputes selectively.
Recompute plan_recompute(const TrainingPlan& p) {
  bool all_full = !p.layers.empty(), any_selective = false;
  for (const LayerStrategy& s : p.layers) {
    all_full &= s.recompute == Recompute::kFull;
    any_selective |= s.recompute == Recompute::kSelective;
  }
  return all_full ? Recompute::kFull : any_selective ? Recompute::kSelective : Recompute::kNone;
}

// Mirroring data-parallel replicas (LoweringOptions::symmetric) assumes
// they run at one speed: false when the plan's devices have different
// straggler factors.
bool uniform_slowdown(const TrainingPlan& p, const Cluster& c) {
  std::vector<int> devs = p.all_devices();
  for (int d : devs)
    if (c.device(d).spec.slowdown != c.device(devs.front()).spec.slowdown) return false;
  return true;
}

// One lowered device per pipeline stage: the first representative of each.
std::vector<int> stage_representatives(const LoweredPlan& lp, const Cluster& c) {
  std::vector<int> reps;
  for (int d = 0; d < c.num_devices(); ++d)
    if (lp.representative[d] == d && (reps.empty() || lp.stage_of_device[reps.back()] != lp.stage_of_device[d]))
      reps.push_back(d);
  return reps;
}

TrainingResult out_of_memory(TrainingResult r, const std::string& what) {
  r.status = "error";
  r.message = "out of memory while " + what;
  return r;
}

// Names of the lowering's streams (lowering.h), for the trace.
std::vector<std::string> stream_names() {
  std::vector<std::string> n = {"compute + TP collectives", "DP / ZeRO collectives"};
  for (int k = 2; k <= 7; ++k) n.push_back(fmt::format("PP send/recv {}", k - 2));
  n.push_back("tied-embedding all-reduce");
  n.push_back("TP collectives beside the backward GEMMs");
  return n;
}

// Process names that say which device a lowered one stands for.
std::vector<std::string> device_names(const LoweredPlan& lp, const Cluster& c) {
  std::vector<std::string> names(c.num_devices());
  std::vector<int> mirrors(c.num_devices(), 0);
  for (int d = 0; d < c.num_devices(); ++d)
    if (lp.representative[d] >= 0 && lp.representative[d] != d) mirrors[lp.representative[d]]++;
  for (int d = 0; d < c.num_devices(); ++d) {
    const int rep = lp.representative[d];
    if (rep < 0) continue;
    names[d] = fmt::format("device {} ({}), stage {}", d, c.device(d).vertex_name, lp.stage_of_device[d]);
    if (rep != d)
      names[d] += fmt::format(": mirror of device {}, which does its work (only collectives spanning it are drawn)", rep);
    else if (mirrors[d] > 0)
      names[d] += fmt::format(", also stands for {} mirrored device(s)", mirrors[d]);
  }
  return names;
}

}  // namespace

const char* mirror_name(Mirror m) {
  switch (m) {
    case Mirror::kAuto: return "auto";
    case Mirror::kReplicas: return "replicas";
    case Mirror::kRanks: return "ranks";
    case Mirror::kNone: return "none";
  }
  return "?";
}

bool parse_mirror(const std::string& s, Mirror* out) {
  for (Mirror m : {Mirror::kAuto, Mirror::kReplicas, Mirror::kRanks, Mirror::kNone})
    if (s == mirror_name(m)) {
      *out = m;
      return true;
    }
  return false;
}

bool tensor_ranks_mirror_exactly(const TrainingPlan& plan, const Cluster& c, sim::CollectiveMode mode) {
  if (mode == sim::CollectiveMode::kAnalytic) return true;
  // 1. No two devices of the plan leave their node through one NIC.
  const std::vector<int>& home = c.home_nics();
  std::set<int> nics;
  std::set<int> nodes;
  for (int d : plan.all_devices()) {
    nodes.insert(c.device(d).node);
    const int nic = home[c.device(d).vertex];
    if (nic >= 0 && !nics.insert(nic).second) return false;
  }
  if (nodes.size() <= 1) return true;
  // 2. Non-blocking network: a link between two network vertices (node -1:
  // leaf and spine switches) carries at least the NIC links attached to
  // either of its ends.
  const auto& v = c.vertices();
  auto network = [&](int x) { return v[x].node < 0; };
  std::vector<double> nic_bw(v.size(), 0.0);
  for (const Link& l : c.links()) {
    if (v[l.a].kind == "nic" && network(l.b)) nic_bw[l.b] += l.bandwidth_bytes_per_s;
    if (v[l.b].kind == "nic" && network(l.a)) nic_bw[l.a] += l.bandwidth_bytes_per_s;
  }
  for (const Link& l : c.links())
    if (network(l.a) && network(l.b) &&
        l.bandwidth_bytes_per_s < std::max(nic_bw[l.a], nic_bw[l.b]) * (1 - 1e-9))
      return false;
  return true;
}

bool replicas_mirror_exactly(const TrainingPlan& plan, const Cluster& c, sim::CollectiveMode mode) {
  if (tensor_ranks_mirror_exactly(plan, c, mode)) return true;
  // The argument of symmetric_lowering_test.cpp needs the planners' layout:
  // each stage's devices consecutive, so a replica is a block of them.
  for (const PipelineStage& st : plan.stages)
    for (size_t k = 1; k < st.devices.size(); ++k)
      if (st.devices[k] != st.devices[0] + int(k)) return false;
  const std::vector<int>& home = c.home_nics();
  bool leaves = plan.stages.size() > 1;  // pipeline messages, tied-embedding all-reduce
  std::map<int, std::set<std::pair<size_t, size_t>>> users;  // NIC -> (stage, replica) homed there
  for (size_t j = 0; j < plan.stages.size(); ++j) {
    const PipelineStage& st = plan.stages[j];
    int g = 0;  // replicas, as the lowering mirrors them (lowering.cpp explicit_devices)
    for (int l = st.first_layer; l < st.end_layer; ++l) g = std::gcd(g, plan.layers[size_t(l)].dp);
    const size_t per = st.devices.size() / size_t(std::max(g, 1));
    for (size_t k = 0; k < st.devices.size(); ++k) {
      const Device& d = c.device(st.devices[k]);
      leaves |= c.device(st.devices[k - k % per]).node != d.node;  // a replica spanning nodes
      const int nic = home[size_t(d.vertex)];
      if (nic >= 0) users[nic].insert({j, k / per});
    }
  }
  // A mirrored replica (index >= 1) homed on a NIC with any other replica.
  bool shared = false;
  for (const auto& [nic, who] : users)
    shared |= who.size() > 1 && std::any_of(who.begin(), who.end(), [](const auto& x) { return x.second > 0; });
  return !(leaves && shared);
}

double model_flops_per_iteration(const ModelGraph& m, int64_t global_batch, int64_t seq) {
  const double B = double(global_batch), s = double(seq);
  if (m.architecture() == "gpt" && m.hidden > 0) {
    const double L = m.num_blocks(), h = double(m.hidden), V = double(m.vocab);
    return 72.0 * B * s * L * h * h * (1.0 + s / (6.0 * h) + V / (12.0 * L * h));
  }
  return 3.0 * B * m.forward_flops(seq);
}

double hardware_flops_per_iteration(const ModelGraph& m, int64_t global_batch, int64_t seq, Recompute rc) {
  const double B = double(global_batch), s = double(seq);
  if (m.architecture() == "gpt" && m.hidden > 0) {
    const double L = m.num_blocks(), h = double(m.hidden), V = double(m.vocab);
    if (rc == Recompute::kFull) return 96.0 * B * s * L * h * h * (1.0 + s / (6.0 * h) + V / (16.0 * L * h));
    const double model = model_flops_per_iteration(m, global_batch, seq);
    return rc == Recompute::kSelective ? model + 4.0 * B * s * s * h * L : model;
  }
  return (rc == Recompute::kFull ? 4.0 : 3.0) * B * m.forward_flops(seq);
}

TrainingResult simulate_training(const TrainingPlan& plan, const ModelGraph& m, const Cluster& c,
                                 const TrainingSimOptions& o) {
  TrainingResult r;
  std::string broken = check_plan(plan, m, c);
  if (!broken.empty()) {
    r.status = "invalid";
    r.message = "invalid plan: " + broken;
    return r;
  }
  std::vector<int> devices = plan.all_devices();
  r.gpus = static_cast<int>(devices.size());
  r.model_flops = model_flops_per_iteration(m, plan.global_batch, plan.seq_len);
  r.hardware_flops = hardware_flops_per_iteration(m, plan.global_batch, plan.seq_len, plan_recompute(plan));
  MemoryEstimate mem = estimate_memory(plan, m, c);
  r.analytic_peak_memory_bytes = mem.peak_per_device(c.num_devices());
  for (const StageMemory& s : mem.stages)
    r.memory.push_back({{"stage", s.stage},
                        {"devices", s.devices},
                        {"state_bytes", s.state_bytes},
                        {"activation_bytes", s.activation_bytes},
                        {"in_flight_micro_batches", s.in_flight},
                        {"transient_bytes", s.transient_bytes},
                        {"reserve_bytes", s.reserve_bytes},
                        {"peak_bytes", s.peak_bytes},
                        {"capacity_bytes", s.capacity_bytes}});
  if (!mem.fits) {
    r.status = "oom";
    r.message = mem.oom_message;
    r.peak_memory_bytes = r.analytic_peak_memory_bytes;
    return r;
  }
  auto t0 = std::chrono::steady_clock::now();
  LoweringOptions lo;
  r.mirror = !uniform_slowdown(plan, c)  ? Mirror::kNone
             : o.mirror != Mirror::kAuto ? o.mirror
             : tensor_ranks_mirror_exactly(plan, c, o.collectives) ? Mirror::kRanks
             : replicas_mirror_exactly(plan, c, o.collectives)     ? Mirror::kReplicas
                                                                    : Mirror::kNone;
  lo.symmetric = r.mirror != Mirror::kNone;
  lo.one_rank_per_stage = r.mirror == Mirror::kRanks;
  LoweredPlan lp;
  try {
    lp = lower_plan(plan, m, c, lo);
  } catch (const std::bad_alloc&) {
    return out_of_memory(std::move(r), fmt::format("lowering the plan to a task graph ({} devices, {} micro-batches "
                                                   "per pipeline, {} layers)",
                                                   r.gpus, plan.micro_batches, plan.layers.size()));
  }
  r.lower_seconds = seconds_since(t0);
  r.ops = lp.graph.size();
  std::vector<int> reps = stage_representatives(lp, c);
  TrainingMetrics metrics(lp.graph, reps, c.num_devices());
  sim::SimOptions so;
  so.collectives = o.collectives;
  so.max_ring_steps = o.max_ring_steps;
  uint64_t ops_done = 0;
  so.progress = [&](uint64_t done, uint64_t total, TimeNs t) {
    ops_done = done;
    if (o.progress) o.progress(done, total, t);
  };
  so.observer = o.detailed ? &metrics : nullptr;
  so.trace = o.keep_trace;
  so.trace_out = o.trace_out;
  if (o.trace_out || o.keep_trace) {
    so.trace_stream_names = stream_names();
    so.trace_device_names = device_names(lp, c);
    so.trace_devices.assign(c.num_devices(), 0);
    for (int d = 0; d < c.num_devices(); ++d)
      so.trace_devices[d] = o.trace_all_devices ? lp.representative[d] >= 0 : 0;
    for (int d : reps) so.trace_devices[d] = 1;
  }
  t0 = std::chrono::steady_clock::now();
  sim::SimResult sr;
  try {
    sr = sim::simulate(c, lp.graph, so);
  } catch (const std::bad_alloc&) {
    return out_of_memory(std::move(r), fmt::format("simulating the task graph ({} ops, {} of them done)", r.ops,
                                                   ops_done));
  }
  r.simulate_seconds = seconds_since(t0);
  r.trace_ok = sr.trace_ok;
  r.status = sr.record.status;
  r.message = sr.record.message;
  r.iteration_seconds = sr.record.step_seconds;
  r.events = sr.events;
  r.flows = sr.flows;
  // Per device: the representative's figures.
  std::vector<double> peak(c.num_devices(), 0.0);
  for (const MemoryPeak& p : sr.record.peak_memory) {
    if (p.tier != "device" || p.scope.rfind("device", 0) != 0) continue;
    int d = std::stoi(p.scope.substr(6));
    if (d < c.num_devices()) peak[d] = p.peak_bytes;
  }
  r.peak_memory_bytes.assign(c.num_devices(), 0.0);
  r.device_utilization.assign(c.num_devices(), 0.0);
  for (int d = 0; d < c.num_devices(); ++d) {
    int rep = lp.representative[d];
    if (rep < 0) continue;
    r.peak_memory_bytes[d] = peak[rep];
    if (size_t(rep) < sr.record.device_utilization.size()) r.device_utilization[d] = sr.record.device_utilization[rep];
  }
  if (r.status == "ok" && r.iteration_seconds > 0) {
    r.samples_per_second = double(plan.global_batch) / r.iteration_seconds;
    r.model_tflops_per_gpu = r.model_flops / r.iteration_seconds / r.gpus / 1e12;
    double peak_flops = c.device(devices[0]).spec.peak(precision_name(plan.precision));
    r.mfu = peak_flops > 0 ? r.model_tflops_per_gpu * 1e12 / peak_flops : 0.0;
    r.hfu = peak_flops > 0 ? r.hardware_flops / r.iteration_seconds / r.gpus / peak_flops : 0.0;
  }
  if (o.detailed) {
    TrainingFigures f = metrics.figures();
    r.bubble_fraction = f.bubble_fraction;
    r.exposed_tp_seconds = f.exposed_tp_seconds;
    r.exposed_pp_seconds = f.exposed_pp_seconds;
    r.exposed_dp_seconds = f.exposed_dp_seconds;
  }
  if (o.keep_trace) r.trace_json = std::move(sr.trace_json);
  return r;
}

Json training_result_json(const TrainingResult& r) {
  return {{"status", r.status},
          {"message", r.message},
          {"iteration_seconds", r.iteration_seconds},
          {"samples_per_second", r.samples_per_second},
          {"model_flops", r.model_flops},
          {"hardware_flops", r.hardware_flops},
          {"model_tflops_per_gpu", r.model_tflops_per_gpu},
          {"mfu", r.mfu},
          {"hfu", r.hfu},
          {"gpus", r.gpus},
          {"mirror", mirror_name(r.mirror)},
          {"bubble_fraction", r.bubble_fraction},
          {"exposed_seconds", {{"tp", r.exposed_tp_seconds}, {"pp", r.exposed_pp_seconds}, {"dp", r.exposed_dp_seconds}}},
          {"device_utilization", r.device_utilization},
          {"peak_memory_bytes", r.peak_memory_bytes},
          {"analytic_peak_memory_bytes", r.analytic_peak_memory_bytes},
          {"memory", r.memory},
          {"ops", r.ops},
          {"events", r.events},
          {"flows", r.flows},
          {"timing", {{"lower_seconds", r.lower_seconds}, {"simulate_seconds", r.simulate_seconds}}}};
}

RunRecord training_run_record(const TrainingResult& r, const TrainingPlan& plan, const ModelGraph& m,
                              const Cluster& c) {
  RunRecord rec;
  rec.backend = "sim";
  rec.model = m.name();
  rec.set_cluster(c);
  rec.strategy = plan.source.empty() ? "training plan" : plan.source;
  rec.config = plan_to_json(plan);
  rec.status = r.status;
  rec.message = r.message;
  rec.step_seconds = r.iteration_seconds;
  rec.throughput = r.samples_per_second;
  rec.throughput_unit = "samples_per_s";
  rec.device_utilization = r.device_utilization;
  for (size_t d = 0; d < r.peak_memory_bytes.size(); ++d)
    if (r.peak_memory_bytes[d] > 0) rec.peak_memory.push_back({"device" + std::to_string(d), "device", r.peak_memory_bytes[d]});
  rec.metrics = training_result_json(r);
  rec.metrics.erase("device_utilization");
  rec.metrics.erase("peak_memory_bytes");
  return rec;
}

}  // namespace paralab
