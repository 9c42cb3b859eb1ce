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

class Cluster;

struct RunRecord {
  std::string backend = "sim";  // sim | real-host | real-cuda
  std::string experiment;       // experiment or job that produced it ("" for ad-hoc runs)
  std::string model;
  std::string cluster;
  // The effective cluster (Cluster::content_hash) and the what-if overrides
  // applied to its file, so a what-if run is told apart from its baseline.
  std::string cluster_hash;
  std::vector<std::string> cluster_overrides;
  // Set by the experiment runner: the hash of the run's whole configuration
  // (experiments/sweep.h); a sweep skips a configuration already recorded.
  std::string config_hash;
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

  // name, content hash and overrides of `c`.
  void set_cluster(const Cluster& c);

  static const std::vector<std::string>& statuses();
  Json to_json() const;
  // The inverse of to_json (for records sent between processes); InputError
  // naming `origin` when a field is missing or of the wrong type.
  static RunRecord from_json(const Json& j, const std::string& origin);
};

}  // namespace paralab
