// Errors that reach the user.
//
// InputError is bad input found at the edge (a file, a JSON field, a command
// line value). Its message is one line that names where the problem is, the
// value found and what was expected; the CLI prints it and exits with code 2.
// Internal invariants are asserts, not InputErrors.
#pragma once

#include <stdexcept>
#include <string>

namespace paralab {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

// SystemError: paralab itself failed at something that is not the input's
// fault (an I/O error, a database that cannot be written after retries); the
// CLI prints "paralab: error: <message>" and exits with code 3.
class SystemError : public std::runtime_error {
 public:
  explicit SystemError(const std::string& message) : std::runtime_error(message) {}
};

// "a, b, c" from a list of names, for "valid values are: ..." messages.
template <typename Container>
std::string join_names(const Container& names, const char* sep = ", ") {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += sep;
    out += n;
  }
  return out;
}

}  // namespace paralab
