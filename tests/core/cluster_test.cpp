// Cluster loading, expansion to N nodes, routing, and bad-input messages.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/catalog.h"
#include "core/error.h"

namespace paralab {
namespace {

TEST(Cluster, DgxA100ScalesToNodes) {
  Cluster c = load_cluster("dgx-a100-80gb", 4);
  EXPECT_EQ(c.num_nodes, 4);
  EXPECT_EQ(c.num_devices(), 32);
  EXPECT_EQ(c.accelerators().size(), 32u);
  EXPECT_EQ(c.device(8 * 2 + 3).vertex_name, "n2.gpu3");  // invariant 1: node-major numbering
  EXPECT_DOUBLE_EQ(c.device(0).spec.peak("bf16"), 312e12);
  EXPECT_DOUBLE_EQ(c.device(0).spec.memory_bytes, 80.0 * 1024 * 1024 * 1024);
}

TEST(Cluster, IntraNodeRouteGoesThroughNvSwitch) {
  Cluster c = load_cluster("dgx-a100-80gb");
  auto r = c.route(c.device(0).vertex, c.device(5).vertex);
  // gpu0 -> nvswitch0 -> gpu5: two NVLink hops at 300 GB/s, 1 us each.
  ASSERT_EQ(r.size(), 2u);
  EXPECT_DOUBLE_EQ(c.route_bandwidth_bytes_per_s(r), 300e9);
  EXPECT_DOUBLE_EQ(c.route_latency_seconds(r), 2e-6);
  EXPECT_NE(r[0].directed(), r[1].directed());
}

TEST(Cluster, InterNodeRouteIsLimitedByTheNic) {
  Cluster c = load_cluster("dgx-a100-80gb", 2);
  auto r = c.route(c.device(0).vertex, c.device(8).vertex);
  // gpu0 -> pcie_switch0 -> nic0 -> leaf0 -> n1.nic0 -> n1.pcie_switch0 -> n1.gpu0.
  // Bottleneck: the 200 Gb/s NIC (25 GB/s). Latency: 4 PCIe hops of 1 us and
  // two NIC-leaf hops of 2 us / 4 = 0.5 us.
  ASSERT_EQ(r.size(), 6u);
  EXPECT_DOUBLE_EQ(c.route_bandwidth_bytes_per_s(r), 25e9);
  EXPECT_NEAR(c.route_latency_seconds(r), 5e-6, 1e-12);
}

TEST(Cluster, EachGpuLeavesItsNodeThroughItsOwnNic) {
  // DGX A100 / H100: 8 GPUs, 8 NICs, two GPUs and two NICs per PCIe switch.
  // GPU i's traffic to another node goes out through NIC i (NCCL's GPU-NIC
  // affinity), so the 8 GPUs use 8 distinct NICs and a route is still 6 hops.
  for (const char* name : {"dgx-a100-80gb", "dgx-h100"}) {
    SCOPED_TRACE(name);
    Cluster c = load_cluster(name, 2);
    std::set<std::string> out_nics;
    for (int g = 0; g < 8; ++g) {
      auto r = c.route(c.device(g).vertex, c.device(8 + g).vertex);
      ASSERT_EQ(r.size(), 6u) << "gpu " << g;
      const Link& l = c.links()[r[1].link];  // pcie_switch -> nic
      std::string nic = c.vertices()[r[1].forward ? l.b : l.a].name;
      EXPECT_EQ(nic, "n0.nic" + std::to_string(g));
      const Link& in = c.links()[r[4].link];  // n1.nic -> n1.pcie_switch
      EXPECT_EQ(c.vertices()[r[4].forward ? in.a : in.b].name, "n1.nic" + std::to_string(g));
      out_nics.insert(nic);
    }
    EXPECT_EQ(out_nics.size(), 8u);
  }
}

TEST(Cluster, HostMemoryAndDiskAreReachable) {
  Cluster c = load_cluster("pipo-laptop");
  int gpu = c.accelerators().at(0);
  auto r = c.route(c.device(gpu).vertex, c.host_memory_vertex(0));
  // gpu -> cpu (PCIe 24 GB/s) -> host memory (51.2 GB/s).
  ASSERT_EQ(r.size(), 2u);
  EXPECT_DOUBLE_EQ(c.route_bandwidth_bytes_per_s(r), 24e9);
  ASSERT_NE(c.disk(0), nullptr);
  EXPECT_DOUBLE_EQ(c.disk(0)->read_bytes_per_s, 3.5e9);
  EXPECT_DOUBLE_EQ(c.tier_capacity_bytes(gpu, TierKind::kDevice), 6.0 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(c.tier_capacity_bytes(gpu, TierKind::kPageableHost), 16.0 * 1024 * 1024 * 1024);
}

TEST(Cluster, EfficiencyCurveInterpolatesInLogSize) {
  DeviceSpec d;
  d.gemm_efficiency = 0.5;
  EXPECT_DOUBLE_EQ(d.gemm_efficiency_at(1e9), 0.5);  // no curve: the constant
  d.gemm_efficiency_curve = {{1e6, 0.2}, {1e10, 0.8}};
  EXPECT_DOUBLE_EQ(d.gemm_efficiency_at(1e3), 0.2);   // clamped below
  EXPECT_DOUBLE_EQ(d.gemm_efficiency_at(1e12), 0.8);  // clamped above
  EXPECT_NEAR(d.gemm_efficiency_at(1e8), 0.5, 1e-12);  // halfway in log10: 6 -> 8 -> 10
}

// A minimal valid cluster file; tests break one field at a time.
Json small_cluster() {
  return Json::parse(R"({
    "name": "t", "description": "test", "source": "hand-written", "nodes": 1,
    "node": {
      "components": [
        {"name": "gpu", "kind": "gpu", "count": 2, "device": {"model": "G", "peak_flops_per_s": {"fp16": 1e12},
         "memory_bytes": 1e9, "memory_bandwidth_bytes_per_s": 1e11, "source": "test"}},
        {"name": "cpu", "kind": "cpu"},
        {"name": "mem", "kind": "memory", "memory": {"capacity_bytes": 1e10, "bandwidth_bytes_per_s": 1e10,
         "pageable_copy_bytes_per_s": 1e9, "source": "test"}}
      ],
      "links": [
        {"between": ["gpu", "cpu"], "kind": "pcie", "bandwidth_bytes_per_s": 1e10, "latency_seconds": 1e-6, "source": "t"},
        {"between": ["cpu", "mem"], "kind": "memory_bus", "bandwidth_bytes_per_s": 1e10, "latency_seconds": 0, "source": "t"}
      ]
    }
  })");
}

std::string error_of(const Json& j) {
  try {
    cluster_from_json(JsonReader(j, "c.json"));
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ClusterErrors, ValidFileLoads) { EXPECT_EQ(error_of(small_cluster()), ""); }

TEST(ClusterErrors, NegativeMemoryNamesThePath) {
  Json j = small_cluster();
  j["node"]["components"][0]["device"]["memory_bytes"] = -1;
  EXPECT_EQ(error_of(j), "c.json: $.node.components[0].device.memory_bytes: expected a positive number, got -1");
}

TEST(ClusterErrors, UnknownComponentInLinkListsComponents) {
  Json j = small_cluster();
  j["node"]["links"][0]["between"][1] = "nvswitch";
  EXPECT_EQ(error_of(j), "c.json: $.node.links[0].between: unknown component 'nvswitch'; components are: gpu, cpu, mem");
}

TEST(ClusterErrors, UnknownKindListsKinds) {
  Json j = small_cluster();
  j["node"]["components"][1]["kind"] = "tpu";
  EXPECT_EQ(error_of(j),
            "c.json: $.node.components[1].kind: expected one of gpu, cpu, switch, memory, nic, disk, got \"tpu\"");
}

TEST(ClusterErrors, UnknownDtype) {
  Json j = small_cluster();
  j["node"]["components"][0]["device"]["peak_flops_per_s"]["fp12"] = 1e12;
  EXPECT_EQ(error_of(j),
            "c.json: $.node.components[0].device.peak_flops_per_s: unknown dtype 'fp12'; valid: fp32, tf32, fp16, bf16, "
            "fp8, int8, int4");
}

TEST(ClusterErrors, DisconnectedComponent) {
  Json j = small_cluster();
  j["node"]["links"].erase(1);
  EXPECT_EQ(error_of(j), "cluster t: component 'n0.mem0' is not connected to 'n0.gpu0' by any link");
}

TEST(ClusterErrors, MultiNodeNeedsANetwork) {
  Json j = small_cluster();
  j["nodes"] = 2;
  EXPECT_EQ(error_of(j), "c.json: $: a cluster of 2 nodes needs a 'network' section and 'nic' components");
}

TEST(ClusterErrors, UnknownClusterNameListsValidNames) {
  try {
    load_cluster("dgx-b200");
    FAIL();
  } catch (const InputError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("unknown cluster 'dgx-b200'; valid names: "), std::string::npos) << m;
    EXPECT_NE(m.find("dgx-a100-80gb"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace paralab
