#include "core/hardware_profile.h"

#include <algorithm>

#include "core/error.h"

namespace paralab {

namespace {

Json curve_json(const EfficiencyCurve& c) {
  Json a = Json::array();
  for (const auto& [size, eff] : c) a.push_back({size, eff});
  return a;
}

EfficiencyCurve parse_curve(const JsonReader& j, const char* key) {
  EfficiencyCurve c;
  auto r = j.find(key);
  if (!r) return c;
  r->require_array();
  for (size_t i = 0; i < r->size(); ++i) {
    JsonReader p = r->at(i);
    const Json& v = p.json();
    if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number())
      p.fail("expected a [size, efficiency] pair of numbers, got " + json_brief(v));
    double size = v[0].get<double>(), eff = v[1].get<double>();
    if (size <= 0) p.fail("expected a positive size, got " + json_brief(v[0]));
    if (eff <= 0 || eff > 1) p.fail("expected an efficiency in (0, 1], got " + json_brief(v[1]));
    if (!c.empty() && size <= c.back().first) p.fail("expected sizes in ascending order, got " + json_brief(v[0]));
    c.emplace_back(size, eff);
  }
  return c;
}

Json grid_json(const GemmEfficiencyGrid& g) {
  return {{"m", g.m}, {"n", g.n}, {"k", g.k}, {"efficiency", g.efficiency}};
}

std::vector<double> parse_numbers(const JsonReader& g, const char* key) {
  JsonReader a = g.at(key);
  a.require_array();
  std::vector<double> v;
  for (size_t i = 0; i < a.size(); ++i) {
    const Json& x = a.at(i).json();
    if (!x.is_number()) a.at(i).fail("expected a number, got " + json_brief(x));
    v.push_back(x.get<double>());
  }
  return v;
}

GemmEfficiencyGrid parse_grid(const JsonReader& d) {
  GemmEfficiencyGrid g;
  auto r = d.find("gemm_efficiency_grid");
  if (!r || r->json().is_null()) return g;
  r->only_keys({"m", "n", "k", "efficiency"});
  g.m = parse_numbers(*r, "m");
  g.n = parse_numbers(*r, "n");
  g.k = parse_numbers(*r, "k");
  g.efficiency = parse_numbers(*r, "efficiency");
  if (std::string e = g.check(); !e.empty())
    r->fail(e + " (expected ascending positive axes m, n, k and m x n x k efficiencies in (0, 1], m-major)");
  return g;
}

Json quantized_json(const std::map<std::string, std::vector<std::pair<double, double>>>& q) {
  Json o = Json::object();
  for (const auto& [format, pts] : q) {
    Json a = Json::array();
    for (const auto& [m, s] : pts) a.push_back({m, s});
    o[format] = a;
  }
  return o;
}

std::map<std::string, std::vector<std::pair<double, double>>> parse_quantized(const JsonReader& d) {
  std::map<std::string, std::vector<std::pair<double, double>>> q;
  auto r = d.find("quantized_gemm_seconds_per_weight");
  if (!r) return q;
  r->require_object();
  for (const auto& format : r->keys()) {
    JsonReader a = r->at(format.c_str());
    a.require_array();
    if (a.size() == 0) a.fail("expected at least one [rows, seconds per weight] pair");
    auto& pts = q[format];
    for (size_t i = 0; i < a.size(); ++i) {
      JsonReader p = a.at(i);
      const Json& v = p.json();
      if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number())
        p.fail("expected a [rows, seconds per weight] pair of numbers, got " + json_brief(v));
      double m = v[0].get<double>(), sec = v[1].get<double>();
      if (m < 1) p.fail("expected rows >= 1, got " + json_brief(v[0]));
      if (sec <= 0) p.fail("expected positive seconds per weight, got " + json_brief(v[1]));
      if (!pts.empty() && m <= pts.back().first) p.fail("expected rows in ascending order, got " + json_brief(v[0]));
      pts.emplace_back(m, sec);
    }
  }
  return q;
}

std::string calibrated(const HardwareProfile& p) { return "calibrated:" + p.name; }

}  // namespace

Json HardwareProfile::to_json() const {
  Json devs = Json::array();
  for (const auto& d : devices) {
    devs.push_back({{"kind", d.kind},
                    {"component", d.component},
                    {"model", d.model},
                    {"peak_flops_per_s", d.peak_flops_per_s},
                    {"gemm_efficiency_curve", curve_json(d.gemm_efficiency_curve)},
                    {"gemm_efficiency_grid", d.gemm_efficiency_grid.empty() ? Json() : grid_json(d.gemm_efficiency_grid)},
                    {"memory_bandwidth_bytes_per_s", d.memory_bandwidth_bytes_per_s},
                    {"memory_efficiency_curve", curve_json(d.memory_efficiency_curve)},
                    {"launch_overhead_seconds", d.launch_overhead_seconds}});
    if (!d.quantized_gemm_seconds_per_weight.empty())
      devs.back()["quantized_gemm_seconds_per_weight"] = quantized_json(d.quantized_gemm_seconds_per_weight);
  }
  Json ls = Json::array();
  for (const auto& l : links)
  {
    ls.push_back({{"kind", l.kind},
                  {"bandwidth_bytes_per_s", l.bandwidth_bytes_per_s},
                  {"latency_seconds", l.latency_seconds},
                  {"measured", l.measured}});
    if (!l.except_touching.empty()) ls.back()["except_touching"] = l.except_touching;
    if (l.collective_rate) ls.back()["collective_rate"] = true;
  }
  Json cs = Json::array();
  for (const auto& c : collectives) {
    Json pts = Json::array();
    for (const auto& p : c.points)
      pts.push_back({{"bytes", p.bytes},
                     {"seconds", p.seconds},
                     {"algbw_bytes_per_s", p.algbw_bytes_per_s},
                     {"busbw_bytes_per_s", p.busbw_bytes_per_s}});
    cs.push_back({{"kind", c.kind},
                  {"ranks", c.ranks},
                  {"transport", c.transport},
                  {"alpha_seconds", c.alpha_seconds},
                  {"busbw_bytes_per_s", c.busbw_bytes_per_s},
                  {"points", pts}});
  }
  return {{"format", kHardwareProfileFormat},
          {"name", name},
          {"backend", backend},
          {"created_at", created_at},
          {"machine", machine},
          {"host_cores", host_cores},
          {"devices", devs},
          {"host_memory",
           {{"bandwidth_bytes_per_s", host_memory.bandwidth_bytes_per_s},
            {"pageable_copy_bytes_per_s", host_memory.pageable_copy_bytes_per_s}}},
          {"links", ls},
          {"disk",
           {{"read_bytes_per_s", disk.read_bytes_per_s},
            {"latency_seconds", disk.latency_seconds},
            {"queue_depth", disk.queue_depth},
            {"o_direct", disk.o_direct},
            {"note", disk.note}}},
          {"collectives", cs},
          {"notes", notes}};
}

HardwareProfile hardware_profile_from_json(const JsonReader& j) {
  // "machine" is free-form (what calibrate saw: CPU model, driver, ...).
  j.only_keys({"format", "name", "backend", "created_at", "machine", "host_cores", "devices", "host_memory", "links",
               "disk", "collectives", "notes"});
  HardwareProfile p;
  std::string fmt = j.str("format");
  if (fmt != kHardwareProfileFormat)
    j.fail_field("format", std::string("\"") + kHardwareProfileFormat + "\" (write one with paralab calibrate)");
  p.name = j.str("name");
  p.backend = j.choice("backend", {"host", "cuda"});
  p.created_at = j.str_or("created_at", "");
  if (auto m = j.find("machine")) {
    m->require_object();
    p.machine = m->json();
  }
  p.host_cores = j.int_field_or("host_cores", 0, 0);  // absent in profiles before it existed
  if (auto ds = j.find("devices")) {
    ds->require_array();
    for (size_t i = 0; i < ds->size(); ++i) {
      JsonReader d = ds->at(i);
      d.only_keys({"kind", "component", "model", "peak_flops_per_s", "gemm_efficiency_curve", "gemm_efficiency_grid",
                   "memory_bandwidth_bytes_per_s", "memory_efficiency_curve", "launch_overhead_seconds",
                   "quantized_gemm_seconds_per_weight"});
      DeviceProfile dp;
      dp.kind = d.choice("kind", {"cpu", "gpu"});
      dp.component = d.str_or("component", "");
      dp.model = d.str_or("model", "");
      if (auto peaks = d.find("peak_flops_per_s")) {
        peaks->require_object();
        for (const auto& k : peaks->keys()) {
          DType t;
          if (!parse_dtype(k.c_str(), &t)) peaks->fail("unknown dtype '" + k + "'; valid: " + dtype_names());
          dp.peak_flops_per_s[k] = peaks->positive(k.c_str());
        }
      }
      dp.gemm_efficiency_curve = parse_curve(d, "gemm_efficiency_curve");
      if (!dp.gemm_efficiency_curve.empty() && dp.peak_flops_per_s.empty())
        d.fail_field("peak_flops_per_s", "the peak a gemm_efficiency_curve is relative to");
      dp.gemm_efficiency_grid = parse_grid(d);
      if (!dp.gemm_efficiency_grid.empty() && dp.peak_flops_per_s.empty())
        d.fail_field("peak_flops_per_s", "the peak a gemm_efficiency_grid is relative to");
      dp.memory_bandwidth_bytes_per_s = d.number_or("memory_bandwidth_bytes_per_s", 0, 0);
      dp.memory_efficiency_curve = parse_curve(d, "memory_efficiency_curve");
      if (!dp.memory_efficiency_curve.empty() && dp.memory_bandwidth_bytes_per_s <= 0)
        d.fail_field("memory_bandwidth_bytes_per_s", "a positive bandwidth a memory_efficiency_curve is relative to");
      dp.launch_overhead_seconds = d.number_or("launch_overhead_seconds", -1);
      dp.quantized_gemm_seconds_per_weight = parse_quantized(d);
      p.devices.push_back(std::move(dp));
    }
  }
  if (auto h = j.find("host_memory")) {
    h->only_keys({"bandwidth_bytes_per_s", "pageable_copy_bytes_per_s"});
    p.host_memory.bandwidth_bytes_per_s = h->number_or("bandwidth_bytes_per_s", 0, 0);
    p.host_memory.pageable_copy_bytes_per_s = h->number_or("pageable_copy_bytes_per_s", 0, 0);
  }
  if (auto ls = j.find("links")) {
    ls->require_array();
    for (size_t i = 0; i < ls->size(); ++i) {
      JsonReader l = ls->at(i);
      l.only_keys({"kind", "bandwidth_bytes_per_s", "latency_seconds", "measured", "except_touching",
                   "collective_rate"});
      LinkProfile lp;
      lp.kind = l.str("kind");
      lp.bandwidth_bytes_per_s = l.number_or("bandwidth_bytes_per_s", 0, 0);
      lp.latency_seconds = l.number_or("latency_seconds", -1);
      lp.measured = l.str_or("measured", "");
      if (auto ex = l.find("except_touching")) {
        ex->require_array();
        for (size_t k = 0; k < ex->size(); ++k) {
          const Json& v = ex->at(k).json();
          if (!v.is_string()) ex->at(k).fail("expected a vertex kind string (nic, disk, gpu, ...), got " + json_brief(v));
          lp.except_touching.push_back(v.get<std::string>());
        }
      }
      lp.collective_rate = l.boolean_or("collective_rate", false);
      p.links.push_back(lp);
    }
  }
  if (auto d = j.find("disk")) {
    d->only_keys({"read_bytes_per_s", "latency_seconds", "queue_depth", "o_direct", "note"});
    p.disk.read_bytes_per_s = d->number_or("read_bytes_per_s", 0, 0);
    p.disk.latency_seconds = d->number_or("latency_seconds", -1);
    p.disk.queue_depth = d->int_field_or("queue_depth", 0, 0);
    p.disk.o_direct = d->boolean_or("o_direct", true);
    p.disk.note = d->str_or("note", "");
  }
  if (auto cs = j.find("collectives")) {
    cs->require_array();
    for (size_t i = 0; i < cs->size(); ++i) {
      JsonReader c = cs->at(i);
      c.only_keys({"kind", "ranks", "transport", "alpha_seconds", "busbw_bytes_per_s", "points"});
      CollectiveProfile cp;
      cp.kind = c.choice("kind", {"all_reduce", "all_gather", "reduce_scatter", "broadcast", "send_recv", "all_to_all"});
      cp.ranks = c.int_field("ranks", 1);
      cp.transport = c.str_or("transport", "");
      cp.alpha_seconds = c.number_or("alpha_seconds", 0, 0);
      cp.busbw_bytes_per_s = c.number_or("busbw_bytes_per_s", 0, 0);
      if (auto pts = c.find("points")) {
        pts->require_array();
        for (size_t k = 0; k < pts->size(); ++k) {
          JsonReader q = pts->at(k);
          q.only_keys({"bytes", "seconds", "algbw_bytes_per_s", "busbw_bytes_per_s"});
          cp.points.push_back(CollectivePoint{q.positive("bytes"), q.positive("seconds"),
                                              q.number_or("algbw_bytes_per_s", 0, 0),
                                              q.number_or("busbw_bytes_per_s", 0, 0)});
        }
      }
      p.collectives.push_back(std::move(cp));
    }
  }
  if (auto n = j.find("notes")) {
    n->require_array();
    for (size_t i = 0; i < n->size(); ++i) {
      const Json& v = n->at(i).json();
      if (!v.is_string()) n->at(i).fail("expected a string, got " + json_brief(v));
      p.notes.push_back(v.get<std::string>());
    }
  }
  return p;
}

HardwareProfile load_hardware_profile(const std::string& path) {
  Json j = read_json_file(path);
  return hardware_profile_from_json(JsonReader(j, path));
}

void save_hardware_profile(const HardwareProfile& p, const std::string& path) {
  write_json_file(path, p.to_json());
}

int apply_hardware_profile(const HardwareProfile& p, Cluster* cluster) {
  const Cluster& old = *cluster;
  Cluster c;
  c.name = old.name;
  c.description = old.description;
  c.source = old.source;
  c.num_nodes = old.num_nodes;
  c.cpu_cores_per_node = old.cpu_cores_per_node;
  int changed = 0;
  if (p.host_cores > 0 && c.cpu_cores_per_node != p.host_cores) {
    c.cpu_cores_per_node = p.host_cores;
    ++changed;
  }
  const std::string src = calibrated(p);
  for (const auto& v : old.vertices()) c.add_vertex(v);
  for (const auto& l : old.links()) {
    double bw = l.bandwidth_bytes_per_s, lat = l.latency_seconds;
    std::string lsrc = l.source;
    double eff = l.collective_efficiency;
    for (const auto& lp : p.links) {
      if (lp.kind != l.kind) continue;
      auto touches = [&](const std::string& k) { return old.vertices()[l.a].kind == k || old.vertices()[l.b].kind == k; };
      if (std::any_of(lp.except_touching.begin(), lp.except_touching.end(), touches)) continue;
      if (lp.bandwidth_bytes_per_s > 0) bw = lp.bandwidth_bytes_per_s;
      if (lp.latency_seconds >= 0) lat = lp.latency_seconds;
      if (lp.collective_rate) eff = 1.0;
      lsrc = src + " (" + lp.measured + ")";
      ++changed;
    }
    int id = c.add_link(l.a, l.b, l.kind, bw, lat, lsrc);
    c.set_collective_efficiency(id, eff);
  }
  for (Device d : old.devices()) {
    for (const auto& dp : p.devices) {
      if (dp.kind != d.spec.kind) continue;
      if (!dp.component.empty() && dp.component != d.component) continue;
      DeviceSpec& s = d.spec;
      for (const auto& [dtype, peak] : dp.peak_flops_per_s) s.peak_flops_per_s[dtype] = peak;
      if (!dp.gemm_efficiency_curve.empty()) {
        s.gemm_efficiency_curve = dp.gemm_efficiency_curve;
        s.gemm_efficiency = dp.gemm_efficiency_curve.back().second;
      }
      if (!dp.gemm_efficiency_grid.empty()) s.gemm_efficiency_grid = dp.gemm_efficiency_grid;
      if (dp.memory_bandwidth_bytes_per_s > 0) s.memory_bandwidth_bytes_per_s = dp.memory_bandwidth_bytes_per_s;
      if (!dp.memory_efficiency_curve.empty()) {
        s.memory_efficiency_curve = dp.memory_efficiency_curve;
        s.memory_efficiency = dp.memory_efficiency_curve.back().second;
      }
      if (dp.launch_overhead_seconds >= 0) s.launch_overhead_seconds = dp.launch_overhead_seconds;
      for (const auto& [format, pts] : dp.quantized_gemm_seconds_per_weight)
        s.quantized_gemm_seconds_per_weight[format] = pts;
      s.source = src + "; catalog: " + s.source;
      ++changed;
    }
    c.add_device(d);
  }
  for (int n = 0; n < old.num_nodes; ++n) {
    if (old.host_memory_vertex(n) >= 0) {
      HostMemorySpec h = old.host_memory(n);
      bool touched = false;
      if (p.host_memory.bandwidth_bytes_per_s > 0) h.bandwidth_bytes_per_s = p.host_memory.bandwidth_bytes_per_s, touched = true;
      if (p.host_memory.pageable_copy_bytes_per_s > 0)
        h.pageable_copy_bytes_per_s = p.host_memory.pageable_copy_bytes_per_s, touched = true;
      if (touched) h.source = src + "; catalog: " + h.source, ++changed;
      c.set_host_memory(n, h);
    }
    if (const DiskSpec* d0 = old.disk(n)) {
      DiskSpec d = *d0;
      bool touched = false;
      if (p.disk.read_bytes_per_s > 0) d.read_bytes_per_s = p.disk.read_bytes_per_s, touched = true;
      if (p.disk.latency_seconds >= 0) d.latency_seconds = p.disk.latency_seconds, touched = true;
      if (p.disk.queue_depth > 0) d.queue_depth = p.disk.queue_depth, touched = true;
      if (touched) d.source = src + "; catalog: " + d.source, ++changed;
      c.set_disk(n, d);
    }
  }
  *cluster = std::move(c);
  return changed;
}

}  // namespace paralab
