// `paralab report [--db PATH] [-o DIR] [--trace FILE]...`: static HTML pages
// (an index and one page per experiment) with tables and figures, read from
// the results store. The pages and figures are drawn by results/report.py
// under Debian's /usr/bin/python3 with python3-matplotlib; this command checks
// its inputs, runs it and prints where the index is. The database is opened
// read-only: a report never changes the store.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "core/error.h"
#include "tools/cli_common.h"

namespace paralab::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kPython = "/usr/bin/python3";

// Runs argv[0] with argv and returns its exit status (127 when it cannot start).
int run_program(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("cannot start " + argv[0] + ": fork failed");
  if (pid == 0) {
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error("waiting for " + argv[0] + " failed");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void register_report(CLI::App& app) {
  auto* cmd = app.add_subcommand("report", "Static HTML report (tables, figures, timelines) of the results store");
  auto& o = add_common(cmd);
  static std::string out_dir = "out/report";
  static std::vector<std::string> traces;
  static std::string headline;
  cmd->add_option("-o,--out", out_dir, "Folder for index.html, the experiment pages and fig/ (default out/report)");
  cmd->add_option("--trace", traces, "A Chrome trace (simulate --trace, plan infer --trace) drawn as a timeline (repeatable)");
  cmd->add_option("--headline", headline, "A text file shown on the index page (make run's headline table)");
  cmd->callback([&o] {
    const std::string db = db_path(o);
    if (!fs::is_regular_file(db))
      throw InputError(db + ": no results database there (run an experiment first, or give --db PATH)");
    for (const auto& t : traces)
      if (!fs::is_regular_file(t)) throw InputError("--trace " + t + ": no such file");
    if (!headline.empty() && !fs::is_regular_file(headline)) throw InputError("--headline " + headline + ": no such file");
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) throw InputError("-o " + out_dir + ": cannot create the folder: " + ec.message());
    if (::access(kPython, X_OK) != 0)
      throw std::runtime_error(std::string(kPython) + " not found: install python3-matplotlib (scripts/install-deps.sh)");
    std::vector<std::string> argv = {kPython, std::string(PARALAB_SOURCE_DIR) + "/results/report.py", "--db", db,
                                     "-o", out_dir};
    for (const auto& t : traces) argv.insert(argv.end(), {"--trace", t});
    if (!headline.empty()) argv.insert(argv.end(), {"--headline", headline});
    int rc = run_program(argv);
    if (rc == 2) throw InputError("the report was not written: results/report.py rejected its input (its message above)");
    if (rc != 0) throw ExitStatus(3, fmt::format("results/report.py exited with status {}", rc));
    std::string index = fs::absolute(fs::path(out_dir) / "index.html").lexically_normal().string();
    Json j = {{"index", index}, {"db", db}, {"traces", traces}};
    emit(o, j, [&] { fmt::print("report: {}\n", index); });
  });
}

}  // namespace

static const CommandRegistration kRegistration(88, &register_report);

}  // namespace paralab::cli
