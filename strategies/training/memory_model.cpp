#include "strategies/training/memory_model.h"

#include <fmt/format.h>

#include <algorithm>

#include "strategies/training/pipeline_schedule.h"

namespace paralab {

namespace {

bool is_block(LayerKind k) { return k == LayerKind::kEncoderBlock || k == LayerKind::kDecoderBlock; }

double human_gib(double b) { return b / (1024.0 * 1024.0 * 1024.0); }

// Per-sample parts of a block's activations (16-bit): replicated R,
// TP-sharded S, attention core C (see the header).
struct BlockParts {
  double r = 0, s = 0, c = 0;
};

BlockParts block_parts(const Layer& l, int64_t seq) {
  double t = double(l.tokens(seq));
  double h = double(l.shape.hidden);
  double keys = l.shape.window_tokens > 0 ? std::min<double>(double(l.shape.window_tokens), t) : t;
  BlockParts p;
  p.c = 5.0 * double(l.shape.heads) * t * keys;
  if (l.shape.cross_attention) p.c += 5.0 * double(l.shape.heads) * t * t;
  p.r = 10.0 * t * h;
  p.s = l.activation_bytes(seq) - p.r - p.c;
  return p;
}

int physical_stages(const TrainingPlan& p) { return p.pipeline_depth(); }
int chunks_of(const TrainingPlan& p) {
  return p.schedule == PipelineSchedule::kInterleaved ? std::max(1, p.chunks) : 1;
}

}  // namespace

double optimizer_step_bytes_per_param(Precision p) {
  switch (p) {
    case Precision::kFp16: return 56.0;
    case Precision::kBf16: return 50.0;
    case Precision::kFp32: return 40.0;
  }
  return 56.0;
}

double model_state_bytes(double params, Precision p, const LayerStrategy& s) {
  bool mixed = p != Precision::kFp32;
  double w = mixed ? 2 : 4, g = mixed ? 2 : 4, o = mixed ? 12 : 8;
  double f = std::max(1, s.fsdp);
  switch (s.zero_stage) {
    case 1: o /= f; break;
    case 2: o /= f; g /= f; break;
    case 3: o /= f; g /= f; w /= f; break;
    default: break;
  }
  return params / double(std::max(1, s.tp)) * (w + g + o);
}

double layer_trainable_params(const TrainingPlan& plan, const ModelGraph& m, int layer) {
  const double all = layer_state_params(plan, m, layer);
  if (plan.trainable_params.empty()) return all;
  return std::min(all, plan.trainable_params[static_cast<size_t>(layer)]);
}

double layer_model_state_bytes(const TrainingPlan& plan, const ModelGraph& m, int layer) {
  const LayerStrategy& s = plan.layers[static_cast<size_t>(layer)];
  const double trainable = layer_trainable_params(plan, m, layer);
  const double frozen = layer_state_params(plan, m, layer) - trainable;
  double w = plan.precision == Precision::kFp32 ? 4 : 2;
  if (s.zero_stage == 3) w /= double(std::max(1, s.fsdp));
  return model_state_bytes(trainable, plan.precision, s) + frozen / double(std::max(1, s.tp)) * w;
}

double layer_activation_bytes(const Layer& l, int64_t seq, int64_t samples, Precision p, const LayerStrategy& s) {
  double b = double(samples) / double(s.batch_split());
  double tp = s.tp, sp = s.sequence_parallel ? tp : 1.0;
  double t = double(l.tokens(seq)), h = double(l.shape.hidden);
  double per_sample = 0;
  switch (l.kind) {
    case LayerKind::kEmbedding: per_sample = t * h / sp; break;
    case LayerKind::kHead:
      per_sample = l.shape.vocab > 0 ? 4.0 * t * h / sp + 4.0 * t * double(l.shape.vocab) / tp : 2.0 * t * h / sp;
      break;
    case LayerKind::kPatchMerge: per_sample = l.activation_bytes(seq) / sp; break;
    case LayerKind::kEncoderBlock:
    case LayerKind::kDecoderBlock: {
      BlockParts q = block_parts(l, seq);
      switch (s.recompute) {
        case Recompute::kNone: per_sample = s.sequence_parallel ? (q.r + q.s + q.c) / tp : q.r + (q.s + q.c) / tp; break;
        case Recompute::kSelective: per_sample = s.sequence_parallel ? (q.r + q.s) / tp : q.r + q.s / tp; break;
        case Recompute::kFull: per_sample = 2.0 * t * h / sp; break;
      }
      break;
    }
  }
  return b * per_sample * (p == Precision::kFp32 ? 2.0 : 1.0);
}

double layer_transient_bytes(const Layer& l, int64_t seq, int64_t samples, Precision p, const LayerStrategy& s) {
  double out = 0;
  if (is_block(l.kind) && s.recompute != Recompute::kNone) {
    LayerStrategy none = s;
    none.recompute = Recompute::kNone;
    out = layer_activation_bytes(l, seq, samples, p, none) - layer_activation_bytes(l, seq, samples, p, s);
  }
  if (s.zero_stage == 3 && s.fsdp > 1) {
    double w = p == Precision::kFp32 ? 4.0 : 2.0;
    out += double(l.params) / double(s.tp) * w * (1.0 - 1.0 / double(s.fsdp));
  }
  return out;
}

double layer_state_params(const TrainingPlan& plan, const ModelGraph& m, int layer) {
  const Layer& l = m.layer(layer);
  double params = double(l.params);
  // Tied output embedding: a replica when the input embedding lives elsewhere.
  if (auto [emb, head] = m.tied_embedding(); head == layer) {
    std::vector<int> stage = plan.stage_of_layers(m.num_layers());
    if (stage[emb] != stage[layer]) params += double(l.matmul_params);
  }
  return params;
}

namespace {

// Per layer of a chunk: stored activations, backward transient, forward
// transient (ZeRO-3 gathered weights).
struct LayerMem {
  double act = 0, bwd = 0, fwd = 0;
};

std::vector<std::vector<LayerMem>> chunk_layers(const TrainingPlan& plan, const ModelGraph& m, int i) {
  int p = physical_stages(plan), v = chunks_of(plan);
  std::vector<std::vector<LayerMem>> out(v);
  for (int c = 0; c < v; ++c) {
    const PipelineStage& st = plan.stages[c * p + i];
    for (int l = st.first_layer; l < st.end_layer; ++l) {
      const LayerStrategy& s = plan.layers[l];
      LayerMem x;
      x.act = layer_activation_bytes(m.layer(l), plan.seq_len, plan.micro_batch_samples(), plan.precision, s);
      x.bwd = layer_transient_bytes(m.layer(l), plan.seq_len, plan.micro_batch_samples(), plan.precision, s);
      if (s.zero_stage == 3 && s.fsdp > 1)
        x.fwd = double(m.layer(l).params) / s.tp * (plan.precision == Precision::kFp32 ? 4.0 : 2.0) *
                (1.0 - 1.0 / s.fsdp);
      out[c].push_back(x);
    }
  }
  return out;
}

struct ActivationPeak {
  double bytes = 0;            // stored activations at the peak
  std::vector<int> in_flight;  // per chunk at that point
};

// Replays the schedule layer by layer, as the lowering allocates and frees:
// a forward allocates each layer's activations (plus its gathered weights
// while it runs); a backward runs the layers in reverse with their transient
// and frees each layer's activations after it.
ActivationPeak activation_peak(const TrainingPlan& plan, int i, const std::vector<std::vector<LayerMem>>& layers,
                               double* with_transient) {
  int p = physical_stages(plan), v = chunks_of(plan);
  std::vector<int> count(v, 0);
  ActivationPeak best;
  best.in_flight = count;
  double stored = 0, peak_total = 0;
  for (const ScheduleStep& s : stage_schedule(plan.schedule, p, v, int(plan.micro_batches), i)) {
    const auto& ls = layers[s.chunk];
    if (!s.backward) {
      for (const LayerMem& x : ls) {
        stored += x.act;
        peak_total = std::max(peak_total, stored + x.fwd);
      }
      count[s.chunk]++;
      if (stored > best.bytes) best = {stored, count};
      peak_total = std::max(peak_total, stored);
    } else {
      for (auto it = ls.rbegin(); it != ls.rend(); ++it) {
        peak_total = std::max(peak_total, stored + it->bwd);
        stored -= it->act;
      }
      count[s.chunk]--;
    }
  }
  *with_transient = peak_total;
  return best;
}

}  // namespace

int in_flight_micro_batches(const TrainingPlan& plan, int stage, int chunk) {
  std::vector<std::vector<LayerMem>> unit(chunks_of(plan), std::vector<LayerMem>{{1.0, 0.0, 0.0}});
  double unused;
  return activation_peak(plan, stage, unit, &unused).in_flight.at(chunk);
}

std::vector<double> MemoryEstimate::peak_per_device(int num_devices) const {
  std::vector<double> out(num_devices, 0.0);
  for (const auto& s : stages)
    for (int d : s.devices)
      if (d < num_devices) out[d] = s.peak_bytes;
  return out;
}

MemoryEstimate estimate_memory(const TrainingPlan& plan, const ModelGraph& m, const Cluster& c) {
  MemoryEstimate est;
  int p = physical_stages(plan), v = chunks_of(plan);
  for (int i = 0; i < p; ++i) {
    StageMemory sm;
    sm.stage = i;
    sm.devices = plan.stages[i].devices;
    for (int ch = 0; ch < v; ++ch) {
      const PipelineStage& st = plan.stages[ch * p + i];
      for (int l = st.first_layer; l < st.end_layer; ++l)
        sm.state_bytes += layer_model_state_bytes(plan, m, l);
    }
    double with_transient = 0;
    ActivationPeak ap = activation_peak(plan, i, chunk_layers(plan, m, i), &with_transient);
    sm.activation_bytes = ap.bytes;
    sm.in_flight = ap.in_flight.empty() ? 0 : ap.in_flight[0];
    sm.transient_bytes = with_transient - ap.bytes;
    sm.reserve_bytes = plan.reserve_bytes;
    sm.peak_bytes = sm.state_bytes + with_transient + sm.reserve_bytes;
    sm.capacity_bytes = sm.devices.empty() ? 0 : c.device(sm.devices[0]).spec.memory_bytes;
    if (est.fits && sm.over_bytes() > 0) {
      est.fits = false;
      est.oom_message = fmt::format(
          "stage {} (devices {}..{}) needs {:.2f} GiB per device, {:.0f} bytes ({:.2f} GiB) over the {:.2f} GiB "
          "device memory",
          i, sm.devices.front(), sm.devices.back(), human_gib(sm.peak_bytes), sm.over_bytes(),
          human_gib(sm.over_bytes()), human_gib(sm.capacity_bytes));
    }
    est.stages.push_back(std::move(sm));
  }
  return est;
}

}  // namespace paralab
