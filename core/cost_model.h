// CostModel: time of one compute op on one device, from a roofline with
// efficiency curves.
//
//   work    = max(flops / (peak(dtype) * eff_gemm(flops)),
//                 bytes / (memory_bandwidth * eff_mem(bytes)))
//   launch  = launch_overhead
//   time    = (work + launch) * slowdown
// eff_gemm / eff_mem are DeviceSpec's calibrated curves when present, else
// its constants; for an op with a GEMM shape and a device with a calibrated
// shape grid, eff_gemm is the grid's value at (m, n, k), except for a
// weight-only quantized GEMM (shape.weights >= 0: the grid is SGEMM's). A
// weight-only quantized GEMM whose format (`weights`) the device has
// calibrated points for takes work = n x k stored weights x the device's
// seconds per weight at m rows (DeviceSpec::quantized_seconds_per_weight)
// instead of the roofline. An unknown dtype
// falls back to the device's fp32 peak (then to its largest peak). The two parts are returned separately because the
// simulator shares a device's throughput among concurrently running streams
// (work is shared, launch overhead is not).
//
// Invariants: 1. deterministic pure functions of (DeviceSpec, op); 2. times
// are integer nanoseconds, rounded to nearest, never negative.
// Thread-safety: immutable after construction.
#pragma once

#include <array>
#include <vector>

#include "core/cluster.h"
#include "core/task_graph.h"
#include "core/units.h"

namespace paralab {

struct ComputeTime {
  TimeNs work_ns = 0;    // roofline part, already multiplied by slowdown
  TimeNs launch_ns = 0;  // launch overhead, already multiplied by slowdown
  TimeNs total_ns() const { return work_ns + launch_ns; }
};

class CostModel {
 public:
  // `slowdown_override` (size num_devices or empty): per-device straggler
  // factors replacing DeviceSpec::slowdown where > 0.
  explicit CostModel(const Cluster& c, const std::vector<double>& slowdown_override = {});

  // `shape` (may be null): the op's GEMM shape, for the device's shape grid;
  // `weights` (may be null): its weight format name (TaskGraph::weight_format).
  ComputeTime compute(int device, ComputeKind kind, double flops, double bytes, DType dtype,
                      const GemmShape* shape = nullptr, const std::string* weights = nullptr) const;
  ComputeTime compute(const Op& o, const GemmShape* shape = nullptr, const std::string* weights = nullptr) const {
    return compute(o.device, o.compute_kind(), o.flops, o.bytes, o.dtype(), shape, weights);
  }
  double slowdown(int device) const { return devs_[device].slowdown; }

 private:
  struct Dev {
    std::array<double, 7> peak{};  // by DType
    double mem_bw = 0;
    const DeviceSpec* spec = nullptr;
    bool curves = false;
    double gemm_eff = 1, mem_eff = 1;
    double launch_s = 0, slowdown = 1;
  };
  std::vector<Dev> devs_;
};

}  // namespace paralab
