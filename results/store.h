// ResultsStore: the SQLite database every run is recorded in.
//
// Schema (versioned by PRAGMA user_version; a database of an older version is
// upgraded in place, under the write lock, by the ordered migration steps in
// store.cpp; one of a newer version is refused untouched):
//   runs(id, created_at, git_rev, host, backend, experiment, model, cluster,
//        strategy, config_json, status, message, step_seconds, throughput,
//        throughput_unit, metrics_json,
//        -- schema 2 (sweeps, what-if runs):
//        cluster_hash, cluster_overrides, config_hash)
//   run_devices(run_id, device, utilization)
//   run_memory(run_id, scope, tier, peak_bytes)
// Invariants: 1. a run and all its rows are written in one transaction — a
// crash leaves all of it or none (tests/results/crash_safety_test.cpp kills
// writers); 2. the store never rewrites a run.
// Concurrency: processes share a database; a call waits up to 10 s for
// another's lock, and insert() starts its transaction again (5 attempts) when
// that wait runs out.
// Errors: InputError (exit 2) when the file cannot be opened, written, or is
// not a paralab database; SystemError (exit 3) when writing a run fails.
// Testing: $PARALAB_TEST_STORE_PAUSE_MS makes insert() announce itself on
// stderr and sleep that long inside its transaction.
// Thread-safety: one ResultsStore per thread (SQLite connection semantics).
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/run_record.h"

struct sqlite3;

namespace paralab {

struct StoredRun {
  int64_t id = 0;
  std::string created_at;
  std::string git_rev;
  std::string host;
  RunRecord record;
};

struct RunFilter {
  std::string experiment;  // "" = any
  std::string backend;
  std::string status;
  int64_t limit = 0;  // 0 = all
};

class ResultsStore {
 public:
  // Opens (creating if needed) and migrates. InputError naming the path if it
  // cannot be opened or written.
  explicit ResultsStore(const std::string& path);
  ~ResultsStore();
  ResultsStore(const ResultsStore&) = delete;
  ResultsStore& operator=(const ResultsStore&) = delete;

  static int schema_version();
  // The SQL of each migration step, in order (tests build older databases).
  static std::vector<std::string> migration_sql();
  static std::string default_path();  // results/paralab.db under the source tree, or $PARALAB_DB

  int64_t insert(const RunRecord& r);
  std::vector<StoredRun> list(const RunFilter& f = {}) const;
  // InputError "no run with id N in <path>" when absent.
  StoredRun get(int64_t id) const;
  // The configuration hashes already recorded for `experiment` (what a
  // resumed sweep skips).
  std::set<std::string> config_hashes(const std::string& experiment) const;
  const std::string& path() const { return path_; }

 private:
  void exec(const char* sql) const;
  void rollback() const noexcept;  // when a transaction is open
  void migrate();
  int64_t insert_once(const RunRecord& r);
  std::string path_;
  sqlite3* db_ = nullptr;
  int test_pause_ms_ = 0;
};

// Revision of the source tree the program was built from ("unknown" outside git).
std::string git_revision();
std::string host_name();

}  // namespace paralab
