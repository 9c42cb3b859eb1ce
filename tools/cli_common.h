// Shared pieces of the `paralab` subcommands: the options every command takes
// (--json, --db), printing a result as text or JSON, and the registration
// hook each tools/cmd_*.cpp file provides.
//
// Errors: a subcommand throws InputError for bad input; main() prints
// "paralab: error: <message>" on stderr and exits with code 2.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <iostream>
#include <string>

#include "core/json_reader.h"

namespace paralab::cli {

struct CommonOptions {
  bool json = false;
  std::string db;  // results database; "" = ResultsStore::default_path()
};

// Adds --json and --db to a leaf subcommand; the options live as long as the app.
CommonOptions& add_common(CLI::App* cmd);

// Prints `j` (when --json) or runs `human` to print text.
void emit(const CommonOptions& o, const Json& j, const std::function<void()>& human);

// The database path to use for `o`.
std::string db_path(const CommonOptions& o);

// Each tools/cmd_*.cpp registers its subcommands with one static
//   static const CommandRegistration reg(order, &register_fn);
// main() adds them in ascending `order` (the order `paralab --help` lists).
// Files in tools/ are linked into the program directly, so the static
// initialisers always run.
using RegisterFn = void (*)(CLI::App&);
struct CommandRegistration {
  CommandRegistration(int order, RegisterFn fn);
};
void register_all_commands(CLI::App& app);

// Human-readable numbers: 6.74e9 -> "6.74 B", 80e9 bytes -> "74.5 GiB".
std::string human_count(double n);
std::string human_bytes(double b);
std::string human_rate(double per_s, const char* unit);  // 312e12, "FLOP/s" -> "312 TFLOP/s"

}  // namespace paralab::cli
