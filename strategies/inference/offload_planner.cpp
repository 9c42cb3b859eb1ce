#include "strategies/inference/offload_planner.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "core/cost_model.h"
#include "core/error.h"

namespace paralab {

namespace {

// Share of GPU memory a planner fills (the rest: CUDA context, allocator
// fragmentation); of host memory (the OS and the page cache's floor).
constexpr double kGpuFill = 0.92, kHostFill = 0.9;

bool keeps_kv_on_gpu(Schedule s) {
  return s == Schedule::kAccelerate || s == Schedule::kZeroInference || s == Schedule::kLlamaCpp;
}

OffloadPlan base_plan(Schedule s, const InferenceJob& job, int64_t gbs, int64_t nb, const Cluster& cl) {
  OffloadPlan p;
  p.schedule = s;
  p.cluster = cl.name;
  p.job = job;
  p.job.batch = gbs * nb;
  p.gpu_batch = gbs;
  p.num_gpu_batches = nb;
  switch (s) {
    case Schedule::kAccelerate:  // hooks move each module's tensors before its forward
      p.prefetch_layers = 0;
      p.merged_copies = false;
      p.pinned_weights = false;
      break;
    case Schedule::kZeroInference:  // pinned CPU params or NVMe via async I/O, one layer ahead
      p.prefetch_layers = 1;
      p.chunks_per_layer = 8;
      break;
    case Schedule::kLlamaCpp:
      break;
    case Schedule::kFlexGen:  // REFERENCES Part B 2.2 / 2.5
      p.prefetch_layers = 1;
      p.merged_copies = false;
      p.step_barrier = true;
      p.sep_layer = true;  // flex_opt.py: --sep-layer defaults to True
      p.io_threads = 4;
      // 4 copy threads x 1 Gi fp16 elements; on a what-if machine with a
      // pinned pool under 8 GiB, scaled to half the pool.
      p.relay_pinned_bytes = std::min(4 * 2 * kGiB, cl.host_memory(0).pinned_capacity_bytes >= 4 * 2 * kGiB
                                                        ? 4 * 2 * kGiB
                                                        : cl.host_memory(0).pinned_capacity_bytes / 2);
      p.pinned_kv = false;
      break;
    case Schedule::kPipo:
      p.prefetch_layers = 2;
      p.io_threads = 2;
      p.chunks_per_layer = 4;
      break;
  }
  return p;
}

void place_llamacpp(OffloadPlan& p, const BlockCosts& c, const Cluster& cl) {
  p.w_gpu = 0, p.w_cpu = 1, p.w_disk = 0;
  const double cap = kGpuFill * cl.device(gpu_device(cl)).spec.memory_bytes;
  p.gpu_layers = 0;
  for (int n = c.layer_count; n >= 0; --n) {
    p.gpu_layers = n;
    if (plan_memory(p, c, cl).gpu <= cap) break;
  }
}

// Fills the placement fractions of `p` (see the header's placement rule);
// `offload_to` puts every block's weights on that tier instead.
void place(OffloadPlan& p, const BlockCosts& c, const Cluster& cl, const std::string& offload_to = "") {
  if (p.schedule == Schedule::kLlamaCpp) return place_llamacpp(p, c, cl);
  const double cap = kGpuFill * cl.device(gpu_device(cl)).spec.memory_bytes;
  auto gpu_at = [&](double wg) {
    OffloadPlan q = p;
    q.w_gpu = wg, q.w_cpu = 1 - wg, q.w_disk = 0;
    return plan_memory(q, c, cl).gpu;
  };
  p.kv_gpu = 1, p.kv_cpu = 0, p.kv_disk = 0;
  if (!keeps_kv_on_gpu(p.schedule) && gpu_at(0) > cap) p.kv_gpu = 0, p.kv_cpu = 1;
  double g0 = gpu_at(0), g1 = gpu_at(1);
  double wg = g1 <= cap ? 1.0 : g1 > g0 ? std::clamp((cap - g0) / (g1 - g0), 0.0, 1.0) : 0.0;
  // ZeRO-Inference partitions every parameter to CPU or NVMe (ZeRO-3
  // offload) and fetches each block before use: nothing stays resident.
  if (p.schedule == Schedule::kZeroInference) wg = 0;
  wg = std::floor(wg * 100.0) / 100.0;  // integer percentages, as FlexGen's --percent
  const double rest = 1.0 - wg;
  p.w_gpu = wg, p.w_cpu = 0, p.w_disk = rest;
  const HostMemorySpec& hm = cl.host_memory(0);
  TierBytes t0 = plan_memory(p, c, cl);
  double host_free = std::max(0.0, kHostFill * hm.capacity_bytes - t0.host());
  double wc = c.all_block_bytes() > 0 ? std::min(rest, host_free / c.all_block_bytes()) : rest;
  wc = std::floor(wc * 100.0) / 100.0;
  if (rest - wc < 0.01) wc = rest;
  // ZeRO-3 offloads parameters to one device, CPU or NVMe (its
  // `offload_param.device`): a model that does not fit in host memory goes
  // to NVMe whole.
  if (p.schedule == Schedule::kZeroInference && wc < rest) wc = 0;
  p.w_cpu = wc, p.w_disk = std::max(0.0, rest - wc);
  if (!offload_to.empty())
    p.w_gpu = offload_to == "gpu", p.w_cpu = offload_to == "cpu", p.w_disk = offload_to == "disk";
  if (p.pinned_weights) {  // pin what the pinned pool can hold, else stay pageable
    TierBytes t = plan_memory(p, c, cl);
    if (t.pinned > hm.pinned_capacity_bytes) p.pinned_weights = false;
  }
  if (p.kv_cpu > 0 && p.pinned_kv && plan_memory(p, c, cl).pinned > hm.pinned_capacity_bytes) p.pinned_kv = false;
}

}  // namespace

void check_fixed_knobs(Schedule s, const FixedKnobs& k) {
  if (!k.offload_to.empty()) {
    if (k.offload_to != "gpu" && k.offload_to != "cpu" && k.offload_to != "disk")
      throw InputError(fmt::format("--offload-to: '{}' is not a tier (expected gpu, cpu or disk)", k.offload_to));
    if (s != Schedule::kAccelerate && s != Schedule::kZeroInference)
      throw InputError(fmt::format("--offload-to applies to accelerate and zero-inference, not {} (FlexGen takes "
                                   "--percent; llamacpp and pipo place weights themselves)",
                                   schedule_name(s)));
  }
  if (k.prefetch_layers >= 0 && s != Schedule::kZeroInference)
    throw InputError(fmt::format("--prefetch-layers applies to zero-inference, not {}", schedule_name(s)));
  if (k.pinned_weights >= 0 && s != Schedule::kZeroInference && s != Schedule::kFlexGen)
    throw InputError(fmt::format("--pin-weight applies to flexgen and zero-inference, not {}", schedule_name(s)));
}

OffloadPlan schedule_plan(Schedule s, const InferenceJob& job, int64_t gbs, int64_t nb, const BlockCosts& c,
                          const Cluster& cl) {
  OffloadPlan p = base_plan(s, job, gbs, nb, cl);
  place(p, c, cl);
  return p;
}

double analytic_estimate(const OffloadPlan& p, const BlockCosts& c, const Cluster& cl) {
  CostModel cm(cl);
  const int gpu = gpu_device(cl), cpu = cpu_device(cl);
  const Device& gd = cl.device(gpu);
  const double pcie = cl.route_bandwidth_bytes_per_s(cl.route(cl.host_memory_vertex(0), gd.vertex));
  const double pageable = std::min(pcie, cl.host_memory(0).pageable_copy_bytes_per_s);
  const DiskSpec* disk = cl.disk(0);
  const double disk_bw = disk ? disk->read_bytes_per_s : 1.0;
  const double wb = c.weight_bytes, gw = gemm_weight_traffic_bytes(p, c), nb = double(p.num_gpu_batches);
  const int64_t s = p.job.prompt_len, n = p.job.gen_len, mean_ctx = s + n / 2;
  auto secs = [&](int dev, ComputeKind k, double f, double b, const GemmShape* sh = nullptr) {
    const DType dt = cl.device(dev).spec.kind == "gpu" ? DType::kFp16 : DType::kFp32;
    return ns_to_seconds(cm.compute(dev, k, f, b, dt, sh, sh ? &p.job.weights.name : nullptr).total_ns());
  };
  // A decode step's GEMMs on the GPU device, as the lowering's decode_gemm
  // op: the device's calibrated quantized-GEMM rate where it has one.
  auto decode_gemm_secs = [&](double f, double b) {
    const DecodeGemmShape q = decode_gemm_shape(p.job, c, c.matmul_params, p.gpu_batch);
    const GemmShape sh{q.m, q.n, q.k, 0, false};
    return secs(gpu, ComputeKind::kGemm, f, b, q.quantized() ? &sh : nullptr);
  };
  auto visit = [&](bool prefill) {
    double comp = 0;
    const int64_t pos = prefill ? s : 1;
    if (p.schedule == Schedule::kLlamaCpp) {
      double g = p.gpu_layers / double(c.layer_count);
      double f = prefill ? c.prefill_flops(s, p.gpu_batch) : c.decode_gemm_flops(p.gpu_batch);
      double b = wb + (prefill ? 0 : c.kv_bytes(mean_ctx, p.gpu_batch));
      return nb * (g * secs(gpu, ComputeKind::kGemm, f, b) + (1 - g) * secs(cpu, ComputeKind::kGemm, f, b));
    }
    if (prefill)
      comp = nb * secs(gpu, ComputeKind::kGemm, c.prefill_flops(s, p.gpu_batch), gw);
    else
      comp = nb * (decode_gemm_secs(c.decode_gemm_flops(p.gpu_batch), gw) +
                   secs(p.cpu_attention ? cpu : gpu, ComputeKind::kAttention,
                        c.decode_attention_flops(mean_ctx, p.gpu_batch), attention_traffic_bytes(p, c, mean_ctx)));
    const double kv_rate = p.pinned_kv ? pcie : pageable, w_rate = p.pinned_weights ? pcie : pageable;
    double kv_in = (prefill || p.cpu_attention) ? 0 : nb * (1 - p.kv_gpu) * c.kv_bytes(mean_ctx, p.gpu_batch);
    double h2d = p.w_cpu * wb / w_rate + p.w_disk * wb / pcie + kv_in / kv_rate;
    double ssd = (p.w_disk * wb + nb * p.kv_disk * (prefill ? 0 : c.kv_bytes(mean_ctx, p.gpu_batch))) / disk_bw;
    double d2h = nb * (1 - p.kv_gpu) * c.kv_bytes(pos, p.gpu_batch) / kv_rate;
    // Synchronous (nothing fetched ahead) or a barrier per step.
    if (p.schedule == Schedule::kAccelerate || !p.merged_copies || p.prefetch_layers == 0)
      return p.step_barrier ? std::max({comp, h2d + ssd, d2h}) : comp + h2d + ssd;
    return std::max({comp, h2d, ssd, d2h});
  };
  return c.layer_count * (visit(true) + double(n - 1) * visit(false));
}

PlanSearch search_plan(Schedule s, const InferenceJob& job, const ModelGraph& m, const Cluster& cl,
                       int64_t fixed_batch, int confirm, const FixedKnobs& fixed) {
  check_fixed_knobs(s, fixed);
  auto t0 = std::chrono::steady_clock::now();
  PlanSearch out;
  BlockCosts c = block_costs(m, job);
  const bool multi = s == Schedule::kFlexGen || s == Schedule::kPipo;
  std::vector<std::pair<int64_t, int64_t>> splits;
  for (int64_t gbs : {1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256})
    for (int64_t nb : {1, 2, 3, 4, 6, 8, 12, 16}) {
      if (!multi && nb > 1) continue;
      if (fixed_batch > 0 && gbs * nb != fixed_batch) continue;
      splits.push_back({gbs, nb});
    }
  if (fixed_batch > 0 && splits.empty()) splits.push_back({fixed_batch, 1});
  std::vector<std::pair<double, OffloadPlan>> ranked;
  // The schedule's plan for a split, with what the user fixed.
  auto fixed_plan = [&](int64_t gbs, int64_t nb) {
    OffloadPlan b = base_plan(s, job, gbs, nb, cl);
    if (fixed.prefetch_layers >= 0) b.prefetch_layers = fixed.prefetch_layers;
    if (fixed.pinned_weights >= 0) b.pinned_weights = fixed.pinned_weights != 0;
    return b;
  };
  for (auto [gbs, nb] : splits) {
    std::vector<OffloadPlan> variants;
    OffloadPlan b = fixed_plan(gbs, nb);
    if (s == Schedule::kPipo) {
      for (int pf : {1, 2, 3})
        for (int io : {1, 2, 4})
          for (int ch : {1, 4, 16}) {
            OffloadPlan q = b;
            q.prefetch_layers = pf, q.io_threads = io, q.chunks_per_layer = ch;
            variants.push_back(q);
          }
    } else if (s == Schedule::kFlexGen && cpu_device(cl) >= 0) {
      variants.push_back(b);
      b.cpu_attention = true;
      variants.push_back(b);
    } else {
      variants.push_back(b);
    }
    for (OffloadPlan& q : variants) {
      place(q, c, cl, fixed.offload_to);
      if (q.cpu_attention && q.kv_cpu == 0) continue;
      out.candidates++;
      if (!check_offload_plan(q, c, cl).empty()) continue;
      out.feasible++;
      double t = analytic_estimate(q, c, cl);
      ranked.push_back({double(q.job.batch * q.job.gen_len) / t, q});
    }
  }
  if (ranked.empty()) {
    // Nothing fits: report the verdict on the requested (or smallest) batch,
    // placed as the user fixed it.
    OffloadPlan q = fixed_plan(fixed_batch > 0 ? fixed_batch : 1, 1);
    place(q, c, cl, fixed.offload_to);
    out.best = simulate_offload(q, m, cl);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (int i = 0; i < confirm && i < int(ranked.size()); ++i) {
    InferenceResult r = simulate_offload(ranked[i].second, m, cl);
    out.simulated++;
    if (r.status == "ok" && (out.best.status != "ok" || r.tokens_per_second > out.best.tokens_per_second))
      out.best = std::move(r);
    else if (i == 0 && r.status != "ok")
      out.best = std::move(r);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace paralab
