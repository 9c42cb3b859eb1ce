// JobFailed: the job ran and failed (DESIGN.md exit code 1) — e.g. a
// validation graph that did not run. The subcommand prints and records its
// result first, then throws; main() prints "paralab: failed: <message>" on
// stderr and exits 1.
#pragma once

#include <stdexcept>
#include <string>

namespace paralab::cli {

class JobFailed : public std::runtime_error {
 public:
  explicit JobFailed(const std::string& m) : std::runtime_error(m) {}
};

}  // namespace paralab::cli
