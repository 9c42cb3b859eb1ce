// The plan path of `paralab plan simulate` and `paralab simulate --plan`:
// loads a training plan (model and cluster default to the plan's), runs
// simulate_training, writes the trace if asked, records one RunRecord and
// prints the result (text or --json). Failures (oom, invalid) are recorded
// and printed as data. Returns 0 for ok, 1 otherwise.
#pragma once

#include <string>

#include "tools/cli_common.h"

namespace paralab::cli {

int simulate_plan_command(const CommonOptions& o, const std::string& model, const std::string& cluster, int nodes,
                          const std::string& plan_path, const std::string& trace_path, bool analytic,
                          int max_ring_steps = 0);

}  // namespace paralab::cli
