// RunRecord: the outcome of one run — simulated or real — in one shape.
//
// Both the simulator and the real executors fill a RunRecord; results/
// stores it (one transaction per record) and reports read it back. Failures
// are records too: status says which (ok, oom, infeasible, timeout, invalid,
// error) and message says why, so failure rates can be counted.
#pragma once

#include <string>
#include <vector>

#include "core/json_reader.h"

namespace paralab {

struct MemoryPeak {
  std::string scope;  // "device3", "node0"
  std::string tier;   // device | pinned | pageable | ssd
  double peak_bytes = 0;
};

struct RunRecord {
  std::string backend = "sim";  // sim | real-host | real-cuda
  std::string experiment;       // experiment or job that produced it ("" for ad-hoc runs)
  std::string model;
  std::string cluster;
  std::string strategy;  // planner / schedule name
  Json config = Json::object();  // the full plan or configuration, enough to reproduce the run
  std::string status = "ok";
  std::string message;
  double step_seconds = 0;  // iteration time (training) or the run's makespan
  double throughput = 0;
  std::string throughput_unit;  // samples_per_s, tokens_per_s, ...
  std::vector<double> device_utilization;  // busy fraction per device id
  std::vector<MemoryPeak> peak_memory;
  Json metrics = Json::object();  // every other figure, keys with units

  static const std::vector<std::string>& statuses();
  Json to_json() const;
};

}  // namespace paralab
