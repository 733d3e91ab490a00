// The states that run inside one frame: Pass, Choice, Wait, Succeed, Fail
// and Task (ASL_NOTES §3, §8).
#include <cmath>
#include <limits>

#include "engine/expr/pipeline.h"
#include "engine/expr/timestamp.h"
#include "engine/runtime/history.h"
#include "engine/runtime/resource.h"
#include "engine/runtime/step_runner.h"

namespace stepflow::runtime {

using graph::State;

// How far ahead the engine arms a timer.
//
// A delay (Wait Seconds/SecondsPath, a Task's TimeoutSeconds(Path) and
// HeartbeatSeconds(Path); a Retry back-off saturates here, transitions.cc)
// is at most 99,999,999 s, about 3.2 years: the largest Seconds,
// TimeoutSeconds, HeartbeatSeconds or IntervalSeconds the validator accepts,
// so every valid literal runs and a value read from the input may be as
// large as a literal, no larger. (Step Functions caps a whole execution at
// one year; stepflow has no such cap.)
//
// A Wait Timestamp(Path) may be up to 100 years ahead ("2099-01-01" is a
// common "far future"). Any timestamp ASL can write (years 0000-9999) has
// milliseconds that fit in int64; what does not is the executor's wait for
// its next timer, which std::condition_variable::wait_for turns into int64
// nanoseconds: about 292 years at most. Past that the wait overflows and
// returns at once, a busy loop.
//
// Both bounds keep `now + milliseconds` far inside int64. A value past them
// fails the state with States.Runtime. (kLongestDelaySeconds is in
// step_runner.h.)

namespace {

constexpr int64_t kFarthestTimestampSeconds = int64_t{36'525} * 86'400;  // 100 years of days
std::string LongestDelayText() {
  return std::to_string(kLongestDelaySeconds) + " seconds (about 3.2 years)";
}
constexpr const char* kFarthestTimestampText = "100 years from now";

// True when the integral JSON number `v` is greater than `max`, decided
// without converting a value that does not fit in int64.
bool Exceeds(const Json& v, int64_t max) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() > static_cast<uint64_t>(max);
  if (v.is_number_integer()) return v.get<int64_t>() > max;
  const double d = v.get<double>();
  return d >= 9223372036854775808.0 || d > static_cast<double>(max);
}

// ReadNonNegative with an upper bound `max`, described by `limit`.
Result<int64_t> ReadBounded(const expr::Path& path, const Json& input,
                            const expr::EvalContext& ctx, const std::string& field, int64_t max,
                            const std::string& limit) {
  const Json* v = path.Find(input, ctx);
  if (v == nullptr) {
    return Status::AslError("States.Runtime", "Invalid path '" + path.text() + "' in " + field +
                                                  ": no value at that path");
  }
  if (!IsIntegral(*v) || v->get<double>() < 0) {
    return Status::AslError("States.Runtime", field + " '" + path.text() +
                                                  "' must point at a non-negative integer, "
                                                  "found " +
                                                  DumpCompact(*v));
  }
  if (Exceeds(*v, max)) {
    return Status::AslError("States.Runtime", field + " '" + path.text() + "' gives " +
                                                  DumpCompact(*v) + ", more than " + limit);
  }
  return v->get<int64_t>();
}

// A delay in seconds at a reference path (SecondsPath, TimeoutSecondsPath,
// HeartbeatSecondsPath): at most kLongestDelaySeconds, else States.Runtime.
Result<int64_t> ReadDelaySeconds(const expr::Path& path, const Json& input,
                                 const expr::EvalContext& ctx, const std::string& field) {
  return ReadBounded(path, input, ctx, field, kLongestDelaySeconds,
                     "the longest delay stepflow supports, " + LongestDelayText());
}

// A literal delay (Seconds, TimeoutSeconds, HeartbeatSeconds). The validator
// refuses one past kLongestDelaySeconds; checked again here so that the
// millisecond arithmetic below never depends on it.
Result<int64_t> CheckDelaySeconds(int64_t seconds, const std::string& field) {
  if (seconds < 0 || seconds > kLongestDelaySeconds) {
    return Status::AslError("States.Runtime",
                            field + " " + std::to_string(seconds) +
                                " is outside 0 to the longest delay stepflow supports, " +
                                LongestDelayText());
  }
  return seconds;
}

}  // namespace

Result<int64_t> TimestampFireAt(const expr::Timestamp& ts, int64_t now_ms,
                                const std::string& shown) {
  // Whole seconds first, so that ToMillis is only reached in range.
  const int64_t now_s = now_ms / 1000;
  if (ts.seconds < now_s) return now_ms;
  if (ts.seconds <= now_s + kFarthestTimestampSeconds) {
    const int64_t fire_at = ts.ToMillis();
    if (fire_at - now_ms <= kFarthestTimestampSeconds * 1000) return fire_at;
  }
  return Status::AslError("States.Runtime", shown +
                                                " is further ahead than the farthest instant "
                                                "stepflow waits for, " +
                                                std::string(kFarthestTimestampText));
}

Result<int64_t> ReadNonNegative(const expr::Path& path, const Json& input,
                                const expr::EvalContext& ctx, const std::string& field) {
  return ReadBounded(path, input, ctx, field, std::numeric_limits<int64_t>::max(),
                     "the largest integer stepflow handles, 9223372036854775807");
}

void StepRunner::RunPass(Frame& f) {
  const State& s = f.current();
  Eval e;
  MakeEval(f, false, &e);
  Result<Json> effective = s.io.EffectiveInput(f.input, e.ctx);
  if (!effective.ok())
    return HandleError(f, effective.status().error(), effective.status().message());
  const auto& spec = s.As<graph::PassSpec>();
  CompleteWithResult(f, spec.result ? *spec.result : std::move(effective).value(), e);
}

void StepRunner::CompleteWithResult(Frame& f, Json result, Eval& e) {
  const State& s = f.current();
  if (s.language == graph::QueryLanguage::kJsonata) return CompleteJsonata(f, std::move(result), e);
  Json assigned;
  if (Status st = ApplyAssign(f, s, s.assign, result, e, &assigned); !st.ok()) {
    return HandleError(f, st.error(), st.message());
  }
  Result<Json> out = s.io.Output(RawInputForResultPath(f), std::move(result), e.ctx);
  if (!out.ok()) return HandleError(f, out.status().error(), out.status().message());
  Exit(f, std::move(out).value(), &assigned);
}

void StepRunner::RunChoice(Frame& f) {
  const State& s = f.current();
  Eval e;
  MakeEval(f, false, &e);
  Json selected;
  const Json* effective = &f.input;  // InputPath "$" reads the input in place
  if (s.io.input_path.mode != expr::PathField::Mode::kDefault) {
    Result<Json> r = expr::ApplyInputPath(s.io.input_path, f.input, e.ctx);
    if (!r.ok()) return HandleError(f, r.status().error(), r.status().message());
    selected = std::move(r).value();
    effective = &selected;
  }
  const auto& spec = s.As<graph::ChoiceSpec>();
  int next = graph::kNoState;
  const std::optional<expr::PayloadTemplate>* assign = &s.assign;
  for (const graph::ChoiceBranch& branch : spec.choices) {
    if (!branch.rule) continue;
    Result<bool> matched = branch.rule->Evaluate(*effective, e.ctx);
    if (!matched.ok()) return HandleError(f, matched.status().error(), matched.status().message());
    if (*matched) {
      next = branch.next;
      assign = &branch.assign;
      break;
    }
  }
  if (next == graph::kNoState) next = spec.default_next;
  if (next == graph::kNoState) {
    return HandleError(
        f, "States.NoChoiceMatched",
        "No Choice Rule matched the input of state '" + s.name + "' and it has no Default");
  }
  Json assigned;
  if (Status st = ApplyAssign(f, s, *assign, *effective, e, &assigned); !st.ok()) {
    return HandleError(f, st.error(), st.message());
  }
  if (s.io.output_path.mode == expr::PathField::Mode::kDefault) {
    // The output is the effective input: hand it over instead of copying.
    Json output = effective == &f.input ? Json(std::move(f.input)) : std::move(selected);
    std::string text = std::move(f.input_text);  // set by EnterState for this case
    f.input_text.clear();
    return Exit(f, std::move(output), &assigned, next, text.empty() ? nullptr : &text);
  }
  Result<Json> out = expr::ApplyOutputPath(s.io.output_path, *effective, e.ctx);
  if (!out.ok()) return HandleError(f, out.status().error(), out.status().message());
  Exit(f, std::move(out).value(), &assigned, next);
}

void StepRunner::RunWait(Frame& f) {
  const State& s = f.current();
  Eval e;
  MakeEval(f, false, &e);
  Result<Json> effective = expr::ApplyInputPath(s.io.input_path, f.input, e.ctx);
  if (!effective.ok())
    return HandleError(f, effective.status().error(), effective.status().message());
  const auto& spec = s.As<graph::WaitSpec>();
  // Every delay is at most kLongestDelaySeconds, so `now_ + ms` fits.
  Result<int64_t> fire_at = now_;
  if (spec.seconds.value || spec.seconds.path) {
    Result<int64_t> seconds =
        spec.seconds.value ? CheckDelaySeconds(*spec.seconds.value, "Seconds")
                           : ReadDelaySeconds(*spec.seconds.path, *effective, e.ctx, "SecondsPath");
    if (!seconds.ok()) return HandleError(f, seconds.status().error(), seconds.status().message());
    fire_at = now_ + *seconds * 1000;
  } else if (spec.timestamp.value) {
    fire_at = TimestampFireAt(*spec.timestamp.value, now_,
                              "Timestamp '" + spec.timestamp.value->ToString() + "'");
  } else if (spec.timestamp.path) {
    const Json* v = spec.timestamp.path->Find(*effective, e.ctx);
    std::optional<expr::Timestamp> ts;
    if (v != nullptr && v->is_string())
      ts = expr::Timestamp::Parse(v->get_ref<const std::string&>());
    if (!ts) {
      return HandleError(f, "States.Runtime",
                         "TimestampPath '" + spec.timestamp.path->text() +
                             "' must point at an RFC 3339 timestamp, found " +
                             (v ? DumpCompact(*v) : std::string("nothing")));
    }
    fire_at = TimestampFireAt(*ts, now_,
                              "TimestampPath '" + spec.timestamp.path->text() + "' (" +
                                  v->get_ref<const std::string&>() + ")");
  }
  if (!fire_at.ok()) return HandleError(f, fire_at.status().error(), fire_at.status().message());
  Json assigned;
  if (Status st = ApplyAssign(f, s, s.assign, *effective, e, &assigned); !st.ok()) {
    return HandleError(f, st.error(), st.message());
  }
  Result<Json> out = expr::ApplyOutputPath(s.io.output_path, *effective, e.ctx);
  if (!out.ok()) return HandleError(f, out.status().error(), out.status().message());
  if (*fire_at <= now_) return Exit(f, std::move(out).value(), &assigned);
  f.wait_output = Json::object();
  f.wait_output["output"] = std::move(out).value();
  f.wait_output["assigned"] = std::move(assigned);
  ArmTimer(f, Phase::kWait, *fire_at);
}

void StepRunner::RunSucceed(Frame& f) {
  const State& s = f.current();
  Eval e;
  MakeEval(f, false, &e);
  Result<Json> effective = expr::ApplyInputPath(s.io.input_path, f.input, e.ctx);
  if (!effective.ok())
    return HandleError(f, effective.status().error(), effective.status().message());
  Result<Json> out = expr::ApplyOutputPath(s.io.output_path, *effective, e.ctx);
  if (!out.ok()) return HandleError(f, out.status().error(), out.status().message());
  Exit(f, std::move(out).value(), nullptr);
}

void StepRunner::RunFail(Frame& f) {
  const State& s = f.current();
  const auto& spec = s.As<graph::FailSpec>();
  Eval e;
  MakeEval(f, false, &e);
  auto read = [&](const std::optional<std::string>& literal, const graph::PathOrIntrinsic& dyn,
                  const char* field, std::optional<std::string>* out) -> Status {
    if (literal) {
      *out = *literal;
      return Status::Ok();
    }
    Json value;
    if (dyn.path) {
      const Json* v = dyn.path->Find(f.input, e.ctx);
      if (v == nullptr) {
        return Status::AslError("States.Runtime", std::string("Invalid path '") + dyn.path->text() +
                                                      "' in " + field + ": no value at that path");
      }
      value = *v;
    } else if (dyn.call) {
      STEPFLOW_ASSIGN_OR_RETURN(value, dyn.call->Evaluate(f.input, e.ctx));
    } else {
      return Status::Ok();
    }
    if (!value.is_string()) {
      return Status::AslError(
          "States.Runtime",
          std::string(field) + " must produce a string, got " + DumpCompact(value));
    }
    *out = value.get<std::string>();
    return Status::Ok();
  };
  std::optional<std::string> error, cause;
  Status st = read(spec.error, spec.error_path, "ErrorPath", &error);
  if (st.ok()) st = read(spec.cause, spec.cause_path, "CausePath", &cause);
  if (!st.ok()) return FailFrame(f, st.error(), st.message());
  FailFrame(f, error.value_or(""), cause);
}

void StepRunner::WarmNext(const Frame& f) {
  const graph::Graph& g = *f.graph;
  auto warm_from = [&](int index) {
    for (int hops = 0; index != graph::kNoState && hops < 5; ++hops) {
      const State& s = g.state(index);
      if (s.type == graph::StateType::kPass) {
        index = s.next;
        continue;
      }
      if (s.type != graph::StateType::kTask) return;
      // The resource alone (no input): lambda:invoke's FunctionName may be
      // dynamic, and then there is nothing to warm.
      Result<ResolvedTask> next = ResolveTask(s.As<graph::TaskSpec>().resource, Json::object());
      if (next.ok() && next->activity.empty() && next->child == ChildMode::kNone &&
          !next->wait_for_token && !next->function.empty()) {
        x_.limits_.warm_function(next->function);
      }
      return;
    }
  };
  const State& current = f.current();
  warm_from(current.next);
  for (const graph::Catcher& c : current.catchers) warm_from(c.next);
}

void StepRunner::RunTask(Frame& f) {
  const State& s = f.current();
  const auto& spec = s.As<graph::TaskSpec>();
  Eval e;
  MakeEval(f, false, &e);
  // $$.Task.Token: the key of the call about to be scheduled (its
  // TaskScheduled/ActivityScheduled event is the next one emitted).
  if (e.ctx.context != nullptr) {
    e.context["Task"]["Token"] = TaskKey(x_.record_.id, x_.record_.next_event_id);
  }
  Result<Json> effective = s.io.EffectiveInput(f.input, e.ctx);
  if (!effective.ok())
    return HandleError(f, effective.status().error(), effective.status().message());
  // Both at most kLongestDelaySeconds, so their milliseconds and the
  // deadlines `now_ + ms` fit.
  auto read_seconds = [&](const graph::Dynamic<int64_t>& field, const char* name,
                          const char* path_name, int64_t* out) -> Status {
    if (field.value) {
      STEPFLOW_ASSIGN_OR_RETURN(*out, CheckDelaySeconds(*field.value, name));
    } else if (field.path) {
      STEPFLOW_ASSIGN_OR_RETURN(int64_t t, ReadDelaySeconds(*field.path, f.input, e.ctx, path_name));
      if (t <= 0) {
        return Status::AslError("States.Runtime",
                                std::string(path_name) + " must give a positive integer");
      }
      *out = t;
    }
    return Status::Ok();
  };
  int64_t timeout_s = 0, heartbeat_s = 0;
  if (Status st =
          read_seconds(spec.timeout_seconds, "TimeoutSeconds", "TimeoutSecondsPath", &timeout_s);
      !st.ok())
    return HandleError(f, st.error(), st.message());
  if (Status st = read_seconds(spec.heartbeat_seconds, "HeartbeatSeconds", "HeartbeatSecondsPath",
                               &heartbeat_s);
      !st.ok())
    return HandleError(f, st.error(), st.message());
  ScheduleTask(f, std::move(effective).value(), timeout_s, heartbeat_s);
}

void StepRunner::ScheduleTask(Frame& f, Json effective, int64_t timeout_s, int64_t heartbeat_s) {
  const auto& spec = f.current().As<graph::TaskSpec>();
  Result<ResolvedTask> resolved = ResolveTask(spec.resource, std::move(effective));
  if (!resolved.ok()) return HandleError(f, resolved.status().error(), resolved.status().message());
  const bool activity = !resolved->activity.empty();
  const TaskKind kind = activity                   ? TaskKind::kActivity
                        : resolved->wait_for_token ? TaskKind::kCallback
                        : resolved->child != ChildMode::kNone ? TaskKind::kChild
                                                   : TaskKind::kCall;
  if ((kind == TaskKind::kCallback || kind == TaskKind::kActivity) && !x_.limits_.callbacks) {
    return HandleError(f, "States.TaskFailed",
                       activity ? "activities are served by `stepflow server` (PollTask); they "
                                  "cannot run in embedded mode"
                                : "'.waitForTaskToken' tasks are completed through `stepflow "
                                  "server` (SendTaskSuccess); they cannot run in embedded mode");
  }
  // A plain call is bounded by its deadline (TimeoutSeconds, default 60 s);
  // callbacks and activities wait as long as TimeoutSeconds says, or forever.
  if (kind == TaskKind::kCall) {
    if (timeout_s == 0) timeout_s = x_.limits_.default_task_timeout_seconds;
    heartbeat_s = 0;  // the function protocol has no heartbeats
  }
  if (kind == TaskKind::kChild) heartbeat_s = 0;  // a child execution sends none
  std::string input_json = DumpCompact(resolved->input);
  if (Status st = CheckPayload(input_json.size(), "task input"); !st.ok()) {
    return HandleError(f, st.error(), st.message());
  }
  std::string path = f.StatePath();
  std::string version;
  if (kind == TaskKind::kCall && f.keep_pin && f.pinned_state == f.state &&
      f.pinned_function == resolved->function) {
    version = f.task_version;  // a redrive calls what the failed attempt called
  } else if (kind == TaskKind::kCall && x_.limits_.pin_function) {
    version = x_.limits_.pin_function(resolved->function);
  }
  f.keep_pin = false;
  int64_t id = 0;
  if (activity) {
    std::string details = "{";
    if (heartbeat_s > 0) details += "\"heartbeatInSeconds\":" + std::to_string(heartbeat_s) + ",";
    details += "\"input\":";
    AppendJsonString(input_json, &details);
    details += ",\"inputDetails\":{\"truncated\":false},\"resource\":";
    AppendJsonString(resolved->resource, &details);
    if (timeout_s > 0) details += ",\"timeoutInSeconds\":" + std::to_string(timeout_s);
    details += "}";
    id = Emit(&f, "ActivityScheduled", path, std::move(details));
    if (id == 0) return;  // history full; Drain fails the execution
  } else {
    std::string details = "{";
    if (!version.empty()) {
      details += "\"functionVersion\":";
      AppendJsonString(version, &details);
      details += ",";
    }
    if (heartbeat_s > 0) details += "\"heartbeatInSeconds\":" + std::to_string(heartbeat_s) + ",";
    details += "\"parameters\":";
    AppendJsonString(input_json, &details);
    details += ",\"region\":\"local\",\"resource\":";
    AppendJsonString(resolved->resource, &details);
    details += ",\"resourceType\":";
    AppendJsonString(resolved->resource_type, &details);
    if (timeout_s > 0) details += ",\"timeoutInSeconds\":" + std::to_string(timeout_s);
    details += "}";
    id = Emit(&f, "TaskScheduled", path, std::move(details));
    if (id == 0) return;  // history full; Drain fails the execution
    std::string started = "{\"resource\":";
    AppendJsonString(resolved->resource, &started);
    started += ",\"resourceType\":";
    AppendJsonString(resolved->resource_type, &started);
    started += "}";
    Emit(&f, "TaskStarted", path, std::move(started));
  }

  f.phase = Phase::kTask;
  f.task_id = id;
  f.task_kind = kind;
  f.task_function = std::move(resolved->function);
  f.task_version = std::move(version);
  f.pinned_state = f.task_version.empty() ? -1 : f.state;
  f.pinned_function = f.task_version.empty() ? "" : f.task_function;
  if (kind == TaskKind::kCall && x_.limits_.warm_function) WarmNext(f);
  f.task_activity = std::move(resolved->activity);
  f.task_resource = resolved->resource;
  f.task_resource_type = resolved->resource_type;
  f.task_timeout_ms = timeout_s * 1000;
  f.task_heartbeat_ms = heartbeat_s * 1000;
  f.task_wrap_payload = resolved->wrap_payload && kind == TaskKind::kCall;  // callbacks: as sent
  f.task_input = std::move(input_json);
  if (kind != TaskKind::kCall) {
    if (timeout_s > 0) {
      f.task_timeout_fire_ms = now_ + f.task_timeout_ms;
      f.task_timeout_timer = ArmTaskTimer(f, f.task_timeout_fire_ms);
    }
    if (heartbeat_s > 0) {
      f.heartbeat_fire_ms = now_ + f.task_heartbeat_ms;
      f.heartbeat_timer = ArmTaskTimer(f, f.heartbeat_fire_ms);
    }
  }
  x_.tasks_[id] = &f;
  fx_->dispatches.push_back(TaskDispatch(x_.record_.id, f));
}

void StepRunner::TaskSucceeded(Frame& f, const std::string& output_json,
                               const std::string& executed_version) {
  Result<Json> parsed = ParseJsonData(output_json);
  if (!parsed.ok()) {
    return HandleError(f, "States.TaskFailed",
                       "The function's output is unusable: " + parsed.status().message());
  }
  Json result = std::move(parsed).value();
  if (f.task_wrap_payload) result = WrapLambdaResult(std::move(result), executed_version);
  f.task_input.clear();
  Eval e;
  MakeEval(f, false, &e);
  CompleteWithResult(f, std::move(result), e);
}

}  // namespace stepflow::runtime
