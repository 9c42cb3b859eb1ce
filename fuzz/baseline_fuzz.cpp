// `paralab compare` baseline JSON -> Baseline -> compared as `compare`
// compares, with the report rendered as table, JSON and JUnit XML:
//  - with itself and with its own round trip through baseline_to_json,
//    which must find nothing to report (invariant 1 of results/baseline.h:
//    a baseline read back from its file compares equal, with no change);
//  - with the shipped ci baseline, both ways round, which exercises every
//    kind of change (missing, new, status, regressed, improved, within).
// A broken invariant aborts: the fuzzer reports it as a finding.
#include <cstdio>
#include <cstdlib>

#include "fuzz/fuzz_driver.h"
#include "results/baseline.h"

namespace {

void render(const paralab::Comparison& c, const paralab::Baseline& a, const paralab::Baseline& b) {
  (void)paralab::comparison_table(c, 20);
  (void)paralab::comparison_json(c).dump();
  (void)paralab::comparison_junit_xml(c, a, b);
}

void expect_no_change(const paralab::Baseline& a, const paralab::Baseline& b, const char* what) {
  const paralab::Comparison c = paralab::compare_to_baseline(a, b, 0.0);
  render(c, a, b);
  if (!c.changes.empty()) {
    std::fprintf(stderr, "baseline_fuzz: %s reports %zu change(s), the first '%s' of run '%s'\n", what,
                 c.changes.size(), c.changes.front().value.c_str(), c.changes.front().run_key.c_str());
    std::abort();
  }
}

}  // namespace

void paralab::fuzz::consume(const JsonReader& j) {
  static const Baseline ci = load_baseline(std::string(PARALAB_SOURCE_DIR) + "/results/baselines/ci.json");
  const Baseline b = baseline_from_json(j.json(), j.file());
  expect_no_change(b, b, "the baseline against itself");
  const Json written = parse_json_text(baseline_to_json(b).dump(1), "written baseline");
  expect_no_change(b, baseline_from_json(written, "written baseline"), "the baseline against its round trip");
  for (double tolerance : {0.0, 0.02}) {
    render(compare_to_baseline(ci, b, tolerance), ci, b);
    render(compare_to_baseline(b, ci, tolerance), b, ci);
  }
}
