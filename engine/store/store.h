// The Store: where executions, their history and their pending work live.
//
// The runtime sees storage only through this interface (ARCHITECTURE §3-§4).
// Two implementations pass the same test suite (tests/unit/store/):
//   OpenSqliteStore  - SQLite, WAL, one writer connection (sqlite_store.h)
//   NewMemoryStore   - in memory, for tests and `--db :memory:` (memory_store.h)
//
// Every step of an execution is one StepCommit: the history events it
// appended, the execution row's new values, and the tasks and timers it
// added or removed. Commit() applies a batch of StepCommits (usually of many
// executions: group commit) in ONE transaction: all or nothing.
//
// Thread-safety: every method may be called from any thread; the
// implementation serialises writers. Reads may run concurrently with writes
// and see only committed data.
#pragma once

#include <cstdint>
#include <memory>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/common/status.h"

namespace stepflow::store {

// Execution status names, exactly as Step Functions spells them.
inline constexpr const char* kRunning = "RUNNING";
inline constexpr const char* kSucceeded = "SUCCEEDED";
inline constexpr const char* kFailed = "FAILED";
inline constexpr const char* kTimedOut = "TIMED_OUT";
inline constexpr const char* kAborted = "ABORTED";

struct StateMachineVersion {
  std::string machine;     // the state machine's name (unique)
  int64_t version = 0;     // 1, 2, ... per machine
  std::string definition;  // the definition text as submitted (JSON or YAML)
  std::string sha256;      // content hash of the canonical definition
  int64_t created_ms = 0;  // Unix epoch milliseconds
};

// One immutable version of a function in the catalog.
struct FunctionVersion {
  std::string name;
  int64_t version = 0;         // 1, 2, ... per function (set by the store)
  std::string kind = "grpc";   // "grpc": a FunctionService endpoint; "package": deployed code
  std::string target;          // "grpc": HOST:PORT or unix:/PATH; "package": the code's hash
  std::string source = "api";  // who registered it: "api", "file" or "deploy"
  int64_t created_ms = 0;
  std::string config;          // "package": its settings as JSON (functions/deployed.h)
  bool unchanged = false;      // PutFunctionVersion: the newest version already was this
};

// A named pointer to one version of a function ("prod" -> 3).
struct FunctionAlias {
  std::string function;
  std::string alias;
  int64_t version = 0;
};

// The newest failed deploy of a function, kept until one succeeds.
struct DeployFailure {
  std::string name;
  int64_t created_ms = 0;
  std::string message;  // the build's or the loader's own output
};

// What a deployed function's instance wrote during one call.
struct FunctionLog {
  int64_t id = 0;  // set by the store, ascending
  std::string function;
  int64_t version = 0;
  std::string execution_id;     // "" outside an execution
  std::string idempotency_key;  // the call's
  int64_t created_ms = 0;
  std::string text;
};

struct FunctionLogQuery {
  std::string function;      // "" = any
  std::string execution_id;  // "" = any
  std::string call;          // an idempotency key; "" = any
  int64_t after_id = 0;      // rows with id > this
  int64_t limit = 0;         // 0 = all
};

struct ExecutionRecord {
  std::string id;  // unique across the store
  std::string machine;
  int64_t version = 0;                // pinned state machine version
  std::string name;                   // unique per machine
  std::string status;                 // kRunning, kSucceeded, ...
  std::string input;                  // JSON text
  std::optional<std::string> output;  // JSON text; set when SUCCEEDED
  std::optional<std::string> error;   // set when FAILED / TIMED_OUT / ABORTED
  std::optional<std::string> cause;
  std::string state;          // the runtime's checkpoint (opaque bytes, may be binary)
  int64_t next_event_id = 1;  // id the next history event will get
  int64_t redrive_count = 0;
  int64_t start_ms = 0;
  std::optional<int64_t> stop_ms;
  std::optional<int64_t> redrive_ms;
  // Nested executions: the execution that started this one ("" = none),
  // and the idempotency key of the parent's Task that started it
  // ("<parent id>/<event id>"; "" when started otherwise, e.g. through the
  // API with AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID in the input). Set
  // on create; parent_task may change later (a redriven child is taken over
  // by the parent's new Task).
  std::string parent_id;
  std::string parent_task;
};

struct HistoryEvent {
  int64_t id = 0;  // dense from 1 per execution
  int64_t previous_event_id = 0;
  int64_t timestamp_ms = 0;
  std::string type;        // "ExecutionStarted", "TaskStateEntered", ...
  std::string state_path;  // "" at top level, "Fanout[2]/Charge" inside bodies
  std::string details;     // JSON object text: the <type>EventDetails body
};

// A Task invocation that was scheduled and has no committed result yet
// (the outbox). `id` is the invocation's idempotency key,
// "<execution id>/<TaskScheduled event id>"; it must start with the
// execution id and a slash (kInvalidArgument otherwise).
struct TaskRecord {
  std::string id;
  std::string execution_id;
  std::string state_path;
  int64_t attempt = 0;
  std::string resource;
  std::string input;  // JSON text
  std::string status = "SCHEDULED";
  int64_t visible_at_ms = 0;
};

struct TimerRecord {
  std::string id;  // unique per execution
  std::string execution_id;
  int64_t fire_at_ms = 0;
  std::string kind;     // "wait", "retry", "timeout", ...
  std::string payload;  // runtime-defined
};

// A trigger (a schedule or a webhook) that starts executions of a state
// machine. What it starts, when and with which policies is its spec, JSON
// the triggers module reads; the store keeps it as text.
struct TriggerRecord {
  std::string name;
  std::string spec;
  bool paused = false;
  int64_t created_ms = 0;  // kept from the first PutTrigger
  int64_t updated_ms = 0;
};

// What became of one occurrence of a trigger, recorded once per key: a
// second record of the same (trigger, key) is refused, so an occurrence
// starts at most one execution however often it is decided.
struct TriggerOccurrence {
  std::string trigger;
  std::string key;           // the scheduled time (RFC 3339, UTC) or a webhook's idempotency key
  int64_t scheduled_ms = 0;  // when it was due (a webhook: when it was received)
  std::string outcome;       // "STARTED", "SKIPPED", "MISSED", "FAILED", ...
  std::string execution_id;  // the execution it started; "" for none
  std::string detail;        // why (the overlap policy, the error)
  int64_t recorded_ms = 0;
};

// One step of one execution, applied atomically with the others in a batch.
struct StepCommit {
  // The execution row after the step. Its id names the execution; the row
  // must exist (CreateExecution) unless `create` is set.
  ExecutionRecord execution;
  bool create = false;               // insert the row (fails with kAlreadyExists on a
                                     // duplicate id or machine+name)
  std::vector<HistoryEvent> events;  // appended; ids must continue the list
  std::vector<TaskRecord> tasks_added;
  std::vector<std::string> tasks_removed;  // task ids of this execution
  std::vector<TimerRecord> timers_added;
  std::vector<std::string> timers_removed;  // timer ids of this execution
  // Pieces of the checkpoint kept apart from the row (a large fan-out's
  // children in chunks, its input), by key; a put replaces the piece. When
  // the row keeps no checkpoint (state empty: the execution succeeded),
  // every piece of the execution is removed.
  std::vector<std::pair<std::string, std::string>> parts_put;
  // Trigger occurrences recorded with the step (the one that starts the
  // execution): an occurrence already recorded as STARTED fails the whole
  // batch with kAlreadyExists, so the execution is not created either; one
  // recorded with another outcome (SKIPPED, MISSED, FAILED: started later
  // by a backfill or a retry) is replaced.
  std::vector<TriggerOccurrence> occurrences;
};

struct ExecutionFilter {
  std::string machine;   // "" = any
  std::string status;    // "" = any
  int64_t limit = 1000;  // <= 0 = no limit
  // Paging: the id of the last record of the previous page; the list
  // continues after that record in the list's order. "" = from the start;
  // an id that is not stored is kInvalidArgument.
  std::string after_id;
  // The order: (start_ms, id) ascending, or with newest_first descending
  // (Step Functions lists executions newest first).
  bool newest_first = false;
};

// How many executions of one machine have one status (Store::CountExecutions).
struct ExecutionCount {
  std::string machine;
  std::string status;
  int64_t count = 0;
};

// The tag resource keys of state machines and activities (Store::TagResource):
// deleting one deletes the tags under its key.
inline std::string StateMachineTagResource(const std::string& machine) {
  return "stateMachine:" + machine;
}
inline std::string ActivityTagResource(const std::string& activity) {
  return "activity:" + activity;
}

// An activity (Step Functions CreateActivity): a name workers poll for tasks.
struct ActivityRecord {
  std::string name;
  int64_t created_ms = 0;
};

struct HistoryQuery {
  int64_t after_event_id = 0;  // events with id > this (or < this when reverse and > 0)
  int64_t limit = 0;           // 0 = all
  bool reverse = false;
};

class Store {
 public:
  virtual ~Store() = default;

  // State machines. PutStateMachineVersion creates the machine when needed
  // and returns the new version number; when the newest version has the
  // same sha256 it returns that version instead of adding one.
  virtual Result<int64_t> PutStateMachineVersion(const std::string& machine,
                                                 const std::string& definition,
                                                 const std::string& sha256, int64_t now_ms) = 0;
  // version 0 = the newest. kNotFound when missing.
  virtual Result<StateMachineVersion> GetStateMachineVersion(const std::string& machine,
                                                             int64_t version) = 0;
  virtual Result<std::vector<std::string>> ListStateMachines() = 0;
  // Every version of `machine`, oldest first. kNotFound when the machine is missing.
  virtual Result<std::vector<StateMachineVersion>> ListStateMachineVersions(
      const std::string& machine) = 0;
  // Deletes `machine`, its versions and its tags (resource
  // "stateMachine:<machine>"). With purge_executions its executions go too,
  // with their history, tasks, timers and checkpoint pieces; without, they
  // are kept (closed: their rows and history stay readable, as Step
  // Functions keeps them, and no new execution can be created for the
  // machine, see Commit). kNotFound when missing; kFailedPrecondition
  // (nothing deleted) while one of its executions is RUNNING.
  //
  // A machine created again under the same name starts at version 1 again:
  // kept executions of the deleted machine still name their (machine,
  // version), which may then be a version of the new machine with another
  // definition, and still hold their names (a new execution may not reuse
  // one). Callers that load an execution's definition (redrive) find the
  // new version or none.
  virtual Status DeleteStateMachine(const std::string& machine, bool purge_executions) = 0;

  // Activities. PutActivity creates the activity, or returns the stored one
  // (with its first created_ms) when it exists. GetActivity: kNotFound when
  // missing. ListActivities: by name. DeleteActivity also deletes its tags
  // (resource "activity:<name>"); false when it did not exist. Activities
  // are independent of the tasks waiting on them: deleting one leaves
  // executions and their Tasks as they are.
  virtual Result<ActivityRecord> PutActivity(const std::string& name, int64_t now_ms) = 0;
  virtual Result<ActivityRecord> GetActivity(const std::string& name) = 0;
  virtual Result<std::vector<ActivityRecord>> ListActivities() = 0;
  virtual Result<bool> DeleteActivity(const std::string& name) = 0;

  // Tags (key -> value) of a resource, named by an opaque string the caller
  // chooses ("stateMachine:NAME", "activity:NAME"); the store does not check
  // that the resource exists. TagResource adds or replaces the given tags
  // (a key given twice: the last value wins) in one transaction; when the
  // resource would then have more than max_tags tags it changes nothing and
  // returns kResourceExhausted. UntagResource removes the given keys
  // (missing ones are ignored). ListTags: by key; empty for an unknown
  // resource.
  virtual Status TagResource(const std::string& resource,
                             const std::vector<std::pair<std::string, std::string>>& tags,
                             size_t max_tags) = 0;
  virtual Status UntagResource(const std::string& resource,
                               const std::vector<std::string>& keys) = 0;
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListTags(
      const std::string& resource) = 0;

  // The function catalog (engine/functions/catalog.h keeps the rules; names
  // and targets are checked there). Every registration of a function is an
  // immutable version 1, 2, ...: PutFunctionVersion adds version newest+1,
  // unless the newest version has the same kind, target and config, which
  // is returned instead (with `unchanged` set).
  virtual Result<FunctionVersion> PutFunctionVersion(const FunctionVersion& version) = 0;
  // Every version of every function, by name then version.
  virtual Result<std::vector<FunctionVersion>> ListFunctionVersions() = 0;
  // Sets alias -> version; kNotFound when that version does not exist.
  virtual Status PutFunctionAlias(const FunctionAlias& alias) = 0;
  // True when the alias existed.
  virtual Result<bool> RemoveFunctionAlias(const std::string& function,
                                           const std::string& alias) = 0;
  // By function, then alias.
  virtual Result<std::vector<FunctionAlias>> ListFunctionAliases() = 0;
  // Removes a function with its versions and aliases; true when it existed.
  virtual Result<bool> RemoveFunction(const std::string& name) = 0;
  // Service integrations mapped to functions ("sns:publish" -> "notifier:prod").
  virtual Status PutIntegration(const std::string& integration, const std::string& function) = 0;
  virtual Result<bool> RemoveIntegration(const std::string& integration) = 0;
  // Sorted by integration.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListIntegrations() = 0;
  // Deploys that failed: Put replaces the function's previous one, Clear
  // (after a deploy that worked) drops it. RemoveFunction drops it too.
  virtual Status PutDeployFailure(const DeployFailure& failure) = 0;
  virtual Status ClearDeployFailure(const std::string& name) = 0;
  virtual Result<std::vector<DeployFailure>> ListDeployFailures() = 0;  // by name
  // Output of deployed functions' calls; ids are assigned in order. Rows are
  // kept when a function is removed (an execution's history still shows them).
  virtual Status AppendFunctionLogs(const std::vector<FunctionLog>& logs) = 0;
  virtual Result<std::vector<FunctionLog>> ListFunctionLogs(const FunctionLogQuery& query) = 0;

  // Applies every step in one transaction; on any failure nothing is applied.
  // Steps apply in order, so a batch may hold several steps of one execution
  // (and its create). Per step:
  //   - kNotFound when a step with `create`, or a step setting a stored
  //     closed execution RUNNING again (a redrive), names a (machine,
  //     version) that is not stored: the machine was deleted after the start
  //     or redrive was checked. The check is in the same transaction as the
  //     write, so a start or redrive racing a DeleteStateMachine never
  //     leaves a RUNNING execution of a deleted machine;
  //   - kAlreadyExists for a duplicate execution (id, or machine+name), or a
  //     task id / timer id (per execution) that is already stored;
  //   - kNotFound when a step without `create` names an unknown execution;
  //   - kFailedPrecondition when the event ids do not continue the stored
  //     history: they must be dense, the first must equal the stored
  //     next_event_id (1 for `create`; with no events, execution.next_event_id
  //     must equal it), and execution.next_event_id must be one past the last;
  //   - kInvalidArgument for an empty execution id or a task/timer whose
  //     execution_id names another execution ("" means this one).
  // Without `create` only status, output, error, cause, state, next_event_id,
  // redrive_count, stop_ms, redrive_ms and parent_task of the row change. Removals apply
  // before additions (remove + add of one id replaces it); removing an id that
  // is not stored for this execution is not an error.
  virtual Status Commit(const std::vector<StepCommit>& steps) = 0;
  // The checkpoint pieces of an execution (StepCommit::parts_put), by key.
  virtual Result<std::vector<std::pair<std::string, std::string>>> GetCheckpointParts(
      const std::string& execution_id) = 0;

  // kNotFound when missing.
  virtual Result<ExecutionRecord> GetExecution(const std::string& id) = 0;
  virtual Result<std::optional<ExecutionRecord>> FindExecutionByName(const std::string& machine,
                                                                     const std::string& name) = 0;
  // Ordered by start time, then id (both descending with
  // filter.newest_first). Records returned by List* omit `state`. Lists
  // executions of deleted machines too (DeleteStateMachine without purge).
  virtual Result<std::vector<ExecutionRecord>> ListExecutions(const ExecutionFilter& filter) = 0;
  // Every RUNNING execution, with `state`.
  virtual Result<std::vector<ExecutionRecord>> ListUnfinished() = 0;

  // Triggers. PutTrigger inserts or replaces by name (created_ms stays the
  // first put's). GetTrigger: kNotFound when missing. ListTriggers: by name.
  // DeleteTrigger also deletes its occurrences; false when it did not exist.
  virtual Status PutTrigger(const TriggerRecord& trigger) = 0;
  virtual Result<TriggerRecord> GetTrigger(const std::string& name) = 0;
  virtual Result<std::vector<TriggerRecord>> ListTriggers() = 0;
  virtual Result<bool> DeleteTrigger(const std::string& name) = 0;
  // Occurrences that start no execution (skipped, missed, failed to start),
  // in one transaction: a (trigger, key) already recorded, or given twice,
  // is kAlreadyExists and nothing is recorded. (Those that start one go in
  // the StepCommit that creates it.)
  virtual Status RecordOccurrences(const std::vector<TriggerOccurrence>& occurrences) = 0;
  // A trigger's occurrences, latest scheduled first (then key), at most
  // `limit` (<= 0: all).
  virtual Result<std::vector<TriggerOccurrence>> ListOccurrences(const std::string& trigger,
                                                                 int64_t limit) = 0;
  // How many occurrences of `trigger` each outcome has ("STARTED" → n, ...).
  virtual Result<std::map<std::string, int64_t>> CountOccurrences(const std::string& trigger) = 0;
  // The occurrence recorded under `key`, if any.
  virtual Result<std::optional<TriggerOccurrence>> FindOccurrence(const std::string& trigger,
                                                                  const std::string& key) = 0;
  // The number of executions per machine and status, ordered by both.
  virtual Result<std::vector<ExecutionCount>> CountExecutions() = 0;
  // Nested executions. The execution whose parent_task is `task_key`, if any.
  virtual Result<std::optional<ExecutionRecord>> FindExecutionByParentTask(
      const std::string& task_key) = 0;
  // Executions whose parent_id is `parent_id`, by start time then id
  // (without `state`).
  virtual Result<std::vector<ExecutionRecord>> ListChildExecutions(
      const std::string& parent_id) = 0;

  // Ascending ids (descending when reverse). The three calls below return
  // kNotFound for an unknown execution; tasks and timers come ordered by id.
  virtual Result<std::vector<HistoryEvent>> GetHistory(const std::string& execution_id,
                                                       const HistoryQuery& query) = 0;
  virtual Result<std::vector<TaskRecord>> ListTasks(const std::string& execution_id) = 0;
  virtual Result<std::vector<TimerRecord>> ListTimers(const std::string& execution_id) = 0;
};

}  // namespace stepflow::store
