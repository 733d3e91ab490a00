#include "engine/api/control_plane.h"

#include <algorithm>
#include <set>

#include "engine/common/json_util.h"
#include "engine/functions/resource_check.h"
#include "engine/graph/compiler.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/resource.h"

namespace stepflow::api {
namespace {

Status Unavailable() { return Status(StatusCode::kUnavailable, "the server is shutting down"); }

int32_t PageSize(int32_t requested) { return requested <= 0 ? 1000 : std::min(requested, 1000); }

// A page token is the id of the last event handed out.
Result<int64_t> EventToken(const std::string& token) {
  if (token.empty()) return int64_t{0};
  if (token.size() > 18 || token.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("nextToken '" + token + "' is not a token this server gave")
        .WithReason("InvalidToken");
  }
  return std::stoll(token);
}

Status TooBig(const char* what, size_t size, size_t limit) {
  return Status::ResourceExhausted(std::string(what) + " has " + std::to_string(size) +
                                   " bytes; the limit is " + std::to_string(limit));
}

// The reason a store or executor status names, by what was looked up.
Status Reason(Status st, const char* not_found) {
  if (st.code() == StatusCode::kNotFound && st.reason().empty()) {
    return std::move(st).WithReason(not_found);
  }
  return st;
}

}  // namespace

Status CheckName(const std::string& what, const std::string& name) {
  if (name.empty() || name.size() > 80) {
    return Status::InvalidArgument("Invalid Name: '" + name + "' (" + what +
                                   " must have 1 to 80 characters)")
        .WithReason("InvalidName");
  }
  static const std::string kForbidden = " \t\n\r<>{}[]?*\"#%\\^|~`$&,;:/";
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    // U+0080..U+009F (C1 controls) are UTF-8 C2 80..C2 9F.
    const bool c1 = c == 0xC2 && i + 1 < name.size() &&
                    static_cast<unsigned char>(name[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(name[i + 1]) <= 0x9F;
    if (c < 0x20 || c == 0x7f || c1 ||
        kForbidden.find(static_cast<char>(c)) != std::string::npos) {
      return Status::InvalidArgument("Invalid Name: '" + name + "' (" + what +
                                     " contains a character that is not allowed: whitespace, "
                                     "brackets, wildcards, control characters or "
                                     "\" # % \\ ^ | ~ ` $ & , ; : /)")
          .WithReason("InvalidName");
    }
  }
  return Status::Ok();
}

std::string DiagnosticsMessage(const std::vector<asl::Diagnostic>& diagnostics) {
  int errors = 0;
  for (const auto& d : diagnostics) errors += d.severity == asl::Severity::kError;
  std::string message =
      "invalid definition: " + std::to_string(errors) + (errors == 1 ? " error" : " errors");
  int shown = 0;
  for (const auto& d : diagnostics) {
    if (d.severity != asl::Severity::kError) continue;
    if (shown++ == 20) {
      message += "; ...";
      break;
    }
    message += (shown == 1 ? ": " : "; ") + d.code + " at " + (d.pointer.empty() ? "/" : d.pointer);
    if (d.line > 0) {
      message += " (line " + std::to_string(d.line) + ":" + std::to_string(d.column) + ")";
    }
    message += ": " + d.message;
  }
  return message;
}

RedriveInfo RedriveStatusOf(const store::ExecutionRecord& record) {
  if (record.status == store::kFailed || record.status == store::kTimedOut ||
      record.status == store::kAborted) {
    return {true, ""};
  }
  return {false, "Execution is " + record.status + " and cannot be redriven"};
}

ControlPlane::ControlPlane(runtime::Executor* executor, store::Store* store,
                           functions::Catalog* catalog, Options options)
    : executor_(executor), store_(store), catalog_(catalog), options_(options) {}

// ------------------------------------------------------------ state machines

Result<MachineVersionRef> ControlPlane::CreateStateMachine(const std::string& name,
                                                           const std::string& definition) {
  return PutDefinition(name, definition, /*create=*/true);
}

Result<MachineVersionRef> ControlPlane::UpdateStateMachine(const std::string& name,
                                                           const std::string& definition) {
  return PutDefinition(name, definition, /*create=*/false);
}

Result<MachineVersionRef> ControlPlane::PutDefinition(const std::string& name,
                                                      const std::string& definition,
                                                      bool create) {
  if (draining_) return Unavailable();
  STEPFLOW_RETURN_IF_ERROR(CheckName("a state machine name", name));
  if (definition.size() > options_.max_definition_bytes) {
    return TooBig("the definition", definition.size(), options_.max_definition_bytes)
        .WithReason("InvalidDefinition");
  }
  graph::CompileResult compiled = graph::CompileText(definition);
  if (!compiled.graph) {
    return Status::InvalidArgument(DiagnosticsMessage(compiled.diagnostics))
        .WithReason("InvalidDefinition");
  }
  // The existence check and the store are one step: concurrent Creates of
  // a name store one version, the others get kAlreadyExists.
  std::lock_guard lock(definitions_mu_);
  auto newest = store_->GetStateMachineVersion(name, 0);
  if (!newest.ok() && newest.status().code() != StatusCode::kNotFound) return newest.status();
  const bool exists = newest.ok();
  if (exists && newest->sha256 == compiled.graph->content_hash()) {
    return MachineVersionRef{name, newest->version, newest->created_ms, true};
  }
  if (create && exists) {
    return Status(StatusCode::kAlreadyExists,
                  "State Machine Already Exists: '" + name +
                      "' has another definition; UpdateStateMachine adds a version")
        .WithReason("StateMachineAlreadyExists");
  }
  if (!create && !exists) {
    return Status::NotFound("State Machine Does Not Exist: '" + name + "'")
        .WithReason("StateMachineDoesNotExist");
  }
  auto version = executor_->PutStateMachine(name, definition, compiled.graph);
  if (!version.ok()) {
    Status st = version.status();
    // A Task naming a function that cannot be called is a definition error.
    if (st.code() == StatusCode::kInvalidArgument || st.code() == StatusCode::kFailedPrecondition) {
      return Status::InvalidArgument(st.message()).WithReason("InvalidDefinition");
    }
    return st;
  }
  auto stored = store_->GetStateMachineVersion(name, *version);
  return MachineVersionRef{name, *version, stored.ok() ? stored->created_ms : 0, false};
}

Result<MachineDescription> ControlPlane::DescribeStateMachine(const std::string& name,
                                                              int64_t version) {
  if (draining_) return Unavailable();
  auto described = store_->GetStateMachineVersion(name, version);
  if (!described.ok()) {
    if (described.status().code() != StatusCode::kNotFound) return described.status();
    std::string what = version > 0 ? name + ":" + std::to_string(version) : name;
    return Status::NotFound("State Machine Does Not Exist: '" + what + "'")
        .WithReason("StateMachineDoesNotExist");
  }
  auto versions = store_->ListStateMachineVersions(name);
  if (!versions.ok()) return Reason(versions.status(), "StateMachineDoesNotExist");
  return MachineDescription{std::move(*described), std::move(*versions)};
}

Result<Page<MachineSummary>> ControlPlane::ListStateMachines(const PageRequest& request) {
  if (draining_) return Unavailable();
  STEPFLOW_ASSIGN_OR_RETURN(std::vector<std::string> names, store_->ListStateMachines());
  const int32_t page = PageSize(request.max_results);
  Page<MachineSummary> out;
  for (const std::string& name : names) {
    if (!request.next_token.empty() && name <= request.next_token) continue;
    if (static_cast<int32_t>(out.items.size()) == page) {
      out.next_token = out.items.back().name;
      break;
    }
    auto versions = store_->ListStateMachineVersions(name);
    if (!versions.ok()) {
      // Deleted between the two reads: not listed. Any other failure is
      // the caller's, not a shorter list.
      if (versions.status().code() == StatusCode::kNotFound) continue;
      return versions.status();
    }
    if (versions->empty()) continue;
    out.items.push_back(MachineSummary{name, versions->back().version,
                                       versions->front().created_ms,
                                       versions->back().created_ms});
  }
  return out;
}

Status ControlPlane::DeleteStateMachine(const std::string& name, bool purge) {
  if (draining_) return Unavailable();
  std::lock_guard lock(definitions_mu_);
  auto versions = store_->ListStateMachineVersions(name);
  Status st = executor_->DeleteStateMachine(name, purge);
  if (st.code() == StatusCode::kNotFound) {
    return Status::NotFound("State Machine Does Not Exist: '" + name + "'")
        .WithReason("StateMachineDoesNotExist");
  }
  if (!st.ok()) return st;
  // The attributes of the machine and of its versions go with it.
  std::vector<std::string> resources = {store::StateMachineTagResource(name)};
  if (versions.ok()) {
    for (const auto& v : *versions) {
      resources.push_back(store::StateMachineTagResource(name) + ":" + std::to_string(v.version));
    }
  }
  for (const std::string& resource : resources) {
    auto attributes = Attributes(resource);
    if (!attributes.ok() || attributes->empty()) continue;
    std::vector<std::string> keys;
    for (const auto& [key, value] : *attributes) keys.push_back(key);
    STEPFLOW_RETURN_IF_ERROR(store_->UntagResource("attributes:" + resource, keys));
  }
  return Status::Ok();
}

Result<Validation> ControlPlane::ValidateDefinition(const std::string& definition) {
  if (definition.size() > options_.max_definition_bytes) {
    return TooBig("the definition", definition.size(), options_.max_definition_bytes)
        .WithReason("ValidationException");
  }
  graph::CompileResult compiled = graph::CompileText(definition);
  Validation out;
  out.valid = compiled.graph != nullptr;
  out.diagnostics = std::move(compiled.diagnostics);
  if (compiled.graph) {
    for (const auto& p : functions::FindResourceProblems(*compiled.graph, catalog_)) {
      asl::Diagnostic d;
      d.severity = asl::Severity::kWarning;
      d.code = p.code;
      d.pointer = p.pointer;
      d.message = p.message + " (CreateStateMachine refuses it until then)";
      out.diagnostics.push_back(std::move(d));
    }
  }
  return out;
}

// ---------------------------------------------------------------- executions

void ControlPlane::StartExecution(const StartRequest& request, Done<Started> done) {
  if (draining_) return done(Unavailable());
  if (request.input.size() > options_.max_payload_bytes) {
    return done(TooBig("the execution input", request.input.size(), options_.max_payload_bytes)
                    .WithReason("InvalidExecutionInput"));
  }
  const std::string name = request.name.empty() ? runtime::NewUuid() : request.name;
  if (Status st = CheckName("an execution name", name); !st.ok()) return done(st);
  if (Result<Json> parsed = ParseJsonData(request.input.empty() ? "{}" : request.input);
      !parsed.ok()) {
    return done(Status::InvalidArgument("Invalid State Machine Execution Input: 'the input is "
                                        "not JSON: " + parsed.status().message() + "'")
                    .WithReason("InvalidExecutionInput"));
  }
  auto info = std::make_shared<runtime::StartInfo>();
  auto answer = std::make_shared<Started>();
  answer->name = name;
  answer->execution_id = request.machine + ":" + name;
  runtime::StartRequest start;
  start.machine = request.machine;
  start.version = request.version;
  start.name = name;
  start.input = request.input.empty() ? "{}" : request.input;
  // The answer is complete before the start is queued: the commit callback
  // may run before StartExecution returns. `done` is called exactly once.
  auto once = std::make_shared<std::atomic<bool>>(false);
  auto finish = [done, once](Result<Started> r) {
    if (!once->exchange(true)) done(std::move(r));
  };
  start.committed = [finish, answer, info](const Status& st) {
    if (!st.ok()) {
      finish(st.code() == StatusCode::kNotFound
                 ? Status(st).WithReason("StateMachineDoesNotExist")
                 : st.code() == StatusCode::kAlreadyExists
                       ? Status(st).WithReason("ExecutionAlreadyExists")
                       : st);
      return;
    }
    answer->start_ms = info->start_ms;
    answer->version = info->version;
    answer->already_started = info->already_started;
    finish(*answer);
  };
  auto id = executor_->StartExecution(start, info.get());
  if (!id.ok()) {
    Status st = id.status();
    if (st.code() == StatusCode::kNotFound) {
      std::string what = request.machine;
      if (request.version > 0) what += ":" + std::to_string(request.version);
      st = Status::NotFound("State Machine Does Not Exist: '" + what + "'")
               .WithReason("StateMachineDoesNotExist");
    } else if (st.code() == StatusCode::kAlreadyExists) {
      st = Status(StatusCode::kAlreadyExists,
                  "Execution Already Exists: '" + answer->execution_id + "'")
               .WithReason("ExecutionAlreadyExists");
    }
    finish(st);
  }
}

Result<ExecutionDetail> ControlPlane::DescribeExecution(const std::string& execution_id) {
  if (draining_) return Unavailable();
  auto record = store_->GetExecution(execution_id);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("Execution Does Not Exist: '" + execution_id + "'")
          .WithReason("ExecutionDoesNotExist");
    }
    return record.status();
  }
  ExecutionDetail out;
  STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::ExecutionRecord> children,
                            store_->ListChildExecutions(record->id));
  for (store::ExecutionRecord& c : children) out.children.push_back(std::move(c.id));
  out.record = std::move(*record);
  return out;
}

Result<Page<store::ExecutionRecord>> ControlPlane::ListExecutions(const ExecutionQuery& query) {
  if (draining_) return Unavailable();
  const std::string& status = query.status;
  if (!status.empty() && status != store::kRunning && status != store::kSucceeded &&
      status != store::kFailed && status != store::kTimedOut && status != store::kAborted) {
    return Status::InvalidArgument("status '" + status +
                                   "' is not one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, "
                                   "ABORTED")
        .WithReason("ValidationException");
  }
  if (!query.redrive_filter.empty() && query.redrive_filter != "REDRIVEN" &&
      query.redrive_filter != "NOT_REDRIVEN") {
    return Status::InvalidArgument("redriveFilter '" + query.redrive_filter +
                                   "' is not REDRIVEN or NOT_REDRIVEN")
        .WithReason("ValidationException");
  }
  if (!query.machine.empty() && query.require_machine) {
    auto machine = store_->GetStateMachineVersion(query.machine, query.version);
    if (!machine.ok() && machine.status().code() == StatusCode::kNotFound) {
      // Executions of a deleted machine stay listed while any is stored.
      store::ExecutionFilter probe;
      probe.machine = query.machine;
      probe.limit = 1;
      auto any = store_->ListExecutions(probe);
      if (!any.ok()) return any.status();
      if (any->empty()) {
        return Status::NotFound("State Machine Does Not Exist: '" + query.machine + "'")
            .WithReason("StateMachineDoesNotExist");
      }
    } else if (!machine.ok()) {
      return machine.status();
    }
  }
  const int32_t page = PageSize(query.page.max_results);
  store::ExecutionFilter filter;
  filter.machine = query.machine;
  filter.status = status;
  filter.newest_first = query.newest_first;
  filter.after_id = query.page.next_token;
  const bool post_filter = query.version > 0 || !query.redrive_filter.empty();
  // One more tells whether another page follows; filters applied here read on.
  filter.limit = post_filter ? 0 : page + 1;
  auto records = store_->ListExecutions(filter);
  if (!records.ok()) {
    if (records.status().code() == StatusCode::kInvalidArgument) {
      return Status::InvalidArgument(records.status().message()).WithReason("InvalidToken");
    }
    return records.status();
  }
  Page<store::ExecutionRecord> out;
  for (store::ExecutionRecord& r : *records) {
    if (query.version > 0 && r.version != query.version) continue;
    if (query.redrive_filter == "REDRIVEN" && r.redrive_count == 0) continue;
    if (query.redrive_filter == "NOT_REDRIVEN" && r.redrive_count > 0) continue;
    if (static_cast<int32_t>(out.items.size()) == page) {
      out.next_token = out.items.back().id;
      break;
    }
    r.state.clear();  // the checkpoint is nobody's business here
    out.items.push_back(std::move(r));
  }
  return out;
}

void ControlPlane::StopExecution(const std::string& execution_id, const std::string& error,
                                 const std::optional<std::string>& cause, Done<int64_t> done) {
  if (draining_) return done(Unavailable());
  if (error.size() > 256) {
    return done(Status::InvalidArgument("error has more than 256 characters")
                    .WithReason("ValidationException"));
  }
  if (cause && cause->size() > 32768) {
    return done(Status::InvalidArgument("cause has more than 32768 characters")
                    .WithReason("ValidationException"));
  }
  auto record = store_->GetExecution(execution_id);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::kNotFound) {
      return done(Status::NotFound("Execution Does Not Exist: '" + execution_id + "'")
                      .WithReason("ExecutionDoesNotExist"));
    }
    return done(record.status());
  }
  if (record->status != store::kRunning) {
    return done(Status::FailedPrecondition("execution '" + record->id + "' is " +
                                           record->status +
                                           "; only RUNNING executions can be stopped")
                    .WithReason("ExecutionNotRunning"));
  }
  store::Store* store = store_;
  std::string id = record->id;
  Status queued = executor_->Stop(id, error, cause, [store, id, done](const Status& st) {
    if (!st.ok()) return done(st);
    auto after = store->GetExecution(id);
    done(after.ok() ? after->stop_ms.value_or(0) : runtime::SystemNowMs());
  });
  // The stop was not queued (a closing engine): its status is the answer.
  if (!queued.ok()) done(queued);
}

void ControlPlane::RedriveExecution(const std::string& execution_id,
                                    const std::string& client_token, Done<int64_t> done) {
  if (draining_) return done(Unavailable());
  if (client_token.size() > 64) {
    return done(Status::InvalidArgument("clientToken has more than 64 characters")
                    .WithReason("ValidationException"));
  }
  const int64_t now = runtime::SystemNowMs();
  const auto key = std::make_pair(execution_id, client_token);
  if (!client_token.empty()) {
    std::lock_guard lock(redrive_mu_);
    std::erase_if(redrive_tokens_,
                  [now](const auto& e) { return now - e.second.seen_ms > 15 * 60 * 1000; });
    if (auto it = redrive_tokens_.find(key); it != redrive_tokens_.end()) {
      return done(it->second.redrive_ms);
    }
  }
  auto record = store_->GetExecution(execution_id);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::kNotFound) {
      return done(Status::NotFound("Execution Does Not Exist: '" + execution_id + "'")
                      .WithReason("ExecutionDoesNotExist"));
    }
    return done(record.status());
  }
  if (RedriveInfo info = RedriveStatusOf(*record); !info.redrivable) {
    return done(Status::FailedPrecondition("Execution Not Redrivable: '" + execution_id + "': " +
                                           info.reason)
                    .WithReason("ExecutionNotRedrivable"));
  }
  store::Store* store = store_;
  auto remember = [this, key, now, client_token](int64_t redrive_ms) {
    if (client_token.empty()) return;
    std::lock_guard lock(redrive_mu_);
    redrive_tokens_[key] = RedriveToken{redrive_ms, now};
  };
  Status queued = executor_->Redrive(execution_id, [store, execution_id, done,
                                                    remember](const Status& st) {
    if (!st.ok()) {
      return done(st.code() == StatusCode::kFailedPrecondition
                      ? Status(st).WithReason("ExecutionNotRedrivable")
                      : st);
    }
    auto after = store->GetExecution(execution_id);
    int64_t redrive_ms = after.ok() ? after->redrive_ms.value_or(0) : runtime::SystemNowMs();
    remember(redrive_ms);
    done(redrive_ms);
  });
  if (!queued.ok()) {
    done(queued.code() == StatusCode::kFailedPrecondition
             ? Status(queued).WithReason("ExecutionNotRedrivable")
             : Reason(queued, "ExecutionDoesNotExist"));
  }
}

Result<Page<store::HistoryEvent>> ControlPlane::GetHistory(const HistoryQuery& query) {
  if (draining_) return Unavailable();
  STEPFLOW_ASSIGN_OR_RETURN(int64_t after, EventToken(query.next_token));
  auto record = store_->GetExecution(query.execution_id);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("Execution Does Not Exist: '" + query.execution_id + "'")
          .WithReason("ExecutionDoesNotExist");
    }
    return record.status();
  }
  const int32_t page = PageSize(query.max_results);
  store::HistoryQuery q;
  q.after_event_id = after;
  q.limit = page + 1;
  q.reverse = query.reverse;
  STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::HistoryEvent> events,
                            store_->GetHistory(record->id, q));
  Page<store::HistoryEvent> out;
  if (events.size() > static_cast<size_t>(page)) {
    events.pop_back();
    out.next_token = std::to_string(events.back().id);
  }
  out.items = std::move(events);
  return out;
}

Result<store::ExecutionRecord> ControlPlane::WaitForEnd(const std::string& execution_id,
                                                        std::chrono::milliseconds timeout,
                                                        const std::function<bool()>& cancelled) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    // The count first: a commit after this read wakes the wait below.
    uint64_t seen = executor_->commit_count();
    auto record = store_->GetExecution(execution_id);
    if (!record.ok()) return Reason(record.status(), "ExecutionDoesNotExist");
    if (record->status != store::kRunning) return record;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline || draining_ || (cancelled && cancelled())) return record;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    executor_->WaitForCommit(seen, std::min(left, std::chrono::milliseconds(250)));
  }
}

// ------------------------------------------------------ activities, callbacks

Result<store::ActivityRecord> ControlPlane::CreateActivity(const std::string& name) {
  if (draining_) return Unavailable();
  STEPFLOW_RETURN_IF_ERROR(CheckName("an activity name", name));
  return store_->PutActivity(name, runtime::SystemNowMs());
}

Result<store::ActivityRecord> ControlPlane::DescribeActivity(const std::string& name) {
  if (draining_) return Unavailable();
  auto activity = store_->GetActivity(name);
  if (!activity.ok() && activity.status().code() == StatusCode::kNotFound) {
    return Status::NotFound("Activity Does Not Exist: '" + name + "'")
        .WithReason("ActivityDoesNotExist");
  }
  return activity;
}

Result<Page<store::ActivityRecord>> ControlPlane::ListActivities(const PageRequest& request) {
  if (draining_) return Unavailable();
  STEPFLOW_ASSIGN_OR_RETURN(std::vector<store::ActivityRecord> all, store_->ListActivities());
  const int32_t page = PageSize(request.max_results);
  Page<store::ActivityRecord> out;
  for (store::ActivityRecord& a : all) {
    if (!request.next_token.empty() && a.name <= request.next_token) continue;
    if (static_cast<int32_t>(out.items.size()) == page) {
      out.next_token = out.items.back().name;
      break;
    }
    out.items.push_back(std::move(a));
  }
  return out;
}

Status ControlPlane::DeleteActivity(const std::string& name) {
  if (draining_) return Unavailable();
  // As Step Functions: deleting an activity that does not exist succeeds.
  return store_->DeleteActivity(name).status();
}

Result<std::optional<runtime::ActivityTask>> ControlPlane::PollActivity(
    const std::string& activity, const std::string& worker_name, std::chrono::milliseconds wait,
    const std::function<bool()>& cancelled) {
  if (draining_) return Unavailable();
  // NAME, or the Resource text naming it.
  std::string name = runtime::ActivityName(activity).value_or(activity);
  if (name.empty()) {
    return Status::InvalidArgument("activity is empty").WithReason("InvalidArn");
  }
  if (worker_name.size() > 80) {
    return Status::InvalidArgument("workerName has more than 80 characters")
        .WithReason("ValidationException");
  }
  if (wait <= std::chrono::milliseconds(0) || wait > options_.max_poll) wait = options_.max_poll;
  return executor_->PollActivity(name, worker_name, wait, [this, &cancelled] {
    return draining_.load() || (cancelled && cancelled());
  });
}

void ControlPlane::Complete(const std::string& token, runtime::TaskOutcome outcome,
                            DoneStatus done) {
  if (token.empty() || token.size() > 2048) {
    return done(Status::InvalidArgument("Invalid Token: 'the token has " +
                                        std::to_string(token.size()) +
                                        " characters; 1 to 2048 are allowed'")
                    .WithReason("InvalidToken"));
  }
  auto once = std::make_shared<std::atomic<bool>>(false);
  auto finish = [done, once](const Status& st) {
    if (once->exchange(true)) return;
    if (st.code() == StatusCode::kNotFound) {
      return done(Status(st).WithReason("TaskDoesNotExist"));
    }
    if (st.code() == StatusCode::kInvalidArgument) return done(Status(st).WithReason("InvalidToken"));
    done(st);
  };
  Status st = executor_->CompleteTask(token, std::move(outcome), finish);
  if (!st.ok()) finish(st);
}

void ControlPlane::SendTaskSuccess(const std::string& token, const std::string& output,
                                   DoneStatus done) {
  if (draining_) return done(Unavailable());
  if (output.size() > options_.max_payload_bytes) {
    return done(TooBig("the task output", output.size(), options_.max_payload_bytes)
                    .WithReason("InvalidOutput"));
  }
  if (Result<Json> parsed = ParseJsonData(output); !parsed.ok()) {
    return done(Status::InvalidArgument("Invalid Output: 'the task output is not JSON: " +
                                        parsed.status().message() + "'")
                    .WithReason("InvalidOutput"));
  }
  Complete(token, runtime::TaskOutcome::Success(output), std::move(done));
}

void ControlPlane::SendTaskFailure(const std::string& token, const std::string& error,
                                   const std::string& cause, DoneStatus done) {
  if (draining_) return done(Unavailable());
  if (error.size() > 256) {
    return done(Status::InvalidArgument("error has more than 256 characters")
                    .WithReason("ValidationException"));
  }
  if (cause.size() > 32768) {
    return done(Status::InvalidArgument("cause has more than 32768 characters")
                    .WithReason("ValidationException"));
  }
  Complete(token, runtime::TaskOutcome::Failure(error, cause), std::move(done));
}

Status ControlPlane::SendTaskHeartbeat(const std::string& token) {
  if (draining_) return Unavailable();
  if (token.empty() || token.size() > 2048) {
    return Status::InvalidArgument("Invalid Token: 'the token has " +
                                   std::to_string(token.size()) +
                                   " characters; 1 to 2048 are allowed'")
        .WithReason("InvalidToken");
  }
  Status st = executor_->Heartbeat(token);
  if (st.code() == StatusCode::kNotFound) return std::move(st).WithReason("TaskDoesNotExist");
  if (st.code() == StatusCode::kInvalidArgument) return std::move(st).WithReason("InvalidToken");
  return st;
}

// ---------------------------------------------------------------------- tags

Status ControlPlane::CheckResourceExists(const std::string& resource) {
  const auto colon = resource.find(':');
  const std::string kind = resource.substr(0, colon);
  const std::string name = colon == std::string::npos ? "" : resource.substr(colon + 1);
  Status st;
  if (kind == "stateMachine") {
    st = store_->GetStateMachineVersion(name, 0).status();
  } else if (kind == "activity") {
    st = store_->GetActivity(name).status();
  } else {
    return Status::InvalidArgument("Invalid Arn: tags are kept for state machines and "
                                   "activities")
        .WithReason("InvalidArn");
  }
  if (st.code() == StatusCode::kNotFound) {
    return Status::NotFound("Resource not found: '" + name + "'").WithReason("ResourceNotFound");
  }
  return st;
}

Status ControlPlane::CheckTags(
    const std::vector<std::pair<std::string, std::string>>& tags) const {
  std::set<std::string> keys;
  for (const auto& [key, value] : tags) {
    if (key.empty() || key.size() > 128 || value.size() > 256) {
      return Status::InvalidArgument("a tag key has 1 to 128 characters and its value at most 256")
          .WithReason("ValidationException");
    }
    keys.insert(key);
  }
  if (keys.size() > options_.max_tags) {
    return Status::ResourceExhausted("Too many tags: a resource has at most " +
                                     std::to_string(options_.max_tags))
        .WithReason("TooManyTags");
  }
  return Status::Ok();
}

Status ControlPlane::TagResource(const std::string& resource,
                                 const std::vector<std::pair<std::string, std::string>>& tags) {
  if (draining_) return Unavailable();
  STEPFLOW_RETURN_IF_ERROR(CheckTags(tags));
  STEPFLOW_RETURN_IF_ERROR(CheckResourceExists(resource));
  Status st = store_->TagResource(resource, tags, options_.max_tags);
  if (st.code() == StatusCode::kResourceExhausted) {
    return Status::ResourceExhausted("Too many tags: a resource has at most " +
                                     std::to_string(options_.max_tags))
        .WithReason("TooManyTags");
  }
  return st;
}

Status ControlPlane::UntagResource(const std::string& resource,
                                   const std::vector<std::string>& keys) {
  if (draining_) return Unavailable();
  STEPFLOW_RETURN_IF_ERROR(CheckResourceExists(resource));
  return store_->UntagResource(resource, keys);
}

Result<std::vector<std::pair<std::string, std::string>>> ControlPlane::ListTags(
    const std::string& resource) {
  if (draining_) return Unavailable();
  STEPFLOW_RETURN_IF_ERROR(CheckResourceExists(resource));
  return store_->ListTags(resource);
}

Status ControlPlane::PutAttributes(
    const std::string& resource, const std::vector<std::pair<std::string, std::string>>& attributes) {
  if (draining_) return Unavailable();
  return store_->TagResource("attributes:" + resource, attributes, 1000);
}

Result<std::map<std::string, std::string>> ControlPlane::Attributes(const std::string& resource) {
  STEPFLOW_ASSIGN_OR_RETURN(auto pairs, store_->ListTags("attributes:" + resource));
  return std::map<std::string, std::string>(pairs.begin(), pairs.end());
}

}  // namespace stepflow::api
