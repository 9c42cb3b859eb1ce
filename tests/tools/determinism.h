// Helpers of the determinism tests (determinism_test.cpp, the fast tier;
// determinism_slow_test.cpp): run one command twice and compare its JSON,
// leaving out `run_id` / `run_ids` and the wall-clock `timing` key
// (DESIGN.md), and its trace byte for byte.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "tests/tools/run_cli.h"

namespace paralab::testing {

inline std::string tmp(const std::string& name) {
  return "/tmp/paralab_det_" + std::to_string(::getpid()) + "_" + name;
}

// `j` without the keys that may differ between two runs of one simulation:
// the database's ids and the wall-clock figures.
inline nlohmann::json without_run_ids_and_timing(nlohmann::json j) {
  if (j.is_object()) {
    for (const char* k : {"run_id", "run_ids", "timing"}) j.erase(k);
    for (auto& [k, v] : j.items()) v = without_run_ids_and_timing(v);
  } else if (j.is_array()) {
    for (auto& v : j) v = without_run_ids_and_timing(v);
  }
  return j;
}

// Runs `args` (which prints JSON) twice, with `--trace FILE` when `traced`;
// expects exit code 0, the same JSON apart from ids and timing, and
// byte-identical traces. Returns the first run's JSON.
// `second_args` (default: `args`) is what the second run is given. Each run
// starts from an empty database (a sweep would skip what the first recorded).
inline nlohmann::json run_twice(const std::string& args, bool traced, const std::string& name,
                                const std::string& second_args = "") {
  std::string out[2], trace[2];
  nlohmann::json first;
  for (int i = 0; i < 2; ++i) {
    std::string t = tmp(name + ".trace.json");  // one path: the output names it
    std::remove(tmp("runs.db").c_str());
    const std::string& a = i == 1 && !second_args.empty() ? second_args : args;
    auto r = run_paralab(a + " --json --db " + tmp("runs.db") + (traced ? " --trace " + t : ""));
    EXPECT_EQ(r.exit_code, 0) << a << "\n" << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    if (i == 0) first = j;
    out[i] = without_run_ids_and_timing(j).dump(2);
    if (traced) trace[i] = slurp(t);
    std::remove(t.c_str());
  }
  EXPECT_EQ(out[0], out[1]) << args;
  if (traced) {
    EXPECT_GT(trace[0].size(), 100u) << "no trace written by " << args;
    EXPECT_TRUE(trace[0] == trace[1]) << args << ": traces differ";  // not printed: megabytes
  }
  return first;
}

}  // namespace paralab::testing
