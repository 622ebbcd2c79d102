// SQLite results database. WAL journaling lets a report read while a benchmark writes; every
// write is one transaction, so a crash never leaves half of a result set behind.
#include "robustlab/store/store.h"

#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "robustlab/core/error.h"
#include "robustlab/core/environment.h"

namespace fs = std::filesystem;

namespace robustlab {
namespace {

// Version 2 added runs.environment (what the run ran on: LibTorch, BLAS, threads); a version-1
// database is upgraded in place, its old runs getting an empty environment.
constexpr int kSchemaVersion = 2;

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  command TEXT NOT NULL,
  config TEXT NOT NULL,
  seed INTEGER NOT NULL,
  version TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  message TEXT NOT NULL DEFAULT '',
  environment TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS results (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  model TEXT NOT NULL,
  dataset TEXT NOT NULL,
  condition TEXT NOT NULL DEFAULT '{}',
  metric TEXT NOT NULL,
  value REAL,
  count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS results_run ON results(run_id);
CREATE INDEX IF NOT EXISTS results_metric ON results(metric);
CREATE TABLE IF NOT EXISTS participants (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  token_hash TEXT NOT NULL UNIQUE,
  slot INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS responses (
  participant_id INTEGER NOT NULL REFERENCES participants(id),
  trial INTEGER NOT NULL,
  data TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (participant_id, trial)
);
)sql";

std::string now_utc() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

RunStatus parse_status(const std::string& s) {
  if (s == "completed") return RunStatus::kCompleted;
  if (s == "failed") return RunStatus::kFailed;
  return RunStatus::kRunning;
}

/// When process `pid` started (field 22 of /proc/<pid>/stat, in clock ticks since boot), or -1
/// when there is no such process: with the pid, it names one process even after pids are reused.
int64_t start_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return -1;
  const size_t close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 3 && (field == "Z" || field == "X")) return -1;  // ended, not yet reaped
    if (i == 22) return std::stoll(field);
  }
  return -1;
}

/// A prepared statement that finalises itself.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      throw IoError(std::string("store: cannot prepare query: ") + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int i, const std::string& v) { sqlite3_bind_text(stmt_, i, v.c_str(), -1, SQLITE_TRANSIENT); }
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, double v) {
    if (std::isnan(v)) {
      sqlite3_bind_null(stmt_, i);
    } else {
      sqlite3_bind_double(stmt_, i, v);
    }
  }
  /// Steps once; true while there is a row.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw IoError(std::string("store: query failed: ") + sqlite3_errmsg(db_));
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  /// Steps a write; false (and nothing written) when it would break a UNIQUE or PRIMARY KEY
  /// constraint.
  bool step_unique() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_DONE) return true;
    if (rc == SQLITE_CONSTRAINT) return false;
    throw IoError(std::string("store: write failed: ") + sqlite3_errmsg(db_));
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL ? std::numeric_limits<double>::quiet_NaN()
                                                          : sqlite3_column_double(stmt_, col);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

RunRecord read_run(const Statement& s) {
  RunRecord r;
  r.id = s.integer(0);
  r.command = s.text(1);
  r.config = nlohmann::json::parse(s.text(2), nullptr, false);
  r.seed = static_cast<uint64_t>(s.integer(3));
  r.version = s.text(4);
  r.started_at = s.text(5);
  r.ended_at = s.text(6);
  r.status = parse_status(s.text(7));
  r.message = s.text(8);
  r.environment = nlohmann::json::parse(s.text(9), nullptr, false);
  return r;
}

const char* kRunColumns = "SELECT id, command, config, seed, version, started_at, ended_at, status, message, environment FROM runs";

}  // namespace

std::string to_string(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning: return "running";
    case RunStatus::kCompleted: return "completed";
    default: return "failed";
  }
}

fs::path default_db_path() { return "robustlab.db"; }

Store::Store(const fs::path& path) : path_(path) {
  if (path.has_parent_path() && !fs::is_directory(path.parent_path())) {
    throw IoError("store: directory of database '" + path.string() + "' does not exist");
  }
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw IoError("store: cannot open database '" + path.string() + "': " + msg);
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    // Switching a new database to WAL needs an exclusive lock, and SQLite does not wait for it
    // through the busy handler: when several processes create the database at once, retry.
    for (int attempt = 0;; ++attempt) {
      try {
        exec("PRAGMA journal_mode=WAL;");
        break;
      } catch (const IoError&) {
        const int code = sqlite3_errcode(db_);
        if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) || attempt >= 200) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    exec("PRAGMA foreign_keys=ON;");
    exec(kSchema);
    Statement version(db_, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (version.step()) {
      if (version.text(0) == "1") {
        exec("BEGIN IMMEDIATE; ALTER TABLE runs ADD COLUMN environment TEXT NOT NULL DEFAULT '{}'; "
             "UPDATE meta SET value = '" + std::to_string(kSchemaVersion) + "' WHERE key = 'schema_version'; COMMIT;");
      } else if (version.text(0) != std::to_string(kSchemaVersion)) {
        throw FormatError("store: database '" + path.string() + "' has schema version " + version.text(0) +
                          ", this robustlab reads version " + std::to_string(kSchemaVersion));
      }
    } else {
      // OR IGNORE: another process creating the same new database may have inserted it first.
      exec("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '" + std::to_string(kSchemaVersion) + "');");
    }
  } catch (const IoError& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw FormatError("store: '" + path.string() + "' is not a robustlab database (" + e.what() + ")");
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

Store::~Store() { sqlite3_close(db_); }

void Store::exec(const std::string& sql) const {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string msg = error ? error : "unknown error";
    sqlite3_free(error);
    throw IoError("store: " + msg);
  }
}

int Store::mark_stale_runs() {
  std::vector<std::pair<int64_t, std::string>> stale;
  {
    Statement s(db_, "SELECT id, environment FROM runs WHERE status = 'running'");
    const std::string here = host_name();
    while (s.step()) {
      const nlohmann::json env = nlohmann::json::parse(s.text(1), nullptr, false);
      if (!env.is_object() || !env.contains("process") || !env["process"].is_object()) continue;
      const nlohmann::json& p = env["process"];
      if (p.value("host", "") != here || !p.contains("pid") || !p["pid"].is_number_integer()) continue;
      const auto pid = static_cast<pid_t>(p["pid"].get<int64_t>());
      const int64_t started = p.value("start", int64_t{-1});
      if (start_ticks(pid) == started && started >= 0) continue;  // still running
      stale.emplace_back(s.integer(0), "stale: its process (pid " + std::to_string(pid) + " on " + here +
                                           ") ended without finishing the run");
    }
  }
  for (const auto& [id, message] : stale) finish_run(id, RunStatus::kFailed, message);
  return static_cast<int>(stale.size());
}

int64_t Store::begin_run(const std::string& command, const nlohmann::json& config, uint64_t seed, bool persistent) {
  Statement s(db_,
              "INSERT INTO runs(command, config, seed, version, started_at, status, environment) "
              "VALUES (?, ?, ?, ?, ?, 'running', ?)");
  const Environment env = environment();
  nlohmann::json described = to_json(env);
  if (!persistent)
    described["process"] = {{"host", host_name()}, {"pid", static_cast<int64_t>(getpid())}, {"start", start_ticks(getpid())}};
  s.bind(1, command);
  s.bind(2, config.dump());
  s.bind(3, static_cast<int64_t>(seed));
  s.bind(4, env.robustlab_version);
  s.bind(5, now_utc());
  s.bind(6, described.dump());
  s.step();
  return sqlite3_last_insert_rowid(db_);
}

void Store::add_results(int64_t run_id, const std::vector<ResultRow>& rows) {
  const auto record = run(run_id);
  if (!record) throw InvalidArgument("store: run " + std::to_string(run_id) + " does not exist");
  if (record->status != RunStatus::kRunning) {
    throw InvalidArgument("store: run " + std::to_string(run_id) + " has ended (" + to_string(record->status) + ")");
  }
  exec("BEGIN IMMEDIATE;");
  try {
    Statement s(db_, "INSERT INTO results(run_id, model, dataset, condition, metric, value, count) VALUES (?, ?, ?, ?, ?, ?, ?)");
    for (const auto& r : rows) {
      if (!r.condition.is_object() && !r.condition.is_null()) {
        throw InvalidArgument("store: a result's condition must be a JSON object, got " + r.condition.dump());
      }
      s.bind(1, run_id);
      s.bind(2, r.model);
      s.bind(3, r.dataset);
      s.bind(4, r.condition.is_null() ? std::string("{}") : r.condition.dump());
      s.bind(5, r.metric);
      s.bind(6, r.value);
      s.bind(7, r.count);
      s.step();
      s.reset();
    }
    exec("COMMIT;");
  } catch (...) {
    // SQLite may have rolled back already (a full disk does that): then there is nothing to undo,
    // and the original error is the one to report.
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK;", nullptr, nullptr, nullptr);
    throw;
  }
}

void Store::finish_run(int64_t run_id, RunStatus status, const std::string& message) {
  Statement s(db_, "UPDATE runs SET status = ?, ended_at = ?, message = ? WHERE id = ?");
  s.bind(1, to_string(status));
  s.bind(2, now_utc());
  s.bind(3, message);
  s.bind(4, run_id);
  s.step();
  if (sqlite3_changes(db_) != 1) throw InvalidArgument("store: run " + std::to_string(run_id) + " does not exist");
}

std::vector<RunRecord> Store::runs() const {
  Statement s(db_, std::string(kRunColumns) + " ORDER BY id");
  std::vector<RunRecord> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

std::optional<RunRecord> Store::run(int64_t id) const {
  Statement s(db_, std::string(kRunColumns) + " WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return read_run(s);
}

std::vector<StoredResult> Store::results(const ResultQuery& query) const {
  std::string sql =
      "SELECT r.id, r.run_id, r.model, r.dataset, r.condition, r.metric, r.value, r.count "
      "FROM results r JOIN runs u ON u.id = r.run_id WHERE 1";
  if (query.run_id) sql += " AND r.run_id = ?1";
  if (query.metric) sql += " AND r.metric = ?2";
  if (query.model) sql += " AND r.model = ?3";
  if (query.command) sql += " AND u.command = ?4";
  sql += " ORDER BY r.id";
  Statement s(db_, sql);
  if (query.run_id) s.bind(1, *query.run_id);
  if (query.metric) s.bind(2, *query.metric);
  if (query.model) s.bind(3, *query.model);
  if (query.command) s.bind(4, *query.command);
  std::vector<StoredResult> out;
  while (s.step()) {
    StoredResult r;
    r.id = s.integer(0);
    r.run_id = s.integer(1);
    r.row.model = s.text(2);
    r.row.dataset = s.text(3);
    r.row.condition = nlohmann::json::parse(s.text(4), nullptr, false);
    r.row.metric = s.text(5);
    r.row.value = s.real(6);
    r.row.count = s.integer(7);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace robustlab

namespace robustlab {

int64_t Store::add_participant(int64_t run_id, const std::string& token_hash, int64_t slot) {
  Statement s(db_, "INSERT INTO participants(run_id, token_hash, slot, created_at) VALUES (?, ?, ?, ?)");
  s.bind(1, run_id);
  s.bind(2, token_hash);
  s.bind(3, slot);
  s.bind(4, now_utc());
  if (!s.step_unique()) throw InvalidArgument("store: a participant with this token exists already");
  return sqlite3_last_insert_rowid(db_);
}

namespace {

// A participant with the number of answers stored; the caller adds the WHERE clause.
const char* kParticipantColumns =
    "SELECT p.id, p.run_id, p.token_hash, p.slot, p.created_at, "
    "(SELECT COUNT(*) FROM responses r WHERE r.participant_id = p.id) FROM participants p ";

ParticipantRecord read_participant(const Statement& s) {
  return {s.integer(0), s.integer(1), s.text(2), s.integer(3), s.text(4), s.integer(5)};
}

}  // namespace

std::vector<ParticipantRecord> Store::participants(int64_t run_id) const {
  Statement s(db_, std::string(kParticipantColumns) + "WHERE p.run_id = ? ORDER BY p.id");
  s.bind(1, run_id);
  std::vector<ParticipantRecord> out;
  while (s.step()) out.push_back(read_participant(s));
  return out;
}

std::optional<ParticipantRecord> Store::participant(int64_t run_id, const std::string& token_hash) const {
  Statement s(db_, std::string(kParticipantColumns) + "WHERE p.run_id = ? AND p.token_hash = ?");
  s.bind(1, run_id);
  s.bind(2, token_hash);
  if (!s.step()) return std::nullopt;
  return read_participant(s);
}

bool Store::add_response(int64_t participant_id, int64_t trial, const nlohmann::json& data) {
  Statement s(db_, "INSERT INTO responses(participant_id, trial, data, received_at) VALUES (?, ?, ?, ?)");
  s.bind(1, participant_id);
  s.bind(2, trial);
  s.bind(3, data.dump());
  s.bind(4, now_utc());
  return s.step_unique();
}

std::vector<ResponseRecord> Store::responses(int64_t run_id) const {
  Statement s(db_, "SELECT r.participant_id, r.trial, r.data, r.received_at FROM responses r "
                   "JOIN participants p ON p.id = r.participant_id WHERE p.run_id = ? "
                   "ORDER BY r.participant_id, r.trial");
  s.bind(1, run_id);
  std::vector<ResponseRecord> out;
  while (s.step()) out.push_back({s.integer(0), s.integer(1), nlohmann::json::parse(s.text(2), nullptr, false), s.text(3)});
  return out;
}

}  // namespace robustlab
