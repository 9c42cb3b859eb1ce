#include "strategies/training/training_sim.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "core/error.h"
#include "strategies/training/lowering.h"
#include "strategies/training/memory_model.h"
#include "strategies/training/plan_validation.h"

namespace paralab {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Slice {
  double start = 0, end = 0;
  std::string name, cat;
  int tid = 0;
};

// Length of [a, b) not covered by the sorted, merged intervals `busy`.
double uncovered(double a, double b, const std::vector<std::pair<double, double>>& busy) {
  double out = 0, cur = a;
  auto it = std::lower_bound(busy.begin(), busy.end(), std::make_pair(a, a),
                             [](const auto& x, const auto& y) { return x.second < y.first; });
  for (; it != busy.end() && it->first < b; ++it) {
    if (it->first > cur) out += it->first - cur;
    cur = std::max(cur, it->second);
    if (cur >= b) break;
  }
  if (cur < b) out += b - cur;
  return out;
}

std::vector<std::pair<double, double>> merged(std::vector<std::pair<double, double>> v) {
  std::sort(v.begin(), v.end());
  std::vector<std::pair<double, double>> out;
  for (auto& x : v) {
    if (!out.empty() && x.first <= out.back().second) out.back().second = std::max(out.back().second, x.second);
    else out.push_back(x);
  }
  return out;
}

void trace_metrics(const std::string& trace, const std::vector<int>& reps, TrainingResult* r) {
  Json j = parse_json_text(trace, "simulator trace");
  std::map<int, std::vector<Slice>> by_dev;
  for (int d : reps) by_dev[d];
  for (const Json& e : j["traceEvents"]) {
    if (e.value("ph", "") != "X") continue;
    int pid = e["pid"].get<int>();
    auto it = by_dev.find(pid);
    if (it == by_dev.end()) continue;
    double ts = e["ts"].get<double>() * 1e-6;
    it->second.push_back({ts, ts + e["dur"].get<double>() * 1e-6, e["name"].get<std::string>(),
                          e["cat"].get<std::string>(), e["tid"].get<int>()});
  }
  double t_pipe = 0, ideal = 0, tp = 0, pp = 0, dp = 0;
  for (auto& [d, slices] : by_dev) {
    double opt_start = 1e300, busy = 0;
    std::vector<std::pair<double, double>> main;
    for (const Slice& s : slices)
      if (s.tid == 0 && s.name == "optimizer step") opt_start = std::min(opt_start, s.start);
    for (const Slice& s : slices) {
      if (s.tid != 0 || s.cat == "alloc" || s.cat == "free") continue;
      main.emplace_back(s.start, s.end);
      if (s.end <= opt_start) busy += s.end - s.start;
      if (s.cat == "collective") {
        // In-line collectives: TP (and resharding), or the pipeline-boundary gather.
        (s.name.find("p2p") != std::string::npos ? pp : tp) += s.end - s.start;
      }
    }
    if (opt_start < 1e300) t_pipe = std::max(t_pipe, opt_start);
    ideal = std::max(ideal, busy);
    auto m = merged(main);
    std::vector<std::pair<double, double>> pps, dps;
    for (const Slice& s : slices) {
      if (s.tid == 0 || s.cat != "collective") continue;
      (s.tid == 1 || s.tid == 8 ? dps : pps).emplace_back(s.start, s.end);  // streams: see lowering.h
    }
    for (auto& x : merged(pps)) pp += uncovered(x.first, x.second, m);
    for (auto& x : merged(dps)) dp += uncovered(x.first, x.second, m);
  }
  double n = std::max<size_t>(1, by_dev.size());
  r->exposed_tp_seconds = tp / n;
  r->exposed_pp_seconds = pp / n;
  r->exposed_dp_seconds = dp / n;
  r->bubble_fraction = ideal > 0 ? std::max(0.0, (t_pipe - ideal) / ideal) : 0.0;
}

}  // namespace

double model_flops_per_iteration(const ModelGraph& m, int64_t global_batch, int64_t seq, bool full_recompute) {
  double B = double(global_batch), s = double(seq);
  if (m.architecture() == "gpt" && m.hidden > 0) {
    double L = m.num_blocks(), h = double(m.hidden), V = double(m.vocab);
    double k = full_recompute ? 96.0 : 72.0;
    return k * B * s * L * h * h * (1.0 + s / (6.0 * h) + V / (16.0 * L * h));
  }
  return (full_recompute ? 4.0 : 3.0) * B * m.forward_flops(seq);
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
  bool full = std::all_of(plan.layers.begin(), plan.layers.end(), [&](const LayerStrategy& s) {
    return s.recompute == Recompute::kFull;
  });
  r.model_flops = model_flops_per_iteration(m, plan.global_batch, plan.seq_len, full);
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
  lo.symmetric = o.symmetric;
  lo.one_rank_per_stage = o.one_rank_per_stage;
  LoweredPlan lp = lower_plan(plan, m, c, lo);
  r.lower_seconds = seconds_since(t0);
  r.ops = lp.graph.size();
  sim::SimOptions so;
  so.collectives = o.collectives;
  so.max_ring_steps = o.max_ring_steps;
  so.progress = o.progress;
  so.trace = o.detailed || o.keep_trace;
  t0 = std::chrono::steady_clock::now();
  sim::SimResult sr = sim::simulate(c, lp.graph, so);
  r.simulate_seconds = seconds_since(t0);
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
  std::vector<int> reps;
  for (int d = 0; d < c.num_devices(); ++d) {
    int rep = lp.representative[d];
    if (rep < 0) continue;
    r.peak_memory_bytes[d] = peak[rep];
    if (size_t(rep) < sr.record.device_utilization.size()) r.device_utilization[d] = sr.record.device_utilization[rep];
    if (rep == d && (reps.empty() || lp.stage_of_device[reps.back()] != lp.stage_of_device[d])) reps.push_back(d);
  }
  if (r.status == "ok" && r.iteration_seconds > 0) {
    r.samples_per_second = double(plan.global_batch) / r.iteration_seconds;
    r.model_tflops_per_gpu = r.model_flops / r.iteration_seconds / r.gpus / 1e12;
    double peak_flops = c.device(devices[0]).spec.peak(precision_name(plan.precision));
    r.mfu = peak_flops > 0 ? r.model_tflops_per_gpu * 1e12 / peak_flops : 0.0;
  }
  if (o.detailed && !sr.trace_json.empty()) trace_metrics(sr.trace_json, reps, &r);
  if (o.keep_trace) r.trace_json = std::move(sr.trace_json);
  return r;
}

Json training_result_json(const TrainingResult& r) {
  return {{"status", r.status},
          {"message", r.message},
          {"iteration_seconds", r.iteration_seconds},
          {"samples_per_second", r.samples_per_second},
          {"model_flops", r.model_flops},
          {"model_tflops_per_gpu", r.model_tflops_per_gpu},
          {"mfu", r.mfu},
          {"gpus", r.gpus},
          {"bubble_fraction", r.bubble_fraction},
          {"exposed_seconds", {{"tp", r.exposed_tp_seconds}, {"pp", r.exposed_pp_seconds}, {"dp", r.exposed_dp_seconds}}},
          {"device_utilization", r.device_utilization},
          {"peak_memory_bytes", r.peak_memory_bytes},
          {"analytic_peak_memory_bytes", r.analytic_peak_memory_bytes},
          {"memory", r.memory},
          {"ops", r.ops},
          {"events", r.events},
          {"flows", r.flows},
          {"lower_seconds", r.lower_seconds},
          {"simulate_seconds", r.simulate_seconds}};
}

RunRecord training_run_record(const TrainingResult& r, const TrainingPlan& plan, const ModelGraph& m,
                              const Cluster& c) {
  RunRecord rec;
  rec.backend = "sim";
  rec.model = m.name();
  rec.cluster = c.name;
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
