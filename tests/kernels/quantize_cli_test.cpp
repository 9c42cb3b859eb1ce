// `paralab quantize` end to end: JSON keys, an exactly representable input
// file, and the bad-input messages (pinned).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/json_reader.h"
#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using paralab::testing::run_paralab;

std::string tmp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("paralab_quantize_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

void write_floats(const std::string& path, const std::vector<float>& v) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
}

TEST(QuantizeCli, SyntheticJsonHasTheErrorKeys) {
  auto r = run_paralab("quantize --synthetic 32x256 --format lcq-r2-b3-g128 --iterations 3 --tokens 32 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  for (const char* k : {"mse", "output_relative_error", "bits_per_weight", "weight_relative_error", "layer_bytes"})
    EXPECT_TRUE(j.contains(k)) << k;
  // 3 + (2*16 + 16)/128 + 2*8*16 / (32*256) = 3.375 + 256/8192
  EXPECT_DOUBLE_EQ(j["bits_per_weight"].get<double>(), 3.375 + 256.0 / 8192.0);
  EXPECT_GT(j["mse"].get<double>(), 0.0);
}

TEST(QuantizeCli, ExactlyRepresentableFileHasZeroError) {
  // Each row: w_j = 0.25 * 4j for j < 63 and w_63 = 0.25 * 255. rtn-b8-g64:
  // lo = 0, hi = 63.75, scale = 63.75 / 255 = 0.25 (an fp16 value), zero = 0,
  // so every weight is a level: MSE 0, bits per weight 8 + 32/64 = 8.5.
  std::vector<float> w(2 * 64);
  for (int r = 0; r < 2; ++r)
    for (int j = 0; j < 64; ++j) w[r * 64 + j] = 0.25f * static_cast<float>(j < 63 ? 4 * j : 255);
  std::string path = tmp_path("exact.bin");
  write_floats(path, w);
  auto r = run_paralab("quantize --input " + path + " --shape 2x64 --format rtn-b8-g64 --json");
  std::filesystem::remove(path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["mse"].get<double>(), 0.0);
  EXPECT_EQ(j["output_relative_error"].get<double>(), 0.0);
  EXPECT_EQ(j["bits_per_weight"].get<double>(), 8.5);
  EXPECT_EQ(j["layer_bytes"].get<int64_t>(), 128 + 2 * 4);  // 128 one-byte codes + 2 groups x (scale + zero)
}

TEST(QuantizeCli, WeightFileSizeMismatch) {
  std::string path = tmp_path("short.bin");
  write_floats(path, std::vector<float>(25, 1.0f));  // 100 bytes; 4x64 float32 is 4*64*4 = 1024
  auto r = run_paralab("quantize --input " + path + " --shape 4x64 --format rtn-b4-g64");
  std::filesystem::remove(path);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "paralab: error: " + path + ": 100 bytes, but shape 4x64 of float32 needs 1024 bytes\n");
}

TEST(QuantizeCli, UnknownFormatListsTheValidOnes) {
  auto r = run_paralab("quantize --synthetic 8x128 --format int3-g128");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("paralab: error: unknown quantization format 'int3-g128'; valid formats are: rtn-b2-g64, ", 0),
            0u)
      << r.err;
  EXPECT_NE(r.err.find("lcq-r2-b3-g128"), std::string::npos);
}

TEST(QuantizeCli, GroupThatDoesNotDivideTheRow) {
  auto r = run_paralab("quantize --synthetic 8x96 --format rtn-b4-g64");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "paralab: error: format rtn-b4-g64: group size 64 does not divide the row length 96 (shape 8x96)\n");
}

TEST(QuantizeCli, ListNamesEveryFormat) {
  auto r = run_paralab("quantize --list --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j.size(), 8u + 3 * 3 * 2 * 2);  // rtn: 4 widths x 2 groups; lcq: 3 ranks x 3 widths x 2 groups x dq
  EXPECT_EQ(j[0]["name"], "rtn-b2-g64");
}

TEST(QuantizeCli, BadShapeText) {
  auto r = run_paralab("quantize --synthetic 8by128 --format rtn-b4-g64");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "paralab: error: --synthetic '8by128': expected ROWSxCOLS with positive sizes, e.g. 4096x4096\n");
}

}  // namespace
}  // namespace paralab
