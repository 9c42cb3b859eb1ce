// Cluster: the machines a job runs on — devices, memory tiers, disks, and
// the topology of links that joins them.
//
// A cluster file describes one node type (its components and the links among
// them) and a node count; nodes are joined through their NICs by a network
// (one non-blocking switch, or a two-level fat tree). Loading expands this
// into a flat topology: one vertex per component instance, named
// "n<node>.<component><index>" (e.g. "n1.gpu3", "n0.nvswitch0"), and one Link
// per connected pair with a bandwidth in each direction.
//
// Invariants:
//  1. devices_[i].id == i; devices are numbered node-major in component order
//     (on dgx-a100-80gb: device 8*n + g is GPU g of node n).
//  2. Every device, memory, disk and NIC has a topology vertex; the topology
//     is connected (validated at load).
//  3. route(a, b) is a shortest path by hop count with ties broken by lowest
//     vertex id — deterministic — except that traffic between two nodes
//     leaves and enters a node through each device's home NIC: a device's
//     home is the NIC nearest to it (hops inside its node) that the fewest
//     devices before it (by id) have taken, ties to the lowest vertex id. On
//     a DGX this pairs GPU i with NIC i behind their PCIe switch, as NCCL's
//     GPU-NIC affinity does; without it both GPUs of a switch would share
//     its first NIC and the other NIC would idle.
// Thread-safety: immutable after load except the route cache, which is
// guarded by a mutex.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/gemm_efficiency_grid.h"
#include "core/json_reader.h"
#include "core/units.h"

namespace paralab {

// Collectives never hold more than this share of a device's compute together.
inline constexpr double kMaxCollectiveComputeShare = 0.5;

struct DeviceSpec {
  std::string model;  // e.g. "NVIDIA A100-SXM4-80GB"
  std::string kind;   // gpu | cpu
  std::map<std::string, double> peak_flops_per_s;  // by dtype name (fp32, tf32, bf16, fp16, int8, ...)
  double memory_bytes = 0;
  double memory_bandwidth_bytes_per_s = 0;
  double gemm_efficiency = 0.75;    // achieved / peak for large GEMMs
  double memory_efficiency = 0.85;  // achieved / peak for streaming ops
  double launch_overhead_seconds = 5e-6;
  double slowdown = 1.0;  // straggler factor: every op takes this many times longer
  // Share of the device's compute a running collective occupies (NCCL runs
  // one thread block per channel, each on an SM: channels / SMs). A compute
  // op overlapping a collective of this device advances at 1 - this share
  // (several collectives add up, at most kMaxCollectiveComputeShare). 0 = a
  // collective takes no compute (copy engines, or not measured).
  double collective_compute_share = 0;
  // Optional calibrated curves (a hardware profile fills them): points
  // (size, efficiency) sorted by size, interpolated linearly in log(size) and
  // clamped at the ends; empty = use the constant efficiencies above.
  // GEMM curve: size = FLOPs of one GEMM; memory curve: size = bytes touched.
  std::vector<std::pair<double, double>> gemm_efficiency_curve;
  std::vector<std::pair<double, double>> memory_efficiency_curve;
  // Optional calibrated GEMM efficiency by shape (core/gemm_efficiency_grid.h);
  // when present it is used for ops with a GEMM shape instead of the curve.
  GemmEfficiencyGrid gemm_efficiency_grid;
  // Optional calibrated time of weight-only quantized GEMMs, by weight
  // format name (`paralab calibrate` times the kernels that run them):
  // points (rows m, seconds per stored weight), m ascending. When an op's
  // format has points, its work is weights x this rate instead of the
  // roofline: a dequantizing kernel is bound by decoding each weight, which
  // neither the FLOP peak nor the memory bandwidth describes.
  std::map<std::string, std::vector<std::pair<double, double>>> quantized_gemm_seconds_per_weight;
  std::string source;

  double gemm_efficiency_at(double flops) const;
  // Efficiency of one GEMM of shape (m, n, k) and `flops` FLOPs: the grid
  // when present and m, n, k > 0, else gemm_efficiency_at(flops).
  double gemm_efficiency_for(double m, double n, double k, double flops) const;
  double memory_efficiency_at(double bytes) const;
  // Seconds per stored weight of `format` at m rows: linear in m between the
  // points, the first point's below them, the last segment extended above
  // them (the kernels' cost grows by a fixed amount per row); < 0 when the
  // format has no points.
  double quantized_seconds_per_weight(const std::string& format, double m) const;

  // Peak for a dtype; falls back fp16 <-> bf16 and tf32 -> fp32; 0 if unknown.
  double peak(const std::string& dtype) const;
};

struct Device {
  int id = 0;
  int node = 0;
  int local_index = 0;  // index among this node's devices of the same component
  std::string component;  // "gpu", "cpu"
  std::string vertex_name;
  int vertex = 0;
  DeviceSpec spec;
};

// A place bytes can live: a device's memory, a node's host DRAM, an SSD.
enum class TierKind { kDevice, kPinnedHost, kPageableHost, kSsd };
const char* tier_kind_name(TierKind k);
bool parse_tier_kind(const std::string& name, TierKind* out);

struct HostMemorySpec {
  double capacity_bytes = 0;
  double pinned_capacity_bytes = 0;    // of capacity, what may be page-locked
  double bandwidth_bytes_per_s = 0;    // DRAM bandwidth (memcpy, host compute)
  double pageable_copy_bytes_per_s = 0;  // effective H2D/D2H rate from pageable memory (staging copy)
  std::string source;
};

struct DiskSpec {
  double capacity_bytes = 0;
  double read_bytes_per_s = 0;
  double write_bytes_per_s = 0;
  double latency_seconds = 0;
  int queue_depth = 32;
  std::string source;
};

struct Link {
  int id = 0;
  int a = 0, b = 0;  // vertices; bandwidth applies in each direction separately
  std::string kind;  // nvlink | pcie | memory_bus | nic | network | ...
  double bandwidth_bytes_per_s = 0;
  double latency_seconds = 0;
  // Fraction of the line rate a collective library (NCCL) achieves on this
  // link: its protocol overhead (headers, flags, synchronisation) and the
  // limits of its channels. Collective flows move bytes / efficiency over
  // the link; plain copies (memcpy, disk, offload) move their bytes. File
  // key: collective_efficiency, in (0, 1], default 1.
  double collective_efficiency = 1.0;
  std::string source;
};

struct Vertex {
  std::string name;        // "n0.gpu3"
  std::string component;   // "gpu"
  std::string kind;        // gpu | cpu | switch | memory | nic | disk | network
  int node = -1;           // -1 for network switches
  int index = 0;
};

// One hop of a route: a link traversed in a direction (forward: a -> b).
struct Hop {
  int link = 0;
  bool forward = true;
  // Directed-link id, 2*link + (forward ? 0 : 1): the unit of contention.
  int directed() const { return 2 * link + (forward ? 0 : 1); }
};

class Cluster {
 public:
  Cluster() = default;
  Cluster(const Cluster& o);
  Cluster& operator=(const Cluster& o);
  Cluster(Cluster&&) = default;
  Cluster& operator=(Cluster&&) = default;

  std::string name;
  std::string description;
  std::string source;
  int num_nodes = 1;
  // CPU cores per node that the node's CPU devices (host workers, one thread
  // per stream) share; 0 = not modelled (every CPU device has a core of its
  // own and shares it only among its own streams). File key: node.cpu_cores.
  int cpu_cores_per_node = 0;
  // What-if bookkeeping (core/cluster_overrides.h): a content hash of the
  // effective cluster file (after overrides) and node count, and the
  // overrides applied, in order. Two runs on clusters with the same name but
  // different contents differ here. Empty for clusters built by hand.
  std::string content_hash;
  std::vector<std::string> overrides;

  const std::vector<Device>& devices() const { return devices_; }
  const Device& device(int id) const { return devices_.at(id); }
  int num_devices() const { return static_cast<int>(devices_.size()); }
  // Device ids of kind "gpu" (or all devices if there is no GPU).
  std::vector<int> accelerators() const;
  int devices_per_node() const;

  const std::vector<Vertex>& vertices() const { return vertices_; }
  const std::vector<Link>& links() const { return links_; }
  int vertex_id(const std::string& name) const;  // -1 if absent
  // Vertex of a node's host memory, its first disk (-1 if none).
  int host_memory_vertex(int node) const;
  int disk_vertex(int node) const;
  const HostMemorySpec& host_memory(int node) const { return host_memory_.at(node); }
  const DiskSpec* disk(int node) const;

  // Shortest path from vertex a to vertex b; empty if a == b.
  std::vector<Hop> route(int a, int b) const;
  // Per vertex: the NIC a device's traffic leaves its node through (-1 none).
  const std::vector<int>& home_nics() const;
  double route_latency_seconds(const std::vector<Hop>& r) const;
  double route_bandwidth_bytes_per_s(const std::vector<Hop>& r) const;  // min over hops
  // The lowest collective_efficiency of the route's links (1 if empty).
  double route_collective_efficiency(const std::vector<Hop>& r) const;

  // Capacity of a memory tier of a device (kDevice) or of the device's node.
  double tier_capacity_bytes(int device, TierKind tier) const;

  // Builders used by the loader and by tests that assemble clusters by hand.
  int add_vertex(Vertex v);
  int add_link(int a, int b, std::string kind, double bandwidth_bytes_per_s, double latency_seconds,
               std::string link_source = "");
  void add_device(Device d);
  void set_host_memory(int node, HostMemorySpec s);
  void set_disk(int node, DiskSpec s);
  // What-if changes: a straggler device (every op `factor` times longer), a
  // degraded link (bandwidth times `factor`).
  void set_slowdown(int device, double factor) { devices_.at(device).spec.slowdown = factor; }
  void scale_link_bandwidth(int link, double factor) { links_.at(link).bandwidth_bytes_per_s *= factor; }
  void set_collective_efficiency(int link, double efficiency) { links_.at(link).collective_efficiency = efficiency; }
  void validate() const;  // connectedness; InputError naming the unreachable vertex

  Json to_json() const;  // the expanded cluster, for `cluster show --json`

 private:
  std::vector<Device> devices_;
  std::vector<Vertex> vertices_;
  std::vector<Link> links_;
  std::vector<std::vector<std::pair<int, int>>> adjacency_;  // vertex -> (neighbour, link)
  std::vector<char> endpoint_only_;  // per vertex: a device or disk, never a route's transit vertex
  std::vector<int> host_memory_vertex_, disk_vertex_;  // per node: first such vertex, -1 none
  std::unordered_map<std::string, int> vertex_by_name_;
  std::map<int, HostMemorySpec> host_memory_;
  std::map<int, DiskSpec> disks_;
  struct RouteCache {
    std::mutex mu;
    std::unordered_map<int64_t, std::vector<Hop>> routes;
    std::vector<int> home_nic;  // per vertex, -1 none; filled on first use
    bool home_nic_ready = false;
  };
  // Shortest path by hops (BFS, lowest-id ties), uncached; empty if none.
  std::vector<Hop> shortest_path(int a, int b) const;
  // Owned; a copy of the cluster starts with an empty cache.
  std::unique_ptr<RouteCache> cache_ = std::make_unique<RouteCache>();
};

// Parses a cluster file (see catalog/clusters/README.md); `nodes` > 0
// overrides its node count. Messages name `file` and the JSON path.
Cluster cluster_from_json(const JsonReader& j, int nodes = 0);

}  // namespace paralab
