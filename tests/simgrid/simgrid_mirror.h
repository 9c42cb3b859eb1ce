// SimGrid mirror of a FlowWorkload: the same hosts, the same directed links
// and the same routes, simulated by SimGrid's S4U API as an independent
// oracle for paralab's max-min flow engine.
//
// Each paralab link (a bandwidth in each direction) becomes two SimGrid links,
// one per direction; each device a host; each (src, dst) pair used gets the
// route paralab's Cluster::route() takes (routing is not what is compared:
// sharing on given routes is). Each chain is one actor that sends its
// transfers in order with Comm::sendto. SimGrid's configuration is fixed so
// that its model is plain max-min with no adjustment left:
//   network/model:CM02           max-min sharing, bandwidth and latency
//                                factors 1
//   network/crosstraffic:0       no reverse-direction acknowledgement flows
//   network/TCP-gamma:1e30       the window bound gamma / (2 latency) never binds
//   network/weight-S:0           no bandwidth term in a flow's sharing weight
//   network/optim:Full           every action re-evaluated at each step: with
//                                the default Lazy update, SimGrid 3.32 gives
//                                flows that share a link with flows still in
//                                their latency phase up to 1.6% early finishes
//                                (found by this cross-check; Full agrees)
// A flow pays its route latency before moving bytes, as in paralab. CM02
// still weighs a flow's share by its route latency (RTT unfairness), which
// paralab does not model, so the workloads compared keep every route's
// latency equal (or zero).
//
// SimGrid allows one engine per process, so simgrid_run() forks: the child
// builds and runs the simulation and sends back the figures through a pipe.
// Thread-safety: call from one thread.
#pragma once

#include <vector>

#include "bench/flow_workload.h"

namespace paralab::simgrid_mirror {

struct MirrorRun {
  std::vector<double> finish_seconds;  // per transfer, in workload order
  double makespan_seconds = 0;
  // CPU seconds of building the platform (SimGrid) or validating the graph
  // (paralab) and simulating: CPU rather than wall time, so that figures
  // taken on a loaded machine still compare.
  double cpu_seconds = 0;
};

// Runs the workload in SimGrid. `lazy`: SimGrid's default Lazy update
// instead of Full (faster, but see above; for speed comparisons only).
// Throws std::runtime_error if the child fails.
MirrorRun simgrid_run(const bench::FlowWorkload& w, bool lazy = false);

// Runs the workload in paralab's simulator (flow mode).
MirrorRun paralab_run(const bench::FlowWorkload& w);

}  // namespace paralab::simgrid_mirror
