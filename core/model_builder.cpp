#include "core/model_builder.h"

#include <cmath>

#include "core/error.h"

namespace paralab {

const std::vector<std::string>& model_families() {
  static const std::vector<std::string> f = {"gpt", "opt", "llama", "bert", "t5", "vit", "swin"};
  return f;
}

namespace {

struct Counts {
  int64_t params = 0;
  int64_t matmul = 0;
};

// Attention projections: Q and O are h x attn, K and V are h x kv.
Counts attention(int64_t h, int64_t attn, int64_t kv, bool bias, bool qkv_bias) {
  Counts c;
  c.matmul = h * attn * 2 + h * kv * 2;
  c.params = c.matmul;
  if (bias) c.params += attn + 2 * kv + h;
  else if (qkv_bias) c.params += attn + 2 * kv;
  return c;
}

Counts mlp(int64_t h, int64_t f, bool gated, bool bias) {
  Counts c;
  c.matmul = (gated ? 3 : 2) * h * f;
  c.params = c.matmul + (bias ? (gated ? 2 * f : f) + h : 0);
  return c;
}

struct BlockOpts {
  bool bias = true;       // biases on every linear layer
  bool qkv_bias = false;  // biases on Q, K, V only
  int64_t norm_params = 2;  // per norm, multiples of h: LayerNorm 2, RMSNorm 1
  bool cross = false;
  int64_t extra_params = 0;  // relative position tables etc.
};

Layer block(const std::string& name, LayerKind kind, const BlockShape& s, const BlockOpts& o) {
  Layer l;
  l.name = name;
  l.kind = kind;
  l.shape = s;
  int64_t attn = s.heads * s.head_dim, kv = s.kv_heads * s.head_dim;
  Counts a = attention(s.hidden, attn, kv, o.bias, o.qkv_bias);
  Counts m = mlp(s.hidden, s.ffn_hidden, s.gated_mlp, o.bias);
  int norms = o.cross ? 3 : 2;
  l.matmul_params = a.matmul * (o.cross ? 2 : 1) + m.matmul;
  l.params = a.params * (o.cross ? 2 : 1) + m.params + norms * o.norm_params * s.hidden + o.extra_params;
  return l;
}

Layer simple(const std::string& name, LayerKind kind, int64_t hidden, int64_t params, int64_t matmul,
             int64_t vocab = 0) {
  Layer l;
  l.name = name;
  l.kind = kind;
  l.shape.hidden = hidden;
  l.shape.vocab = vocab;
  l.params = params;
  l.matmul_params = matmul;
  return l;
}

BlockShape shape_of(const ArchSpec& s, bool causal) {
  BlockShape b;
  b.hidden = s.hidden;
  b.heads = s.heads;
  b.kv_heads = s.kv_heads > 0 ? s.kv_heads : s.heads;
  b.head_dim = s.head_dim > 0 ? s.head_dim : s.hidden / s.heads;
  b.ffn_hidden = s.ffn_hidden > 0 ? s.ffn_hidden : 4 * s.hidden;
  b.gated_mlp = s.gated_mlp;
  b.causal = causal;
  return b;
}

// Decoder-only and encoder-only stacks: embedding, blocks, head.
ModelGraph build_stack(const ArchSpec& s) {
  const int64_t h = s.hidden;
  std::vector<Layer> layers;
  bool llama = s.family == "llama";
  bool decoder = s.family != "bert";
  int64_t positions = 0;
  if (s.family == "gpt" || s.family == "bert") positions = s.max_positions;
  if (s.family == "opt") positions = s.max_positions + 2;  // OPT's learned positions start at offset 2
  int64_t emb = s.vocab * h + positions * h;
  if (s.family == "bert") emb += s.type_vocab * h + 2 * h;  // token types + embedding LayerNorm
  layers.push_back(simple("embedding", LayerKind::kEmbedding, h, emb, 0, s.vocab));

  BlockOpts o;
  o.bias = !llama;
  o.qkv_bias = s.qkv_bias;
  o.norm_params = llama ? 1 : 2;
  BlockShape bs = shape_of(s, decoder);
  LayerKind kind = decoder ? LayerKind::kDecoderBlock : LayerKind::kEncoderBlock;
  for (int64_t i = 0; i < s.layers; ++i) layers.push_back(block("block." + std::to_string(i), kind, bs, o));

  if (s.family == "bert") {
    // Final representation plus the pooler (dense h x h on the [CLS] token).
    layers.push_back(simple("pooler", LayerKind::kHead, h, h * h + h, 0));
  } else {
    int64_t final_norm = (llama ? 1 : 2) * h;
    int64_t head = s.tie_embeddings ? 0 : s.vocab * h;
    layers.push_back(simple("head", LayerKind::kHead, h, final_norm + head, s.vocab * h, s.vocab));
  }
  ModelGraph g(s.name, s.family, std::move(layers), {});
  return g;
}

ModelGraph build_t5(const ArchSpec& s) {
  const int64_t h = s.hidden;
  std::vector<Layer> layers;
  layers.push_back(simple("embedding", LayerKind::kEmbedding, h, s.vocab * h, 0, s.vocab));
  BlockOpts o;
  o.bias = false;
  o.norm_params = 1;
  BlockShape enc = shape_of(s, false);
  const int64_t rel = s.relative_buckets * s.heads;  // relative bias table, first block of each stack
  for (int64_t i = 0; i < s.layers; ++i) {
    o.extra_params = (i == 0 ? rel : 0) + (i == s.layers - 1 ? h : 0);  // last: encoder final norm
    layers.push_back(block("encoder." + std::to_string(i), LayerKind::kEncoderBlock, enc, o));
  }
  const int enc_last = static_cast<int>(layers.size()) - 1;
  BlockShape dec = shape_of(s, true);
  dec.cross_attention = true;
  o.cross = true;
  std::vector<std::pair<int, int>> edges;
  for (int64_t i = 0; i < s.decoder_layers; ++i) {
    o.extra_params = (i == 0 ? rel : 0);
    if (i > 0) edges.emplace_back(enc_last, static_cast<int>(layers.size()));  // cross-attention input
    layers.push_back(block("decoder." + std::to_string(i), LayerKind::kDecoderBlock, dec, o));
  }
  int64_t head = s.tie_embeddings ? 0 : s.vocab * h;
  layers.push_back(simple("head", LayerKind::kHead, h, h + head, s.vocab * h, s.vocab));
  return ModelGraph(s.name, s.family, std::move(layers), edges);
}

ModelGraph build_vit(const ArchSpec& s) {
  const int64_t h = s.hidden;
  const int64_t side = s.image_size / s.patch_size;
  const int64_t patches = side * side;
  std::vector<Layer> layers;
  int64_t patch = s.channels * s.patch_size * s.patch_size * h;
  // Patch projection (+bias), class token, position table of patches + 1.
  layers.push_back(simple("patch_embedding", LayerKind::kEmbedding, h, patch + h + h + (patches + 1) * h, patch));
  BlockOpts o;
  BlockShape bs = shape_of(s, false);
  for (int64_t i = 0; i < s.layers; ++i)
    layers.push_back(block("block." + std::to_string(i), LayerKind::kEncoderBlock, bs, o));
  int64_t cls = s.num_labels > 0 ? h * s.num_labels + s.num_labels : 0;
  Layer head = simple("head", LayerKind::kHead, h, 2 * h + cls, 0);
  layers.push_back(head);
  return ModelGraph(s.name, s.family, std::move(layers), {});
}

ModelGraph build_swin(const ArchSpec& s) {
  // Input tokens are the patch-4 grid of the image; each merge divides the
  // token count by 4 and doubles the width.
  const int64_t c0 = s.hidden;
  const int64_t grid = s.image_size / s.patch_size;
  const double base_tokens = double(grid * grid);
  std::vector<Layer> layers;
  int64_t patch = s.channels * s.patch_size * s.patch_size * c0;
  layers.push_back(simple("patch_embedding", LayerKind::kEmbedding, c0, patch + c0 + 2 * c0, patch));
  double scale = 1.0;
  int64_t c = c0;
  const int64_t w = s.window;
  for (size_t st = 0; st < s.depths.size(); ++st) {
    BlockShape bs;
    bs.hidden = c;
    bs.heads = s.stage_heads[st];
    bs.kv_heads = bs.heads;
    bs.head_dim = c / bs.heads;
    bs.ffn_hidden = 4 * c;
    bs.window_tokens = w * w;
    BlockOpts o;
    o.extra_params = (2 * w - 1) * (2 * w - 1) * bs.heads;  // relative position bias table
    for (int64_t i = 0; i < s.depths[st]; ++i) {
      Layer l = block("stage" + std::to_string(st) + ".block." + std::to_string(i), LayerKind::kEncoderBlock, bs, o);
      l.token_scale = scale;
      layers.push_back(l);
    }
    if (st + 1 < s.depths.size()) {
      // LayerNorm over 4c, then a bias-free 4c -> 2c projection, on 1/4 of the tokens.
      scale /= 4.0;
      Layer m = simple("stage" + std::to_string(st) + ".merge", LayerKind::kPatchMerge, c, 8 * c + 8 * c * c, 8 * c * c);
      m.token_scale = scale;
      layers.push_back(m);
      c *= 2;
    }
  }
  int64_t cls = s.num_labels > 0 ? c * s.num_labels + s.num_labels : 0;
  Layer head = simple("head", LayerKind::kHead, c, 2 * c + cls, 0);
  head.token_scale = scale;
  layers.push_back(head);
  ModelGraph g(s.name, s.family, std::move(layers), {});
  (void)base_tokens;
  return g;
}

}  // namespace

ModelGraph build_model(const ArchSpec& s) {
  ModelGraph g;
  if (s.family == "t5") g = build_t5(s);
  else if (s.family == "vit") g = build_vit(s);
  else if (s.family == "swin") g = build_swin(s);
  else g = build_stack(s);
  g.description = s.description;
  g.source = s.source;
  g.hidden = s.hidden;
  g.heads = s.heads > 0 ? s.heads : (s.stage_heads.empty() ? 0 : s.stage_heads[0]);
  g.vocab = s.vocab;
  if (s.family == "vit") {
    int64_t side = s.image_size / s.patch_size;
    g.default_seq_len = side * side + 1;
  } else if (s.family == "swin") {
    int64_t side = s.image_size / s.patch_size;
    g.default_seq_len = side * side;
  } else {
    g.default_seq_len = s.seq_len > 0 ? s.seq_len : (s.max_positions > 0 ? s.max_positions : 2048);
  }
  return g;
}

}  // namespace paralab
