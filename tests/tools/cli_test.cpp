// The `paralab` program end to end: JSON output shapes, exit codes, messages.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/json_reader.h"
#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using paralab::testing::run_paralab;

std::string tmp_db() {
  return (std::filesystem::temp_directory_path() / ("paralab_cli_" + std::to_string(::getpid()) + ".db")).string();
}

TEST(Cli, ModelShowJsonHasParamsAndLayers) {
  auto r = run_paralab("model show llama-2-7b --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_TRUE(j["params"].is_number_integer());
  EXPECT_NEAR(j["params"].get<double>() / 6.74e9, 1.0, 0.01);
  EXPECT_EQ(j["layers"].size(), 34u);  // embedding, 32 blocks, head
  EXPECT_EQ(j["layers"][1]["kind"], "decoder_block");
}

TEST(Cli, ModelShowReadsAHuggingFaceConfig) {
  auto r = run_paralab(std::string("model show ") + PARALAB_TEST_DATA + "/hf/qwen2-7b.json --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NEAR(Json::parse(r.out)["params"].get<double>() / 7.62e9, 1.0, 0.01);
}

TEST(Cli, ListsHaveNameAndDescription) {
  for (const char* what : {"model list --json", "cluster list --json"}) {
    auto r = run_paralab(what);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Json j = Json::parse(r.out);
    ASSERT_TRUE(j.is_array());
    ASSERT_GE(j.size(), 5u);
    for (const auto& e : j) {
      EXPECT_TRUE(e["name"].is_string());
      EXPECT_FALSE(e["description"].get<std::string>().empty());
    }
  }
}

TEST(Cli, ClusterShowScalesNodes) {
  auto r = run_paralab("cluster show dgx-h100 --nodes 64 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["nodes"], 64);
  EXPECT_EQ(j["devices"].size(), 512u);
}

TEST(Cli, UnknownModelExitsTwoWithValidNames) {
  auto r = run_paralab("model show gpt-5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.rfind("paralab: error: unknown model 'gpt-5'; valid names: bert-huge, bert-large,", 0), 0u) << r.err;
}

TEST(Cli, MalformedConfigExitsTwo) {
  auto r = run_paralab(std::string("model show ") + PARALAB_TEST_DATA + "/bad/malformed.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("malformed.json: malformed JSON: parse error at line 2"), std::string::npos) << r.err;
}

TEST(Cli, UnwritableDatabaseExitsTwoAndWritesNothing) {
  auto r = run_paralab("results list --db /nonexistent/dir/x.db");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "paralab: error: /nonexistent/dir/x.db: cannot open results database: folder /nonexistent/dir does not "
            "exist\n");
  EXPECT_FALSE(std::filesystem::exists("/nonexistent/dir"));
}

TEST(Cli, ResultsListOnAnEmptyDatabase) {
  std::string db = tmp_db();
  auto r = run_paralab("results list --json --db " + db);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out), Json::array());
  auto csv = run_paralab("results export --csv --db " + db);
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("id,created_at,git_rev,", 0), 0u);
  std::filesystem::remove(db);
}

TEST(Cli, BadOptionValueExitsTwo) {
  auto r = run_paralab("cluster show dgx-a100-80gb --nodes -3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--nodes"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace paralab
