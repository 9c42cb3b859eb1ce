// ArchSpec and build_model: from architecture hyperparameters to a ModelGraph.
//
// Both loaders — paralab's catalog JSON and HuggingFace config.json — reduce
// their input to one ArchSpec, so parameter and FLOP counting is written once.
// Families:
//   gpt     GPT-2/3, Megatron GPT: learned positions, LayerNorm, biases, GeLU MLP, tied head
//   opt     as gpt, positions offset by 2, separate FFN width
//   llama   Llama / Mistral / Qwen2: RoPE, RMSNorm, SwiGLU, GQA, no biases (Qwen2: QKV bias)
//   bert    encoder, token types, pooler
//   t5      encoder-decoder, relative position bias, RMSNorm, no biases
//   vit     patch embedding, class token, encoder, optional classifier
//   swin    hierarchical stages of windowed attention with patch merging
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/json_reader.h"
#include "core/model_graph.h"

namespace paralab {

struct ArchSpec {
  std::string name;
  std::string family;  // gpt | opt | llama | bert | t5 | vit | swin
  std::string description;
  std::string source;
  int64_t hidden = 0;
  int64_t layers = 0;          // blocks (encoder blocks for t5)
  int64_t decoder_layers = 0;  // t5 only
  int64_t heads = 0;
  int64_t kv_heads = 0;  // 0 = heads
  int64_t head_dim = 0;  // 0 = hidden / heads
  int64_t ffn_hidden = 0;  // 0 = 4 * hidden
  int64_t vocab = 0;
  int64_t max_positions = 0;
  int64_t type_vocab = 0;   // bert token types
  int64_t seq_len = 0;      // default training sequence length (tokens)
  bool tie_embeddings = true;
  bool gated_mlp = false;
  bool qkv_bias = false;    // qwen2
  int64_t relative_buckets = 32;  // t5
  // Vision.
  int64_t image_size = 0, patch_size = 0, channels = 3, num_labels = 0;
  std::vector<int64_t> depths;      // swin stages
  std::vector<int64_t> stage_heads; // swin
  int64_t window = 7;               // swin window side
};

// The families build_model understands, for "valid values are" messages.
const std::vector<std::string>& model_families();

// REQUIRES: spec passed validation (the loaders check every field).
ModelGraph build_model(const ArchSpec& spec);

// Reads a paralab catalog model file (see catalog/models/README.md).
ArchSpec arch_from_catalog(const JsonReader& j);
// Reads a HuggingFace config.json (model_type llama, mistral, qwen2, gpt2,
// opt, bert, t5, vit, swin).
ArchSpec arch_from_hf_config(const JsonReader& j);

}  // namespace paralab
