// Cluster file -> expanded Cluster -> routes from the first device to up
// to 16 others and to each node's host memory and disk, their latency and
// bandwidth, and the expanded cluster's JSON.
#include <algorithm>

#include "core/cluster.h"
#include "fuzz/fuzz_driver.h"

void paralab::fuzz::consume(const JsonReader& j) {
  Cluster c = cluster_from_json(j);
  c.validate();
  if (c.num_devices() == 0) return;
  const int from = c.device(0).vertex;
  std::vector<int> to;
  for (int d = 1; d < std::min(c.num_devices(), 17); ++d) to.push_back(c.device(d).vertex);
  for (int n = 0; n < std::min(c.num_nodes, 4); ++n) {
    if (c.host_memory_vertex(n) >= 0) to.push_back(c.host_memory_vertex(n));
    if (c.disk_vertex(n) >= 0) to.push_back(c.disk_vertex(n));
  }
  for (int v : to) {
    std::vector<Hop> r = c.route(from, v);
    (void)c.route_latency_seconds(r);
    if (!r.empty()) (void)c.route_bandwidth_bytes_per_s(r);
  }
  (void)c.to_json().dump();
}
