#include "results/store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "core/error.h"

namespace paralab {

namespace {

// A failed SQLite call: paralab itself failed (DESIGN.md exit code 3), or,
// when `busy`, another process held the database longer than the busy
// timeout (insert() retries those).
class SqlError : public SystemError {
 public:
  SqlError(const std::string& m, int rc)
      : SystemError(m),
        busy((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED),
        constraint((rc & 0xff) == SQLITE_CONSTRAINT) {}
  bool busy;
  bool constraint;  // the record broke the schema's rules: bad input
};

// Each SQLite call is checked here: file:line, the call, SQLite's own message.
#define SQL_CHECK(db, call, what)                                                               \
  do {                                                                                          \
    int rc_ = (call);                                                                           \
    if (rc_ != SQLITE_OK && rc_ != SQLITE_DONE && rc_ != SQLITE_ROW)                            \
      throw SqlError(std::string(what) + ": " + sqlite3_errmsg(db) + " (" __FILE__ ":" +        \
                     std::to_string(__LINE__) + ")", rc_);                                      \
  } while (0)

// How long one SQLite call waits for another process's lock, and how often
// insert() starts its transaction again after such a wait ran out.
constexpr int kBusyTimeoutMs = 10000;
constexpr int kInsertAttempts = 5;

// The schema's history: migration i moves PRAGMA user_version from i to i+1,
// in one transaction. Append a step to change the schema (never edit one that
// has shipped: databases written by it exist); a database at version v gets
// steps v.. in order when it is opened.
struct Migration {
  const char* what;
  const char* sql;
};
const Migration kMigrations[] = {
    {"runs, run_devices, run_memory", R"sql(
    CREATE TABLE runs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      created_at TEXT NOT NULL,
      git_rev TEXT NOT NULL,
      host TEXT NOT NULL,
      backend TEXT NOT NULL CHECK (backend IN ('sim', 'real-host', 'real-cuda')),
      experiment TEXT NOT NULL DEFAULT '',
      model TEXT NOT NULL DEFAULT '',
      cluster TEXT NOT NULL DEFAULT '',
      strategy TEXT NOT NULL DEFAULT '',
      config_json TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('ok', 'oom', 'infeasible', 'timeout', 'invalid', 'error')),
      message TEXT NOT NULL DEFAULT '',
      step_seconds REAL NOT NULL DEFAULT 0,
      throughput REAL NOT NULL DEFAULT 0,
      throughput_unit TEXT NOT NULL DEFAULT '',
      metrics_json TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE run_devices (
      run_id INTEGER NOT NULL REFERENCES runs(id),
      device INTEGER NOT NULL,
      utilization REAL NOT NULL,
      PRIMARY KEY (run_id, device)
    );
    CREATE TABLE run_memory (
      run_id INTEGER NOT NULL REFERENCES runs(id),
      scope TEXT NOT NULL,
      tier TEXT NOT NULL,
      peak_bytes REAL NOT NULL
    );
    CREATE INDEX runs_by_experiment ON runs(experiment, id);
    )sql"},
    // Reading a run looked its memory rows up by a scan of every run's rows.
    {"index run_memory by run", R"sql(
    CREATE INDEX run_memory_by_run ON run_memory(run_id);
    )sql"},
    // Sweeps and what-if runs: the effective cluster's content hash, the
    // overrides applied to its file (a JSON array of strings), and the
    // configuration hash a resumed sweep skips by.
    {"cluster hash, overrides and configuration hash", R"sql(
    ALTER TABLE runs ADD COLUMN cluster_hash TEXT NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN cluster_overrides TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE runs ADD COLUMN config_hash TEXT NOT NULL DEFAULT '';
    CREATE INDEX runs_by_config_hash ON runs(config_hash);
    )sql"},
};

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    SQL_CHECK(db, sqlite3_prepare_v2(db, sql, -1, &s_, nullptr), "prepare");
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt& text(int i, const std::string& v) {
    SQL_CHECK(db_, sqlite3_bind_text(s_, i, v.c_str(), -1, SQLITE_TRANSIENT), "bind");
    return *this;
  }
  Stmt& real(int i, double v) {
    SQL_CHECK(db_, sqlite3_bind_double(s_, i, v), "bind");
    return *this;
  }
  Stmt& integer(int i, int64_t v) {
    SQL_CHECK(db_, sqlite3_bind_int64(s_, i, v), "bind");
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(s_);
    SQL_CHECK(db_, rc, "step");
    return rc == SQLITE_ROW;
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string col_text(int i) const {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  double col_real(int i) const { return sqlite3_column_double(s_, i); }
  int64_t col_int(int i) const { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

std::string now_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string git_revision() {
  std::string cmd = std::string("git -C '") + PARALAB_SOURCE_DIR + "' rev-parse --short=12 HEAD 2>/dev/null";
  std::array<char, 64> buf{};
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    while (fgets(buf.data(), buf.size(), p)) out += buf.data();
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out.empty() ? "unknown" : out;
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

int ResultsStore::schema_version() { return static_cast<int>(std::size(kMigrations)); }

std::vector<std::string> ResultsStore::migration_sql() {
  std::vector<std::string> out;
  for (const auto& m : kMigrations) out.push_back(m.sql);
  return out;
}

std::string ResultsStore::default_path() {
  if (const char* env = std::getenv("PARALAB_DB")) return env;
  return std::string(PARALAB_SOURCE_DIR) + "/results/paralab.db";
}

ResultsStore::ResultsStore(const std::string& path) : path_(path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
    throw InputError(path + ": cannot open results database: folder " + parent.string() + " does not exist");
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(path + ": cannot open results database: " + msg);
  }
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  try {
    exec("PRAGMA foreign_keys = ON");
    migrate();
    if (sqlite3_db_readonly(db_, "main") == 1) throw InputError("cannot write (read-only file or folder)");
  } catch (const std::exception& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(path + ": cannot use results database: " + e.what());
  }
  if (const char* pause = std::getenv("PARALAB_TEST_STORE_PAUSE_MS")) test_pause_ms_ = std::atoi(pause);
}

ResultsStore::~ResultsStore() { sqlite3_close(db_); }

void ResultsStore::exec(const char* sql) const {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqlError(msg, rc);
  }
}

void ResultsStore::rollback() const noexcept {
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

namespace {
int user_version(sqlite3* db) {
  Stmt v(db, "PRAGMA user_version");
  v.step();
  return static_cast<int>(v.col_int(0));
}
}  // namespace

void ResultsStore::migrate() {
  // Reading the version needs no write lock, so a newer database is refused
  // without being touched.
  auto refuse_newer = [&](int version) {
    if (version > schema_version())
      throw InputError("database schema version " + std::to_string(version) + " is newer than this program's " +
                       std::to_string(schema_version()) + "; use a newer paralab (the database was not changed)");
  };
  refuse_newer(user_version(db_));
  if (user_version(db_) == schema_version()) return;
  // Another process may be upgrading the same file: the version that counts
  // is the one read under the write lock.
  exec("BEGIN IMMEDIATE");
  try {
    int version = user_version(db_);
    refuse_newer(version);
    for (int i = version; i < schema_version(); ++i) {
      try {
        exec(kMigrations[i].sql);
      } catch (const std::exception& e) {
        throw SystemError("schema migration " + std::to_string(i + 1) + " (" + kMigrations[i].what +
                          ") failed: " + e.what());
      }
    }
    exec(("PRAGMA user_version = " + std::to_string(schema_version())).c_str());
    exec("COMMIT");
  } catch (...) {
    rollback();
    throw;
  }
}

int64_t ResultsStore::insert(const RunRecord& r) {
  bool known = false;
  for (const auto& s : RunRecord::statuses()) known |= s == r.status;
  if (!known) throw InputError("run status '" + r.status + "' is not one of " + join_names(RunRecord::statuses()));
  for (int attempt = 1;; ++attempt) {
    try {
      return insert_once(r);
    } catch (const SqlError& e) {
      if (e.constraint) throw InputError(path_ + ": run rejected: " + e.what());
      if (!e.busy || attempt == kInsertAttempts) throw SystemError(path_ + ": cannot record the run: " + e.what());
      // Another writer held the lock for the whole busy timeout: start over.
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
    }
  }
}

int64_t ResultsStore::insert_once(const RunRecord& r) {
  exec("BEGIN IMMEDIATE");
  try {
    Stmt s(db_,
           "INSERT INTO runs (created_at, git_rev, host, backend, experiment, model, cluster, strategy, "
           "config_json, status, message, step_seconds, throughput, throughput_unit, metrics_json, "
           "cluster_hash, cluster_overrides, config_hash) "
           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    s.text(1, now_utc()).text(2, git_revision()).text(3, host_name()).text(4, r.backend).text(5, r.experiment);
    s.text(6, r.model).text(7, r.cluster).text(8, r.strategy).text(9, r.config.dump()).text(10, r.status);
    s.text(11, r.message).real(12, r.step_seconds).real(13, r.throughput).text(14, r.throughput_unit);
    s.text(15, r.metrics.dump());
    s.text(16, r.cluster_hash).text(17, Json(r.cluster_overrides).dump()).text(18, r.config_hash);
    s.step();
    int64_t id = sqlite3_last_insert_rowid(db_);
    Stmt d(db_, "INSERT INTO run_devices (run_id, device, utilization) VALUES (?,?,?)");
    for (size_t i = 0; i < r.device_utilization.size(); ++i) {
      d.integer(1, id).integer(2, static_cast<int64_t>(i)).real(3, r.device_utilization[i]);
      d.step();
      d.reset();
    }
    Stmt m(db_, "INSERT INTO run_memory (run_id, scope, tier, peak_bytes) VALUES (?,?,?,?)");
    for (const auto& p : r.peak_memory) {
      m.integer(1, id).text(2, p.scope).text(3, p.tier).real(4, p.peak_bytes);
      m.step();
      m.reset();
      if (test_pause_ms_ > 0 && &p == &r.peak_memory.front()) {
        // Tests kill the process here, inside the transaction
        // (tests/results/crash_safety_test.cpp).
        std::fputs("paralab: test pause inside a results transaction\n", stderr);
        std::fflush(stderr);
        std::this_thread::sleep_for(std::chrono::milliseconds(test_pause_ms_));
      }
    }
    exec("COMMIT");
    return id;
  } catch (...) {
    rollback();
    throw;
  }
}

namespace {
const char* kSelect =
    "SELECT id, created_at, git_rev, host, backend, experiment, model, cluster, strategy, config_json, "
    "status, message, step_seconds, throughput, throughput_unit, metrics_json, cluster_hash, cluster_overrides, "
    "config_hash FROM runs ";

StoredRun read_row(sqlite3* db, Stmt& s, const std::string& path) {
  StoredRun out;
  out.id = s.col_int(0);
  out.created_at = s.col_text(1);
  out.git_rev = s.col_text(2);
  out.host = s.col_text(3);
  RunRecord& r = out.record;
  r.backend = s.col_text(4);
  r.experiment = s.col_text(5);
  r.model = s.col_text(6);
  r.cluster = s.col_text(7);
  r.strategy = s.col_text(8);
  r.config = parse_json_text(s.col_text(9), path + ": run " + std::to_string(out.id) + " config_json");
  r.status = s.col_text(10);
  r.message = s.col_text(11);
  r.step_seconds = s.col_real(12);
  r.throughput = s.col_real(13);
  r.throughput_unit = s.col_text(14);
  r.metrics = parse_json_text(s.col_text(15), path + ": run " + std::to_string(out.id) + " metrics_json");
  r.cluster_hash = s.col_text(16);
  Json ov = parse_json_text(s.col_text(17), path + ": run " + std::to_string(out.id) + " cluster_overrides");
  for (const auto& o : ov)
    if (o.is_string()) r.cluster_overrides.push_back(o.get<std::string>());
  r.config_hash = s.col_text(18);
  Stmt d(db, "SELECT device, utilization FROM run_devices WHERE run_id = ? ORDER BY device");
  d.integer(1, out.id);
  while (d.step()) r.device_utilization.push_back(d.col_real(1));
  Stmt m(db, "SELECT scope, tier, peak_bytes FROM run_memory WHERE run_id = ? ORDER BY rowid");
  m.integer(1, out.id);
  while (m.step()) r.peak_memory.push_back({m.col_text(0), m.col_text(1), m.col_real(2)});
  return out;
}
}  // namespace

std::vector<StoredRun> ResultsStore::list(const RunFilter& f) const {
  std::string sql = std::string(kSelect) +
                    "WHERE (?1 = '' OR experiment = ?1) AND (?2 = '' OR backend = ?2) AND (?3 = '' OR status = ?3) "
                    "ORDER BY id DESC";
  if (f.limit > 0) sql += " LIMIT " + std::to_string(f.limit);
  Stmt s(db_, sql.c_str());
  s.text(1, f.experiment).text(2, f.backend).text(3, f.status);
  std::vector<StoredRun> out;
  while (s.step()) out.push_back(read_row(db_, s, path_));
  return out;
}

std::set<std::string> ResultsStore::config_hashes(const std::string& experiment) const {
  Stmt s(db_, "SELECT DISTINCT config_hash FROM runs WHERE experiment = ? AND config_hash != ''");
  s.text(1, experiment);
  std::set<std::string> out;
  while (s.step()) out.insert(s.col_text(0));
  return out;
}

StoredRun ResultsStore::get(int64_t id) const {
  Stmt s(db_, (std::string(kSelect) + "WHERE id = ?").c_str());
  s.integer(1, id);
  if (!s.step()) throw InputError("no run with id " + std::to_string(id) + " in " + path_);
  return read_row(db_, s, path_);
}

}  // namespace paralab
