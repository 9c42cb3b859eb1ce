// Shared pieces of the `paralab` subcommands: the options every command takes
// (--json, --db), printing a result as text or JSON, and the registration
// hook each tools/cmd_*.cpp file provides.
//
// Errors: a subcommand throws InputError for bad input; main() prints
// "paralab: error: <message>" on stderr and exits with code 2.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "core/cluster.h"
#include "core/json_reader.h"
#include "core/units.h"

namespace paralab::cli {

// Thrown by a command that has printed its result but must end with a
// non-zero exit code (DESIGN.md: 1 the job ran and failed, 3 paralab itself
// failed); main() prints "paralab: failed: <message>" when there is one and
// returns `code`.
struct ExitStatus {
  explicit ExitStatus(int c, std::string m = {}) : code(c), message(std::move(m)) {}
  int code;
  std::string message;
};

// The exit code for a recorded run's status: ok -> 0, error -> 3, any other
// failure (oom, invalid, infeasible, timeout) -> 1.
int exit_code_for_status(const std::string& status);

// The ExitStatus that ends a command whose recorded run did not end ok:
// exit code by status, and one stderr line "paralab: failed: <command>:
// <status>: <message>" (for status "error", exit code 3: "paralab: error:
// <message>"). REQUIRES: status != "ok".
ExitStatus run_failed(const std::string& command, const std::string& status, const std::string& message);

struct CommonOptions {
  bool json = false;
  std::string db;  // results database; "" = ResultsStore::default_path()
};

// Adds --json and --db to a leaf subcommand; the options live as long as the app.
CommonOptions& add_common(CLI::App* cmd);

// Prints `j` (when --json) or runs `human` to print text.
void emit(const CommonOptions& o, const Json& j, const std::function<void()>& human);

// --set (repeatable) on a command that takes --cluster: cluster overrides
// (core/cluster_overrides.h), applied to the cluster file before it is loaded
// and recorded with the run.
void add_cluster_set_option(CLI::App* cmd, std::vector<std::string>* sets);

// --profile FILE on a command that takes --cluster: a hardware profile
// (`paralab calibrate`) whose measured figures replace the cluster's
// (core/hardware_profile.h). apply_profile_option applies it after the
// overrides; an empty path leaves the cluster alone.
void add_profile_option(CLI::App* cmd, std::string* profile);
void apply_profile_option(const std::string& profile, Cluster* cluster);

// The database path to use for `o`.
std::string db_path(const CommonOptions& o);

// The one-line message for a command-line parse error (without the
// "paralab: error: " prefix): the command it concerns, and for an unknown
// option or subcommand its nearest valid name, e.g.
//   "plan megatron: unknown option '--global-batch-size'; did you mean
//    '--global-batch'? (see paralab plan megatron --help)".
// An unknown option is reported before any other error of the same command
// line (a misspelled required option is the likely cause of "is required").
std::string parse_error_message(const CLI::App& app, const CLI::ParseError& e);

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

// A one-line progress display for long jobs, on stderr: drawn only when
// stderr is a terminal (so logs and pipes stay clean) and only once the job
// has run `delay` (short jobs print nothing), redrawn at most 5 times a
// second, erased by done() or the destructor.
class ProgressLine {
 public:
  explicit ProgressLine(std::string what);
  // For tests: draw into `out` whenever `enabled`, after `delay`.
  ProgressLine(std::string what, std::FILE* out, bool enabled, std::chrono::milliseconds delay);
  ~ProgressLine() { done(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  // fraction in [0, 1]; detail e.g. "1.2 M of 2.9 M ops".
  void update(double fraction, const std::string& detail);
  void done();

 private:
  std::string what_;
  std::FILE* out_;
  bool enabled_, drawn_ = false;
  std::chrono::milliseconds delay_;
  std::chrono::steady_clock::time_point start_, last_;
};

// A sim::SimOptions::progress callback drawing into `bar`:
// "simulate:  42% 1.2 M of 2.9 M ops, 3.412 s simulated (7 s)".
std::function<void(uint64_t, uint64_t, TimeNs)> simulation_progress(ProgressLine& bar);

// Human-readable numbers: 6.74e9 -> "6.74 B", 80e9 bytes -> "74.5 GiB".
std::string human_count(double n);
std::string human_bytes(double b);
std::string human_rate(double per_s, const char* unit);  // 312e12, "FLOP/s" -> "312 TFLOP/s"

}  // namespace paralab::cli
