// TaskGraph JSON -> TaskGraph -> validation against a two-node DGX A100
// cluster -> simulation (flow-level collectives).
#include "core/catalog.h"
#include "core/task_graph.h"
#include "fuzz/fuzz_driver.h"
#include "sim/simulator.h"

void paralab::fuzz::consume(const JsonReader& j) {
  static const Cluster cluster = load_cluster("dgx-a100-80gb", 2);
  TaskGraph g = task_graph_from_json(j);
  g.validate(cluster, j.file());
  (void)sim::simulate(cluster, g);
}
