// Reading ArchSpecs from paralab catalog files and HuggingFace config.json.
#include <set>

#include "core/error.h"
#include "core/limits.h"
#include "core/model_builder.h"

namespace paralab {

namespace {

// Checks shared by both loaders; `j` names the file in messages.
void validate(const ArchSpec& s, const JsonReader& j) {
  auto bad = [&](const std::string& what) { j.fail(what); };
  // Absurd sizes first (core/limits.h), before anything is sized from them.
  // Each is named by the spec's field and, in brackets, the file keys it
  // is read from.
  struct Size {
    const char* what;
    int64_t value, limit;
  };
  const Size sizes[] = {
      {"layers (num_layers / num_hidden_layers / n_layer)", s.layers, kMaxLayers},
      {"decoder layers (num_decoder_layers)", s.decoder_layers, kMaxLayers},
      {"hidden size (hidden_size / n_embd / d_model / embed_dim)", s.hidden, kMaxWidth},
      {"attention heads (num_heads / num_attention_heads / n_head)", s.heads, kMaxWidth},
      {"key/value heads (num_kv_heads / num_key_value_heads)", s.kv_heads, kMaxWidth},
      {"head dim (head_dim / d_kv)", s.head_dim, kMaxWidth},
      {"feed-forward size (ffn_hidden_size / intermediate_size / n_inner / ffn_dim / d_ff)", s.ffn_hidden, kMaxWidth},
      {"vocabulary (vocab_size)", s.vocab, kMaxVocab},
      {"token types (type_vocab_size)", s.type_vocab, kMaxVocab},
      {"labels (num_labels / id2label)", s.num_labels, kMaxVocab},
      {"positions (max_position_embeddings / n_positions)", s.max_positions, kMaxPositions},
      {"sequence length (seq_len)", s.seq_len, kMaxPositions},
      {"relative attention buckets", s.relative_buckets, kMaxPositions},
      {"image size (image_size)", s.image_size, kMaxImageSide},
      {"patch size (patch_size)", s.patch_size, kMaxImageSide},
      {"channels (num_channels)", s.channels, kMaxImageSide},
      {"window size (window_size)", s.window, kMaxImageSide},
      {"swin stages (depths)", int64_t(s.depths.size()), kMaxStages},
  };
  for (const Size& z : sizes)
    if (z.value > z.limit)
      bad(z.what + std::string(" is ") + std::to_string(z.value) + ": expected at most " + std::to_string(z.limit) +
          " (core/limits.h)");
  if (s.family != "swin" && s.hidden % s.heads != 0 && s.head_dim == 0)
    bad("hidden size " + std::to_string(s.hidden) + " is not divisible by the head count " +
        std::to_string(s.heads) + " (set head_dim)");
  if (s.kv_heads > 0 && s.heads % s.kv_heads != 0)
    bad("key/value heads " + std::to_string(s.kv_heads) + " must divide attention heads " +
        std::to_string(s.heads));
  if (s.family == "vit" || s.family == "swin") {
    if (s.image_size % s.patch_size != 0)
      bad("image size " + std::to_string(s.image_size) + " is not a multiple of patch size " +
          std::to_string(s.patch_size));
  }
  if (s.family == "swin") {
    if (s.depths.empty() || s.depths.size() != s.stage_heads.size())
      bad("swin needs depths and num_heads of equal, non-zero length");
    int64_t c = s.hidden;
    for (size_t i = 0; i < s.stage_heads.size(); ++i, c *= 2)
      if (s.stage_heads[i] <= 0 || c % s.stage_heads[i] != 0)
        bad("swin stage " + std::to_string(i) + ": width " + std::to_string(c) +
            " is not divisible by its head count " + std::to_string(s.stage_heads[i]));
  }
}

std::vector<int64_t> int_list(const JsonReader& j, const char* key) {
  JsonReader a = j.at(key);
  a.require_array();
  std::vector<int64_t> out;
  for (size_t i = 0; i < a.size(); ++i) {
    out.push_back(a.at(i).as_integer(1, kMaxLayers));
  }
  return out;
}

}  // namespace

ArchSpec arch_from_catalog(const JsonReader& j) {
  j.only_keys({"name", "description", "source", "architecture", "embed_dim", "depths", "num_heads", "window_size",
               "hidden_size", "num_layers", "num_kv_heads", "head_dim", "ffn_hidden_size", "vocab_size",
               "max_position_embeddings", "seq_len", "tie_embeddings", "gated_mlp", "qkv_bias", "num_decoder_layers",
               "type_vocab_size", "image_size", "patch_size", "num_channels", "num_labels"});
  ArchSpec s;
  s.name = j.str("name");
  s.description = j.str("description");
  s.source = j.str("source");
  s.family = j.choice("architecture", model_families());
  if (s.family == "swin") {
    s.hidden = j.integer("embed_dim", 1);
    s.depths = int_list(j, "depths");
    s.stage_heads = int_list(j, "num_heads");
    s.window = j.integer_or("window_size", 7, 1);
  } else {
    s.hidden = j.integer("hidden_size", 1);
    s.layers = j.integer("num_layers", 1);
    s.heads = j.integer("num_heads", 1);
    s.kv_heads = j.integer_or("num_kv_heads", 0, 1);
    s.head_dim = j.integer_or("head_dim", 0, 1);
    s.ffn_hidden = j.integer_or("ffn_hidden_size", 0, 1);
  }
  s.vocab = j.integer_or("vocab_size", 0, 1);
  s.max_positions = j.integer_or("max_position_embeddings", 0, 1);
  s.seq_len = j.integer_or("seq_len", 0, 1);
  s.tie_embeddings = j.boolean_or("tie_embeddings", true);
  s.gated_mlp = j.boolean_or("gated_mlp", s.family == "llama");
  s.qkv_bias = j.boolean_or("qkv_bias", false);
  if (s.family == "t5") s.decoder_layers = j.integer_or("num_decoder_layers", s.layers, 1);
  if (s.family == "bert") s.type_vocab = j.integer_or("type_vocab_size", 2, 0);
  if (s.family == "vit" || s.family == "swin") {
    s.image_size = j.integer("image_size", 1);
    s.patch_size = j.integer("patch_size", 1);
    s.channels = j.integer_or("num_channels", 3, 1);
    s.num_labels = j.integer_or("num_labels", 0, 0);
  } else if (s.vocab == 0) {
    j.fail_field("vocab_size", "a positive integer");
  }
  if ((s.family == "gpt" || s.family == "opt" || s.family == "bert") && s.max_positions == 0)
    j.fail_field("max_position_embeddings", "a positive integer (learned position table)");
  validate(s, j);
  return s;
}

namespace {

const std::vector<std::string>& hf_types() {
  static const std::vector<std::string> t = {"llama", "mistral", "qwen2", "gpt2", "opt", "bert", "t5", "vit", "swin"};
  return t;
}

std::string hf_model_type(const JsonReader& j) {
  if (j.has("model_type")) {
    std::string t = j.str("model_type");
    for (const auto& v : hf_types())
      if (v == t) return t;
    j.fail_field("model_type", "one of " + join_names(hf_types()) + " (unsupported architecture)");
  }
  if (j.has("architectures")) {
    static const std::vector<std::pair<std::string, std::string>> prefixes = {
        {"Llama", "llama"}, {"Mistral", "mistral"}, {"Qwen2", "qwen2"}, {"GPT2", "gpt2"}, {"OPT", "opt"},
        {"Bert", "bert"},   {"T5", "t5"},           {"ViT", "vit"},     {"Swin", "swin"}};
    JsonReader a = j.at("architectures");
    if (a.json().is_array() && !a.json().empty() && a.json()[0].is_string()) {
      std::string arch = a.json()[0].get<std::string>();
      for (const auto& [p, t] : prefixes)
        if (arch.rfind(p, 0) == 0) return t;
    }
    j.fail_field("architectures", "a class of one of " + join_names(hf_types()));
  }
  j.fail("no model_type or architectures field; expected a HuggingFace config.json of " + join_names(hf_types()));
}

}  // namespace

ArchSpec arch_from_hf_config(const JsonReader& j) {
  j.require_object();
  ArchSpec s;
  std::string type = hf_model_type(j);
  s.name = j.str_or("_name_or_path", "");
  s.source = "HuggingFace config.json: " + j.file();
  s.description = "HuggingFace " + type + " model";
  if (type == "llama" || type == "mistral" || type == "qwen2") {
    s.family = "llama";
    s.hidden = j.integer("hidden_size", 1);
    s.layers = j.integer("num_hidden_layers", 1);
    s.heads = j.integer("num_attention_heads", 1);
    s.kv_heads = j.integer_or("num_key_value_heads", s.heads, 1);
    s.head_dim = j.integer_or("head_dim", 0, 1);
    s.ffn_hidden = j.integer("intermediate_size", 1);
    s.vocab = j.integer("vocab_size", 1);
    s.max_positions = j.integer_or("max_position_embeddings", 4096, 1);
    s.tie_embeddings = j.boolean_or("tie_word_embeddings", false);
    s.gated_mlp = true;
    s.qkv_bias = type == "qwen2";
  } else if (type == "gpt2") {
    s.family = "gpt";
    s.hidden = j.integer("n_embd", 1);
    s.layers = j.integer("n_layer", 1);
    s.heads = j.integer("n_head", 1);
    s.ffn_hidden = j.integer_or("n_inner", 4 * s.hidden, 1);
    s.vocab = j.integer("vocab_size", 1);
    s.max_positions = j.integer("n_positions", 1);
  } else if (type == "opt") {
    s.family = "opt";
    s.hidden = j.integer("hidden_size", 1);
    s.layers = j.integer("num_hidden_layers", 1);
    s.heads = j.integer("num_attention_heads", 1);
    s.ffn_hidden = j.integer("ffn_dim", 1);
    s.vocab = j.integer("vocab_size", 1);
    s.max_positions = j.integer("max_position_embeddings", 1);
    s.tie_embeddings = j.boolean_or("tie_word_embeddings", true);
    if (j.integer_or("word_embed_proj_dim", s.hidden, 1) != s.hidden)
      j.fail_field("word_embed_proj_dim", "equal to hidden_size (projected embeddings, as in OPT-350M, are not modelled)");
  } else if (type == "bert") {
    s.family = "bert";
    s.hidden = j.integer("hidden_size", 1);
    s.layers = j.integer("num_hidden_layers", 1);
    s.heads = j.integer("num_attention_heads", 1);
    s.ffn_hidden = j.integer("intermediate_size", 1);
    s.vocab = j.integer("vocab_size", 1);
    s.max_positions = j.integer("max_position_embeddings", 1);
    s.type_vocab = j.integer_or("type_vocab_size", 2, 0);
  } else if (type == "t5") {
    s.family = "t5";
    s.hidden = j.integer("d_model", 1);
    s.layers = j.integer("num_layers", 1);
    s.decoder_layers = j.integer_or("num_decoder_layers", s.layers, 1);
    s.heads = j.integer("num_heads", 1);
    s.head_dim = j.integer("d_kv", 1);
    s.ffn_hidden = j.integer("d_ff", 1);
    s.vocab = j.integer("vocab_size", 1);
    s.relative_buckets = j.integer_or("relative_attention_num_buckets", 32, 1);
    std::string proj = j.str_or("feed_forward_proj", "relu");
    s.gated_mlp = proj.rfind("gated-", 0) == 0;
    s.tie_embeddings = j.boolean_or("tie_word_embeddings", true);
    s.max_positions = 512;
  } else if (type == "vit") {
    s.family = "vit";
    s.hidden = j.integer("hidden_size", 1);
    s.layers = j.integer("num_hidden_layers", 1);
    s.heads = j.integer("num_attention_heads", 1);
    s.ffn_hidden = j.integer("intermediate_size", 1);
    s.image_size = j.integer("image_size", 1);
    s.patch_size = j.integer("patch_size", 1);
    s.channels = j.integer_or("num_channels", 3, 1);
    if (j.has("id2label") && j.json()["id2label"].is_object()) s.num_labels = j.json()["id2label"].size();
  } else {  // swin
    s.family = "swin";
    s.hidden = j.integer("embed_dim", 1);
    s.depths = int_list(j, "depths");
    s.stage_heads = int_list(j, "num_heads");
    s.window = j.integer_or("window_size", 7, 1);
    s.image_size = j.integer("image_size", 1);
    s.patch_size = j.integer("patch_size", 1);
    s.channels = j.integer_or("num_channels", 3, 1);
    if (j.has("id2label") && j.json()["id2label"].is_object()) s.num_labels = j.json()["id2label"].size();
  }
  s.seq_len = s.max_positions;
  validate(s, j);
  return s;
}

}  // namespace paralab
