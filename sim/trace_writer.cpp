#include "sim/trace_writer.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace paralab::sim {

namespace {
std::string quoted(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }
std::string micros(TimeNs ns) {
  // Integer arithmetic only: deterministic and exact.
  bool neg = ns < 0;
  uint64_t a = neg ? uint64_t(-ns) : uint64_t(ns);
  return fmt::format("{}{}.{:03}", neg ? "-" : "", a / 1000, a % 1000);
}
}  // namespace

void TraceWriter::begin() {
  if (count_++ > 0) body_ += ",\n";
}

void TraceWriter::process_name(int pid, std::string_view name) {
  begin();
  body_ += fmt::format(R"({{"ph":"M","name":"process_name","pid":{},"tid":0,"ts":0,"args":{{"name":{}}}}})", pid,
                       quoted(name));
}

void TraceWriter::thread_name(int pid, int tid, std::string_view name) {
  begin();
  body_ += fmt::format(R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"ts":0,"args":{{"name":{}}}}})", pid,
                       tid, quoted(name));
}

void TraceWriter::slice(int pid, int tid, std::string_view name, TimeNs start_ns, TimeNs dur_ns,
                        std::string_view cat) {
  begin();
  body_ += fmt::format(R"({{"ph":"X","name":{},"cat":"{}","pid":{},"tid":{},"ts":{},"dur":{}}})", quoted(name), cat,
                       pid, tid, micros(start_ns), micros(dur_ns));
}

void TraceWriter::counter(int pid, std::string_view name, TimeNs ts_ns, std::string_view key, double value) {
  begin();
  body_ += fmt::format(R"({{"ph":"C","name":{},"pid":{},"tid":0,"ts":{},"args":{{"{}":{}}}}})", quoted(name), pid,
                       micros(ts_ns), key, value);
}

std::string TraceWriter::finish() const {
  return "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n" + body_ + "\n]}\n";
}

}  // namespace paralab::sim
