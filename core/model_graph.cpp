#include "core/model_graph.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <map>

namespace paralab {

const char* layer_kind_name(LayerKind k) {
  switch (k) {
    case LayerKind::kEmbedding: return "embedding";
    case LayerKind::kEncoderBlock: return "encoder_block";
    case LayerKind::kDecoderBlock: return "decoder_block";
    case LayerKind::kPatchMerge: return "patch_merge";
    case LayerKind::kHead: return "head";
  }
  return "?";
}

int64_t Layer::tokens(int64_t seq) const {
  return std::max<int64_t>(1, static_cast<int64_t>(std::llround(double(seq) * token_scale)));
}

namespace {
bool is_block(LayerKind k) { return k == LayerKind::kEncoderBlock || k == LayerKind::kDecoderBlock; }

// Keys each query attends to.
double attended_keys(const BlockShape& s, double tokens) {
  return s.window_tokens > 0 ? std::min<double>(double(s.window_tokens), tokens) : tokens;
}
}  // namespace

double Layer::forward_flops(int64_t seq) const {
  double t = double(tokens(seq));
  double flops = 2.0 * double(matmul_params) * t;
  if (is_block(kind)) {
    // QK^T and attention-times-V: 2 * t * keys * (heads*head_dim) each.
    double attn_width = double(shape.heads * shape.head_dim);
    flops += 4.0 * t * attended_keys(shape, t) * attn_width;
    // Cross-attention: queries of this sequence against the encoder's
    // sequence, taken to have the same length.
    if (shape.cross_attention) flops += 4.0 * t * t * attn_width;
  }
  return flops;
}

double Layer::activation_bytes(int64_t seq) const {
  double t = double(tokens(seq));
  double h = double(shape.hidden);
  switch (kind) {
    case LayerKind::kEmbedding:
      return 2.0 * t * h;  // output kept for the first block's backward
    case LayerKind::kPatchMerge:
      return 2.0 * t * 4.0 * h;  // the concatenated 2x2 patches (input of the reduction)
    case LayerKind::kHead:
      // Input (2th) plus fp32 logits for the loss when there is a vocabulary.
      return 2.0 * t * h + 4.0 * t * double(shape.vocab);
    case LayerKind::kEncoderBlock:
    case LayerKind::kDecoderBlock:
      break;
  }
  double attn = double(shape.heads * shape.head_dim);
  double kv = double(shape.kv_heads * shape.head_dim);
  double f = double(shape.ffn_hidden);
  double keys = attended_keys(shape, t);
  double a = double(shape.heads);
  // Self-attention (Korthikanti Sec. 4.1, with GQA widths): input of QKV 2th,
  // Q and K 2t(attn+kv), softmax output 2a*t*keys, dropout mask a*t*keys,
  // dropout output 2a*t*keys, V 2t*kv, input of the output projection
  // 2t*attn, its dropout mask t*h. For attn == kv == h: 11th + 5a*t*keys.
  double self_attn = 2 * t * h + 2 * t * (attn + kv) + 5 * a * t * keys + 2 * t * kv + 2 * t * attn + t * h;
  double cross = 0.0;
  if (shape.cross_attention) cross = self_attn + 2 * t * h;  // plus its norm's input
  // MLP: input 2th, first linear output 2tf, activation output 2tf, dropout
  // mask th (19th for f = 4h); a gated MLP also keeps the gate and the
  // product (2tf each).
  double mlp = 2 * t * h + 4 * t * f + t * h + (shape.gated_mlp ? 4 * t * f : 0.0);
  double norms = 4 * t * h;  // two norm inputs
  return self_attn + cross + mlp + norms;
}

double Layer::output_bytes(int64_t seq, DType dtype) const {
  return dtype_bytes(dtype) * double(tokens(seq)) * double(shape.hidden);
}

ModelGraph::ModelGraph(std::string name, std::string architecture, std::vector<Layer> layers,
                       std::vector<std::pair<int, int>> extra_edges)
    : name_(std::move(name)), architecture_(std::move(architecture)), layers_(std::move(layers)),
      graph_(layers_.size()) {
  for (size_t i = 1; i < layers_.size(); ++i) boost::add_edge(i - 1, i, graph_);
  std::map<int, int> last;  // producer -> its last reader over a skip edge
  for (auto [u, v] : extra_edges) {
    assert(u < v && "extra edges must respect the layer order (invariant 1)");
    boost::add_edge(u, v, graph_);
    if (v > u + 1) last[u] = std::max(last[u], v);
  }
  skips_.assign(last.begin(), last.end());
}

double ModelGraph::carried_bytes(int w, int64_t seq, DType dtype) const {
  double bytes = 0;
  for (auto [u, last] : skips_)
    if (u < w && last > w) bytes += layers_[size_t(u)].output_bytes(seq, dtype);
  return bytes;
}

std::pair<int, int> ModelGraph::tied_embedding() const {
  int emb = -1, head = -1;
  for (int l = 0; l < num_layers(); ++l) {
    const Layer& x = layers_[size_t(l)];
    if (x.kind == LayerKind::kEmbedding && emb < 0) emb = l;
    if (x.kind == LayerKind::kHead && x.matmul_params > x.params) head = l;
  }
  return emb < 0 || head < 0 ? std::pair{-1, -1} : std::pair{emb, head};
}

std::vector<int> ModelGraph::inputs_of(int i) const {
  std::vector<int> out;
  auto [b, e] = boost::in_edges(i, graph_);
  for (auto it = b; it != e; ++it) out.push_back(static_cast<int>(boost::source(*it, graph_)));
  std::sort(out.begin(), out.end());
  return out;
}

bool ModelGraph::is_chain() const {
  return boost::num_edges(graph_) + 1 == layers_.size() || layers_.empty();
}

int64_t ModelGraph::params() const {
  int64_t p = 0;
  for (const auto& l : layers_) p += l.params;
  return p;
}

double ModelGraph::forward_flops(int64_t seq) const {
  double f = 0;
  for (const auto& l : layers_) f += l.forward_flops(seq);
  return f;
}

int ModelGraph::num_blocks() const {
  int n = 0;
  for (const auto& l : layers_) n += is_block(l.kind) ? 1 : 0;
  return n;
}

}  // namespace paralab
