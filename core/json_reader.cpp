#include "core/json_reader.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "core/error.h"
#include "core/nearest_name.h"

namespace paralab {

Json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open file for reading");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_json_text(ss.str(), path);
}

Json parse_json_text(const std::string& text, const std::string& origin) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    // nlohmann reports "[json.exception.parse_error.101] parse error at line 3, column 5: ...",
    // and a number beyond a double ("1e400") as out_of_range.406, not a parse_error.
    std::string what = e.what();
    auto pos = what.find("] ");
    if (pos != std::string::npos) what = what.substr(pos + 2);
    throw InputError(origin + ": malformed JSON: " + what);
  }
}

void write_json_file(const std::string& path, const Json& j, int indent) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    if (!out) throw InputError(path + ": cannot open file for writing");
    out << j.dump(indent) << "\n";
    if (!out.flush()) {
      std::remove(tmp.c_str());
      throw InputError(path + ": write failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw InputError(path + ": cannot write file: " + ec.message());
  }
}

namespace {

// Json::dump() of the value, but stopping once `out` passes `limit`
// characters and eliding containers nested deeper than 4: a message about a
// deeply nested or huge value neither recurses through all of it (a stack
// overflow on input such as 100,000 nested arrays) nor copies all of it.
void brief_into(const Json& j, int depth, size_t limit, std::string& out) {
  if (!j.is_structured()) {
    out += j.dump();
    return;
  }
  const bool object = j.is_object();
  out += object ? '{' : '[';
  if (depth >= 4 && !j.empty()) out += "...";
  else {
    bool first = true;
    for (auto it = j.begin(); it != j.end() && out.size() <= limit; ++it) {
      if (!first) out += ',';
      first = false;
      if (object) out += Json(it.key()).dump() + ':';
      brief_into(*it, depth + 1, limit, out);
    }
  }
  out += object ? '}' : ']';
}

}  // namespace

std::string json_brief(const Json& j) {
  std::string s;
  brief_into(j, 0, 60, s);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

void JsonReader::fail(const std::string& what) const {
  throw InputError(file_ + ": " + path_ + ": " + what);
}

void JsonReader::fail_field(const char* key, const std::string& expected) const {
  std::string p = child_path(key);
  if (!j_->is_object() || !j_->contains(key))
    throw InputError(file_ + ": " + p + ": missing field, expected " + expected);
  throw InputError(file_ + ": " + p + ": expected " + expected + ", got " +
                   json_brief((*j_)[key]));
}

std::string JsonReader::child_path(const char* key) const { return path_ + "." + key; }

void JsonReader::require_object() const {
  if (!j_->is_object()) fail("expected an object, got " + json_brief(*j_));
}

void JsonReader::require_array() const {
  if (!j_->is_array()) fail("expected an array, got " + json_brief(*j_));
}

void JsonReader::only_keys(const std::vector<std::string>& valid) const {
  require_object();
  for (auto it = j_->begin(); it != j_->end(); ++it) {
    if (std::find(valid.begin(), valid.end(), it.key()) != valid.end()) continue;
    std::vector<std::string> sorted = valid;
    std::sort(sorted.begin(), sorted.end());
    throw InputError(file_ + ": " + child_path(it.key().c_str()) + ": unknown key" + did_you_mean(it.key(), valid) +
                     " (valid keys: " + join_names(sorted) + ")");
  }
}

bool JsonReader::has(const char* key) const {
  return j_->is_object() && j_->contains(key) && !(*j_)[key].is_null();
}

const Json& JsonReader::member(const char* key) const {
  require_object();
  auto it = j_->find(key);
  if (it == j_->end()) throw InputError(file_ + ": " + child_path(key) + ": missing field");
  return *it;
}

JsonReader JsonReader::at(const char* key) const {
  return JsonReader(member(key), file_, child_path(key));
}

JsonReader JsonReader::at(size_t index) const {
  require_array();
  if (index >= j_->size())
    fail("index " + std::to_string(index) + " out of range (size " + std::to_string(j_->size()) + ")");
  return JsonReader((*j_)[index], file_, path_ + "[" + std::to_string(index) + "]");
}

std::optional<JsonReader> JsonReader::find(const char* key) const {
  if (!has(key)) return std::nullopt;
  return at(key);
}

size_t JsonReader::size() const {
  require_array();
  return j_->size();
}

std::vector<std::string> JsonReader::keys() const {
  require_object();
  std::vector<std::string> out;
  for (auto it = j_->begin(); it != j_->end(); ++it) out.push_back(it.key());
  return out;
}

std::string JsonReader::str(const char* key) const {
  const Json& v = member(key);
  if (!v.is_string()) fail_field(key, "a string");
  return v.get<std::string>();
}

std::string JsonReader::str_or(const char* key, const std::string& fallback) const {
  return has(key) ? str(key) : fallback;
}

double JsonReader::number(const char* key, double min) const {
  const Json& v = member(key);
  if (!v.is_number()) fail_field(key, "a number");
  double x = v.get<double>();
  if (!std::isfinite(x) || x < min) {
    if (min == 0.0) fail_field(key, "a non-negative number");
    if (min > 0.0 && min < 1e-200) fail_field(key, "a positive number");
    std::ostringstream os;
    os << "a number >= " << min;
    fail_field(key, os.str());
  }
  return x;
}

double JsonReader::number_or(const char* key, double fallback, double min) const {
  return has(key) ? number(key, min) : fallback;
}

double JsonReader::positive(const char* key) const {
  return number(key, std::numeric_limits<double>::denorm_min());
}

double JsonReader::non_negative(const char* key) const { return number(key, 0.0); }

int64_t JsonReader::as_integer(int64_t min, int64_t max) const {
  const Json& v = *j_;
  auto expected = [&]() -> std::string {
    if (min != INT64_MIN && max != INT64_MAX) return "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
    if (max != INT64_MAX) return "an integer <= " + std::to_string(max);
    if (min == 1) return "a positive integer";
    if (min == 0) return "a non-negative integer";
    if (min != INT64_MIN) return "an integer >= " + std::to_string(min);
    return "an integer below 2^63";
  };
  bool integral = v.is_number_integer() ||
                  (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() &&
                   std::fabs(v.get<double>()) < 9e18);
  if (!integral) fail("expected an integer, got " + json_brief(v));
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX))
    fail("expected " + expected() + ", got " + json_brief(v));
  int64_t x = v.is_number_integer() ? v.get<int64_t>() : static_cast<int64_t>(v.get<double>());
  if (x < min || x > max) fail("expected " + expected() + ", got " + json_brief(v));
  return x;
}

int64_t JsonReader::integer(const char* key, int64_t min, int64_t max) const {
  return at(key).as_integer(min, max);
}

int64_t JsonReader::integer_or(const char* key, int64_t fallback, int64_t min, int64_t max) const {
  return has(key) ? integer(key, min, max) : fallback;
}

int JsonReader::int_field(const char* key, int min, int max) const {
  return static_cast<int>(integer(key, min, max));
}

int JsonReader::int_field_or(const char* key, int fallback, int min, int max) const {
  return has(key) ? int_field(key, min, max) : fallback;
}

bool JsonReader::boolean_or(const char* key, bool fallback) const {
  if (!has(key)) return fallback;
  const Json& v = member(key);
  if (!v.is_boolean()) fail_field(key, "true or false");
  return v.get<bool>();
}

std::string JsonReader::choice(const char* key, const std::vector<std::string>& choices) const {
  const Json& v = member(key);
  if (v.is_string()) {
    for (const auto& c : choices)
      if (c == v.get<std::string>()) return c;
  }
  fail_field(key, "one of " + join_names(choices));
}

std::string JsonReader::choice_or(const char* key, const std::vector<std::string>& choices,
                                  const std::string& fallback) const {
  return has(key) ? choice(key, choices) : fallback;
}

}  // namespace paralab
