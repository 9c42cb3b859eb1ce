// The command users type, measured: `paralab simulate --plan PLAN --json
// --db DB [--trace FILE]` run as a child process (defaults: flow
// collectives, detailed metrics, auto mirroring, one flow per rank per ring
// phase), with the plan written beforehand by `paralab plan megatron`.
//
//  BM_SimulateCli/<case>/trace:<0|1>
//    korthikanti-175b-full/-sel  Korthikanti et al. 2022, TP 8 PP 8, 64 GPUs
//    korthikanti-1t-full/-sel    TP 8 PP 64, 512 GPUs
//    gpt3-1024                   GPT-3 175B, TP 8 PP 8 DP 16, batch 1536, SP + selective
//    megatron-1t-3072            Megatron-LM's 1T run: TP 8 PP 64 DP 6, batch 3072, full recomputation
//    llama2-70b-64               Llama-2-70B on 8 DGX-H100: TP 8 PP 4 DP 2, seq 4096, batch 512, selective
//
// Counters: wall_s (the whole command: start-up, loading, lowering,
// simulation, metrics, SQLite, trace), simulate_s and lower_s (as the command
// reports them), peak_rss_GB (the child's maximum resident set, from wait4),
// trace_MB, simulated_iteration_s, load_1m.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace paralab {
namespace {

struct Case {
  const char* name;
  const char* megatron_args;
};

const Case kCases[] = {
    {"korthikanti-175b-full",
     "--model megatron-gpt-175b --cluster dgx-a100-80gb --nodes 8 --seq 2048 --global-batch 64 --tp 8 --pp 8 "
     "--micro-batch 1 --recompute full"},
    {"korthikanti-175b-sel",
     "--model megatron-gpt-175b --cluster dgx-a100-80gb --nodes 8 --seq 2048 --global-batch 64 --tp 8 --pp 8 "
     "--micro-batch 1 --recompute selective --sequence-parallel"},
    {"korthikanti-1t-full",
     "--model megatron-gpt-1t --cluster dgx-a100-80gb --nodes 64 --seq 2048 --global-batch 512 --tp 8 --pp 64 "
     "--micro-batch 1 --recompute full"},
    {"korthikanti-1t-sel",
     "--model megatron-gpt-1t --cluster dgx-a100-80gb --nodes 64 --seq 2048 --global-batch 512 --tp 8 --pp 64 "
     "--micro-batch 1 --recompute selective --sequence-parallel"},
    {"gpt3-1024",
     "--model gpt3-175b --cluster dgx-a100-80gb --nodes 128 --seq 2048 --global-batch 1536 --tp 8 --pp 8 --dp 16 "
     "--micro-batch 1 --recompute selective --sequence-parallel"},
    {"megatron-1t-3072",
     "--model megatron-gpt-1t --cluster dgx-a100-80gb --nodes 384 --seq 2048 --global-batch 3072 --tp 8 --pp 64 "
     "--dp 6 --micro-batch 1 --recompute full"},
    {"llama2-70b-64",
     "--model llama-2-70b --cluster dgx-h100 --nodes 8 --seq 4096 --global-batch 512 --tp 8 --pp 4 --dp 2 "
     "--micro-batch 1 --recompute selective --sequence-parallel"},
};

std::string tmp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("paralab_cli_bench_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// Runs `cmd` under /bin/sh; returns its exit status and the child's peak RSS.
int run(const std::string& cmd, double* peak_rss_bytes) {
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  rusage u{};
  wait4(pid, &status, 0, &u);
  if (peak_rss_bytes) *peak_rss_bytes = double(u.ru_maxrss) * 1024.0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void BM_SimulateCli(benchmark::State& state) {
  const Case& k = kCases[state.range(0)];
  const bool trace = state.range(1) != 0;
  state.SetLabel(k.name);
  const std::string plan = tmp_path("plan.json"), db = tmp_path("runs.db"), out = tmp_path("out.json"),
                    trace_file = tmp_path("trace.json");
  const std::string bin = PARALAB_BINARY;
  if (run(bin + " plan megatron " + k.megatron_args + " --schedule 1f1b -o " + plan + " >/dev/null", nullptr) != 0) {
    state.SkipWithError("plan megatron failed");
    return;
  }
  std::string cmd = bin + " simulate --plan " + plan + " --json --db " + db + (trace ? " --trace " + trace_file : "") +
                    " >" + out;
  double rss = 0, wall = 0;
  int rc = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    rc = run(cmd, &rss);
    wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  nlohmann::json j;
  std::ifstream(out) >> j;
  if (rc != 0 || j.value("status", "") != "ok") {
    state.SkipWithError(("simulate failed: " + j.value("message", std::string("exit code ") + std::to_string(rc))).c_str());
  } else {
    state.counters["wall_s"] = wall;
    state.counters["simulate_s"] = j["timing"]["simulate_seconds"].get<double>();
    state.counters["lower_s"] = j["timing"]["lower_seconds"].get<double>();
    state.counters["peak_rss_GB"] = rss / 1e9;
    state.counters["ops"] = j["ops"].get<double>();
    state.counters["simulated_iteration_s"] = j["iteration_seconds"].get<double>();
    if (trace) state.counters["trace_MB"] = double(std::filesystem::file_size(trace_file)) / 1e6;
  }
  double load[1] = {0};
  if (getloadavg(load, 1) == 1) state.counters["load_1m"] = load[0];
  for (const std::string& f : {plan, db, out, trace_file}) std::remove(f.c_str());
}

BENCHMARK(BM_SimulateCli)
    ->ArgNames({"case", "trace"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({2, 0})
    ->Args({3, 0})
    ->Args({4, 0})
    ->Args({4, 1})
    ->Args({5, 0})
    ->Args({6, 0})
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(1);

}  // namespace
}  // namespace paralab

BENCHMARK_MAIN();
