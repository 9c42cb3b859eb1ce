// Limits on the sizes an input file may ask for.
//
// Absurd sizes are bad input: a config with 10^12 layers, a cluster of 10^9
// nodes or a batch of 2^63 is refused by its loader with an InputError
// naming the field, the value and the limit, before anything is sized from
// it, instead of ending in an out-of-memory kill or a wrapped integer. Each
// limit sits far above any real model or machine (the largest published
// models have under 200 layers, hidden sizes under 2^15 and vocabularies
// under 2^18; the largest clusters under 2^17 GPUs), so none refuses a
// real input.
#pragma once

#include <cstddef>
#include <cstdint>

namespace paralab {

// Models (catalog files and HuggingFace config.json).
inline constexpr int64_t kMaxLayers = 10'000;            // per stack, and per swin stage
inline constexpr int64_t kMaxWidth = int64_t(1) << 24;   // hidden, ffn, head_dim, heads
inline constexpr int64_t kMaxVocab = int64_t(1) << 26;   // vocabulary, token types, labels
inline constexpr int64_t kMaxPositions = int64_t(1) << 26;  // positions, sequence length
inline constexpr int64_t kMaxImageSide = int64_t(1) << 20;  // image, patch, window side; channels
inline constexpr int64_t kMaxStages = 64;                // swin stages
inline constexpr int64_t kMaxGraphLayers = 1 << 16;      // layers of a built ModelGraph (plans index them)
// Clusters.
inline constexpr int kMaxNodes = 1 << 20;
inline constexpr int kMaxComponentCount = 1 << 12;      // instances of one component in a node
inline constexpr int64_t kMaxVertices = int64_t(1) << 24;  // expanded topology vertices
// Training plans and task graphs.
inline constexpr int64_t kMaxBatch = int64_t(1) << 40;  // samples in a global batch
inline constexpr int64_t kMaxMicroBatches = int64_t(1) << 20;
inline constexpr int kMaxStream = 65'535;               // a stream id is 16 bits
inline constexpr int64_t kMaxGemmDim = int64_t(1) << 40;
// Experiment specs: runs in one sweep (the largest shipped, megatron-grid, has
// 324; at 0.1-1 s a simulated run, 10^5 runs is days of CPU time).
inline constexpr size_t kMaxSweepRuns = 100'000;

}  // namespace paralab
