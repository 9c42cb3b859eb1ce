// Runs the built `paralab` program for CLI tests: captures stdout and stderr
// separately and the exit code. Test-only helper; any test folder may use it.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace paralab::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `args` is appended to the program path as shell words (quote as needed).
inline CliResult run_paralab(const std::string& args, const std::string& env = "") {
  static int counter = 0;
  std::string base = "/tmp/paralab_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  std::string cmd = env + (env.empty() ? "" : " ") + std::string(PARALAB_BINARY) + " " + args + " >" + base +
                    ".out 2>" + base + ".err";
  int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

}  // namespace paralab::testing
