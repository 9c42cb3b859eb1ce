// The cuda executor on a GPU: every op ran, in an order that respects stream
// order and dependencies (real/timing_checks.h), with positive, finite times.
// One GPU: the single-device validation graphs (training iteration and the
// offloaded inference graph streaming weights SSD -> pinned -> device).
// Two or more GPUs: a 2-stage pipeline under mpirun (one rank per GPU: NCCL
// refuses two ranks on one GPU). Four or more: a TP x DP plan whose TP groups
// cross its DP groups. Each test skips with the reason where the machine
// cannot run it (real/gpu_check.sh reports those as "not run").
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/catalog.h"
#include "core/json_reader.h"
#include "real/cuda_calibration.h"
#include "real/run_graph.h"
#include "real/timing_checks.h"
#include "real/validation_graphs.h"
#include "tests/tools/run_cli.h"

namespace paralab::real {
namespace {

int gpus(std::string* why) { return cuda_device_count(why); }

// How to start paralab: $PARALAB_SELF (a command prefix, set by
// real/gpu_check.sh to run through the bundled loader) or the built binary.
std::string paralab_cmd() {
  const char* env = std::getenv("PARALAB_SELF");
  return env && *env ? env : PARALAB_BINARY;
}

// Runs `paralab <args>`; returns the exit code, stdout into *out.
int run_cmd(const std::string& args, std::string* out) {
  std::string base = std::filesystem::temp_directory_path() / ("paralab_gpu_cmd_" + std::to_string(::getpid()));
  int status = std::system((paralab_cmd() + " " + args + " >" + base + ".out 2>" + base + ".err").c_str());
  *out = paralab::testing::slurp(base + ".out") + paralab::testing::slurp(base + ".err");
  std::filesystem::remove(base + ".out");
  std::filesystem::remove(base + ".err");
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

ExecOptions gpu_options() {
  ExecOptions o;
  o.warmup_runs = 1;
  o.scratch_dir = std::filesystem::temp_directory_path().string();
  o.collective_timeout_seconds = 60;
  return o;
}

void expect_good_run(const TaskGraph& g, const std::vector<RankResult>& ranks) {
  EXPECT_EQ(timing_violation(g, ranks), "");
  size_t positive = 0, timed = 0;
  for (const auto& r : ranks)
    for (const auto& t : r.timings) {
      ++timed;
      positive += t.end_seconds > t.start_seconds;
    }
  EXPECT_GT(timed, 0u);
  EXPECT_GT(positive, timed / 2) << "most ops should take measurable time";
}

TEST(CudaExecutorGpu, SingleDeviceValidationGraphsRunInOrder) {
  std::string why;
  if (gpus(&why) == 0) GTEST_SKIP() << why;
  Cluster c = load_cluster("dgx-h100");
  for (auto& vg : cuda_validation_set(true, 1)) {
    if (vg.ranks != 1) continue;
    SCOPED_TRACE(vg.name);
    RankResult r = make_executor("cuda")->run(vg.graph, c, gpu_options());
    ASSERT_EQ(r.status, "ok") << r.message;
    expect_good_run(vg.graph, {r});
  }
}

TEST(CudaExecutorGpu, TwoStagePipelineOnTwoGpus) {
  std::string why;
  int n = gpus(&why);
  if (n < 2) GTEST_SKIP() << "needs 2 GPUs (NCCL refuses two ranks on one GPU); " << n << " visible. " << why;
  TinyTransformer m{1024, 4096, 4, 1024, DType::kBf16};
  TaskGraph g = build_pp2_graph(m, 4);
  RunGraphOptions o;
  o.backend = "cuda";
  o.ranks = 2;
  o.cluster_arg = "dgx-h100";
  o.paralab_binary = paralab_cmd();
  o.work_dir = std::filesystem::temp_directory_path().string();
  o.exec = gpu_options();
  std::vector<RankResult> ranks;
  RunRecord rec = run_graph(g, load_cluster("dgx-h100"), o, &ranks);
  ASSERT_EQ(rec.status, "ok") << rec.message;
  expect_good_run(g, ranks);
}

TEST(CudaExecutorGpu, TensorTimesDataParallelPlanOnFourGpus) {
  std::string why;
  int n = gpus(&why);
  if (n < 4) GTEST_SKIP() << "needs 4 GPUs for TP 2 x DP 2 (one rank per GPU); " << n << " visible. " << why;
  std::string dir = std::filesystem::temp_directory_path() / ("paralab_cuda_tpdp_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string out;
  ASSERT_EQ(run_cmd("plan megatron --model gpt2-xl --cluster dgx-h100 --seq 128 --global-batch 8 --tp 2 --pp 1 --dp 2 "
                    "--micro-batch 2 -o " + dir + "/plan.json", &out), 0) << out;
  ASSERT_EQ(run_cmd("run --backend cuda --plan " + dir + "/plan.json --ranks 4 --json --no-store --scratch-dir " + dir,
                    &out), 0) << out;
  Json j = Json::parse(out.substr(0, out.rfind('}') + 1));
  EXPECT_EQ(j["status"], "ok") << j["message"];
  EXPECT_EQ(j["device_utilization"].size(), 4u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace paralab::real
