// The one driver of every libFuzzer target in fuzz/: bytes -> JSON text ->
// a loader -> whatever consumes the loaded value. A run must end in a value
// or an InputError (bad input, reported as the CLI would: exit code 2);
// anything else — another exception, a crash, a sanitizer report, a hang
// past -timeout, an allocation past -malloc_limit_mb — is a finding.
//
// A target is one file, fuzz/<name>_fuzz.cpp, that defines
//   void paralab::fuzz::consume(const JsonReader& j)
// (load from `j`, then use the value) and includes this header; CMake
// builds one fuzz_<name> program per such file, and `make fuzz` runs each
// on its corpus fuzz/corpus/<name>/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/json_reader.h"

namespace paralab::fuzz {

// Defined by each target.
void consume(const JsonReader& j);

}  // namespace paralab::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const paralab::Json j = paralab::parse_json_text(text, "fuzz.json");
    paralab::fuzz::consume(paralab::JsonReader(j, "fuzz.json"));
  } catch (const paralab::InputError&) {
    // The accepted way for bad input to end.
  }
  return 0;
}
