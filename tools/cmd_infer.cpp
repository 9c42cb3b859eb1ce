// `paralab plan infer`: offloaded inference on a GPU too small for the model
// — pick (or take from FlexGen-style flags) a plan for one of five schedules,
// simulate it, print throughput, GPU and channel utilization and peak memory
// per tier, and record the run.
//
// Exit codes: 0 the plan ran; 1 it is infeasible or ran out of memory (a
// recorded run); 2 bad input.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "core/catalog.h"
#include "core/error.h"
#include "core/hardware_profile.h"
#include "real/run_graph.h"
#include "results/store.h"
#include "strategies/inference/offload_lowering.h"
#include "strategies/inference/offload_planner.h"
#include "tools/cli_common.h"

namespace paralab::cli {

namespace {

struct InferOptions {
  std::string model, cluster, schedule = "pipo", weights = "fp16", kv = "fp16", out, trace, execute, profile, scratch_dir;
  int repetitions = 1;
  int64_t prompt_len = 512, gen_len = 32, batch = 0, gpu_batch = 0, num_gpu_batches = 0;
  std::vector<double> percent;
  std::vector<std::string> sets;  // cluster overrides (--set)
  int pin_weight = -1;  // -1: the schedule's default
  bool compress_weight = false;
  FixedKnobs fixed;
};

void print_result(const InferenceResult& r, const PlanSearch* s) {
  const OffloadPlan& p = r.plan;
  fmt::print("{} on {}: {} prompt {} + {} generated, weights {}, KV {}\n", p.job.model, p.cluster,
             schedule_name(p.schedule), p.job.prompt_len, p.job.gen_len, p.job.weights.name, p.job.kv.name);
  fmt::print("  batch {} = {} x {} GPU batches; weights GPU/CPU/SSD {:.0f}/{:.0f}/{:.0f}%{}, KV GPU/CPU/SSD "
             "{:.0f}/{:.0f}/{:.0f}%{}{}\n",
             p.job.batch, p.gpu_batch, p.num_gpu_batches, 100 * p.w_gpu, 100 * p.w_cpu, 100 * p.w_disk,
             p.pinned_weights ? " (pinned)" : " (pageable)", 100 * p.kv_gpu, 100 * p.kv_cpu, 100 * p.kv_disk,
             p.pinned_kv ? " (pinned)" : " (pageable)", p.cpu_attention ? ", attention on the CPU" : "");
  if (p.schedule == Schedule::kLlamaCpp) fmt::print("  {} blocks on the GPU, the rest on the CPU\n", p.gpu_layers);
  if (p.schedule == Schedule::kPipo)
    fmt::print("  prefetch {} blocks, {} I/O threads, {} SSD requests per block\n", p.prefetch_layers, p.io_threads,
               p.chunks_per_layer);
  if (p.schedule == Schedule::kZeroInference) fmt::print("  prefetch {} blocks\n", p.prefetch_layers);
  if (s) fmt::print("  search: {} candidates, {} feasible, {} simulated ({:.2f} s)\n", s->candidates, s->feasible, s->simulated, s->seconds);
  fmt::print("status: {}{}\n", r.status, r.message.empty() ? "" : " — " + r.message);
  const TierBytes& m = r.analytic_memory;
  fmt::print("memory per tier: GPU {}, pinned {}, pageable {}, SSD {}\n", human_bytes(m.gpu), human_bytes(m.pinned),
             human_bytes(m.pageable), human_bytes(m.ssd));
  if (r.status != "ok") return;
  fmt::print("throughput {:.4g} tokens/s; prefill {:.3f} s, decode {:.3f} s\n", r.tokens_per_second, r.prefill_seconds,
             r.decode_seconds);
  fmt::print("GPU utilization {:.1f}%, CPU {:.1f}%; channels: SSD read {:.1f}%, H2D {:.1f}%, D2H {:.1f}%\n",
             100 * r.gpu_utilization, 100 * r.cpu_utilization, 100 * r.ssd_read_utilization, 100 * r.h2d_utilization,
             100 * r.d2h_utilization);
  fmt::print("{} ops; lowering {:.3f} s, simulation {:.3f} s\n", r.ops, r.lower_seconds, r.simulate_seconds);
}

// FlexGen's command line: --percent wg wc cg cc hg hc, disk gets the rest.
OffloadPlan flexgen_user_plan(const InferOptions& a, const InferenceJob& job, const BlockCosts& c, const Cluster& cl) {
  if (a.percent.size() != 6)
    throw InputError(fmt::format("--percent takes 6 numbers (wg wc cg cc hg hc), got {}", a.percent.size()));
  for (double v : a.percent)
    if (v < 0 || v > 100) throw InputError(fmt::format("--percent: {} is outside [0, 100]", v));
  if (a.percent[0] + a.percent[1] > 100 || a.percent[2] + a.percent[3] > 100 || a.percent[4] + a.percent[5] != 100)
    throw InputError("--percent: wg + wc and cg + cc must be <= 100 and hg + hc == 100 (hidden states cannot go to disk)");
  int64_t gbs = a.gpu_batch > 0 ? a.gpu_batch : 4, nb = a.num_gpu_batches > 0 ? a.num_gpu_batches : 1;
  if (a.batch > 0 && a.batch != gbs * nb)
    throw InputError(fmt::format("--batch {} disagrees with --gpu-batch-size {} x --num-gpu-batches {} = {}", a.batch,
                                 gbs, nb, gbs * nb));
  OffloadPlan p = schedule_plan(Schedule::kFlexGen, job, gbs, nb, c, cl);
  p.w_gpu = a.percent[0] / 100, p.w_cpu = a.percent[1] / 100, p.w_disk = 1 - p.w_gpu - p.w_cpu;
  p.kv_gpu = a.percent[2] / 100, p.kv_cpu = a.percent[3] / 100, p.kv_disk = 1 - p.kv_gpu - p.kv_cpu;
  p.hidden_on_gpu = a.percent[4] == 100;
  // FlexGen's bench suite runs these policies with --cpu (attention over a
  // CPU-held cache on the CPU) whenever the cache is on the CPU.
  p.cpu_attention = p.kv_cpu > 0 && cpu_device(cl) >= 0;
  p.pinned_weights = a.pin_weight != 0;  // FlexGen's --pin-weight (default 1)
  // FlexGen's --compress-weight: 4-bit weights (and a 4-bit cache) expanded
  // to fp16 before every use, instead of read by fused kernels.
  if (a.compress_weight) {
    if (job.weights.bits_per_weight >= 16.0)
      throw InputError("--compress-weight needs quantized weights (--weights int4-g128, int4-g64, ...), got fp16");
    p.dequant_to_fp16 = true;
  }
  return p;
}

// Runs the plan's TaskGraph for real (the same graph the simulator ran):
// SSD bytes from the scratch file with O_DIRECT, copies between the host
// executor's pinned / pageable / device arenas, compute on the device
// worker. A record with backend real-host / real-cuda.
RunRecord execute_plan(const InferenceResult& r, const ModelGraph& m, const Cluster& cl, const InferOptions& a) {
  TaskGraph g = lower_offload_plan(r.plan, block_costs(m, r.plan.job), cl);
  real::RunGraphOptions ro;
  ro.backend = a.execute;
  ro.cluster_arg = a.cluster;
  ro.exec.repetitions = a.repetitions;
  ro.exec.scratch_dir = a.scratch_dir;
  ro.exec.keep_timings = false;
  std::vector<real::RankResult> ranks;
  RunRecord rec = real::run_graph(g, cl, ro, &ranks);
  rec.model = r.plan.job.model;
  rec.set_cluster(cl);
  rec.strategy = schedule_name(r.plan.schedule);
  rec.config = r.plan.to_json();
  rec.throughput = rec.step_seconds > 0 ? double(r.plan.job.batch * r.plan.job.gen_len) / rec.step_seconds : 0;
  rec.throughput_unit = "tokens_per_s";
  rec.metrics["simulated_seconds"] = r.total_seconds;
  rec.metrics["simulated_gpu_utilization"] = r.gpu_utilization;
  return rec;
}

void run_infer(const CommonOptions& o, const InferOptions& a) {
  ModelGraph m = load_model(a.model);
  Cluster cl = load_cluster(a.cluster, 0, a.sets);
  apply_profile_option(a.profile, &cl);
  InferenceJob job;
  job.model = m.name();
  job.prompt_len = a.prompt_len;
  job.gen_len = a.gen_len;
  job.weights = parse_weight_format(a.weights);
  job.kv = parse_kv_format(a.kv);
  job.batch = a.batch > 0 ? a.batch : 1;
  BlockCosts c = block_costs(m, job);
  Schedule s = parse_schedule(a.schedule);
  FixedKnobs knobs = a.fixed;
  knobs.pinned_weights = a.pin_weight;
  check_fixed_knobs(s, knobs);
  const bool flexgen_flags =
      !a.percent.empty() || a.gpu_batch > 0 || a.num_gpu_batches > 0 || a.compress_weight ||
      (a.pin_weight >= 0 && s != Schedule::kZeroInference);
  if (flexgen_flags && s != Schedule::kFlexGen)
    throw InputError(
        "--percent, --gpu-batch-size, --num-gpu-batches, --pin-weight and --compress-weight are FlexGen's flags: use them "
        "with --schedule flexgen (zero-inference takes --pin-weight too)");
  InferenceResult r;
  PlanSearch search;
  const bool searched = !flexgen_flags;
  std::string trace;
  if (flexgen_flags) {
    InferOptions b = a;
    if (b.percent.empty()) b.percent = {0, 100, 0, 100, 0, 100};
    r = simulate_offload(flexgen_user_plan(b, job, c, cl), m, cl, a.trace.empty() ? nullptr : &trace);
  } else {
    search = search_plan(s, job, m, cl, a.batch, 3, knobs);
    r = search.best;
    if (!a.trace.empty() && r.status == "ok") r = simulate_offload(r.plan, m, cl, &trace);
  }
  if (!a.out.empty()) {
    std::ofstream f(a.out);
    if (!f) throw InputError(fmt::format("-o: cannot write {}", a.out));
    f << r.plan.to_json().dump(2) << "\n";
  }
  if (!a.trace.empty()) {
    std::ofstream f(a.trace);
    if (!f) throw InputError(fmt::format("--trace: cannot write {}", a.trace));
    f << trace;
  }
  ResultsStore store(db_path(o));
  int64_t id = store.insert(inference_run_record(r));
  Json j = inference_result_json(r);
  j["run_id"] = id;
  std::string real_text, real_status = "ok", real_message;
  if (!a.execute.empty() && r.status == "ok") {
    RunRecord real = execute_plan(r, m, cl, a);
    real_status = real.status, real_message = real.message;
    j["real"] = {{"backend", real.backend},
                 {"status", real.status},
                 {"message", real.message},
                 {"seconds", real.step_seconds},
                 {"tokens_per_second", real.throughput},
                 {"device_busy", real.device_utilization.at(gpu_device(cl))},
                 {"relative_error_seconds", r.total_seconds > 0 ? real.step_seconds / r.total_seconds - 1 : 0.0},
                 {"notes", real.metrics.contains("notes") ? real.metrics["notes"] : Json::array()},
                 {"run_id", store.insert(real)}};
    real_text = fmt::format(
        "{} run: {} — measured {:.3f} s ({:.4g} tokens/s), device busy {:.1f}%; simulated {:.3f} s, busy {:.1f}%; "
        "time error {:+.1f}%\n",
        real.backend, real.status, real.step_seconds, real.throughput, 100 * real.device_utilization.at(gpu_device(cl)),
        r.total_seconds, 100 * r.gpu_utilization, 100 * (real.step_seconds / r.total_seconds - 1));
    for (const auto& n : j["real"]["notes"]) real_text += fmt::format("  note: {}\n", n.get<std::string>());
  }
  if (searched)
    j["timing"]["search_seconds"] = search.seconds, j["search"] = {{"candidates", search.candidates},
                                                                 {"feasible", search.feasible},
                                                                 {"simulated", search.simulated}};
  emit(o, j, [&] {
    print_result(r, searched ? &search : nullptr);
    fmt::print("{}", real_text);
  });
  if (r.status != "ok") throw run_failed("plan infer", r.status, r.message);  // a recorded run (DESIGN.md exit codes)
  if (real_status != "ok") throw run_failed("plan infer --execute " + a.execute, real_status, real_message);
}

void register_infer(CLI::App& app) {
  CLI::App* plan = app.get_subcommand("plan");
  auto* cmd = plan->add_subcommand("infer", "Offloaded inference: plan and simulate one of five schedules");
  auto& o = add_common(cmd);
  static InferOptions a;
  cmd->add_option("--model", a.model, "Model (catalog name or file)")->required();
  cmd->add_option("--cluster", a.cluster, "Cluster (catalog name or file)")->required();
  add_cluster_set_option(cmd, &a.sets);
  cmd->add_option("--prompt-len", a.prompt_len, "Prompt length s")->check(CLI::PositiveNumber);
  cmd->add_option("--gen-len", a.gen_len, "Generated tokens n")->check(CLI::PositiveNumber);
  cmd->add_option("--batch", a.batch, "Sequences (default: the schedule picks its best)")->check(CLI::PositiveNumber);
  cmd->add_option("--schedule", a.schedule, "pipo | flexgen | accelerate | zero-inference | llamacpp");
  cmd->add_option("--weights", a.weights, "fp16, int8, int4-g128, int4-g64 or a `quantize --list` format");
  cmd->add_option("--kv-dtype", a.kv, "fp16 | int8 | int4");
  cmd->add_option("--percent", a.percent, "FlexGen policy: wg wc cg cc hg hc (percent; disk gets the rest)")->expected(6);
  cmd->add_option("--gpu-batch-size", a.gpu_batch, "FlexGen GPU batch size")->check(CLI::PositiveNumber);
  cmd->add_option("--num-gpu-batches", a.num_gpu_batches, "FlexGen GPU batches per block")->check(CLI::PositiveNumber);
  cmd->add_option("--pin-weight", a.pin_weight,
                  "FlexGen, zero-inference: 1 pins host-held weights where the pinned pool holds them (default), 0 "
                  "keeps them pageable (ZeRO-3's offload_param pin_memory)")
      ->check(CLI::Range(0, 1));
  cmd->add_flag("--compress-weight", a.compress_weight,
                "FlexGen: expand quantized weights and cache to fp16 before each use (its --compress-weight path)");
  cmd->add_option("--offload-to", a.fixed.offload_to,
                  "accelerate, zero-inference: every block's weights on one tier, gpu | cpu | disk (Accelerate's "
                  "device_map, ZeRO-3's offload_param device); default: the schedule's rule (accelerate: the largest "
                  "share that fits on each tier; zero-inference: all in host memory if it fits, else all on the SSD)");
  cmd->add_option("--prefetch-layers", a.fixed.prefetch_layers,
                  "zero-inference: blocks fetched ahead (default 1; 0 = each block fetched, then computed)")
      ->check(CLI::NonNegativeNumber);
  add_profile_option(cmd, &a.profile);
  cmd->add_option("--execute", a.execute, "Also run the plan's graph for real on this backend (host | cuda)")
      ->check(CLI::IsMember({"host", "cuda"}));
  cmd->add_option("--repetitions", a.repetitions, "With --execute: timed runs, the fastest kept")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--scratch-dir", a.scratch_dir,
                  "With --execute: directory for the SSD scratch file (default results/ of the source tree)");
  cmd->add_option("-o,--out", a.out, "Write the plan as JSON");
  cmd->add_option("--trace", a.trace, "Write a Chrome/Perfetto trace of the run");
  cmd->callback([&o] { run_infer(o, a); });
}

}  // namespace

static const CommandRegistration kRegistration(45, &register_infer);

}  // namespace paralab::cli
