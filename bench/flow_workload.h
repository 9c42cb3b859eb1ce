// FlowWorkload: a cluster and chains of device-to-device transfers — the
// shape of workload that exercises only the flow network (no compute, no
// collectives). Used by sim_bench, by the SimGrid benchmark beside it and by
// the SimGrid cross-check test, so that the three build the same transfers.
//
// A chain is the transfers on one (device, stream), in order: each starts
// when the one before it ends. Every transfer leaves from its chain's device.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/task_graph.h"

namespace paralab::bench {

struct ChainedTransfer {
  int device = 0;  // issuing device and source
  int stream = 0;
  int dst = 0;     // destination device
  double bytes = 0;
};

struct FlowWorkload {
  Cluster cluster;
  std::vector<ChainedTransfer> transfers;
};

// Op i of the graph is transfers[i].
inline TaskGraph to_task_graph(const FlowWorkload& w) {
  TaskGraph g;
  g.reserve(w.transfers.size(), 0);
  for (const ChainedTransfer& t : w.transfers)
    g.add_transfer(t.device, t.stream, {TierKind::kDevice, t.device}, {TierKind::kDevice, t.dst}, t.bytes);
  return g;
}

// A device with nothing but what a transfer needs (no launch overhead).
inline Device flow_device(int vertex, int node, const std::string& name) {
  Device d;
  d.node = node;
  d.component = "gpu";
  d.vertex = vertex;
  d.vertex_name = name;
  d.spec.kind = "gpu";
  d.spec.peak_flops_per_s = {{"bf16", 100e12}};
  d.spec.memory_bytes = 80e9;
  d.spec.memory_bandwidth_bytes_per_s = 1e12;
  d.spec.launch_overhead_seconds = 0;
  return d;
}

// 64 hosts under 8 leaves. spines = 8: eight 25 GB/s spines (routes take the
// lowest-id spine, so inter-leaf traffic shares one uplink per leaf: 8:1
// oversubscribed). spines = 1: one spine reached by a 200 GB/s trunk per
// leaf, as the cluster loader builds fat trees (non-blocking). Every link
// has `link_latency_s` of latency (sim_bench: 1 us).
inline Cluster fat_tree_64(int spines_n = 8, double link_latency_s = 1e-6) {
  Cluster c;
  c.name = "fat-tree-64";
  c.num_nodes = 64;
  std::vector<int> leaves, spines;
  for (int s = 0; s < spines_n; ++s)
    spines.push_back(c.add_vertex({"spine" + std::to_string(s), "spine", "switch", -1, s}));
  for (int l = 0; l < 8; ++l) {
    leaves.push_back(c.add_vertex({"leaf" + std::to_string(l), "leaf", "switch", -1, l}));
    for (int s : spines) c.add_link(leaves.back(), s, "network", 200e9 / spines_n, link_latency_s);
  }
  for (int h = 0; h < 64; ++h) {
    std::string name = "n" + std::to_string(h) + ".gpu0";
    int v = c.add_vertex({name, "gpu", "gpu", h, 0});
    c.add_link(v, leaves[h / 8], "nic", 25e9, link_latency_s);
    c.add_device(flow_device(v, h, name));
  }
  return c;
}

// sim_bench's fat-tree workload: 16 chains per host of `per_chain`
// transfers of 1..10 MB to random other hosts (seed 42).
inline FlowWorkload fat_tree_workload(int per_chain, int spines_n, double link_latency_s = 1e-6) {
  FlowWorkload w{fat_tree_64(spines_n, link_latency_s), {}};
  const int chains_per_host = 16;
  std::mt19937_64 rng(42);
  for (int h = 0; h < 64; ++h)
    for (int s = 0; s < chains_per_host; ++s)
      for (int k = 0; k < per_chain; ++k) {
        int dst = int(rng() % 63);
        if (dst >= h) ++dst;
        double bytes = 1e6 * double(1 + rng() % 10);
        w.transfers.push_back({h, s, dst, bytes});
      }
  return w;
}

}  // namespace paralab::bench
