#include "experiments/spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/catalog.h"
#include "core/cluster_overrides.h"
#include "core/error.h"
#include "core/limits.h"

namespace paralab {

namespace {

const std::vector<std::string>& kinds() {
  static const std::vector<std::string> k = {"training-plan", "training-planner", "inference", "program"};
  return k;
}

// The configuration keys each kind accepts.
const std::vector<std::string>& config_keys(const std::string& kind) {
  static const std::map<std::string, std::vector<std::string>> keys = {
      {"training-plan",
       {"model", "cluster", "nodes", "seq_len", "global_batch", "tp", "pp", "dp", "micro_batch", "schedule", "chunks",
        "recompute", "sequence_parallel", "zero", "precision", "published_iteration_seconds"}},
      {"training-planner",
       {"model", "cluster", "nodes", "seq_len", "global_batch", "planner", "solver", "precision", "schedule",
        "confirm"}},
      {"inference", {"model", "cluster", "prompt_len", "gen_len", "weights", "kv", "batch", "schedule"}},
      {"program", {}},
  };
  return keys.at(kind);
}

// Unknown keys end in an InputError naming the key and the nearest valid one.
void check_keys(const JsonReader& j, const std::vector<std::string>& valid) { j.only_keys(valid); }

std::vector<SweepVariant> parse_variants(const JsonReader& v) {
  v.require_array();
  std::vector<SweepVariant> out;
  std::set<std::string> names;
  for (size_t i = 0; i < v.size(); ++i) {
    JsonReader e = v.at(i);
    check_keys(e, {"name", "set"});
    SweepVariant sv;
    sv.name = e.str("name");
    if (sv.name.empty() || !names.insert(sv.name).second) e.fail_field("name", "a non-empty name used once");
    if (auto s = e.find("set")) {
      s->require_array();
      for (size_t k = 0; k < s->size(); ++k) {
        if (!s->json()[k].is_string()) s->at(k).fail("expected an override string such as 'links[kind=pcie].bandwidth_bytes_per_s*=2'");
        sv.set.push_back(s->json()[k].get<std::string>());
      }
    }
    out.push_back(std::move(sv));
  }
  return out;
}

}  // namespace

ExperimentSpec spec_from_json(const Json& j, const std::string& path) {
  JsonReader r(j, path);
  check_keys(r, {"name", "description", "reproduces", "kind", "backends", "program", "params", "fixed", "grid", "list",
                 "variants", "quick"});
  ExperimentSpec s;
  s.path = path;
  s.name = r.str("name");
  if (s.name.empty() || s.name.find_first_of("/ ") != std::string::npos)
    r.fail_field("name", "a non-empty name without '/' or spaces");
  s.description = r.str("description");
  s.reproduces = r.str("reproduces");
  s.kind = r.choice("kind", kinds());
  JsonReader b = r.at("backends");
  b.require_array();
  for (size_t i = 0; i < b.size(); ++i) {
    const Json& v = b.json()[i];
    static const std::vector<std::string> backends = {"sim", "real-host", "real-cuda"};
    if (!v.is_string() || std::find(backends.begin(), backends.end(), v.get<std::string>()) == backends.end())
      b.at(i).fail("expected one of " + join_names(backends) + ", got " + json_brief(v));
    if (s.kind != "program" && v != "sim")
      b.at(i).fail("a " + s.kind + " sweep runs on the simulator only (\"sim\"); real backends run as programs "
                   "(e.g. \"program\": \"validate\")");
    s.backends.push_back(v.get<std::string>());
  }
  if (s.backends.empty()) b.fail("expected at least one backend");
  if (s.kind == "program") {
    s.program = r.str("program");
    if (auto p = r.find("params")) {
      p->require_object();
      s.params = p->json();
    }
    for (const char* k : {"fixed", "grid", "list", "variants"})
      if (r.has(k)) r.fail_field(k, "nothing: a program experiment sweeps in its own code (use params)");
  } else {
    if (r.has("program") || r.has("params")) r.fail("'program' and 'params' belong to kind \"program\" only");
    if (auto f = r.find("fixed")) s.fixed = f->json();
    if (auto g = r.find("grid")) s.grid = g->json();
    if (auto l = r.find("list")) s.list = l->json();
    if (auto v = r.find("variants")) s.variants = parse_variants(*v);
  }
  if (auto q = r.find("quick")) {
    check_keys(*q, {"fixed", "grid", "list", "variants", "params"});
    if (auto v = q->find("variants")) parse_variants(*v);
    s.quick = q->json();
  }
  return s;
}

ExperimentSpec effective_spec(const ExperimentSpec& s, bool quick) {
  ExperimentSpec e = s;
  if (!quick) return e;
  const Json& q = s.quick;
  if (q.contains("fixed")) e.fixed = q["fixed"];
  if (q.contains("grid")) e.grid = q["grid"];
  if (q.contains("list")) e.list = q["list"];
  if (q.contains("params")) e.params = q["params"];
  if (q.contains("variants")) e.variants = parse_variants(JsonReader(q["variants"], s.path, "$.quick.variants"));
  return e;
}

std::vector<SweepRun> expand_sweep(const ExperimentSpec& s) {
  std::vector<SweepRun> out;
  if (s.kind == "program") return out;
  const std::vector<std::string>& valid = config_keys(s.kind);
  JsonReader fixed(s.fixed, s.path, "$.fixed"), grid(s.grid, s.path, "$.grid"), list(s.list, s.path, "$.list");
  check_keys(fixed, valid);
  check_keys(grid, valid);
  list.require_array();
  for (const auto& k : grid.keys()) {
    JsonReader g = grid.at(k.c_str());
    g.require_array();
    if (g.size() == 0) g.fail("expected at least one value");
  }
  // The number of runs, refused past the limit before any is built (each
  // factor is at least 1, so the running product only grows).
  const size_t variant_count = std::max<size_t>(1, s.variants.size());
  size_t count = std::max<size_t>(1, s.list.size()) * variant_count;
  for (const auto& [k, vals] : s.grid.items()) {
    count = vals.size() > kMaxSweepRuns / count ? kMaxSweepRuns + 1 : count * vals.size();
    if (count > kMaxSweepRuns) break;
  }
  if (count > kMaxSweepRuns)
    throw InputError(fmt::format("{}: the sweep has more than {} runs (core/limits.h kMaxSweepRuns); split it into "
                                 "several specs or shrink $.grid / $.list / $.variants",
                                 s.path, kMaxSweepRuns));
  // Grid points: keys in sorted order, the last varying fastest.
  std::vector<Json> points = {Json::object()};
  for (const auto& [k, vals] : s.grid.items()) {
    std::vector<Json> next;
    for (const auto& p : points)
      for (const auto& v : vals) {
        Json q = p;
        q[k] = v;
        next.push_back(q);
      }
    points = std::move(next);
  }
  std::vector<Json> entries;
  if (s.list.empty()) entries.push_back(Json::object());
  for (size_t i = 0; i < s.list.size(); ++i) {
    check_keys(list.at(i), valid);
    entries.push_back(s.list[i]);
  }
  std::vector<SweepVariant> variants = s.variants;
  if (variants.empty()) variants.push_back({"", {}});

  // Content hashes of the models and of each effective cluster, loaded once
  // (a bad model, cluster or override fails here, before any run).
  std::map<std::string, std::string> model_hash, cluster_hash;
  auto hash_model = [&](const std::string& m) {
    auto it = model_hash.find(m);
    if (it != model_hash.end()) return it->second;
    load_model(m);  // validates
    return model_hash[m] = content_hash(read_json_file(model_path(m)).dump());
  };
  auto hash_cluster = [&](const std::string& c, int nodes, const std::vector<std::string>& set) {
    std::string key = Json({c, nodes, set}).dump();
    auto it = cluster_hash.find(key);
    if (it != cluster_hash.end()) return it->second;
    return cluster_hash[key] = load_cluster(c, nodes, set).content_hash;
  };

  for (const auto& entry : entries)
    for (const auto& point : points)
      for (const auto& v : variants) {
        SweepRun r;
        r.index = out.size();
        r.config = s.fixed;
        std::string label;
        for (const Json* part : {&entry, &point})
          for (const auto& [k, val] : part->items()) {
            r.config[k] = val;
            if (k == "published_iteration_seconds") continue;  // a reference figure, not a setting
            label += (label.empty() ? "" : " ") + k + "=" + (val.is_string() ? val.get<std::string>() : val.dump());
          }
        std::string where = fmt::format("{}: run {} ({})", s.path, r.index, label.empty() ? "fixed" : label);
        for (const char* k : {"model", "cluster"})
          if (!r.config.contains(k) || !r.config[k].is_string())
            throw InputError(where + ": expected a string '" + k + "' from fixed, grid or list");
        r.variant = v.name;
        if (!v.name.empty()) {
          r.config["variant"] = v.name;
          r.config["set"] = v.set;
          label += (label.empty() ? "" : " ") + std::string("[") + v.name + "]";
        }
        r.label = label;
        const int nodes = JsonReader(r.config, s.path, fmt::format("run {} ({})", r.index, label.empty() ? "fixed" : label))
                              .int_field_or("nodes", 0, 1, kMaxNodes);
        Json h = {{"experiment", s.name},
                  {"kind", s.kind},
                  {"config", r.config},
                  {"model_hash", hash_model(r.config["model"].get<std::string>())},
                  {"cluster_hash", hash_cluster(r.config["cluster"].get<std::string>(), nodes, v.set)},
                  {"version", kParalabVersion}};
        r.hash = content_hash(h.dump());
        out.push_back(std::move(r));
      }
  // Two runs with one hash would be one run: the spec repeats itself.
  std::map<std::string, size_t> seen;
  for (const auto& r : out)
    if (auto [it, fresh] = seen.emplace(r.hash, r.index); !fresh)
      throw InputError(fmt::format("{}: runs {} and {} have the same configuration ({}); remove the repeat", s.path,
                                   it->second, r.index, r.label));
  return out;
}

}  // namespace paralab
