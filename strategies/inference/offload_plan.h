// OffloadPlan: how one inference job runs on a GPU too small for it — the
// schedule, the batch split, where weights / KV cache / hidden states live,
// and the pipeline parameters — plus its memory per tier.
//
// Placement uses FlexGen's notation: fractions of each block's weights on
// GPU / host / SSD (w_*), of the KV cache (kv_*), and whether the hidden
// states between blocks stay on the GPU. llama.cpp-style plans instead keep
// the first `gpu_layers` blocks on the GPU and compute the rest on the CPU
// from host memory.
//
// Schedules (see offload_lowering.h for their TaskGraphs):
//   accelerate      synchronous: load a block's weights, then compute it.
//   zero-inference  weights streamed with one block of prefetch.
//   llamacpp        first N blocks resident on the GPU, the rest on the CPU.
//   flexgen         zig-zag blocks of gpu_batch x num_gpu_batches, six tasks
//                   and a barrier per (block, GPU batch) step, per-tensor
//                   copies, 4 copy threads with 2 GiB pinned relays each.
//   pipo            dataflow: each task starts when its inputs and its
//                   channel are ready; merged per-block copies, prefetch
//                   depth, I/O threads and chunking as parameters.
// Invariants: 1. each placement triple sums to 1 (check_offload_plan);
// 2. job.batch == gpu_batch * num_gpu_batches.
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "core/cluster.h"
#include "core/json_reader.h"
#include "strategies/inference/inference_job.h"

namespace paralab {

enum class Schedule { kAccelerate, kZeroInference, kLlamaCpp, kFlexGen, kPipo };
const char* schedule_name(Schedule s);
// InputError listing the valid names.
Schedule parse_schedule(const std::string& name);

struct OffloadPlan {
  Schedule schedule = Schedule::kPipo;
  std::string cluster;
  InferenceJob job;
  int64_t gpu_batch = 1, num_gpu_batches = 1;
  double w_gpu = 0, w_cpu = 1, w_disk = 0;
  double kv_gpu = 1, kv_cpu = 0, kv_disk = 0;
  bool hidden_on_gpu = true;
  bool cpu_attention = false;   // attention over host-held KV runs on the CPU
  int gpu_layers = 0;           // llamacpp only
  bool pinned_weights = true;   // host-held weights page-locked
  bool pinned_kv = true;        // host-held KV cache page-locked
  bool merged_copies = true;    // one copy per block (else one per tensor)
  bool step_barrier = false;    // wait for all tasks after each step
  bool sep_layer = false;       // barrier steps per attention and per MLP (FlexGen's --sep-layer, default on)
  int prefetch_layers = 1;      // weight look-ahead; buffer slots = prefetch + 1
  int io_threads = 1;           // concurrent SSD readers
  int chunks_per_layer = 1;     // a block's SSD bytes are read as this many requests
  double relay_pinned_bytes = 0;  // pinned relay buffers (FlexGen: 4 x 2 GiB)
  // Quantized weights and KV cache are expanded to fp16 tensors before each
  // use (FlexGen's --compress-weight / --compress-cache path) instead of
  // being read by fused kernels at their packed size.
  bool dequant_to_fp16 = false;

  int weight_slots() const { return prefetch_layers + 1; }
  Json to_json() const;
};

// Memory traffic of a block's kernels, as the plan's runtime moves it.
// Fused kernels read quantized weights and caches at their packed size.
// With dequant_to_fp16 (FlexGen's group-wise 4-bit --compress-weight /
// --compress-cache) every use first materializes fp16 tensors
// (compression.py, TorchCompressedDevice.decompress, called from mha /
// mha_gen / mlp for every GPU batch): the high and low nibbles go through
// uint8 temporaries into fp16 (0.5 + 0.5 + 0.5 + 1 bytes per element,
// twice), then div_ by the scale and add_ the minimum in place (2 + 2 twice):
// 13 bytes per element, after which the fp16 GEMM or bmm reads 2 more.
// Attention over a CPU-held cache (FlexGen's --cpu-cache-compute, the only
// CPU attention here; pytorch_backend.py mha_gen) casts K and V to fp32
// first (k.float(), v.float(): write 4 bytes per element) and the fp32 bmm
// reads them again (4 bytes).
constexpr double kDecompressBytesPerElement = 13.0;
// GPU memory bytes the GEMMs of one block move for one GPU batch (weights;
// `fraction` of the block's matrices).
double gemm_weight_traffic_bytes(const OffloadPlan& p, const BlockCosts& c, double fraction = 1.0);
// Bytes one decode attention over `context` positions of one GPU batch
// moves, on the GPU or (cpu_attention) on the CPU.
double attention_traffic_bytes(const OffloadPlan& p, const BlockCosts& c, int64_t context);

// Peak bytes a plan needs in each tier (analytic; the lowering allocates
// exactly these at the start of the run).
struct TierBytes {
  double gpu = 0, pinned = 0, pageable = 0, ssd = 0;
  double host() const { return pinned + pageable; }
};
TierBytes plan_memory(const OffloadPlan& p, const BlockCosts& c, const Cluster& cl);

// "" when the plan is well formed and fits; otherwise why not, naming the
// tier, the bytes needed and its capacity (or the field and its value).
std::string check_offload_plan(const OffloadPlan& p, const BlockCosts& c, const Cluster& cl);

// The device that plays the GPU: the first GPU, or device 0 on a host-only
// cluster (the host backend's "device" worker); and the first CPU device
// other than it (-1 if absent).
int gpu_device(const Cluster& cl);
int cpu_device(const Cluster& cl);

}  // namespace paralab
