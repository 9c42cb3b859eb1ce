#include "core/run_record.h"

#include "core/cluster.h"
#include "core/error.h"

namespace paralab {

const std::vector<std::string>& RunRecord::statuses() {
  static const std::vector<std::string> s = {"ok", "oom", "infeasible", "timeout", "invalid", "error"};
  return s;
}

Json RunRecord::to_json() const {
  Json peaks = Json::array();
  for (const auto& p : peak_memory) peaks.push_back({{"scope", p.scope}, {"tier", p.tier}, {"peak_bytes", p.peak_bytes}});
  return {{"backend", backend},
          {"experiment", experiment},
          {"model", model},
          {"cluster", cluster},
          {"cluster_hash", cluster_hash},
          {"cluster_overrides", cluster_overrides},
          {"config_hash", config_hash},
          {"strategy", strategy},
          {"status", status},
          {"message", message},
          {"step_seconds", step_seconds},
          {"throughput", throughput},
          {"throughput_unit", throughput_unit},
          {"device_utilization", device_utilization},
          {"peak_memory", peaks},
          {"metrics", metrics},
          {"config", config}};
}

void RunRecord::set_cluster(const Cluster& c) {
  cluster = c.name;
  cluster_hash = c.content_hash;
  cluster_overrides = c.overrides;
}

RunRecord RunRecord::from_json(const Json& j, const std::string& origin) {
  JsonReader r(j, origin);
  r.require_object();
  RunRecord out;
  try {
    out.backend = j.at("backend").get<std::string>();
    out.experiment = j.at("experiment").get<std::string>();
    out.model = j.at("model").get<std::string>();
    out.cluster = j.at("cluster").get<std::string>();
    out.cluster_hash = j.at("cluster_hash").get<std::string>();
    out.cluster_overrides = j.at("cluster_overrides").get<std::vector<std::string>>();
    out.config_hash = j.at("config_hash").get<std::string>();
    out.strategy = j.at("strategy").get<std::string>();
    out.status = j.at("status").get<std::string>();
    out.message = j.at("message").get<std::string>();
    out.step_seconds = j.at("step_seconds").get<double>();
    out.throughput = j.at("throughput").get<double>();
    out.throughput_unit = j.at("throughput_unit").get<std::string>();
    out.device_utilization = j.at("device_utilization").get<std::vector<double>>();
    for (const auto& p : j.at("peak_memory"))
      out.peak_memory.push_back(
          {p.at("scope").get<std::string>(), p.at("tier").get<std::string>(), p.at("peak_bytes").get<double>()});
    out.metrics = j.at("metrics");
    out.config = j.at("config");
  } catch (const Json::exception& e) {
    throw InputError(origin + ": not a run record: " + e.what());
  }
  return out;
}

}  // namespace paralab
