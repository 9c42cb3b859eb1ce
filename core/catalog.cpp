#include "core/catalog.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "core/cluster_overrides.h"
#include "core/error.h"
#include "core/model_builder.h"

namespace fs = std::filesystem;

namespace paralab {

std::string catalog_dir() {
  if (const char* env = std::getenv("PARALAB_CATALOG")) return env;
  return std::string(PARALAB_SOURCE_DIR) + "/catalog";
}

namespace {

std::vector<CatalogEntry> list_dir(const std::string& sub) {
  std::vector<CatalogEntry> out;
  fs::path dir = fs::path(catalog_dir()) / sub;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(dir.string() + ": catalog folder not found (set PARALAB_CATALOG)");
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    Json j = read_json_file(e.path().string());
    JsonReader r(j, e.path().string());
    out.push_back({r.str("name"), r.str("description"), e.path().string()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

bool looks_like_path(const std::string& s) {
  return s.find('/') != std::string::npos || (s.size() > 5 && s.substr(s.size() - 5) == ".json");
}

std::string find_entry(const std::vector<CatalogEntry>& entries, const std::string& name, const char* what) {
  for (const auto& e : entries)
    if (e.name == name) return e.path;
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.name);
  throw InputError(std::string("unknown ") + what + " '" + name + "'; valid names: " + join_names(names) +
                   " (or give a path to a .json file)");
}

}  // namespace

std::vector<CatalogEntry> list_models() { return list_dir("models"); }
std::vector<CatalogEntry> list_clusters() { return list_dir("clusters"); }

std::string model_path(const std::string& arg) {
  return looks_like_path(arg) ? arg : find_entry(list_models(), arg, "model");
}
std::string cluster_path(const std::string& arg) {
  return looks_like_path(arg) ? arg : find_entry(list_clusters(), arg, "cluster");
}

ModelGraph load_model(const std::string& arg) {
  std::string path = model_path(arg);
  Json j = read_json_file(path);
  JsonReader r(j, path);
  r.require_object();
  ArchSpec spec;
  if (r.has("architecture")) {
    spec = arch_from_catalog(r);
  } else {
    spec = arch_from_hf_config(r);
    if (spec.name.empty()) {
      fs::path p(path);
      spec.name = p.filename() == "config.json" && p.has_parent_path() && !p.parent_path().filename().empty()
                      ? p.parent_path().filename().string()
                      : p.stem().string();
    }
  }
  return build_model(spec);
}

Cluster load_cluster(const std::string& arg, int nodes, const std::vector<std::string>& overrides) {
  std::string path = cluster_path(arg);
  Json j = read_json_file(path);
  apply_cluster_overrides(&j, overrides, path);
  // Messages about an overridden file say so: the file alone may be valid.
  std::string origin = overrides.empty() ? path : path + " (with overrides " + join_names(overrides, "; ") + ")";
  Cluster c = cluster_from_json(JsonReader(j, origin), nodes);
  c.overrides = overrides;
  return c;
}

}  // namespace paralab
