#include "core/units.h"

#include <cstring>

namespace paralab {

namespace {
struct DTypeInfo {
  DType type;
  const char* name;
  double bytes;
};
constexpr DTypeInfo kDTypes[] = {
    {DType::kFp32, "fp32", 4.0}, {DType::kTf32, "tf32", 4.0}, {DType::kFp16, "fp16", 2.0},
    {DType::kBf16, "bf16", 2.0}, {DType::kFp8, "fp8", 1.0},   {DType::kInt8, "int8", 1.0},
    {DType::kInt4, "int4", 0.5},
};
}  // namespace

double dtype_bytes(DType t) {
  for (const auto& d : kDTypes)
    if (d.type == t) return d.bytes;
  return 0.0;
}

const char* dtype_name(DType t) {
  for (const auto& d : kDTypes)
    if (d.type == t) return d.name;
  return "?";
}

bool parse_dtype(const char* name, DType* out) {
  for (const auto& d : kDTypes) {
    if (std::strcmp(d.name, name) == 0) {
      *out = d.type;
      return true;
    }
  }
  return false;
}

const char* dtype_names() { return "fp32, tf32, fp16, bf16, fp8, int8, int4"; }

}  // namespace paralab
