// JsonReader: checked access to one JSON value with a path for messages.
//
// Every loader (catalog models, clusters, HuggingFace configs, plans, task
// graphs) reads its input through JsonReader so that every bad field is
// reported the same way:
//   <file>: <json path>: expected <what>, got <value>
// e.g. "catalog/clusters/x.json: $.node.devices[0].memory_bytes: expected a
// positive number, got -1".
// Invariants: 1. a JsonReader never outlives the json it points into;
// 2. every accessor either returns a value satisfying its contract or throws
// InputError. Not thread-safe (plain value type over a const reference).
#pragma once

#include <nlohmann/json.hpp>

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace paralab {

using Json = nlohmann::json;

// Parses a file; a missing file or malformed JSON is an InputError naming the
// file (and the line/column of a syntax error).
Json read_json_file(const std::string& path);
// Parses text; `origin` names it in messages.
Json parse_json_text(const std::string& text, const std::string& origin);
// Writes `j` to `path` atomically (temp file + rename); InputError on failure.
void write_json_file(const std::string& path, const Json& j, int indent = 2);

class JsonReader {
 public:
  JsonReader(const Json& j, std::string file, std::string path = "$")
      : j_(&j), file_(std::move(file)), path_(std::move(path)) {}

  const Json& json() const { return *j_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

  bool has(const char* key) const;
  JsonReader at(const char* key) const;       // required object member
  JsonReader at(size_t index) const;          // array element
  std::optional<JsonReader> find(const char* key) const;
  size_t size() const;                        // array size; requires an array
  std::vector<std::string> keys() const;      // object keys; requires an object

  std::string str(const char* key) const;
  std::string str_or(const char* key, const std::string& fallback) const;
  // A number >= min (use 0 for non-negative, a tiny value for positive).
  double number(const char* key, double min = -1e300) const;
  double number_or(const char* key, double fallback, double min = -1e300) const;
  double positive(const char* key) const;
  double non_negative(const char* key) const;
  // An integer in [min, max]; JSON integers at or above 2^63 are refused,
  // never wrapped.
  int64_t integer(const char* key, int64_t min = INT64_MIN, int64_t max = INT64_MAX) const;
  int64_t integer_or(const char* key, int64_t fallback, int64_t min = INT64_MIN, int64_t max = INT64_MAX) const;
  // This value itself as an integer in [min, max] (array elements).
  int64_t as_integer(int64_t min = INT64_MIN, int64_t max = INT64_MAX) const;
  // The same for fields kept in an int (counts, ids): never truncated.
  int int_field(const char* key, int min = INT_MIN, int max = INT_MAX) const;
  int int_field_or(const char* key, int fallback, int min = INT_MIN, int max = INT_MAX) const;
  bool boolean_or(const char* key, bool fallback) const;
  // One of `choices`; the message lists them.
  std::string choice(const char* key, const std::vector<std::string>& choices) const;
  std::string choice_or(const char* key, const std::vector<std::string>& choices,
                        const std::string& fallback) const;

  void require_object() const;
  void require_array() const;
  // paralab's own formats are strict (DESIGN.md): a key not in `valid` is an
  // InputError "<file>: <path>.<key>: unknown key; did you mean '<nearest>'?
  // valid keys: ...". Requires an object. Foreign formats (HuggingFace
  // config.json) do not call this.
  void only_keys(const std::vector<std::string>& valid) const;
  // Throws "<file>: <path>: <what>".
  [[noreturn]] void fail(const std::string& what) const;
  [[noreturn]] void fail_field(const char* key, const std::string& expected) const;

 private:
  std::string child_path(const char* key) const;
  const Json& member(const char* key) const;

  const Json* j_;
  std::string file_;
  std::string path_;
};

// Short rendering of a JSON value for messages (strings quoted, long values cut).
std::string json_brief(const Json& j);

}  // namespace paralab
