#include "tools/cli_common.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <vector>

#include "results/store.h"

namespace paralab::cli {

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

std::string db_path(const CommonOptions& o) { return o.db.empty() ? ResultsStore::default_path() : o.db; }

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
