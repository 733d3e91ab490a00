// The control plane without a transport: every operation of the API once,
// on plain structs, answering Result/Status. The gRPC service (rpc/) and the
// Step Functions HTTP API (http/) are thin adapters over it: each converts
// its wire format to these calls and a Status to its own error shape, once.
//
// Rules kept here and nowhere else: size limits, names, page tokens,
// create-versus-update of definitions, the stop and redrive preconditions,
// activities, tags and the redrive client tokens.
//
// Writes (StartExecution, StopExecution, RedriveExecution, SendTask*) are
// answered through a callback once the engine has committed them: no thread
// waits for a commit. The callback runs on the executor's loop thread (or on
// the caller's when answered at once) and must not block.
//
// Errors: the Status code says what class of failure it is; reason() names
// the Step Functions error where one applies ("InvalidName",
// "ExecutionDoesNotExist", "StateMachineAlreadyExists", ...).
//
//   api::ControlPlane plane(executor, store, catalog);
//   plane.StartExecution({.machine = "orders", .input = "{}"},
//                        [](Result<api::Started> r) { ... });
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/asl/diagnostic.h"
#include "engine/common/status.h"
#include "engine/functions/catalog.h"
#include "engine/runtime/executor.h"
#include "engine/store/store.h"
#include "engine/triggers/firing.h"
#include "engine/triggers/spec.h"

namespace stepflow::api {

struct Options {
  size_t max_definition_bytes = 1 << 20;       // 1 MiB, as Step Functions
  size_t max_payload_bytes = 256 * 1024;       // execution input, task output
  std::chrono::milliseconds max_poll{60'000};  // the longest activity long poll
  size_t max_tags = 50;                        // per resource, as Step Functions
};

template <typename T>
using Done = std::function<void(Result<T>)>;
using DoneStatus = std::function<void(const Status&)>;

// ---------------------------------------------------------------- machines

struct MachineVersionRef {
  std::string name;
  int64_t version = 0;
  int64_t created_ms = 0;
  bool unchanged = false;  // the definition equals the newest version: nothing added
};

struct MachineDescription {
  store::StateMachineVersion described;          // the version asked for
  std::vector<store::StateMachineVersion> versions;  // every version, oldest first
};

struct MachineSummary {
  std::string name;
  int64_t latest_version = 0;
  int64_t created_ms = 0;  // of the machine's first version still stored
  int64_t updated_ms = 0;  // of its newest version
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_token;  // "" on the last page
};

struct PageRequest {
  int32_t max_results = 0;  // <= 0: the default page
  std::string next_token;
};

struct Validation {
  bool valid = false;
  std::vector<asl::Diagnostic> diagnostics;  // errors, then warnings
};

// -------------------------------------------------------------- executions

struct StartRequest {
  std::string machine;
  int64_t version = 0;  // 0 = the newest
  std::string name;     // "" = a new UUID
  std::string input;    // "" = "{}"
};

struct Started {
  std::string execution_id;  // "<machine>:<name>"
  std::string name;
  int64_t version = 0;
  int64_t start_ms = 0;
  bool already_started = false;  // an idempotent repeat of a running execution's start
};

struct ExecutionDetail {
  store::ExecutionRecord record;
  std::vector<std::string> children;  // executions this one started
};

struct ExecutionQuery {
  std::string machine;  // "" = every machine
  int64_t version = 0;  // 0 = every version
  std::string status;   // "" = any
  PageRequest page;
  bool newest_first = true;
  // "REDRIVEN" / "NOT_REDRIVEN" / "" (any)
  std::string redrive_filter;
  // A machine never stored (and with no executions left) is kNotFound
  // rather than an empty list.
  bool require_machine = false;
};

// Why an execution can or cannot be redriven, as DescribeExecution says it.
struct RedriveInfo {
  bool redrivable = false;
  std::string reason;  // when not
};
RedriveInfo RedriveStatusOf(const store::ExecutionRecord& record);

struct HistoryQuery {
  std::string execution_id;
  int32_t max_results = 0;  // <= 0: 1000
  std::string next_token;
  bool reverse = false;
};

// ---------------------------------------------------------------- triggers

// A trigger as the API shows it (docs/triggers.md).
struct TriggerView {
  std::string name;
  std::string kind;   // "schedule" | "webhook"
  Json description;   // as stored, secrets hidden, with "paused"
  bool paused = false;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  // The next fire times (scheduled time plus jitter), up to ten; none for a
  // paused trigger or a webhook.
  std::vector<int64_t> next_fire_ms;
  std::vector<store::TriggerOccurrence> occurrences;  // latest first
  std::map<std::string, int64_t> counts;              // every occurrence, by outcome
  bool unchanged = false;  // PutTrigger: the same description was stored already
};

struct TriggerRun {
  std::string execution_id;
  int64_t start_ms = 0;
  bool already = false;  // the occurrence had started it before
};

struct Backfill {
  int64_t occurrences = 0;  // in the range
  int64_t started = 0;
  int64_t already = 0;      // started before (an earlier backfill, the schedule itself)
  int64_t failed = 0;
  std::vector<std::string> execution_ids;  // started or found, oldest first
  std::vector<std::string> errors;         // "KEY: why", of the failed ones
};

// --------------------------------------------------------------- the core

class ControlPlane {
 public:
  ControlPlane(runtime::Executor* executor, store::Store* store, functions::Catalog* catalog,
               Options options = {});
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  // New calls get kUnavailable; long polls and waits return.
  void BeginShutdown() { draining_ = true; }
  bool draining() const { return draining_.load(); }
  const Options& options() const { return options_; }
  runtime::Executor* executor() { return executor_; }
  store::Store* store() { return store_; }
  functions::Catalog* catalog() { return catalog_; }

  // State machines. Create: a new machine, or the same definition again
  // (unchanged). Update: a new version of an existing machine.
  Result<MachineVersionRef> CreateStateMachine(const std::string& name,
                                               const std::string& definition);
  Result<MachineVersionRef> UpdateStateMachine(const std::string& name,
                                               const std::string& definition);
  Result<MachineDescription> DescribeStateMachine(const std::string& name, int64_t version);
  Result<Page<MachineSummary>> ListStateMachines(const PageRequest& page);
  // Keeps the machine's closed executions and their history unless `purge`.
  Status DeleteStateMachine(const std::string& name, bool purge = false);
  Result<Validation> ValidateDefinition(const std::string& definition);

  // Executions.
  void StartExecution(const StartRequest& request, Done<Started> done);
  Result<ExecutionDetail> DescribeExecution(const std::string& execution_id);
  Result<Page<store::ExecutionRecord>> ListExecutions(const ExecutionQuery& query);
  // Answers the stop time once ExecutionAborted is committed; a closed
  // execution is kFailedPrecondition (reason ExecutionNotRunning).
  void StopExecution(const std::string& execution_id, const std::string& error,
                     const std::optional<std::string>& cause, Done<int64_t> done);
  // Answers the redrive time once ExecutionRedriven is committed. A repeated
  // `client_token` (within 15 minutes) answers the first redrive again.
  void RedriveExecution(const std::string& execution_id, const std::string& client_token,
                        Done<int64_t> done);
  // One page of events. A token is the id of the last event handed out.
  Result<Page<store::HistoryEvent>> GetHistory(const HistoryQuery& query);
  // Blocks until the execution is no longer RUNNING, `timeout` passes,
  // `cancelled` answers true or the server shuts down; returns the record
  // as it is then (still RUNNING unless it ended).
  Result<store::ExecutionRecord> WaitForEnd(const std::string& execution_id,
                                            std::chrono::milliseconds timeout,
                                            const std::function<bool()>& cancelled);

  // Activities and callbacks.
  Result<store::ActivityRecord> CreateActivity(const std::string& name);
  Result<store::ActivityRecord> DescribeActivity(const std::string& name);
  Result<Page<store::ActivityRecord>> ListActivities(const PageRequest& page);
  Status DeleteActivity(const std::string& name);
  // Blocks up to `wait` (bounded by Options::max_poll) for a task of
  // `activity` (NAME, "activity:NAME" or its ARN); nullopt when none came.
  Result<std::optional<runtime::ActivityTask>> PollActivity(
      const std::string& activity, const std::string& worker_name,
      std::chrono::milliseconds wait, const std::function<bool()>& cancelled);
  void SendTaskSuccess(const std::string& token, const std::string& output, DoneStatus done);
  void SendTaskFailure(const std::string& token, const std::string& error,
                       const std::string& cause, DoneStatus done);
  Status SendTaskHeartbeat(const std::string& token);

  // Tags of a resource: "stateMachine:NAME" or "activity:NAME".
  Status TagResource(const std::string& resource,
                     const std::vector<std::pair<std::string, std::string>>& tags);
  Status UntagResource(const std::string& resource, const std::vector<std::string>& keys);
  // The checks TagResource makes of `tags` alone (lengths, count), for a
  // create that tags what it creates: checked before anything is stored.
  Status CheckTags(const std::vector<std::pair<std::string, std::string>>& tags) const;
  Result<std::vector<std::pair<std::string, std::string>>> ListTags(const std::string& resource);

  // Triggers (engine/triggers/spec.h). PutTrigger reads a description (JSON
  // text): `create_only` refuses an existing name (kAlreadyExists), else it
  // is replaced (an identical one is left as it is: `unchanged`). The
  // machine must exist and a schedule must have an occurrence to come.
  Result<TriggerView> PutTrigger(const std::string& description, bool create_only);
  Result<TriggerView> DescribeTrigger(const std::string& name, int64_t occurrences = 10);
  Result<std::vector<TriggerView>> ListTriggers();
  // Pausing stops the firing; unpausing fires from now on (nothing missed
  // meanwhile is started).
  Result<TriggerView> SetTriggerPaused(const std::string& name, bool paused);
  Status DeleteTrigger(const std::string& name);
  // Starts an execution now (paused or not, whatever runs): with `input` as
  // is, else the trigger's input for a "manual" context.
  void RunTrigger(const std::string& name, const std::optional<std::string>& input,
                  Done<TriggerRun> done);
  // Starts the occurrences of a schedule scheduled in [from_ms, to_ms) that
  // have not started (missed and skipped ones included); safe to repeat.
  void BackfillTrigger(const std::string& name, int64_t from_ms, int64_t to_ms,
                       Done<Backfill> done);
  // A webhook trigger, compiled (kNotFound, or kFailedPrecondition when it
  // is a schedule or paused), and the start of one of its requests.
  Result<std::shared_ptr<const triggers::CompiledTrigger>> WebhookTrigger(const std::string& name);
  void FireWebhook(const triggers::CompiledTrigger& trigger, const triggers::Firing& firing,
                   Done<TriggerRun> done);
  // Told of every trigger written (the server's scheduler reloads it).
  void SetTriggerListener(std::function<void(const std::string&)> listener) {
    trigger_listener_ = std::move(listener);
  }

  // What a transport keeps of a resource without the engine using it (the
  // Step Functions API: a machine's roleArn and type, a version's
  // description), by resource ("stateMachine:NAME", "stateMachine:NAME:N").
  // Deleting the machine deletes them.
  Status PutAttributes(const std::string& resource,
                       const std::vector<std::pair<std::string, std::string>>& attributes);
  Result<std::map<std::string, std::string>> Attributes(const std::string& resource);

 private:
  Result<MachineVersionRef> PutDefinition(const std::string& name, const std::string& definition,
                                          bool create);
  Status CheckResourceExists(const std::string& resource);
  Result<std::shared_ptr<const triggers::CompiledTrigger>> LoadTrigger(const std::string& name,
                                                                       store::TriggerRecord* record);
  TriggerView ViewOf(const store::TriggerRecord& record, const triggers::CompiledTrigger& trigger,
                     int64_t occurrences);
  // Unpausing: the occurrences due while paused, as one SKIPPED row.
  Status RecordPaused(const store::TriggerRecord& record, const triggers::CompiledTrigger& trigger);
  void TriggerWritten(const std::string& name) {
    if (trigger_listener_) trigger_listener_(name);
  }
  void Complete(const std::string& token, runtime::TaskOutcome outcome, DoneStatus done);

  runtime::Executor* executor_;
  store::Store* store_;
  functions::Catalog* catalog_;
  Options options_;
  std::atomic<bool> draining_{false};
  std::mutex definitions_mu_;  // serialises Create/Update/Delete of state machines
  std::mutex triggers_mu_;     // serialises writes of triggers
  std::function<void(const std::string&)> trigger_listener_;

  struct RedriveToken {
    int64_t redrive_ms = 0;
    int64_t seen_ms = 0;
  };
  std::mutex redrive_mu_;
  std::map<std::pair<std::string, std::string>, RedriveToken> redrive_tokens_;
};

// Step Functions' rules for names of machines, executions and activities:
// 1-80 characters, no whitespace, brackets, wildcards, special or control
// characters. kInvalidArgument (reason InvalidName) otherwise.
Status CheckName(const std::string& what, const std::string& name);

// "invalid definition: 2 errors: SCHEMA at /States/A/Next (line 3:5): ...; ..."
std::string DiagnosticsMessage(const std::vector<asl::Diagnostic>& diagnostics);

}  // namespace stepflow::api
