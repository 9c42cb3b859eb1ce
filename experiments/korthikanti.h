// The Megatron-LM agreement experiment: Korthikanti et al. 2022 ("Reducing
// Activation Recomputation in Large Transformer Models", Table 3 shapes and
// Table 5 iteration times), simulated on dgx-a100-80gb nodes with one cluster
// description and one set of efficiency constants.
//
// Published setting: Selene DGX-A100 80 GB nodes, 8x200 Gb/s HDR InfiniBand,
// sequence 2048, vocabulary 51200, data-parallel degree 1; micro-batch 1
// except 22B (micro-batch 4, one micro-batch per iteration). Two columns:
// full recomputation, and sequence parallelism with selective recomputation.
// The experiment itself is the spec experiments/korthikanti/spec.json (the
// same eight plans as a training-plan sweep); the rows here serve the tests.
#pragma once

#include <vector>

#include "core/cluster.h"
#include "core/model_graph.h"
#include "strategies/training/training_plan.h"

namespace paralab {

struct KorthikantiRow {
  const char* model;  // catalog name
  int tp, pp, gpus, global_batch, micro_batch;
  double full_seconds, selective_seconds;  // published seconds per iteration
};

// The four published rows, 22B, 175B, 530B, 1T.
const std::vector<KorthikantiRow>& korthikanti_rows();

// The plan of one row: full recomputation without sequence parallelism, or
// sequence parallelism with selective recomputation (the paper's columns).
// REQUIRES: `c` is dgx-a100-80gb with ceil(gpus/8) nodes.
TrainingPlan korthikanti_plan(const KorthikantiRow& r, Recompute rc, const ModelGraph& m, const Cluster& c);

}  // namespace paralab
