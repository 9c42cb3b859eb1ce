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

// Schema 2: the what-if and sweep columns round-trip, and a database of
// schema 1 (written before them) is upgraded with their defaults.
TEST_F(StoreTest, WhatIfColumnsRoundTripAndConfigHashesAreListed) {
  ResultsStore s(path_);
  RunRecord r = sample();
  r.cluster_hash = "0123456789abcdef0123456789abcdef";
  r.cluster_overrides = {"links[kind=nvlink].bandwidth_bytes_per_s*=0.5"};
  r.config_hash = "feed";
  int64_t id = s.insert(r);
  s.insert(sample());  // no config hash: not a sweep run
  StoredRun back = s.get(id);
  EXPECT_EQ(back.record.cluster_hash, r.cluster_hash);
  EXPECT_EQ(back.record.cluster_overrides, r.cluster_overrides);
  EXPECT_EQ(back.record.config_hash, "feed");
  EXPECT_EQ(s.config_hashes("unit"), std::set<std::string>{"feed"});
  EXPECT_TRUE(s.config_hashes("other").empty());
  // RunRecord's JSON carries them too (records travel between MPI ranks so).
  RunRecord again = RunRecord::from_json(back.record.to_json(), "test");
  EXPECT_EQ(again.to_json(), back.record.to_json());
}

TEST_F(StoreTest, SchemaOneDatabaseIsUpgraded) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  // The schema-1 runs table as the first migration created it, with one run.
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, "
                         "git_rev TEXT NOT NULL, host TEXT NOT NULL, backend TEXT NOT NULL, experiment TEXT NOT NULL "
                         "DEFAULT '', model TEXT NOT NULL DEFAULT '', cluster TEXT NOT NULL DEFAULT '', strategy TEXT "
                         "NOT NULL DEFAULT '', config_json TEXT NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL "
                         "DEFAULT '', step_seconds REAL NOT NULL DEFAULT 0, throughput REAL NOT NULL DEFAULT 0, "
                         "throughput_unit TEXT NOT NULL DEFAULT '', metrics_json TEXT NOT NULL DEFAULT '{}');"
                         "CREATE TABLE run_devices (run_id INTEGER NOT NULL, device INTEGER NOT NULL, utilization "
                         "REAL NOT NULL, PRIMARY KEY (run_id, device));"
                         "CREATE TABLE run_memory (run_id INTEGER NOT NULL, scope TEXT NOT NULL, tier TEXT NOT NULL, "
                         "peak_bytes REAL NOT NULL);"
                         "CREATE INDEX runs_by_experiment ON runs(experiment, id);"
                         "INSERT INTO runs (created_at, git_rev, host, backend, config_json, status) VALUES "
                         "('2026-01-01T00:00:00Z', 'x', 'h', 'sim', '{}', 'ok');"
                         "PRAGMA user_version = 1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ResultsStore s(path_);
  StoredRun old = s.get(1);
  EXPECT_EQ(old.record.cluster_hash, "");
  EXPECT_TRUE(old.record.cluster_overrides.empty());
  EXPECT_EQ(old.record.config_hash, "");
  EXPECT_EQ(ResultsStore::schema_version(), 3);  // 2 indexes run_memory, 3 adds the hashes
}

}  // namespace
}  // namespace paralab
