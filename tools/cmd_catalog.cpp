// `paralab model list|show` and `paralab cluster list|show`.
#include <fmt/format.h>

#include "core/catalog.h"
#include "tools/cli_common.h"

namespace paralab::cli {

namespace {

Json model_json(const ModelGraph& m, int64_t seq) {
  Json layers = Json::array();
  for (int i = 0; i < m.num_layers(); ++i) {
    const Layer& l = m.layer(i);
    layers.push_back({{"index", i},
                      {"name", l.name},
                      {"kind", layer_kind_name(l.kind)},
                      {"params", l.params},
                      {"hidden", l.shape.hidden},
                      {"heads", l.shape.heads},
                      {"tokens", l.tokens(seq)},
                      {"forward_flops", l.forward_flops(seq)},
                      {"activation_bytes", l.activation_bytes(seq)},
                      {"output_bytes", l.output_bytes(seq, DType::kBf16)},  // 16-bit, as activation_bytes
                      {"inputs", m.inputs_of(i)}});
  }
  return {{"name", m.name()},
          {"architecture", m.architecture()},
          {"description", m.description},
          {"source", m.source},
          {"params", m.params()},
          {"num_layers", m.num_layers()},
          {"num_blocks", m.num_blocks()},
          {"hidden", m.hidden},
          {"vocab", m.vocab},
          {"seq_len", seq},
          {"forward_flops_per_sample", m.forward_flops(seq)},
          {"forward_flops_per_token", m.forward_flops_per_token(seq)},
          {"layers", layers}};
}

void print_model(const ModelGraph& m, int64_t seq, bool all_layers) {
  fmt::print("{} ({}): {} parameters\n", m.name(), m.architecture(), human_count(double(m.params())));
  if (!m.description.empty()) fmt::print("  {}\n", m.description);
  fmt::print("  source: {}\n", m.source);
  fmt::print("  sequence {} tokens: {} forward FLOPs/sample, {} forward FLOPs/token\n", seq,
             human_count(m.forward_flops(seq)), human_count(m.forward_flops_per_token(seq)));
  fmt::print("\n  {:>4}  {:<22} {:<14} {:>10} {:>12} {:>12} {:>12}\n", "#", "layer", "kind", "params", "fwd FLOPs",
             "activations", "output");
  int n = m.num_layers();
  for (int i = 0; i < n; ++i) {
    bool elide = !all_layers && n > 12 && i >= 4 && i < n - 4;
    if (elide) {
      if (i == 4) fmt::print("  {:>4}  ... {} more layers (--all-layers to list them)\n", "", n - 8);
      continue;
    }
    const Layer& l = m.layer(i);
    fmt::print("  {:>4}  {:<22} {:<14} {:>10} {:>12} {:>12} {:>12}\n", i, l.name, layer_kind_name(l.kind),
               human_count(double(l.params)), human_count(l.forward_flops(seq)),
               human_bytes(l.activation_bytes(seq)), human_bytes(l.output_bytes(seq, DType::kBf16)));
  }
}

void print_cluster(const Cluster& c) {
  fmt::print("{}: {} node(s), {} device(s)\n", c.name, c.num_nodes, c.num_devices());
  fmt::print("  {}\n  source: {}\n", c.description, c.source);
  if (c.num_devices() > 0) {
    const DeviceSpec& d = c.device(0).spec;
    fmt::print("  device: {} — {} memory at {}", d.model, human_bytes(d.memory_bytes),
               human_rate(d.memory_bandwidth_bytes_per_s, "B/s"));
    for (const auto& [t, p] : d.peak_flops_per_s) fmt::print(", {} {}", t, human_rate(p, "FLOP/s"));
    fmt::print("\n");
  }
  if (c.num_nodes > 0) {
    const HostMemorySpec& h = c.host_memory(0);
    fmt::print("  host memory per node: {} ({} pinnable) at {}\n", human_bytes(h.capacity_bytes),
               human_bytes(h.pinned_capacity_bytes), human_rate(h.bandwidth_bytes_per_s, "B/s"));
    if (const DiskSpec* d = c.disk(0))
      fmt::print("  disk per node: {}, read {}, write {}\n", human_bytes(d->capacity_bytes),
                 human_rate(d->read_bytes_per_s, "B/s"), human_rate(d->write_bytes_per_s, "B/s"));
  }
  struct KindStats {
    int count = 0;
    double lo = 1e300, hi = 0;
  };
  std::map<std::string, KindStats> kinds;
  for (const auto& l : c.links()) {
    auto& k = kinds[l.kind];
    k.count++;
    k.lo = std::min(k.lo, l.bandwidth_bytes_per_s);
    k.hi = std::max(k.hi, l.bandwidth_bytes_per_s);
  }
  fmt::print("  links ({} in all), bandwidth per direction:\n", c.links().size());
  for (const auto& [k, v] : kinds) {
    std::string bw = human_rate(v.lo, "B/s");
    if (v.hi > v.lo) bw += " to " + human_rate(v.hi, "B/s");
    fmt::print("    {:<12} x{:<5} {}\n", k, v.count, bw);
  }
}

void list_entries(const CommonOptions& o, const std::vector<CatalogEntry>& entries) {
  Json j = Json::array();
  for (const auto& e : entries) j.push_back({{"name", e.name}, {"description", e.description}});
  emit(o, j, [&] {
    for (const auto& e : entries) fmt::print("{:<22} {}\n", e.name, e.description);
  });
}

}  // namespace

namespace {
void register_catalog_commands(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Inspect models: the catalog or a HuggingFace config.json");
  model->require_subcommand(1);
  {
    auto* list = model->add_subcommand("list", "List catalog models");
    auto& o = add_common(list);
    list->callback([&o] { list_entries(o, list_models()); });
  }
  {
    auto* show = model->add_subcommand("show", "Parameters, per-layer table, FLOPs per token");
    auto& o = add_common(show);
    static std::string name;
    static int64_t seq = 0;
    static bool all = false;
    show->add_option("model", name, "Catalog name or path to a config.json / catalog file")->required();
    show->add_option("--seq", seq, "Sequence length (default: the model's)")->check(CLI::PositiveNumber);
    show->add_flag("--all-layers", all, "List every layer");
    show->callback([&o] {
      ModelGraph m = load_model(name);
      int64_t s = seq > 0 ? seq : m.default_seq_len;
      emit(o, model_json(m, s), [&] { print_model(m, s, all); });
    });
  }
  auto* cluster = app.add_subcommand("cluster", "Inspect clusters: devices, memory tiers, links, disks");
  cluster->require_subcommand(1);
  {
    auto* list = cluster->add_subcommand("list", "List catalog clusters");
    auto& o = add_common(list);
    list->callback([&o] { list_entries(o, list_clusters()); });
  }
  {
    auto* show = cluster->add_subcommand("show", "Describe a cluster");
    auto& o = add_common(show);
    static std::string name;
    static int nodes = 0;
    static std::vector<std::string> sets;
    show->add_option("cluster", name, "Catalog name or path to a cluster file")->required();
    show->add_option("--nodes", nodes, "Scale the node type to N nodes")->check(CLI::PositiveNumber);
    add_cluster_set_option(show, &sets);
    show->callback([&o] {
      Cluster c = load_cluster(name, nodes, sets);
      emit(o, c.to_json(), [&] { print_cluster(c); });
    });
  }
}

}  // namespace

static const CommandRegistration kRegistration(10, &register_catalog_commands);

}  // namespace paralab::cli
