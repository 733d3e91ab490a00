#include "engine/runtime/execution.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "engine/expr/timestamp.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/history.h"
#include "engine/runtime/resource.h"
#include "engine/runtime/step_runner.h"

namespace stepflow::runtime {

using graph::State;
using graph::StateType;

bool ErrorMatches(const std::vector<std::string>& error_equals, const std::string& error) {
  for (const auto& e : error_equals) {
    if (e == error) return true;
    if (e == "States.ALL" && !Uncatchable(error)) return true;
    if (e == "States.TaskFailed" && !Uncatchable(error) && !IsTimeout(error)) return true;
    if (e == "States.Timeout" && error == "States.HeartbeatTimeout") return true;
  }
  return false;
}

const char* EnteredEvent(StateType type) {
  switch (type) {
    case StateType::kTask:
      return "TaskStateEntered";
    case StateType::kParallel:
      return "ParallelStateEntered";
    case StateType::kMap:
      return "MapStateEntered";
    case StateType::kPass:
      return "PassStateEntered";
    case StateType::kWait:
      return "WaitStateEntered";
    case StateType::kChoice:
      return "ChoiceStateEntered";
    case StateType::kSucceed:
      return "SucceedStateEntered";
    case StateType::kFail:
      return "FailStateEntered";
  }
  return "StateEntered";
}

const char* ExitedEvent(StateType type) {
  switch (type) {
    case StateType::kTask:
      return "TaskStateExited";
    case StateType::kParallel:
      return "ParallelStateExited";
    case StateType::kMap:
      return "MapStateExited";
    case StateType::kPass:
      return "PassStateExited";
    case StateType::kWait:
      return "WaitStateExited";
    case StateType::kChoice:
      return "ChoiceStateExited";
    case StateType::kSucceed:
      return "SucceedStateExited";
    case StateType::kFail:
      return "FailStateExited";
  }
  return "StateExited";
}

void StepEffects::Append(StepEffects&& other) {
  auto move_all = [](auto& from, auto& to) {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    from.clear();
  };
  move_all(other.events, events);
  move_all(other.dispatches, dispatches);
  move_all(other.timers, timers);
  move_all(other.tasks_done, tasks_done);
  move_all(other.timers_done, timers_done);
}

// ---------------------------------------------------------------- Execution

Execution::Execution(store::ExecutionRecord record, std::shared_ptr<const graph::Graph> graph,
                     Limits limits)
    : record_(std::move(record)), graph_(std::move(graph)), limits_(limits) {
  record_.status = store::kRunning;
  root_.graph = graph_.get();
  root_.state = graph_->start();
  input_ = Json::parse(record_.input, nullptr, /*allow_exceptions=*/false);
  if (input_.is_discarded()) input_ = Json::object();
  Json execution = Json::object();
  execution["Id"] = record_.id;
  execution["Input"] = input_;
  execution["Name"] = record_.name;
  execution["StartTime"] = FormatTimestamp(record_.start_ms);
  execution["RedriveCount"] = record_.redrive_count;
  if (record_.redrive_ms) execution["RedriveTime"] = FormatTimestamp(*record_.redrive_ms);
  context_["Execution"] = std::move(execution);
  context_["StateMachine"] = {{"Id", record_.machine}, {"Name", record_.machine}};
}

Execution::~Execution() = default;

bool Execution::finished() const { return record_.status != store::kRunning; }

void Execution::Start(int64_t now_ms, StepEffects* fx) { StepRunner(*this, now_ms, fx).Start(); }

bool Execution::OnTaskOutcome(int64_t task_id, const TaskOutcome& outcome, int64_t now_ms,
                              StepEffects* fx) {
  return StepRunner(*this, now_ms, fx).TaskOutcome(task_id, outcome);
}

bool Execution::OnTaskStarted(int64_t task_id, const std::string& info, int64_t now_ms,
                              StepEffects* fx) {
  return StepRunner(*this, now_ms, fx).TaskStarted(task_id, info);
}

bool Execution::OnHeartbeat(int64_t task_id, int64_t now_ms, StepEffects* fx) {
  return StepRunner(*this, now_ms, fx).Heartbeat(task_id);
}

bool Execution::OnTimer(int64_t timer_id, int64_t now_ms, StepEffects* fx) {
  return StepRunner(*this, now_ms, fx).Timer(timer_id);
}

Status Execution::Redrive(int64_t now_ms, StepEffects* fx) {
  return StepRunner(*this, now_ms, fx).Redrive();
}

void Execution::Stop(const std::string& error, const std::optional<std::string>& cause,
                     int64_t now_ms, StepEffects* fx) {
  StepRunner(*this, now_ms, fx).Stop(error, cause);
}

std::string TaskKey(const std::string& execution_id, int64_t task_id) {
  return execution_id + "/" + std::to_string(task_id);
}

Dispatch TaskDispatch(const std::string& execution_id, const Frame& f) {
  Dispatch d;
  d.task_id = f.task_id;
  d.request.function = f.task_function;
  d.request.function_version = f.task_version;
  d.request.input_json = f.task_input;
  d.request.idempotency_key = TaskKey(execution_id, f.task_id);
  d.request.execution_id = execution_id;
  d.request.state_name = f.current().name;
  d.request.state_path = f.StatePath();
  d.request.attempt = static_cast<int32_t>(f.retry_count);
  d.kind = f.task_kind;
  if (f.task_kind == TaskKind::kCall) {
    d.request.timeout = std::chrono::milliseconds(f.task_timeout_ms);
  } else {
    // The token is the idempotency key: stable across re-sends, unique per
    // attempt, and it names the execution and the task it completes.
    d.request.task_token = d.request.idempotency_key;
    d.activity = f.task_activity;
    d.heartbeat_seconds = f.task_heartbeat_ms / 1000;
    // A callback's call only hands the token over: bounded like a plain call.
    d.request.timeout = std::chrono::milliseconds(60'000);
  }
  return d;
}

void Execution::Recover(StepEffects* fx) {
  if (finished()) return;
  for (auto& [id, f] : tasks_) {
    fx->dispatches.push_back(TaskDispatch(record_.id, *f));
    fx->dispatches.back().resent = true;
  }
  for (auto& [id, f] : timers_) {
    int64_t fire_at = f->fire_at_ms;
    if (f->phase == Phase::kTask) {
      fire_at = id == f->heartbeat_timer ? f->heartbeat_fire_ms : f->task_timeout_fire_ms;
    }
    fx->timers.push_back({id, fire_at});
  }
  if (timeout_fire_ms_ > 0) fx->timers.push_back({kExecutionTimeoutTimer, timeout_fire_ms_});
}

// --------------------------------------------------------------- StepRunner

namespace {

// True when a JSONata Choice can only output its input (no Output anywhere).
bool ChoiceOutputsInput(const State& s) {
  if (s.jsonata_output) return false;
  for (const graph::ChoiceBranch& b : s.As<graph::ChoiceSpec>().choices) {
    if (b.jsonata_output) return false;
  }
  return true;
}

}  // namespace

bool OutputIsInput(const State& s) {
  if (s.language == graph::QueryLanguage::kJsonPath) {
    return s.type == StateType::kChoice &&
           s.io.input_path.mode == expr::PathField::Mode::kDefault &&
           s.io.output_path.mode == expr::PathField::Mode::kDefault;
  }
  switch (s.type) {
    case StateType::kPass:
    case StateType::kSucceed:
      return !s.jsonata_output;
    case StateType::kChoice:
      return ChoiceOutputsInput(s);
    default:
      return false;
  }
}

void StepRunner::Start() {
  const std::string& input_text = x_.record_.input;
  std::string details = "{\"input\":";
  AppendJsonString(input_text, &details);
  details += ",\"inputDetails\":{\"truncated\":false},\"stateMachineArn\":";
  AppendJsonString(x_.record_.machine, &details);
  details += "}";
  Emit(&x_.root_, "ExecutionStarted", "", std::move(details));
  if (input_text.size() > x_.limits_.max_payload_bytes) {
    FailExecution(kDataLimit, "The execution input of " + std::to_string(input_text.size()) +
                                  " bytes exceeds the limit of " +
                                  std::to_string(x_.limits_.max_payload_bytes) + " bytes");
    return;
  }
  if (auto t = x_.graph_->timeout_seconds()) {
    x_.timeout_fire_ms_ = now_ + *t * 1000;
    fx_->timers.push_back({kExecutionTimeoutTimer, x_.timeout_fire_ms_});
  }
  x_.root_.input = x_.input_;
  x_.root_.phase = Phase::kEnter;
  ready_.push_back(&x_.root_);
  Drain();
}

bool StepRunner::TaskOutcome(int64_t task_id, const stepflow::runtime::TaskOutcome& outcome) {
  auto it = x_.tasks_.find(task_id);
  if (it == x_.tasks_.end() || x_.finished()) return false;
  Frame& f = *it->second;
  x_.tasks_.erase(it);
  fx_->tasks_done.push_back(task_id);
  ClearTaskTimers(f);
  f.phase = Phase::kEnter;  // not waiting any more
  const bool activity = f.task_kind == TaskKind::kActivity;
  // Activity events carry no resource fields; Task events start with them.
  std::string details_head = "{";
  if (!activity) {
    details_head += "\"resource\":";
    AppendJsonString(f.task_resource, &details_head);
    details_head += ",\"resourceType\":";
    AppendJsonString(f.task_resource_type, &details_head);
    details_head += ",";
  }
  if (outcome.ok) {
    if (outcome.output_json.size() > x_.limits_.max_payload_bytes) {
      std::string cause = "The task result of " + std::to_string(outcome.output_json.size()) +
                          " bytes exceeds the limit of " +
                          std::to_string(x_.limits_.max_payload_bytes) + " bytes";
      std::string details = details_head + "\"error\":\"States.DataLimitExceeded\",\"cause\":";
      AppendJsonString(cause, &details);
      details += "}";
      Emit(&f, activity ? "ActivityFailed" : "TaskFailed", f.StatePath(), std::move(details));
      HandleError(f, kDataLimit, cause);
    } else {
      std::string details = details_head + "\"output\":";
      AppendJsonString(outcome.output_json, &details);
      details += ",\"outputDetails\":{\"truncated\":false}}";
      Emit(&f, activity ? "ActivitySucceeded" : "TaskSucceeded", f.StatePath(), std::move(details));
      TaskSucceeded(f, outcome.output_json, outcome.executed_version);
    }
  } else {
    const bool timed_out = IsTimeout(outcome.error);
    std::string details = details_head + "\"error\":";
    AppendJsonString(outcome.error, &details);
    if (!outcome.cause.empty()) {
      details += ",\"cause\":";
      AppendJsonString(outcome.cause, &details);
    }
    details += "}";
    const char* type = activity ? (timed_out ? "ActivityTimedOut" : "ActivityFailed")
                                : (timed_out ? "TaskTimedOut" : "TaskFailed");
    Emit(&f, type, f.StatePath(), std::move(details));
    std::optional<std::string> cause;
    if (!outcome.cause.empty()) cause = outcome.cause;
    HandleError(f, outcome.error.empty() ? "States.TaskFailed" : outcome.error, cause);
  }
  Drain();
  return true;
}

bool StepRunner::Timer(int64_t timer_id) {
  if (x_.finished()) return false;
  if (timer_id == kExecutionTimeoutTimer) {
    if (x_.timeout_fire_ms_ == 0) return false;
    x_.timeout_fire_ms_ = 0;
    fx_->timers_done.push_back(kExecutionTimeoutTimer);
    AbortFrame(x_.root_, /*emit=*/true);
    std::string cause = "The execution ran longer than its TimeoutSeconds (" +
                        std::to_string(x_.graph_->timeout_seconds().value_or(0)) + " s)";
    std::string details = "{\"cause\":";
    AppendJsonString(cause, &details);
    details += ",\"error\":\"States.Timeout\"}";
    const std::string error = "States.Timeout";
    const std::optional<std::string> c = cause;
    FinishExecution(store::kTimedOut, "ExecutionTimedOut", std::move(details), nullptr, &error, &c);
    return true;
  }
  auto it = x_.timers_.find(timer_id);
  if (it == x_.timers_.end()) return false;
  Frame& f = *it->second;
  if (f.phase == Phase::kTask) {  // a callback's or activity's timeout or heartbeat
    const bool heartbeat = timer_id == f.heartbeat_timer;
    std::string cause = heartbeat ? "No heartbeat within HeartbeatSeconds (" +
                                        std::to_string(f.task_heartbeat_ms / 1000) + " s)"
                                  : "The task ran longer than its TimeoutSeconds (" +
                                        std::to_string(f.task_timeout_ms / 1000) + " s)";
    using Outcome = stepflow::runtime::TaskOutcome;
    return TaskOutcome(f.task_id,
                       Outcome::Failure(heartbeat ? "States.HeartbeatTimeout" : "States.Timeout",
                                        std::move(cause)));
  }
  x_.timers_.erase(it);
  fx_->timers_done.push_back(timer_id);
  if (f.phase == Phase::kWait) {
    Json out = std::move(f.wait_output);
    f.wait_output = Json();
    Json assigned = std::move(out["assigned"]);
    f.phase = Phase::kEnter;
    Exit(f, std::move(out["output"]), assigned.is_null() ? nullptr : &assigned);
  } else {  // retry back-off over: run the state again
    f.phase = Phase::kEnter;
    ExecuteState(f);
  }
  Drain();
  return true;
}

bool StepRunner::TaskStarted(int64_t task_id, const std::string& info) {
  auto it = x_.tasks_.find(task_id);
  if (it == x_.tasks_.end() || x_.finished()) return false;
  Frame& f = *it->second;
  std::string details;
  if (f.task_kind == TaskKind::kActivity) {
    details = "{\"workerName\":";
    AppendJsonString(info, &details);
    details += "}";
    Emit(&f, "ActivityStarted", f.StatePath(), std::move(details));
  } else {
    details = "{\"output\":";
    AppendJsonString(info, &details);
    details += ",\"outputDetails\":{\"truncated\":false},\"resource\":";
    AppendJsonString(f.task_resource, &details);
    details += ",\"resourceType\":";
    AppendJsonString(f.task_resource_type, &details);
    details += "}";
    Emit(&f, "TaskSubmitted", f.StatePath(), std::move(details));
  }
  Drain();
  return true;
}

bool StepRunner::Heartbeat(int64_t task_id) {
  auto it = x_.tasks_.find(task_id);
  if (it == x_.tasks_.end() || x_.finished()) return false;
  Frame& f = *it->second;
  if (f.heartbeat_timer == 0) return true;  // no HeartbeatSeconds: nothing to restart
  x_.timers_.erase(f.heartbeat_timer);
  fx_->timers_done.push_back(f.heartbeat_timer);
  f.heartbeat_fire_ms = now_ + f.task_heartbeat_ms;
  f.heartbeat_timer = ArmTaskTimer(f, f.heartbeat_fire_ms);
  return true;
}

void StepRunner::Stop(const std::string& error, const std::optional<std::string>& cause) {
  if (x_.finished()) return;
  AbortFrame(x_.root_, /*emit=*/true);
  FinishExecution(store::kAborted, "ExecutionAborted", ErrorDetails(error, cause), nullptr, &error,
                  &cause);
}

void StepRunner::Drain() {
  while (!x_.finished()) {
    if (history_full_) {
      AbortFrame(x_.root_, /*emit=*/false);
      FailExecution(kRuntime, "The execution reached the limit of " +
                                  std::to_string(x_.limits_.max_history_events) +
                                  " history events");
      return;
    }
    if (!finished_.empty()) {
      Frame* child = finished_.front();
      finished_.pop_front();
      ChildFinished(*child);
    } else if (!ready_.empty()) {
      Frame* f = ready_.front();
      ready_.pop_front();
      Run(*f);
    } else {
      return;
    }
  }
}

void StepRunner::Run(Frame& f) {
  running_ = &f;
  while (f.status == FrameStatus::kRunning && f.phase == Phase::kEnter && !history_full_ &&
         !x_.finished()) {
    EnterState(f);
  }
  running_ = nullptr;
}

void StepRunner::EnterState(Frame& f) {
  const State& s = f.current();
  f.entered_ms = now_;
  f.retry_counts.assign(s.retry.size(), 0);
  f.retry_count = 0;
  std::string input_json = f.input_text.empty() ? DumpCompact(f.input) : std::move(f.input_text);
  f.input_text.clear();
  // A state that outputs its input: keep the text for its exit.
  if (OutputIsInput(s)) f.input_text = input_json;
  Emit(&f, EnteredEvent(s.type), f.StatePath(), EnteredDetails(s.name, input_json));
  ExecuteState(f);
}

std::string StepRunner::EnteredDetails(const std::string& name, const std::string& input_json) {
  std::string details = "{\"input\":";
  AppendJsonString(input_json, &details);
  details += ",\"inputDetails\":{\"truncated\":false},\"name\":";
  AppendJsonString(name, &details);
  details += "}";
  return details;
}

void StepRunner::ExecuteState(Frame& f) {
  const State& s = f.current();
  if (s.language == graph::QueryLanguage::kJsonata) return RunJsonataState(f);
  switch (s.type) {
    case StateType::kPass:
      return RunPass(f);
    case StateType::kChoice:
      return RunChoice(f);
    case StateType::kWait:
      return RunWait(f);
    case StateType::kSucceed:
      return RunSucceed(f);
    case StateType::kFail:
      return RunFail(f);
    case StateType::kTask:
      return RunTask(f);
    case StateType::kParallel:
      return RunParallel(f);
    case StateType::kMap:
      return RunMap(f);
  }
}

// ------------------------------------------------------------- evaluation

void StepRunner::MakeScopes(const Frame* f, Eval* e) {
  size_t depth = 0;
  for (const Frame* p = f; p != nullptr; p = p->parent) ++depth;
  expr::VariableScope* scopes = e->inline_scopes;
  if (depth > Eval::kInlineScopes) {
    e->scopes.resize(depth);
    scopes = e->scopes.data();
  }
  // scopes[0] is the innermost; each points at the next one out.
  size_t i = 0;
  for (const Frame* p = f; p != nullptr; p = p->parent, ++i) {
    scopes[i].vars = p->vars.is_object() ? &p->vars : nullptr;
    scopes[i].parent = i + 1 < depth ? &scopes[i + 1] : nullptr;
  }
  e->ctx.variables = depth > 0 ? &scopes[0] : nullptr;
}

void StepRunner::MakeEval(Frame& f, bool with_context, Eval* e) {
  MakeScopes(&f, e);
  if (with_context || f.current().uses_context) {
    e->context = x_.context_;
    const State& s = f.current();
    e->context["State"] = {{"EnteredTime", FormatTimestamp(f.entered_ms)},
                           {"Name", s.name},
                           {"RetryCount", f.retry_count}};
    if (s.type == StateType::kTask) e->context["Task"] = {{"Token", ""}};
    e->ctx.context = &e->context;
  }
}

Status StepRunner::ApplyAssign(Frame& f, const State& s,
                               const std::optional<expr::PayloadTemplate>& assign,
                               const Json& input, Eval& e, Json* assigned) {
  (void)s;
  (void)f;
  if (!assign) return Status::Ok();
  STEPFLOW_ASSIGN_OR_RETURN(Json values, assign->Evaluate(input, e.ctx));
  if (!values.is_object()) return Status::Ok();
  STEPFLOW_RETURN_IF_ERROR(CheckAssigned(values));
  *assigned = std::move(values);
  return Status::Ok();
}

Status StepRunner::CheckAssigned(const Json& values) const {
  for (const auto& [name, value] : values.items()) {
    size_t bytes = DumpCompact(value).size();
    if (bytes > x_.limits_.max_payload_bytes) {
      return Status::AslError(kDataLimit, "The value assigned to variable '" + name + "' (" +
                                              std::to_string(bytes) + " bytes) exceeds the limit");
    }
  }
  return Status::Ok();
}

Json StepRunner::RawInputForResultPath(const Frame& f) {
  const auto& rp = f.current().io.result_path;
  if (rp.mode == expr::PathField::Mode::kDefault) return Json();
  if (rp.mode == expr::PathField::Mode::kPath && rp.path.is_root_only()) return Json();
  return f.input;
}

Status StepRunner::CheckPayload(size_t bytes, const char* what) const {
  if (bytes <= x_.limits_.max_payload_bytes) return Status::Ok();
  return Status::AslError(kDataLimit, std::string("The ") + what + " of " + std::to_string(bytes) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(x_.limits_.max_payload_bytes) + " bytes");
}

// ------------------------------------------------------------------ events

int64_t StepRunner::Emit(Frame* f, const char* type, const std::string& state_path,
                         std::string details, bool force) {
  store::ExecutionRecord& r = x_.record_;
  if (!force && r.next_event_id >= x_.limits_.max_history_events) {
    history_full_ = true;  // keep the last id for ExecutionFailed
    return 0;
  }
  store::HistoryEvent e;
  e.id = r.next_event_id++;
  e.previous_event_id = f != nullptr && f->last_event_id > 0 ? f->last_event_id : e.id - 1;
  e.timestamp_ms = now_;
  e.type = type;
  e.state_path = state_path;
  e.details = std::move(details);
  if (f != nullptr) f->last_event_id = e.id;
  fx_->events.push_back(std::move(e));
  return r.next_event_id - 1;
}

}  // namespace stepflow::runtime
