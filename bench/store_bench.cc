// Store write throughput on a real file (run by hand, see bench/README.md):
//   (a) the raw SQLite batched-insert rate of history-shaped rows, 100 and
//       1000 rows per transaction, into a table keyed (execution_id TEXT,
//       event_id) with random 40-char ids, and into one keyed (execution_seq
//       INTEGER, event_id) as schemas/sql/sqlite/ does;
//   (b) Store::Commit of batches of 1,000 new executions x 22 events (a
//       10-Pass chain: ExecutionStarted, 10 x Entered/Exited, Succeeded), with
//       random (UUIDv4-like) and time-ordered (UUIDv7-like) execution ids;
//   (c) the memory store's Commit: the same batches, and steps of one
//       transition (2 events) each, 1,000 executions per batch.
// Both with synchronous=FULL and NORMAL (WAL). A state transition is counted
// as 2 history events (ARCHITECTURE §3). Usage: stepflow_store_bench [DIR]
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/store/memory_store.h"
#include "engine/store/sqlite_store.h"
#include "engine/store/store.h"

namespace {

using Clock = std::chrono::steady_clock;
using stepflow::store::SqliteOptions;
using stepflow::store::StepCommit;

constexpr double kSecondsPerMeasurement = 2.0;
constexpr int kExecutionsPerBatch = 1000;
constexpr int kPassStates = 10;

const std::string kDetails =
    R"({"name":"Pass3","input":"{\"order\":12345,\"items\":[1,2,3]}","inputDetails":{}})";

// UUID-shaped ids (36 chars + prefix), random like UUIDv4, or with a
// growing prefix like UUIDv7 when `sequence` >= 0.
std::string ExecutionId(std::mt19937_64& random, int64_t sequence = -1) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "ex-%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(sequence >= 0 ? sequence : random() & 0xffffffff),
                static_cast<unsigned long long>(random() & 0xffff),
                static_cast<unsigned long long>(random() & 0xffff),
                static_cast<unsigned long long>(random() & 0xffff),
                static_cast<unsigned long long>(random() & 0xffffffffffff));
  return buf;
}

void RemoveDatabase(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::error_code ignored;
    std::filesystem::remove(path + suffix, ignored);
  }
}

bool Check(sqlite3* db, int rc, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return true;
  std::fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
  return false;
}

// (a) rows/s of batched inserts with one prepared statement.
double RawInsertRate(const std::string& path, bool full, int rows_per_txn, bool integer_key) {
  RemoveDatabase(path);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return 0;
  const std::string setup =
      std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=") + (full ? "FULL" : "NORMAL") +
      "; CREATE TABLE history_events (execution_id " + (integer_key ? "INTEGER" : "TEXT") +
      " NOT NULL, "
      "event_id INTEGER NOT NULL, previous_event_id INTEGER NOT NULL, "
      "timestamp_ms INTEGER NOT NULL, type TEXT NOT NULL, "
      "state_path TEXT NOT NULL, details TEXT NOT NULL, "
      "PRIMARY KEY (execution_id, event_id)) WITHOUT ROWID;";
  if (!Check(db, sqlite3_exec(db, setup.c_str(), nullptr, nullptr, nullptr), "setup")) return 0;
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO history_events VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1,
                     &insert, nullptr);
  std::mt19937_64 random(1);
  std::string execution_id = ExecutionId(random);
  int64_t execution_seq = 1;
  int64_t event_id = 0;
  int64_t rows = 0;
  double seconds = 0;
  auto start = Clock::now();
  while (seconds < kSecondsPerMeasurement) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (int i = 0; i < rows_per_txn; ++i) {
      if (event_id == 22) {  // a new execution every 22 events, as in (b)
        execution_id = ExecutionId(random);
        ++execution_seq;
        event_id = 0;
      }
      ++event_id;
      if (integer_key) {
        sqlite3_bind_int64(insert, 1, execution_seq);
      } else {
        sqlite3_bind_text(insert, 1, execution_id.data(), execution_id.size(), SQLITE_STATIC);
      }
      sqlite3_bind_int64(insert, 2, event_id);
      sqlite3_bind_int64(insert, 3, event_id - 1);
      sqlite3_bind_int64(insert, 4, 1'700'000'000'000 + rows);
      sqlite3_bind_text(insert, 5, "PassStateEntered", -1, SQLITE_STATIC);
      sqlite3_bind_text(insert, 6, "Step3", -1, SQLITE_STATIC);
      sqlite3_bind_text(insert, 7, kDetails.data(), kDetails.size(), SQLITE_STATIC);
      if (!Check(db, sqlite3_step(insert), "insert")) return 0;
      sqlite3_reset(insert);
      ++rows;
    }
    if (!Check(db, sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), "commit")) return 0;
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
  }
  sqlite3_finalize(insert);
  sqlite3_close(db);
  RemoveDatabase(path);
  return rows / seconds;
}

// One batch of new 10-Pass-chain executions; ids are rewritten per commit.
std::vector<StepCommit> MakeBatch() {
  std::vector<StepCommit> batch(kExecutionsPerBatch);
  for (StepCommit& step : batch) {
    step.create = true;
    stepflow::store::ExecutionRecord& ex = step.execution;
    ex.machine = "bench-chain";
    ex.version = 1;
    ex.status = stepflow::store::kSucceeded;
    ex.input = R"({"order":12345,"items":[1,2,3],"customer":"c-42"})";
    ex.output = ex.input;
    ex.state = std::string(200, 's');
    ex.start_ms = 1'700'000'000'000;
    ex.stop_ms = ex.start_ms + 3;
    int64_t id = 0;
    auto add = [&](const char* type, std::string state_path) {
      stepflow::store::HistoryEvent e;
      e.id = ++id;
      e.previous_event_id = id - 1;
      e.timestamp_ms = ex.start_ms + id / 8;
      e.type = type;
      e.state_path = std::move(state_path);
      e.details = kDetails;
      step.events.push_back(std::move(e));
    };
    add("ExecutionStarted", "");
    for (int p = 0; p < kPassStates; ++p) {
      add("PassStateEntered", "Pass" + std::to_string(p));
      add("PassStateExited", "Pass" + std::to_string(p));
    }
    add("ExecutionSucceeded", "");
    ex.next_event_id = id + 1;
  }
  return batch;
}

struct CommitRate {
  double executions_per_s = 0;
  double events_per_s = 0;
  double ms_per_commit = 0;
};

// (b) Store::Commit rate; only the Commit calls are timed.
CommitRate StoreCommitRate(const std::string& path, SqliteOptions::Durability durability,
                           bool time_ordered_ids) {
  RemoveDatabase(path);
  SqliteOptions options;
  options.durability = durability;
  auto store = stepflow::store::OpenSqliteStore(path, options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return {};
  }
  // An execution is created only of a stored machine version (Store::Commit).
  if (auto v = (*store)->PutStateMachineVersion("bench-chain", "{}", "bench", 0); !v.ok()) {
    std::fprintf(stderr, "%s\n", v.status().ToString().c_str());
    return {};
  }
  std::vector<StepCommit> batch = MakeBatch();
  const size_t events_per_batch = batch.size() * batch[0].events.size();
  std::mt19937_64 random(2);
  double seconds = 0;
  int64_t commits = 0;
  int64_t sequence = 0;
  while (seconds < kSecondsPerMeasurement) {
    for (StepCommit& step : batch) {
      step.execution.id = ExecutionId(random, time_ordered_ids ? sequence++ : -1);
      step.execution.name = step.execution.id;
    }
    auto start = Clock::now();
    stepflow::Status st = (*store)->Commit(batch);
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      return {};
    }
    ++commits;
  }
  store->reset();
  RemoveDatabase(path);
  CommitRate rate;
  rate.executions_per_s = commits * batch.size() / seconds;
  rate.events_per_s = commits * events_per_batch / seconds;
  rate.ms_per_commit = seconds * 1000 / commits;
  return rate;
}

// (c) Memory store: `rounds` batches of creates (22 events a step), then
// `rounds` batches advancing every execution by one transition (2 events).
// A fixed amount of work: the memory store keeps everything.
void MemoryCommitRates(double* create_events_per_s, double* step_transitions_per_s) {
  constexpr int kRounds = 20;
  auto store = stepflow::store::NewMemoryStore();
  if (!store->PutStateMachineVersion("bench-chain", "{}", "bench", 0).ok()) return;
  std::vector<StepCommit> batch = MakeBatch();
  std::mt19937_64 random(3);
  double seconds = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (StepCommit& step : batch) {
      step.execution.id = ExecutionId(random);
      step.execution.name = step.execution.id;
      step.execution.status = stepflow::store::kRunning;
    }
    auto start = Clock::now();
    if (!store->Commit(batch).ok()) return;
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
  }
  *create_events_per_s = kRounds * batch.size() * batch[0].events.size() / seconds;
  // The last batch's executions advance one Pass state per step.
  for (StepCommit& step : batch) {
    step.create = false;
    step.events.resize(2);
    step.events[0].type = "PassStateEntered";
    step.events[1].type = "PassStateExited";
  }
  seconds = 0;
  for (int round = 0; round < 10 * kRounds; ++round) {
    for (StepCommit& step : batch) {
      const int64_t next = step.execution.next_event_id;
      step.events[0].id = next;
      step.events[1].id = next + 1;
      step.execution.next_event_id = next + 2;
    }
    auto start = Clock::now();
    if (!store->Commit(batch).ok()) return;
    seconds += std::chrono::duration<double>(Clock::now() - start).count();
  }
  *step_transitions_per_s = 10 * kRounds * batch.size() / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "/tmp";
  const std::string tag = std::to_string(getpid());
  const std::string raw_path = (dir / ("stepflow-bench-raw-" + tag + ".db")).string();
  const std::string store_path = (dir / ("stepflow-bench-store-" + tag + ".db")).string();
  std::printf("files in %s, SQLite %s, WAL, ~%.0f s per line\n", dir.c_str(), sqlite3_libversion(),
              kSecondsPerMeasurement);
  std::printf("%-8s %-44s %14s %12s %14s\n", "sync", "measurement", "rows|events/s", "exec/s",
              "transitions/s");
  for (bool full : {true, false}) {
    const char* sync = full ? "FULL" : "NORMAL";
    for (bool integer_key : {false, true}) {
      for (int rows : {100, 1000}) {
        double rate = RawInsertRate(raw_path, full, rows, integer_key);
        std::string what = std::string("raw insert, ") + (integer_key ? "int" : "text") + " key, " +
                           std::to_string(rows) + " rows/txn";
        std::printf("%-8s %-44s %14.0f\n", sync, what.c_str(), rate);
      }
    }
    for (bool time_ordered : {false, true}) {
      CommitRate c = StoreCommitRate(
          store_path, full ? SqliteOptions::Durability::kFull : SqliteOptions::Durability::kNormal,
          time_ordered);
      char what[80];
      std::snprintf(what, sizeof what, "Commit 1000x22 ev, %s ids (%.0f ms/commit)",
                    time_ordered ? "v7" : "v4", c.ms_per_commit);
      std::printf("%-8s %-44s %14.0f %12.0f %14.0f\n", sync, what, c.events_per_s,
                  c.executions_per_s, c.events_per_s / 2);
    }
  }
  double create_rate = 0, step_rate = 0;
  MemoryCommitRates(&create_rate, &step_rate);
  std::printf("%-8s %-44s %14.0f %12.0f %14.0f\n", "memory", "Commit 1000x22 ev, v4 ids",
              create_rate, create_rate / 22, create_rate / 2);
  std::printf("%-8s %-44s %14.0f %12s %14.0f\n", "memory", "Commit 1000 steps x 1 transition",
              step_rate * 2, "", step_rate);
  return 0;
}
