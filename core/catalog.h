// The catalog: checked-in model and cluster descriptions (catalog/models,
// catalog/clusters), found under $PARALAB_CATALOG or the source tree.
//
// A model argument is a catalog name or a path to a JSON file (a catalog
// model file or a HuggingFace config.json); a cluster argument is a catalog
// name or a path to a cluster file. Unknown names are InputErrors that list
// the valid ones.
#pragma once

#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/model_graph.h"

namespace paralab {

struct CatalogEntry {
  std::string name;
  std::string description;
  std::string path;
};

std::string catalog_dir();
std::vector<CatalogEntry> list_models();
std::vector<CatalogEntry> list_clusters();

ModelGraph load_model(const std::string& name_or_path);
// `nodes` > 0 replaces the file's node count (scales a node type to N nodes);
// `overrides` (core/cluster_overrides.h) edit the file before it is parsed,
// and are recorded in the cluster (Cluster::overrides).
Cluster load_cluster(const std::string& name_or_path, int nodes = 0, const std::vector<std::string>& overrides = {});
// The file a model or cluster argument names (a catalog name or a path).
std::string model_path(const std::string& name_or_path);
std::string cluster_path(const std::string& name_or_path);

}  // namespace paralab
