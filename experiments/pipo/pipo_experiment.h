// The PIPO experiment (`paralab experiment run pipo`): offloaded inference
// schedules in simulation, in three parts.
//   1. Agreement with published figures on FlexGen's T4 machine
//      (catalog/clusters/flexgen-t4.json): each row of FlexGen's throughput
//      table (FMInference/FlexGen benchmark/batch_size_table.md; s = 512,
//      n = 32) simulated with the batch and memory level that table states,
//      plus FlexGen's own analytic model for its OPT-30B policy.
//   2. The PIPO comparison on `pipo-laptop`: models that do not fit in 6 GB,
//      several prompt / generation lengths, each schedule at its own best
//      batch; throughput, GPU utilization, PIPO / FlexGen.
//   3. Where the gap cannot hold: Llama-2-70B INT4, which must stream most of
//      its weights from the SSD, with the bottleneck channel named.
// Every simulated run is recorded (experiment "pipo").
// Thread-safety: runs on the calling thread.
#pragma once

#include "experiments/experiment.h"

namespace paralab {

Experiment pipo_experiment();

}  // namespace paralab
