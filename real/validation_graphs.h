// The TaskGraphs `paralab validate` runs both for real and in the simulator,
// built by hand for the localhost-cpu cluster (two CPU cores as devices 0 and
// 1, host memory, one disk) until the planners' lowerings land:
//  - dp2:     one data-parallel training iteration of a small transformer on
//             2 ranks: forward and backward GEMMs (backward = 2 GEMMs per
//             forward GEMM), layer norms as memory sweeps, one gradient
//             all-reduce, the optimizer update as a memory sweep;
//  - pp2:     the same model split into 2 pipeline stages (GPipe, 4
//             micro-batches), activations and gradients as send/recv;
//  - offload: decode-style inference on one core whose layer weights stream
//             from a real file (SSD tier) through a pool of `pool` pinned
//             buffers, copied to device memory and consumed by GEMMs.
// Every op is fp32 (the host backend computes in fp32).
// Invariants: 1. graphs validate against localhost-cpu; 2. the ids on each
// (device, stream) are in the order they must run (the IR's stream order).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/task_graph.h"

namespace paralab::real {

struct TinyTransformer {
  int64_t hidden = 384;
  int64_t ffn = 1536;
  int64_t layers = 4;
  int64_t tokens = 256;  // per rank (DP) or per micro-batch (PP) = batch x sequence
  DType dtype = DType::kFp32;  // of every op (the host backend computes in fp32)
};

struct ValidationGraph {
  std::string name;
  TaskGraph graph;
  int ranks = 1;  // processes it runs on (one device each)
};

// FLOPs of one forward pass of one layer on `tokens` tokens (4 GEMMs:
// QKV, output projection, FFN up, FFN down) = 2*t*h*(3h) + 2*t*h*h + 2*2*t*h*f.
double layer_forward_flops(const TinyTransformer& m, int64_t tokens);

TaskGraph build_dp2_graph(const TinyTransformer& m);
// One device: forward, backward and optimizer (no collective).
TaskGraph build_train1_graph(const TinyTransformer& m);
TaskGraph build_pp2_graph(const TinyTransformer& m, int micro_batches);
TaskGraph build_offload_graph(const TinyTransformer& m, int pool);

// The host validation set (small enough for CI on 2 cores).
std::vector<ValidationGraph> host_validation_set(bool quick);
// The cuda set (bf16): a 1-GPU training iteration and the offloaded inference
// graph; with 2+ GPUs also the 2-rank data-parallel iteration (NCCL).
std::vector<ValidationGraph> cuda_validation_set(bool quick, int gpus);

}  // namespace paralab::real
