// Hand-built clusters for simulator tests, with round numbers so expected
// times can be derived by hand in the tests' comments.
//
// switch_cluster: `nodes` nodes of `gpus` GPUs. Inside a node every GPU has
// one link (intra_bw each way, intra_lat) to the node switch "n<k>.sw", so a
// GPU-to-GPU route is 2 hops: latency 2*intra_lat, bandwidth intra_bw. With
// several nodes each GPU also has a NIC: gpu–nic and nic–"net" links (inter_bw,
// inter_lat), so a route between nodes is gpu-nic-net-nic-gpu: 4 hops, latency
// 4*inter_lat. Host memory "n<k>.mem" hangs off the node switch by a
// host_bw link (latency 0), the SSD "n<k>.ssd" off the memory by a 100 GB/s
// link (latency 0). Devices: 100 TFLOP/s bf16, 1 TB/s memory, efficiency 1,
// launch overhead `launch_s`, `mem_bytes` of memory.
#pragma once

#include <string>

#include "core/cluster.h"

namespace paralab::testing {

struct SwitchClusterSpec {
  int nodes = 1, gpus = 2;
  double intra_bw = 100e9, intra_lat = 1e-6;
  double inter_bw = 10e9, inter_lat = 1e-6;
  double host_bw = 20e9;
  double launch_s = 0;
  double mem_bytes = 80e9;
  double disk_read = 1e9, disk_write = 1e9, disk_lat = 0;
  int queue_depth = 32;
  double collective_compute_share = 0;  // DeviceSpec::collective_compute_share of every GPU
};

inline Cluster switch_cluster(const SwitchClusterSpec& s) {
  Cluster c;
  c.name = "test-switch";
  c.num_nodes = s.nodes;
  int net = -1;
  if (s.nodes > 1) net = c.add_vertex({"net", "net", "switch", -1, 0});
  for (int k = 0; k < s.nodes; ++k) {
    std::string p = "n" + std::to_string(k) + ".";
    int sw = c.add_vertex({p + "sw", "sw", "switch", k, 0});
    for (int g = 0; g < s.gpus; ++g) {
      int v = c.add_vertex({p + "gpu" + std::to_string(g), "gpu", "gpu", k, g});
      c.add_link(v, sw, "nvlink", s.intra_bw, s.intra_lat);
      if (net >= 0) {
        int nic = c.add_vertex({p + "nic" + std::to_string(g), "nic", "nic", k, g});
        c.add_link(v, nic, "pcie", s.inter_bw, s.inter_lat);
        c.add_link(nic, net, "network", s.inter_bw, s.inter_lat);
      }
      Device d;
      d.node = k;
      d.local_index = g;
      d.component = "gpu";
      d.vertex_name = p + "gpu" + std::to_string(g);
      d.vertex = v;
      d.spec.model = "test-gpu";
      d.spec.kind = "gpu";
      d.spec.peak_flops_per_s = {{"bf16", 100e12}, {"fp32", 25e12}};
      d.spec.memory_bytes = s.mem_bytes;
      d.spec.memory_bandwidth_bytes_per_s = 1e12;
      d.spec.gemm_efficiency = 1.0;
      d.spec.collective_compute_share = s.collective_compute_share;
      d.spec.memory_efficiency = 1.0;
      d.spec.launch_overhead_seconds = s.launch_s;
      c.add_device(d);
    }
    int mem = c.add_vertex({p + "mem", "mem", "memory", k, 0});
    c.add_link(mem, sw, "pcie", s.host_bw, 0);
    HostMemorySpec h;
    h.capacity_bytes = 512e9;
    h.pinned_capacity_bytes = 256e9;
    h.bandwidth_bytes_per_s = 200e9;
    h.pageable_copy_bytes_per_s = 5e9;
    c.set_host_memory(k, h);
    int ssd = c.add_vertex({p + "ssd", "ssd", "disk", k, 0});
    c.add_link(ssd, mem, "pcie", 100e9, 0);
    DiskSpec d;
    d.capacity_bytes = 1e12;
    d.read_bytes_per_s = s.disk_read;
    d.write_bytes_per_s = s.disk_write;
    d.latency_seconds = s.disk_lat;
    d.queue_depth = s.queue_depth;
    c.set_disk(k, d);
  }
  c.validate();
  return c;
}

}  // namespace paralab::testing
