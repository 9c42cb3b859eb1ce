// Absurd sizes are bad input: each is refused by its loader with the file,
// the field, the value and the limit (core/limits.h), before anything is
// sized from it. The limits are restated here from core/limits.h's comments
// (2^20 nodes, 2^24 vertices, 10,000 layers, 16-bit stream ids).
#include <gtest/gtest.h>

#include "core/catalog.h"
#include "core/error.h"
#include "core/json_reader.h"
#include "core/model_builder.h"
#include "core/task_graph.h"

namespace paralab {
namespace {

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

std::string hf_error(const std::string& text) {
  return error_of([&] {
    Json j = parse_json_text(text, "config.json");
    build_model(arch_from_hf_config(JsonReader(j, "config.json")));
  });
}

TEST(AbsurdSizes, TrillionLayerConfigIsRefusedBeforeBuilding) {
  std::string e = hf_error(R"({"model_type": "gpt2", "n_embd": 768, "n_head": 12, "n_layer": 1000000000000,
                               "n_positions": 1024, "vocab_size": 50257})");
  EXPECT_EQ(e, "config.json: $: layers (num_layers / num_hidden_layers / n_layer) is 1000000000000: "
               "expected at most 10000 (core/limits.h)");
}

TEST(AbsurdSizes, VocabularyOfTwoToTheSixtyThreeIsRefusedNotWrapped) {
  // 2^63 does not fit an int64: it must not wrap to a negative number.
  std::string e = hf_error(R"({"model_type": "gpt2", "n_embd": 768, "n_head": 12, "n_layer": 12,
                               "n_positions": 1024, "vocab_size": 9223372036854775808})");
  EXPECT_EQ(e, "config.json: $.vocab_size: expected a positive integer, got 9223372036854775808");
}

TEST(AbsurdSizes, NumberBeyondADoubleIsMalformedJsonNotACrash) {
  // nlohmann::json reports 1e400 as out_of_range, not as a parse_error.
  EXPECT_EQ(hf_error(R"({"model_type": "gpt2", "n_layer": 1e400})"),
            "config.json: malformed JSON: number overflow parsing '1e400'");
}

TEST(AbsurdSizes, DeeplyNestedValueInAMessageDoesNotOverflowTheStack) {
  // 200,000 nested arrays where a number is expected: the message shows a
  // bounded prefix of the value instead of serialising all of it
  // recursively.
  const int depth = 200000;
  std::string deep = std::string(size_t(depth), '[') + std::string(size_t(depth), ']');
  std::string e = hf_error(R"({"model_type": "gpt2", "n_embd": )" + deep + "}");
  EXPECT_EQ(e, "config.json: $.n_embd: expected an integer, got [[[[[...]]]]]");
}

TEST(AbsurdSizes, SwinStageDepthIsBounded) {
  std::string e = hf_error(R"({"model_type": "swin", "embed_dim": 128, "depths": [2, 2, 18000000, 2],
                               "num_heads": [4, 8, 16, 32], "image_size": 224, "patch_size": 4})");
  EXPECT_EQ(e, "config.json: $.depths[2]: expected an integer in [1, 10000], got 18000000");
}

Json catalog_cluster(const char* name) {
  return read_json_file(std::string(PARALAB_SOURCE_DIR) + "/catalog/clusters/" + name + ".json");
}

TEST(AbsurdSizes, BillionNodeClusterIsRefusedBeforeExpansion) {
  Json j = catalog_cluster("dgx-a100-80gb");
  j["nodes"] = 1000000000;
  std::string e = error_of([&] { cluster_from_json(JsonReader(j, "big.json")); });
  EXPECT_EQ(e, "big.json: $.nodes: expected an integer in [1, 1048576], got 1000000000");
}

TEST(AbsurdSizes, NodeCountOverrideIsBounded) {
  std::string e = error_of([] { load_cluster("dgx-a100-80gb", 1000000000); });
  EXPECT_NE(e.find("a node count of 1000000000 was asked for: expected at most 1048576 nodes"), std::string::npos)
      << e;
}

TEST(AbsurdSizes, TotalVerticesAreBounded) {
  // 2^20 nodes is allowed alone, but with 17+ components per node the
  // expanded topology passes 2^24 vertices.
  Json j = catalog_cluster("dgx-a100-80gb");
  j["nodes"] = 1 << 20;
  int64_t per_node = 0;
  for (const Json& c : j["node"]["components"]) per_node += c.value("count", 1);
  ASSERT_GT(per_node * (1 << 20), int64_t(1) << 24);
  std::string e = error_of([&] { cluster_from_json(JsonReader(j, "big.json")); });
  EXPECT_NE(e.find("big.json: $: 1048576 nodes of " + std::to_string(per_node) + " components make " +
                   std::to_string(per_node << 20) + " topology vertices: expected at most 16777216"),
            std::string::npos)
      << e;
}

TEST(AbsurdSizes, ComponentCountIsBounded) {
  Json j = catalog_cluster("dgx-a100-80gb");
  j["node"]["components"][0]["count"] = 100000000;
  std::string e = error_of([&] { cluster_from_json(JsonReader(j, "big.json")); });
  EXPECT_EQ(e, "big.json: $.node.components[0].count: expected an integer in [1, 4096], got 100000000");
}

TEST(AbsurdSizes, TaskGraphStreamAndGemmShapeAreBounded) {
  Json j = parse_json_text(R"({"ops": [{"type": "compute", "device": 0, "stream": 70000, "kind": "gemm",
                                        "flops": 1, "bytes": 1}]})",
                           "g.json");
  EXPECT_EQ(error_of([&] { task_graph_from_json(JsonReader(j, "g.json")); }),
            "g.json: $.ops[0].stream: expected an integer in [0, 65535], got 70000");
  j = parse_json_text(R"({"ops": [{"type": "compute", "device": 0, "kind": "gemm", "flops": 1, "bytes": 1,
                                   "gemm": [4611686018427387904, 2, 2]}]})",
                      "g.json");
  EXPECT_EQ(error_of([&] { task_graph_from_json(JsonReader(j, "g.json")); }),
            "g.json: $.ops[0].gemm[0]: expected an integer in [1, 1099511627776], got 4611686018427387904");
}

TEST(AbsurdSizes, DeviceIdBeyondIntIsRefusedNotTruncated) {
  // 2^32 + 1 would truncate to device 1 in an int.
  Json j = parse_json_text(R"({"ops": [{"type": "compute", "device": 4294967297, "kind": "gemm",
                                        "flops": 1, "bytes": 1}]})",
                           "g.json");
  EXPECT_EQ(error_of([&] { task_graph_from_json(JsonReader(j, "g.json")); }),
            "g.json: $.ops[0].device: expected an integer in [0, 2147483647], got 4294967297");
}

}  // namespace
}  // namespace paralab
