// Bad input, end to end: every subcommand given a missing file, an empty
// file, random bytes, valid JSON of the wrong shape, negative / zero / NaN
// values, unknown names, and a database it cannot write ends with exit code 2
// (1 for a well-formed job that is infeasible), one line on stderr that starts
// "paralab: error: " and names what was wrong, no run in the database, and
// never a signal or an abort.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "results/store.h"
#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using nlohmann::json;
using paralab::testing::run_paralab;

const std::string kDir = "/tmp/paralab_bad_input_" + std::to_string(::getpid());

std::string file(const std::string& name) { return kDir + "/" + name; }

void write(const std::string& name, const std::string& text) { std::ofstream(file(name), std::ios::binary) << text; }

// A catalog file with one field replaced (a JSON pointer) by `value`.
void write_patched(const std::string& name, const std::string& src, const std::string& pointer, const json& value) {
  std::ifstream in(src);
  json j = json::parse(in);
  j[json::json_pointer(pointer)] = value;
  write(name, j.dump(2));
}

class BadInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::filesystem::create_directories(kDir);
    write("empty.json", "");
    std::string noise;
    uint32_t x = 2463534242u;  // xorshift32, fixed seed: the same bytes every run
    for (int i = 0; i < 4096; ++i) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      noise.push_back(static_cast<char>(x & 0xff));
    }
    write("random.json", noise);
    write("array.json", "[1, 2, 3]");
    write("nan.json", "{\"ops\": [{\"type\": \"compute\", \"device\": 0, \"flops\": NaN}]}");
    write("graph_negative.json", R"({"ops": [{"type": "alloc", "device": 0, "tier": "device", "location": 0, "bytes": -5}]})");
    write("graph_bad_device.json", R"({"ops": [{"type": "compute", "device": 99, "flops": 1e9}]})");
    const std::string cat = std::string(PARALAB_SOURCE_DIR) + "/catalog";
    write_patched("model_negative.json", cat + "/models/gpt2-xl.json", "/hidden_size", -1600);
    write_patched("model_zero.json", cat + "/models/gpt2-xl.json", "/num_layers", 0);
    write_patched("model_string.json", cat + "/models/gpt2-xl.json", "/num_heads", "NaN");
    write_patched("cluster_negative.json", cat + "/clusters/dgx-a100-80gb.json",
                  "/node/components/0/device/memory_bytes", -1);
    write_patched("cluster_zero.json", cat + "/clusters/dgx-a100-80gb.json", "/node/links/0/bandwidth_bytes_per_s", 0);
    write_patched("cluster_typo.json", cat + "/clusters/dgx-a100-80gb.json", "/link_overide", json::array());
    // A plan that is well-formed but does not fit: GPT-3 175B on one DGX node.
    auto r = run_paralab("plan megatron --model gpt3-175b --cluster dgx-a100-80gb --seq 2048 --global-batch 8 --tp 8 "
                         "--pp 1 --micro-batch 1 --db " + file("setup.db") + " -o " + file("oom_plan.json"));
    ASSERT_EQ(r.exit_code, 1) << r.err;
    write_patched("plan_zero_seq.json", file("oom_plan.json"), "/seq_len", 0);
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(kDir); }
};

struct Case {
  const char* name;
  std::string args;       // after `paralab`; --db is added
  int code;               // expected exit code
  std::vector<std::string> says;  // substrings of the one stderr line
};

std::vector<Case> cases() {
  const std::string m = file("missing.json"), e = file("empty.json"), r = file("random.json"), a = file("array.json");
  const std::string graph = " --cluster dgx-a100-80gb --graph ";
  const std::string mg = "plan megatron --cluster dgx-a100-80gb --seq 1024 --global-batch 8 --pp 1 --micro-batch 1 ";
  return {
      // model show
      {"model: missing file", "model show " + m, 2, {m, "cannot open file"}},
      {"model: empty file", "model show " + e, 2, {e, "malformed JSON"}},
      {"model: random bytes", "model show " + r, 2, {r, "malformed JSON"}},
      {"model: wrong shape", "model show " + a, 2, {a, "expected an object"}},
      {"model: negative size", "model show " + file("model_negative.json"), 2, {"$.hidden_size", "-1600", "positive"}},
      {"model: zero layers", "model show " + file("model_zero.json"), 2, {"$.num_layers", "positive"}},
      {"model: NaN as text", "model show " + file("model_string.json"), 2, {"$.num_heads", "\"NaN\"", "integer"}},
      {"model: unknown name", "model show gpt-5", 2, {"unknown model 'gpt-5'", "valid names"}},
      // cluster show
      {"cluster: missing file", "cluster show " + m, 2, {m, "cannot open file"}},
      {"cluster: random bytes", "cluster show " + r, 2, {r, "malformed JSON"}},
      {"cluster: wrong shape", "cluster show " + a, 2, {a, "expected an object"}},
      {"cluster: negative memory", "cluster show " + file("cluster_negative.json"), 2,
       {"$.node.components[0].device.memory_bytes", "-1", "positive number"}},
      {"cluster: zero bandwidth", "cluster show " + file("cluster_zero.json"), 2,
       {"$.node.links[0].bandwidth_bytes_per_s", "positive number"}},
      {"cluster: misspelled key", "cluster show " + file("cluster_typo.json"), 2,
       {"$.link_overide: unknown key", "did you mean 'link_overrides'?"}},
      {"cluster: unknown name", "cluster show dgx-z100", 2, {"unknown cluster 'dgx-z100'"}},
      {"cluster: zero nodes", "cluster show dgx-a100-80gb --nodes 0", 2, {"--nodes"}},
      // simulate --graph
      {"simulate: missing graph", "simulate" + graph + m, 2, {m, "cannot open file"}},
      {"simulate: empty graph", "simulate" + graph + e, 2, {e, "malformed JSON"}},
      {"simulate: random graph", "simulate" + graph + r, 2, {r, "malformed JSON"}},
      {"simulate: graph of wrong shape", "simulate" + graph + a, 2, {a, "expected an object"}},
      {"simulate: NaN in graph", "simulate" + graph + file("nan.json"), 2, {"nan.json", "malformed JSON"}},
      {"simulate: negative bytes", "simulate" + graph + file("graph_negative.json"), 2,
       {"$.ops[0].bytes", "-5", "non-negative"}},
      {"simulate: unknown device", "simulate" + graph + file("graph_bad_device.json"), 2, {"99"}},
      {"simulate: unknown option", "simulate --grpah x", 2, {"unknown option '--grpah'", "did you mean '--graph'?"}},
      {"simulate: missing profile", "simulate" + graph + a + " --profile " + file("no_profile.json"), 2,
       {"no_profile.json", "cannot open file"}},
      {"plan train: profile of wrong shape",
       "plan train --model gpt2-xl --cluster dgx-a100-80gb --global-batch 8 --profile " + a, 2,
       {a, "expected an object"}},
      // simulate --plan / plan show / plan simulate
      {"simulate: missing plan", "simulate --plan " + m, 2, {m, "cannot open file"}},
      {"simulate: plan of wrong shape", "simulate --plan " + a, 2, {a, "expected an object"}},
      {"simulate: zero sequence", "simulate --plan " + file("plan_zero_seq.json"), 2, {"$.seq_len", "[1,", "got 0"}},
      {"simulate: plan that does not fit", "simulate --plan " + file("oom_plan.json"), 1, {}},
      {"plan show: random bytes", "plan show " + r, 2, {r, "malformed JSON"}},
      {"plan simulate: empty plan", "plan simulate --plan " + e, 2, {e, "malformed JSON"}},
      // plan megatron
      {"megatron: zero tp", mg + "--model gpt2-xl --tp 0 -o " + file("p.json"), 2, {"--tp"}},
      {"megatron: unknown model", mg + "--model gpt-5 --tp 8 -o " + file("p.json"), 2, {"unknown model 'gpt-5'"}},
      {"megatron: tp that does not divide", mg + "--model gpt2-xl --tp 3 -o " + file("p.json"), 2, {"tp 3"}},
      {"megatron: misspelled option", mg + "--model gpt2-xl --tp 8 --sequence-paralel -o " + file("p.json"), 2,
       {"unknown option '--sequence-paralel'", "did you mean '--sequence-parallel'?"}},
      {"megatron: unwritable output", mg + "--model megatron-gpt-22b --tp 8 -o /nonexistent-dir/p.json", 2,
       {"/nonexistent-dir/p.json"}},
      {"megatron: does not fit", mg + "--model gpt3-175b --tp 8 -o " + file("p.json"), 1, {"does not fit"}},
      // plan train / plan infer
      {"train: unknown planner", "plan train --model gpt2-xl --cluster dgx-a100-80gb --global-batch 8 --planner nope",
       2, {"nope"}},
      {"train: zero batch", "plan train --model gpt2-xl --cluster dgx-a100-80gb --global-batch 0", 2,
       {"--global-batch"}},
      {"train: random model", "plan train --model " + r + " --cluster dgx-a100-80gb --global-batch 8", 2,
       {r, "malformed JSON"}},
      {"infer: unknown schedule",
       "plan infer --model " PARALAB_TEST_DATA "/inference/tiny-opt.json --cluster " PARALAB_TEST_DATA
       "/inference/offload-box.json --schedule vllm",
       2, {"vllm"}},
      {"infer: negative prompt", "plan infer --model gpt2-xl --cluster dgx-a100-80gb --prompt-len -1", 2,
       {"--prompt-len"}},
      {"infer: empty cluster", "plan infer --model gpt2-xl --cluster " + e, 2, {e, "malformed JSON"}},
      // run / calibrate / validate / quantize
      {"run: missing graph", "run --backend host --cluster localhost-cpu --graph " + m, 2, {m, "cannot open file"}},
      {"run: unknown backend", "run --backend tpu --graph " + m, 2, {"--backend", "tpu"}},
      {"calibrate: unknown backend", "calibrate --backend tpu -o " + file("prof.json"), 2, {"--backend", "tpu"}},
      {"validate: missing profile", "validate --backend host --profile " + m, 2, {m}},
      {"quantize: unknown format", "quantize --format rtn-b99 --synthetic 8x8", 2, {"rtn-b99"}},
      {"quantize: missing input", "quantize --format rtn-b4-g128 --input " + m + " --shape 8x128", 2, {m}},
      {"quantize: zero shape", "quantize --format rtn-b4-g128 --synthetic 0x128", 2, {"0x128"}},
      // experiment / results
      {"experiment: unknown name", "experiment run nope", 2, {"nope"}},
      {"experiment: bad parameter", "experiment run uniap --param nope=1", 2, {"nope"}},
      {"experiment: parameter of a sweep", "experiment run korthikanti --param nope=1", 2, {"is a sweep", "spec"}},
      {"results: no such run", "results show 424242", 2, {"no run with id 424242"}},
      {"results: unknown command", "results lsit", 2, {"unknown command 'lsit'", "did you mean 'list'?"}},
      {"top: unknown command", "simulte", 2, {"unknown command 'simulte'", "did you mean 'simulate'?"}},
  };
}

// The database a case's command gets: fresh, so no run may be in it after.
std::string fresh_db(size_t i) { return file("case" + std::to_string(i) + ".db"); }

size_t runs_in(const std::string& db) {
  if (!std::filesystem::exists(db)) return 0;
  return ResultsStore(db).list().size();
}

TEST_F(BadInput, EverySubcommandFailsCleanlyWithOneLineAndNoRun) {
  auto all = cases();
  for (size_t i = 0; i < all.size(); ++i) {
    const Case& c = all[i];
    SCOPED_TRACE(c.name);
    auto r = run_paralab(c.args + " --db " + fresh_db(i));
    EXPECT_EQ(r.exit_code, c.code) << c.args << "\n" << r.err;  // -1: a signal
    const std::string expected_prefix = c.code == 2 ? "paralab: error: " : "paralab: ";
    EXPECT_EQ(r.err.rfind(expected_prefix, 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "not one line:\n" << r.err;
    for (const auto& s : c.says) EXPECT_NE(r.err.find(s), std::string::npos) << "'" << s << "' not in: " << r.err;
    if (c.code == 2) {
      EXPECT_EQ(runs_in(fresh_db(i)), 0u) << "bad input left a run in the database";
    }
  }
}

TEST_F(BadInput, DatabaseThatCannotBeOpenedOrWrittenIsBadInput) {
  const std::string sim = "simulate --cluster dgx-a100-80gb --graph " PARALAB_TEST_DATA "/sim/ring8.json --db ";
  for (const std::string& db : {std::string("/nonexistent-dir/runs.db"), std::string("/proc/version"),
                                file("random.json"), kDir}) {
    SCOPED_TRACE(db);
    auto r = run_paralab(sim + db);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err.rfind("paralab: error: " + db, 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace paralab
