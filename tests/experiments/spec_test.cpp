// Experiment specs (experiments/spec.h): expansion, order, hashes and errors.
// Run counts are the products of the specs' grid sizes, worked out by hand.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/error.h"
#include "experiments/experiment.h"
#include "experiments/spec.h"
#include "results/store.h"

namespace paralab {
namespace {

std::string write_spec(const std::string& text) {
  static int n = 0;
  std::string p = std::filesystem::temp_directory_path() /
                  ("paralab_spec_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".json");
  std::ofstream(p) << text;
  return p;
}

std::string error_of(const std::string& spec_text) {
  try {
    expand_sweep(load_spec(write_spec(spec_text)));
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ExperimentSpec, EveryExperimentIsASpec) {
  std::set<std::string> names;
  for (const auto& s : list_specs()) names.insert(s.name);
  for (const char* n : {"korthikanti", "lcq", "validate", "uniap", "pipo", "inflora", "megatron-grid",
                        "whatif-llama70b-interconnect", "whatif-laptop-offload"})
    EXPECT_TRUE(names.count(n)) << n;
}

TEST(ExperimentSpec, GridIsACrossProductInSortedKeyOrder) {
  ExperimentSpec s = effective_spec(load_spec("megatron-grid"), false);
  auto runs = expand_sweep(s);
  // tp 4 x pp 3 x micro_batch 3 x global_batch 3 x recompute 3.
  ASSERT_EQ(runs.size(), 4u * 3 * 3 * 3 * 3);
  // Keys sorted (global_batch, micro_batch, pp, recompute, tp), the last fastest.
  EXPECT_EQ(runs[0].config["tp"], 1);
  EXPECT_EQ(runs[1].config["tp"], 2);
  EXPECT_EQ(runs[4].config["tp"], 1);
  EXPECT_EQ(runs[4].config["recompute"], "selective");
  EXPECT_EQ(runs[0].config["model"], "megatron-gpt-1.7b");  // from fixed
  std::set<std::string> hashes;
  for (const auto& r : runs) hashes.insert(r.hash);
  EXPECT_EQ(hashes.size(), runs.size());
  // Expansion is deterministic: the same hashes in the same order.
  auto again = expand_sweep(s);
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].hash, again[i].hash);
  // --quick: tp 2 x pp 2.
  EXPECT_EQ(expand_sweep(effective_spec(load_spec("megatron-grid"), true)).size(), 4u);
}

TEST(ExperimentSpec, VariantsMultiplyTheSweepAndChangeTheHash) {
  auto runs = expand_sweep(effective_spec(load_spec("whatif-laptop-offload"), false));
  // 2 models x 2 schedules x 5 variants (baseline, GPU, PCIe, SSD, DRAM).
  ASSERT_EQ(runs.size(), 20u);
  EXPECT_EQ(runs[0].variant, "baseline");
  EXPECT_EQ(runs[1].variant, "GPU 8 GB");
  EXPECT_EQ(runs[0].config["set"], Json::array());
  EXPECT_EQ(runs[2].config["set"][0], "links[kind=pcie].bandwidth_bytes_per_s*=2");
  EXPECT_NE(runs[0].hash, runs[1].hash);
  EXPECT_EQ(expand_sweep(effective_spec(load_spec("korthikanti"), false)).size(), 8u);
}

TEST(ExperimentSpec, BadSpecsNameTheFileThePathAndTheNearestKey) {
  const std::string head = R"({"name": "x", "description": "", "reproduces": "", "backends": ["sim"], )";
  std::string e = error_of(head + R"("kind": "training-plan", "fixed": {"model": "megatron-gpt-1.7b",
      "cluster": "dgx-a100-80gb"}, "grid": {"tpp": [1, 2]}})");
  EXPECT_NE(e.find("$.grid.tpp: unknown key; did you mean 'tp'?"), std::string::npos) << e;
  EXPECT_NE(e.find(".json"), std::string::npos) << e;

  e = error_of(head + R"("kind": "training-plan", "fixed": {"model": "gpt-5", "cluster": "dgx-a100-80gb"}})");
  EXPECT_NE(e.find("unknown model 'gpt-5'"), std::string::npos) << e;

  e = error_of(head + R"("kind": "training-plan", "fixed": {"model": "megatron-gpt-1.7b", "cluster": "dgx-a100-80gb"},
      "variants": [{"name": "b"}, {"name": "v", "set": ["links[kind=nvlnk].bandwidth_bytes_per_s*=2"]}]})");
  EXPECT_NE(e.find("no element has kind = 'nvlnk'"), std::string::npos) << e;

  e = error_of(head + R"("kind": "sweep"})");
  EXPECT_NE(e.find("$.kind"), std::string::npos) << e;

  e = error_of(head + R"("kind": "training-plan", "fixed": {"model": "megatron-gpt-1.7b", "cluster": "dgx-a100-80gb"},
      "list": [{"tp": 2}, {"tp": 2}]})");
  EXPECT_NE(e.find("runs 0 and 1 have the same configuration"), std::string::npos) << e;

  // A node count that is not an integer in [1, kMaxNodes] is refused before
  // any cluster is sized from it.
  for (const char* nodes : {"\"eight\"", "1e20", "0", "2.5"}) {
    e = error_of(head + R"("kind": "training-plan", "fixed": {"model": "megatron-gpt-1.7b", "cluster": "dgx-a100-80gb",
        "nodes": )" + nodes + "}}");
    EXPECT_NE(e.find("run 0 (fixed).nodes: expected"), std::string::npos) << nodes << ": " << e;
  }

  // Six grid keys of ten values each are 10^6 runs, ten times
  // kMaxSweepRuns (10^5): refused before any run is built.
  std::string grid;
  for (const char* k : {"tp", "pp", "dp", "micro_batch", "chunks", "seq_len"})
    grid += std::string(grid.empty() ? "" : ", ") + "\"" + k + "\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
  e = error_of(head + R"("kind": "training-plan", "fixed": {"model": "megatron-gpt-1.7b", "cluster": "dgx-a100-80gb"},
      "grid": {)" + grid + "}}");
  EXPECT_NE(e.find("more than 100000 runs (core/limits.h kMaxSweepRuns)"), std::string::npos) << e;

  try {
    load_spec("no-such-experiment");
    FAIL();
  } catch (const InputError& x) {
    EXPECT_NE(std::string(x.what()).find("unknown experiment 'no-such-experiment'; valid names: "), std::string::npos);
  }
}

// Commands that run experiments through find_experiment (compare, report)
// get sweeps too, and they resume like `experiment run`.
TEST(ExperimentSpec, SweepsRunThroughTheProgramInterface) {
  const std::string db = write_spec("") + ".db";
  ResultsStore store(db);
  const Experiment& e = find_experiment("megatron-grid");
  EXPECT_EQ(e.name, "megatron-grid");
  ExperimentOptions o;
  o.quick = true;
  ExperimentResult r = e.run(store, o);
  EXPECT_EQ(r.run_ids.size(), 4u);  // tp 2 x pp 2
  EXPECT_EQ(r.summary["runs_total"], 4);
  r = e.run(store, o);
  EXPECT_EQ(r.run_ids.size(), 0u);
  EXPECT_EQ(r.summary["runs_skipped"], 4);
  std::filesystem::remove(db);
}

}  // namespace
}  // namespace paralab
