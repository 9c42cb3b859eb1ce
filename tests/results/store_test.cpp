// The SQLite results store: round trip, schema version, one transaction per
// run, clear errors for unusable paths.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "core/error.h"
#include "results/store.h"

namespace paralab {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("paralab_store_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "runs.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  int64_t count(const char* table) {
    sqlite3* db = nullptr;
    sqlite3_open(path_.c_str(), &db);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, (std::string("SELECT COUNT(*) FROM ") + table).c_str(), -1, &s, nullptr);
    sqlite3_step(s);
    int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
  }
  std::filesystem::path dir_;
  std::string path_;
};

RunRecord sample() {
  RunRecord r;
  r.backend = "sim";
  r.experiment = "unit";
  r.model = "llama-2-7b";
  r.cluster = "dgx-a100-80gb";
  r.strategy = "megatron";
  r.config = {{"tp", 8}, {"pp", 1}};
  r.step_seconds = 1.25;
  r.throughput = 3.2;
  r.throughput_unit = "samples_per_s";
  r.device_utilization = {0.5, 0.75};
  r.peak_memory = {{"device0", "device", 1e9}, {"node0", "pinned", 2e9}};
  r.metrics = {{"mfu", 0.4}};
  return r;
}

TEST_F(StoreTest, RoundTrip) {
  ResultsStore s(path_);
  int64_t id = s.insert(sample());
  StoredRun back = s.get(id);
  EXPECT_EQ(back.record.model, "llama-2-7b");
  EXPECT_EQ(back.record.config["tp"], 8);
  EXPECT_DOUBLE_EQ(back.record.step_seconds, 1.25);
  EXPECT_EQ(back.record.device_utilization, (std::vector<double>{0.5, 0.75}));
  ASSERT_EQ(back.record.peak_memory.size(), 2u);
  EXPECT_EQ(back.record.peak_memory[1].tier, "pinned");
  EXPECT_DOUBLE_EQ(back.record.metrics["mfu"], 0.4);
  EXPECT_FALSE(back.created_at.empty());
  EXPECT_FALSE(back.git_rev.empty());
}

TEST_F(StoreTest, FailuresAreRecordedRuns) {
  ResultsStore s(path_);
  RunRecord r = sample();
  r.status = "oom";
  r.message = "device 3: over by 1.5 GiB";
  s.insert(r);
  s.insert(sample());
  RunFilter f;
  f.status = "oom";
  auto runs = s.list(f);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].record.message, "device 3: over by 1.5 GiB");
  EXPECT_EQ(s.list().size(), 2u);
}

TEST_F(StoreTest, RejectedRunLeavesNoRows) {
  ResultsStore s(path_);
  RunRecord r = sample();
  r.status = "exploded";
  EXPECT_THROW(s.insert(r), InputError);
  RunRecord bad_backend = sample();
  bad_backend.backend = "quantum";  // violates the CHECK constraint inside the transaction
  EXPECT_THROW(s.insert(bad_backend), InputError);
  EXPECT_EQ(count("runs"), 0);
  EXPECT_EQ(count("run_devices"), 0);
  EXPECT_EQ(count("run_memory"), 0);
}

TEST_F(StoreTest, SchemaIsVersioned) {
  { ResultsStore s(path_); }
  sqlite3* db = nullptr;
  sqlite3_open(path_.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr);
  sqlite3_step(st);
  EXPECT_EQ(sqlite3_column_int(st, 0), ResultsStore::schema_version());
  sqlite3_finalize(st);
  sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    ResultsStore s(path_);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 999 is newer"), std::string::npos) << e.what();
  }
}

TEST_F(StoreTest, UnwritablePathIsAClearError) {
  std::string p = (dir_ / "no_such_folder" / "x.db").string();
  try {
    ResultsStore s(p);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              p + ": cannot open results database: folder " + (dir_ / "no_such_folder").string() + " does not exist");
  }
}

TEST_F(StoreTest, MissingRunIsAClearError) {
  ResultsStore s(path_);
  try {
    s.get(42);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "no run with id 42 in " + path_);
  }
}

}  // namespace
}  // namespace paralab
