#include "strategies/training/training_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/limits.h"

namespace paralab {

namespace {

template <typename E>
bool parse_named(const std::vector<std::string>& names, const std::string& s, E* out) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == s) {
      *out = static_cast<E>(i);
      return true;
    }
  return false;
}

bool is_block(LayerKind k) { return k == LayerKind::kEncoderBlock || k == LayerKind::kDecoderBlock; }

}  // namespace

const std::vector<std::string>& precision_names() {
  static const std::vector<std::string> n = {"fp32", "bf16", "fp16"};
  return n;
}
const std::vector<std::string>& schedule_names() {
  static const std::vector<std::string> n = {"gpipe", "1f1b", "interleaved"};
  return n;
}
const std::vector<std::string>& recompute_names() {
  static const std::vector<std::string> n = {"none", "selective", "full"};
  return n;
}
const char* precision_name(Precision p) { return precision_names().at(static_cast<size_t>(p)).c_str(); }
const char* schedule_name(PipelineSchedule s) { return schedule_names().at(static_cast<size_t>(s)).c_str(); }
std::string strategy_text(const LayerStrategy& s) {
  std::string t = fmt::format("dp {} tp {} fsdp {}", s.dp, s.tp, s.fsdp);
  if (s.zero_stage > 0) t += fmt::format(" zero-{}", s.zero_stage);
  if (s.sequence_parallel) t += " sp";
  return t + fmt::format(" recompute {}", recompute_name(s.recompute));
}

const char* recompute_name(Recompute r) { return recompute_names().at(static_cast<size_t>(r)).c_str(); }
bool parse_precision(const std::string& s, Precision* out) { return parse_named(precision_names(), s, out); }
bool parse_schedule(const std::string& s, PipelineSchedule* out) { return parse_named(schedule_names(), s, out); }
bool parse_recompute(const std::string& s, Recompute* out) { return parse_named(recompute_names(), s, out); }

int TrainingPlan::pipeline_depth() const {
  int v = schedule == PipelineSchedule::kInterleaved ? std::max(1, chunks) : 1;
  return std::max<int>(1, static_cast<int>(stages.size()) / v);
}

std::vector<int> TrainingPlan::stage_of_layers(int num_layers) const {
  std::vector<int> out(num_layers, -1);
  for (size_t s = 0; s < stages.size(); ++s)
    for (int l = std::max(0, stages[s].first_layer); l < std::min(num_layers, stages[s].end_layer); ++l)
      out[l] = static_cast<int>(s);
  return out;
}

std::vector<int> TrainingPlan::all_devices() const {
  std::set<int> d;
  for (const auto& s : stages) d.insert(s.devices.begin(), s.devices.end());
  return {d.begin(), d.end()};
}

Json plan_to_json(const TrainingPlan& p) {
  Json stages = Json::array();
  for (const auto& s : p.stages)
    stages.push_back({{"layers", {s.first_layer, s.end_layer}}, {"devices", s.devices}});
  // Run-length encoded strategies: consecutive equal layers share an entry.
  Json strategies = Json::array();
  for (size_t i = 0; i < p.layers.size();) {
    size_t j = i + 1;
    while (j < p.layers.size() && p.layers[j] == p.layers[i]) ++j;
    const LayerStrategy& l = p.layers[i];
    strategies.push_back({{"layers", {i, j}},
                          {"dp", l.dp},
                          {"tp", l.tp},
                          {"fsdp", l.fsdp},
                          {"zero_stage", l.zero_stage},
                          {"sequence_parallel", l.sequence_parallel},
                          {"recompute", recompute_name(l.recompute)}});
    i = j;
  }
  Json out = {{"kind", "training_plan"},
          {"model", p.model},
          {"cluster", p.cluster},
          {"nodes", p.nodes},
          {"seq_len", p.seq_len},
          {"global_batch", p.global_batch},
          {"micro_batches", p.micro_batches},
          {"precision", precision_name(p.precision)},
          {"optimizer", p.optimizer},
          {"schedule", schedule_name(p.schedule)},
          {"chunks", p.chunks},
          {"reserve_bytes", p.reserve_bytes},
          {"source", p.source},
          {"stages", stages},
          {"strategies", strategies}};
  if (!p.trainable_params.empty()) out["trainable_params"] = p.trainable_params;
  if (!p.overlap_grad_reduce) out["overlap_grad_reduce"] = false;
  if (!p.async_tensor_parallel) out["async_tensor_parallel"] = false;
  return out;
}

namespace {

std::pair<int, int> read_range(const JsonReader& r) {
  JsonReader l = r.at("layers");
  l.require_array();
  if (l.size() != 2 || !l.json()[0].is_number_integer() || !l.json()[1].is_number_integer())
    l.fail("expected [first_layer, end_layer) as two integers, got " + json_brief(l.json()));
  int a = static_cast<int>(l.at(size_t(0)).as_integer(0, kMaxGraphLayers));
  int b = static_cast<int>(l.at(size_t(1)).as_integer(0, kMaxGraphLayers));
  if (a < 0 || b <= a) l.fail(fmt::format("expected 0 <= first_layer < end_layer, got [{}, {})", a, b));
  return {a, b};
}

}  // namespace

TrainingPlan plan_from_json(const JsonReader& j) {
  j.only_keys({"kind", "model", "cluster", "nodes", "seq_len", "global_batch", "micro_batches", "precision",
               "optimizer", "schedule", "chunks", "reserve_bytes", "overlap_grad_reduce", "async_tensor_parallel", "source", "trainable_params", "stages",
               "strategies"});
  if (j.has("kind")) j.choice("kind", {"training_plan"});
  TrainingPlan p;
  p.model = j.str("model");
  p.cluster = j.str("cluster");
  p.nodes = j.int_field_or("nodes", 0, 0, kMaxNodes);
  p.seq_len = j.integer("seq_len", 1, kMaxPositions);
  p.global_batch = j.integer("global_batch", 1, kMaxBatch);
  p.micro_batches = j.integer("micro_batches", 1, kMaxMicroBatches);
  parse_precision(j.choice_or("precision", precision_names(), "bf16"), &p.precision);
  p.optimizer = j.choice_or("optimizer", {"adam"}, "adam");
  parse_schedule(j.choice_or("schedule", schedule_names(), "1f1b"), &p.schedule);
  p.chunks = j.int_field_or("chunks", 1, 1);
  p.reserve_bytes = j.number_or("reserve_bytes", p.reserve_bytes, 0);
  p.overlap_grad_reduce = j.boolean_or("overlap_grad_reduce", true);
  p.async_tensor_parallel = j.boolean_or("async_tensor_parallel", true);
  p.source = j.str_or("source", "");
  if (j.json().contains("trainable_params")) {
    JsonReader tr = j.at("trainable_params");
    tr.require_array();
    for (size_t i = 0; i < tr.size(); ++i) {
      if (!tr.json()[i].is_number() || tr.json()[i].get<double>() < 0)
        tr.at(i).fail("expected a number of parameters >= 0, got " + json_brief(tr.json()[i]));
      p.trainable_params.push_back(tr.json()[i].get<double>());
    }
  }
  JsonReader stages = j.at("stages");
  stages.require_array();
  if (stages.size() == 0) stages.fail("expected at least one stage");
  for (size_t i = 0; i < stages.size(); ++i) {
    JsonReader s = stages.at(i);
    s.only_keys({"layers", "devices"});
    PipelineStage st;
    std::tie(st.first_layer, st.end_layer) = read_range(s);
    JsonReader d = s.at("devices");
    d.require_array();
    if (d.size() == 0) d.fail("expected a non-empty list of device ids");
    for (size_t k = 0; k < d.size(); ++k) {
      st.devices.push_back(static_cast<int>(d.at(k).as_integer(0, kMaxVertices)));
    }
    p.stages.push_back(std::move(st));
  }
  JsonReader strategies = j.at("strategies");
  strategies.require_array();
  for (size_t i = 0; i < strategies.size(); ++i) {
    JsonReader s = strategies.at(i);
    s.only_keys({"layers", "dp", "tp", "fsdp", "zero_stage", "sequence_parallel", "recompute"});
    auto [a, b] = read_range(s);
    if (a != static_cast<int>(p.layers.size()))
      s.fail(fmt::format("strategy ranges must cover the layers in order without gap or overlap: expected "
                         "first layer {}, got {}",
                         p.layers.size(), a));
    LayerStrategy l;
    l.dp = s.int_field_or("dp", 1, 1);
    l.tp = s.int_field_or("tp", 1, 1);
    l.fsdp = s.int_field_or("fsdp", 1, 1);
    l.zero_stage = s.int_field_or("zero_stage", 0, 0);
    if (int64_t(l.dp) * l.tp * l.fsdp > kMaxVertices)
      s.fail(fmt::format("dp {} x tp {} x fsdp {} devices: expected at most {} (core/limits.h)", l.dp, l.tp, l.fsdp,
                         kMaxVertices));
    if (l.zero_stage > 3) s.fail_field("zero_stage", "0, 1, 2 or 3");
    l.sequence_parallel = s.boolean_or("sequence_parallel", false);
    parse_recompute(s.choice_or("recompute", recompute_names(), "none"), &l.recompute);
    p.layers.insert(p.layers.end(), b - a, l);
  }
  return p;
}

TrainingPlan load_plan(const std::string& path) {
  Json j = read_json_file(path);
  return plan_from_json(JsonReader(j, path));
}

TrainingPlan megatron_plan(const MegatronOptions& o, const ModelGraph& m, const Cluster& c) {
  std::vector<int> accel = c.accelerators();
  int n = static_cast<int>(accel.size());
  if (o.tp < 1 || o.pp < 1 || o.dp < 0 || o.chunks < 1 || o.micro_batch < 1 || o.global_batch < 1)
    throw InputError("plan megatron: --tp, --pp, --chunks, --micro-batch and --global-batch must be >= 1");
  int dp = o.dp > 0 ? o.dp : n / (o.tp * o.pp);
  if (dp < 1 || o.tp * o.pp * dp > n)
    throw InputError(fmt::format("plan megatron: tp {} x pp {} x dp {} = {} devices, but cluster {} has {}", o.tp,
                                 o.pp, std::max(dp, 1), o.tp * o.pp * std::max(dp, 1), c.name, n));
  int v = o.schedule == PipelineSchedule::kInterleaved ? o.chunks : 1;
  if (o.schedule != PipelineSchedule::kInterleaved && o.chunks != 1)
    throw InputError("plan megatron: --chunks needs --schedule interleaved");
  std::vector<int> blocks;
  for (int i = 0; i < m.num_layers(); ++i)
    if (is_block(m.layer(i).kind)) blocks.push_back(i);
  int num_stages = o.pp * v;
  if (blocks.empty() || static_cast<int>(blocks.size()) % num_stages != 0)
    throw InputError(fmt::format("plan megatron: {} Transformer blocks do not split evenly into pp {} x chunks {} "
                                 "= {} stages",
                                 blocks.size(), o.pp, v, num_stages));
  if (o.global_batch % (o.micro_batch * dp) != 0)
    throw InputError(fmt::format("plan megatron: global batch {} is not a multiple of micro-batch {} x dp {}",
                                 o.global_batch, o.micro_batch, dp));
  TrainingPlan p;
  p.model = o.model.empty() ? m.name() : o.model;
  p.cluster = o.cluster.empty() ? c.name : o.cluster;
  p.nodes = o.nodes;
  p.seq_len = o.seq_len;
  p.global_batch = o.global_batch;
  p.micro_batches = o.global_batch / (o.micro_batch * dp);
  p.precision = o.precision;
  p.overlap_grad_reduce = o.overlap_grad_reduce;
  p.async_tensor_parallel = o.async_tensor_parallel;
  p.schedule = o.schedule;
  p.chunks = v;
  p.source = "paralab plan megatron";
  int per_stage = static_cast<int>(blocks.size()) / num_stages;
  int group = o.tp * dp;
  for (int s = 0; s < num_stages; ++s) {
    PipelineStage st;
    st.first_layer = s == 0 ? 0 : blocks[s * per_stage];
    st.end_layer = s == num_stages - 1 ? m.num_layers() : blocks[(s + 1) * per_stage];
    int g = s % o.pp;
    st.devices.assign(accel.begin() + g * group, accel.begin() + (g + 1) * group);
    p.stages.push_back(std::move(st));
  }
  LayerStrategy l;
  l.tp = o.tp;
  l.dp = o.zero_stage > 0 ? 1 : dp;
  l.fsdp = o.zero_stage > 0 ? dp : 1;
  l.zero_stage = o.zero_stage;
  l.sequence_parallel = o.sequence_parallel;
  l.recompute = o.recompute;
  p.layers.assign(m.num_layers(), l);
  return p;
}

}  // namespace paralab
