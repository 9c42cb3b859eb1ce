// core/hardware_profile: round trip, validation messages and how a profile
// changes a cluster. (Lives in tests/real because calibration owns the format.)
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "core/catalog.h"
#include "core/cost_model.h"
#include "core/error.h"
#include "core/hardware_profile.h"

namespace paralab {
namespace {

HardwareProfile sample() {
  HardwareProfile p;
  p.name = "unit";
  p.backend = "host";
  p.created_at = "2026-01-01T00:00:00Z";
  DeviceProfile d;
  d.kind = "cpu";
  d.model = "test core";
  d.peak_flops_per_s["fp32"] = 50e9;
  d.gemm_efficiency_curve = {{1e6, 0.2}, {1e9, 0.9}};
  d.memory_bandwidth_bytes_per_s = 12e9;
  d.memory_efficiency_curve = {{1e4, 0.5}, {1e8, 1.0}};
  d.launch_overhead_seconds = 3e-6;
  p.devices.push_back(d);
  p.host_memory = {15e9, 6e9};
  p.links.push_back({"memory_bus", 7e9, 2e-6, "memcpy fit", {}});
  p.disk.read_bytes_per_s = 1.5e9;
  p.disk.latency_seconds = 80e-6;
  p.disk.queue_depth = 4;
  CollectiveProfile c;
  c.kind = "all_reduce";
  c.ranks = 2;
  c.transport = "mpi";
  c.alpha_seconds = 5e-6;
  c.busbw_bytes_per_s = 4e9;
  c.points.push_back({1e6, 2.5e-4, 4e9, 4e9});
  p.collectives.push_back(c);
  p.notes.push_back("a note");
  return p;
}

TEST(HardwareProfile, JsonRoundTripKeepsEveryField) {
  HardwareProfile p = sample();
  Json j = p.to_json();
  HardwareProfile q = hardware_profile_from_json(JsonReader(j, "mem"));
  EXPECT_EQ(q.to_json(), j);
}

TEST(HardwareProfile, RejectsWrongFormatAndUnsortedCurveWithPath) {
  Json j = sample().to_json();
  j["format"] = "v0";
  EXPECT_THROW(hardware_profile_from_json(JsonReader(j, "p.json")), InputError);
  j = sample().to_json();
  j["devices"][0]["gemm_efficiency_curve"] = Json::array({Json::array({1e9, 0.5}), Json::array({1e6, 0.4})});
  try {
    hardware_profile_from_json(JsonReader(j, "p.json"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "p.json: $.devices[0].gemm_efficiency_curve[1]: expected sizes in ascending order, got 1000000.0");
  }
  j = sample().to_json();
  j["devices"][0]["gemm_efficiency_curve"][0][1] = 1.5;
  EXPECT_THROW(hardware_profile_from_json(JsonReader(j, "p.json")), InputError);
}

TEST(HardwareProfile, ApplyWritesFiguresIntoLocalhostCluster) {
  Cluster c = load_cluster("localhost-cpu");
  int nlinks = static_cast<int>(c.links().size());
  int changed = apply_hardware_profile(sample(), &c);
  // 2 cpu devices + 2 memory_bus links (one per core) + host memory + disk.
  EXPECT_EQ(changed, 6);
  ASSERT_EQ(c.num_devices(), 2);
  for (const auto& d : c.devices()) {
    EXPECT_DOUBLE_EQ(d.spec.peak("fp32"), 50e9);
    // Curve interpolated in log(size): halfway between 1e6 and 1e9 is 10^7.5.
    EXPECT_NEAR(d.spec.gemm_efficiency_at(std::pow(10.0, 7.5)), 0.55, 1e-12);
    EXPECT_DOUBLE_EQ(d.spec.memory_bandwidth_bytes_per_s, 12e9);
    EXPECT_DOUBLE_EQ(d.spec.launch_overhead_seconds, 3e-6);
    EXPECT_EQ(d.spec.source.rfind("calibrated:unit", 0), 0u);
  }
  ASSERT_EQ(static_cast<int>(c.links().size()), nlinks);
  for (const auto& l : c.links()) {
    if (l.kind != "memory_bus") continue;
    EXPECT_DOUBLE_EQ(l.bandwidth_bytes_per_s, 7e9);
    EXPECT_DOUBLE_EQ(l.latency_seconds, 2e-6);
  }
  EXPECT_DOUBLE_EQ(c.host_memory(0).bandwidth_bytes_per_s, 15e9);
  EXPECT_DOUBLE_EQ(c.host_memory(0).pageable_copy_bytes_per_s, 6e9);
  ASSERT_NE(c.disk(0), nullptr);
  EXPECT_DOUBLE_EQ(c.disk(0)->read_bytes_per_s, 1.5e9);
  EXPECT_EQ(c.disk(0)->queue_depth, 4);
  // Routes survive the rebuild: core 0 to core 1 through host memory.
  EXPECT_EQ(c.route(c.device(0).vertex, c.device(1).vertex).size(), 2u);
}

TEST(HardwareProfile, GpuEntryLeavesCpuDevicesAlone) {
  HardwareProfile p = sample();
  p.devices[0].kind = "gpu";
  Cluster c = load_cluster("localhost-cpu");
  double before = c.device(0).spec.peak("fp32");
  apply_hardware_profile(p, &c);
  EXPECT_DOUBLE_EQ(c.device(0).spec.peak("fp32"), before);
}

}  // namespace
}  // namespace paralab

namespace paralab {
namespace {

HardwareProfile with_grid() {
  HardwareProfile p = sample();
  p.host_cores = 3;
  GemmEfficiencyGrid& g = p.devices[0].gemm_efficiency_grid;
  g.m = {64, 256};
  g.n = {64, 256};
  g.k = {64};
  g.efficiency = {0.5, 0.6, 0.7, 0.8};
  return p;
}

TEST(HardwareProfile, GridAndHostCoresRoundTripAndApply) {
  HardwareProfile p = with_grid();
  Json j = p.to_json();
  HardwareProfile q = hardware_profile_from_json(JsonReader(j, "mem"));
  EXPECT_EQ(q.to_json(), j);
  EXPECT_EQ(q.host_cores, 3);
  EXPECT_EQ(q.devices[0].gemm_efficiency_grid, p.devices[0].gemm_efficiency_grid);
  Cluster c = load_cluster("localhost-cpu");
  EXPECT_EQ(c.cpu_cores_per_node, 2);  // the catalog's node.cpu_cores
  apply_hardware_profile(q, &c);
  EXPECT_EQ(c.cpu_cores_per_node, 3);
  // Grid point (m 256, n 64, k 64) = index (1 * 2 + 0) * 1 + 0 = 2 -> 0.7; an op without a shape uses the curve.
  EXPECT_DOUBLE_EQ(c.device(1).spec.gemm_efficiency_for(256, 64, 64, 1e6), 0.7);
  EXPECT_NEAR(c.device(1).spec.gemm_efficiency_for(0, 0, 0, 1e6), 0.2, 1e-12);
}

TEST(HardwareProfile, ProfilesWithoutGridOrHostCoresStillLoad) {
  Json j = with_grid().to_json();
  j.erase("host_cores");
  j["devices"][0].erase("gemm_efficiency_grid");
  HardwareProfile q = hardware_profile_from_json(JsonReader(j, "old.json"));
  EXPECT_EQ(q.host_cores, 0);
  EXPECT_TRUE(q.devices[0].gemm_efficiency_grid.empty());
  Cluster c = load_cluster("localhost-cpu");
  apply_hardware_profile(q, &c);
  EXPECT_EQ(c.cpu_cores_per_node, 2);  // unchanged: not measured
}

TEST(HardwareProfile, RejectsABadGridWithPath) {
  Json j = with_grid().to_json();
  j["devices"][0]["gemm_efficiency_grid"]["efficiency"] = Json::array({0.5, 0.6, 0.7});
  try {
    hardware_profile_from_json(JsonReader(j, "p.json"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "p.json: $.devices[0].gemm_efficiency_grid: efficiency has 3 values, expected m x n x k = 4 (expected "
              "ascending positive axes m, n, k and m x n x k efficiencies in (0, 1], m-major)");
  }
  j = with_grid().to_json();
  j["devices"][0]["gemm_efficiency_grid"]["m"] = "64";
  EXPECT_THROW(hardware_profile_from_json(JsonReader(j, "p.json")), InputError);
}

}  // namespace
}  // namespace paralab

namespace paralab {
namespace {

// A GPU's pinned host-to-device fit is a "pcie" link figure, but in
// commodity-4x4 the NIC and the NVMe SSD also hang off "pcie" links
// (nic-cpu 15.75 GB/s, ssd-cpu 3.94 GB/s in the catalog): with
// except_touching {nic, disk} those keep their catalog figures while the
// GPU's path (gpu-pcie_switch, pcie_switch-cpu) takes the fit.
TEST(HardwareProfile, PcieFitSkipsLinksTouchingNicsAndDisks) {
  Cluster c = load_cluster("commodity-4x4");
  HardwareProfile p;
  p.name = "unit";
  p.backend = "cuda";
  p.links.push_back({"pcie", 24e9, 3e-6, "h2d pinned fit", {"nic", "disk"}});
  HardwareProfile q = hardware_profile_from_json(JsonReader(p.to_json(), "mem"));
  ASSERT_EQ(q.links.at(0).except_touching, (std::vector<std::string>{"nic", "disk"}));
  apply_hardware_profile(q, &c);
  int gpu_path = 0, kept = 0;
  for (const auto& l : c.links()) {
    if (l.kind != "pcie") continue;
    const std::string& a = c.vertices()[l.a].kind;
    const std::string& b = c.vertices()[l.b].kind;
    if (a == "nic" || b == "nic") {
      EXPECT_DOUBLE_EQ(l.bandwidth_bytes_per_s, 15.75e9);
      ++kept;
    } else if (a == "disk" || b == "disk") {
      EXPECT_DOUBLE_EQ(l.bandwidth_bytes_per_s, 3.94e9);
      ++kept;
    } else {
      EXPECT_DOUBLE_EQ(l.bandwidth_bytes_per_s, 24e9);
      ++gpu_path;
    }
  }
  // 4 nodes x (4 gpu-switch + 2 switch-cpu) on the GPU path; 4 x (nic + ssd) kept.
  EXPECT_EQ(gpu_path, 24);
  EXPECT_EQ(kept, 8);
}

}  // namespace
}  // namespace paralab

namespace paralab {
namespace {

// Weight-only quantized GEMM rates: round trip, the error for rows out of
// order, and what an applied profile does to a quantized op's cost.
TEST(HardwareProfile, QuantizedGemmRatesRoundTripApplyAndPriceTheOp) {
  HardwareProfile p = sample();
  p.devices[0].quantized_gemm_seconds_per_weight["rtn-b4-g128"] = {{1, 2e-9}, {5, 3e-9}};
  Json j = p.to_json();
  HardwareProfile q = hardware_profile_from_json(JsonReader(j, "mem"));
  EXPECT_EQ(q.to_json(), j);
  EXPECT_EQ(q.devices[0].quantized_gemm_seconds_per_weight, p.devices[0].quantized_gemm_seconds_per_weight);

  Json bad = j;
  bad["devices"][0]["quantized_gemm_seconds_per_weight"]["rtn-b4-g128"] =
      Json::array({Json::array({4, 2e-9}), Json::array({2, 3e-9})});
  try {
    hardware_profile_from_json(JsonReader(bad, "p.json"));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "p.json: $.devices[0].quantized_gemm_seconds_per_weight.rtn-b4-g128[1]: expected rows in ascending "
              "order, got 2");
  }
  bad["devices"][0]["quantized_gemm_seconds_per_weight"]["rtn-b4-g128"] = Json::array({Json::array({1, 0})});
  EXPECT_THROW(hardware_profile_from_json(JsonReader(bad, "p.json")), InputError);

  Cluster c = load_cluster("localhost-cpu");
  apply_hardware_profile(q, &c);
  const DeviceSpec& s = c.device(1).spec;
  // Linear in m between (1, 2 ns) and (5, 3 ns): 2.5 ns at m = 3; the first
  // point's below it; the last segment extended above it: 4 ns at m = 9.
  EXPECT_NEAR(s.quantized_seconds_per_weight("rtn-b4-g128", 3), 2.5e-9, 1e-21);
  EXPECT_NEAR(s.quantized_seconds_per_weight("rtn-b4-g128", 0.5), 2e-9, 1e-21);
  EXPECT_NEAR(s.quantized_seconds_per_weight("rtn-b4-g128", 9), 4e-9, 1e-21);
  EXPECT_LT(s.quantized_seconds_per_weight("rtn-b4-g64", 3), 0);  // not calibrated

  // An op of m = 3 rows over a 1000 x 2000 matrix: 2e6 weights x 2.5 ns =
  // 5 ms of work (the profile's 3 us launch apart), whatever its FLOPs.
  CostModel cm(c);
  GemmShape shape{3, 1000, 2000, 0};
  const std::string f = "rtn-b4-g128", other = "rtn-b4-g64";
  ComputeTime t = cm.compute(1, ComputeKind::kGemm, 1.2e7, 1.1e6, DType::kFp32, &shape, &f);
  EXPECT_EQ(t.work_ns, 5'000'000);
  EXPECT_EQ(t.launch_ns, 3'000);
  // A format without points keeps the roofline, as does an op whose format is not named.
  EXPECT_EQ(cm.compute(1, ComputeKind::kGemm, 1.2e7, 1.1e6, DType::kFp32, &shape, &other).work_ns,
            cm.compute(1, ComputeKind::kGemm, 1.2e7, 1.1e6, DType::kFp32, &shape).work_ns);
  EXPECT_NE(cm.compute(1, ComputeKind::kGemm, 1.2e7, 1.1e6, DType::kFp32, &shape).work_ns, 5'000'000);
}

}  // namespace
}  // namespace paralab

namespace paralab {
namespace {

// A memcpy fit (no collective_rate) keeps the catalog's protocol
// efficiency on the links it sets, and every other link keeps its own.
TEST(HardwareProfile, ApplyKeepsCatalogCollectiveEfficiencyUnlessTheRateIsACollectives) {
  Cluster c = load_cluster("dgx-a100-80gb", 2);
  std::map<std::string, double> before;
  for (const Link& l : c.links()) before[l.kind] = l.collective_efficiency;
  HardwareProfile p;
  p.name = "pcie-only";
  p.backend = "cuda";
  p.links.push_back({"pcie", 20e9, 1e-6, "h2d memcpy fit", {"nic", "disk"}});
  p.links.push_back({"nvlink", 200e9, 1e-6, "NCCL all-reduce busbw fit", {}, true});
  apply_hardware_profile(p, &c);
  for (const Link& l : c.links())
    EXPECT_DOUBLE_EQ(l.collective_efficiency, l.kind == "nvlink" ? 1.0 : before[l.kind]) << l.kind;
}

}  // namespace
}  // namespace paralab
