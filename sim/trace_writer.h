// TraceWriter: Chrome trace-event JSON (loads in Perfetto and chrome://tracing),
// streamed to an std::ostream as events arrive.
//
// Events are written in call order; every event has ph, ts (microseconds,
// printed from integer nanoseconds with exactly three decimals), pid and
// tid; slices ("X") also dur; counters ("C") an args object. The writer
// buffers about 1 MiB and then writes it out, so memory stays bounded
// whatever the trace's size. Output is a deterministic function of the
// calls made.
// Layout used by the simulator: pid = device id with tid = stream; pid
// `links` with one counter track per directed link (bytes/s in use); pid
// `disks` with a counter track per disk direction; memory counters per scope.
// Invariants: 1. after finish() the stream holds one complete JSON document
// {"displayTimeUnit":"ns","traceEvents":[...]}; 2. a write error is
// reported by ok() (and by finish()), never thrown mid-run.
// Thread-safety: none.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "core/units.h"

namespace paralab::sim {

class TraceWriter {
 public:
  // REQUIRES: `out` outlives the writer.
  explicit TraceWriter(std::ostream* out) : out_(out) {}
  ~TraceWriter() = default;
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  void process_name(int pid, std::string_view name);
  void thread_name(int pid, int tid, std::string_view name);
  void slice(int pid, int tid, std::string_view name, TimeNs start_ns, TimeNs dur_ns, std::string_view cat);
  void counter(int pid, std::string_view name, TimeNs ts_ns, std::string_view key, double value);
  // Closes the document and flushes; false if any write failed.
  bool finish();
  bool ok() const { return out_->good(); }
  size_t num_events() const { return count_; }

 private:
  void begin();
  void flush_if_full();
  std::ostream* out_;
  fmt::memory_buffer buf_;
  size_t count_ = 0;
  bool finished_ = false;
};

}  // namespace paralab::sim
