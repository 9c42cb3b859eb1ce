// Timing checks: whether a real run did what the graph asked, from its
// per-rank timings alone — used by the executor tests (host on the CPU,
// cuda where a GPU exists) and available to any caller that wants to trust a
// measurement before using it.
//
// timing_violation(g, ranks) returns "" when all of these hold, else a message
// naming the first violation:
//  1. every op ran exactly once on each member device (device d runs on rank
//     d mod ranks.size(), as everywhere in real/);
//  2. every time is finite and 0 <= start <= end;
//  3. on each (device, stream), ops ran in id order: each started no earlier
//     than the previous one on that stream ended (stream order);
//  4. for each dependency whose two ops both ran on one device, the later
//     started no earlier than the earlier ended. (Timings of two devices are
//     relative to per-device start events, so across devices only the
//     slack-free same-device case is checked.)
// `slack_seconds` absorbs timer resolution (CUDA events: ~0.5 us).
// Thread-safety: pure function.
#pragma once

#include <string>
#include <vector>

#include "core/task_graph.h"
#include "real/executor.h"

namespace paralab::real {

std::string timing_violation(const TaskGraph& g, const std::vector<RankResult>& ranks, double slack_seconds = 1e-6);

}  // namespace paralab::real
