// Crash safety and concurrency of the results database (results/store.h):
// `paralab` processes are killed with SIGKILL while they record runs, some at
// random moments and some inside the write transaction (where
// $PARALAB_TEST_STORE_PAUSE_MS holds them); afterwards the database must open,
// pass PRAGMA integrity_check and hold only whole runs. Two processes writing
// at once both succeed and lose nothing; older schemas are upgraded in place
// and newer ones refused untouched.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "results/store.h"
#include "tests/tools/run_cli.h"

namespace paralab {
namespace {

using paralab::testing::run_paralab;

// ring8.json: one all-reduce over the 8 GPUs of one DGX node, so a whole run
// has 8 run_devices rows and at least one run_memory row.
constexpr int kDevicesPerRun = 8;

std::string temp_db(const std::string& name) {
  std::string p = "/tmp/paralab_crash_" + std::to_string(::getpid()) + "_" + name + ".db";
  std::filesystem::remove(p);
  std::filesystem::remove(p + "-journal");
  return p;
}

// Starts `paralab simulate ... --db db` with stderr on a pipe; returns the pid.
pid_t start_writer(const std::string& db, int pause_ms, int* stderr_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    close(fds[0]);
    if (pause_ms > 0) setenv("PARALAB_TEST_STORE_PAUSE_MS", std::to_string(pause_ms).c_str(), 1);
    std::string graph = std::string(PARALAB_TEST_DATA) + "/sim/ring8.json";
    execl(PARALAB_BINARY, PARALAB_BINARY, "simulate", "--cluster", "dgx-a100-80gb", "--graph", graph.c_str(), "--db",
          db.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  *stderr_fd = fds[0];
  return pid;
}

// Reads the child's stderr until the store announces its pause (true) or the
// pipe closes (false).
bool wait_for_pause(int fd) {
  std::string seen;
  char buf[256];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    seen.append(buf, size_t(n));
    if (seen.find("test pause inside a results transaction") != std::string::npos) return true;
  }
  return false;
}

struct DbCheck {
  std::string integrity;
  int runs = 0;
  int broken_runs = 0;   // a run without all its device rows or without memory rows
  int orphan_rows = 0;   // device or memory rows of no run
};

DbCheck check_db(const std::string& path) {
  DbCheck c;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK) << path;
  auto one = [&](const char* sql) {
    sqlite3_stmt* s = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(s, 0);
      out = t ? reinterpret_cast<const char*>(t) : "";
    } else {
      out = std::string("error: ") + sqlite3_errmsg(db);
    }
    sqlite3_finalize(s);
    return out;
  };
  c.integrity = one("PRAGMA integrity_check");
  // A database killed before its schema was committed has no tables yet.
  if (one("SELECT count(*) FROM sqlite_master WHERE name = 'runs'") == "1") {
    c.runs = std::atoi(one("SELECT count(*) FROM runs").c_str());
    c.broken_runs = std::atoi(
        one("SELECT count(*) FROM runs r WHERE (SELECT count(*) FROM run_devices d WHERE d.run_id = r.id) != 8 "
            "OR NOT EXISTS (SELECT 1 FROM run_memory m WHERE m.run_id = r.id)")
            .c_str());
    c.orphan_rows = std::atoi(one("SELECT (SELECT count(*) FROM run_devices WHERE run_id NOT IN (SELECT id FROM runs)) "
                                  "+ (SELECT count(*) FROM run_memory WHERE run_id NOT IN (SELECT id FROM runs))")
                                  .c_str());
  }
  sqlite3_close(db);
  return c;
}

TEST(CrashSafety, SigkillWhileRecordingLeavesOnlyWholeRuns) {
  static_assert(kDevicesPerRun == 8, "check_db's query counts 8 device rows");
  const std::string db = temp_db("kill");
  // How long one uninterrupted write takes, to spread the random kills over it.
  auto t0 = std::chrono::steady_clock::now();
  auto first = run_paralab("simulate --cluster dgx-a100-80gb --graph " PARALAB_TEST_DATA "/sim/ring8.json --db " + db);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const double whole_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  std::mt19937 rng(18);  // fixed seed: the same kill moments on every run
  std::uniform_real_distribution<double> when(0.0, 1.2 * whole_ms);
  int killed_in_transaction = 0, killed_at_random = 0, finished = 0;
  const int kCycles = 50;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    const bool in_transaction = cycle % 2 == 0;
    int fd = -1;
    pid_t pid = start_writer(db, in_transaction ? 10000 : 0, &fd);
    ASSERT_GT(pid, 0);
    if (in_transaction) {
      ASSERT_TRUE(wait_for_pause(fd)) << "cycle " << cycle << ": the writer never reached its transaction";
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(int64_t(when(rng) * 1000)));
    }
    kill(pid, SIGKILL);
    close(fd);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
      (in_transaction ? killed_in_transaction : killed_at_random) += 1;
    } else {
      ++finished;  // the kill came after the process had ended
    }
    DbCheck c = check_db(db);
    ASSERT_EQ(c.integrity, "ok") << "cycle " << cycle;
    ASSERT_EQ(c.broken_runs, 0) << "cycle " << cycle;
    ASSERT_EQ(c.orphan_rows, 0) << "cycle " << cycle;
  }
  EXPECT_EQ(killed_in_transaction, kCycles / 2);
  EXPECT_GE(killed_at_random, 1);
  // Every run killed inside its transaction is absent: the runs present are the
  // first one plus at most those that finished or were killed at random.
  DbCheck c = check_db(db);
  EXPECT_GE(c.runs, 1);
  EXPECT_LE(c.runs, 1 + finished + killed_at_random);
  // And the program itself still reads it.
  auto list = run_paralab("results list --json --db " + db);
  EXPECT_EQ(list.exit_code, 0) << list.err;
  std::filesystem::remove(db);
}

TEST(CrashSafety, TwoWritersAndAReaderAtOnceLoseNothing) {
  const std::string db = temp_db("concurrent");
  // Each writer holds the write lock 30 ms per run, so the two contend on
  // every run; the reader lists the runs meanwhile.
  const int kRunsEach = 8;
  std::string sim = std::string(PARALAB_BINARY) + " simulate --cluster dgx-a100-80gb --graph " PARALAB_TEST_DATA
                    "/sim/ring8.json --db " + db + " >/dev/null";
  std::string writer = "for i in $(seq " + std::to_string(kRunsEach) + "); do PARALAB_TEST_STORE_PAUSE_MS=30 " + sim +
                       " 2>/dev/null || exit 1; done";
  std::string reader = "for i in $(seq 10); do " + std::string(PARALAB_BINARY) + " results list --db " + db +
                       " >/dev/null || exit 1; done";
  // Create the database first so the three start on an existing file... and
  // then again from nothing, where they also race to create the schema.
  for (bool fresh : {true, false}) {
    if (fresh) std::filesystem::remove(db);
    std::string cmd = "(" + writer + ") & a=$!; (" + writer + ") & b=$!; (" + reader +
                      ") & c=$!; wait $a || exit 11; wait $b || exit 12; wait $c || exit 13";
    int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << (fresh ? "fresh database" : "existing database");
  }
  DbCheck c = check_db(db);
  EXPECT_EQ(c.integrity, "ok");
  EXPECT_EQ(c.runs, 2 * 2 * kRunsEach);
  EXPECT_EQ(c.broken_runs, 0);
  std::filesystem::remove(db);
}

// Builds a database at schema version `version` by the first `version`
// migration steps, with one run written the way that version wrote it.
void make_old_database(const std::string& path, int version) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto steps = ResultsStore::migration_sql();
  for (int i = 0; i < version; ++i) ASSERT_EQ(sqlite3_exec(db, steps[i].c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  std::string sql =
      "INSERT INTO runs (created_at, git_rev, host, backend, config_json, status, step_seconds) VALUES "
      "('2026-01-01T00:00:00Z', 'abc', 'h', 'sim', '{}', 'ok', 1.5);"
      "INSERT INTO run_devices VALUES (1, 0, 0.25);"
      "INSERT INTO run_memory VALUES (1, 'device0', 'device', 1024);"
      "PRAGMA user_version = " + std::to_string(version) + ";";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

int user_version(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr);
  sqlite3_step(s);
  int v = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return v;
}

TEST(SchemaVersion, OlderDatabaseIsUpgradedInPlaceKeepingItsRuns) {
  ASSERT_GE(ResultsStore::schema_version(), 2) << "the test needs a version older than the current one";
  const std::string path = temp_db("old");
  make_old_database(path, 1);
  {
    ResultsStore store(path);
    auto runs = store.list();
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].record.step_seconds, 1.5);
    ASSERT_EQ(runs[0].record.device_utilization.size(), 1u);
    EXPECT_EQ(runs[0].record.device_utilization[0], 0.25);
    ASSERT_EQ(runs[0].record.peak_memory.size(), 1u);
    EXPECT_EQ(runs[0].record.peak_memory[0].peak_bytes, 1024);
  }
  EXPECT_EQ(user_version(path), ResultsStore::schema_version());
  std::filesystem::remove(path);
}

TEST(SchemaVersion, NewerDatabaseIsRefusedUntouched) {
  const std::string path = temp_db("newer");
  make_old_database(path, 1);
  const int newer = ResultsStore::schema_version() + 1;
  {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, ("PRAGMA user_version = " + std::to_string(newer)).c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  std::string before = paralab::testing::slurp(path);
  auto r = run_paralab("results list --db " + path);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("paralab: error: " + path), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("schema version " + std::to_string(newer) + " is newer than this program's " +
                       std::to_string(ResultsStore::schema_version())),
            std::string::npos)
      << r.err;
  EXPECT_EQ(paralab::testing::slurp(path), before);  // not a byte changed
  EXPECT_EQ(user_version(path), newer);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace paralab
