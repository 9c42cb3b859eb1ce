#include "strategies/inference/inference_job.h"

#include <fmt/format.h>

#include <cmath>

#include "core/error.h"
#include "kernels/quant_format.h"

namespace paralab {

namespace {

bool is_block_kind(LayerKind k) { return k == LayerKind::kEncoderBlock || k == LayerKind::kDecoderBlock; }

}  // namespace

std::vector<std::string> weight_format_names() {
  std::vector<std::string> names = {"fp16", "int8", "int4-g128", "int4-g64"};
  for (const auto& n : kernels::quant_format_names()) names.push_back(n);
  return names;
}

WeightFormat parse_weight_format(const std::string& name) {
  if (name == "fp16") return {"fp16", 16.0};
  if (name == "int8") return {"int8", 8.0};
  std::string canonical = name;
  if (name == "int4-g128") canonical = "rtn-b4-g128";
  if (name == "int4-g64") canonical = "rtn-b4-g64";
  kernels::QuantFormat f;
  try {
    f = kernels::parse_quant_format(canonical);
  } catch (const InputError&) {
    throw InputError(fmt::format("unknown weight format '{}'; valid formats are: {}", name,
                                 join_names(weight_format_names())));
  }
  // A 4096 x 4096 matrix prices the per-matrix LCQ basis (negligible at
  // these sizes; rtn has none).
  return {f.name(), kernels::bits_per_weight(f, 4096, 4096)};
}

KvFormat parse_kv_format(const std::string& name) {
  if (name == "fp16") return {"fp16", 16.0};
  // Group-wise with group 64: b bits + 32 bits (fp16 scale, fp16 min) per 64.
  if (name == "int8") return {"int8", 8.0 + 32.0 / 64.0};
  if (name == "int4") return {"int4", 4.0 + 32.0 / 64.0};
  throw InputError(fmt::format("unknown KV-cache dtype '{}'; valid values are: fp16, int8, int4", name));
}

double BlockCosts::prefill_flops(int64_t prompt_len, int64_t seqs) const {
  // GEMMs: 2 per weight per token; causal attention: QK^T and AV over on
  // average (s + 1) / 2 keys per query, 2 FLOPs per multiply-add each.
  double s = double(prompt_len);
  double attention = 4.0 * s * (s + 1.0) / 2.0 * double(hidden);
  return (2.0 * matmul_params * s + attention) * double(seqs);
}

BlockCosts block_costs(const ModelGraph& m, const InferenceJob& job) {
  if (job.prompt_len <= 0 || job.gen_len <= 0 || job.batch <= 0)
    throw InputError(fmt::format("inference job: prompt length ({}), generation length ({}) and batch ({}) must be "
                                 "positive",
                                 job.prompt_len, job.gen_len, job.batch));
  BlockCosts c;
  const Layer* first = nullptr;
  for (const Layer& l : m.layers()) {
    if (is_block_kind(l.kind)) {
      if (!first) first = &l;
      c.layer_count++;
    } else if (l.kind == LayerKind::kHead) {
      c.head_params = double(l.matmul_params > 0 ? l.matmul_params : l.params);
    } else if (l.kind == LayerKind::kEmbedding) {
      c.embedding_bytes = 2.0 * double(l.params);
    }
  }
  if (!first) throw InputError(fmt::format("model '{}' has no Transformer blocks to run inference on", m.name()));
  if (first->kind != LayerKind::kDecoderBlock)
    throw InputError(fmt::format("model '{}' has no decoder blocks: generation needs a decoder-only model", m.name()));
  const BlockShape& s = first->shape;
  c.hidden = s.hidden;
  c.ffn_hidden = s.ffn_hidden;
  c.heads = s.heads;
  int64_t head_dim = s.head_dim > 0 ? s.head_dim : s.hidden / std::max<int64_t>(1, s.heads);
  c.kv_width = (s.kv_heads > 0 ? s.kv_heads : s.heads) * head_dim;
  c.matmul_params = double(first->matmul_params);
  c.qkv_params = double(s.hidden) * double(s.heads * head_dim + 2 * c.kv_width);
  c.attention_out_params = double(s.heads * head_dim) * double(s.hidden);
  double other_params = double(first->params - first->matmul_params);
  c.weight_bytes = c.matmul_params * job.weights.bits_per_weight / 8.0 + 2.0 * other_params;
  // Llama: q k v o, gate up down, 2 norms = 9; OPT: 6 matrices with biases
  // and 2 layer norms with bias = 16 (FlexGen's per-tensor copies).
  c.gated_mlp = s.gated_mlp;
  c.weight_tensors = s.gated_mlp ? 9 : 16;
  c.kv_bytes_per_token = 2.0 * double(c.kv_width) * job.kv.bits_per_element / 8.0;
  c.hidden_bytes_per_token = 2.0 * double(s.hidden);
  c.head_bytes = c.head_params * job.weights.bits_per_weight / 8.0;
  return c;
}

DecodeGemmShape decode_gemm_shape(const InferenceJob& job, const BlockCosts& c, double params, int64_t seqs) {
  const std::string& w = job.weights.name;
  const bool kernel_format = w.rfind("rtn-", 0) == 0 || w.rfind("lcq-", 0) == 0;
  const int64_t h = c.hidden, n = h > 0 ? std::llround(params / double(h)) : 0;
  if (!kernel_format || n <= 0 || std::fabs(double(n * h) - params) > 0.5) return {};
  return {seqs, n, h};
}

}  // namespace paralab
