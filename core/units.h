// Units and small numeric helpers shared by every folder.
//
// Simulated time is an integer count of nanoseconds (TimeNs); quantities of
// data are bytes (int64_t or double where they are rates); rates carry their
// unit in the name (bytes_per_s, flops_per_s). Nothing here allocates.
#pragma once

#include <cstdint>

namespace paralab {

using TimeNs = int64_t;  // simulated time, nanoseconds

constexpr double kKiB = 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kGB = 1e9;
constexpr double kTB = 1e12;

constexpr TimeNs seconds_to_ns(double seconds) {
  return static_cast<TimeNs>(seconds * 1e9 + (seconds >= 0 ? 0.5 : -0.5));
}
constexpr double ns_to_seconds(TimeNs ns) { return static_cast<double>(ns) * 1e-9; }

// Numeric data types a device computes in or a tensor is stored as.
enum class DType { kFp32, kTf32, kFp16, kBf16, kFp8, kInt8, kInt4 };

// Bytes per element (0.5 for int4).
double dtype_bytes(DType t);
const char* dtype_name(DType t);
// Parses "fp32", "tf32", "fp16", "bf16", "fp8", "int8", "int4"; false if unknown.
bool parse_dtype(const char* name, DType* out);
// "fp32, tf32, fp16, bf16, fp8, int8, int4" for error messages.
const char* dtype_names();

}  // namespace paralab
