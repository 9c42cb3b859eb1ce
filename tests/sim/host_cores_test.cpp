// The host's CPU cores as a shared resource (sim/compute_model.h): CPU
// devices of a node with cpu_cores_per_node = C share C cores; each running
// op gets min(1, C / k) of a core when k run. Test devices: 1e11 FLOP/s fp32,
// efficiency 1, no launch overhead, so a 1e9-FLOP op takes 10 ms alone.
#include <gtest/gtest.h>

#include "sim/simulator.h"

namespace paralab::sim {
namespace {

Cluster cpu_cluster(int devices, int cores, const std::string& kind = "cpu") {
  Cluster c;
  c.name = "test-cpus";
  c.cpu_cores_per_node = cores;
  int sw = c.add_vertex({"n0.sw", "sw", "switch", 0, 0});
  for (int i = 0; i < devices; ++i) {
    std::string name = "n0." + kind + std::to_string(i);
    int v = c.add_vertex({name, kind, kind, 0, i});
    c.add_link(v, sw, "memory_bus", 10e9, 0);
    Device d;
    d.node = 0;
    d.local_index = i;
    d.component = kind;
    d.vertex_name = name;
    d.vertex = v;
    d.spec.model = "test-core";
    d.spec.kind = kind;
    d.spec.peak_flops_per_s = {{"fp32", 1e11}};
    d.spec.memory_bandwidth_bytes_per_s = 1e12;
    d.spec.gemm_efficiency = 1.0;
    d.spec.memory_efficiency = 1.0;
    d.spec.launch_overhead_seconds = 0;
    c.add_device(d);
  }
  return c;
}

// One 1e9-FLOP fp32 op (10 ms alone) per entry of `devices`, each on its own stream.
TaskGraph ops_on(std::initializer_list<int> devices, double flops = 1e9) {
  TaskGraph g;
  int s = 0;
  for (int d : devices) g.add_compute(d, s++, ComputeKind::kGemm, flops, 0, DType::kFp32);
  return g;
}

TEST(HostCores, TwoOpsOnOneCoreTakeTwiceAsLongAsOnTwoCores) {
  // Two devices, one op each. 2 cores: each op has a core, 10 ms.
  // 1 core: both share it at 1/2, 20 ms.
  EXPECT_EQ(simulate(cpu_cluster(2, 2), ops_on({0, 1})).makespan_ns, 10'000'000);
  EXPECT_EQ(simulate(cpu_cluster(2, 1), ops_on({0, 1})).makespan_ns, 20'000'000);
}

TEST(HostCores, FourWorkersOnTwoCoresRunAtHalfSpeed) {
  // 4 ops on 4 devices, 2 cores: each at 2/4 of a core -> 20 ms. Without a
  // core count every device is its own core -> 10 ms.
  EXPECT_EQ(simulate(cpu_cluster(4, 2), ops_on({0, 1, 2, 3})).makespan_ns, 20'000'000);
  EXPECT_EQ(simulate(cpu_cluster(4, 0), ops_on({0, 1, 2, 3})).makespan_ns, 10'000'000);
  EXPECT_EQ(simulate(cpu_cluster(4, 4), ops_on({0, 1, 2, 3})).makespan_ns, 10'000'000);
}

TEST(HostCores, StreamsOfOneWorkerUseFreeCores) {
  // Two streams of device 0 are two threads: with 2 cores they run side by
  // side (10 ms); without a core count they share device 0 (20 ms).
  EXPECT_EQ(simulate(cpu_cluster(2, 2), ops_on({0, 0})).makespan_ns, 10'000'000);
  EXPECT_EQ(simulate(cpu_cluster(2, 0), ops_on({0, 0})).makespan_ns, 20'000'000);
}

TEST(HostCores, ShareChangesWhenAnOpFinishes) {
  // 3 ops on 2 cores: a 5 ms op (5e8 FLOPs) and two 10 ms ops. All three run
  // at 2/3: the short one finishes at 5 / (2/3) = 7.5 ms, when the others
  // have 10 - 5 = 5 ms left; then 2 ops on 2 cores finish at 7.5 + 5 = 12.5 ms.
  TaskGraph g;
  g.add_compute(0, 0, ComputeKind::kGemm, 5e8, 0, DType::kFp32);
  g.add_compute(1, 0, ComputeKind::kGemm, 1e9, 0, DType::kFp32);
  g.add_compute(2, 0, ComputeKind::kGemm, 1e9, 0, DType::kFp32);
  SimOptions o;
  o.trace = true;
  SimResult r = simulate(cpu_cluster(3, 2), g, o);
  EXPECT_EQ(r.makespan_ns, 12'500'000);
  // The short op's slice: 7.5 ms (ts and dur in microseconds).
  EXPECT_NE(r.trace_json.find("\"ts\":0.000,\"dur\":7500.000"), std::string::npos);
}

TEST(HostCores, GpuDevicesIgnoreTheCpuCoreCount) {
  // Kind gpu: each device keeps its own processor whatever cpu_cores_per_node says.
  EXPECT_EQ(simulate(cpu_cluster(2, 1, "gpu"), ops_on({0, 1})).makespan_ns, 10'000'000);
}

}  // namespace
}  // namespace paralab::sim
