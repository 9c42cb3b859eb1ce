#include "results/baseline.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>

#include "core/error.h"

namespace paralab {

namespace {

// Drops `timing` and `run_id` wherever they appear.
Json without_wall_clock(const Json& j) {
  if (j.is_object()) {
    Json out = Json::object();
    for (auto& [k, v] : j.items())
      if (k != "timing" && k != "run_id") out[k] = without_wall_clock(v);
    return out;
  }
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& v : j) out.push_back(without_wall_clock(v));
    return out;
  }
  return j;
}

void flatten(const Json& j, const std::string& name, std::map<std::string, Json>* out) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) flatten(v, name + "." + k, out);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) flatten(j[i], name + "[" + std::to_string(i) + "]", out);
  } else {
    (*out)[name] = j;
  }
}

std::string fnv1a_hex(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// paralab's own formats are strict: an unknown key names the nearest valid one.
void require_keys(const JsonReader& r, const std::vector<std::string>& valid) { r.only_keys(valid); }

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string brief(const Json& j) { return j.is_null() ? "-" : j.is_number() ? fmt::format("{:.6g}", j.get<double>()) : json_brief(j); }

}  // namespace

std::string run_key(const RunRecord& r) {
  return r.backend + " | " + r.model + " | " + r.cluster + " | " + r.strategy;
}

BaselineRun baseline_run(const StoredRun& s) {
  const RunRecord& r = s.record;
  BaselineRun b;
  b.key = run_key(r);
  b.status = r.status;
  b.config_digest = fnv1a_hex(without_wall_clock(r.config).dump());
  b.values["step_seconds"] = r.step_seconds;
  b.values["throughput"] = r.throughput;
  b.values["throughput_unit"] = r.throughput_unit;
  for (size_t i = 0; i < r.device_utilization.size(); ++i)
    b.values["utilization.device" + std::to_string(i)] = r.device_utilization[i];
  for (const auto& p : r.peak_memory) b.values["peak_bytes." + p.scope + "." + p.tier] = p.peak_bytes;
  flatten(without_wall_clock(r.metrics), "metrics", &b.values);
  return b;
}

Baseline baseline_from_runs(const std::string& experiment, bool quick, const std::vector<StoredRun>& runs) {
  std::vector<const StoredRun*> by_id;
  for (const auto& r : runs) by_id.push_back(&r);
  std::sort(by_id.begin(), by_id.end(), [](const StoredRun* a, const StoredRun* b) { return a->id > b->id; });
  std::map<std::string, BaselineRun> latest;
  for (const StoredRun* r : by_id) {
    std::string key = run_key(r->record);
    if (!latest.count(key)) latest.emplace(key, baseline_run(*r));
  }
  Baseline b;
  b.experiment = experiment;
  b.quick = quick;
  b.git_rev = git_revision();
  for (auto& [k, v] : latest) b.runs.push_back(std::move(v));
  return b;
}

Json baseline_to_json(const Baseline& b) {
  Json runs = Json::array();
  for (const auto& r : b.runs) {
    Json values = Json::object();
    for (const auto& [k, v] : r.values) values[k] = v;
    runs.push_back({{"key", r.key}, {"status", r.status}, {"config_digest", r.config_digest}, {"values", values}});
  }
  return {{"experiment", b.experiment},
          {"quick", b.quick},
          {"git_rev", b.git_rev},
          {"note", "written by `paralab compare --update`; simulated figures only (no `timing`)"},
          {"runs", runs}};
}

Baseline baseline_from_json(const Json& j, const std::string& file) {
  JsonReader r(j, file);
  require_keys(r, {"experiment", "quick", "git_rev", "note", "runs"});
  Baseline b;
  b.experiment = r.str("experiment");
  b.quick = r.boolean_or("quick", false);
  b.git_rev = r.str_or("git_rev", "");
  JsonReader runs = r.at("runs");
  runs.require_array();
  std::set<std::string> seen;
  for (size_t i = 0; i < runs.size(); ++i) {
    JsonReader x = runs.at(i);
    require_keys(x, {"key", "status", "config_digest", "values"});
    BaselineRun br;
    br.key = x.str("key");
    br.status = x.choice("status", RunRecord::statuses());
    br.config_digest = x.str_or("config_digest", "");
    if (!seen.insert(br.key).second) x.fail_field("key", "a key not used by an earlier run; '" + br.key + "' repeats");
    JsonReader values = x.at("values");
    values.require_object();
    for (const auto& k : values.keys()) {
      const Json& v = values.json()[k];
      if (v.is_object() || v.is_array())
        values.fail_field(k.c_str(), "a number, string, boolean or null (values are flattened)");
      br.values[k] = v;
    }
    b.runs.push_back(std::move(br));
  }
  std::sort(b.runs.begin(), b.runs.end(), [](const BaselineRun& a, const BaselineRun& c) { return a.key < c.key; });
  return b;
}

Baseline load_baseline(const std::string& path) { return baseline_from_json(read_json_file(path), path); }

void save_baseline(const Baseline& b, const std::string& path) { write_json_file(path, baseline_to_json(b), 1); }

int metric_direction(const std::string& name) {
  std::string leaf = name.substr(name.find_last_of('.') + 1);
  if (auto br = leaf.find('['); br != std::string::npos) leaf = leaf.substr(0, br);
  if (name.find("utilization") != std::string::npos) return +1;
  for (const char* s : {"throughput", "mfu", "hfu", "samples_per_second", "tokens_per_second"})
    if (leaf == s) return +1;
  if (ends_with(leaf, "_per_second") || ends_with(leaf, "_per_s") || ends_with(leaf, "utilization") ||
      ends_with(leaf, "tflops_per_gpu"))
    return +1;
  if (leaf == "step_seconds" || ends_with(leaf, "_seconds") || ends_with(leaf, "_bytes") || name.rfind("peak_bytes.", 0) == 0 ||
      leaf.find("error") != std::string::npos || leaf == "bubble_fraction")
    return -1;
  return 0;
}

double parse_tolerance(const std::string& text, const std::string& option) {
  std::string t = text;
  bool percent = !t.empty() && t.back() == '%';
  if (percent) t.pop_back();
  size_t used = 0;
  double v = -1;
  try {
    v = std::stod(t, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != t.size() || !std::isfinite(v) || v < 0)
    throw InputError(option + " '" + text + "': expected a non-negative fraction (0.02) or percentage (2%)");
  return percent ? v / 100 : v;
}

const char* change_kind_name(ValueChange::Kind k) {
  switch (k) {
    case ValueChange::Kind::kWithin: return "within";
    case ValueChange::Kind::kImproved: return "improved";
    case ValueChange::Kind::kRegressed: return "REGRESSED";
    case ValueChange::Kind::kStatus: return "STATUS";
    case ValueChange::Kind::kMissing: return "MISSING";
    case ValueChange::Kind::kNew: return "NEW";
  }
  return "?";
}

int Comparison::count(ValueChange::Kind k) const {
  return static_cast<int>(std::count_if(changes.begin(), changes.end(), [k](const ValueChange& c) { return c.kind == k; }));
}

bool Comparison::failed() const { return !failing_runs().empty(); }

std::vector<std::string> Comparison::failing_runs() const {
  std::vector<std::string> out;
  for (const auto& c : changes)
    if (c.kind != ValueChange::Kind::kWithin && c.kind != ValueChange::Kind::kImproved &&
        (out.empty() || out.back() != c.run_key))
      out.push_back(c.run_key);
  return out;
}

namespace {

void compare_values(const BaselineRun& a, const BaselineRun& b, double tol, Comparison* c) {
  std::set<std::string> names;
  for (const auto& [k, v] : a.values) names.insert(k);
  for (const auto& [k, v] : b.values) names.insert(k);
  for (const auto& name : names) {
    c->values_compared++;
    auto ia = a.values.find(name), ib = b.values.find(name);
    Json before = ia == a.values.end() ? Json() : ia->second;
    Json after = ib == b.values.end() ? Json() : ib->second;
    ValueChange ch;
    ch.run_key = a.key;
    ch.value = name;
    ch.before = before;
    ch.after = after;
    if (before.is_number() && after.is_number()) {
      double x = before.get<double>(), y = after.get<double>();
      double d = y - x;
      if (d == 0) continue;
      ch.relative = x != 0 ? d / std::fabs(x) : (d > 0 ? INFINITY : -INFINITY);
      bool beyond = std::fabs(d) > tol * std::max(std::fabs(x), std::fabs(y)) && std::fabs(d) > 1e-12;
      int dir = metric_direction(name);
      // A signed error gets better as its magnitude shrinks.
      double toward = name.find("error") != std::string::npos ? std::fabs(y) - std::fabs(x) : d;
      if (!beyond) ch.kind = ValueChange::Kind::kWithin;
      else if (dir != 0 && toward != 0 && (toward > 0) == (dir > 0)) ch.kind = ValueChange::Kind::kImproved;
      else ch.kind = ValueChange::Kind::kRegressed;
    } else {
      if (before == after) continue;
      ch.kind = ValueChange::Kind::kRegressed;  // a string, a boolean or a value that appeared or vanished
    }
    c->changes.push_back(std::move(ch));
  }
}

}  // namespace

Comparison compare_to_baseline(const Baseline& base, const Baseline& current, double tolerance) {
  Comparison c;
  c.tolerance = tolerance;
  std::map<std::string, const BaselineRun*> now;
  for (const auto& r : current.runs) now[r.key] = &r;
  std::set<std::string> matched;
  for (const auto& a : base.runs) {
    auto it = now.find(a.key);
    if (it == now.end()) {
      c.changes.push_back({ValueChange::Kind::kMissing, a.key, "run", a.status, Json(), 0});
      continue;
    }
    matched.insert(a.key);
    c.runs_compared++;
    const BaselineRun& b = *it->second;
    if (a.status != b.status) c.changes.push_back({ValueChange::Kind::kStatus, a.key, "status", a.status, b.status, 0});
    if (a.config_digest != b.config_digest)
      c.changes.push_back({ValueChange::Kind::kRegressed, a.key, "config", a.config_digest, b.config_digest, 0});
    compare_values(a, b, tolerance, &c);
  }
  for (const auto& b : current.runs)
    if (!matched.count(b.key)) c.changes.push_back({ValueChange::Kind::kNew, b.key, "run", Json(), b.status, 0});
  std::stable_sort(c.changes.begin(), c.changes.end(),
                   [](const ValueChange& x, const ValueChange& y) { return x.run_key < y.run_key; });
  return c;
}

std::string comparison_table(const Comparison& c, size_t max_rows) {
  std::string out = fmt::format("| run | value | baseline | now | change | verdict |\n|---|---|---|---|---|---|\n");
  size_t shown = 0;
  // Failures first, then improvements, then changes within tolerance.
  auto rank = [](ValueChange::Kind k) {
    return k == ValueChange::Kind::kImproved ? 1 : k == ValueChange::Kind::kWithin ? 2 : 0;
  };
  for (int pass = 0; pass < 3; ++pass)
    for (const auto& ch : c.changes) {
      if (rank(ch.kind) != pass) continue;
      if (shown++ >= max_rows) continue;
      std::string rel = ch.before.is_number() && ch.after.is_number() ? fmt::format("{:+.3g}%", 100 * ch.relative) : "";
      out += fmt::format("| {} | {} | {} | {} | {} | {} |\n", ch.run_key, ch.value, brief(ch.before), brief(ch.after),
                         rel, change_kind_name(ch.kind));
    }
  if (shown > max_rows) out += fmt::format("... and {} more changes (--json lists them all)\n", shown - max_rows);
  return out;
}

Json comparison_json(const Comparison& c) {
  Json changes = Json::array();
  for (const auto& ch : c.changes)
    changes.push_back({{"run", ch.run_key},
                       {"value", ch.value},
                       {"baseline", ch.before},
                       {"now", ch.after},
                       {"relative_change", std::isfinite(ch.relative) ? Json(ch.relative) : Json()},
                       {"verdict", change_kind_name(ch.kind)}});
  return {{"tolerance", c.tolerance},
          {"runs_compared", c.runs_compared},
          {"values_compared", c.values_compared},
          {"regressions", c.count(ValueChange::Kind::kRegressed)},
          {"status_changes", c.count(ValueChange::Kind::kStatus)},
          {"missing_runs", c.count(ValueChange::Kind::kMissing)},
          {"new_runs", c.count(ValueChange::Kind::kNew)},
          {"improvements", c.count(ValueChange::Kind::kImproved)},
          {"within_tolerance", c.count(ValueChange::Kind::kWithin)},
          {"failed", c.failed()},
          {"changes", changes}};
}

std::string comparison_junit_xml(const Comparison& c, const Baseline& base, const Baseline& current) {
  std::set<std::string> keys;
  for (const auto& r : base.runs) keys.insert(r.key);
  for (const auto& r : current.runs) keys.insert(r.key);
  auto failing = c.failing_runs();
  std::string cases;
  for (const auto& key : keys) {
    std::string fail_text, out_text;
    int failures = 0;
    for (const auto& ch : c.changes) {
      if (ch.run_key != key) continue;
      std::string line = fmt::format("{} {}: {} -> {}{}\n", change_kind_name(ch.kind), ch.value, brief(ch.before),
                                     brief(ch.after),
                                     ch.before.is_number() && ch.after.is_number() ? fmt::format(" ({:+.3g}%)", 100 * ch.relative) : "");
      if (ch.kind == ValueChange::Kind::kWithin || ch.kind == ValueChange::Kind::kImproved) out_text += line;
      else fail_text += line, failures++;
    }
    cases += fmt::format("    <testcase classname=\"paralab.compare.{}\" name=\"{}\" time=\"0\">\n", xml_escape(base.experiment),
                         xml_escape(key));
    if (failures)
      cases += fmt::format("      <failure message=\"{} value(s) beyond {:.3g}% or a status change\">{}</failure>\n", failures,
                           100 * c.tolerance, xml_escape(fail_text));
    if (!out_text.empty()) cases += "      <system-out>" + xml_escape(out_text) + "</system-out>\n";
    cases += "    </testcase>\n";
  }
  return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"{0}\" failures=\"{1}\">\n"
                     "  <testsuite name=\"paralab compare {2}\" tests=\"{0}\" failures=\"{1}\" errors=\"0\" skipped=\"0\">\n"
                     "{3}  </testsuite>\n</testsuites>\n",
                     keys.size(), failing.size(), xml_escape(base.experiment), cases);
}

}  // namespace paralab
