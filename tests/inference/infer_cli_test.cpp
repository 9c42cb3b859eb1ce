// `paralab plan infer` end to end: JSON keys, exit codes, error messages.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using testing::run_paralab;

const std::string kBox = " --model " PARALAB_TEST_DATA "/inference/tiny-opt.json --cluster " PARALAB_TEST_DATA
                         "/inference/offload-box.json";

std::string db() { return " --db /tmp/paralab_infer_cli_" + std::to_string(::getpid()) + ".db"; }

// `plan infer` of a catalog model on a catalog cluster at FlexGen's and
// DeepSpeed's benchmark lengths (s = 512, n = 32): its JSON, or null (with
// a failure recorded) when the command did not succeed.
nlohmann::json published_setting(const std::string& model, const std::string& cluster, const std::string& flags) {
  auto r = run_paralab("plan infer --model " + model + " --cluster " + cluster + " --prompt-len 512 --gen-len 32 " +
                       flags + " --json" + db());
  EXPECT_EQ(r.exit_code, 0) << model << ": " << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
}

TEST(InferCli, JsonHasTheIssuesKeysAndIsRecorded) {
  auto r = run_paralab("plan infer" + kBox + " --prompt-len 64 --gen-len 4 --schedule pipo --json" + db());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["schedule"], "pipo");
  EXPECT_GE(j["batch_size"].get<int64_t>(), 1);
  EXPECT_GT(j["tokens_per_second"].get<double>(), 0);
  EXPECT_GE(j["gpu_utilization"].get<double>(), 0);
  EXPECT_LE(j["gpu_utilization"].get<double>(), 1);
  EXPECT_GT(j["prefill_seconds"].get<double>(), 0);
  EXPECT_GT(j["decode_seconds"].get<double>(), 0);
  EXPECT_GT(j["peak_memory_bytes_by_tier"]["gpu"].get<double>(), 0);
  EXPECT_GE(j["run_id"].get<int64_t>(), 1);
  EXPECT_TRUE(j["timing"].contains("search_seconds"));
}

// FlexGen's OPT-30B policy on its T4 machine, as its bench suite states it,
// simulated with the catalog's flexgen-t4 (FlexGen's own fitted constants,
// none taken from this row): within 20% of the published 7.32 tokens/s
// (FMInference/FlexGen benchmark/batch_size_table.md), as the issue asks.
TEST(InferCli, FlexGenOpt30bPolicyOnT4IsWithin20PercentOfThePublishedThroughput) {
  auto r = run_paralab("plan infer --model opt-30b --cluster flexgen-t4 --prompt-len 512 --gen-len 32 "
                       "--schedule flexgen --percent 20 80 0 100 0 100 --gpu-batch-size 48 --num-gpu-batches 3 --json" +
                       db());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  double tps = nlohmann::json::parse(r.out)["tokens_per_second"].get<double>();
  EXPECT_NEAR(tps, 7.32, 0.2 * 7.32) << tps;
}

// Hugging Face Accelerate on FlexGen's T4 machine as FlexGen's bench runs
// it (benchmark/hf_ds/hf_opt.py: every decoder layer on the tier the table
// brackets, gpu / cpu / disk), against the published throughputs
// (benchmark/batch_size_table.md): within 30%, as the issue asks, plus the
// table's rounding to two decimals (0.01 stands for [0.005, 0.015)).
TEST(InferCli, AccelerateRowsOfFlexGensT4TableAreWithin30Percent) {
  struct Row {
    const char *model, *tier;
    int batch;
    double published;
  };
  for (Row w : {Row{"opt-6.7b", "gpu", 2, 25.12}, Row{"opt-30b", "cpu", 8, 0.62}, Row{"opt-175b", "disk", 2, 0.01}}) {
    auto j = published_setting(w.model, "flexgen-t4", std::string("--schedule accelerate --offload-to ") + w.tier +
                                                          " --batch " + std::to_string(w.batch));
    if (j.is_null()) continue;
    const double tps = j["tokens_per_second"].get<double>();
    EXPECT_NEAR(tps, w.published, 0.3 * w.published + 0.005) << w.model;
    const std::string tier = w.tier;
    const auto& p = j["plan"];
    EXPECT_EQ(p["percent"][0].get<double>(), tier == "gpu" ? 100.0 : 0.0) << w.model;
    EXPECT_EQ(p["percent"][1].get<double>(), tier == "cpu" ? 100.0 : 0.0) << w.model;
    EXPECT_EQ(p["weights_disk_fraction"].get<double>(), tier == "disk" ? 1.0 : 0.0) << w.model;
  }
}

// ZeRO-Inference "pins the entire model weights in CPU or NVMe (whichever is
// sufficient to accommodate the full model)" (DeepSpeed's ZeRO-Inference
// blog): OPT-30B's 60 GB fit in the T4 machine's 208 GB, OPT-175B's 350 GB
// do not and go to the SSD whole, never split between the two.
TEST(InferCli, ZeroInferenceOffloadsTheWholeModelToOneTier) {
  for (auto [model, on_disk] : {std::pair{"opt-30b", 0.0}, std::pair{"opt-175b", 1.0}}) {
    auto j = published_setting(model, "flexgen-t4", "--schedule zero-inference --batch 1");
    if (j.is_null()) continue;
    const auto& p = j["plan"];
    EXPECT_DOUBLE_EQ(p["weights_disk_fraction"].get<double>(), on_disk) << model;
    EXPECT_DOUBLE_EQ(p["percent"][1].get<double>(), 100 * (1 - on_disk)) << model;
  }
}

// DeepSpeed ZeRO-Inference's own A6000 table (DeepSpeedExamples
// zero_inference/README.md, commit 1c6f989: 4-bit weights, group size 64,
// the KV cache on the GPU, weights offloaded to the CPU, pinned as each run
// script sets --pin-memory), simulated on deepspeed-a6000 (datasheet and
// published PCIe figures, none taken from these rows): within 30%.
TEST(InferCli, ZeroInferenceA6000RowsAreWithin30Percent) {
  struct Row {
    const char* model;
    int batch;
    double published;
    int pinned;
  };
  for (Row w : {Row{"opt-30b", 24, 22.74, 1}, Row{"opt-66b", 16, 7.68, 1}, Row{"opt-175b", 8, 1.21, 0},
                Row{"bloom-176b", 4, 0.65, 0}, Row{"llama-2-70b", 96, 24.05, 1}}) {
    auto j = published_setting(w.model, "deepspeed-a6000",
                               "--schedule zero-inference --weights int4-g64 --offload-to cpu --pin-weight " +
                                   std::to_string(w.pinned) + " --batch " + std::to_string(w.batch));
    if (j.is_null()) continue;
    EXPECT_NEAR(j["tokens_per_second"].get<double>(), w.published, 0.3 * w.published) << w.model;
    EXPECT_EQ(j["plan"]["pinned_weights"].get<bool>(), w.pinned == 1) << w.model;
  }
}

// A placement the user fixed that cannot fit is the verdict, not the
// schedule's own placement: OPT-175B's 350 GB of fp16 weights forced into
// the T4 machine's 208 GB of host memory.
TEST(InferCli, OffloadToAPlaceTooSmallEndsInfeasibleNamingIt) {
  auto r = run_paralab("plan infer --model opt-175b --cluster flexgen-t4 --prompt-len 512 --gen-len 32 "
                       "--schedule zero-inference --batch 1 --offload-to cpu --json" + db());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "infeasible");
  EXPECT_NE(j["message"].get<std::string>().find("host memory"), std::string::npos) << j["message"];
  EXPECT_EQ(j["plan"]["percent"][1].get<double>(), 100.0);
}

TEST(InferCli, OffloadToNamesItsTiersAndSchedules) {
  auto r = run_paralab("plan infer" + kBox + " --schedule accelerate --offload-to ssd" + db());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--offload-to: 'ssd' is not a tier (expected gpu, cpu or disk)"), std::string::npos) << r.err;
  r = run_paralab("plan infer" + kBox + " --schedule pipo --offload-to cpu" + db());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--offload-to applies to accelerate and zero-inference, not pipo"), std::string::npos) << r.err;
  r = run_paralab("plan infer" + kBox + " --schedule flexgen --prefetch-layers 0" + db());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--prefetch-layers applies to zero-inference, not flexgen"), std::string::npos) << r.err;
  // FlexGen's own flags do not silence the others.
  r = run_paralab("plan infer" + kBox +
                  " --schedule flexgen --percent 100 0 100 0 100 0 --gpu-batch-size 2 --offload-to disk" + db());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--offload-to applies to accelerate and zero-inference, not flexgen"), std::string::npos)
      << r.err;
  r = run_paralab("plan infer" + kBox + " --schedule pipo --pin-weight 0" + db());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--pin-weight applies to flexgen and zero-inference, not pipo"), std::string::npos) << r.err;
}

TEST(InferCli, BatchThatDisagreesWithFlexGenFlagsIsUsageError) {
  auto r = run_paralab("plan infer" + kBox +
                       " --schedule flexgen --percent 20 80 0 100 0 100 --gpu-batch-size 48 --num-gpu-batches 3 "
                       "--batch 100" + db());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--batch 100 disagrees with --gpu-batch-size 48 x --num-gpu-batches 3 = 144"),
            std::string::npos)
      << r.err;
}

TEST(InferCli, CompressWeightExpandsQuantizedWeightsAndNeedsThem) {
  // fp16 weights have nothing to expand: a usage error naming the flag.
  const std::string flags = " --schedule flexgen --percent 0 100 100 0 100 0 --gpu-batch-size 1 --num-gpu-batches 1";
  auto r = run_paralab("plan infer" + kBox + flags + " --compress-weight" + db());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--compress-weight needs quantized weights"), std::string::npos) << r.err;
  // With INT4 weights the plan records the expansion and the run is slower
  // than with fused kernels (every block's GEMMs read 15 B per weight
  // instead of 0.53: OffloadSim.KernelTrafficFollowsTheRuntimesDataPath).
  auto fused = run_paralab("plan infer" + kBox + flags + " --weights int4-g128 --json" + db());
  auto expanded = run_paralab("plan infer" + kBox + flags + " --weights int4-g128 --compress-weight --json" + db());
  ASSERT_EQ(fused.exit_code, 0) << fused.err;
  ASSERT_EQ(expanded.exit_code, 0) << expanded.err;
  auto jf = nlohmann::json::parse(fused.out), je = nlohmann::json::parse(expanded.out);
  EXPECT_FALSE(jf["plan"]["dequant_to_fp16"].get<bool>());
  EXPECT_TRUE(je["plan"]["dequant_to_fp16"].get<bool>());
  EXPECT_GT(je["prefill_seconds"].get<double>() + je["decode_seconds"].get<double>(),
            jf["prefill_seconds"].get<double>() + jf["decode_seconds"].get<double>());
}

TEST(InferCli, UnknownScheduleAndFormatNameTheValidOnes) {
  auto r = run_paralab("plan infer" + kBox + " --schedule vllm" + db());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("valid schedules are: accelerate, zero-inference, llamacpp, flexgen, pipo"), std::string::npos)
      << r.err;
  r = run_paralab("plan infer" + kBox + " --weights int5" + db());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown weight format 'int5'"), std::string::npos) << r.err;
}

TEST(InferCli, JobThatCannotFitIsARecordedFailure) {
  // Accelerate keeps the KV cache on the GPU: 4096 sequences x 2000
  // positions x 2 blocks x 4096 B = 67,108,864,000 B > 8 GiB.
  auto r = run_paralab("plan infer" + kBox + " --schedule accelerate --batch 4096 --prompt-len 1000 --gen-len 1000 --json" +
                       db());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "infeasible");
  EXPECT_NE(j["message"].get<std::string>().find("GPU memory needs"), std::string::npos);
  EXPECT_GE(j["run_id"].get<int64_t>(), 1);
}

}  // namespace
}  // namespace paralab

namespace paralab {
namespace {

TEST(InferCli, ExecuteHostRunsTheSameGraphForReal) {
  // tiny-opt on the localhost-offload what-if box: a few ms of real work.
  auto r = testing::run_paralab("plan infer --model " PARALAB_TEST_DATA
                                "/inference/tiny-opt.json --cluster localhost-offload --schedule pipo --batch 2 "
                                "--prompt-len 8 --gen-len 2 --execute host --json --db /tmp/paralab_infer_exec_" +
                                std::to_string(::getpid()) + ".db");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["real"]["backend"], "real-host");
  EXPECT_EQ(j["real"]["status"], "ok") << j["real"]["message"];
  EXPECT_GT(j["real"]["seconds"].get<double>(), 0);
  EXPECT_GE(j["real"]["run_id"].get<int64_t>(), 1);
}

// The CUDA backend runs GPU work only: FlexGen's attention over a CPU-held
// cache is an op of the CPU device, which it refuses by name (before looking
// for a GPU, so this holds on any machine) instead of timing a GPU kernel in
// its place; the command then exits 3 (paralab's own run failed).
TEST(InferCli, ExecuteCudaRefusesAnOpOfTheCpuDevice) {
  auto r = testing::run_paralab("plan infer --model " PARALAB_TEST_DATA
                                "/inference/tiny-opt.json --cluster flexgen-t4 --schedule flexgen --percent 100 0 0 100 "
                                "100 0 --gpu-batch-size 2 --num-gpu-batches 1 --prompt-len 8 --gen-len 2 --execute cuda "
                                "--json --db /tmp/paralab_infer_cuda_cpu_" +
                                std::to_string(::getpid()) + ".db");
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("(L0 cpu attention) runs on device 1 (cpu), not a GPU"), std::string::npos) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "ok");  // the simulation itself ran
  EXPECT_EQ(j["real"]["status"], "error");
}

}  // namespace
}  // namespace paralab
