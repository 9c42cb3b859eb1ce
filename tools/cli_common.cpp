#include "tools/cli_common.h"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <vector>

#include "core/error.h"
#include "core/hardware_profile.h"
#include "core/nearest_name.h"
#include "results/store.h"

namespace paralab::cli {

int exit_code_for_status(const std::string& status) {
  if (status == "ok") return 0;
  return status == "error" ? 3 : 1;
}

ExitStatus run_failed(const std::string& command, const std::string& status, const std::string& message) {
  // "error" is paralab's own failure: its message says what failed.
  std::string line = status == "error" && !message.empty()
                         ? message
                         : command + ": " + status + (message.empty() ? "" : ": " + message);
  std::replace(line.begin(), line.end(), '\n', ' ');  // one line on stderr
  return ExitStatus(exit_code_for_status(status), line);
}

namespace {
std::vector<std::pair<int, RegisterFn>>& registry() {
  static std::vector<std::pair<int, RegisterFn>> r;
  return r;
}
}  // namespace

CommandRegistration::CommandRegistration(int order, RegisterFn fn) { registry().emplace_back(order, fn); }

void register_all_commands(CLI::App& app) {
  auto r = registry();
  std::stable_sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [order, fn] : r) fn(app);
}

namespace {

// The subcommand the command line reached ("plan megatron"), and its App.
const CLI::App* reached_command(const CLI::App& app, std::string* path) {
  const CLI::App* cur = &app;
  for (;;) {
    auto subs = cur->get_subcommands();
    if (subs.empty()) return cur;
    cur = subs.front();
    *path += (path->empty() ? "" : " ") + cur->get_name();
  }
}

std::vector<std::string> option_names(const CLI::App* cmd) {
  std::vector<std::string> out;
  for (const CLI::App* a = cmd; a; a = a->get_parent())
    for (const CLI::Option* o : a->get_options()) {
      for (const auto& l : o->get_lnames()) out.push_back("--" + l);
      for (const auto& s : o->get_snames()) out.push_back("-" + s);
    }
  return out;
}

std::vector<std::string> subcommand_names(const CLI::App* cmd) {
  std::vector<std::string> out;
  for (const CLI::App* s : cmd->get_subcommands([](const CLI::App*) { return true; })) out.push_back(s->get_name());
  return out;
}

}  // namespace

std::string parse_error_message(const CLI::App& app, const CLI::ParseError& e) {
  std::string path;
  const CLI::App* cmd = reached_command(app, &path);
  std::string where = path.empty() ? "" : path + ": ";
  std::string help = " (see paralab " + (path.empty() ? "" : path + " ") + "--help)";
  for (const std::string& extra : app.remaining(true)) {
    if (extra.size() > 1 && extra[0] == '-') {
      std::string name = extra.substr(0, extra.find('='));
      return where + "unknown option '" + name + "'" + did_you_mean(name, option_names(cmd)) + help;
    }
    std::vector<std::string> subs = subcommand_names(cmd);
    if (!subs.empty())
      return where + "unknown command '" + extra + "'" + did_you_mean(extra, subs) + "; commands are: " +
             join_names(subs) + help;
    return where + "unexpected argument '" + extra + "'" + help;
  }
  std::string what = e.what();
  // CLI::PositiveNumber / NonNegativeNumber say "Value -1 not in range
  // 0.000000 to 179769...(309 digits)": name what was expected instead.
  auto range = what.find(" not in range 0.000000 to 1797");
  if (range != std::string::npos) {
    const CLI::Option* opt = cmd->get_option_no_throw(what.substr(0, what.find(':')));
    bool positive = opt && opt->get_type_name().find("NONNEGATIVE") == std::string::npos;
    what = what.substr(0, range) + (positive ? ": expected a positive number" : ": expected a number >= 0");
  }
  if (cmd->get_require_subcommand_min() > 0 && cmd->get_subcommands().empty())
    return where + "expected a command: " + join_names(subcommand_names(cmd)) + help;
  return where + what + help;
}

CommonOptions& add_common(CLI::App* cmd) {
  static std::deque<CommonOptions> storage;  // stable addresses for CLI11's bound variables
  CommonOptions& o = storage.emplace_back();
  cmd->add_flag("--json", o.json, "Print the result as one JSON object");
  cmd->add_option("--db", o.db, "Results database (default results/paralab.db, or $PARALAB_DB)");
  return o;
}

void emit(const CommonOptions& o, const Json& j, const std::function<void()>& human) {
  if (o.json) {
    std::cout << j.dump(2) << "\n";
  } else {
    human();
  }
}

void add_cluster_set_option(CLI::App* cmd, std::vector<std::string>* sets) {
  cmd->add_option("--set", *sets,
                  "Cluster override PATH=VALUE, PATH*=FACTOR or PATH+=VALUE (repeatable), e.g. "
                  "'links[kind=nvlink].bandwidth_bytes_per_s*=0.5' or "
                  "'components[kind=gpu].device.memory_bytes=24e9'");
}

void add_profile_option(CLI::App* cmd, std::string* profile) {
  cmd->add_option("--profile", *profile, "Hardware profile (paralab calibrate) applied to the cluster");
}

void apply_profile_option(const std::string& profile, Cluster* cluster) {
  if (!profile.empty()) apply_hardware_profile(load_hardware_profile(profile), cluster);
}

std::string db_path(const CommonOptions& o) { return o.db.empty() ? ResultsStore::default_path() : o.db; }

ProgressLine::ProgressLine(std::string what)
    : ProgressLine(std::move(what), stderr, ::isatty(STDERR_FILENO) == 1, std::chrono::seconds(1)) {}

ProgressLine::ProgressLine(std::string what, std::FILE* out, bool enabled, std::chrono::milliseconds delay)
    : what_(std::move(what)), out_(out), enabled_(enabled), delay_(delay), start_(std::chrono::steady_clock::now()) {}

void ProgressLine::update(double fraction, const std::string& detail) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - start_ < delay_ || (drawn_ && now - last_ < std::chrono::milliseconds(200))) return;
  last_ = now;
  drawn_ = true;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  int pct = int(std::floor(100 * std::clamp(fraction, 0.0, 1.0)));
  std::fputs(fmt::format("\r\033[K{}: {:3d}% {} ({:.0f} s)", what_, pct, detail, elapsed).c_str(), out_);
  std::fflush(out_);
}

void ProgressLine::done() {
  if (!drawn_) return;
  std::fputs("\r\033[K", out_);
  std::fflush(out_);
  drawn_ = false;
}

std::function<void(uint64_t, uint64_t, TimeNs)> simulation_progress(ProgressLine& bar) {
  return [&bar](uint64_t done, uint64_t total, TimeNs now) {
    bar.update(total ? double(done) / double(total) : 0.0,
               fmt::format("{} of {} ops, {:.3f} s simulated", human_count(double(done)), human_count(double(total)),
                           ns_to_seconds(now)));
  };
}

std::string human_count(double n) {
  if (n >= 1e12) return fmt::format("{:.3g} T", n / 1e12);
  if (n >= 1e9) return fmt::format("{:.3g} B", n / 1e9);
  if (n >= 1e6) return fmt::format("{:.3g} M", n / 1e6);
  if (n >= 1e3) return fmt::format("{:.3g} K", n / 1e3);
  return fmt::format("{:.3g}", n);
}

std::string human_bytes(double b) {
  if (b >= 1024.0 * 1024 * 1024 * 1024) return fmt::format("{:.3g} TiB", b / (1024.0 * 1024 * 1024 * 1024));
  if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.3g} GiB", b / (1024.0 * 1024 * 1024));
  if (b >= 1024.0 * 1024) return fmt::format("{:.3g} MiB", b / (1024.0 * 1024));
  if (b >= 1024.0) return fmt::format("{:.3g} KiB", b / 1024.0);
  return fmt::format("{:.0f} B", b);
}

std::string human_rate(double v, const char* unit) {
  if (v >= 1e15) return fmt::format("{:.3g} P{}", v / 1e15, unit);
  if (v >= 1e12) return fmt::format("{:.3g} T{}", v / 1e12, unit);
  if (v >= 1e9) return fmt::format("{:.3g} G{}", v / 1e9, unit);
  if (v >= 1e6) return fmt::format("{:.3g} M{}", v / 1e6, unit);
  return fmt::format("{:.3g} {}", v, unit);
}

}  // namespace paralab::cli
