// `paralab experiment run inflora` end to end (a small configuration through
// --param), the recorded runs, and the parameter errors (pinned messages).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/error.h"
#include "experiments/experiment.h"
#include "experiments/inflora/inflora_experiment.h"
#include "results/store.h"
#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using paralab::testing::run_paralab;

std::string tmp_db() {
  return (std::filesystem::temp_directory_path() / ("paralab_inflora_" + std::to_string(::getpid()) + ".db")).string();
}

TEST(InfloraExperiment, CliPrintsEveryMethodAndRecordsEveryRun) {
  const std::string db = tmp_db();
  std::filesystem::remove(db);
  const auto r = run_paralab(
      "experiment run inflora --json --db " + db +
      " --param synthetic_tasks= --param digits_tasks=5 --param seeds=2 --param epochs=2 --param cost_study=0 --seed 4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["settings"], Json::array({"digits-5"}));
  for (const char* m : {"inflora", "seq-lora", "seq-full", "joint"}) {
    ASSERT_TRUE(j.contains(m)) << m;
    const Json& s = j[m]["digits-5"];
    for (const char* k : {"final_accuracy", "average_accuracy", "forgetting"}) EXPECT_TRUE(s.contains(k)) << m << " " << k;
    ASSERT_EQ(s["seeds"].size(), 2u);
    EXPECT_EQ(s["seeds"][0]["seed"], 4);  // seeds start at --seed
    EXPECT_EQ(s["seeds"][1]["seed"], 5);
  }
  ASSERT_EQ(j["run_ids"].size(), 8u);  // 4 methods x 2 seeds
  ResultsStore store(db);
  RunFilter f;
  f.experiment = "inflora";
  const auto runs = store.list(f);
  ASSERT_EQ(runs.size(), 8u);
  for (const auto& run : runs) {
    EXPECT_EQ(run.record.status, "ok");
    const Json& a = run.record.metrics["accuracy_matrix"];
    ASSERT_EQ(a.size(), 5u);  // one row per task learnt, row i has i + 1 entries
    EXPECT_EQ(a[4].size(), 5u);
    EXPECT_TRUE(run.record.metrics.contains("timing"));
  }
  std::filesystem::remove(db);
}

TEST(InfloraExperiment, ParameterErrors) {
  ExperimentOptions o;
  o.params = {{"synthetic_tasks", "5,7"}};
  EXPECT_THAT([&] { inflora::inflora_config(o); },
              ::testing::ThrowsMessage<InputError>(
                  ::testing::StrEq("--param synthetic_tasks='5,7': expected task counts that divide the 40 classes")));
  o.params = {{"methods", "inflora,ewc"}};
  EXPECT_THAT([&] { inflora::inflora_config(o); },
              ::testing::ThrowsMessage<InputError>(::testing::StrEq(
                  "--param methods='inflora,ewc': expected a comma list of inflora, seq-lora, seq-full, joint")));
  o.params = {{"eps", "1.5"}};
  EXPECT_THAT([&] { inflora::inflora_config(o); },
              ::testing::ThrowsMessage<InputError>(::testing::StrEq("--param eps='1.5': expected a number in (0, 1]")));
  const auto r = run_paralab("experiment run inflora --param tasks=5 --db " + tmp_db());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("experiment 'inflora' has no parameter 'tasks'; valid parameters: synthetic_tasks"));
}

TEST(InfloraExperiment, MissingDigitsFileFailsRatherThanSkips) {
  inflora::InfloraConfig c;
  c.synthetic_tasks = {};
  c.digits_path = "/nonexistent/uci-digits.csv.gz";
  EXPECT_THAT([&] { inflora::run_inflora_experiment(c, nullptr); },
              ::testing::ThrowsMessage<InputError>(::testing::HasSubstr("/nonexistent/uci-digits.csv.gz: cannot open")));
}

TEST(InfloraExperiment, QuickConfigurationAndDefaults) {
  ExperimentOptions o;
  EXPECT_EQ(inflora::inflora_config(o).synthetic_tasks, (std::vector<int>{5, 10, 20}));
  EXPECT_EQ(inflora::inflora_config(o).seeds, 3);
  o.quick = true;
  EXPECT_EQ(inflora::inflora_config(o).synthetic_tasks, (std::vector<int>{5}));
  EXPECT_EQ(inflora::inflora_config(o).digits_tasks, (std::vector<int>{5}));
}

}  // namespace
}  // namespace paralab
