// EventQueue: the simulator's one total order on events.
//
// Events are ordered by (time_ns, seq): seq is a per-queue counter assigned at
// push, so events at the same time pop in insertion order — the only
// tie-break, defined here and nowhere else. Storage is a binary min-heap of
// 24-byte PODs (seq has 48 bits) in one vector (no allocation per event once warmed up).
// Cancellation is lazy: an event carries a `version`; the owner bumps its own
// version to invalidate events already queued and skips stale ones when they
// pop (ns-3 EventImpl::Cancel style), which keeps push/pop O(log n) with no
// search.
//
// Invariants:
//  1. pop() returns events in nondecreasing time; equal times in push order.
//  2. seq never repeats within one queue; ids are per queue, never global.
// Thread-safety: none (one queue per simulation, single-threaded).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/units.h"

namespace paralab::sim {

struct Event {
  TimeNs time_ns = 0;
  uint64_t seq_kind = 0;  // (seq << 16) | kind: seq is the tie-break, unique per queue
  int32_t target = 0;     // meaning chosen by the kind (op id, flow id, device id)
  uint32_t version = 0;   // lazy cancellation: compared with the owner's version
  uint16_t kind() const { return uint16_t(seq_kind & 0xffff); }
};

class EventQueue {
 public:
  void reserve(size_t n) { heap_.reserve(n); }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  uint64_t pushed() const { return next_seq_; }

  void push(TimeNs time_ns, uint16_t kind, int32_t target, uint32_t version = 0) {
    heap_.push_back(Event{time_ns, (next_seq_++ << 16) | kind, target, version});
    sift_up(heap_.size() - 1);
  }
  const Event& top() const { return heap_.front(); }
  // REQUIRES: !empty().
  Event pop() {
    Event e = heap_.front();
    heap_.front() = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
    return e;
  }

 private:
  static bool before(const Event& a, const Event& b) {
    return a.time_ns < b.time_ns || (a.time_ns == b.time_ns && a.seq_kind < b.seq_kind);
  }
  void sift_up(size_t i) {
    Event e = heap_[i];
    while (i > 0) {
      size_t p = (i - 1) / 2;
      if (!before(e, heap_[p])) break;
      heap_[i] = heap_[p];
      i = p;
    }
    heap_[i] = e;
  }
  void sift_down(size_t i) {
    const size_t n = heap_.size();
    Event e = heap_[i];
    for (;;) {
      size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && before(heap_[c + 1], heap_[c])) ++c;
      if (!before(heap_[c], e)) break;
      heap_[i] = heap_[c];
      i = c;
    }
    heap_[i] = e;
  }

  std::vector<Event> heap_;
  uint64_t next_seq_ = 0;
};

}  // namespace paralab::sim
