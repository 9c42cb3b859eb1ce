// TraceWriter: Chrome trace-event JSON (loads in Perfetto and chrome://tracing).
//
// Events are appended in simulation order to one string; every event has
// ph, ts (microseconds, printed from integer nanoseconds with exactly three
// decimals), pid and tid; slices ("X") also dur; counters ("C") an args
// object. Output is a deterministic function of the calls made.
// Layout used by the simulator: pid = device id with tid = stream; pid
// `links` with one counter track per directed link (bytes/s in use); pid
// `disks` with a counter track per disk direction; memory counters per scope.
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/units.h"

namespace paralab::sim {

class TraceWriter {
 public:
  void process_name(int pid, std::string_view name);
  void thread_name(int pid, int tid, std::string_view name);
  void slice(int pid, int tid, std::string_view name, TimeNs start_ns, TimeNs dur_ns, std::string_view cat);
  void counter(int pid, std::string_view name, TimeNs ts_ns, std::string_view key, double value);
  // The whole document: {"traceEvents": [...], "displayTimeUnit": "ns"}.
  std::string finish() const;
  size_t num_events() const { return count_; }

 private:
  void begin();
  std::string body_;
  size_t count_ = 0;
};

}  // namespace paralab::sim
