#include "core/cluster_overrides.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/error.h"
#include "core/nearest_name.h"

namespace paralab {

namespace {

struct Step {
  std::string key;
  enum class Sel { kNone, kAll, kIndex, kMatch } sel = Sel::kNone;
  size_t index = 0;
  std::string field, value;  // kMatch
};

struct Parsed {
  std::vector<Step> steps;
  std::string op;  // "=", "*=", "+="
  Json value;
};

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// "; did you mean 'x'?" for the object's nearest key, or "".
std::string nearest(const std::string& key, const Json& obj) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : obj.items()) keys.push_back(k);
  return did_you_mean(key, keys);
}

Parsed parse(const std::string& text, const std::string& where) {
  auto bad = [&](const std::string& what) -> InputError {
    return InputError(where + ": " + what +
                      "; expected PATH=VALUE, PATH*=FACTOR or PATH+=VALUE, e.g. "
                      "'links[kind=nvlink].bandwidth_bytes_per_s*=0.5'");
  };
  // The operator: the first '=' outside brackets, with a '*' or '+' before it.
  int depth = 0;
  size_t eq = std::string::npos;
  for (size_t i = 0; i < text.size() && eq == std::string::npos; ++i) {
    if (text[i] == '[') ++depth;
    if (text[i] == ']') --depth;
    if (text[i] == '=' && depth == 0) eq = i;
  }
  if (eq == std::string::npos) throw bad("no '=' outside brackets");
  Parsed p;
  size_t path_end = eq;
  p.op = "=";
  if (eq > 0 && (text[eq - 1] == '*' || text[eq - 1] == '+')) {
    p.op = std::string(1, text[eq - 1]) + "=";
    path_end = eq - 1;
  }
  std::string path = trim(text.substr(0, path_end));
  std::string value = trim(text.substr(eq + 1));
  if (path.rfind("$.", 0) == 0) path = path.substr(2);
  if (path.empty()) throw bad("empty path");
  if (value.empty()) throw bad("empty value");
  p.value = Json::parse(value, nullptr, false);
  if (p.value.is_discarded()) p.value = value;  // bare text
  // Steps.
  size_t i = 0;
  while (i < path.size()) {
    Step s;
    size_t stop = path.find_first_of(".[", i);
    s.key = path.substr(i, stop == std::string::npos ? std::string::npos : stop - i);
    if (s.key.empty()) throw bad("empty key in path '" + path + "'");
    i = stop == std::string::npos ? path.size() : stop;
    if (i < path.size() && path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string::npos) throw bad("'[' without ']' in path '" + path + "'");
      std::string sel = trim(path.substr(i + 1, close - i - 1));
      if (sel == "*") {
        s.sel = Step::Sel::kAll;
      } else if (auto e = sel.find('='); e != std::string::npos) {
        s.sel = Step::Sel::kMatch;
        s.field = trim(sel.substr(0, e));
        s.value = trim(sel.substr(e + 1));
        if (s.field.empty() || s.value.empty()) throw bad("selector '[" + sel + "]' needs FIELD=VALUE");
      } else if (!sel.empty() && sel.find_first_not_of("0123456789") == std::string::npos) {
        s.sel = Step::Sel::kIndex;
        s.index = std::stoul(sel);
      } else {
        throw bad("selector '[" + sel + "]': expected *, an index or FIELD=VALUE");
      }
      i = close + 1;
    }
    if (i < path.size()) {
      if (path[i] != '.') throw bad("expected '.' after ']' in path '" + path + "'");
      ++i;
      if (i == path.size()) throw bad("path '" + path + "' ends with '.'");
    }
    p.steps.push_back(std::move(s));
  }
  return p;
}

bool element_matches(const Json& e, const Step& s) {
  if (!e.is_object() || !e.contains(s.field)) return false;
  const Json& f = e[s.field];
  if (f.is_string()) return f.get<std::string>() == s.value;
  if (f.is_number()) {
    Json v = Json::parse(s.value, nullptr, false);
    return !v.is_discarded() && v.is_number() && v.get<double>() == f.get<double>();
  }
  if (f.is_boolean()) return (s.value == "true") == f.get<bool>() && (s.value == "true" || s.value == "false");
  return false;
}

class Applier {
 public:
  Applier(const Parsed& p, std::string where) : p_(p), where_(std::move(where)) {}

  int apply(Json& cur, size_t k, const std::string& at) {
    const Step& s = p_.steps[k];
    const bool last = k + 1 == p_.steps.size();
    if (!cur.is_object()) fail(at, "expected an object to hold '" + s.key + "', got " + json_brief(cur));
    std::string here = at + "." + s.key;
    if (!cur.contains(s.key)) {
      if (last && s.sel == Step::Sel::kNone && p_.op != "*=") {
        cur[s.key] = p_.op == "+=" && !p_.value.is_number() ? Json::array() : Json(0);
        return leaf(cur[s.key], here);
      }
      fail(at, "no key '" + s.key + "'" + nearest(s.key, cur));
    }
    Json& child = cur[s.key];
    if (s.sel == Step::Sel::kNone) return last ? leaf(child, here) : apply(child, k + 1, here);
    if (!child.is_array()) fail(here, "a selector needs an array, got " + json_brief(child));
    int n = 0;
    std::set<std::string> present;
    for (size_t i = 0; i < child.size(); ++i) {
      bool take = s.sel == Step::Sel::kAll || (s.sel == Step::Sel::kIndex && i == s.index) ||
                  (s.sel == Step::Sel::kMatch && element_matches(child[i], s));
      if (s.sel == Step::Sel::kMatch && child[i].is_object() && child[i].contains(s.field))
        present.insert(child[i][s.field].is_string() ? child[i][s.field].get<std::string>()
                                                     : child[i][s.field].dump());
      if (!take) continue;
      std::string el = fmt::format("{}[{}]", here, i);
      n += last ? leaf(child[i], el) : apply(child[i], k + 1, el);
    }
    if (n == 0) {
      if (s.sel == Step::Sel::kIndex)
        fail(here, fmt::format("index {} is out of range (the array has {} elements)", s.index, child.size()));
      if (s.sel == Step::Sel::kMatch)
        fail(here, "no element has " + s.field + " = '" + s.value + "'" +
                       (present.empty() ? "" : "; values present: " + join_names(present)));
      fail(here, "the array is empty");
    }
    return n;
  }

 private:
  int leaf(Json& target, const std::string& at) {
    if (p_.op == "=") {
      target = p_.value;
    } else if (p_.op == "*=" || (p_.op == "+=" && target.is_number())) {
      if (!target.is_number()) fail(at, "'*=' scales a number, found " + json_brief(target));
      if (!p_.value.is_number()) fail(at, "'" + p_.op + "' needs a number, got " + json_brief(p_.value));
      double v = target.get<double>();
      target = p_.op == "*=" ? v * p_.value.get<double>() : v + p_.value.get<double>();
    } else if (target.is_array()) {
      target.push_back(p_.value);
    } else {
      fail(at, "'+=' adds to a number or appends to an array, found " + json_brief(target));
    }
    return 1;
  }
  [[noreturn]] void fail(const std::string& at, const std::string& what) const {
    throw InputError(where_ + ": " + at + ": " + what);
  }
  const Parsed& p_;
  std::string where_;
};

}  // namespace

void apply_cluster_override(Json* file, const std::string& text, const std::string& origin) {
  const std::string where = "override '" + text + "' of " + origin;
  Parsed p = parse(text, where);
  if (!file->is_object()) throw InputError(where + ": the cluster file is not a JSON object");
  Json* root = file;
  std::string at = "$";
  // Shorthand: components / links / cpu_cores live under "node".
  if (!root->contains(p.steps[0].key) && root->contains("node") && (*root)["node"].is_object() &&
      (*root)["node"].contains(p.steps[0].key)) {
    root = &(*root)["node"];
    at = "$.node";
  }
  Applier(p, where).apply(*root, 0, at);
}

void apply_cluster_overrides(Json* file, const std::vector<std::string>& overrides, const std::string& origin) {
  for (const auto& o : overrides) apply_cluster_override(file, o, origin);
}

std::string slowdown_override(int device, double factor) {
  return "device_overrides+=" + Json({{"device", device}, {"slowdown", factor}}).dump();
}

std::string content_hash(const std::string& bytes) {
  uint64_t a = 14695981039346656037ull, b = 0x84222325cbf29ce4ull;
  for (unsigned char c : bytes) {
    a = (a ^ c) * 1099511628211ull;
    b = (b ^ (c + 0x9e)) * 0x100000001b3ull;
  }
  return fmt::format("{:016x}{:016x}", a, b);
}

}  // namespace paralab
