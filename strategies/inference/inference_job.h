// InferenceJob: one offloaded-inference job — a model generating `gen_len`
// tokens after a prompt of `prompt_len` tokens for `batch` sequences, with
// weights in a storage format and the KV cache in a dtype — and the per-layer
// quantities every schedule, estimator and lowering needs.
//
// Phases: prefill (all prompt tokens of a sequence at once, writes the KV
// cache for `prompt_len` positions and yields the first generated token),
// then gen_len - 1 decode steps; decode step t (1-based) attends over
// prompt_len + t - 1 cached positions plus its own, so the KV cache grows by
// one position per step.
//
// Weight formats: fp16 (16 bits), int8 (8 bits, per-channel scales ignored),
// and every format of kernels/quant_format.h (rtn-b<B>-g<G>, lcq-...), priced
// by its exact bits per weight; "int4-g128"/"int4-g64" are aliases of
// rtn-b4-g128/-g64. Only matmul weights are quantized; norms and biases stay
// fp16. KV dtypes: fp16 (16 bits), int8 and int4 stored group-wise (group 64,
// an fp16 scale and an fp16 minimum per group, as FlexGen's compress_cache:
// 8.5 and 4.5 bits per element).
//
// Invariants: 1. every quantity is a pure function of (ModelGraph, job);
// 2. only decoder/encoder blocks are streamed; embedding lookup runs on the
// host (its table stays in host memory), the LM head stays on the GPU in the
// weight format.
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model_graph.h"

namespace paralab {

struct WeightFormat {
  std::string name = "fp16";   // canonical name as given (aliases resolved)
  double bits_per_weight = 16;
};
// InputError listing the valid names when unknown.
WeightFormat parse_weight_format(const std::string& name);
std::vector<std::string> weight_format_names();

struct KvFormat {
  std::string name = "fp16";
  double bits_per_element = 16;
};
KvFormat parse_kv_format(const std::string& name);  // fp16 | int8 | int4

struct InferenceJob {
  std::string model;
  int64_t prompt_len = 512;
  int64_t gen_len = 32;
  int64_t batch = 1;
  WeightFormat weights;
  KvFormat kv;
};

// Per-block costs of one job (all blocks of the supported models are alike;
// the first block's shape is used, and layer_count counts the blocks).
struct BlockCosts {
  int layer_count = 0;
  int64_t hidden = 0, ffn_hidden = 0, heads = 0, kv_width = 0;  // kv_width = kv_heads * head_dim
  double matmul_params = 0;      // GEMM weights of one block
  double qkv_params = 0;         // of which the Q, K, V projections
  double attention_out_params = 0;  // and the attention output projection
  double weight_bytes = 0;       // one block in the job's format (+ fp16 norms/biases)
  bool gated_mlp = false;
  int weight_tensors = 0;        // separate tensors of one block (per-tensor copies)
  double kv_bytes_per_token = 0; // K and V of one position of one sequence in one block
  double hidden_bytes_per_token = 0;  // fp16 activation row, 2 * hidden
  double head_bytes = 0;         // LM head in the job's format (GPU resident)
  double head_params = 0;
  double embedding_bytes = 0;    // fp16 embedding table (host resident)

  // FLOPs of one block for `seqs` sequences.
  double prefill_flops(int64_t prompt_len, int64_t seqs) const;
  double decode_gemm_flops(int64_t seqs) const { return 2.0 * matmul_params * double(seqs); }
  // Attention of one new token over `context` positions (QK^T and AV).
  double decode_attention_flops(int64_t context, int64_t seqs) const {
    return 4.0 * double(context) * double(heads) * double(hidden / heads) * double(seqs);
  }
  double kv_bytes(int64_t positions, int64_t seqs) const {
    return kv_bytes_per_token * double(positions) * double(seqs);
  }
  // Whole model's streamed weights (blocks only).
  double all_block_bytes() const { return weight_bytes * layer_count; }
};

// InputError when the model has no decoder blocks (encoders cannot
// generate), or a length or the batch is not positive.
BlockCosts block_costs(const ModelGraph& m, const InferenceJob& job);

// Decode GEMMs (one position per sequence) over `params` weights of a block,
// as one weight-only quantized GEMM: m = `seqs` rows by the matrices stacked
// into N = params / h rows of K = h inputs (the same FLOPs and stored bytes
// as the separate matrices). Only for weights in a kernels/ format (rtn-...,
// lcq-...) and params a whole number of h-wide rows; else {0, 0, 0}. The
// offload lowering's decode ops and the planner's estimate both use it, so
// both take a device's calibrated quantized-GEMM rate alike.
struct DecodeGemmShape {
  int64_t m = 0, n = 0, k = 0;
  bool quantized() const { return n > 0; }
};
DecodeGemmShape decode_gemm_shape(const InferenceJob& job, const BlockCosts& c, double params, int64_t seqs);

}  // namespace paralab
