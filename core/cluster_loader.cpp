// Parsing cluster files into the expanded Cluster topology.
#include <set>

#include "core/cluster.h"
#include "core/cluster_overrides.h"
#include "core/error.h"
#include "core/limits.h"

namespace paralab {

namespace {

const std::vector<std::string>& component_kinds() {
  static const std::vector<std::string> k = {"gpu", "cpu", "switch", "memory", "nic", "disk"};
  return k;
}

struct Component {
  std::string name;
  std::string kind;
  int count = 1;
  DeviceSpec device;
  HostMemorySpec memory;
  DiskSpec disk;
  double nic_bandwidth_bytes_per_s = 0;
};

DeviceSpec parse_device(const JsonReader& j, const std::string& kind) {
  j.only_keys({"model", "peak_flops_per_s", "memory_bytes", "memory_bandwidth_bytes_per_s", "gemm_efficiency",
               "memory_efficiency", "launch_overhead_seconds", "collective_compute_share", "slowdown", "source"});
  DeviceSpec d;
  d.kind = kind;
  d.model = j.str("model");
  JsonReader peaks = j.at("peak_flops_per_s");
  for (const auto& k : peaks.keys()) {
    DType t;
    if (!parse_dtype(k.c_str(), &t)) peaks.fail("unknown dtype '" + k + "'; valid: " + dtype_names());
    d.peak_flops_per_s[k] = peaks.positive(k.c_str());
  }
  if (d.peak_flops_per_s.empty()) peaks.fail("expected at least one dtype's peak FLOP/s");
  d.memory_bytes = j.positive("memory_bytes");
  d.memory_bandwidth_bytes_per_s = j.positive("memory_bandwidth_bytes_per_s");
  d.gemm_efficiency = j.number_or("gemm_efficiency", d.gemm_efficiency, 1e-6);
  d.memory_efficiency = j.number_or("memory_efficiency", d.memory_efficiency, 1e-6);
  if (d.gemm_efficiency > 1) j.fail_field("gemm_efficiency", "a fraction in (0, 1]");
  if (d.memory_efficiency > 1) j.fail_field("memory_efficiency", "a fraction in (0, 1]");
  d.launch_overhead_seconds = j.number_or("launch_overhead_seconds", d.launch_overhead_seconds, 0.0);
  d.collective_compute_share = j.number_or("collective_compute_share", 0.0, 0.0);
  if (d.collective_compute_share > kMaxCollectiveComputeShare)
    j.fail_field("collective_compute_share", "a fraction in [0, 0.5] (channels / SMs)");
  d.slowdown = j.number_or("slowdown", 1.0, 1e-6);
  d.source = j.str("source");
  return d;
}

Component parse_component(const JsonReader& j) {
  j.only_keys({"name", "kind", "count", "device", "memory", "disk", "bandwidth_bytes_per_s"});
  Component c;
  c.name = j.str("name");
  if (c.name.empty() || c.name.find_first_of(". ") != std::string::npos)
    j.fail_field("name", "a non-empty name without '.' or spaces");
  c.kind = j.choice("kind", component_kinds());
  c.count = j.int_field_or("count", 1, 1, kMaxComponentCount);
  if (c.kind == "gpu") c.device = parse_device(j.at("device"), c.kind);
  if (c.kind == "cpu" && j.has("device")) c.device = parse_device(j.at("device"), c.kind);
  if (c.kind == "memory") {
    if (c.count != 1) j.fail_field("count", "1 (one host memory per node)");
    JsonReader m = j.at("memory");
    m.only_keys({"capacity_bytes", "pinned_capacity_bytes", "bandwidth_bytes_per_s", "pageable_copy_bytes_per_s",
                 "source"});
    c.memory.capacity_bytes = m.positive("capacity_bytes");
    c.memory.pinned_capacity_bytes = m.number_or("pinned_capacity_bytes", c.memory.capacity_bytes / 2, 0.0);
    if (c.memory.pinned_capacity_bytes > c.memory.capacity_bytes)
      m.fail_field("pinned_capacity_bytes", "at most capacity_bytes");
    c.memory.bandwidth_bytes_per_s = m.positive("bandwidth_bytes_per_s");
    c.memory.pageable_copy_bytes_per_s = m.positive("pageable_copy_bytes_per_s");
    c.memory.source = m.str("source");
  }
  if (c.kind == "disk") {
    if (c.count != 1) j.fail_field("count", "1 (one disk per node; describe a RAID as one disk)");
    JsonReader d = j.at("disk");
    d.only_keys({"capacity_bytes", "read_bytes_per_s", "write_bytes_per_s", "latency_seconds", "queue_depth", "source"});
    c.disk.capacity_bytes = d.positive("capacity_bytes");
    c.disk.read_bytes_per_s = d.positive("read_bytes_per_s");
    c.disk.write_bytes_per_s = d.positive("write_bytes_per_s");
    c.disk.latency_seconds = d.non_negative("latency_seconds");
    c.disk.queue_depth = d.int_field_or("queue_depth", 32, 1);
    c.disk.source = d.str("source");
  }
  if (c.kind == "nic") c.nic_bandwidth_bytes_per_s = j.positive("bandwidth_bytes_per_s");
  return c;
}

// Instance pairs linked between a group of m and a group of n instances.
std::vector<std::pair<int, int>> pairing(int m, int n, const JsonReader& j) {
  std::vector<std::pair<int, int>> out;
  if (n == 1) {
    for (int i = 0; i < m; ++i) out.emplace_back(i, 0);
  } else if (m == 1) {
    for (int i = 0; i < n; ++i) out.emplace_back(0, i);
  } else if (m % n == 0) {
    for (int i = 0; i < m; ++i) out.emplace_back(i, i / (m / n));
  } else if (n % m == 0) {
    for (int i = 0; i < n; ++i) out.emplace_back(i / (n / m), i);
  } else {
    j.fail("cannot pair " + std::to_string(m) + " with " + std::to_string(n) +
           " instances: one count must divide the other");
  }
  return out;
}

// A link's (or the network's) collective_efficiency: in (0, 1], default 1.
double collective_efficiency(const JsonReader& j) {
  double e = j.number_or("collective_efficiency", 1.0, 1e-3);
  if (e > 1.0) j.fail_field("collective_efficiency", "a fraction of the line rate in (0, 1]");
  return e;
}

std::string instance_name(int node, const std::string& comp, int i) {
  return "n" + std::to_string(node) + "." + comp + std::to_string(i);
}

}  // namespace

Cluster cluster_from_json(const JsonReader& j, int nodes_override) {
  j.only_keys({"name", "description", "source", "nodes", "node", "network", "device_overrides", "link_overrides"});
  Cluster c;
  c.name = j.str("name");
  c.description = j.str("description");
  c.source = j.str("source");
  c.num_nodes = j.int_field_or("nodes", 1, 1, kMaxNodes);
  if (nodes_override > kMaxNodes)
    j.fail("a node count of " + std::to_string(nodes_override) + " was asked for: expected at most " +
           std::to_string(kMaxNodes) + " nodes (core/limits.h)");
  if (nodes_override > 0) c.num_nodes = nodes_override;

  JsonReader node = j.at("node");
  node.only_keys({"cpu_cores", "components", "links"});
  c.cpu_cores_per_node = node.int_field_or("cpu_cores", 0, 0);
  JsonReader comps = node.at("components");
  comps.require_array();
  std::vector<Component> components;
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < comps.size(); ++i) {
    components.push_back(parse_component(comps.at(i)));
    if (!by_name.emplace(components.back().name, i).second)
      comps.at(i).fail_field("name", "a name not used by another component");
  }
  JsonReader links = node.at("links");
  links.require_array();

  std::optional<JsonReader> net = j.find("network");
  bool has_nic = false;
  for (const auto& comp : components) has_nic |= comp.kind == "nic";
  if (c.num_nodes > 1 && (!net || !has_nic))
    j.fail("a cluster of " + std::to_string(c.num_nodes) + " nodes needs a 'network' section and 'nic' components");

  int64_t per_node = 0;
  for (const auto& comp : components) per_node += comp.count;
  if (per_node * c.num_nodes > kMaxVertices)
    j.fail(std::to_string(c.num_nodes) + " nodes of " + std::to_string(per_node) + " components make " +
           std::to_string(per_node * c.num_nodes) + " topology vertices: expected at most " +
           std::to_string(kMaxVertices) + " (core/limits.h)");

  // Vertices and devices, node by node.
  std::vector<int> nic_vertices;
  std::vector<double> nic_bw;
  for (int n = 0; n < c.num_nodes; ++n) {
    for (const auto& comp : components) {
      for (int i = 0; i < comp.count; ++i) {
        Vertex v{instance_name(n, comp.name, i), comp.name, comp.kind, n, i};
        int vid = c.add_vertex(v);
        if ((comp.kind == "gpu") || (comp.kind == "cpu" && !comp.device.model.empty())) {
          Device d;
          d.node = n;
          d.local_index = i;
          d.component = comp.name;
          d.vertex = vid;
          d.vertex_name = v.name;
          d.spec = comp.device;
          c.add_device(d);
        }
        if (comp.kind == "memory") c.set_host_memory(n, comp.memory);
        if (comp.kind == "disk") c.set_disk(n, comp.disk);
        if (comp.kind == "nic") {
          nic_vertices.push_back(vid);
          nic_bw.push_back(comp.nic_bandwidth_bytes_per_s);
        }
      }
    }
    for (size_t li = 0; li < links.size(); ++li) {
      JsonReader l = links.at(li);
      l.only_keys({"between", "kind", "bandwidth_bytes_per_s", "latency_seconds", "collective_efficiency", "source"});
      JsonReader between = l.at("between");
      if (!between.json().is_array() || between.json().size() != 2 || !between.json()[0].is_string() ||
          !between.json()[1].is_string())
        between.fail("expected two component names, e.g. [\"gpu\", \"nvswitch\"]");
      std::string a = between.json()[0], b = between.json()[1];
      for (const auto& name : {a, b})
        if (!by_name.count(name)) {
          std::vector<std::string> names;
          for (const auto& comp : components) names.push_back(comp.name);
          between.fail("unknown component '" + name + "'; components are: " + join_names(names));
        }
      const Component& ca = components[by_name[a]];
      const Component& cb = components[by_name[b]];
      std::string kind = l.str("kind");
      double bw = l.positive("bandwidth_bytes_per_s");
      double lat = l.non_negative("latency_seconds");
      std::string src = l.str("source");
      double eff = collective_efficiency(l);
      for (auto [ia, ib] : pairing(ca.count, cb.count, l))
        c.set_collective_efficiency(
            c.add_link(c.vertex_id(instance_name(n, a, ia)), c.vertex_id(instance_name(n, b, ib)), kind, bw, lat, src),
            eff);
    }
  }

  if (net && has_nic) {
    JsonReader nj = *net;
    nj.only_keys({"topology", "latency_seconds", "collective_efficiency", "source", "kind", "nodes_per_leaf",
                  "oversubscription"});
    std::string topo = nj.choice_or("topology", {"single-switch", "fat-tree"}, "single-switch");
    double lat = nj.non_negative("latency_seconds");
    std::string src = nj.str("source");
    std::string kind = nj.str_or("kind", "network");
    double eff = collective_efficiency(nj);
    auto add_net_link = [&](int a, int b, double bw, double latency) {
      c.set_collective_efficiency(c.add_link(a, b, kind, bw, latency, src), eff);
    };
    int nics_per_node = static_cast<int>(nic_vertices.size()) / c.num_nodes;
    if (topo == "single-switch") {
      int sw = c.add_vertex(Vertex{"network.switch0", "switch", "network", -1, 0});
      for (size_t i = 0; i < nic_vertices.size(); ++i) add_net_link(nic_vertices[i], sw, nic_bw[i], lat / 2);
    } else {
      // Two levels: a leaf switch per `nodes_per_leaf` nodes, each leaf joined
      // to one spine by a trunk of (NIC bandwidth x NICs under the leaf) /
      // oversubscription.
      int per_leaf = nj.int_field_or("nodes_per_leaf", 8, 1);
      double over = nj.number_or("oversubscription", 1.0, 1.0);
      int leaves = (c.num_nodes + per_leaf - 1) / per_leaf;
      int spine = leaves > 1 ? c.add_vertex(Vertex{"network.spine0", "switch", "network", -1, 0}) : -1;
      for (int lf = 0; lf < leaves; ++lf) {
        int leaf = c.add_vertex(Vertex{"network.leaf" + std::to_string(lf), "switch", "network", -1, lf});
        double trunk = 0;
        for (int n = lf * per_leaf; n < std::min(c.num_nodes, (lf + 1) * per_leaf); ++n)
          for (int k = 0; k < nics_per_node; ++k) {
            size_t idx = size_t(n) * nics_per_node + k;
            add_net_link(nic_vertices[idx], leaf, nic_bw[idx], lat / 4);
            trunk += nic_bw[idx];
          }
        if (spine >= 0) add_net_link(leaf, spine, trunk / over, lat / 4);
      }
    }
  }

  // Stragglers and degraded links.
  if (auto ov = j.find("device_overrides")) {
    ov->require_array();
    for (size_t i = 0; i < ov->size(); ++i) {
      JsonReader o = ov->at(i);
      o.only_keys({"device", "slowdown"});
      int64_t id = o.integer("device", 0);
      if (id >= c.num_devices())
        o.fail_field("device", "a device id below " + std::to_string(c.num_devices()));
      c.set_slowdown(static_cast<int>(id), o.number("slowdown", 1e-6));
    }
  }
  if (auto ov = j.find("link_overrides")) {
    ov->require_array();
    for (size_t i = 0; i < ov->size(); ++i) {
      JsonReader o = ov->at(i);
      o.only_keys({"a", "b", "bandwidth_scale"});
      int a = c.vertex_id(o.str("a")), b = c.vertex_id(o.str("b"));
      if (a < 0) o.fail_field("a", "a component instance name such as n0.gpu3");
      if (b < 0) o.fail_field("b", "a component instance name such as n0.nvswitch0");
      int found = -1;
      for (const auto& l : c.links())
        if ((l.a == a && l.b == b) || (l.a == b && l.b == a)) found = l.id;
      if (found < 0) o.fail("no link joins " + o.str("a") + " and " + o.str("b"));
      c.scale_link_bandwidth(found, o.number("bandwidth_scale", 1e-9));
    }
  }
  c.validate();
  c.content_hash = content_hash(j.json().dump() + "\nnodes=" + std::to_string(c.num_nodes));
  return c;
}

}  // namespace paralab
