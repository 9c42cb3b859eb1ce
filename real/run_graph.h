// run_graph: one real run of a TaskGraph, however many ranks it needs — the
// entry point `paralab run` and `paralab validate` share.
//
// ranks == 1: this process executes every device. ranks > 1: the graph is
// written to a file in work_dir and run under mpirun by launch_ranks()
// (real/launcher.h), with `paralab_binary` as the rank program.
// Invariants: 1. the returned record has backend real-host / real-cuda and a
// status; a failed rank makes the status error (never ok); 2. nothing is
// written to the database here.
// Thread-safety: one run at a time per process.
#pragma once

#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/run_record.h"
#include "core/task_graph.h"
#include "real/executor.h"

namespace paralab::real {

struct RunGraphOptions {
  std::string backend = "host";
  int ranks = 1;
  std::string cluster_arg;     // how a rank process finds the cluster (catalog name or path)
  std::vector<std::string> cluster_sets;  // its --set overrides (a capped device memory must reach every rank)
  std::string paralab_binary;  // for ranks > 1
  std::string work_dir;        // for the graph file and rank results ("" = results/)
  ExecOptions exec;
};

RunRecord run_graph(const TaskGraph& g, const Cluster& c, const RunGraphOptions& o, std::vector<RankResult>* ranks);

}  // namespace paralab::real
