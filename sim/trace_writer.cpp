#include "sim/trace_writer.h"

#include <iterator>
#include <nlohmann/json.hpp>

namespace paralab::sim {

namespace {

constexpr size_t kFlushBytes = size_t(1) << 20;

// JSON string literal of `s`: plain names are copied, others escaped by nlohmann/json.
void append_quoted(fmt::memory_buffer& b, std::string_view s) {
  bool plain = true;
  for (char ch : s) plain &= (ch >= 0x20 && ch != '"' && ch != '\\' && static_cast<unsigned char>(ch) < 0x80);
  if (plain) {
    b.push_back('"');
    b.append(s);
    b.push_back('"');
  } else {
    std::string q = nlohmann::json(std::string(s)).dump();
    b.append(std::string_view(q));
  }
}

// Integer arithmetic only: deterministic and exact.
void append_micros(fmt::memory_buffer& b, TimeNs ns) {
  bool neg = ns < 0;
  uint64_t a = neg ? uint64_t(-ns) : uint64_t(ns);
  fmt::format_to(std::back_inserter(b), "{}{}.{:03}", neg ? "-" : "", a / 1000, a % 1000);
}

}  // namespace

void TraceWriter::begin() {
  if (count_++ > 0) {
    buf_.append(std::string_view(",\n"));
  } else {
    buf_.append(std::string_view("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"));
  }
}

void TraceWriter::flush_if_full() {
  if (buf_.size() < kFlushBytes) return;
  out_->write(buf_.data(), std::streamsize(buf_.size()));
  buf_.clear();
}

void TraceWriter::process_name(int pid, std::string_view name) {
  begin();
  fmt::format_to(std::back_inserter(buf_), R"({{"ph":"M","name":"process_name","pid":{},"tid":0,"ts":0,"args":{{"name":)", pid);
  append_quoted(buf_, name);
  buf_.append(std::string_view("}}"));
  flush_if_full();
}

void TraceWriter::thread_name(int pid, int tid, std::string_view name) {
  begin();
  fmt::format_to(std::back_inserter(buf_), R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"ts":0,"args":{{"name":)",
                 pid, tid);
  append_quoted(buf_, name);
  buf_.append(std::string_view("}}"));
  flush_if_full();
}

void TraceWriter::slice(int pid, int tid, std::string_view name, TimeNs start_ns, TimeNs dur_ns,
                        std::string_view cat) {
  begin();
  buf_.append(std::string_view(R"({"ph":"X","name":)"));
  append_quoted(buf_, name);
  fmt::format_to(std::back_inserter(buf_), R"(,"cat":"{}","pid":{},"tid":{},"ts":)", cat, pid, tid);
  append_micros(buf_, start_ns);
  buf_.append(std::string_view(",\"dur\":"));
  append_micros(buf_, dur_ns);
  buf_.push_back('}');
  flush_if_full();
}

void TraceWriter::counter(int pid, std::string_view name, TimeNs ts_ns, std::string_view key, double value) {
  begin();
  buf_.append(std::string_view(R"({"ph":"C","name":)"));
  append_quoted(buf_, name);
  fmt::format_to(std::back_inserter(buf_), R"(,"pid":{},"tid":0,"ts":)", pid);
  append_micros(buf_, ts_ns);
  fmt::format_to(std::back_inserter(buf_), R"(,"args":{{"{}":{}}}}})", key, value);
  flush_if_full();
}

bool TraceWriter::finish() {
  if (!finished_) {
    finished_ = true;
    if (count_ == 0) buf_.append(std::string_view("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"));
    buf_.append(std::string_view("\n]}\n"));
    out_->write(buf_.data(), std::streamsize(buf_.size()));
    buf_.clear();
    out_->flush();
  }
  return out_->good();
}

}  // namespace paralab::sim
