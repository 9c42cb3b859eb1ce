// Finding specs by name: experiments/<name>/spec.json, or a program
// (experiments/experiment.h) that has no spec file. Kept apart from
// spec.cpp, whose parsing and expansion depend on core only (the spec
// loader's fuzz target links them without the experiment programs).
#include <algorithm>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "experiments/experiment.h"
#include "experiments/spec.h"

namespace fs = std::filesystem;

namespace paralab {

namespace {

std::string experiments_dir() { return std::string(PARALAB_SOURCE_DIR) + "/experiments"; }

// A program that has no spec file yet: the spec it stands for (kind
// program, no parameters), so every program can be listed and run.
ExperimentSpec program_spec(const Experiment& e) {
  ExperimentSpec s;
  s.name = e.name;
  s.description = e.description;
  s.kind = "program";
  s.program = e.name;
  s.backends = {"sim"};
  s.path = "(program " + e.name + ", no spec file)";
  return s;
}

std::vector<std::string> spec_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(experiments_dir(), ec))
    if (fs::exists(e.path() / "spec.json")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

ExperimentSpec parse_spec(const std::string& path) { return spec_from_json(read_json_file(path), path); }

}  // namespace

ExperimentSpec load_spec(const std::string& arg) {
  if (arg.find('/') != std::string::npos || (arg.size() > 5 && arg.substr(arg.size() - 5) == ".json"))
    return parse_spec(arg);
  fs::path p = fs::path(experiments_dir()) / arg / "spec.json";
  std::error_code ec;
  if (!arg.empty() && !fs::exists(p, ec))
    for (const auto& e : experiments())
      if (e.name == arg) return program_spec(e);
  if (arg.empty() || !fs::exists(p, ec))
    throw InputError("unknown experiment '" + arg + "'; valid names: " + join_names(spec_names()) +
                     " (or give a path to a spec .json file)");
  ExperimentSpec s = parse_spec(p.string());
  if (s.name != arg) JsonReader(Json(), p.string()).fail("$.name is '" + s.name + "', expected '" + arg + "' (its folder)");
  return s;
}

std::vector<ExperimentSpec> list_specs() {
  std::vector<ExperimentSpec> out;
  std::set<std::string> names;
  for (const auto& n : spec_names()) out.push_back(load_spec(n)), names.insert(n);
  for (const auto& e : experiments())
    if (!names.count(e.name)) out.push_back(program_spec(e));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

}  // namespace paralab
