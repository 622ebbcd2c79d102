// The results database (SQLite): every command records a run (command, full configuration as
// JSON, seed, version, start, end, status) and every number it measures (model, dataset,
// condition, metric, value, sample count), in transactions, as it goes. The report and
// `robustlab results` only read from here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3;

namespace robustlab {

enum class RunStatus { kRunning, kCompleted, kFailed };
std::string to_string(RunStatus status);

struct RunRecord {
  int64_t id = 0;
  std::string command;
  nlohmann::json config;
  uint64_t seed = 0;
  std::string version;
  std::string started_at;  ///< ISO 8601, UTC
  std::string ended_at;    ///< empty while running
  RunStatus status = RunStatus::kRunning;
  std::string message;  ///< the error of a failed run
  nlohmann::json environment;  ///< what it ran on (core/environment.h); {} for runs of old databases
};

/// One measured number. `condition` is a JSON object of what varied (corruption, severity,
/// adaptation, norm, epsilon, ...; null counts as empty); NaN values are stored as NULL and read
/// back as NaN.
struct ResultRow {
  std::string model;
  std::string dataset;
  nlohmann::json condition = nlohmann::json::object();
  std::string metric;
  double value = 0.0;
  int64_t count = 0;  ///< number of samples behind the value
};

struct StoredResult {
  int64_t id = 0;
  int64_t run_id = 0;
  ResultRow row;
};

struct ResultQuery {
  std::optional<int64_t> run_id;
  std::optional<std::string> metric;
  std::optional<std::string> model;
  std::optional<std::string> command;
};

/// A participant of a web experiment (psychophysics): a slot in its counterbalancing and the hash of
/// the secret token it is known by (the token itself is never stored).
struct ParticipantRecord {
  int64_t id = 0;
  int64_t run_id = 0;  ///< the experiment's run
  std::string token_hash;
  int64_t slot = 0;
  std::string created_at;
  int64_t answered = 0;  ///< responses stored
};

/// One stored answer of a participant to trial `trial` of their session.
struct ResponseRecord {
  int64_t participant_id = 0;
  int64_t trial = 0;
  nlohmann::json data;
  std::string received_at;
};

class Store {
 public:
  /// Opens (and creates, with its schema) the database at `path`. Throws IoError when it cannot
  /// be opened and FormatError when the file is not a robustlab database.
  explicit Store(const std::filesystem::path& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// Records a new run with status running; returns its id. The run's environment names the
  /// process that runs it (host, pid and start time), for mark_stale_runs, unless `persistent`: a
  /// run that outlives processes (a web experiment, which many server sessions collect) is never
  /// stale.
  int64_t begin_run(const std::string& command, const nlohmann::json& config, uint64_t seed, bool persistent = false);
  /// Marks failed ("stale: …") every run still running whose process, on this host, has ended (a
  /// SIGKILL, a power cut, an out-of-memory kill): its pid is gone or now belongs to a process
  /// started at another time. Runs of other hosts are left alone. Returns the runs marked.
  int mark_stale_runs();
  /// Adds results to a running run, all or none (one transaction).
  void add_results(int64_t run_id, const std::vector<ResultRow>& rows);
  /// Ends a run with `status`; `message` explains a failure.
  void finish_run(int64_t run_id, RunStatus status, const std::string& message = "");

  std::vector<RunRecord> runs() const;
  std::optional<RunRecord> run(int64_t id) const;
  std::vector<StoredResult> results(const ResultQuery& query = {}) const;

  /// Adds a participant to the experiment run `run_id`; returns its id.
  int64_t add_participant(int64_t run_id, const std::string& token_hash, int64_t slot);
  std::vector<ParticipantRecord> participants(int64_t run_id) const;
  std::optional<ParticipantRecord> participant(int64_t run_id, const std::string& token_hash) const;
  /// Stores an answer, once: false (nothing stored) when the participant answered `trial` already.
  bool add_response(int64_t participant_id, int64_t trial, const nlohmann::json& data);
  /// Every answer of the run's participants, by participant and trial.
  std::vector<ResponseRecord> responses(int64_t run_id) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  void exec(const std::string& sql) const;
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

/// A CSV table (RFC 4180 quoting of fields with commas, quotes or line breaks).
std::string csv_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

/// Results as CSV: run_id, model, dataset, one column per condition key (the union over all rows,
/// sorted), metric, value, count.
std::string results_to_csv(const std::vector<StoredResult>& results);
/// Results as a JSON array of objects with the same fields (condition kept as an object).
nlohmann::json results_to_json(const std::vector<StoredResult>& results);
nlohmann::json run_to_json(const RunRecord& run);

/// The default database path: ./robustlab.db.
std::filesystem::path default_db_path();

}  // namespace robustlab
