#include "robustlab/store/store.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>

#include <sqlite3.h>

#include "robustlab/core/environment.h"
#include "robustlab/core/error.h"
#include "test_support.h"

namespace robustlab {
namespace {

TEST(Store, RecordsRunsAndResults) {
  testing::TempDir dir;
  Store store(dir / "r.db");
  const int64_t run = store.begin_run("eval", {{"model", "m.pt"}}, 42);
  store.add_results(run, {{"m.pt", "fashion-mnist/test", {}, "accuracy", 0.9, 10000},
                          {"m.pt", "fashion-mnist/test", {{"corruption", "fog"}, {"severity", 3}}, "error", 0.25, 500}});
  store.finish_run(run, RunStatus::kCompleted);

  const auto r = store.run(run);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->command, "eval");
  EXPECT_EQ(r->config.at("model"), "m.pt");
  EXPECT_EQ(r->seed, 42u);
  EXPECT_EQ(r->status, RunStatus::kCompleted);
  EXPECT_FALSE(r->started_at.empty());
  EXPECT_FALSE(r->ended_at.empty());
  EXPECT_FALSE(r->version.empty());

  const auto all = store.results({.run_id = run});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].row.condition.at("severity"), 3);
  EXPECT_DOUBLE_EQ(all[1].row.value, 0.25);
  EXPECT_EQ(store.results({.metric = "error"}).size(), 1u);
  EXPECT_EQ(store.results({.command = "train"}).size(), 0u);
}

// Several processes (the ranks of a launched run) open the same new database at once: each must
// find a valid schema, none may fail on the other's half-made one.
TEST(Store, ManyProcessesCreatingOneNewDatabaseAtOnce) {
  for (int round = 0; round < 10; ++round) {
    testing::TempDir dir;
    std::vector<pid_t> children;
    for (int p = 0; p < 8; ++p) {
      const pid_t pid = fork();
      if (pid == 0) {
        try {
          Store store(dir / "new.db");
          _exit(0);
        } catch (...) {
          _exit(1);
        }
      }
      children.push_back(pid);
    }
    int failures = 0;
    for (pid_t pid : children) {
      int status = 0;
      waitpid(pid, &status, 0);
      failures += WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
    }
    EXPECT_EQ(failures, 0) << "round " << round;
  }
}

TEST(Store, ARunWhoseProcessEndedIsMarkedStale) {
  testing::TempDir dir;
  { Store{dir / "r.db"}; }
  // A process begins a run and dies without finishing it (as SIGKILL leaves it).
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      Store store(dir / "r.db");
      store.begin_run("attack", {{"who", "killed"}}, 0);
    } catch (...) {
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  Store store(dir / "r.db");
  const int64_t mine = store.begin_run("eval", {{"who", "alive"}}, 0);  // this process: alive
  // A persistent run (a web experiment) outlives its processes: never stale.
  const pid_t server = fork();
  if (server == 0) {
    try {
      Store(dir / "r.db").begin_run("experiment", {{"who", "persistent"}}, 0, /*persistent=*/true);
    } catch (...) {
    }
    _exit(0);
  }
  waitpid(server, nullptr, 0);
  // A run of another machine cannot be checked from here and is left alone.
  const int64_t elsewhere = store.begin_run("eval", {{"who", "elsewhere"}}, 0);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir / "r.db").c_str(), &db), SQLITE_OK);
    const std::string sql = "UPDATE runs SET environment = json_set(environment, '$.process.host', 'other-host') WHERE id = " +
                            std::to_string(elsewhere);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_EQ(store.mark_stale_runs(), 1);
  const auto runs = store.runs();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[2].status, RunStatus::kRunning);  // the persistent one
  EXPECT_EQ(runs[0].status, RunStatus::kFailed);
  EXPECT_NE(runs[0].message.find("stale: its process (pid " + std::to_string(pid)), std::string::npos) << runs[0].message;
  EXPECT_EQ(store.run(mine)->status, RunStatus::kRunning);
  EXPECT_EQ(store.run(elsewhere)->status, RunStatus::kRunning);
  EXPECT_EQ(store.mark_stale_runs(), 0);  // once
}

TEST(Store, FailedRunKeepsItsMessageAndRefusesMoreResults) {
  testing::TempDir dir;
  Store store(dir / "r.db");
  const int64_t run = store.begin_run("train", {}, 0);
  store.finish_run(run, RunStatus::kFailed, "train: loss became nan");
  EXPECT_EQ(store.run(run)->status, RunStatus::kFailed);
  EXPECT_EQ(store.run(run)->message, "train: loss became nan");
  EXPECT_THROW(store.add_results(run, {{"m", "d", {}, "x", 1.0, 1}}), InvalidArgument);
  EXPECT_THROW(store.add_results(999, {{"m", "d", {}, "x", 1.0, 1}}), InvalidArgument);
}

TEST(Store, ABadRowRollsBackTheWholeBatch) {
  testing::TempDir dir;
  Store store(dir / "r.db");
  const int64_t run = store.begin_run("eval", {}, 0);
  EXPECT_THROW(store.add_results(run, {{"m", "d", {}, "a", 1.0, 1}, {"m", "d", nlohmann::json::array(), "b", 2.0, 1}}),
               InvalidArgument);
  EXPECT_TRUE(store.results({.run_id = run}).empty());
}

TEST(Store, NanAndInfinityRoundTrip) {
  testing::TempDir dir;
  Store store(dir / "r.db");
  const int64_t run = store.begin_run("attack", {}, 0);
  store.add_results(run, {{"m", "d", {}, "median_norm", INFINITY, 3}, {"m", "d", {}, "kappa", NAN, 3}});
  const auto rows = store.results();
  EXPECT_TRUE(std::isinf(rows[0].row.value));
  EXPECT_TRUE(std::isnan(rows[1].row.value));
}

TEST(Store, PersistsAcrossConnections) {
  testing::TempDir dir;
  {
    Store store(dir / "r.db");
    store.finish_run(store.begin_run("eval", {}, 1), RunStatus::kCompleted);
  }
  Store again(dir / "r.db");
  EXPECT_EQ(again.runs().size(), 1u);
}

TEST(Store, EveryRunRecordsWhatItRanOn) {
  testing::TempDir dir;
  Store store(dir / "r.db");
  const int64_t run = store.begin_run("eval", {}, 0);
  const nlohmann::json env = store.run(run)->environment;
  EXPECT_EQ(env.at("blas"), to_string(loaded_blas().kind));
  EXPECT_EQ(env.at("blas_library"), loaded_blas().library);
  EXPECT_FALSE(env.at("libtorch").get<std::string>().empty());
  EXPECT_GE(env.at("intra_op_threads").get<int>(), 1);
  EXPECT_EQ(run_to_json(*store.run(run)).at("environment"), env);
}

TEST(Store, UpgradesAVersionOneDatabase) {
  // The schema of robustlab 0.1 before runs recorded their environment.
  testing::TempDir dir;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "old.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                         "INSERT INTO meta VALUES ('schema_version', '1');"
                         "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL, config TEXT "
                         "NOT NULL, seed INTEGER NOT NULL, version TEXT NOT NULL, started_at TEXT NOT NULL, ended_at "
                         "TEXT, status TEXT NOT NULL, message TEXT NOT NULL DEFAULT '');"
                         "INSERT INTO runs(command, config, seed, version, started_at, status) VALUES "
                         "('eval', '{}', 3, '0.1.0', '2026-01-01T00:00:00Z', 'completed');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Store store(dir / "old.db");
  ASSERT_EQ(store.runs().size(), 1u);
  EXPECT_EQ(store.runs()[0].seed, 3u);
  EXPECT_EQ(store.runs()[0].environment, nlohmann::json::object());
  const int64_t run = store.begin_run("eval", {}, 0);
  EXPECT_FALSE(store.run(run)->environment.empty());
  Store again(dir / "old.db");  // now version 2: opens without another upgrade
  EXPECT_EQ(again.runs().size(), 2u);
}

TEST(Store, ForeignFilesAreRejected) {
  testing::TempDir dir;
  std::ofstream(dir / "not.db") << "this is a text file, not SQLite, and it is long enough to have a header";
  EXPECT_THROW(Store(dir / "not.db"), FormatError);
  EXPECT_THROW(Store(dir / "missing-dir" / "r.db"), IoError);
}

TEST(Export, CsvHasOneColumnPerConditionKey) {
  std::vector<StoredResult> rows = {
      {1, 7, {"m", "d", {{"severity", 2}, {"corruption", "fog"}}, "error", 0.5, 10}},
      {2, 7, {"m,2", "d", {{"epsilon", 0.1}}, "accuracy", 0.25, 10}},
  };
  EXPECT_EQ(results_to_csv(rows),
            "run_id,model,dataset,corruption,epsilon,severity,metric,value,count\n"
            "7,m,d,fog,,2,error,0.5,10\n"
            "7,\"m,2\",d,,0.1,,accuracy,0.25,10\n");
  const auto json = results_to_json(rows);
  EXPECT_EQ(json[0].at("condition").at("corruption"), "fog");
  EXPECT_EQ(json[1].at("model"), "m,2");
}

}  // namespace
}  // namespace robustlab
