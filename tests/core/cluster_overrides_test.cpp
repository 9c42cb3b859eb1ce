// Cluster overrides (core/cluster_overrides.h): the one what-if mechanism.
// Expected values come from the catalog's datasheet figures (NVLink3 300
// GB/s per direction, 8 GPUs with 8 NVLinks per DGX-A100 node) and the
// override's arithmetic, not from the loader's output.
#include <gtest/gtest.h>

#include <string>

#include "core/catalog.h"
#include "core/cluster_overrides.h"
#include "core/error.h"

namespace paralab {
namespace {

int count_links(const Cluster& c, const std::string& kind, double bandwidth) {
  int n = 0;
  for (const auto& l : c.links()) n += l.kind == kind && l.bandwidth_bytes_per_s == bandwidth;
  return n;
}

std::string error_of(const std::vector<std::string>& ov, const std::string& cluster = "dgx-a100-80gb") {
  try {
    load_cluster(cluster, 0, ov);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ClusterOverrides, ScalesEveryNvLinkWithOneSelector) {
  // A DGX-A100 node has 8 GPU-NVSwitch links of 300 GB/s; two nodes have 16.
  Cluster base = load_cluster("dgx-a100-80gb", 2);
  ASSERT_EQ(count_links(base, "nvlink", 300e9), 16);
  Cluster half = load_cluster("dgx-a100-80gb", 2, {"links[kind=nvlink].bandwidth_bytes_per_s*=0.5"});
  EXPECT_EQ(count_links(half, "nvlink", 150e9), 16);
  EXPECT_EQ(count_links(half, "nvlink", 300e9), 0);
  // Other links are untouched: the 25 GB/s NICs still bound an inter-node route.
  auto r = half.route(half.device(0).vertex, half.device(8).vertex);
  EXPECT_DOUBLE_EQ(half.route_bandwidth_bytes_per_s(r), 25e9);
  EXPECT_EQ(half.overrides, std::vector<std::string>{"links[kind=nvlink].bandwidth_bytes_per_s*=0.5"});
}

TEST(ClusterOverrides, SetsGpuMemoryAndNodeShorthandIsTheSamePath) {
  Cluster a = load_cluster("dgx-a100-80gb", 0, {"components[kind=gpu].device.memory_bytes=24e9"});
  for (int g : a.accelerators()) EXPECT_DOUBLE_EQ(a.device(g).spec.memory_bytes, 24e9);
  Cluster b = load_cluster("dgx-a100-80gb", 0, {"node.components[kind=gpu].device.memory_bytes=24e9"});
  EXPECT_EQ(a.content_hash, b.content_hash);  // the same effective file
}

TEST(ClusterOverrides, ContentHashTellsAWhatIfFromItsBaseline) {
  Cluster base = load_cluster("dgx-a100-80gb");
  Cluster again = load_cluster("dgx-a100-80gb");
  Cluster nv = load_cluster("dgx-a100-80gb", 0, {"links[kind=nvlink].bandwidth_bytes_per_s*=2"});
  Cluster nodes = load_cluster("dgx-a100-80gb", 2);
  EXPECT_EQ(base.content_hash.size(), 32u);
  EXPECT_EQ(base.content_hash, again.content_hash);
  EXPECT_NE(base.content_hash, nv.content_hash);
  EXPECT_NE(base.content_hash, nodes.content_hash);
  EXPECT_EQ(base.name, nv.name);  // same name: only the hash tells them apart
  // x2 then x0.5 is the original file again.
  Cluster back = load_cluster("dgx-a100-80gb", 0,
                              {"links[kind=nvlink].bandwidth_bytes_per_s*=2", "links[kind=nvlink].bandwidth_bytes_per_s*=0.5"});
  EXPECT_EQ(back.content_hash, base.content_hash);
}

TEST(ClusterOverrides, SlowdownIsAnAppendedDeviceOverride) {
  EXPECT_EQ(slowdown_override(3, 1.5), R"(device_overrides+={"device":3,"slowdown":1.5})");
  Cluster c = load_cluster("dgx-a100-80gb", 0, {slowdown_override(3, 1.5), slowdown_override(5, 2.0)});
  EXPECT_DOUBLE_EQ(c.device(3).spec.slowdown, 1.5);
  EXPECT_DOUBLE_EQ(c.device(5).spec.slowdown, 2.0);
  EXPECT_DOUBLE_EQ(c.device(4).spec.slowdown, 1.0);
}

TEST(ClusterOverrides, IndexAndNumberSelectorsAndAddition) {
  // pipo-laptop: links[0] is the 24 GB/s PCIe 4.0 link, the SSD reads at 3.5 GB/s.
  Cluster c = load_cluster("pipo-laptop", 0,
                           {"links[0].bandwidth_bytes_per_s=32e9", "components[name=ssd].disk.read_bytes_per_s+=3.5e9"});
  EXPECT_EQ(count_links(c, "pcie", 32e9), 1);
  EXPECT_DOUBLE_EQ(c.disk(0)->read_bytes_per_s, 7e9);
}

TEST(ClusterOverrides, ErrorsNameTheOverrideThePathAndWhatWasThere) {
  std::string e = error_of({"links[kind=nvlnk].bandwidth_bytes_per_s*=2"});
  EXPECT_NE(e.find("override 'links[kind=nvlnk].bandwidth_bytes_per_s*=2'"), std::string::npos) << e;
  EXPECT_NE(e.find("dgx-a100-80gb.json"), std::string::npos) << e;
  EXPECT_NE(e.find("$.node.links: no element has kind = 'nvlnk'; values present: "), std::string::npos) << e;
  EXPECT_NE(e.find("nvlink"), std::string::npos) << e;

  e = error_of({"links[kind=nvlink].bandwith_bytes_per_s*=2"});
  EXPECT_NE(e.find("$.node.links[0]: no key 'bandwith_bytes_per_s'; did you mean 'bandwidth_bytes_per_s'?"),
            std::string::npos)
      << e;

  e = error_of({"links[kind=nvlink].kind*=2"});
  EXPECT_NE(e.find("'*=' scales a number, found \"nvlink\""), std::string::npos) << e;

  e = error_of({"links[kind=nvlink].bandwidth_bytes_per_s"});
  EXPECT_NE(e.find("no '=' outside brackets"), std::string::npos) << e;

  e = error_of({"links[99].bandwidth_bytes_per_s=1"});
  EXPECT_NE(e.find("index 99 is out of range"), std::string::npos) << e;

  // Validated like a file: the loader's own message, saying overrides were applied.
  e = error_of({"components[kind=gpu].device.memory_bytes=-1"});
  EXPECT_NE(e.find("(with overrides components[kind=gpu].device.memory_bytes=-1)"), std::string::npos) << e;
  EXPECT_NE(e.find("memory_bytes: expected a positive number, got -1"), std::string::npos) << e;

  // A collective cannot hold most of a GPU: NCCL's channels are a minority of its SMs.
  e = error_of({"components[kind=gpu].device.collective_compute_share=0.9"});
  EXPECT_NE(e.find("collective_compute_share"), std::string::npos) << e;
  EXPECT_NE(e.find("a fraction in [0, 0.5] (channels / SMs)"), std::string::npos) << e;
}

TEST(ClusterOverrides, ContentHashIsStable) {
  // FNV-1a 64 of the empty string is its offset basis, 0xcbf29ce484222325.
  EXPECT_EQ(content_hash("").substr(0, 16), "cbf29ce484222325");
  EXPECT_NE(content_hash("a"), content_hash("b"));
}

}  // namespace
}  // namespace paralab
