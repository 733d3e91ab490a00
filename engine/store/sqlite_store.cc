#include "engine/store/sqlite_store.h"

#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <utility>

#include "engine/store/commit_checks.h"
#include "engine/store/sqlite_db.h"
#include "engine/store/sqlite_schema.h"

namespace stepflow::store {
namespace {

using sqlite::ConnectionPtr;
using sqlite::ErrorStatus;
using sqlite::Statement;
using sqlite::StatementReset;

constexpr int kBusyTimeoutMs = 5000;

// A PRIMARY KEY or UNIQUE constraint failed (which one SQLite reports for a
// non-INTEGER primary key depends on the table's kind).
bool IsDuplicateKey(int rc) {
  return rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE;
}

// Columns of an execution row as the readers select them; `state` last so the
// List* queries, which omit it, share the other indexes.
#define STEPFLOW_EXECUTION_COLUMNS                                                   \
  "id, machine, version, name, status, input, output, error, cause, next_event_id, " \
  "redrive_count, start_ms, stop_ms, redrive_ms, parent_id, parent_task"
constexpr int kStateColumn = 16;

// parent_id and parent_task are stored as NULL when empty, so their partial
// indexes hold child executions only (schemas/sql/sqlite/0003_catalog.sql).
void BindTextOrNull(Statement& s, int index, const std::string& text) {
  text.empty() ? s.BindNull(index) : s.BindText(index, text);
}

ExecutionRecord ReadExecution(const Statement& s, bool with_state) {
  ExecutionRecord r;
  r.id = s.Text(0);
  r.machine = s.Text(1);
  r.version = s.Int(2);
  r.name = s.Text(3);
  r.status = s.Text(4);
  r.input = s.Text(5);
  r.output = s.OptionalText(6);
  r.error = s.OptionalText(7);
  r.cause = s.OptionalText(8);
  r.next_event_id = s.Int(9);
  r.redrive_count = s.Int(10);
  r.start_ms = s.Int(11);
  r.stop_ms = s.OptionalInt(12);
  r.redrive_ms = s.OptionalInt(13);
  r.parent_id = s.Text(14);  // NULL reads as ""
  r.parent_task = s.Text(15);
  if (with_state) r.state = s.Blob(kStateColumn);
  return r;
}

// Steps `s` to the end, calling `row()` for each row; resets it after.
// On error the message starts with `what` + `subject` (built only then).
template <typename RowFn>
Status ForEachRow(Statement& s, std::string_view what, std::string_view subject, RowFn&& row) {
  StatementReset reset(s);
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) row();
  if (rc != SQLITE_DONE) return ErrorStatus(s.db(), rc, std::string(what).append(subject));
  return Status::Ok();
}

Result<ConnectionPtr> OpenConnection(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  ConnectionPtr db(raw);
  if (rc != SQLITE_OK) {
    std::string message =
        "cannot open " + path + ": " + (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    int err = raw != nullptr ? sqlite3_system_errno(raw) : 0;
    if (err != 0) message += std::string(" (") + std::strerror(err) + ")";
    return Status(StatusCode::kFailedPrecondition, std::move(message));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::string path, ConnectionPtr writer, ConnectionPtr reader)
      : path_(std::move(path)), writer_(std::move(writer)), reader_(std::move(reader)) {}

  Status Prepare();

  Result<int64_t> PutStateMachineVersion(const std::string& machine, const std::string& definition,
                                         const std::string& sha256, int64_t now_ms) override;
  Result<StateMachineVersion> GetStateMachineVersion(const std::string& machine,
                                                     int64_t version) override;
  Result<std::vector<std::string>> ListStateMachines() override;
  Result<std::vector<StateMachineVersion>> ListStateMachineVersions(
      const std::string& machine) override;
  Status DeleteStateMachine(const std::string& machine, bool purge_executions) override;
  Result<ActivityRecord> PutActivity(const std::string& name, int64_t now_ms) override;
  Result<ActivityRecord> GetActivity(const std::string& name) override;
  Result<std::vector<ActivityRecord>> ListActivities() override;
  Result<bool> DeleteActivity(const std::string& name) override;
  Status TagResource(const std::string& resource,
                     const std::vector<std::pair<std::string, std::string>>& tags,
                     size_t max_tags) override;
  Status UntagResource(const std::string& resource, const std::vector<std::string>& keys) override;
  Result<std::vector<std::pair<std::string, std::string>>> ListTags(
      const std::string& resource) override;
  Result<FunctionVersion> PutFunctionVersion(const FunctionVersion& version) override;
  Result<std::vector<FunctionVersion>> ListFunctionVersions() override;
  Status PutFunctionAlias(const FunctionAlias& alias) override;
  Result<bool> RemoveFunctionAlias(const std::string& function, const std::string& alias) override;
  Result<std::vector<FunctionAlias>> ListFunctionAliases() override;
  Result<bool> RemoveFunction(const std::string& name) override;
  Status PutIntegration(const std::string& integration, const std::string& function) override;
  Result<bool> RemoveIntegration(const std::string& integration) override;
  Result<std::vector<std::pair<std::string, std::string>>> ListIntegrations() override;
  Status PutDeployFailure(const DeployFailure& failure) override;
  Status ClearDeployFailure(const std::string& name) override;
  Result<std::vector<DeployFailure>> ListDeployFailures() override;
  Status AppendFunctionLogs(const std::vector<FunctionLog>& logs) override;
  Result<std::vector<FunctionLog>> ListFunctionLogs(const FunctionLogQuery& query) override;
  Status Commit(const std::vector<StepCommit>& steps) override;
  Result<std::vector<std::pair<std::string, std::string>>> GetCheckpointParts(
      const std::string& execution_id) override;
  Result<ExecutionRecord> GetExecution(const std::string& id) override;
  Result<std::optional<ExecutionRecord>> FindExecutionByName(const std::string& machine,
                                                             const std::string& name) override;
  Result<std::vector<ExecutionRecord>> ListExecutions(const ExecutionFilter& filter) override;
  Result<std::vector<ExecutionCount>> CountExecutions() override;
  Status PutTrigger(const TriggerRecord& trigger) override;
  Result<TriggerRecord> GetTrigger(const std::string& name) override;
  Result<std::vector<TriggerRecord>> ListTriggers() override;
  Result<bool> DeleteTrigger(const std::string& name) override;
  Status RecordOccurrences(const std::vector<TriggerOccurrence>& occurrences) override;
  Result<std::vector<TriggerOccurrence>> ListOccurrences(const std::string& trigger,
                                                         int64_t limit) override;
  Result<std::optional<TriggerOccurrence>> FindOccurrence(const std::string& trigger,
                                                          const std::string& key) override;
  Result<std::map<std::string, int64_t>> CountOccurrences(const std::string& trigger) override;
  // In a write transaction: inserts `occurrences`, kAlreadyExists on a key
  // recorded before (or twice) — unless `replace_unstarted` and the
  // recorded one did not start an execution: then it is replaced.
  Status InsertOccurrences(const std::vector<const TriggerOccurrence*>& occurrences,
                           bool replace_unstarted);
  Result<std::vector<ExecutionRecord>> ListUnfinished() override;
  Result<std::optional<ExecutionRecord>> FindExecutionByParentTask(
      const std::string& task_key) override;
  Result<std::vector<ExecutionRecord>> ListChildExecutions(const std::string& parent_id) override;
  Result<std::vector<HistoryEvent>> GetHistory(const std::string& execution_id,
                                               const HistoryQuery& query) override;
  Result<std::vector<TaskRecord>> ListTasks(const std::string& execution_id) override;
  Result<std::vector<TimerRecord>> ListTimers(const std::string& execution_id) override;

 private:
  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT on the writer; rolls back
  // when it (or COMMIT) fails. Requires write_mu_.
  template <typename Body>
  Status InWriteTransaction(Body&& body);
  Status ApplyStep(const StepCommit& step);
  Status CheckUpdatedExecution(const StepCommit& step);
  Status DuplicateExecution(const ExecutionRecord& ex);
  // kNotFound unless (ex.machine, ex.version) is stored. Requires write_mu_.
  Status RequireVersion(const ExecutionRecord& ex);
  // Reader helper: kNotFound unless the execution exists. Requires read_mu_.
  Status RequireExecution(const std::string& id);

  const std::string path_;

  std::mutex write_mu_;
  ConnectionPtr writer_;  // guarded by write_mu_, as are the statements below
  struct {
    Statement begin, commit, rollback;
    Statement insert_execution, update_execution, update_status, update_parent_task;
    Statement stored_next_event_id;
    Statement insert_event, insert_task, delete_task, insert_timer, delete_timer;
    Statement put_part, delete_parts;
    Statement insert_machine, newest_version, insert_version, version_exists;
    Statement insert_activity, get_activity, delete_activity;
    Statement put_tag, delete_tag, delete_tags, count_tags;
    Statement newest_function_version, insert_function_version, function_version_exists;
    Statement put_alias, delete_alias, delete_function_aliases, delete_function_versions;
    Statement put_integration, delete_integration;
    Statement put_deploy_failure, delete_deploy_failure, insert_function_log;
  } w_;

  std::mutex read_mu_;
  ConnectionPtr reader_;  // guarded by read_mu_, as are the statements below
  struct {
    Statement get_version, get_newest_version, list_machines;
    Statement get_execution, find_execution, execution_start, execution_exists;
    // Index: (machine set ? 1 : 0) + (status set ? 2 : 0) + (after_id set ? 4 : 0)
    // + (newest_first ? 8 : 0). Separate statements, so each is planned for
    // its own filter: "?3 IS NULL OR ..." would keep the cursor from seeking.
    Statement list_executions[16];
    Statement get_activity, list_activities, list_tags;
    Statement list_unfinished, find_by_parent_task, list_children, count_executions;
    Statement list_function_versions, list_function_aliases, list_integrations;
    Statement list_deploy_failures, list_function_logs;
    Statement history_forward, history_reverse, list_tasks, list_timers;
    Statement get_parts;
  } r_;
};

Status SqliteStore::Prepare() {
  struct Item {
    Statement* statement;
    sqlite3* db;
    std::string sql;
  };
  sqlite3* w = writer_.get();
  sqlite3* r = reader_.get();
  std::vector<Item> items = {
      {&w_.begin, w, "BEGIN IMMEDIATE"},
      {&w_.commit, w, "COMMIT"},
      {&w_.rollback, w, "ROLLBACK"},
      {&w_.insert_execution, w,
       "INSERT INTO executions(id, machine, version, name, status, input, output, error, cause, "
       "state, next_event_id, redrive_count, start_ms, stop_ms, redrive_ms, parent_id, "
       "parent_task) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"},
      {&w_.update_execution, w,
       // status and parent_task are set by update_status and
       // update_parent_task only when they change: an UPDATE naming them
       // rewrites their index, one more page per step.
       "UPDATE executions SET output = ?3, error = ?4, cause = ?5, state = ?6, "
       "next_event_id = ?7, redrive_count = ?8, stop_ms = ?9, redrive_ms = ?10 "
       "WHERE id = ?1 AND next_event_id = ?11 AND ?2 IS NOT NULL "
       "RETURNING seq, status, parent_task"},
      {&w_.update_status, w, "UPDATE executions SET status = ?2 WHERE seq = ?1"},
      {&w_.update_parent_task, w, "UPDATE executions SET parent_task = ?2 WHERE seq = ?1"},
      {&w_.stored_next_event_id, w, "SELECT next_event_id FROM executions WHERE id = ?1"},
      {&w_.insert_event, w,
       "INSERT INTO history_events(execution_seq, event_id, previous_event_id, timestamp_ms, type, "
       "state_path, details) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&w_.insert_task, w,
       "INSERT INTO tasks(id, execution_id, state_path, attempt, resource, input, status, "
       "visible_at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      {&w_.delete_task, w, "DELETE FROM tasks WHERE id = ?1 AND execution_id = ?2"},
      {&w_.insert_timer, w,
       "INSERT INTO timers(execution_id, id, fire_at_ms, kind, payload) "
       "VALUES(?1, ?2, ?3, ?4, ?5)"},
      {&w_.delete_timer, w, "DELETE FROM timers WHERE execution_id = ?1 AND id = ?2"},
      {&w_.put_part, w,
       "INSERT INTO checkpoint_parts(execution_id, key, data) VALUES(?1, ?2, ?3) "
       "ON CONFLICT(execution_id, key) DO UPDATE SET data = excluded.data"},
      {&w_.delete_parts, w, "DELETE FROM checkpoint_parts WHERE execution_id = ?1"},
      {&w_.insert_machine, w,
       "INSERT OR IGNORE INTO state_machines(name, created_ms) VALUES(?1, ?2)"},
      {&w_.newest_version, w,
       "SELECT version, sha256 FROM state_machine_versions WHERE machine = ?1 "
       "ORDER BY version DESC LIMIT 1"},
      {&w_.insert_version, w,
       "INSERT INTO state_machine_versions(machine, version, definition, sha256, created_ms) "
       "VALUES(?1, ?2, ?3, ?4, ?5)"},
      {&w_.version_exists, w,
       "SELECT 1 FROM state_machine_versions WHERE machine = ?1 AND version = ?2"},
      {&w_.insert_activity, w, "INSERT OR IGNORE INTO activities(name, created_ms) VALUES(?1, ?2)"},
      {&w_.get_activity, w, "SELECT name, created_ms FROM activities WHERE name = ?1"},
      {&w_.delete_activity, w, "DELETE FROM activities WHERE name = ?1"},
      {&w_.put_tag, w,
       "INSERT INTO tags(resource, key, value) VALUES(?1, ?2, ?3) "
       "ON CONFLICT(resource, key) DO UPDATE SET value = excluded.value"},
      {&w_.delete_tag, w, "DELETE FROM tags WHERE resource = ?1 AND key = ?2"},
      {&w_.delete_tags, w, "DELETE FROM tags WHERE resource = ?1"},
      {&w_.count_tags, w, "SELECT count(*) FROM tags WHERE resource = ?1"},
      {&w_.newest_function_version, w,
       "SELECT version, kind, target, source, created_ms, config FROM function_versions "
       "WHERE name = ?1 ORDER BY version DESC LIMIT 1"},
      {&w_.insert_function_version, w,
       "INSERT INTO function_versions(name, version, kind, target, source, created_ms, config) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&w_.function_version_exists, w,
       "SELECT 1 FROM function_versions WHERE name = ?1 AND version = ?2"},
      {&w_.put_alias, w,
       "INSERT INTO function_aliases(function, alias, version) VALUES(?1, ?2, ?3) "
       "ON CONFLICT(function, alias) DO UPDATE SET version = excluded.version"},
      {&w_.delete_alias, w, "DELETE FROM function_aliases WHERE function = ?1 AND alias = ?2"},
      {&w_.delete_function_aliases, w, "DELETE FROM function_aliases WHERE function = ?1"},
      {&w_.delete_function_versions, w, "DELETE FROM function_versions WHERE name = ?1"},
      {&w_.put_integration, w,
       "INSERT INTO integrations(integration, function) VALUES(?1, ?2) "
       "ON CONFLICT(integration) DO UPDATE SET function = excluded.function"},
      {&w_.delete_integration, w, "DELETE FROM integrations WHERE integration = ?1"},
      {&w_.put_deploy_failure, w,
       "INSERT INTO function_deploy_failures(name, created_ms, message) VALUES(?1, ?2, ?3) "
       "ON CONFLICT(name) DO UPDATE SET created_ms = excluded.created_ms, "
       "message = excluded.message"},
      {&w_.delete_deploy_failure, w, "DELETE FROM function_deploy_failures WHERE name = ?1"},
      {&w_.insert_function_log, w,
       "INSERT INTO function_logs(function, version, execution_id, idempotency_key, created_ms, "
       "text) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"},
      {&r_.get_version, r,
       "SELECT machine, version, definition, sha256, created_ms FROM state_machine_versions "
       "WHERE machine = ?1 AND version = ?2"},
      {&r_.get_newest_version, r,
       "SELECT machine, version, definition, sha256, created_ms FROM state_machine_versions "
       "WHERE machine = ?1 ORDER BY version DESC LIMIT 1"},
      {&r_.list_machines, r, "SELECT name FROM state_machines ORDER BY name"},
      {&r_.get_parts, r, "SELECT key, data FROM checkpoint_parts WHERE execution_id = ?1"},
      {&r_.get_execution, r,
       "SELECT " STEPFLOW_EXECUTION_COLUMNS ", state FROM executions WHERE id = ?1"},
      {&r_.find_execution, r,
       "SELECT " STEPFLOW_EXECUTION_COLUMNS
       ", state FROM executions WHERE machine = ?1 AND name = ?2"},
      {&r_.execution_start, r, "SELECT start_ms FROM executions WHERE id = ?1"},
      {&r_.execution_exists, r, "SELECT 1 FROM executions WHERE id = ?1"},
      {&r_.get_activity, r, "SELECT name, created_ms FROM activities WHERE name = ?1"},
      {&r_.list_activities, r, "SELECT name, created_ms FROM activities ORDER BY name"},
      {&r_.list_tags, r, "SELECT key, value FROM tags WHERE resource = ?1 ORDER BY key"},
      {&r_.count_executions, r,
       "SELECT machine, status, COUNT(*) FROM executions GROUP BY machine, status "
       "ORDER BY machine, status"},
      {&r_.list_unfinished, r,
       "SELECT " STEPFLOW_EXECUTION_COLUMNS
       ", state FROM executions WHERE status = 'RUNNING' ORDER BY start_ms, id"},
      // "= ?1" implies NOT NULL: both use the partial indexes (and "" finds nothing).
      {&r_.find_by_parent_task, r,
       "SELECT " STEPFLOW_EXECUTION_COLUMNS
       ", state FROM executions WHERE parent_task = ?1 ORDER BY start_ms, id LIMIT 1"},
      {&r_.list_children, r,
       "SELECT " STEPFLOW_EXECUTION_COLUMNS
       " FROM executions WHERE parent_id = ?1 ORDER BY start_ms, id"},
      {&r_.list_function_versions, r,
       "SELECT name, version, kind, target, source, created_ms, config FROM function_versions "
       "ORDER BY name, version"},
      {&r_.list_function_aliases, r,
       "SELECT function, alias, version FROM function_aliases ORDER BY function, alias"},
      {&r_.list_integrations, r,
       "SELECT integration, function FROM integrations ORDER BY integration"},
      {&r_.list_deploy_failures, r,
       "SELECT name, created_ms, message FROM function_deploy_failures ORDER BY name"},
      // '' matches any function / execution.
      {&r_.list_function_logs, r,
       "SELECT id, function, version, execution_id, idempotency_key, created_ms, text "
       "FROM function_logs WHERE id > ?3 AND (?1 = '' OR function = ?1) "
       "AND (?2 = '' OR execution_id = ?2) AND (?5 = '' OR idempotency_key = ?5) "
       "ORDER BY id LIMIT ?4"},
      {&r_.history_forward, r,
       "SELECT event_id, previous_event_id, timestamp_ms, type, state_path, details "
       "FROM history_events WHERE execution_seq = (SELECT seq FROM executions WHERE id = ?1) "
       "AND event_id > ?2 ORDER BY event_id LIMIT ?3"},
      {&r_.history_reverse, r,
       "SELECT event_id, previous_event_id, timestamp_ms, type, state_path, details "
       "FROM history_events WHERE execution_seq = (SELECT seq FROM executions WHERE id = ?1) "
       "AND event_id < ?2 ORDER BY event_id DESC LIMIT ?3"},
      {&r_.list_tasks, r,
       "SELECT id, execution_id, state_path, attempt, resource, input, status, visible_at_ms "
       // Task ids are "<execution id>/<event id>": a primary-key range scan
       // finds an execution's tasks without a second index to maintain.
       "FROM tasks WHERE id > ?1 || '/' AND id < ?1 || '0' AND execution_id = ?1 ORDER BY id"},
      {&r_.list_timers, r,
       "SELECT id, execution_id, fire_at_ms, kind, payload FROM timers "
       "WHERE execution_id = ?1 ORDER BY id"},
  };
  // ListExecutions: ?1 machine, ?2 status, ?3 and ?4 the cursor's start_ms
  // and id, ?5 the limit. Without a machine, executions_start serves both
  // orders; with one, executions_machine_start (schemas/sql/sqlite/).
  for (int i = 0; i < 16; ++i) {
    const bool machine = i & 1, status = i & 2, cursor = i & 4, newest_first = i & 8;
    std::string sql = "SELECT " STEPFLOW_EXECUTION_COLUMNS " FROM executions WHERE 1";
    if (machine) sql += " AND machine = ?1";
    if (status) sql += " AND status = ?2";
    if (cursor) {
      sql += newest_first ? " AND (start_ms, id) < (?3, ?4)" : " AND (start_ms, id) > (?3, ?4)";
    }
    sql += newest_first ? " ORDER BY start_ms DESC, id DESC" : " ORDER BY start_ms, id";
    sql += " LIMIT ?5";
    items.push_back({&r_.list_executions[i], r, std::move(sql)});
  }
  for (Item& item : items) {
    auto prepared = Statement::Prepare(item.db, item.sql);
    if (!prepared.ok()) {
      const Status& st = prepared.status();
      return Status(st.code(), "cannot open " + path_ + ": " + st.message());
    }
    *item.statement = std::move(prepared).value();
  }
  return Status::Ok();
}

template <typename Body>
Status SqliteStore::InWriteTransaction(Body&& body) {
  STEPFLOW_RETURN_IF_ERROR(sqlite::Run(w_.begin, "begin a transaction on ", path_));
  Status st = body();
  if (st.ok()) st = sqlite::Run(w_.commit, "commit to ", path_);
  if (!st.ok() && !sqlite3_get_autocommit(writer_.get())) {
    // A failed ROLLBACK leaves nothing better to report than the first error.
    (void)sqlite::Run(w_.rollback, "rollback");
  }
  return st;
}

Result<int64_t> SqliteStore::PutStateMachineVersion(const std::string& machine,
                                                    const std::string& definition,
                                                    const std::string& sha256, int64_t now_ms) {
  std::lock_guard lock(write_mu_);
  int64_t version = 0;
  Status st = InWriteTransaction([&]() -> Status {
    w_.insert_machine.BindText(1, machine);
    w_.insert_machine.BindInt(2, now_ms);
    STEPFLOW_RETURN_IF_ERROR(sqlite::Run(w_.insert_machine, "store state machine ", machine));
    int64_t newest = 0;
    std::string newest_sha;
    w_.newest_version.BindText(1, machine);
    STEPFLOW_RETURN_IF_ERROR(ForEachRow(w_.newest_version, "read state machine ", machine, [&] {
      newest = w_.newest_version.Int(0);
      newest_sha = w_.newest_version.Text(1);
    }));
    if (newest > 0 && newest_sha == sha256) {
      version = newest;
      return Status::Ok();
    }
    version = newest + 1;
    Statement& s = w_.insert_version;
    s.BindText(1, machine);
    s.BindInt(2, version);
    s.BindText(3, definition);
    s.BindText(4, sha256);
    s.BindInt(5, now_ms);
    return sqlite::Run(s, "store state machine ", machine);
  });
  if (!st.ok()) return st;
  return version;
}

Result<StateMachineVersion> SqliteStore::GetStateMachineVersion(const std::string& machine,
                                                                int64_t version) {
  std::lock_guard lock(read_mu_);
  Statement& s = version == 0 ? r_.get_newest_version : r_.get_version;
  s.BindText(1, machine);
  if (version != 0) s.BindInt(2, version);
  std::optional<StateMachineVersion> found;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "read state machine ", machine, [&] {
    found = StateMachineVersion{s.Text(0), s.Int(1), s.Text(2), s.Text(3), s.Int(4)};
  }));
  if (!found) {
    return Status::NotFound(version == 0 ? "state machine " + machine + " not found"
                                         : "state machine " + machine + " has no version " +
                                               std::to_string(version));
  }
  return *std::move(found);
}

Result<std::vector<std::string>> SqliteStore::ListStateMachines() {
  std::lock_guard lock(read_mu_);
  std::vector<std::string> names;
  Statement& s = r_.list_machines;
  STEPFLOW_RETURN_IF_ERROR(
      ForEachRow(s, "list state machines", {}, [&] { names.push_back(s.Text(0)); }));
  return names;
}

Result<std::vector<StateMachineVersion>> SqliteStore::ListStateMachineVersions(
    const std::string& machine) {
  std::lock_guard lock(read_mu_);
  STEPFLOW_ASSIGN_OR_RETURN(
      Statement s,
      Statement::Prepare(reader_.get(),
                         "SELECT machine, version, definition, sha256, created_ms FROM "
                         "state_machine_versions WHERE machine = ?1 ORDER BY version"));
  s.BindText(1, machine);
  std::vector<StateMachineVersion> versions;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "read state machine ", machine, [&] {
    versions.push_back({s.Text(0), s.Int(1), s.Text(2), s.Text(3), s.Int(4)});
  }));
  if (versions.empty()) return Status::NotFound("state machine " + machine + " not found");
  return versions;
}

Status SqliteStore::DeleteStateMachine(const std::string& machine, bool purge_executions) {
  std::lock_guard lock(write_mu_);
  sqlite3* w = writer_.get();
  return InWriteTransaction([&]() -> Status {
    STEPFLOW_ASSIGN_OR_RETURN(
        Statement count,
        Statement::Prepare(w,
                           "SELECT (SELECT count(*) FROM state_machines WHERE name = ?1), "
                           "(SELECT count(*) FROM executions WHERE machine = ?1 AND "
                           "status = 'RUNNING')"));
    count.BindText(1, machine);
    int64_t exists = 0, running = 0;
    STEPFLOW_RETURN_IF_ERROR(ForEachRow(count, "delete state machine ", machine, [&] {
      exists = count.Int(0);
      running = count.Int(1);
    }));
    if (exists == 0) return Status::NotFound("state machine " + machine + " not found");
    if (running > 0) {
      return Status::FailedPrecondition("state machine " + machine + " has " +
                                        std::to_string(running) +
                                        " RUNNING execution(s); stop them first");
    }
    std::vector<const char*> statements;
    if (purge_executions) {
      statements = {
          "DELETE FROM history_events WHERE execution_seq IN "
          "(SELECT seq FROM executions WHERE machine = ?1)",
          "DELETE FROM tasks WHERE execution_id IN (SELECT id FROM executions WHERE machine = ?1)",
          "DELETE FROM timers WHERE execution_id IN (SELECT id FROM executions WHERE machine = ?1)",
          "DELETE FROM checkpoint_parts WHERE execution_id IN "
          "(SELECT id FROM executions WHERE machine = ?1)",
          "DELETE FROM executions WHERE machine = ?1"};
    }
    statements.push_back("DELETE FROM state_machine_versions WHERE machine = ?1");
    statements.push_back("DELETE FROM state_machines WHERE name = ?1");
    for (const char* sql : statements) {
      STEPFLOW_ASSIGN_OR_RETURN(Statement s, Statement::Prepare(w, sql));
      s.BindText(1, machine);
      STEPFLOW_RETURN_IF_ERROR(sqlite::Run(s, "delete state machine ", machine));
    }
    const std::string resource = StateMachineTagResource(machine);  // bound without a copy
    w_.delete_tags.BindText(1, resource);
    return sqlite::Run(w_.delete_tags, "delete the tags of state machine ", machine);
  });
}

Result<ActivityRecord> SqliteStore::PutActivity(const std::string& name, int64_t now_ms) {
  std::lock_guard lock(write_mu_);
  std::optional<ActivityRecord> stored;
  Status st = InWriteTransaction([&]() -> Status {
    w_.insert_activity.BindText(1, name);
    w_.insert_activity.BindInt(2, now_ms);
    STEPFLOW_RETURN_IF_ERROR(sqlite::Run(w_.insert_activity, "store activity ", name));
    Statement& q = w_.get_activity;
    q.BindText(1, name);
    return ForEachRow(q, "read activity ", name, [&] {
      stored = ActivityRecord{q.Text(0), q.Int(1)};
    });
  });
  if (!st.ok()) return st;
  if (!stored) return Status::Internal("activity " + name + " vanished while it was stored");
  return *std::move(stored);
}

Result<ActivityRecord> SqliteStore::GetActivity(const std::string& name) {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.get_activity;
  s.BindText(1, name);
  std::optional<ActivityRecord> found;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "read activity ", name, [&] {
    found = ActivityRecord{s.Text(0), s.Int(1)};
  }));
  if (!found) return ActivityNotFound(name);
  return *std::move(found);
}

Result<std::vector<ActivityRecord>> SqliteStore::ListActivities() {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.list_activities;
  std::vector<ActivityRecord> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "list activities", {}, [&] {
    out.push_back(ActivityRecord{s.Text(0), s.Int(1)});
  }));
  return out;
}

Result<bool> SqliteStore::DeleteActivity(const std::string& name) {
  std::lock_guard lock(write_mu_);
  bool existed = false;
  Status st = InWriteTransaction([&]() -> Status {
    w_.delete_activity.BindText(1, name);
    STEPFLOW_RETURN_IF_ERROR(sqlite::Run(w_.delete_activity, "delete activity ", name));
    existed = sqlite3_changes(writer_.get()) > 0;
    const std::string resource = ActivityTagResource(name);  // bound without a copy
    w_.delete_tags.BindText(1, resource);
    return sqlite::Run(w_.delete_tags, "delete the tags of activity ", name);
  });
  if (!st.ok()) return st;
  return existed;
}

Status SqliteStore::TagResource(const std::string& resource,
                                const std::vector<std::pair<std::string, std::string>>& tags,
                                size_t max_tags) {
  std::lock_guard lock(write_mu_);
  return InWriteTransaction([&]() -> Status {
    Statement& put = w_.put_tag;
    put.BindText(1, resource);
    for (const auto& [key, value] : tags) {
      put.BindText(2, key);
      put.BindText(3, value);
      STEPFLOW_RETURN_IF_ERROR(sqlite::Run(put, "tag ", resource));
    }
    // Counted after the upserts, inside the transaction: a failure rolls
    // them back.
    Statement& count = w_.count_tags;
    count.BindText(1, resource);
    int64_t n = 0;
    STEPFLOW_RETURN_IF_ERROR(
        ForEachRow(count, "count the tags of ", resource, [&] { n = count.Int(0); }));
    if (static_cast<uint64_t>(n) > max_tags) {
      return TooManyTags(resource, static_cast<size_t>(n), max_tags);
    }
    return Status::Ok();
  });
}

Status SqliteStore::UntagResource(const std::string& resource,
                                  const std::vector<std::string>& keys) {
  if (keys.empty()) return Status::Ok();
  std::lock_guard lock(write_mu_);
  return InWriteTransaction([&]() -> Status {
    Statement& s = w_.delete_tag;
    s.BindText(1, resource);
    for (const std::string& key : keys) {
      s.BindText(2, key);
      STEPFLOW_RETURN_IF_ERROR(sqlite::Run(s, "untag ", resource));
    }
    return Status::Ok();
  });
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteStore::ListTags(
    const std::string& resource) {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.list_tags;
  s.BindText(1, resource);
  std::vector<std::pair<std::string, std::string>> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "list the tags of ", resource,
                                      [&] { out.emplace_back(s.Text(0), s.Text(1)); }));
  return out;
}

Result<FunctionVersion> SqliteStore::PutFunctionVersion(const FunctionVersion& request) {
  std::lock_guard lock(write_mu_);
  FunctionVersion result;
  Status st = InWriteTransaction([&]() -> Status {
    std::optional<FunctionVersion> newest;
    Statement& q = w_.newest_function_version;
    q.BindText(1, request.name);
    STEPFLOW_RETURN_IF_ERROR(ForEachRow(q, "read function ", request.name, [&] {
      newest = FunctionVersion{request.name, q.Int(0), q.Text(1), q.Text(2),
                               q.Text(3), q.Int(4), q.Text(5)};
    }));
    if (newest && newest->kind == request.kind && newest->target == request.target &&
        newest->config == request.config) {
      result = *std::move(newest);
      result.unchanged = true;
      return Status::Ok();
    }
    result = request;
    result.version = newest ? newest->version + 1 : 1;
    result.unchanged = false;
    Statement& s = w_.insert_function_version;
    s.BindText(1, result.name);
    s.BindInt(2, result.version);
    s.BindText(3, result.kind);
    s.BindText(4, result.target);
    s.BindText(5, result.source);
    s.BindInt(6, result.created_ms);
    s.BindText(7, result.config);
    return sqlite::Run(s, "store function ", result.name);
  });
  if (!st.ok()) return st;
  return result;
}

Result<std::vector<FunctionVersion>> SqliteStore::ListFunctionVersions() {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.list_function_versions;
  std::vector<FunctionVersion> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "list functions", {}, [&] {
    out.push_back(FunctionVersion{s.Text(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4), s.Int(5),
                                  s.Text(6)});
  }));
  return out;
}

Status SqliteStore::PutFunctionAlias(const FunctionAlias& alias) {
  std::lock_guard lock(write_mu_);
  return InWriteTransaction([&]() -> Status {
    Statement& q = w_.function_version_exists;
    q.BindText(1, alias.function);
    q.BindInt(2, alias.version);
    bool exists = false;
    STEPFLOW_RETURN_IF_ERROR(
        ForEachRow(q, "read function ", alias.function, [&] { exists = true; }));
    if (!exists) return FunctionVersionNotFound(alias.function, alias.version);
    Statement& s = w_.put_alias;
    s.BindText(1, alias.function);
    s.BindText(2, alias.alias);
    s.BindInt(3, alias.version);
    return sqlite::Run(s, "store alias of function ", alias.function);
  });
}

Result<bool> SqliteStore::RemoveFunctionAlias(const std::string& function,
                                              const std::string& alias) {
  std::lock_guard lock(write_mu_);
  Statement& s = w_.delete_alias;
  s.BindText(1, function);
  s.BindText(2, alias);
  STEPFLOW_RETURN_IF_ERROR(sqlite::Run(s, "remove alias of function ", function));
  return sqlite3_changes(writer_.get()) > 0;
}

Result<std::vector<FunctionAlias>> SqliteStore::ListFunctionAliases() {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.list_function_aliases;
  std::vector<FunctionAlias> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "list function aliases", {}, [&] {
    out.push_back(FunctionAlias{s.Text(0), s.Text(1), s.Int(2)});
  }));
  return out;
}

Result<bool> SqliteStore::RemoveFunction(const std::string& name) {
  std::lock_guard lock(write_mu_);
  bool existed = false;
  Status st = InWriteTransaction([&]() -> Status {
    w_.delete_function_aliases.BindText(1, name);
    STEPFLOW_RETURN_IF_ERROR(sqlite::Run(w_.delete_function_aliases, "remove function ", name));
    w_.delete_function_versions.BindText(1, name);
    STEPFLOW_RETURN_IF_ERROR(sqlite::Run(w_.delete_function_versions, "remove function ", name));
    existed = sqlite3_changes(writer_.get()) > 0;
    w_.delete_deploy_failure.BindText(1, name);
    STEPFLOW_RETURN_IF_ERROR(sqlite::Run(w_.delete_deploy_failure, "remove function ", name));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return existed;
}

Status SqliteStore::PutIntegration(const std::string& integration, const std::string& function) {
  std::lock_guard lock(write_mu_);
  Statement& s = w_.put_integration;
  s.BindText(1, integration);
  s.BindText(2, function);
  return sqlite::Run(s, "store integration ", integration);
}

Result<bool> SqliteStore::RemoveIntegration(const std::string& integration) {
  std::lock_guard lock(write_mu_);
  Statement& s = w_.delete_integration;
  s.BindText(1, integration);
  STEPFLOW_RETURN_IF_ERROR(sqlite::Run(s, "remove integration ", integration));
  return sqlite3_changes(writer_.get()) > 0;
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteStore::ListIntegrations() {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.list_integrations;
  std::vector<std::pair<std::string, std::string>> out;
  STEPFLOW_RETURN_IF_ERROR(
      ForEachRow(s, "list integrations", {}, [&] { out.emplace_back(s.Text(0), s.Text(1)); }));
  return out;
}

Status SqliteStore::PutDeployFailure(const DeployFailure& failure) {
  std::lock_guard lock(write_mu_);
  Statement& s = w_.put_deploy_failure;
  s.BindText(1, failure.name);
  s.BindInt(2, failure.created_ms);
  s.BindText(3, failure.message);
  return sqlite::Run(s, "store the failed deploy of function ", failure.name);
}

Status SqliteStore::ClearDeployFailure(const std::string& name) {
  std::lock_guard lock(write_mu_);
  Statement& s = w_.delete_deploy_failure;
  s.BindText(1, name);
  return sqlite::Run(s, "clear the failed deploy of function ", name);
}

Result<std::vector<DeployFailure>> SqliteStore::ListDeployFailures() {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.list_deploy_failures;
  std::vector<DeployFailure> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "list failed deploys", {}, [&] {
    out.push_back(DeployFailure{s.Text(0), s.Int(1), s.Text(2)});
  }));
  return out;
}

Status SqliteStore::AppendFunctionLogs(const std::vector<FunctionLog>& logs) {
  if (logs.empty()) return Status::Ok();
  std::lock_guard lock(write_mu_);
  return InWriteTransaction([&]() -> Status {
    for (const FunctionLog& log : logs) {
      Statement& s = w_.insert_function_log;
      s.BindText(1, log.function);
      s.BindInt(2, log.version);
      s.BindText(3, log.execution_id);
      s.BindText(4, log.idempotency_key);
      s.BindInt(5, log.created_ms);
      s.BindText(6, log.text);
      STEPFLOW_RETURN_IF_ERROR(sqlite::Run(s, "store the log of function ", log.function));
    }
    return Status::Ok();
  });
}

Result<std::vector<FunctionLog>> SqliteStore::ListFunctionLogs(const FunctionLogQuery& query) {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.list_function_logs;
  s.BindText(1, query.function);
  s.BindText(2, query.execution_id);
  s.BindInt(3, query.after_id);
  s.BindInt(4, query.limit > 0 ? query.limit : -1);
  s.BindText(5, query.call);
  std::vector<FunctionLog> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "list function logs", {}, [&] {
    out.push_back(
        FunctionLog{s.Int(0), s.Text(1), s.Int(2), s.Text(3), s.Text(4), s.Int(5), s.Text(6)});
  }));
  return out;
}

Status SqliteStore::Commit(const std::vector<StepCommit>& steps) {
  if (steps.empty()) return Status::Ok();
  for (const StepCommit& step : steps) STEPFLOW_RETURN_IF_ERROR(CheckStepShape(step));
  std::lock_guard lock(write_mu_);
  return InWriteTransaction([&]() -> Status {
    for (const StepCommit& step : steps) STEPFLOW_RETURN_IF_ERROR(ApplyStep(step));
    std::vector<const TriggerOccurrence*> occurrences;
    for (const StepCommit& step : steps) {
      for (const TriggerOccurrence& o : step.occurrences) occurrences.push_back(&o);
    }
    return occurrences.empty() ? Status::Ok()
                               : InsertOccurrences(occurrences, /*replace_unstarted=*/true);
  });
}

// --- Triggers (rare writes: statements prepared per call) ------------------

namespace {

constexpr const char* kOccurrenceColumns =
    "trigger, key, scheduled_ms, outcome, COALESCE(execution_id, ''), detail, recorded_ms";

TriggerOccurrence ReadOccurrence(Statement& s) {
  return TriggerOccurrence{s.Text(0), s.Text(1), s.Int(2), s.Text(3),
                           s.Text(4), s.Text(5), s.Int(6)};
}

TriggerRecord ReadTrigger(Statement& s) {
  return TriggerRecord{s.Text(0), s.Text(1), s.Int(2) != 0, s.Int(3), s.Int(4)};
}

}  // namespace

Status SqliteStore::InsertOccurrences(const std::vector<const TriggerOccurrence*>& occurrences,
                                      bool replace_unstarted) {
  std::string sql =
      "INSERT INTO trigger_occurrences (trigger, key, scheduled_ms, outcome, execution_id, "
      "detail, recorded_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ";
  sql += replace_unstarted
             ? "ON CONFLICT (trigger, key) DO UPDATE SET scheduled_ms = excluded.scheduled_ms, "
               "outcome = excluded.outcome, execution_id = excluded.execution_id, "
               "detail = excluded.detail, recorded_ms = excluded.recorded_ms "
               "WHERE trigger_occurrences.outcome <> 'STARTED'"
             : "ON CONFLICT DO NOTHING";
  STEPFLOW_ASSIGN_OR_RETURN(Statement s, Statement::Prepare(writer_.get(), sql));
  for (const TriggerOccurrence* o : occurrences) {
    s.BindText(1, o->trigger);
    s.BindText(2, o->key);
    s.BindInt(3, o->scheduled_ms);
    s.BindText(4, o->outcome);
    if (o->execution_id.empty()) {
      s.BindNull(5);
    } else {
      s.BindText(5, o->execution_id);
    }
    s.BindText(6, o->detail);
    s.BindInt(7, o->recorded_ms);
    STEPFLOW_RETURN_IF_ERROR(sqlite::Run(s, "record occurrence ", o->key));
    if (sqlite3_changes(writer_.get()) == 0) return OccurrenceRecorded(o->trigger, o->key);
  }
  return Status::Ok();
}

Status SqliteStore::PutTrigger(const TriggerRecord& trigger) {
  std::lock_guard lock(write_mu_);
  return InWriteTransaction([&]() -> Status {
    STEPFLOW_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Prepare(writer_.get(),
                           "INSERT INTO triggers (name, spec, paused, created_ms, updated_ms) "
                           "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET "
                           "spec = excluded.spec, paused = excluded.paused, "
                           "updated_ms = excluded.updated_ms"));
    s.BindText(1, trigger.name);
    s.BindText(2, trigger.spec);
    s.BindInt(3, trigger.paused ? 1 : 0);
    s.BindInt(4, trigger.created_ms);
    s.BindInt(5, trigger.updated_ms);
    return sqlite::Run(s, "store trigger ", trigger.name);
  });
}

Result<TriggerRecord> SqliteStore::GetTrigger(const std::string& name) {
  std::lock_guard lock(read_mu_);
  STEPFLOW_ASSIGN_OR_RETURN(
      Statement s, Statement::Prepare(reader_.get(),
                                      "SELECT name, spec, paused, created_ms, updated_ms FROM "
                                      "triggers WHERE name = ?1"));
  s.BindText(1, name);
  std::optional<TriggerRecord> found;
  STEPFLOW_RETURN_IF_ERROR(
      ForEachRow(s, "read trigger ", name, [&] { found = ReadTrigger(s); }));
  if (!found) return TriggerNotFound(name);
  return *std::move(found);
}

Result<std::vector<TriggerRecord>> SqliteStore::ListTriggers() {
  std::lock_guard lock(read_mu_);
  STEPFLOW_ASSIGN_OR_RETURN(
      Statement s, Statement::Prepare(reader_.get(),
                                      "SELECT name, spec, paused, created_ms, updated_ms FROM "
                                      "triggers ORDER BY name"));
  std::vector<TriggerRecord> out;
  STEPFLOW_RETURN_IF_ERROR(
      ForEachRow(s, "list triggers", {}, [&] { out.push_back(ReadTrigger(s)); }));
  return out;
}

Result<bool> SqliteStore::DeleteTrigger(const std::string& name) {
  std::lock_guard lock(write_mu_);
  bool existed = false;
  Status st = InWriteTransaction([&]() -> Status {
    for (const char* sql : {"DELETE FROM trigger_occurrences WHERE trigger = ?1",
                            "DELETE FROM triggers WHERE name = ?1"}) {
      STEPFLOW_ASSIGN_OR_RETURN(Statement s, Statement::Prepare(writer_.get(), sql));
      s.BindText(1, name);
      STEPFLOW_RETURN_IF_ERROR(sqlite::Run(s, "delete trigger ", name));
    }
    existed = sqlite3_changes(writer_.get()) > 0;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return existed;
}

Status SqliteStore::RecordOccurrences(const std::vector<TriggerOccurrence>& occurrences) {
  if (occurrences.empty()) return Status::Ok();
  std::lock_guard lock(write_mu_);
  std::vector<const TriggerOccurrence*> batch;
  for (const TriggerOccurrence& o : occurrences) batch.push_back(&o);
  return InWriteTransaction(
      [&]() -> Status { return InsertOccurrences(batch, /*replace_unstarted=*/false); });
}

Result<std::map<std::string, int64_t>> SqliteStore::CountOccurrences(const std::string& trigger) {
  std::lock_guard lock(read_mu_);
  STEPFLOW_ASSIGN_OR_RETURN(
      Statement s,
      Statement::Prepare(reader_.get(), "SELECT outcome, COUNT(*) FROM trigger_occurrences "
                                        "WHERE trigger = ?1 GROUP BY outcome"));
  s.BindText(1, trigger);
  std::map<std::string, int64_t> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "count occurrences of trigger ", trigger,
                                      [&] { out[s.Text(0)] = s.Int(1); }));
  return out;
}

Result<std::vector<TriggerOccurrence>> SqliteStore::ListOccurrences(const std::string& trigger,
                                                                   int64_t limit) {
  std::lock_guard lock(read_mu_);
  STEPFLOW_ASSIGN_OR_RETURN(
      Statement s,
      Statement::Prepare(reader_.get(), std::string("SELECT ") + kOccurrenceColumns +
                                            " FROM trigger_occurrences WHERE trigger = ?1 "
                                            "ORDER BY scheduled_ms DESC, key DESC LIMIT ?2"));
  s.BindText(1, trigger);
  s.BindInt(2, limit > 0 ? limit : -1);
  std::vector<TriggerOccurrence> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "list occurrences of trigger ", trigger,
                                      [&] { out.push_back(ReadOccurrence(s)); }));
  return out;
}

Result<std::optional<TriggerOccurrence>> SqliteStore::FindOccurrence(const std::string& trigger,
                                                                    const std::string& key) {
  std::lock_guard lock(read_mu_);
  STEPFLOW_ASSIGN_OR_RETURN(
      Statement s,
      Statement::Prepare(reader_.get(), std::string("SELECT ") + kOccurrenceColumns +
                                            " FROM trigger_occurrences WHERE trigger = ?1 AND "
                                            "key = ?2"));
  s.BindText(1, trigger);
  s.BindText(2, key);
  std::optional<TriggerOccurrence> found;
  STEPFLOW_RETURN_IF_ERROR(
      ForEachRow(s, "read occurrence ", key, [&] { found = ReadOccurrence(s); }));
  return found;
}

// Why did the conditional UPDATE of `step`'s execution change no row?
Status SqliteStore::CheckUpdatedExecution(const StepCommit& step) {
  const std::string& id = step.execution.id;
  Statement& s = w_.stored_next_event_id;
  s.BindText(1, id);
  std::optional<int64_t> stored;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "read execution ", id, [&] { stored = s.Int(0); }));
  if (!stored) return ExecutionNotFound(id);
  return HistoryMismatch(id, *stored, FirstEventId(step));
}

// Which UNIQUE constraint did the insert of `ex` violate?
Status SqliteStore::DuplicateExecution(const ExecutionRecord& ex) {
  Statement& s = w_.stored_next_event_id;
  s.BindText(1, ex.id);
  bool id_taken = false;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "read execution ", ex.id, [&] { id_taken = true; }));
  return id_taken ? DuplicateExecutionId(ex.id) : DuplicateExecutionName(ex.machine, ex.name);
}

// In the batch's transaction: a DeleteStateMachine that committed since the
// start (or redrive) was checked is seen here, and one that comes later
// finds the execution RUNNING and is refused.
Status SqliteStore::RequireVersion(const ExecutionRecord& ex) {
  Statement& s = w_.version_exists;
  s.BindText(1, ex.machine);
  s.BindInt(2, ex.version);
  bool exists = false;
  STEPFLOW_RETURN_IF_ERROR(
      ForEachRow(s, "read state machine ", ex.machine, [&] { exists = true; }));
  return exists ? Status::Ok() : StateMachineVersionMissing(ex.machine, ex.version);
}

Status SqliteStore::ApplyStep(const StepCommit& step) {
  const ExecutionRecord& ex = step.execution;
  int64_t seq = 0;  // executions.seq, the history's key
  if (step.create) {
    STEPFLOW_RETURN_IF_ERROR(RequireVersion(ex));
    Statement& s = w_.insert_execution;
    s.BindText(1, ex.id);
    s.BindText(2, ex.machine);
    s.BindInt(3, ex.version);
    s.BindText(4, ex.name);
    s.BindText(5, ex.status);
    s.BindText(6, ex.input);
    s.BindText(7, ex.output);
    s.BindText(8, ex.error);
    s.BindText(9, ex.cause);
    s.BindBlob(10, ex.state);
    s.BindInt(11, ex.next_event_id);
    s.BindInt(12, ex.redrive_count);
    s.BindInt(13, ex.start_ms);
    s.BindInt(14, ex.stop_ms);
    s.BindInt(15, ex.redrive_ms);
    BindTextOrNull(s, 16, ex.parent_id);
    BindTextOrNull(s, 17, ex.parent_task);
    StatementReset reset(s);
    int rc = s.Step();
    if (IsDuplicateKey(rc)) return DuplicateExecution(ex);
    if (rc != SQLITE_DONE) return ErrorStatus(writer_.get(), rc, "store execution " + ex.id);
    seq = sqlite3_last_insert_rowid(writer_.get());
  } else {
    Statement& s = w_.update_execution;
    s.BindText(1, ex.id);
    s.BindText(2, ex.status);
    s.BindText(3, ex.output);
    s.BindText(4, ex.error);
    s.BindText(5, ex.cause);
    s.BindBlob(6, ex.state);
    s.BindInt(7, ex.next_event_id);
    s.BindInt(8, ex.redrive_count);
    s.BindInt(9, ex.stop_ms);
    s.BindInt(10, ex.redrive_ms);
    s.BindInt(11, FirstEventId(step));
    std::optional<int64_t> updated;
    bool status_changed = false;
    bool reopened = false;
    bool parent_task_changed = false;
    STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "store execution ", ex.id, [&] {
      updated = s.Int(0);
      const std::string stored_status = s.Text(1);  // update_status has not run yet
      status_changed = stored_status != ex.status;
      reopened = stored_status != kRunning && ex.status == kRunning;
      parent_task_changed = s.Text(2) != ex.parent_task;  // NULL reads as ""
    }));
    if (!updated) return CheckUpdatedExecution(step);
    seq = *updated;
    // Reopened (a redrive): as for a create, its machine version must still
    // be stored. The batch is rolled back on this error.
    if (reopened) STEPFLOW_RETURN_IF_ERROR(RequireVersion(ex));
    if (status_changed) {
      w_.update_status.BindInt(1, seq);
      w_.update_status.BindText(2, ex.status);
      STEPFLOW_RETURN_IF_ERROR(sqlite::Run(w_.update_status, "store execution ", ex.id));
    }
    if (parent_task_changed) {
      w_.update_parent_task.BindInt(1, seq);
      BindTextOrNull(w_.update_parent_task, 2, ex.parent_task);
      STEPFLOW_RETURN_IF_ERROR(sqlite::Run(w_.update_parent_task, "store execution ", ex.id));
    }
  }

  if (!step.events.empty()) {
    Statement& s = w_.insert_event;
    s.BindInt(1, seq);  // bindings survive the per-event resets
    for (const HistoryEvent& e : step.events) {
      s.BindInt(2, e.id);
      s.BindInt(3, e.previous_event_id);
      s.BindInt(4, e.timestamp_ms);
      s.BindText(5, e.type);
      s.BindText(6, e.state_path);
      s.BindText(7, e.details);
      int rc = s.Step();
      s.Reset();
      if (IsDuplicateKey(rc)) {
        // The execution row said otherwise: the file holds inconsistent data.
        return Status(StatusCode::kDataLoss, "execution " + ex.id + ": event " +
                                                 std::to_string(e.id) +
                                                 " is already stored beyond next_event_id");
      }
      if (rc != SQLITE_DONE) return ErrorStatus(writer_.get(), rc, "store history of " + ex.id);
    }
  }

  if (ex.state.empty() && !step.create) {
    w_.delete_parts.BindText(1, ex.id);
    STEPFLOW_RETURN_IF_ERROR(sqlite::Run(w_.delete_parts, "remove checkpoint parts of ", ex.id));
  }
  for (const auto& [key, data] : step.parts_put) {
    Statement& s = w_.put_part;
    s.BindText(1, ex.id);
    s.BindText(2, key);
    s.BindBlob(3, data);
    STEPFLOW_RETURN_IF_ERROR(sqlite::Run(s, "store checkpoint part of ", ex.id));
  }

  // Removals first, so a step may replace a task or timer by removing and
  // adding the same id.
  for (const std::string& task_id : step.tasks_removed) {
    w_.delete_task.BindText(1, task_id);
    w_.delete_task.BindText(2, ex.id);
    STEPFLOW_RETURN_IF_ERROR(sqlite::Run(w_.delete_task, "remove task ", task_id));
  }
  for (const std::string& timer_id : step.timers_removed) {
    w_.delete_timer.BindText(1, ex.id);
    w_.delete_timer.BindText(2, timer_id);
    STEPFLOW_RETURN_IF_ERROR(sqlite::Run(w_.delete_timer, "remove timer ", timer_id));
  }
  for (const TaskRecord& t : step.tasks_added) {
    Statement& s = w_.insert_task;
    s.BindText(1, t.id);
    s.BindText(2, ex.id);
    s.BindText(3, t.state_path);
    s.BindInt(4, t.attempt);
    s.BindText(5, t.resource);
    s.BindText(6, t.input);
    s.BindText(7, t.status);
    s.BindInt(8, t.visible_at_ms);
    StatementReset reset(s);
    int rc = s.Step();
    if (IsDuplicateKey(rc)) return DuplicateTask(t.id);
    if (rc != SQLITE_DONE) return ErrorStatus(writer_.get(), rc, "store task " + t.id);
  }
  for (const TimerRecord& t : step.timers_added) {
    Statement& s = w_.insert_timer;
    s.BindText(1, ex.id);
    s.BindText(2, t.id);
    s.BindInt(3, t.fire_at_ms);
    s.BindText(4, t.kind);
    s.BindBlob(5, t.payload);
    StatementReset reset(s);
    int rc = s.Step();
    if (IsDuplicateKey(rc)) return DuplicateTimer(ex.id, t.id);
    if (rc != SQLITE_DONE) return ErrorStatus(writer_.get(), rc, "store timer " + t.id);
  }
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteStore::GetCheckpointParts(
    const std::string& execution_id) {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.get_parts;
  s.BindText(1, execution_id);
  std::vector<std::pair<std::string, std::string>> parts;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "read checkpoint parts of ", execution_id,
                                      [&] { parts.emplace_back(s.Text(0), s.Blob(1)); }));
  return parts;
}

Result<ExecutionRecord> SqliteStore::GetExecution(const std::string& id) {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.get_execution;
  s.BindText(1, id);
  std::optional<ExecutionRecord> found;
  STEPFLOW_RETURN_IF_ERROR(
      ForEachRow(s, "read execution ", id, [&] { found = ReadExecution(s, true); }));
  if (!found) return ExecutionNotFound(id);
  return *std::move(found);
}

Result<std::optional<ExecutionRecord>> SqliteStore::FindExecutionByName(const std::string& machine,
                                                                        const std::string& name) {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.find_execution;
  s.BindText(1, machine);
  s.BindText(2, name);
  std::optional<ExecutionRecord> found;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "read execution of machine ", machine,
                                      [&] { found = ReadExecution(s, true); }));
  return found;
}

Result<std::vector<ExecutionRecord>> SqliteStore::ListExecutions(const ExecutionFilter& filter) {
  std::lock_guard lock(read_mu_);
  const bool cursor = !filter.after_id.empty();
  Statement& s =
      r_.list_executions[(filter.machine.empty() ? 0 : 1) + (filter.status.empty() ? 0 : 2) +
                         (cursor ? 4 : 0) + (filter.newest_first ? 8 : 0)];
  if (cursor) {
    Statement& start = r_.execution_start;
    start.BindText(1, filter.after_id);
    std::optional<int64_t> start_ms;
    STEPFLOW_RETURN_IF_ERROR(
        ForEachRow(start, "list executions", {}, [&] { start_ms = start.Int(0); }));
    if (!start_ms) return UnknownPagingCursor(filter.after_id);
    s.BindInt(3, *start_ms);
    s.BindText(4, filter.after_id);
  }
  s.BindText(1, filter.machine);
  s.BindText(2, filter.status);
  s.BindInt(5, filter.limit > 0 ? filter.limit : -1);
  std::vector<ExecutionRecord> out;
  STEPFLOW_RETURN_IF_ERROR(
      ForEachRow(s, "list executions", {}, [&] { out.push_back(ReadExecution(s, false)); }));
  return out;
}

Result<std::vector<ExecutionCount>> SqliteStore::CountExecutions() {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.count_executions;
  std::vector<ExecutionCount> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "count executions", {}, [&] {
    out.push_back({s.Text(0), s.Text(1), s.Int(2)});
  }));
  return out;
}

Result<std::vector<ExecutionRecord>> SqliteStore::ListUnfinished() {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.list_unfinished;
  std::vector<ExecutionRecord> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "list unfinished executions", {},
                                      [&] { out.push_back(ReadExecution(s, true)); }));
  return out;
}

Result<std::optional<ExecutionRecord>> SqliteStore::FindExecutionByParentTask(
    const std::string& task_key) {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.find_by_parent_task;
  s.BindText(1, task_key);
  std::optional<ExecutionRecord> found;
  STEPFLOW_RETURN_IF_ERROR(
      ForEachRow(s, "read execution of task ", task_key, [&] { found = ReadExecution(s, true); }));
  return found;
}

Result<std::vector<ExecutionRecord>> SqliteStore::ListChildExecutions(
    const std::string& parent_id) {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.list_children;
  s.BindText(1, parent_id);
  std::vector<ExecutionRecord> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "list child executions of ", parent_id,
                                      [&] { out.push_back(ReadExecution(s, false)); }));
  return out;
}

Status SqliteStore::RequireExecution(const std::string& id) {
  Statement& s = r_.execution_exists;
  s.BindText(1, id);
  bool found = false;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "read execution ", id, [&] { found = true; }));
  return found ? Status::Ok() : ExecutionNotFound(id);
}

Result<std::vector<HistoryEvent>> SqliteStore::GetHistory(const std::string& execution_id,
                                                          const HistoryQuery& query) {
  std::lock_guard lock(read_mu_);
  Statement& s = query.reverse ? r_.history_reverse : r_.history_forward;
  s.BindText(1, execution_id);
  if (query.reverse) {
    s.BindInt(
        2, query.after_event_id > 0 ? query.after_event_id : std::numeric_limits<int64_t>::max());
  } else {
    s.BindInt(2, query.after_event_id);
  }
  s.BindInt(3, query.limit > 0 ? query.limit : -1);
  std::vector<HistoryEvent> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "read history of ", execution_id, [&] {
    out.push_back(HistoryEvent{s.Int(0), s.Int(1), s.Int(2), s.Text(3), s.Text(4), s.Text(5)});
  }));
  if (out.empty()) STEPFLOW_RETURN_IF_ERROR(RequireExecution(execution_id));
  return out;
}

Result<std::vector<TaskRecord>> SqliteStore::ListTasks(const std::string& execution_id) {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.list_tasks;
  s.BindText(1, execution_id);
  std::vector<TaskRecord> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "list tasks of ", execution_id, [&] {
    out.push_back(TaskRecord{s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Text(4), s.Text(5),
                             s.Text(6), s.Int(7)});
  }));
  if (out.empty()) STEPFLOW_RETURN_IF_ERROR(RequireExecution(execution_id));
  return out;
}

Result<std::vector<TimerRecord>> SqliteStore::ListTimers(const std::string& execution_id) {
  std::lock_guard lock(read_mu_);
  Statement& s = r_.list_timers;
  s.BindText(1, execution_id);
  std::vector<TimerRecord> out;
  STEPFLOW_RETURN_IF_ERROR(ForEachRow(s, "list timers of ", execution_id, [&] {
    out.push_back(TimerRecord{s.Text(0), s.Text(1), s.Int(2), s.Text(3), s.Blob(4)});
  }));
  if (out.empty()) STEPFLOW_RETURN_IF_ERROR(RequireExecution(execution_id));
  return out;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options) {
  if (path.empty() || path == ":memory:") {
    return Status::InvalidArgument("OpenSqliteStore needs a file path, not \"" + path +
                                   "\" (use the in-memory store)");
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument("cannot open " + path + ": is a directory");
  }
  STEPFLOW_ASSIGN_OR_RETURN(ConnectionPtr writer,
                            OpenConnection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  if (sqlite3_db_readonly(writer.get(), "main") == 1) {
    return Status::FailedPrecondition("cannot open " + path + ": the file is read-only");
  }
  STEPFLOW_RETURN_IF_ERROR(sqlite::PrepareSchema(writer.get(), path));
  const char* synchronous = options.durability == SqliteOptions::Durability::kFull
                                ? "PRAGMA synchronous = FULL"
                                : "PRAGMA synchronous = NORMAL";
  STEPFLOW_RETURN_IF_ERROR(sqlite::Exec(writer.get(), synchronous, "cannot open " + path));
  // A larger page cache for the writer keeps the hot index pages of big
  // batches in memory (64 MiB; negative = KiB).
  STEPFLOW_RETURN_IF_ERROR(
      sqlite::Exec(writer.get(), "PRAGMA cache_size = -65536", "cannot open " + path));
  STEPFLOW_ASSIGN_OR_RETURN(ConnectionPtr reader, OpenConnection(path, SQLITE_OPEN_READONLY));
  auto store = std::make_unique<SqliteStore>(path, std::move(writer), std::move(reader));
  STEPFLOW_RETURN_IF_ERROR(store->Prepare());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace stepflow::store
