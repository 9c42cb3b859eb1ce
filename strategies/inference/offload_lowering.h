// Lowering of an OffloadPlan to the TaskGraph IR.
//
// The iteration space is (token t, block j, GPU batch k); a "visit" is one
// (t, j) and a "step" one (t, j, k). Token 0 is the prefill; tokens 1..n-1
// are decode steps over a growing KV cache. Channels are streams of the GPU
// (a stream runs its ops one at a time in id order, so a stream is one
// channel of the runtime):
//   0 compute, 1 weight H2D, 2 KV load (H2D), 3 KV store (D2H),
//   4 hidden load, 5 hidden store, 8.. SSD I/O threads, 30 setup allocs,
//   31 step barriers;
// the CPU device's stream 0 runs CPU compute (llamacpp blocks, FlexGen's
// CPU attention).
// Two issue disciplines:
//   dataflow (accelerate, zero-inference, pipo): each task waits only for
//     its inputs and a free buffer slot — the weight load of visit v waits
//     for the compute of visit v - slots (slots = prefetch + 1), a KV load
//     for the compute two steps back (double buffer).
//   barrier (flexgen): step (j, k) issues load_weight(j+1) (k == 0),
//     load_cache(k+1), load_hidden(k+1), compute(k), store_cache(k-1),
//     store_hidden(k-1), then waits for all six (FlexGen's sync()).
// Weights move per block as one merged copy (split into chunks_per_layer
// SSD requests over io_threads readers) or per tensor (FlexGen: each SSD
// tensor read and copied to the GPU by the same copy thread, serially).
// Memory: the plan's per-tier bytes (plan_memory) are allocated up front.
//
// Invariants: 1. deterministic: the graph is a pure function of its inputs;
// 2. every dependency points from a lower op id to a higher one.
// REQUIRES: check_offload_plan(p, c, cl) == "".
// Thread-safety: pure function.
#pragma once

#include "core/cluster.h"
#include "core/task_graph.h"
#include "strategies/inference/offload_plan.h"

namespace paralab {

// `tokens` = how many tokens to run (1 = prefill only); 0 = the job's gen_len.
TaskGraph lower_offload_plan(const OffloadPlan& p, const BlockCosts& c, const Cluster& cl, int64_t tokens = 0);

}  // namespace paralab
