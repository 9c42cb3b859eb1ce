// Simulator: executes a TaskGraph on a Cluster, in simulated time.
//
// An op starts when its dependencies have finished and it is at the head of
// each stream it occupies (ops on one (device, stream) run in id order, one
// at a time). Compute ops go to the ComputeModel (roofline from CostModel,
// processor sharing among a device's streams); transfers and the flows of
// collectives to the FlowNetwork (max-min sharing over the routed topology,
// disks with latency and queue depth); collectives in analytic mode take
// their closed-form time; alloc/free are instantaneous and may end the run
// with status "oom".
//
// Output: a RunRecord (backend "sim"): step_seconds = makespan; per-device
// busy fraction = share of the makespan during which at least one kernel
// (compute or collective op) runs on it; peak memory per scope and tier;
// metrics: makespan_ns, counts of ops / events / flows, per-resource bytes
// and utilization (bytes / (capacity x makespan)), per-collective-kind time
// and mean algbw/busbw (nccl-tests conventions). Optionally a Chrome trace,
// streamed to a file as the run goes (SimOptions::trace_out) or returned as a
// string (SimOptions::trace, for small graphs), for all devices or the ones
// SimOptions::trace_devices selects; and an OpObserver that sees every op's
// interval, from which callers compute their own metrics without a trace.
//
// Invariants: 1. deterministic — the same (cluster, graph, options) give the
// same record and byte-identical trace; 2. all ids are per run.
// REQUIRES: graph.validate(cluster) passed.
// Thread-safety: simulate() is reentrant (no shared state).
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/run_record.h"
#include "core/task_graph.h"
#include "core/units.h"

namespace paralab::sim {

enum class CollectiveMode { kFlow, kAnalytic };

// Sees each op's simulated interval [start_ns, end_ns] when it finishes, in
// the simulator's finish order (deterministic). Must not throw.
class OpObserver {
 public:
  virtual ~OpObserver() = default;
  virtual void op_done(int op, TimeNs start_ns, TimeNs end_ns) = 0;
};
const char* collective_mode_name(CollectiveMode m);

struct SimOptions {
  CollectiveMode collectives = CollectiveMode::kFlow;
  std::vector<double> slowdown;  // per device id; > 0 overrides DeviceSpec::slowdown
  bool trace = false;             // return the trace in SimResult::trace_json
  std::ostream* trace_out = nullptr;  // or stream it here (bounded memory); wins over `trace`
  // Per device id, non-zero = draw it (its slices, its memory counters, the
  // node memory of its node, and the links its own flows cross); empty =
  // every device. Process and stream names override the defaults
  // ("device N (vertex)", "stream N") where given and non-empty.
  std::vector<char> trace_devices;
  std::vector<std::string> trace_device_names;  // per device id
  std::vector<std::string> trace_stream_names;  // per stream id
  OpObserver* observer = nullptr;  // not owned
  int chunks = 4;  // pipelining chunks of tree / broadcast / hierarchical collectives
  int max_ring_steps = 0;  // flow mode: > 0 merges ring steps (collectives.h); 0 = every step a flow
  // Called about every 65,536 events with (ops done, ops in the graph,
  // simulated time): for progress displays of long runs. Must not throw.
  std::function<void(uint64_t, uint64_t, TimeNs)> progress;
};

struct SimResult {
  RunRecord record;
  std::string trace_json;  // empty unless SimOptions::trace without trace_out
  bool trace_ok = true;    // false if writing to trace_out failed
  TimeNs makespan_ns = 0;
  uint64_t events = 0;     // events popped from the queue
  uint64_t ops_done = 0;
  uint64_t flows = 0;
  // Flow-solver statistics: re-solves, flows visited by them, and flows
  // whose rate they changed.
  uint64_t flow_solves = 0, flows_visited = 0, rate_changes = 0;
};

SimResult simulate(const Cluster& cluster, const TaskGraph& graph, const SimOptions& options = {});

}  // namespace paralab::sim
