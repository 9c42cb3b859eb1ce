#include "strategies/inference/inference_sim.h"

#include <chrono>

#include "sim/simulator.h"
#include "strategies/inference/offload_lowering.h"

namespace paralab {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void channel_utilization(const Cluster& cl, const RunRecord& rec, InferenceResult* r) {
  const std::string gpu = cl.device(gpu_device(cl)).vertex_name;
  if (!rec.metrics.contains("link_utilization")) return;
  for (const Json& u : rec.metrics["link_utilization"]) {
    std::string name = u["name"].get<std::string>(), kind = u["kind"].get<std::string>();
    double util = u["utilization"].get<double>();
    if (kind == "disk_read") r->ssd_read_utilization = util;
    if (kind != "pcie") continue;
    if (name.size() > gpu.size() && name.compare(name.size() - gpu.size(), gpu.size(), gpu) == 0 &&
        name.find("->") == name.size() - gpu.size() - 2)
      r->h2d_utilization = util;
    if (name.rfind(gpu + "->", 0) == 0) r->d2h_utilization = util;
  }
}

}  // namespace

InferenceResult simulate_offload(const OffloadPlan& p, const ModelGraph& m, const Cluster& cl, std::string* trace_json) {
  InferenceResult r;
  r.plan = p;
  BlockCosts c = block_costs(m, p.job);
  r.analytic_memory = plan_memory(p, c, cl);
  std::string why = check_offload_plan(p, c, cl);
  if (!why.empty()) {
    r.status = "infeasible";
    r.message = why;
    return r;
  }
  auto t0 = std::chrono::steady_clock::now();
  TaskGraph prefill = lower_offload_plan(p, c, cl, 1);
  TaskGraph all = lower_offload_plan(p, c, cl);
  r.lower_seconds = seconds_since(t0);
  r.ops = all.size();
  all.validate(cl);
  prefill.validate(cl);
  t0 = std::chrono::steady_clock::now();
  sim::SimResult pre = sim::simulate(cl, prefill);
  sim::SimOptions o;
  o.trace = trace_json != nullptr;
  sim::SimResult full = sim::simulate(cl, all, o);
  r.simulate_seconds = seconds_since(t0);
  if (trace_json) *trace_json = std::move(full.trace_json);
  r.record = std::move(full.record);
  r.status = r.record.status;
  r.message = r.record.message;
  if (r.status != "ok") return r;
  r.total_seconds = ns_to_seconds(full.makespan_ns);
  r.prefill_seconds = ns_to_seconds(pre.makespan_ns);
  r.decode_seconds = r.total_seconds - r.prefill_seconds;
  r.tokens_per_second = double(p.job.batch * p.job.gen_len) / r.total_seconds;
  r.gpu_utilization = r.record.device_utilization.at(gpu_device(cl));
  if (int cpu = cpu_device(cl); cpu >= 0) r.cpu_utilization = r.record.device_utilization.at(cpu);
  channel_utilization(cl, r.record, &r);
  return r;
}

Json inference_result_json(const InferenceResult& r) {
  Json peak = Json::object();
  for (const MemoryPeak& m : r.record.peak_memory)
    if (m.peak_bytes > 0) peak[m.tier == "device" ? (m.scope == "device0" ? "gpu" : m.scope) : m.tier] = m.peak_bytes;
  if (r.status == "infeasible") {
    peak = {{"gpu", r.analytic_memory.gpu},
            {"pinned", r.analytic_memory.pinned},
            {"pageable", r.analytic_memory.pageable},
            {"ssd", r.analytic_memory.ssd}};
  }
  return {{"status", r.status},
          {"message", r.message},
          {"schedule", schedule_name(r.plan.schedule)},
          {"batch_size", r.plan.job.batch},
          {"plan", r.plan.to_json()},
          {"tokens_per_second", r.tokens_per_second},
          {"gpu_utilization", r.gpu_utilization},
          {"cpu_utilization", r.cpu_utilization},
          {"prefill_seconds", r.prefill_seconds},
          {"decode_seconds", r.decode_seconds},
          {"channel_utilization", {{"ssd_read", r.ssd_read_utilization}, {"h2d", r.h2d_utilization}, {"d2h", r.d2h_utilization}}},
          {"peak_memory_bytes_by_tier", peak},
          {"ops", r.ops},
          {"timing", {{"lower_seconds", r.lower_seconds}, {"simulate_seconds", r.simulate_seconds}}}};
}

RunRecord inference_run_record(const InferenceResult& r, const std::string& experiment) {
  RunRecord rec = r.record;
  rec.backend = "sim";
  rec.experiment = experiment;
  rec.model = r.plan.job.model;
  rec.cluster = r.plan.cluster;
  rec.strategy = schedule_name(r.plan.schedule);
  rec.config = r.plan.to_json();
  rec.status = r.status;
  rec.message = r.message;
  rec.step_seconds = r.total_seconds;
  rec.throughput = r.tokens_per_second;
  rec.throughput_unit = "tokens_per_s";
  Json j = inference_result_json(r);
  for (const char* key : {"prefill_seconds", "decode_seconds", "gpu_utilization", "cpu_utilization", "channel_utilization",
                          "peak_memory_bytes_by_tier", "ops", "timing"})
    rec.metrics[key] = j[key];
  return rec;
}

}  // namespace paralab
