// paralab's own file formats reject unknown keys, naming the key and the
// nearest valid one (DESIGN.md); HuggingFace config.json keeps its unknown
// keys ignored. Also the edit distance behind "did you mean".
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/catalog.h"
#include "core/error.h"
#include "core/hardware_profile.h"
#include "core/nearest_name.h"
#include "core/task_graph.h"
#include "strategies/training/training_plan.h"

namespace paralab {
namespace {

TEST(NearestName, EditDistanceOfTextbookPairs) {
  // kitten -> sitten -> sittin -> sitting: 2 substitutions and 1 insertion.
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("flaw", "lawn"), 2u);  // delete f, insert n
  EXPECT_EQ(edit_distance("Seq", "seq"), 0u);    // case-insensitive
}

TEST(NearestName, SuggestsCloseNamesAndPrefixesOnly) {
  std::vector<std::string> keys = {"device_overrides", "link_overrides", "network", "nodes"};
  EXPECT_EQ(nearest_name("link_overide", keys), "link_overrides");  // one deletion
  EXPECT_EQ(nearest_name("node", keys), "nodes");
  EXPECT_EQ(nearest_name("completely_different", keys), "");
  std::vector<std::string> opts = {"--global-batch", "--micro-batch", "--sequence-parallel"};
  EXPECT_EQ(nearest_name("--sequence-paralel", opts), "--sequence-parallel");
  EXPECT_EQ(nearest_name("--global-batch-size", opts), "--global-batch");  // a prefix, 5 edits away
  EXPECT_EQ(did_you_mean("--x", opts), "");
}

std::string write_temp(const std::string& name, const Json& j) {
  std::string p = "/tmp/paralab_strict_" + std::to_string(::getpid()) + "_" + name;
  std::ofstream(p) << j.dump(2);
  return p;
}

// The message of the InputError `f` throws, or "" if it throws none.
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(StrictKeys, ClusterFileNamesTheMisspelledKeyAndTheNearestOne) {
  std::string src = catalog_dir() + "/clusters/dgx-a100-80gb.json";
  Json j = read_json_file(src);
  j["link_overide"] = Json::array();
  std::string p = write_temp("cluster.json", j);
  EXPECT_EQ(error_of([&] { load_cluster(p); }),
            p + ": $.link_overide: unknown key; did you mean 'link_overrides'? (valid keys: description, "
                "device_overrides, link_overrides, name, network, node, nodes, source)");
  // Nested objects are checked too: a device's misspelled field.
  j = read_json_file(src);
  j["node"]["components"][0]["device"]["memory_byte"] = 1;
  p = write_temp("cluster2.json", j);
  std::string e = error_of([&] { load_cluster(p); });
  EXPECT_NE(e.find(p + ": $.node.components[0].device.memory_byte: unknown key; did you mean 'memory_bytes'?"),
            std::string::npos)
      << e;
  std::filesystem::remove(p);
}

TEST(StrictKeys, CatalogModelPlanTaskGraphAndProfileAreStrict) {
  Json m = read_json_file(catalog_dir() + "/models/gpt2-xl.json");
  m["hiden_size"] = 4;
  std::string mp = write_temp("model.json", m);
  EXPECT_NE(error_of([&] { load_model(mp); }).find("$.hiden_size: unknown key; did you mean 'hidden_size'?"),
            std::string::npos);

  Json plan = {{"model", "gpt2-xl"}, {"cluster", "dgx-a100-80gb"}, {"seq_len", 1024}, {"global_batch", 8},
               {"micro_batches", 1}, {"stages", {{{"layers", {0, 1}}, {"devices", {0}}}}},
               {"strategies", {{{"layers", {0, 1}}, {"dp", 1}, {"tensor_parallel", 2}}}}};
  std::string pp = write_temp("plan.json", plan);
  EXPECT_NE(error_of([&] { load_plan(pp); }).find(pp + ": $.strategies[0].tensor_parallel: unknown key"),
            std::string::npos);

  Json graph = {{"ops", {{{"type", "collective"}, {"collective", "all_reduce"}, {"group", {0, 1}}, {"bytes", 8},
                          {"algo", "ring"}}}}};
  EXPECT_NE(error_of([&] { task_graph_from_json(JsonReader(graph, "g.json")); })
                .find("g.json: $.ops[0].algo: unknown key; did you mean 'algorithm'? (valid keys: algorithm, bytes, "
                      "collective, deps, group, id, label, stream, type)"),
            std::string::npos);

  Json profile = {{"format", kHardwareProfileFormat}, {"name", "x"}, {"backend", "host"}, {"host_core", 4}};
  EXPECT_NE(error_of([&] { hardware_profile_from_json(JsonReader(profile, "p.json")); })
                .find("p.json: $.host_core: unknown key; did you mean 'host_cores'?"),
            std::string::npos);
  std::filesystem::remove(mp);
  std::filesystem::remove(pp);
}

TEST(StrictKeys, HuggingFaceConfigKeepsItsUnknownKeysIgnored) {
  Json hf = read_json_file(std::string(PARALAB_TEST_DATA) + "/hf/gpt2.json");
  hf["some_future_transformers_key"] = {{"anything", 1}};
  std::string p = write_temp("config.json", hf);
  ModelGraph g = load_model(p);
  EXPECT_GT(g.params(), 0);
  std::filesystem::remove(p);
}

}  // namespace
}  // namespace paralab
