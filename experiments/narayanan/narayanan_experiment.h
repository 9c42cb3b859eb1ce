// The held-out Megatron-LM check: Narayanan et al. SC'21 ("Efficient
// Large-Scale Language Model Training on GPU Clusters Using Megatron-LM",
// arXiv 2104.04473), Table 1, the weak-scaling family from 1.7B to 1T on up
// to 3072 A100s, simulated with the same dgx-a100-80gb cluster file and
// constants as the Korthikanti rows, none of them set from this table.
//
// Published setting: Selene DGX-A100 80 GB, sequence 2048, vocabulary 51200,
// activation recomputation (full), mixed precision; the figure compared is
// the achieved TFLOP/s per GPU, counted as the paper counts it (hardware
// FLOPs 96*B*s*L*h^2*(1 + s/6h + V/16Lh) over iteration time and GPUs).
// Not in the table, so assumed here and stated in the output: micro-batch 1,
// the non-interleaved 1F1B schedule, no sequence parallelism. From the code
// of the time: the data-parallel all-reduce runs after the whole backward
// (allreduce_gradients() after the pipeline schedule; overlapping it came to
// Megatron-LM in 2023), so the plans set overlap_grad_reduce = false; its
// backward TP all-reduces ran in line (the asynchronous one came in late
// 2021), so they set async_tensor_parallel = false.
#pragma once

#include <vector>

#include "core/cluster.h"
#include "core/model_graph.h"
#include "experiments/experiment.h"
#include "strategies/training/training_plan.h"
#include "strategies/training/training_sim.h"

namespace paralab {

struct NarayananRow {
  const char* model;  // catalog name
  int tp, pp, gpus, global_batch;
  double tflops_per_gpu;  // published achieved TFLOP/s per GPU
};

// The ten published rows of Table 1.
const std::vector<NarayananRow>& narayanan_rows();

// REQUIRES: `c` is dgx-a100-80gb with gpus/8 nodes.
TrainingPlan narayanan_plan(const NarayananRow& r, const ModelGraph& m, const Cluster& c);

// One row simulated: its plan on dgx-a100-80gb with gpus/8 nodes, the
// simulation's result, and the achieved hardware TFLOP/s per GPU as the
// paper counts it (NaN when the plan does not run).
struct NarayananSim {
  TrainingPlan plan;
  TrainingResult result;
  double tflops_per_gpu = 0;
};
NarayananSim simulate_narayanan_row(const NarayananRow& r, const ModelGraph& m, const Cluster& c);

}  // namespace paralab
