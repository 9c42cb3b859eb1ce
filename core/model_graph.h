// ModelGraph: a model as a DAG of layers with the quantities every planner,
// lowering and cost model needs.
//
// A layer is an embedding, a Transformer block (encoder, decoder, or decoder
// with cross-attention), a patch-merging step (Swin) or a head. Per layer we
// keep its parameter count and its shape (hidden, heads, FFN, ...), from which
// forward FLOPs, activation bytes and boundary bytes follow as functions of
// the sequence length s (tokens at the model input) and micro-batch b.
//
// Invariants:
//  1. layers_ is in a topological order of the graph (every edge u->v has u<v).
//  2. params() == sum of layers' params.
//  3. A layer's token count at input length s is tokens(s) = s * token_scale
//     (Swin stages shrink the token count by 4 at each patch merge).
// Thread-safety: immutable after construction; safe to share across threads.
#pragma once

#include <boost/graph/adjacency_list.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/units.h"

namespace paralab {

enum class LayerKind { kEmbedding, kEncoderBlock, kDecoderBlock, kPatchMerge, kHead };
const char* layer_kind_name(LayerKind k);

// Dimensions of a Transformer block (or of the matrices of another layer).
struct BlockShape {
  int64_t hidden = 0;        // h, model width at this layer
  int64_t heads = 0;         // a, attention heads
  int64_t kv_heads = 0;      // key/value heads (GQA/MQA when < heads)
  int64_t head_dim = 0;      // per-head width (heads*head_dim may differ from h, as in T5)
  int64_t ffn_hidden = 0;    // f, MLP inner width
  bool gated_mlp = false;    // SwiGLU / GeGLU: three matrices instead of two
  bool cross_attention = false;  // decoder block that reads the encoder output
  bool causal = false;
  int64_t window_tokens = 0;     // windowed attention (Swin): tokens per window; 0 = full
  int64_t vocab = 0;             // embedding / head rows
};

struct Layer {
  std::string name;
  LayerKind kind = LayerKind::kEncoderBlock;
  int64_t params = 0;
  BlockShape shape;
  double token_scale = 1.0;  // tokens here per input token

  // GEMM parameters (those multiplied per token) — excludes norms, biases,
  // position tables and embeddings, which cost no matmul FLOPs.
  int64_t matmul_params = 0;

  int64_t tokens(int64_t seq) const;
  // Forward FLOPs for one sample of input length `seq` (2 per multiply-add):
  // 2 * matmul_params * tokens + attention score and value products.
  double forward_flops(int64_t seq) const;
  // Activations stored for backward, one sample, 16-bit, no parallelism or
  // recomputation (Korthikanti et al. 2022: s*h*(34 + 5*a*s/h) for a
  // standard GPT block; generalised for FFN width, gated MLP, GQA, windows).
  double activation_bytes(int64_t seq) const;
  // Bytes of this layer's output for one sample in `dtype` (the plan's
  // activation type: fp32 plans send 4 bytes an element, bf16/fp16 2): what
  // a pipeline stage boundary after this layer sends.
  double output_bytes(int64_t seq, DType dtype) const;
};

class ModelGraph {
 public:
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;

  ModelGraph() = default;
  ModelGraph(std::string name, std::string architecture, std::vector<Layer> layers,
             std::vector<std::pair<int, int>> extra_edges);

  const std::string& name() const { return name_; }
  const std::string& architecture() const { return architecture_; }
  const std::vector<Layer>& layers() const { return layers_; }
  const Layer& layer(int i) const { return layers_.at(i); }
  int num_layers() const { return static_cast<int>(layers_.size()); }
  const Graph& graph() const { return graph_; }
  // Layers whose output layer i reads (its in-edges), ascending.
  std::vector<int> inputs_of(int i) const;
  bool is_chain() const;
  // A skip edge (u, v), v > u + 1 (T5: the encoder output read by every
  // decoder layer's cross-attention), moves nothing of its own: u's output
  // travels down the chain beside the activations, from u + 1 to its last
  // reader, and is resharded and sent across pipeline stages with them.
  // carried_bytes(w, ...) is what that adds to the chain edge (w, w + 1): the
  // outputs of every u < w read by a layer after w, for one sample. The
  // lowering and UniAP's cost model both price a chain edge's tensor as
  // output_bytes of w plus this.
  double carried_bytes(int w, int64_t seq, DType dtype) const;
  // Megatron's tied word embedding: {the first embedding layer, the last
  // head whose output projection shares its weights (matmul_params >
  // params)}, or {-1, -1} when the model has no such pair. On different
  // pipeline stages their gradients are summed once an iteration (the
  // lowering's tied-embedding all-reduce, priced by UniAP's cost model).
  std::pair<int, int> tied_embedding() const;

  int64_t params() const;
  // Forward FLOPs per sample and per token at input length seq.
  double forward_flops(int64_t seq) const;
  double forward_flops_per_token(int64_t seq) const { return forward_flops(seq) / double(seq); }
  int num_blocks() const;  // encoder + decoder blocks

  // Descriptive metadata, kept with the graph and printed by `model show`.
  std::string description;
  std::string source;
  int64_t default_seq_len = 2048;  // input tokens per sample (patches for ViT/Swin)
  int64_t hidden = 0;              // width of the main blocks
  int64_t heads = 0;
  int64_t vocab = 0;

 private:
  std::string name_;
  std::string architecture_;
  std::vector<Layer> layers_;
  Graph graph_;
  std::vector<std::pair<int, int>> skips_;  // (producer, its last reader over a skip edge); empty for a chain
};

}  // namespace paralab
