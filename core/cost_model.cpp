#include "core/cost_model.h"

#include <algorithm>
#include <cmath>

namespace paralab {

CostModel::CostModel(const Cluster& c, const std::vector<double>& slowdown_override) {
  devs_.resize(c.num_devices());
  for (int d = 0; d < c.num_devices(); ++d) {
    const DeviceSpec& s = c.device(d).spec;
    Dev& v = devs_[d];
    v.spec = &s;
    double fallback = s.peak("fp32");
    if (fallback <= 0)
      for (const auto& [k, p] : s.peak_flops_per_s) fallback = std::max(fallback, p);
    for (int t = 0; t < 7; ++t) {
      double p = s.peak(dtype_name(static_cast<DType>(t)));
      v.peak[t] = p > 0 ? p : fallback;
    }
    v.mem_bw = s.memory_bandwidth_bytes_per_s;
    v.curves = !s.gemm_efficiency_curve.empty() || !s.memory_efficiency_curve.empty();
    v.gemm_eff = s.gemm_efficiency > 0 ? s.gemm_efficiency : 1.0;
    v.mem_eff = s.memory_efficiency > 0 ? s.memory_efficiency : 1.0;
    v.launch_s = s.launch_overhead_seconds;
    v.slowdown = s.slowdown > 0 ? s.slowdown : 1.0;
    if (size_t(d) < slowdown_override.size() && slowdown_override[d] > 0) v.slowdown = slowdown_override[d];
  }
}

ComputeTime CostModel::compute(int device, ComputeKind kind, double flops, double bytes, DType dtype,
                               const GemmShape* shape, const std::string* weights) const {
  const Dev& v = devs_[device];
  ComputeTime t;
  t.launch_ns = static_cast<TimeNs>(v.launch_s * v.slowdown * 1e9 + 0.5);
  if (shape && shape->weights >= 0 && weights) {
    double spw = v.spec->quantized_seconds_per_weight(*weights, double(shape->m));
    if (spw >= 0) {
      t.work_ns = static_cast<TimeNs>(double(shape->n) * double(shape->k) * spw * v.slowdown * 1e9 + 0.5);
      return t;
    }
  }
  double ge = v.gemm_eff, me = v.mem_eff;
  if (v.curves) {
    ge = v.spec->gemm_efficiency_at(flops);
    me = v.spec->memory_efficiency_at(bytes);
  }
  // The shape grid is measured with SGEMM (fp32 operands); a weight-only
  // quantized GEMM is a different kernel, so it keeps the curve by FLOPs.
  if (shape && shape->weights < 0 && !v.spec->gemm_efficiency_grid.empty()) {
    // A backward runs two kernels of equal FLOPs (gemm_kernels): the time
    // of both, each at its own shape's efficiency.
    GemmKernels ks = gemm_kernels(*shape);
    double inverse = 0;
    for (const GemmShape& g : ks)
      inverse += 1.0 / v.spec->gemm_efficiency_for(double(g.m), double(g.n), double(g.k), flops / ks.count);
    ge = ks.count / inverse;
  }
  double peak = v.peak[static_cast<int>(dtype)];
  double t_flops = (flops > 0 && peak > 0) ? flops / (peak * ge) : 0.0;
  double t_bytes = (bytes > 0 && v.mem_bw > 0) ? bytes / (v.mem_bw * me) : 0.0;
  t.work_ns = static_cast<TimeNs>(std::max(t_flops, t_bytes) * v.slowdown * 1e9 + 0.5);
  return t;
}

}  // namespace paralab
