// Leaving a state: exits and transitions, Retry and Catch (ASL_NOTES §7),
// failing and aborting frames, and finishing the execution.
#include <algorithm>
#include <cmath>
#include <random>

#include "engine/runtime/clock.h"
#include "engine/runtime/history.h"
#include "engine/runtime/step_runner.h"

namespace stepflow::runtime {

using graph::State;
using graph::StateType;

void StepRunner::Exit(Frame& f, Json output, const Json* assigned, int next_override,
                      std::string* output_text) {
  const State& s = f.current();
  std::string output_json = output_text ? std::move(*output_text) : DumpCompact(output);
  if (Status st = CheckPayload(output_json.size(), "state output"); !st.ok()) {
    FailFrame(f, st.error(), st.message());
    return;
  }
  std::string details = "{\"name\":";
  AppendJsonString(s.name, &details);
  details += ",\"output\":";
  AppendJsonString(output_json, &details);
  details += ",\"outputDetails\":{\"truncated\":false}";
  if (assigned != nullptr && assigned->is_object() && !assigned->empty()) {
    if (!f.vars.is_object()) f.vars = Json::object();
    Json shown = Json::object();
    for (auto& [name, value] : assigned->items()) {
      shown[name] = DumpCompact(value);
      f.vars[name] = value;
    }
    details += ",\"assignedVariables\":" + DumpCompact(shown) +
               ",\"assignedVariablesDetails\":{\"truncated\":false}";
  }
  details += "}";
  Emit(&f, ExitedEvent(s.type), f.StatePath(), std::move(details));
  int next = next_override != graph::kNoState ? next_override : s.next;
  if (s.type == StateType::kSucceed || (next_override == graph::kNoState && s.end)) {
    FrameSucceeded(f, std::move(output));
    return;
  }
  Transition(f, next, std::move(output));
  if (f.state == next) f.input_text = std::move(output_json);  // the next Entered event's input
}

void StepRunner::Transition(Frame& f, int next, Json output) {
  if (next == graph::kNoState) {
    FrameSucceeded(f, std::move(output));
    return;
  }
  DiscardFanout(f);
  f.state = next;
  f.input = std::move(output);
  f.input_text.clear();
  f.phase = Phase::kEnter;
  // The Run loop advancing this frame picks it up again; any other frame
  // (resumed by a task outcome, a timer or its children) is queued.
  if (&f != running_) ready_.push_back(&f);
}

void StepRunner::FrameSucceeded(Frame& f, Json output) {
  f.status = FrameStatus::kSucceeded;
  f.phase = Phase::kDone;
  DiscardFanout(f);
  if (f.parent == nullptr) {
    std::string text = DumpCompact(output);
    std::string details = "{\"output\":";
    AppendJsonString(text, &details);
    details += ",\"outputDetails\":{\"truncated\":false}}";
    f.input = std::move(output);
    FinishExecution(store::kSucceeded, "ExecutionSucceeded", std::move(details), &text, nullptr,
                    nullptr);
    return;
  }
  f.input = std::move(output);
  finished_.push_back(&f);
}

double RetryDelaySeconds(const graph::Retrier& r, int64_t n) {
  // IntervalSeconds x BackoffRate^n outgrows int64 milliseconds at n = 53
  // with the default rate 2, and is inf at n = 2 with a rate of 1e308: it
  // saturates at MaxDelaySeconds, or else at the longest delay the engine
  // arms, before it is jittered or made milliseconds.
  const double cap = static_cast<double>(
      std::min(r.max_delay_seconds.value_or(kLongestDelaySeconds), kLongestDelaySeconds));
  double delay =
      static_cast<double>(r.interval_seconds) * std::pow(r.backoff_rate, static_cast<double>(n));
  if (!(delay <= cap)) delay = cap;  // inf and NaN too
  if (delay < 0) delay = 0;
  return delay;
}

void StepRunner::HandleError(Frame& f, const std::string& error,
                             const std::optional<std::string>& cause) {
  const State& s = f.current();
  if (!Uncatchable(error)) {
    for (size_t i = 0; i < s.retry.size(); ++i) {
      const graph::Retrier& r = s.retry[i];
      if (!ErrorMatches(r.error_equals, error)) continue;
      if (f.retry_counts.size() < s.retry.size()) f.retry_counts.resize(s.retry.size(), 0);
      int64_t& n = f.retry_counts[i];
      if (n >= r.max_attempts) break;  // this retrier is spent: go to Catch
      double delay = RetryDelaySeconds(r, n);
      if (r.jitter_full) {
        uint64_t bits = x_.limits_.random ? x_.limits_.random() : std::random_device{}();
        delay = delay * (static_cast<double>(bits % 1'000'000) / 1'000'000.0);
      }
      ++n;
      ++f.retry_count;
      ArmTimer(f, Phase::kRetry, now_ + static_cast<int64_t>(std::llround(delay * 1000.0)));
      return;
    }
    for (const graph::Catcher& c : s.catchers) {
      if (!ErrorMatches(c.error_equals, error)) continue;
      Json error_output = {{"Error", error}};
      if (cause) error_output["Cause"] = *cause;
      if (s.language == graph::QueryLanguage::kJsonata) {
        return CatchJsonata(f, c, std::move(error_output));
      }
      Eval e;
      MakeEval(f, false, &e);
      Json assigned;
      if (Status st = ApplyAssign(f, s, c.assign, error_output, e, &assigned); !st.ok()) {
        FailFrame(f, st.error(), st.message());
        return;
      }
      Result<Json> out = expr::ApplyResultPath(c.result_path, f.input, std::move(error_output));
      if (!out.ok()) {
        FailFrame(f, out.status().error(), out.status().message());
        return;
      }
      // Like Step Functions, a caught error still exits the state, with the
      // catcher's output.
      DiscardFanout(f);
      f.phase = Phase::kEnter;
      Exit(f, std::move(out).value(), &assigned, c.next);
      return;
    }
  }
  FailFrame(f, error, cause);
}

void StepRunner::FailFrame(Frame& f, const std::string& error,
                           const std::optional<std::string>& cause) {
  f.status = FrameStatus::kFailed;
  f.error = error;
  f.cause = cause;
  if (f.parent == nullptr) {
    FailExecution(error, cause);
    return;
  }
  finished_.push_back(&f);
}

void StepRunner::FailExecution(const std::string& error, const std::optional<std::string>& cause) {
  AbortFrame(x_.root_, /*emit=*/false);
  if (x_.root_.status == FrameStatus::kAborted && x_.root_.error.empty()) {
    x_.root_.error = error;
    x_.root_.cause = cause;
  }
  // A Fail state may name no error: then there is none, not an empty one.
  FinishExecution(store::kFailed, "ExecutionFailed", ErrorDetails(error, cause), nullptr,
                  error.empty() ? nullptr : &error, &cause);
}

void StepRunner::FinishExecution(const char* status, const char* event_type, std::string details,
                                 const std::string* output, const std::string* error,
                                 const std::optional<std::string>* cause) {
  store::ExecutionRecord& r = x_.record_;
  Emit(&x_.root_, event_type, "", std::move(details), /*force=*/true);
  r.status = status;
  r.stop_ms = now_;
  if (output)
    r.output = *output;
  else
    r.output.reset();
  if (error)
    r.error = *error;
  else
    r.error.reset();
  if (cause)
    r.cause = *cause;
  else
    r.cause.reset();
  if (x_.timeout_fire_ms_ > 0) {
    fx_->timers_done.push_back(kExecutionTimeoutTimer);
    x_.timeout_fire_ms_ = 0;
  }
  ready_.clear();
  finished_.clear();
}

// Stops every running frame below and including `f`: Tasks in flight are
// forgotten (their outcomes will be ignored), timers disarmed. The frames
// keep their position so a redrive can resume them.
void StepRunner::AbortFrame(Frame& f, bool emit) {
  if (f.status != FrameStatus::kRunning) return;
  f.status = FrameStatus::kAborted;
  const State& s = f.current();
  const char* aborted_event = nullptr;
  switch (f.phase) {
    case Phase::kTask:
      x_.tasks_.erase(f.task_id);
      fx_->tasks_done.push_back(f.task_id);
      ClearTaskTimers(f);
      aborted_event = s.type == StateType::kTask ? "TaskStateAborted" : nullptr;
      break;
    case Phase::kWait:
    case Phase::kRetry:
      x_.timers_.erase(f.timer_id);
      fx_->timers_done.push_back(f.timer_id);
      aborted_event = s.type == StateType::kWait   ? "WaitStateAborted"
                      : s.type == StateType::kTask ? "TaskStateAborted"
                      : s.type == StateType::kMap  ? "MapStateAborted"
                                                   : "ParallelStateAborted";
      break;
    case Phase::kChildren:
      if (f.fanout) {
        Fanout& fo = *f.fanout;
        for (size_t i = 0; i < fo.children.size(); ++i) {
          Child& c = fo.children[i];
          if (c.status != Child::Status::kRunning) continue;
          AbortFrame(*c.frame, emit);
          c.status = Child::Status::kAborted;
          if (fo.is_map && emit) {
            Emit(
                &f, "MapIterationAborted",
                f.StatePath(), "{\"index\":" + std::to_string(i) + ",\"name\":" + [&] {
                  std::string n;
                  AppendJsonString(s.name, &n);
                  return n;
                }() + "}");
          }
        }
        fo.running = 0;
      }
      aborted_event = s.type == StateType::kMap ? "MapStateAborted" : "ParallelStateAborted";
      break;
    default:
      break;
  }
  if (emit && aborted_event != nullptr) Emit(&f, aborted_event, f.StatePath(), "{}");
}

void StepRunner::ArmTimer(Frame& f, Phase phase, int64_t fire_at_ms) {
  f.phase = phase;
  f.timer_id = x_.next_timer_id_++;
  f.fire_at_ms = fire_at_ms;
  x_.timers_[f.timer_id] = &f;
  fx_->timers.push_back({f.timer_id, fire_at_ms});
}

int64_t StepRunner::ArmTaskTimer(Frame& f, int64_t fire_at_ms) {
  int64_t id = x_.next_timer_id_++;
  x_.timers_[id] = &f;
  fx_->timers.push_back({id, fire_at_ms});
  return id;
}

void StepRunner::ClearTaskTimers(Frame& f) {
  for (int64_t* id : {&f.task_timeout_timer, &f.heartbeat_timer}) {
    if (*id == 0) continue;
    if (x_.timers_.erase(*id) > 0) fx_->timers_done.push_back(*id);
    *id = 0;
  }
  f.task_timeout_fire_ms = f.heartbeat_fire_ms = 0;
}

}  // namespace stepflow::runtime
