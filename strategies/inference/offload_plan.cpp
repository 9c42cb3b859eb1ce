#include "strategies/inference/offload_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace paralab {

namespace {

constexpr const char* kScheduleNames[] = {"accelerate", "zero-inference", "llamacpp", "flexgen", "pipo"};

bool sums_to_one(double a, double b, double c) { return std::fabs(a + b + c - 1.0) < 1e-9 && a >= 0 && b >= 0 && c >= 0; }

// Peak live activations of one GPU batch in prefill (fp16): the block input
// and Q, K, V (4 rows of h per token), plus the larger of the attention
// scores (nh x s x s, no fused attention) and the MLP intermediate (h2 per
// token, twice for a gated MLP).
double activation_working_bytes(const OffloadPlan& p, const BlockCosts& c) {
  double gbs = double(p.gpu_batch), s = double(p.job.prompt_len);
  double scores = 2.0 * gbs * double(c.heads) * s * s;
  double mlp = 2.0 * gbs * s * double(c.ffn_hidden) * (c.gated_mlp ? 2.0 : 1.0);
  return 8.0 * gbs * s * double(c.hidden) + std::max(scores, mlp);
}

}  // namespace

const char* schedule_name(Schedule s) { return kScheduleNames[static_cast<int>(s)]; }

Schedule parse_schedule(const std::string& name) {
  for (int i = 0; i < 5; ++i)
    if (name == kScheduleNames[i]) return static_cast<Schedule>(i);
  throw InputError(fmt::format("unknown schedule '{}'; valid schedules are: accelerate, zero-inference, llamacpp, "
                               "flexgen, pipo",
                               name));
}

int gpu_device(const Cluster& cl) {
  for (const Device& d : cl.devices())
    if (d.spec.kind == "gpu") return d.id;
  // A host-only cluster (the host backend): device 0 stands in for the GPU.
  return cl.num_devices() > 0 ? 0 : -1;
}

int cpu_device(const Cluster& cl) {
  const int accel = gpu_device(cl);
  for (const Device& d : cl.devices())
    if (d.spec.kind == "cpu" && d.id != accel) return d.id;
  return -1;
}

Json OffloadPlan::to_json() const {
  return {{"schedule", schedule_name(schedule)},
          {"cluster", cluster},
          {"model", job.model},
          {"prompt_len", job.prompt_len},
          {"gen_len", job.gen_len},
          {"batch_size", job.batch},
          {"weights", job.weights.name},
          {"kv_dtype", job.kv.name},
          {"gpu_batch_size", gpu_batch},
          {"num_gpu_batches", num_gpu_batches},
          {"percent", {100 * w_gpu, 100 * w_cpu, 100 * kv_gpu, 100 * kv_cpu, hidden_on_gpu ? 100 : 0,
                       hidden_on_gpu ? 0 : 100}},
          {"weights_disk_fraction", w_disk},
          {"kv_disk_fraction", kv_disk},
          {"cpu_attention", cpu_attention},
          {"gpu_layers", gpu_layers},
          {"pinned_weights", pinned_weights},
          {"pinned_kv", pinned_kv},
          {"merged_copies", merged_copies},
          {"step_barrier", step_barrier},
          {"sep_layer", sep_layer},
          {"prefetch_layers", prefetch_layers},
          {"io_threads", io_threads},
          {"chunks_per_layer", chunks_per_layer},
          {"relay_pinned_bytes", relay_pinned_bytes},
          {"dequant_to_fp16", dequant_to_fp16}};
}

namespace {
bool expands_weights(const OffloadPlan& p) { return p.dequant_to_fp16 && p.job.weights.bits_per_weight < 16.0; }
bool expands_cache(const OffloadPlan& p) { return p.dequant_to_fp16 && p.job.kv.bits_per_element < 16.0; }
}  // namespace

double gemm_weight_traffic_bytes(const OffloadPlan& p, const BlockCosts& c, double fraction) {
  if (!expands_weights(p)) return fraction * c.weight_bytes;
  const double packed = c.matmul_params * p.job.weights.bits_per_weight / 8.0;
  const double other = c.weight_bytes - packed;  // fp16 norms and biases
  return fraction * (c.matmul_params * (kDecompressBytesPerElement + 2.0) + other);
}

double attention_traffic_bytes(const OffloadPlan& p, const BlockCosts& c, int64_t context) {
  const double stored = c.kv_bytes(context, p.gpu_batch);
  const double elements = 2.0 * double(c.kv_width) * double(context) * double(p.gpu_batch);
  // An expanded cache is written as fp16 (13 bytes per element) and then
  // read as fp16 by the GPU bmm or cast to fp32 for the CPU one.
  const double in = expands_cache(p) ? elements * kDecompressBytesPerElement : stored;
  if (p.cpu_attention) return in + 8.0 * elements;
  return expands_cache(p) ? in + 2.0 * elements : stored;
}

TierBytes plan_memory(const OffloadPlan& p, const BlockCosts& c, const Cluster&) {
  TierBytes t;
  const double L = c.layer_count;
  const double total_ctx = double(p.job.prompt_len + p.job.gen_len);
  const double kv_all = c.kv_bytes(int64_t(total_ctx), p.job.batch) * L;
  const double hidden_all = c.hidden_bytes_per_token * double(p.job.prompt_len) * double(p.job.batch);
  t.pageable += c.embedding_bytes;
  if (p.schedule == Schedule::kLlamaCpp) {
    double gpu_frac = double(p.gpu_layers) / L;
    t.gpu = p.gpu_layers * c.weight_bytes + c.head_bytes + kv_all * gpu_frac + activation_working_bytes(p, c) +
            2.0 * hidden_all / double(p.num_gpu_batches);
    t.pageable += (L - p.gpu_layers) * c.weight_bytes + kv_all * (1.0 - gpu_frac) + hidden_all;
    return t;
  }
  const double streamed = (1.0 - p.w_gpu) * c.weight_bytes;
  // FlexGen runs attention and MLP as separate layers (sep_layer), so its
  // double buffer (current + next) holds about one block.
  const double buffers = p.schedule == Schedule::kFlexGen ? streamed : p.weight_slots() * streamed;
  t.gpu = p.w_gpu * c.all_block_bytes() + c.head_bytes + buffers + p.kv_gpu * kv_all +
          activation_working_bytes(p, c);
  // The fp16 weights expanded for the layer being run (FlexGen runs
  // attention and MLP as separate layers: the larger of the two).
  if (expands_weights(p)) t.gpu += 2.0 * std::max(c.qkv_params + c.attention_out_params,
                                                             c.matmul_params - c.qkv_params - c.attention_out_params);
  // A streamed KV cache needs a double buffer of one GPU batch's cache.
  if (p.kv_gpu < 1.0 && !p.cpu_attention) t.gpu += 2.0 * c.kv_bytes(int64_t(total_ctx), p.gpu_batch) * (1 - p.kv_gpu);
  t.gpu += p.hidden_on_gpu ? hidden_all : 2.0 * hidden_all / double(p.num_gpu_batches);
  if (!p.hidden_on_gpu) t.pageable += hidden_all;
  (p.pinned_weights ? t.pinned : t.pageable) += p.w_cpu * c.all_block_bytes();
  (p.pinned_kv ? t.pinned : t.pageable) += p.kv_cpu * kv_all;
  t.pinned += p.relay_pinned_bytes;
  // Staging slots for SSD reads when there is no relay: one block's SSD
  // part per weight slot.
  if (p.relay_pinned_bytes == 0) t.pinned += p.weight_slots() * p.w_disk * c.weight_bytes;
  t.ssd = p.w_disk * c.all_block_bytes() + p.kv_disk * kv_all;
  return t;
}

std::string check_offload_plan(const OffloadPlan& p, const BlockCosts& c, const Cluster& cl) {
  if (p.gpu_batch <= 0 || p.num_gpu_batches <= 0)
    return fmt::format("gpu_batch_size ({}) and num_gpu_batches ({}) must be positive", p.gpu_batch,
                       p.num_gpu_batches);
  if (p.gpu_batch * p.num_gpu_batches != p.job.batch)
    return fmt::format("batch {} is not gpu_batch_size {} x num_gpu_batches {}", p.job.batch, p.gpu_batch,
                       p.num_gpu_batches);
  if (!sums_to_one(p.w_gpu, p.w_cpu, p.w_disk))
    return fmt::format("weight placement {} / {} / {} (GPU / CPU / disk) does not sum to 1", p.w_gpu, p.w_cpu, p.w_disk);
  if (!sums_to_one(p.kv_gpu, p.kv_cpu, p.kv_disk))
    return fmt::format("KV placement {} / {} / {} (GPU / CPU / disk) does not sum to 1", p.kv_gpu, p.kv_cpu, p.kv_disk);
  if (p.prefetch_layers < 0 || p.io_threads < 1 || p.chunks_per_layer < 1)
    return fmt::format("prefetch_layers ({}) must be >= 0, io_threads ({}) and chunks_per_layer ({}) >= 1",
                       p.prefetch_layers, p.io_threads, p.chunks_per_layer);
  const int gpu = gpu_device(cl);
  if (gpu < 0) return fmt::format("cluster '{}' has no device", cl.name);
  if ((p.schedule == Schedule::kLlamaCpp || p.cpu_attention) && cpu_device(cl) < 0)
    return fmt::format("schedule {} computes on the CPU but cluster '{}' describes no CPU device", schedule_name(p.schedule),
                       cl.name);
  if (p.schedule == Schedule::kLlamaCpp && (p.gpu_layers < 0 || p.gpu_layers > c.layer_count))
    return fmt::format("gpu_layers {} is outside [0, {}]", p.gpu_layers, c.layer_count);
  if ((p.w_disk > 0 || p.kv_disk > 0) && !cl.disk(0)) return fmt::format("cluster '{}' has no disk", cl.name);
  TierBytes t = plan_memory(p, c, cl);
  const HostMemorySpec& hm = cl.host_memory(0);
  auto over = [](const char* tier, double need, double cap) {
    return fmt::format("{} needs {:.3f} GiB but holds {:.3f} GiB", tier, need / kGiB, cap / kGiB);
  };
  double gpu_cap = cl.device(gpu).spec.memory_bytes;
  if (t.gpu > gpu_cap) return over("GPU memory", t.gpu, gpu_cap);
  if (t.pinned > hm.pinned_capacity_bytes) return over("pinned host memory", t.pinned, hm.pinned_capacity_bytes);
  if (t.host() > hm.capacity_bytes) return over("host memory (pinned + pageable)", t.host(), hm.capacity_bytes);
  if (t.ssd > 0 && t.ssd > cl.disk(0)->capacity_bytes) return over("SSD", t.ssd, cl.disk(0)->capacity_bytes);
  return "";
}

}  // namespace paralab
