// Plan validation: the rules a TrainingPlan must satisfy against its model
// and cluster before it can be lowered or costed.
//
// Rules, checked in this order (the first broken one is reported):
//  1. at most one stage per layer, and a strategy for every model layer;
//  2. stages cover the layers in order, each layer in exactly one stage
//     ("layer 5 is in two stages ..." / "layer 5 is in no stage");
//  3. devices exist and no device serves two physical stages (interleaved
//     schedules: stage j reuses the devices of stage j mod p);
//  4. each layer's dp x tp x fsdp equals the device count of its stage;
//  5. attention heads (and key/value heads, FFN width) divisible by tp;
//     with sequence parallelism the sequence divisible by tp;
//  6. the global batch divisible by micro_batches, the micro-batch by every
//     layer's dp x fsdp (interleaved: micro_batches a multiple of p).
// Each message names the rule's subject (layer index and name, stage,
// device) and the numbers involved. Thread-safety: pure functions.
#pragma once

#include <string>

#include "core/cluster.h"
#include "core/model_graph.h"
#include "strategies/training/training_plan.h"

namespace paralab {

// "" when the plan is valid, else the first broken rule.
std::string check_plan(const TrainingPlan& p, const ModelGraph& m, const Cluster& c);
// Throws InputError("invalid plan: <check_plan message>").
void validate_plan(const TrainingPlan& p, const ModelGraph& m, const Cluster& c);

}  // namespace paralab
