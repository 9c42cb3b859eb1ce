#include "strategies/training/plan_validation.h"

#include <fmt/format.h>

#include <map>

#include "core/error.h"

namespace paralab {

namespace {

std::string stage_text(const TrainingPlan& p, int s) {
  return fmt::format("stage {} [{}, {})", s, p.stages[s].first_layer, p.stages[s].end_layer);
}

std::string check_layout(const TrainingPlan& p, const ModelGraph& m) {
  int n = m.num_layers();
  int ns = static_cast<int>(p.stages.size());
  if (ns > n) return fmt::format("the plan has {} stages but model {} has only {} layers (at most one stage per layer)", ns, m.name(), n);
  if (static_cast<int>(p.layers.size()) != n)
    return fmt::format("the plan has strategies for {} layers but model {} has {} layers", p.layers.size(), m.name(), n);
  std::vector<int> owner(n, -1);
  for (int s = 0; s < ns; ++s) {
    const PipelineStage& st = p.stages[s];
    if (st.end_layer > n) return fmt::format("{} ends past the model's last layer {}", stage_text(p, s), n - 1);
    for (int l = st.first_layer; l < st.end_layer; ++l) {
      if (owner[l] >= 0)
        return fmt::format("layer {} ({}) is in two stages: {} and {}", l, m.layer(l).name, stage_text(p, owner[l]),
                           stage_text(p, s));
      owner[l] = s;
    }
  }
  for (int l = 0; l < n; ++l)
    if (owner[l] < 0) return fmt::format("layer {} ({}) is in no stage", l, m.layer(l).name);
  for (int s = 1; s < ns; ++s)
    if (p.stages[s].first_layer < p.stages[s - 1].first_layer)
      return fmt::format("stages must follow the layer order: {} comes after {}", stage_text(p, s), stage_text(p, s - 1));
  return "";
}

std::string check_devices(const TrainingPlan& p, const Cluster& c) {
  int ns = static_cast<int>(p.stages.size());
  bool inter = p.schedule == PipelineSchedule::kInterleaved;
  if (inter && (p.chunks < 1 || ns % p.chunks != 0))
    return fmt::format("interleaved schedule: {} stages are not a multiple of chunks {}", ns, p.chunks);
  if (!inter && p.chunks != 1) return fmt::format("chunks {} needs the interleaved schedule", p.chunks);
  int depth = p.pipeline_depth();
  std::map<int, int> used;  // device -> physical stage
  for (int s = 0; s < ns; ++s) {
    const auto& d = p.stages[s].devices;
    for (int dev : d)
      if (dev >= c.num_devices())
        return fmt::format("stage {} uses device {}, but cluster {} has devices 0..{}", s, dev, c.name, c.num_devices() - 1);
    if (inter && s >= depth) {
      if (d != p.stages[s % depth].devices)
        return fmt::format("interleaved schedule: stage {} must run on the devices of stage {}", s, s % depth);
      continue;
    }
    for (int dev : d) {
      auto [it, fresh] = used.emplace(dev, s);
      if (!fresh) return fmt::format("device {} is in two stages: {} and {}", dev, it->second, s);
    }
  }
  return "";
}

std::string check_strategies(const TrainingPlan& p, const ModelGraph& m) {
  std::vector<int> stage = p.stage_of_layers(m.num_layers());
  int64_t mb = p.micro_batch_samples();
  for (int l = 0; l < m.num_layers(); ++l) {
    const LayerStrategy& s = p.layers[l];
    const Layer& layer = m.layer(l);
    int nd = static_cast<int>(p.stages[stage[l]].devices.size());
    if (s.devices() != nd)
      return fmt::format("layer {} ({}): dp {} x tp {} x fsdp {} = {} devices, but its stage {} has {} devices", l,
                         layer.name, s.dp, s.tp, s.fsdp, s.devices(), stage[l], nd);
    const BlockShape& b = layer.shape;
    if (b.heads > 0 && b.heads % s.tp != 0)
      return fmt::format("layer {} ({}): {} attention heads are not divisible by tp {}", l, layer.name, b.heads, s.tp);
    if (b.kv_heads > 0 && b.kv_heads % s.tp != 0)
      return fmt::format("layer {} ({}): {} key/value heads are not divisible by tp {}", l, layer.name, b.kv_heads, s.tp);
    if (b.ffn_hidden > 0 && b.ffn_hidden % s.tp != 0)
      return fmt::format("layer {} ({}): FFN width {} is not divisible by tp {}", l, layer.name, b.ffn_hidden, s.tp);
    if (s.sequence_parallel && layer.tokens(p.seq_len) % s.tp != 0)
      return fmt::format("layer {} ({}): sequence parallelism needs {} tokens divisible by tp {}", l, layer.name,
                         layer.tokens(p.seq_len), s.tp);
    if (mb > 0 && mb % s.batch_split() != 0)
      return fmt::format("layer {} ({}): a micro-batch of {} samples is not divisible by dp {} x fsdp {}", l, layer.name,
                         mb, s.dp, s.fsdp);
  }
  return "";
}

}  // namespace

std::string check_plan(const TrainingPlan& p, const ModelGraph& m, const Cluster& c) {
  if (p.stages.empty()) return "the plan has no stages";
  if (std::string e = check_layout(p, m); !e.empty()) return e;
  if (std::string e = check_devices(p, c); !e.empty()) return e;
  if (p.micro_batches < 1 || p.global_batch % p.micro_batches != 0)
    return fmt::format("global batch {} is not divisible by {} micro-batches", p.global_batch, p.micro_batches);
  if (p.schedule == PipelineSchedule::kInterleaved && p.micro_batches % p.pipeline_depth() != 0)
    return fmt::format("interleaved schedule: {} micro-batches are not a multiple of the pipeline depth {}",
                       p.micro_batches, p.pipeline_depth());
  if (std::string e = check_strategies(p, m); !e.empty()) return e;
  if (!p.trainable_params.empty()) {
    if (static_cast<int>(p.trainable_params.size()) != m.num_layers())
      return fmt::format("trainable_params has {} entries but model {} has {} layers", p.trainable_params.size(),
                         m.name(), m.num_layers());
    for (int l = 0; l < m.num_layers(); ++l)
      if (p.trainable_params[l] > double(m.layer(l).params))
        return fmt::format("layer {} ({}): {} trainable parameters, more than its {}", l, m.layer(l).name,
                           p.trainable_params[l], m.layer(l).params);
  }
  return "";
}

void validate_plan(const TrainingPlan& p, const ModelGraph& m, const Cluster& c) {
  std::string e = check_plan(p, m, c);
  if (!e.empty()) throw InputError("invalid plan: " + e);
}

}  // namespace paralab
