// SQLite-only behaviour: persistence across reopen, durability modes, and
// refusing files that are not (or no longer) stepflow databases.
#include "engine/store/sqlite_store.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "engine/store/sqlite_migrations.h"
#include "engine/store/sqlite_schema.h"
#include "tests/unit/store/store_test_util.h"
#include "tests/unit/test_files.h"

namespace stepflow::store {
namespace {

using testing::AddMachines;
using testing::CreateStep;
using testing::NewExecution;
using testing::NextStep;
using testing::OpenSqliteOrFail;
using testing::TempDir;

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Runs SQL on a file through the plain SQLite API (to fake other programs'
// files and newer stepflows).
void RunSql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  INFO((error != nullptr ? error : ""));
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

// The first column of the first row of `sql`, run on a read-only connection.
int64_t QueryInt(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  int64_t value = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

int64_t PragmaOf(const std::string& path, const std::string& pragma) {
  return QueryInt(path, "PRAGMA " + pragma);
}

// A store with `executions` executions of 22 events, some tasks and timers.
void Populate(Store& store, int executions) {
  AddMachines(store, {"m"});
  std::vector<StepCommit> batch;
  for (int i = 0; i < executions; ++i) {
    StepCommit step = CreateStep(NewExecution("execution-" + std::to_string(i), "m", i), 22);
    for (HistoryEvent& e : step.events) e.details = std::string(300, 'x');
    step.tasks_added.push_back(
        TaskRecord{"execution-" + std::to_string(i) + "/7", "", "S", 1, "r", "{}", "SCHEDULED", 0});
    batch.push_back(std::move(step));
  }
  Status st = store.Commit(batch);
  INFO(st.ToString());
  REQUIRE(st.ok());
}

// Reads everything through `store`; returns the first failure, or OK.
Status ReadEverything(Store& store, int executions) {
  auto unfinished = store.ListUnfinished();
  if (!unfinished.ok()) return unfinished.status();
  auto listed = store.ListExecutions({"", "", 0, ""});
  if (!listed.ok()) return listed.status();
  for (int i = 0; i < executions; ++i) {
    std::string id = "execution-" + std::to_string(i);
    auto got = store.GetExecution(id);
    if (!got.ok()) return got.status();
    auto history = store.GetHistory(id, {});
    if (!history.ok()) return history.status();
    auto tasks = store.ListTasks(id);
    if (!tasks.ok()) return tasks.status();
  }
  return Status::Ok();
}

TEST_CASE("sqlite store: data survives closing and reopening the file", "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.File("reopen.db");
  StepCommit create = CreateStep(NewExecution("e1", "orders", 42), 3);
  create.execution.state = std::string("\0bin\xff", 5);
  create.tasks_added.push_back(TaskRecord{"e1/1", "", "Charge", 1, "arn:x", "{}", "SCHEDULED", 9});
  create.timers_added.push_back(TimerRecord{"w", "", 77, "wait", "p"});
  {
    auto store = OpenSqliteOrFail(path);
    REQUIRE(*store->PutStateMachineVersion("orders", "{def}", "sha", 1) == 1);
    REQUIRE(store->Commit({create}).ok());
  }
  auto store = OpenSqliteOrFail(path);
  auto got = store->GetExecution("e1");
  REQUIRE(got.ok());
  CHECK(got->state == create.execution.state);
  CHECK(got->next_event_id == 4);
  CHECK(store->GetHistory("e1", {})->size() == 3);
  CHECK(store->ListTasks("e1")->size() == 1);
  CHECK(store->ListTimers("e1")->size() == 1);
  CHECK(store->GetStateMachineVersion("orders", 0)->definition == "{def}");
  // And the history continues where it stopped.
  REQUIRE(store->Commit({NextStep(*got, 2)}).ok());
  CHECK(store->GetHistory("e1", {})->size() == 5);
  CHECK(PragmaOf(path, "application_id") == 0x53544650);
  CHECK(PragmaOf(path, "user_version") >= 1);
}

TEST_CASE("sqlite store: durability normal opens and commits", "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.File("normal.db");
  SqliteOptions options;
  options.durability = SqliteOptions::Durability::kNormal;
  {
    auto store = OpenSqliteOrFail(path, options);
    AddMachines(*store, {"m"});
    REQUIRE(store->Commit({CreateStep(NewExecution("e"), 2)}).ok());
  }
  auto store = OpenSqliteOrFail(path);  // and back with FULL
  CHECK(store->GetHistory("e", {})->size() == 2);
}

TEST_CASE("sqlite store: two stores on one file see each other's commits", "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.File("shared.db");
  auto first = OpenSqliteOrFail(path);
  auto second = OpenSqliteOrFail(path);
  AddMachines(*first, {"m"});
  REQUIRE(first->Commit({CreateStep(NewExecution("e"), 2)}).ok());
  CHECK(second->GetHistory("e", {})->size() == 2);
  CHECK(second->Commit({CreateStep(NewExecution("e"), 1)}).code() == StatusCode::kAlreadyExists);
}

TEST_CASE("sqlite store: a file that is not SQLite is refused and left alone", "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.File("garbage.db");
  std::string bytes;
  SECTION("text") {
    for (int i = 0; i < 200; ++i) bytes += "this is a text file, not a database\n";
  }
  SECTION("random bytes") {
    std::mt19937 random(7);
    for (int i = 0; i < 8192; ++i) bytes.push_back(static_cast<char>(random()));
  }
  SECTION("short text") { bytes = "hello\n"; }
  WriteBytes(path, bytes);
  auto store = OpenSqliteStore(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == StatusCode::kDataLoss);
  CHECK(store.status().message() ==
        "cannot open " + path + ": not a stepflow database (file is not a database)");
  CHECK(stepflow::testing::ReadFile(path) == bytes);
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST_CASE("sqlite store: another program's SQLite database is refused and left alone",
          "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.File("foreign.db");
  SECTION("tables and application_id 0") {
    RunSql(path, "CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES('ada');");
  }
  SECTION("another application_id") { RunSql(path, "PRAGMA application_id = 1234;"); }
  const std::string before = stepflow::testing::ReadFile(path);
  auto store = OpenSqliteStore(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == StatusCode::kDataLoss);
  CHECK(store.status().message() ==
        "cannot open " + path + ": not a stepflow database (foreign SQLite file)");
  CHECK(stepflow::testing::ReadFile(path) == before);
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST_CASE("sqlite store: a database from a newer stepflow is refused", "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.File("newer.db");
  { OpenSqliteOrFail(path); }
  RunSql(path, "PRAGMA user_version = 999;");
  auto store = OpenSqliteStore(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == StatusCode::kFailedPrecondition);
  CHECK(store.status().message().find("written by a newer stepflow (schema 999 > ") !=
        std::string::npos);
  CHECK(PragmaOf(path, "user_version") == 999);
}

// A database as a stepflow of schema version `version` left it: the first
// `version` embedded migrations applied by hand.
void CreateOldDatabase(const std::string& path, int version) {
  REQUIRE(version <= kSqliteMigrationCount);
  RunSql(
      path,
      ("PRAGMA application_id = " + std::to_string(sqlite::kStepflowApplicationId) + ";").c_str());
  for (int i = 0; i < version; ++i) RunSql(path, kSqliteMigrations[i].sql);
  RunSql(path, ("PRAGMA user_version = " + std::to_string(version) + ";").c_str());
}

TEST_CASE("sqlite store: a schema 2 database is migrated to the function catalog",
          "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.File("schema2.db");
  CreateOldDatabase(path, 2);
  RunSql(path,
         "INSERT INTO functions(name, endpoint) VALUES('resize', '127.0.0.1:5000'), "
         "('echo', 'unix:/run/echo.sock');"
         "INSERT INTO executions(id, machine, version, name, status, input, state, "
         "next_event_id, redrive_count, start_ms) "
         "VALUES('old', 'm', 1, 'old-name', 'RUNNING', '{}', x'00', 1, 0, 10);");
  REQUIRE(PragmaOf(path, "user_version") == 2);

  auto store = OpenSqliteOrFail(path);
  CHECK(PragmaOf(path, "user_version") == sqlite::SchemaVersion());
  CHECK(sqlite::SchemaVersion() >= 3);

  auto versions = store->ListFunctionVersions();
  REQUIRE(versions.ok());
  REQUIRE(versions->size() == 2);
  const FunctionVersion& echo = (*versions)[0];
  CHECK(echo.name == "echo");
  CHECK(echo.version == 1);
  CHECK(echo.kind == "grpc");
  CHECK(echo.target == "unix:/run/echo.sock");
  CHECK(echo.source == "api");
  CHECK(echo.created_ms == 0);
  CHECK((*versions)[1].name == "resize");
  CHECK((*versions)[1].version == 1);
  CHECK((*versions)[1].target == "127.0.0.1:5000");
  CHECK(store->ListFunctionAliases()->empty());
  CHECK(store->ListIntegrations()->empty());

  // The migrated versions behave as any other.
  FunctionVersion same;
  same.name = "resize";
  same.target = "127.0.0.1:5000";
  auto put = store->PutFunctionVersion(same);
  REQUIRE(put.ok());
  CHECK(put->unchanged);
  CHECK(put->version == 1);
  same.target = "127.0.0.1:6000";
  put = store->PutFunctionVersion(same);
  REQUIRE(put.ok());
  CHECK(put->version == 2);
  CHECK(store->PutFunctionAlias({"echo", "prod", 1}).ok());

  // An execution of the old schema has no parent; it keeps running.
  auto old = store->GetExecution("old");
  REQUIRE(old.ok());
  CHECK(old->parent_id.empty());
  CHECK(old->parent_task.empty());
  CHECK(store->ListChildExecutions("")->empty());
  StepCommit step = NextStep(*old, 1);
  step.execution.parent_task = "p/3";
  REQUIRE(store->Commit({step}).ok());
  auto found = store->FindExecutionByParentTask("p/3");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->id == "old");

  // The old table is gone; reopening migrates nothing more.
  store.reset();
  CHECK(QueryInt(path, "SELECT count(*) FROM sqlite_master WHERE name = 'functions'") == 0);
  store = OpenSqliteOrFail(path);
  CHECK(store->ListFunctionVersions()->size() == 3);
}

TEST_CASE("sqlite store: a schema 5 database gains activities, tags and its executions stay",
          "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.File("schema5.db");
  CreateOldDatabase(path, 5);
  RunSql(path,
         "INSERT INTO state_machines(name, created_ms) VALUES('m', 1);"
         "INSERT INTO state_machine_versions(machine, version, definition, sha256, created_ms) "
         "VALUES('m', 1, '{}', 'sha', 1);"
         "INSERT INTO executions(id, machine, version, name, status, input, state, "
         "next_event_id, redrive_count, start_ms) VALUES"
         "('old-1', 'm', 1, 'one', 'SUCCEEDED', '{}', x'', 1, 0, 10),"
         "('old-2', 'm', 1, 'two', 'FAILED', '{}', x'00', 1, 0, 20);");

  auto store = OpenSqliteOrFail(path);
  CHECK(PragmaOf(path, "user_version") == sqlite::SchemaVersion());
  CHECK(sqlite::SchemaVersion() >= 6);
  ExecutionFilter newest;
  newest.newest_first = true;
  auto listed = store->ListExecutions(newest);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].id == "old-2");
  CHECK(store->ListActivities()->empty());
  REQUIRE(store->PutActivity("review", 5).ok());
  REQUIRE(store->TagResource(StateMachineTagResource("m"), {{"k", "v"}}, 50).ok());
  REQUIRE(store->DeleteStateMachine("m", false).ok());
  CHECK(store->ListTags(StateMachineTagResource("m"))->empty());
  CHECK(store->GetExecution("old-1").ok());
  store.reset();
  store = OpenSqliteOrFail(path);
  CHECK(store->GetActivity("review")->created_ms == 5);
  CHECK(store->ListExecutions({})->size() == 2);
}

// The plan SQLite chooses for `sql` on the file at `path`, one line per step.
std::string QueryPlan(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  const std::string explain = "EXPLAIN QUERY PLAN " + sql;
  REQUIRE(sqlite3_prepare_v2(db, explain.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::string plan;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    plan += "\n";
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return plan;
}

// The list queries as the store writes them (sqlite_store.cc) walk an index
// in the list's order and seek to the paging cursor: a page costs its own
// rows, not a sort of every execution.
TEST_CASE("sqlite store: listing executions newest first needs no sort of the table",
          "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.File("plan.db");
  { OpenSqliteOrFail(path); }
  const std::string select = "SELECT id, input FROM executions WHERE 1";
  for (const char* order : {" ORDER BY start_ms DESC, id DESC", " ORDER BY start_ms, id"}) {
    const bool desc = std::string(order).find("DESC") != std::string::npos;
    const std::string cursor =
        desc ? " AND (start_ms, id) < (?3, ?4)" : " AND (start_ms, id) > (?3, ?4)";
    for (const std::string where : {"", " AND machine = ?1"}) {
      for (const std::string& after : {std::string(), cursor}) {
        const std::string sql = select + where + after + order + " LIMIT ?5";
        const std::string plan = QueryPlan(path, sql);
        INFO(sql << "\n" << plan);
        CHECK(plan.find(where.empty() ? "executions_start" : "executions_machine_start") !=
              std::string::npos);
        // Rows of one start_ms are put in id order as they come; never the
        // whole result sorted.
        CHECK(plan.find("USE TEMP B-TREE FOR ORDER BY") == std::string::npos);
        // And the cursor is a seek into the index.
        if (!after.empty()) {
          CHECK(plan.find(desc ? "start_ms<?" : "start_ms>?") != std::string::npos);
        }
      }
    }
  }
}

TEST_CASE("sqlite store: empty parent fields are stored as NULL", "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.File("parents.db");
  {
    auto store = OpenSqliteOrFail(path);
    AddMachines(*store, {"m"});
    StepCommit top = CreateStep(NewExecution("top"));
    StepCommit child = CreateStep(NewExecution("child"));
    child.execution.parent_id = "top";
    child.execution.parent_task = "top/2";
    REQUIRE(store->Commit({top, child}).ok());
    StepCommit release = NextStep(child.execution, 1);
    release.execution.parent_task.clear();
    REQUIRE(store->Commit({release}).ok());
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT id, parent_id IS NULL, parent_task IS NULL FROM executions "
                             "ORDER BY id",
                             -1, &stmt, nullptr) == SQLITE_OK);
  std::vector<std::string> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    rows.push_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) + ":" +
                   std::to_string(sqlite3_column_int(stmt, 1)) + ":" +
                   std::to_string(sqlite3_column_int(stmt, 2)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  CHECK(rows == std::vector<std::string>{"child:0:1", "top:1:1"});
}

TEST_CASE("sqlite store: paths that cannot hold a database", "[store][sqlite]") {
  TempDir dir;
  SECTION("a directory") {
    auto store = OpenSqliteStore(dir.path().string());
    CHECK(store.status().code() == StatusCode::kInvalidArgument);
    CHECK(store.status().message().find(dir.path().string()) != std::string::npos);
  }
  SECTION("a missing parent directory") {
    const std::string path = dir.File("no/such/dir/x.db");
    auto store = OpenSqliteStore(path);
    CHECK(store.status().code() == StatusCode::kFailedPrecondition);
    CHECK(store.status().message().find("cannot open " + path) == 0);
  }
  SECTION(":memory:") {
    CHECK(OpenSqliteStore(":memory:").status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("sqlite store: a damaged stepflow database reports data loss, never crashes",
          "[store][sqlite]") {
  TempDir dir;
  const std::string path = dir.File("damaged.db");
  constexpr int kExecutions = 200;
  {
    auto store = OpenSqliteOrFail(path);
    Populate(*store, kExecutions);
  }
  const std::string bytes = stepflow::testing::ReadFile(path);
  REQUIRE(bytes.size() > 100 * 4096);
  std::string damaged;
  SECTION("truncated to half") { damaged = bytes.substr(0, bytes.size() / 2); }
  SECTION("truncated inside the header page") { damaged = bytes.substr(0, 1000); }
  SECTION("pages overwritten with garbage") {
    damaged = bytes;
    std::mt19937 random(11);
    for (size_t i = 8 * 4096; i < 40 * 4096; ++i) damaged[i] = static_cast<char>(random());
  }
  SECTION("header overwritten") {
    damaged = bytes;
    for (size_t i = 0; i < 100; ++i) damaged[i] = 'Z';
  }
  WriteBytes(path, damaged);

  auto store = OpenSqliteStore(path);
  Status st = store.ok() ? ReadEverything(**store, kExecutions) : store.status();
  INFO(st.ToString());
  CHECK(st.code() == StatusCode::kDataLoss);
}

}  // namespace
}  // namespace stepflow::store
