#include "core/run_record.h"

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

}  // namespace paralab
