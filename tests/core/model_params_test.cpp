// Parameter counts against published totals, and per-layer formulas against
// hand-derived closed forms.
#include <gtest/gtest.h>

#include <cmath>

#include "core/catalog.h"
#include "core/error.h"

namespace paralab {
namespace {

struct Published {
  const char* model;  // catalog name or tests/data/hf file
  double params;      // published total
  const char* source;
};

// Within 1% of the published figure (the criterion).
void expect_params(const ModelGraph& m, double published) {
  double got = double(m.params());
  EXPECT_NEAR(got / published, 1.0, 0.01) << m.name() << ": " << got << " vs published " << published;
}

TEST(ModelParams, CatalogMatchesPublishedTotals) {
  const Published cases[] = {
      {"llama-2-7b", 6.74e9, "Llama 2 paper / HF model card: 6.74B"},
      {"llama-2-13b", 13.02e9, "HF model card: 13.0B"},
      {"llama-2-70b", 68.98e9, "HF model card: 68.98B"},
      {"llama-7b", 6.74e9, "LLaMA paper: 6.7B"},
      {"gpt3-175b", 175e9, "Brown et al. 2020: 175B"},
      {"bert-large", 335e6, "Devlin et al.: ~335M (BertModel)"},
      {"t5-large", 738e6, "HF t5-large: 737.7M"},
      {"opt-30b", 30e9, "Zhang et al.: 30B"},
      {"opt-6.7b", 6.7e9, "Zhang et al.: 6.7B"},
      {"opt-175b", 175e9, "Zhang et al.: 175B"},
      {"opt-66b", 66e9, "Zhang et al.: 66B"},
      {"bloom-176b", 176.247e9, "BigScience BLOOM model card: 176,247,271,424 parameters"},
      {"vit-huge", 632e6, "Dosovitskiy et al. / timm: 632M"},
      {"swin-huge", 1.02e9, "UniAP: ~1.02B"},
      {"bert-huge", 672e6, "Galvatron / UniAP: ~672M"},
      {"megatron-gpt-18b", 18.4e9, "Narayanan et al. Table 1: 18.4B"},
      {"megatron-gpt-145b", 145.6e9, "Narayanan et al. Table 1: 145.6B"},
      {"megatron-gpt-530b", 529.6e9, "Narayanan et al. Table 1: 529.6B"},
      {"megatron-gpt-1t", 1008e9, "Narayanan et al. Table 1: 1008B"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.model) + " — " + c.source);
    expect_params(load_model(c.model), c.params);
  }
}

std::string hf(const char* name) { return std::string(PARALAB_TEST_DATA) + "/hf/" + name + ".json"; }

TEST(ModelParams, HuggingFaceConfigsMatchPublishedTotals) {
  const Published cases[] = {
      {"llama-2-7b", 6.74e9, "HF meta-llama/Llama-2-7b-hf"},
      {"llama-2-70b", 68.98e9, "HF meta-llama/Llama-2-70b-hf"},
      {"mistral-7b", 7.24e9, "HF mistralai/Mistral-7B-v0.1: 7.24B"},
      {"qwen2-7b", 7.62e9, "HF Qwen/Qwen2-7B: 7.62B"},
      {"gpt2", 124e6, "HF gpt2: 124M"},
      {"opt-30b", 30e9, "OPT-30B"},
      {"bert-large", 335e6, "BERT-Large"},
      {"t5-large", 738e6, "T5-Large"},
      {"vit-huge", 631e6, "ViT-H/14 without classifier: 630.8M"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.model);
    expect_params(load_model(hf(c.model)), c.params);
  }
}

TEST(ModelParams, MegatronFamilyMatchesNarayananFormula) {
  // Narayanan et al. 2021, Sec. 5.1: P = 12*l*h^2 * (1 + 13/(12h) + (V + s)/(12*l*h)),
  // V = 51200, s = 2048. (Table 1 rounds the 1.65B model to "1.7B".)
  const struct {
    const char* name;
    double h, l;
  } cases[] = {{"megatron-gpt-1.7b", 2304, 24}, {"megatron-gpt-7.5b", 4096, 36}, {"megatron-gpt-39b", 8192, 48},
               {"megatron-gpt-310b", 16384, 96}};
  for (const auto& c : cases) {
    double p = 12 * c.l * c.h * c.h * (1 + 13 / (12 * c.h) + (51200 + 2048) / (12 * c.l * c.h));
    EXPECT_NEAR(double(load_model(c.name).params()) / p, 1.0, 1e-3) << c.name;
  }
}

TEST(ModelParams, ExactCountsDerivedByHand) {
  // Llama-2-7B: embedding 32000*4096 and an untied head of the same size;
  // per layer 4*4096^2 (attention) + 3*4096*11008 (SwiGLU) + 2*4096 (RMSNorms);
  // final norm 4096.
  int64_t h = 4096, f = 11008, V = 32000;
  int64_t expect = 2 * V * h + 32 * (4 * h * h + 3 * h * f + 2 * h) + h;
  EXPECT_EQ(load_model("llama-2-7b").params(), expect);
  // GPT-2 small: 12*(12h^2 + 13h) + (V + 1024)h + 2h, tied head.
  int64_t g = 768;
  EXPECT_EQ(load_model(hf("gpt2")).params(), 12 * (12 * g * g + 13 * g) + (50257 + 1024) * g + 2 * g);
}

TEST(ModelGraph, GptBlockFlopsAndActivationsMatchMegatronFormulas) {
  ModelGraph m = load_model("megatron-gpt-1.7b");  // h=2304, a=24
  const Layer& b = m.layer(1);
  ASSERT_EQ(b.kind, LayerKind::kDecoderBlock);
  double s = 2048, h = 2304, a = 24;
  // Forward FLOPs of one block per sample: 24*s*h^2 + 4*s^2*h (Narayanan et al.).
  EXPECT_DOUBLE_EQ(b.forward_flops(2048), 24 * s * h * h + 4 * s * s * h);
  // Activations (Korthikanti et al.): s*h*(34 + 5*a*s/h) bytes per sample.
  EXPECT_DOUBLE_EQ(b.activation_bytes(2048), s * h * (34 + 5 * a * s / h));
  // Boundary: s*h values, 2 bytes each in bf16 and 4 in fp32.
  EXPECT_DOUBLE_EQ(b.output_bytes(2048, DType::kBf16), 2 * s * h);
  EXPECT_DOUBLE_EQ(b.output_bytes(2048, DType::kFp32), 4 * s * h);
  // Head: 2*s*h*V FLOPs for the logits.
  EXPECT_DOUBLE_EQ(m.layers().back().forward_flops(2048), 2 * s * h * 51200);
}

TEST(ModelGraph, T5IsADagWhoseDecoderLayersReadTheEncoder) {
  ModelGraph m = load_model("t5-large");
  EXPECT_FALSE(m.is_chain());
  // embedding (0), encoder 1..24, decoder 25..48, head 49.
  ASSERT_EQ(m.num_layers(), 50);
  EXPECT_EQ(m.inputs_of(30), (std::vector<int>{24, 29}));  // previous decoder layer and the encoder output
  EXPECT_EQ(m.inputs_of(25), (std::vector<int>{24}));
  EXPECT_TRUE(m.layer(30).shape.cross_attention);
}

TEST(ModelGraph, SwinStagesShrinkTokensByFour) {
  ModelGraph m = load_model("swin-huge");
  EXPECT_EQ(m.default_seq_len, 56 * 56);  // 224/4 patch grid
  double last_scale = 1.0;
  int merges = 0;
  for (const auto& l : m.layers()) {
    if (l.kind == LayerKind::kPatchMerge) {
      EXPECT_DOUBLE_EQ(l.token_scale, last_scale / 4);
      last_scale = l.token_scale;
      ++merges;
    }
  }
  EXPECT_EQ(merges, 3);
  EXPECT_EQ(m.layers().back().tokens(m.default_seq_len), 7 * 7);
  EXPECT_TRUE(m.is_chain());
}

TEST(ModelGraph, GqaShrinksKeyValueProjections) {
  ModelGraph m = load_model("llama-2-70b");
  const Layer& b = m.layer(1);
  // q and o: h*h each; k and v: h*(8*128) each; SwiGLU 3*h*f.
  int64_t h = 8192, kv = 8 * 128, f = 28672;
  EXPECT_EQ(b.matmul_params, 2 * h * h + 2 * h * kv + 3 * h * f);
}

}  // namespace
}  // namespace paralab
