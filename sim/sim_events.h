// The kinds of events the simulator puts on its EventQueue, in one place.
#pragma once

#include <cstdint>

namespace paralab::sim {

enum EventKind : uint16_t {
  kComputeTick = 1,   // target: device; a device's processor-sharing state changes
  kFlowLatencyDone,   // target: flow; its latency is paid, it starts moving bytes
  kFlowDone,          // target: flow; its last byte arrived (if version current)
  kOpDone,            // target: op; an op with a closed-form time finished
};

}  // namespace paralab::sim
