// Baselines and `paralab compare`'s verdicts, on runs built by hand: every
// expected verdict below follows from the 2% rule worked out in a comment.
#include <gtest/gtest.h>

#include "core/error.h"
#include "results/baseline.h"

namespace paralab {
namespace {

StoredRun run(int64_t id, const std::string& strategy, double throughput, double step_seconds,
              const std::string& status = "ok") {
  StoredRun s;
  s.id = id;
  RunRecord& r = s.record;
  r.model = "m";
  r.cluster = "c";
  r.strategy = strategy;
  r.status = status;
  r.throughput = throughput;
  r.throughput_unit = "samples_per_s";
  r.step_seconds = step_seconds;
  r.config = {{"tp", 2}, {"timing", {{"lower_seconds", 0.1}}}};
  r.metrics = {{"ops", 1000}, {"mfu", 0.5}, {"timing", {{"simulate_seconds", 0.25}}}, {"run_id", id}};
  r.device_utilization = {0.5, 0.25};
  r.peak_memory = {{"device0", "device", 1e9}};
  return s;
}

const ValueChange* find(const Comparison& c, const std::string& value) {
  for (const auto& ch : c.changes)
    if (ch.value == value) return &ch;
  return nullptr;
}

TEST(Baseline, ValuesAreFlattenedWithoutTimingOrRunId) {
  BaselineRun b = baseline_run(run(7, "a", 100, 2));
  EXPECT_EQ(b.key, "sim | m | c | a");
  EXPECT_EQ(b.values.at("throughput"), 100.0);
  EXPECT_EQ(b.values.at("step_seconds"), 2.0);
  EXPECT_EQ(b.values.at("utilization.device1"), 0.25);
  EXPECT_EQ(b.values.at("peak_bytes.device0.device"), 1e9);
  EXPECT_EQ(b.values.at("metrics.ops"), 1000);
  EXPECT_EQ(b.values.count("metrics.timing.simulate_seconds"), 0u);
  EXPECT_EQ(b.values.count("metrics.run_id"), 0u);
  // The config digest ignores `timing`: a different lowering time, the same digest.
  StoredRun other = run(8, "a", 100, 2);
  other.record.config["timing"]["lower_seconds"] = 9.0;
  EXPECT_EQ(baseline_run(other).config_digest, b.config_digest);
  other.record.config["tp"] = 4;
  EXPECT_NE(baseline_run(other).config_digest, b.config_digest);
}

TEST(Baseline, TheNewestRunOfAKeyStandsForIt) {
  Baseline b = baseline_from_runs("e", false, {run(1, "a", 10, 1), run(5, "a", 50, 1), run(3, "a", 30, 1)});
  ASSERT_EQ(b.runs.size(), 1u);
  EXPECT_EQ(b.runs[0].values.at("throughput"), 50.0);
}

TEST(Baseline, IdenticalRunsCompareClean) {
  Baseline a = baseline_from_runs("e", false, {run(1, "a", 100, 2), run(2, "b", 10, 1)});
  StoredRun later = run(9, "a", 100, 2);
  later.record.metrics["timing"]["simulate_seconds"] = 99.0;  // wall clock moves; nothing to report
  Baseline b = baseline_from_runs("e", false, {later, run(10, "b", 10, 1)});
  Comparison c = compare_to_baseline(a, b, 0.02);
  EXPECT_EQ(c.runs_compared, 2);
  EXPECT_TRUE(c.changes.empty());
  EXPECT_FALSE(c.failed());
}

TEST(Baseline, VerdictsFollowTheToleranceAndTheDirection) {
  Baseline a = baseline_from_runs("e", false, {run(1, "down", 100, 1), run(2, "up", 100, 1), run(3, "small", 100, 1)});
  // down: throughput 100 -> 97, |3| > 0.02 * 100 = 2, and higher is better: regressed.
  // up:   throughput 100 -> 110 and step 1 -> 0.9 (|0.1| > 0.02 * 1): both improved.
  // small: throughput 100 -> 101.5, |1.5| <= 0.02 * 101.5 = 2.03: within.
  StoredRun up = run(12, "up", 110, 0.9);
  Baseline b = baseline_from_runs("e", false, {run(11, "down", 97, 1), up, run(13, "small", 101.5, 1)});
  Comparison c = compare_to_baseline(a, b, 0.02);
  ASSERT_EQ(c.changes.size(), 4u);
  EXPECT_EQ(c.changes[0].run_key, "sim | m | c | down");
  EXPECT_EQ(c.changes[0].kind, ValueChange::Kind::kRegressed);
  EXPECT_NEAR(c.changes[0].relative, -0.03, 1e-12);
  EXPECT_EQ(c.count(ValueChange::Kind::kImproved), 2);
  EXPECT_EQ(c.count(ValueChange::Kind::kWithin), 1);
  EXPECT_EQ(c.failing_runs(), std::vector<std::string>{"sim | m | c | down"});
  // At 5% the fall of 3% is within tolerance and nothing fails.
  EXPECT_FALSE(compare_to_baseline(a, b, 0.05).failed());
}

TEST(Baseline, AValueOfUnknownDirectionFailsEitherWay) {
  Baseline a = baseline_from_runs("e", false, {run(1, "a", 100, 1)});
  StoredRun r = run(2, "a", 100, 1);
  r.record.metrics["ops"] = 900;  // fewer ops is not "better" by name: -10% fails
  Comparison c = compare_to_baseline(a, baseline_from_runs("e", false, {r}), 0.02);
  ASSERT_NE(find(c, "metrics.ops"), nullptr);
  EXPECT_EQ(find(c, "metrics.ops")->kind, ValueChange::Kind::kRegressed);
  EXPECT_TRUE(c.failed());
}

TEST(Baseline, StatusChangesMissingAndNewRunsFail) {
  Baseline a = baseline_from_runs("e", false, {run(1, "a", 100, 1), run(2, "gone", 1, 1)});
  Baseline b = baseline_from_runs("e", false, {run(3, "a", 0, 0, "oom"), run(4, "fresh", 1, 1)});
  Comparison c = compare_to_baseline(a, b, 0.5);
  EXPECT_EQ(find(c, "status")->kind, ValueChange::Kind::kStatus);
  EXPECT_EQ(c.count(ValueChange::Kind::kMissing), 1);
  EXPECT_EQ(c.count(ValueChange::Kind::kNew), 1);
  EXPECT_EQ(c.failing_runs().size(), 3u);
  std::string xml = comparison_junit_xml(c, a, b);
  EXPECT_NE(xml.find("<testsuites tests=\"3\" failures=\"3\">"), std::string::npos) << xml;
  EXPECT_NE(xml.find("STATUS status: &quot;ok&quot; -&gt; &quot;oom&quot;"), std::string::npos) << xml;
}

TEST(Baseline, JsonRoundTripIsExactAndStrict) {
  Baseline a = baseline_from_runs("e", true, {run(1, "a", 100.123456789012, 1), run(2, "b", 10, 1)});
  Baseline b = baseline_from_json(baseline_to_json(a), "x.json");
  EXPECT_TRUE(b.quick);
  EXPECT_TRUE(compare_to_baseline(a, b, 0).changes.empty());
  Json bad = baseline_to_json(a);
  bad["run"] = bad["runs"];
  try {
    baseline_from_json(bad, "x.json");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("x.json: $.run: unknown key; did you mean 'runs'?"), std::string::npos) << e.what();
  }
  Json nested = baseline_to_json(a);
  nested["runs"][0]["values"]["throughput"] = Json::array({1, 2});
  EXPECT_THROW(baseline_from_json(nested, "x.json"), InputError);
}

TEST(Baseline, ASignedErrorImprovesAsItsMagnitudeShrinks) {
  StoredRun a = run(1, "a", 100, 1), b = run(2, "a", 100, 1), c = run(3, "a", 100, 1);
  a.record.metrics["relative_error"] = -0.10;
  b.record.metrics["relative_error"] = -0.05;  // |-0.05| < |-0.10|: better, though the value rose
  c.record.metrics["relative_error"] = -0.20;  // |-0.20| > |-0.10|: worse, though the value fell
  Baseline base = baseline_from_runs("e", false, {a});
  EXPECT_EQ(find(compare_to_baseline(base, baseline_from_runs("e", false, {b}), 0.02), "metrics.relative_error")->kind,
            ValueChange::Kind::kImproved);
  EXPECT_EQ(find(compare_to_baseline(base, baseline_from_runs("e", false, {c}), 0.02), "metrics.relative_error")->kind,
            ValueChange::Kind::kRegressed);
}

TEST(Baseline, DirectionsAndTolerances) {
  EXPECT_EQ(metric_direction("throughput"), +1);
  EXPECT_EQ(metric_direction("metrics.tokens_per_second"), +1);
  EXPECT_EQ(metric_direction("utilization.device3"), +1);
  EXPECT_EQ(metric_direction("metrics.channel_utilization.h2d"), +1);
  EXPECT_EQ(metric_direction("step_seconds"), -1);
  EXPECT_EQ(metric_direction("peak_bytes.device0.device"), -1);
  EXPECT_EQ(metric_direction("metrics.memory[0].peak_bytes"), -1);
  EXPECT_EQ(metric_direction("metrics.relative_error"), -1);
  EXPECT_EQ(metric_direction("metrics.ops"), 0);
  EXPECT_DOUBLE_EQ(parse_tolerance("2%", "--tolerance"), 0.02);
  EXPECT_DOUBLE_EQ(parse_tolerance("0.5", "--tolerance"), 0.5);
  try {
    parse_tolerance("two", "--tolerance");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "--tolerance 'two': expected a non-negative fraction (0.02) or percentage (2%)");
  }
  EXPECT_THROW(parse_tolerance("-1%", "--tolerance"), InputError);
}

}  // namespace
}  // namespace paralab
