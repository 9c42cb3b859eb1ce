// `paralab simulate` and its alias `paralab plan simulate`: one command, one
// set of options, two paths.
//   --graph FILE  a TaskGraph JSON, simulated on --cluster (required there);
//   --plan FILE   a training plan, lowered and simulated on the plan's own
//                 cluster and node count (--cluster / --nodes / --model
//                 override them).
// Common options: --collectives flow|analytic (--analytic is short for the
// second), --max-ring-steps N, --set PATH=VALUE (cluster overrides,
// core/cluster_overrides.h), --slowdown DEVICE:FACTOR (a shortcut for the
// override device_overrides+={"device":D,"slowdown":F}, so it is recorded
// with the run like any other), --trace FILE
// (streamed Perfetto JSON) with --trace-devices stage|all; plans also
// --mirror auto|replicas|ranks|none (training_sim.h: which identical devices are
// lowered once and mirrored).
// Exit codes (DESIGN.md): 0 ok; 1 the job ran and failed (oom, invalid
// plan, deadlock); 2 bad input; 3 paralab itself failed (out of memory, a
// trace that could not be written). Failed runs are recorded.
#pragma once

#include <string>
#include <vector>

#include "tools/cli_common.h"

namespace paralab::cli {

struct SimulateArgs {
  std::string cluster;
  int nodes = 0;
  std::string graph, plan, model;
  std::string trace;
  std::string trace_devices = "stage";
  std::string collectives = "flow";
  std::string mirror = "auto";  // auto | replicas | ranks | none (training_sim.h)
  bool analytic = false;
  int max_ring_steps = 1;  // sim/collectives.h: exact for uncontended rings
  std::vector<std::string> slowdowns;  // "device:factor"
  std::vector<std::string> sets;       // cluster overrides (--set)
  std::string profile;                 // hardware profile (--profile), applied after them
};

// Adds the options above to `cmd` (`plan_only`: `plan simulate`, whose
// --plan is required and which has no --graph).
void add_simulate_options(CLI::App* cmd, SimulateArgs* a, bool plan_only);
// Runs the command; throws ExitStatus for exit codes other than 0.
void run_simulate_command(const CommonOptions& o, const SimulateArgs& a);

}  // namespace paralab::cli
