#include "real/executor.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "kernels/quant_format.h"
#include "kernels/synthetic.h"

namespace paralab::real {

std::unique_ptr<Executor> make_host_executor();
std::unique_ptr<Executor> make_cuda_executor();

std::unique_ptr<Executor> make_executor(const std::string& backend) {
  if (backend == "host") return make_host_executor();
  if (backend == "cuda") return make_cuda_executor();
  throw InputError("unknown backend '" + backend + "'; valid: host, cuda");
}

std::string op_class(const TaskGraph& g, int id) {
  const Op& o = g.op(id);
  switch (o.type) {
    case OpType::kCompute:
      return o.compute_kind() == ComputeKind::kGemm ? "gemm" : "compute_other";
    case OpType::kTransfer:
      if (static_cast<TierKind>(o.src_tier) == TierKind::kSsd) return "ssd_read";
      if (static_cast<TierKind>(o.dst_tier) == TierKind::kSsd) return "ssd_write";
      return "transfer";
    case OpType::kCollective:
      return "collective";
    default:
      return "memory";
  }
}

namespace {
Json nvml_json(const NvmlUtilization& u) {
  return {{"device", u.device},
          {"pci_bus_id", u.pci_bus_id},
          {"mean_gpu_percent", u.mean_gpu_percent},
          {"mean_memory_percent", u.mean_memory_percent},
          {"samples", u.samples}};
}
}  // namespace

Json RankResult::to_json() const {
  Json t = Json::array();
  for (const auto& x : timings) t.push_back({x.op, x.device, x.stream, x.start_seconds, x.end_seconds});
  Json p = Json::array();
  for (const auto& m : peak_memory) p.push_back({{"scope", m.scope}, {"tier", m.tier}, {"peak_bytes", m.peak_bytes}});
  Json nv = Json::array();
  for (const auto& u : nvml) nv.push_back(nvml_json(u));
  return {{"rank", rank},       {"status", status}, {"message", message}, {"timings", t},
          {"peak_memory", p}, {"notes", notes},   {"nvml", nv}};
}

RankResult RankResult::from_json(const Json& j) {
  RankResult r;
  r.rank = j.at("rank").get<int>();
  r.status = j.at("status").get<std::string>();
  r.message = j.at("message").get<std::string>();
  for (const auto& t : j.at("timings"))
    r.timings.push_back({t[0].get<int>(), t[1].get<int>(), t[2].get<int>(), t[3].get<double>(), t[4].get<double>()});
  for (const auto& m : j.at("peak_memory"))
    r.peak_memory.push_back({m.at("scope").get<std::string>(), m.at("tier").get<std::string>(), m.at("peak_bytes").get<double>()});
  for (const auto& n : j.at("notes")) r.notes.push_back(n.get<std::string>());
  if (j.contains("nvml"))
    for (const auto& u : j.at("nvml"))
      r.nvml.push_back({u.at("device").get<int>(), u.at("pci_bus_id").get<std::string>(),
                        u.at("mean_gpu_percent").get<double>(), u.at("mean_memory_percent").get<double>(),
                        u.at("samples").get<int>()});
  return r;
}

namespace {
// Length of the union of intervals.
double union_length(std::vector<std::pair<double, double>> iv) {
  std::sort(iv.begin(), iv.end());
  double total = 0, cur_s = 0, cur_e = -1;
  bool open = false;
  for (auto [s, e] : iv) {
    if (!open || s > cur_e) {
      if (open) total += cur_e - cur_s;
      cur_s = s;
      cur_e = e;
      open = true;
    } else {
      cur_e = std::max(cur_e, e);
    }
  }
  if (open) total += cur_e - cur_s;
  return total;
}
}  // namespace

Json busy_seconds_by_kind(const std::vector<RankResult>& ranks, const TaskGraph& g) {
  std::map<std::string, double> busy;
  std::map<std::string, int> seen_collective;  // a collective is timed once per member; count the slowest
  std::map<int, double> coll;
  for (const auto& r : ranks)
    for (const auto& t : r.timings) {
      double d = t.end_seconds - t.start_seconds;
      if (g.op(t.op).type == OpType::kCollective) {
        coll[t.op] = std::max(coll[t.op], d);
      } else {
        busy[op_class(g, t.op)] += d;
      }
    }
  for (auto [op, d] : coll) busy["collective"] += d;
  Json j = Json::object();
  for (auto& [k, v] : busy) j[k] = v;
  return j;
}

RunRecord merge_rank_results(const std::vector<RankResult>& ranks, const TaskGraph& g, const Cluster& c,
                             const std::string& backend) {
  RunRecord rec;
  rec.backend = backend;
  rec.set_cluster(c);
  rec.strategy = "taskgraph";
  double makespan = 0;
  std::map<int, std::vector<std::pair<double, double>>> compute_iv;
  std::vector<std::string> notes;
  // The run's status: the first failing rank's, except that a rank's own
  // failure (oom, ...) outranks a plain "error" of a rank that only lost its
  // peers (left no result, timed out); its message leads.
  for (const auto& r : ranks) {
    if (r.status != "ok" && (rec.status == "ok" || (rec.status == "error" && r.status != "error"))) {
      rec.message = rec.status == "ok" ? r.message : r.message + "; " + rec.message;
      rec.status = r.status;
    } else if (r.status != "ok" && r.message != rec.message) {
      rec.message += "; " + r.message;
    }
    for (const auto& t : r.timings) {
      makespan = std::max(makespan, t.end_seconds);
      OpType type = g.op(t.op).type;
      if (type == OpType::kCompute || type == OpType::kCollective)
        compute_iv[t.device].emplace_back(t.start_seconds, t.end_seconds);
    }
    rec.peak_memory.insert(rec.peak_memory.end(), r.peak_memory.begin(), r.peak_memory.end());
    for (const auto& n : r.notes)
      if (std::find(notes.begin(), notes.end(), n) == notes.end()) notes.push_back(n);
  }
  rec.step_seconds = makespan;
  int ndev = 0;
  for (const auto& o : g.ops())
    for (int d : g.devices_of(static_cast<int>(&o - g.ops().data()))) ndev = std::max(ndev, d + 1);
  rec.device_utilization.assign(ndev, 0.0);
  for (auto& [d, iv] : compute_iv)
    if (d < ndev && makespan > 0) rec.device_utilization[d] = union_length(iv) / makespan;
  size_t timed = 0;
  for (const auto& r : ranks) timed += r.timings.size();
  rec.metrics["ops"] = g.size();
  rec.metrics["op_timings"] = timed;
  rec.metrics["ranks"] = ranks.size();
  rec.metrics["busy_seconds_by_kind"] = busy_seconds_by_kind(ranks, g);
  rec.metrics["notes"] = notes;
  Json nv = Json::array();
  for (const auto& r : ranks)
    for (const auto& u : r.nvml) nv.push_back(nvml_json(u));
  if (!nv.empty()) rec.metrics["nvml_utilization"] = nv;
  return rec;
}

Json trace_json(const std::vector<RankResult>& ranks, const TaskGraph& g) {
  Json ev = Json::array();
  std::map<int, bool> named;
  for (const auto& r : ranks)
    for (const auto& t : r.timings) {
      if (!named[t.device]) {
        named[t.device] = true;
        ev.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", t.device}, {"args", {{"name", "device " + std::to_string(t.device)}}}});
      }
      const Op& o = g.op(t.op);
      std::string name = o.label >= 0 ? g.label(o.label) : op_class(g, t.op);
      ev.push_back({{"name", name},
                    {"cat", op_class(g, t.op)},
                    {"ph", "X"},
                    {"pid", t.device},
                    {"tid", t.stream},
                    {"ts", t.start_seconds * 1e6},
                    {"dur", (t.end_seconds - t.start_seconds) * 1e6},
                    {"args", {{"op", t.op}, {"rank", r.rank}, {"flops", o.flops}, {"bytes", o.bytes}}}});
    }
  return {{"traceEvents", ev}, {"displayTimeUnit", "ns"}};
}

kernels::QuantizedMatrix synthetic_weights_for(const TaskGraph& g, int op, const std::string& format, int64_t n,
                                               int64_t k) {
  try {
    return kernels::synthetic_quantized_matrix(kernels::parse_quant_format(format), n, k);
  } catch (const InputError& e) {
    throw InputError(g.describe(op) + ": weights '" + format + "' of " + std::to_string(n) + " x " +
                     std::to_string(k) + ": " + e.what());
  }
}

std::string non_gpu_op(const TaskGraph& g, const Cluster& c) {
  for (int id = 0; id < int(g.size()); ++id)
    for (int d : g.devices_of(id))
      if (d < c.num_devices() && c.device(d).spec.kind != "gpu")
        return g.describe(id) + " runs on device " + std::to_string(d) + " (" + c.device(d).component +
               "), not a GPU: the CUDA backend runs GPU work only (run this graph on the host backend)";
  return "";
}

}  // namespace paralab::real
