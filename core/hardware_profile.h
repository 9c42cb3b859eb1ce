// HardwareProfile: cost parameters measured on a real machine by
// `paralab calibrate`, in a JSON file the simulator loads with `--profile`.
//
// A profile holds what the micro-benchmarks in real/ measured — per device
// kind: peak FLOP/s by dtype, GEMM efficiency by FLOPs (curve) and by shape
// (an (m, n, k) grid, optional), memory efficiency curve, seconds per weight
// of weight-only quantized GEMMs by format and rows (optional); the host's core
// count (shared by its CPU devices, optional); host memory
// bandwidth and pageable copy rate; per link kind: bandwidth and latency (an
// alpha-beta fit); disk read rate, latency and queue depth; collective busbw
// by size. apply_hardware_profile() writes these figures into a Cluster so
// the cost model and the simulator use them; every figure it touches gets the
// source "calibrated:<profile name>".
//
// Invariants:
//  1. Curves are sorted by size, sizes > 0, efficiencies in (0, 1].
//  2. An entry applies to every cluster element it matches (devices by kind
//     and, if given, component name; links by kind, minus those touching a
//     vertex kind in except_touching); elements it does not
//     match keep their catalog figures.
//  3. Absent figures (0 / empty) leave the cluster's figure unchanged.
//  4. from_json(to_json(p)) == p for every field (round trip).
// Thread-safety: plain values; no shared state.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/cluster.h"
#include "core/json_reader.h"

namespace paralab {

constexpr const char* kHardwareProfileFormat = "paralab-hardware-profile/1";

using EfficiencyCurve = std::vector<std::pair<double, double>>;  // (size, efficiency)

struct DeviceProfile {
  std::string kind;       // cpu | gpu (matches DeviceSpec::kind)
  std::string component;  // "" = every component of that kind
  std::string model;      // what was measured, e.g. "Intel Xeon (1 core)"
  std::map<std::string, double> peak_flops_per_s;  // by dtype; the curve is relative to it
  EfficiencyCurve gemm_efficiency_curve;          // size = FLOPs of one GEMM
  GemmEfficiencyGrid gemm_efficiency_grid;        // by shape, relative to the same peak; empty = none
  double memory_bandwidth_bytes_per_s = 0;
  EfficiencyCurve memory_efficiency_curve;  // size = bytes touched
  double launch_overhead_seconds = -1;      // < 0 = not measured
  // Weight-only quantized GEMM kernels by format: (rows m, seconds per stored
  // weight), m ascending (DeviceSpec::quantized_gemm_seconds_per_weight).
  std::map<std::string, std::vector<std::pair<double, double>>> quantized_gemm_seconds_per_weight;
};

struct LinkProfile {
  std::string kind;  // pcie | memory_bus | nvlink | nic | ...
  double bandwidth_bytes_per_s = 0;
  double latency_seconds = -1;  // < 0 = not measured
  std::string measured;         // what produced it, e.g. "h2d pinned memcpy fit"
  // Links of `kind` touching a vertex of one of these kinds (e.g. "nic",
  // "disk") keep their catalog figures: a GPU's pinned-copy fit describes the
  // GPU's PCIe path, not a NIC's or an SSD's PCIe link.
  std::vector<std::string> except_touching;
  // The rate is a collective library's busbw (MPI, NCCL), whose protocol
  // overhead is inside it: the links it sets get collective_efficiency 1.
  // Otherwise (a memcpy fit) they keep the catalog's.
  bool collective_rate = false;
};

struct HostMemoryProfile {
  double bandwidth_bytes_per_s = 0;
  double pageable_copy_bytes_per_s = 0;
};

struct DiskProfile {
  double read_bytes_per_s = 0;
  double latency_seconds = -1;
  int queue_depth = 0;
  bool o_direct = true;  // false: the file system refused O_DIRECT, page cache was used
  std::string note;
};

struct CollectivePoint {
  double bytes = 0;
  double seconds = 0;
  double algbw_bytes_per_s = 0;
  double busbw_bytes_per_s = 0;
};

struct CollectiveProfile {
  std::string kind;  // all_reduce | all_gather | reduce_scatter | broadcast | send_recv
  int ranks = 0;
  std::string transport;  // mpi | nccl
  double alpha_seconds = 0;       // fitted per-call latency
  double busbw_bytes_per_s = 0;   // fitted asymptotic busbw
  std::vector<CollectivePoint> points;
};

struct HardwareProfile {
  std::string name;
  std::string backend;  // host | cuda
  std::string created_at;
  Json machine = Json::object();  // hostname, cpu model, nproc, gpu name, notes
  int host_cores = 0;  // CPU cores the host's workers share (Cluster::cpu_cores_per_node); 0 = not measured
  std::vector<DeviceProfile> devices;
  HostMemoryProfile host_memory;
  std::vector<LinkProfile> links;
  DiskProfile disk;
  std::vector<CollectiveProfile> collectives;
  std::vector<std::string> notes;  // caveats recorded by the calibration (noise, fallbacks)

  Json to_json() const;
};

// Parses a profile; messages name the file and JSON path.
HardwareProfile hardware_profile_from_json(const JsonReader& j);
// Reads a profile file (InputError naming the file when missing or bad).
HardwareProfile load_hardware_profile(const std::string& path);
void save_hardware_profile(const HardwareProfile& p, const std::string& path);

// Writes the profile's figures into `cluster` (see invariants 2 and 3) and
// returns how many cluster elements changed. Rebuilds the cluster from its
// parts, so ids, vertices and routes are unchanged.
// REQUIRES: cluster != nullptr.
int apply_hardware_profile(const HardwareProfile& p, Cluster* cluster);

}  // namespace paralab
