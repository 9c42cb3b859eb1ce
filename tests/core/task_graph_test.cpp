#include "core/task_graph.h"

#include <gtest/gtest.h>

#include <array>

#include "core/error.h"

namespace paralab {
namespace {

TaskGraph sample() {
  TaskGraph g;
  int l = g.intern_label("L0 fwd mb0");
  int a = g.add_alloc(0, 0, {TierKind::kDevice, 0}, 1e9);
  int m = g.add_gemm(0, 0, 1024, 2048, 4096, DType::kBf16, l);
  int t = g.add_transfer(0, 1, {TierKind::kSsd, 0}, {TierKind::kPinnedHost, 0}, 5e8);
  int c = g.add_collective(CollectiveKind::kAllReduce, g.add_group({0, 1, 2, 3}), 2, 2e8, CollectiveAlgo::kRing);
  g.add_dep(a, m);
  g.add_dep(m, c);
  g.add_dep(t, c);
  g.add_free(0, 0, {TierKind::kDevice, 0}, 1e9);
  return g;
}

TEST(TaskGraph, GemmShapeGivesFlopsAndBytes) {
  TaskGraph g = sample();
  const Op& o = g.op(1);
  // 2 M N K = 2 * 1024 * 2048 * 4096; bytes = 2 B * (M K + K N + M N).
  EXPECT_DOUBLE_EQ(o.flops, 2.0 * 1024 * 2048 * 4096);
  EXPECT_DOUBLE_EQ(o.bytes, 2.0 * (1024.0 * 4096 + 4096.0 * 2048 + 1024.0 * 2048));
  ASSERT_NE(g.gemm_shape(o), nullptr);
  EXPECT_EQ(g.gemm_shape(o)->k, 4096);
  EXPECT_EQ(g.describe(1), "op 1 (L0 fwd mb0)");
}

TEST(TaskGraph, InterningReusesGroupsAndLabels) {
  TaskGraph g;
  EXPECT_EQ(g.add_group({0, 1}), g.add_group({0, 1}));
  EXPECT_NE(g.add_group({0, 1}), g.add_group({1, 0}));
  EXPECT_EQ(g.intern_label("x"), g.intern_label("x"));
  EXPECT_EQ(sizeof(Op), 40u);  // compact: 10M ops in 400 MB
}

TEST(TaskGraph, JsonRoundTrip) {
  TaskGraph g = sample();
  Json j = g.to_json();
  TaskGraph h = task_graph_from_json(JsonReader(j, "mem"));
  EXPECT_EQ(h.to_json().dump(), j.dump());
  ASSERT_EQ(h.size(), g.size());
  EXPECT_EQ(h.op(3).collective_kind(), CollectiveKind::kAllReduce);
  EXPECT_EQ(std::vector<int>(h.group(h.op(3).group()).begin(), h.group(h.op(3).group()).end()),
            (std::vector<int>{0, 1, 2, 3}));
  h.finalize();
  EXPECT_EQ(h.num_preds(3), 2);
}

TEST(TaskGraph, QuantizedGemmKeepsItsFormatThroughJson) {
  TaskGraph g;
  // m = 4 sequences, N = 24576 stacked rows, K = 2048; FLOPs 2 m N K =
  // 2 * 4 * 24576 * 2048 = 402,653,184; bytes as given.
  int a = g.add_quantized_gemm(0, 0, 4, 24576, 2048, "rtn-b4-g128", 402653184.0, 2.7e7, DType::kFp32);
  int b = g.add_quantized_gemm(0, 0, 4, 2048, 2048, "rtn-b4-g128", 1.0, 2.0, DType::kFp32);
  int c = g.add_gemm(0, 0, 8, 8, 8, DType::kFp32);
  ASSERT_NE(g.weight_format(g.op(a)), nullptr);
  EXPECT_EQ(*g.weight_format(g.op(a)), "rtn-b4-g128");
  EXPECT_EQ(g.gemm_shape(g.op(a))->n, 24576);
  EXPECT_EQ(g.gemm_shape(g.op(a))->weights, g.gemm_shape(g.op(b))->weights);  // interned
  EXPECT_EQ(g.weight_format(g.op(c)), nullptr);
  EXPECT_DOUBLE_EQ(g.op(a).flops, 402653184.0);
  Json j = g.to_json();
  EXPECT_EQ(j["ops"][0]["weights"], "rtn-b4-g128");
  EXPECT_FALSE(j["ops"][2].contains("weights"));
  TaskGraph h = task_graph_from_json(JsonReader(j, "mem"));
  EXPECT_EQ(h.to_json().dump(), j.dump());
  ASSERT_NE(h.weight_format(h.op(0)), nullptr);
  EXPECT_EQ(*h.weight_format(h.op(0)), "rtn-b4-g128");
  EXPECT_DOUBLE_EQ(h.op(0).bytes, 2.7e7);
}

TEST(TaskGraph, BackwardGemmIsTwoKernelsOfTheForwardShape) {
  TaskGraph g;
  // Forward 8 x 4 x 2 in fp32: 2 * 8 * 4 * 2 = 128 FLOPs, 4 * (16 + 8 + 32)
  // = 224 bytes; its backward twice both.
  int f = g.add_gemm(0, 0, 8, 4, 2, DType::kFp32);
  int b = g.add_gemm(0, 0, 8, 4, 2, DType::kFp32, -1, true);
  EXPECT_DOUBLE_EQ(g.op(f).flops, 128);
  EXPECT_DOUBLE_EQ(g.op(b).flops, 256);
  EXPECT_DOUBLE_EQ(g.op(b).bytes, 448);
  // Data gradient dA (8 x 2) = dC (8 x 4) B^T: (8, 2, 4); weight gradient
  // dB (2 x 4) = A^T (2 x 8) dC (8 x 4): (2, 4, 8).
  GemmKernels ks = gemm_kernels(*g.gemm_shape(g.op(b)));
  ASSERT_EQ(ks.count, 2);
  EXPECT_EQ((std::array<int64_t, 3>{ks.shapes[0].m, ks.shapes[0].n, ks.shapes[0].k}), (std::array<int64_t, 3>{8, 2, 4}));
  EXPECT_EQ((std::array<int64_t, 3>{ks.shapes[1].m, ks.shapes[1].n, ks.shapes[1].k}), (std::array<int64_t, 3>{2, 4, 8}));
  EXPECT_EQ(gemm_kernels(*g.gemm_shape(g.op(f))).count, 1);
  Json j = g.to_json();
  EXPECT_FALSE(j["ops"][0].contains("gemm_backward"));
  EXPECT_EQ(j["ops"][1]["gemm_backward"], true);
  TaskGraph h = task_graph_from_json(JsonReader(j, "mem"));
  EXPECT_EQ(h.to_json().dump(), j.dump());
  EXPECT_TRUE(h.gemm_shape(h.op(1))->backward);
  EXPECT_DOUBLE_EQ(h.op(1).flops, 256);
}

std::string parse_error(const std::string& text) {
  try {
    Json j = Json::parse(text);
    task_graph_from_json(JsonReader(j, "g.json"));
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(TaskGraph, JsonErrorsNameThePath) {
  EXPECT_EQ(parse_error(R"({"ops": [{"type": "compute", "device": 0, "deps": [3]}]})"),
            "g.json: $.ops[0].deps[0]: op 0 depends on op 3, which does not exist (1 ops)");
  EXPECT_EQ(parse_error(R"({"ops": [{"type": "teleport"}]})"),
            parse_error(R"({"ops": [{"type": "teleport"}]})"));  // stable
  EXPECT_NE(parse_error(R"({"ops": [{"type": "teleport"}]})").find("g.json: $.ops[0].type"), std::string::npos);
  EXPECT_NE(parse_error(R"({"ops": [{"type": "collective", "collective": "all_reduce", "group": [], "bytes": 1}]})")
                .find("$.ops[0].group"),
            std::string::npos);
  // A weight format needs a GEMM shape, and a name.
  EXPECT_NE(parse_error(R"({"ops": [{"type": "compute", "device": 0, "weights": "rtn-b4-g128"}]})").find("$.ops[0].weights"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"ops": [{"type": "compute", "device": 0, "gemm": [1, 2, 3], "weights": ""}]})")
                .find("$.ops[0].weights"),
            std::string::npos);
  // A backward needs a shape, and is not a weight-quantized GEMM.
  EXPECT_NE(parse_error(R"({"ops": [{"type": "compute", "device": 0, "gemm_backward": true}]})")
                .find("$.ops[0].gemm_backward"),
            std::string::npos);
  EXPECT_NE(parse_error(R"({"ops": [{"type": "compute", "device": 0, "gemm": [1, 2, 3], "gemm_backward": true,
                                     "weights": "rtn-b4-g128"}]})")
                .find("$.ops[0].gemm_backward"),
            std::string::npos);
}

}  // namespace
}  // namespace paralab
