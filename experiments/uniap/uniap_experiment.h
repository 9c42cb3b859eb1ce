// The UniAP paper's experiments, simulated (`paralab experiment run uniap`):
//  1. throughput: models x clusters x the six planners (simulated samples/s,
//     UniAP / best baseline, UniAP / ddp, optimization time per planner);
//  2. ablation: inter-layer only (pipeline search, pure data parallelism
//     inside), intra-layer only (no pipeline), joint;
//  3. failure rate of hand-set configurations (DP, TP, PP degrees,
//     micro-batch size, ZeRO stage, recomputation), each simulated: the
//     share that fails (OOM or invalid) and the slowdown of the median
//     feasible one against UniAP;
//  4. planner accuracy: predicted against simulated iteration (flow-level
//     collectives) of each planner's chosen plan.
// Paper setting: FP32, GPipe. Published figures (relative; hardware
// differs): Llama-7B on 4x4 GPUs UniAP 4.63 vs Galvatron 1.22 samples/s
// (3.8x); BERT-Huge on 2x4 x 12 GB over 10 Gb/s: UniAP 10.77, Galvatron
// 6.27, Alpa 8.95; optimization time (BERT-Huge, one node) UniAP 0.37 min,
// Galvatron 6.44 min, Alpa > 40 min; up to 9x over unoptimized training;
// 64-87% of hand-set configurations fail. Every planner's simulated plan and
// every hand-set configuration is a recorded run (experiment "uniap").
// Thread-safety: as Experiment.
#pragma once

#include "experiments/experiment.h"

namespace paralab {

Experiment uniap_experiment();

}  // namespace paralab
