// The `ci` experiment: a cheap, deterministic set of simulations whose
// figures paralab's own CI compares with results/baselines/ci.json on every
// `make test` (`paralab compare --baseline results/baselines/ci.json`).
//
// It covers each simulated path a model change can move, in seconds:
//   1. training: Megatron-LM plans for GPT 1.7B on one DGX-A100 (1F1B and
//      GPipe, TP x PP x DP, pure DP with ZeRO, an over-sized model that runs
//      out of memory), and the UniAP and Galvatron-like planners for
//      BERT-Large on 8 commodity GPUs;
//   2. offloaded inference: Llama-2-13B INT4 on pipo-laptop at batch 8 under
//      four schedules (the batch fixed so that only the split is searched);
//   3. what-if: the same plan and schedule with one cluster parameter changed
//      through the cluster file's overrides (NVLink at half bandwidth, one
//      GPU 1.5x slower, PCIe at half bandwidth); each records its
//      sensitivity, (dT/T) / (dp/p) of throughput T to the parameter p.
// Every run's strategy label is unique, so a run is found again by
// "backend | model | cluster | strategy". Runs are recorded with experiment
// "ci". Thread-safety: as Experiment.
#pragma once

#include "experiments/experiment.h"

namespace paralab {

Experiment ci_experiment();

}  // namespace paralab
