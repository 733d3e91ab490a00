// Nested executions (arn:aws:states:::states:startExecution[.sync|.sync:2|
// .waitForTaskToken]): the Executor starts the child itself, on the loop
// thread, once the parent's TaskScheduled is durable, and answers the
// parent's Task as Step Functions does:
//   request-response  {"ExecutionArn", "StartDate"} once the child has started
//   .sync / .sync:2   TaskSubmitted once started; then the child's description
//                     (Output as JSON text / as JSON) when it ends, or
//                     States.TaskFailed with that description as the cause
//   .waitForTaskToken TaskSubmitted once started; then SendTaskSuccess/Failure
// The child's row links it to the parent (parent_id) and to the Task that
// started it (parent_task = the Task's idempotency key), so a Task re-sent
// after a restart finds its child instead of starting another, and its name
// (when Parameters.Name is absent) is derived from that key.
#include "engine/common/json_util.h"

#include "engine/common/hash.h"
#include "engine/runtime/arn.h"
#include "engine/runtime/executor.h"

namespace stepflow::runtime {
namespace {

ChildMode ModeOf(const Dispatch& d) {
  if (d.kind == TaskKind::kCallback) return ChildMode::kToken;
  std::string_view suffix = std::string_view(d.request.function).substr(kStartExecution.size());
  if (suffix == ".sync") return ChildMode::kSync;
  if (suffix == ".sync:2") return ChildMode::kSyncJson;
  return ChildMode::kStart;
}

bool Waits(ChildMode mode) { return mode == ChildMode::kSync || mode == ChildMode::kSyncJson; }

// A UUID-shaped name from the starting Task's key: the same after a restart.
std::string DerivedName(const std::string& task_key) {
  std::string h = Sha256Hex(task_key);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

Json DataField(const std::string& text, bool as_json) {
  if (!as_json) return text;
  Result<Json> parsed = ParseJsonData(text);
  return parsed.ok() ? std::move(parsed).value() : Json(text);
}

// The child's DescribeExecution, with Step Functions' field names.
Json Describe(const store::ExecutionRecord& r, bool json_data) {
  Json d = Json::object();
  d["ExecutionArn"] = ExecutionArn(r.id);
  d["Input"] = DataField(r.input, json_data);
  d["InputDetails"] = {{"Included", true}};
  d["Name"] = r.name;
  if (r.output) {
    d["Output"] = DataField(*r.output, json_data);
    d["OutputDetails"] = {{"Included", true}};
  }
  if (r.error && !r.error->empty()) d["Error"] = *r.error;
  if (r.cause) d["Cause"] = *r.cause;
  d["StartDate"] = FormatTimestamp(r.start_ms);
  d["StateMachineArn"] = StateMachineArn(r.machine);
  d["Status"] = r.status;
  if (r.stop_ms) d["StopDate"] = FormatTimestamp(*r.stop_ms);
  return d;
}

TaskOutcome EndOutcome(const store::ExecutionRecord& child, ChildMode mode) {
  const bool json = mode == ChildMode::kSyncJson;
  if (child.status == store::kSucceeded) return TaskOutcome::Success(Describe(child, json).dump());
  return TaskOutcome::Failure("States.TaskFailed", Describe(child, json).dump());
}

std::string StartResponse(const std::string& child_id, int64_t start_ms) {
  Json r = Json::object();
  r["ExecutionArn"] = ExecutionArn(child_id);
  r["StartDate"] = FormatTimestamp(start_ms);
  return r.dump();
}

// StartExecution's refusals as the service integration names them.
TaskOutcome StartFailure(const Status& st, const std::string& arn) {
  switch (st.code()) {
    case StatusCode::kNotFound:
      return TaskOutcome::Failure("StepFunctions.StateMachineDoesNotExistException",
                                  "State Machine Does Not Exist: '" + arn + "' (" + st.message() +
                                      ")");
    case StatusCode::kAlreadyExists:
      return TaskOutcome::Failure("StepFunctions.ExecutionAlreadyExistsException", st.message());
    case StatusCode::kInvalidArgument:
      // StartExecution says which: the name, or the input.
      if (st.message().rfind("execution name", 0) == 0) {
        return TaskOutcome::Failure("StepFunctions.InvalidNameException", st.message());
      }
      return TaskOutcome::Failure("StepFunctions.InvalidExecutionInputException", st.message());
    default:
      return TaskOutcome::Failure("States.TaskFailed", st.message());
  }
}

}  // namespace

Committed Executor::ChildStartAnswer(const std::string& parent_id, int64_t task_id,
                                     ChildMode mode, const std::string& child_id) {
  // May run on another thread (a repeated start answered with the first):
  // touches only the store and the inbox. A waiter left behind by a failed
  // start goes when the failed Task stops waiting (Abandon).
  return [this, parent_id, task_id, mode, child_id](const Status& st) {
    if (!st.ok()) {
      PushOutcome(parent_id, task_id, StartFailure(st, ExecutionArn(child_id)));
      return;
    }
    auto child = store_->GetExecution(child_id);
    std::string response = StartResponse(child_id, child.ok() ? child->start_ms : 0);
    PushOutcome(parent_id, task_id, TaskOutcome::Success(std::move(response)),
                /*started=*/mode != ChildMode::kStart);
  };
}

void Executor::WaitForChild(const std::string& child_id, const std::string& parent_id,
                            int64_t task_id, const std::string& task_key, ChildMode mode) {
  child_waiters_[child_id].push_back(ChildWait{parent_id, task_id, task_key, mode});
  child_of_task_[task_key] = child_id;
}

void Executor::StartChild(const std::string& parent_id, const Dispatch& d) {
  const ChildMode mode = ModeOf(d);
  const std::string& key = d.request.idempotency_key;
  Result<Json> params = ParseJsonData(d.request.input_json);
  if (!params.ok() || !params->is_object()) {
    PushOutcome(parent_id, d.task_id,
                TaskOutcome::Failure("States.TaskFailed", "states:startExecution: unusable "
                                                          "Parameters"));
    return;
  }
  const std::string arn = params->value("StateMachineArn", "");
  Result<StateMachineRef> ref = ParseStateMachineRef(arn);
  if (!ref.ok()) {
    PushOutcome(parent_id, d.task_id,
                TaskOutcome::Failure("StepFunctions.InvalidArnException", ref.status().message()));
    return;
  }
  // Started by this Task before a restart?
  auto existing = store_->FindExecutionByParentTask(key);
  if (existing.ok() && existing->has_value()) return AttachChild(parent_id, d, mode, **existing);
  // A redriven parent takes over the child its failed run left behind.
  if (Waits(mode) && RedrivePreviousChild(parent_id, d, mode)) return;

  StartRequest request;
  request.machine = ref->machine;
  request.version = ref->version;
  auto name = params->find("Name");
  request.name = name != params->end() && name->is_string() ? name->get<std::string>()
                                                            : DerivedName(key);
  auto input = params->find("Input");
  if (input == params->end() || input->is_null()) {
    request.input = "{}";
  } else if (input->is_string()) {
    request.input = input->get<std::string>();  // JSON text, as the API takes it
  } else {
    request.input = DumpCompact(*input);
  }
  request.parent_id = parent_id;
  request.parent_task = key;
  const std::string child_id = request.machine + ":" + request.name;
  request.committed = ChildStartAnswer(parent_id, d.task_id, mode, child_id);
  Result<std::string> started = StartExecution(request);
  if (!started.ok()) {
    PushOutcome(parent_id, d.task_id, StartFailure(started.status(), StateMachineArn(ref->machine)));
    return;
  }
  // The child cannot end before this: it is decided on this thread, later.
  if (Waits(mode)) WaitForChild(child_id, parent_id, d.task_id, key, mode);
}

void Executor::AttachChild(const std::string& parent_id, const Dispatch& d, ChildMode mode,
                           const store::ExecutionRecord& child) {
  const std::string& key = d.request.idempotency_key;
  if (mode == ChildMode::kStart) {
    PushOutcome(parent_id, d.task_id,
                TaskOutcome::Success(StartResponse(child.id, child.start_ms)));
    return;
  }
  if (!Waits(mode)) return;  // .waitForTaskToken: SendTask* completes it
  auto live = live_.find(child.id);
  const bool running = live != live_.end() ? !live->second->finished()
                                           : child.status == store::kRunning;
  if (running && live == live_.end() && Unrestorable(child.id)) {
    PushOutcome(parent_id, d.task_id,
                TaskOutcome::Failure("States.TaskFailed", "the child execution " + child.id +
                                                              " cannot be resumed"));
    return;
  }
  if (running) {
    WaitForChild(child.id, parent_id, d.task_id, key, mode);
    return;
  }
  const store::ExecutionRecord& latest = live != live_.end() ? live->second->record() : child;
  PushOutcome(parent_id, d.task_id, EndOutcome(latest, mode));
}

bool Executor::RedrivePreviousChild(const std::string& parent_id, const Dispatch& d,
                                    ChildMode mode) {
  auto parent = live_.find(parent_id);
  if (parent == live_.end()) return false;
  const store::ExecutionRecord& p = parent->second->record();
  if (!d.redriven || p.redrive_count == 0 || !p.redrive_ms) return false;
  auto children = store_->ListChildExecutions(parent_id);
  if (!children.ok()) return false;
  // The newest child started from this state before the parent's latest
  // redrive, and not redriven since: the one whose failure this redrive mends.
  const store::ExecutionRecord* chosen = nullptr;
  int64_t chosen_event = 0;
  for (const store::ExecutionRecord& c : *children) {
    if (c.status == store::kRunning || c.status == store::kSucceeded) continue;
    if (c.start_ms > *p.redrive_ms || (c.redrive_ms && *c.redrive_ms >= *p.redrive_ms)) continue;
    size_t slash = c.parent_task.rfind('/');
    if (slash == std::string::npos || c.parent_task.compare(0, slash, parent_id) != 0) continue;
    int64_t event_id = std::strtoll(c.parent_task.c_str() + slash + 1, nullptr, 10);
    if (event_id <= chosen_event) continue;
    store::HistoryQuery q;
    q.after_event_id = event_id - 1;
    q.limit = 1;
    auto events = store_->GetHistory(parent_id, q);
    if (!events.ok() || events->empty() || events->front().state_path != d.request.state_path) {
      continue;
    }
    chosen = &c;
    chosen_event = event_id;
  }
  if (chosen == nullptr) return false;
  const std::string& key = d.request.idempotency_key;
  Status st = QueueRedrive(chosen->id, ChildStartAnswer(parent_id, d.task_id, mode, chosen->id),
                           &key);
  if (!st.ok()) return false;  // start a new child instead
  WaitForChild(chosen->id, parent_id, d.task_id, key, mode);
  return true;
}

void Executor::ChildEnded(const Execution& child) {
  auto it = child_waiters_.find(child.id());
  if (it == child_waiters_.end()) return;
  std::vector<ChildWait> waits = std::move(it->second);
  child_waiters_.erase(it);
  for (const ChildWait& wait : waits) {
    child_of_task_.erase(wait.task_key);
    PushOutcome(wait.parent_id, wait.task_id, EndOutcome(child.record(), wait.mode));
  }
}

void Executor::ChildLost(const std::string& child_id, const Status& why) {
  auto it = child_waiters_.find(child_id);
  if (it == child_waiters_.end()) return;
  std::vector<ChildWait> waits = std::move(it->second);
  child_waiters_.erase(it);
  for (const ChildWait& wait : waits) {
    child_of_task_.erase(wait.task_key);
    PushOutcome(wait.parent_id, wait.task_id,
                TaskOutcome::Failure("States.TaskFailed", "the child execution " + child_id +
                                                              " was dropped: " + why.message()));
  }
}

}  // namespace stepflow::runtime
