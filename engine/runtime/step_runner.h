// Internal to engine/runtime: the code that applies one input to an
// Execution (execution.h). Split over execution.cc (entry points, the run
// loop, evaluation, events), transitions.cc (exits, Retry/Catch, failing
// and aborting), states.cc (Pass, Choice, Wait, Succeed, Fail, Task),
// fanout.cc (Parallel, Map, redrive) and checkpoint.cc (serialisation).
//
// Frames that can make progress are kept on work lists instead of being run
// recursively, so a 10,000-iteration Map of pure states never deepens the
// stack: `ready_` holds frames about to enter a state, `finished_` child
// frames whose parent has not yet seen that they ended.
#pragma once

#include <deque>
#include <string>

#include "engine/expr/eval_context.h"
#include "engine/expr/timestamp.h"
#include "engine/runtime/execution.h"

namespace stepflow::runtime {

class StepRunner {
 public:
  StepRunner(Execution& exec, int64_t now_ms, StepEffects* fx) : x_(exec), now_(now_ms), fx_(fx) {}

  void Start();
  bool TaskOutcome(int64_t task_id, const stepflow::runtime::TaskOutcome& outcome);
  bool Timer(int64_t timer_id);
  bool TaskStarted(int64_t task_id, const std::string& info);
  bool Heartbeat(int64_t task_id);
  Status Redrive();
  void Stop(const std::string& error, const std::optional<std::string>& cause);

 private:
  // An evaluation environment for one state of one frame.
  struct Eval {
    static constexpr size_t kInlineScopes = 6;
    Json context;
    expr::VariableScope inline_scopes[kInlineScopes];
    std::vector<expr::VariableScope> scopes;  // deeper nesting
    expr::EvalContext ctx;
    Eval() = default;
    Eval(const Eval&) = delete;  // ctx points into this object
  };

  // Runs queued work until every frame waits or ends.
  void Drain();
  void Run(Frame& f);
  void EnterState(Frame& f);
  void ExecuteState(Frame& f);

  void RunPass(Frame& f);
  void RunChoice(Frame& f);
  void RunWait(Frame& f);
  void RunSucceed(Frame& f);
  void RunFail(Frame& f);
  void RunTask(Frame& f);
  // The rest of a Task once its effective input and TimeoutSeconds /
  // HeartbeatSeconds (0 = not set) are known: resolves the resource,
  // records the scheduling events and dispatches the call.
  void ScheduleTask(Frame& f, Json effective, int64_t timeout_s, int64_t heartbeat_s);
  // Tells Limits::warm_function the functions of the Tasks the current Task
  // can go on to (its Next and Catch targets, through up to 4 Pass states).
  void WarmNext(const Frame& f);
  void TaskSucceeded(Frame& f, const std::string& output_json,
                     const std::string& executed_version);
  // The end of a state that has a result (Pass, Task, Parallel, Map): Assign
  // reads the result; ResultSelector, ResultPath, OutputPath make the output.
  void CompleteWithResult(Frame& f, Json result, Eval& e);
  void RunParallel(Frame& f);
  void RunMap(Frame& f);

  // JSONata states (jsonata_states.cc, ASL_NOTES §4): Arguments, Output and
  // Assign instead of the JSONPath pipeline. A failing expression records
  // EvaluationFailed and raises States.QueryEvaluationError.
  void RunJsonataState(Frame& f);
  void JsonataPass(Frame& f);
  void JsonataChoice(Frame& f);
  void JsonataWait(Frame& f);
  void JsonataSucceed(Frame& f);
  void JsonataFail(Frame& f);
  void JsonataTask(Frame& f);
  void JsonataParallel(Frame& f);
  void JsonataMap(Frame& f);
  // The end of a JSONata Task, Parallel or Map: Output (default: the
  // result) and Assign, both reading $states.result.
  void CompleteJsonata(Frame& f, Json result, Eval& e);
  // A JSONata catcher that matched `error`: its Assign and Output (default:
  // the Error Output), reading $states.errorOutput.
  void CatchJsonata(Frame& f, const graph::Catcher& c, Json error_output);
  // Records EvaluationFailed for the failure `st` of the field at
  // `location`, then fails the state (HandleError; FailFrame when `fatal`).
  void JsonataFailed(Frame& f, const Status& st, const std::string& location, bool fatal = false);
  // Exits with the state input as the output, handing over its text when
  // EnterState kept it (OutputIsInput).
  void ExitWithInput(Frame& f, const Json* assigned, int next);

  // Parallel / Map children.
  void StartFanout(Frame& f, std::unique_ptr<Fanout> fanout);
  void StartPending(Frame& f);
  void StartChild(Frame& f, size_t index);
  void ChildFinished(Frame& child);
  void FanoutFailed(Frame& f, const std::string& error, const std::optional<std::string>& cause);
  void FanoutSucceeded(Frame& f);
  void DiscardFanout(Frame& f);
  bool ToleratesFailures(const Fanout& fo) const;

  // Leaving a state.
  // `output_text`, when given, is `output` as JSON text already (taken).
  void Exit(Frame& f, Json output, const Json* assigned, int next_override = graph::kNoState,
            std::string* output_text = nullptr);
  void Transition(Frame& f, int next, Json output);
  void FrameSucceeded(Frame& f, Json output);
  void HandleError(Frame& f, const std::string& error, const std::optional<std::string>& cause);
  void FailFrame(Frame& f, const std::string& error, const std::optional<std::string>& cause);
  void AbortFrame(Frame& f, bool emit);
  void FinishExecution(const char* status, const char* event_type, std::string details,
                       const std::string* output, const std::string* error,
                       const std::optional<std::string>* cause);
  void FailExecution(const std::string& error, const std::optional<std::string>& cause);
  void RedriveFrame(Frame& f);
  void ArmTimer(Frame& f, Phase phase, int64_t fire_at_ms);
  // A timer of the Task `f` waits on (timeout or heartbeat); returns its id.
  int64_t ArmTaskTimer(Frame& f, int64_t fire_at_ms);
  // Disarms the Task's timeout and heartbeat timers.
  void ClearTaskTimers(Frame& f);

  // Evaluation helpers.
  void MakeEval(Frame& f, bool with_context, Eval* e);
  void MakeScopes(const Frame* f, Eval* e);
  Status ApplyAssign(Frame& f, const graph::State& s,
                     const std::optional<expr::PayloadTemplate>& assign, const Json& input, Eval& e,
                     Json* assigned);
  // States.DataLimitExceeded when a variable's value in `values` (an
  // object: name → value) is larger than the payload limit.
  Status CheckAssigned(const Json& values) const;
  Status CheckPayload(size_t bytes, const char* what) const;
  // The raw input ResultPath writes into: a copy, or nothing when the
  // state's ResultPath ignores it (the default "$").
  static Json RawInputForResultPath(const Frame& f);

  // Events.
  int64_t Emit(Frame* f, const char* type, const std::string& state_path, std::string details,
               bool force = false);
  std::string EnteredDetails(const std::string& name, const std::string& input_json);

  Execution& x_;
  int64_t now_;
  StepEffects* fx_;
  std::deque<Frame*> ready_;
  std::deque<Frame*> finished_;
  Frame* running_ = nullptr;  // the frame Run() is advancing
  bool history_full_ = false;
};

inline constexpr const char* kRuntime = "States.Runtime";
// The longest delay (Wait, timeouts, heartbeats, retry back-off) the engine
// arms a timer for: the largest literal the validator accepts, about 3.2
// years. Why, in states.cc.
inline constexpr int64_t kLongestDelaySeconds = 99'999'999;
inline constexpr const char* kDataLimit = "States.DataLimitExceeded";

// States.Runtime and States.DataLimitExceeded: no Retry or Catch sees them.
inline bool Uncatchable(const std::string& error) {
  return error == kRuntime || error == kDataLimit;
}

// A missed heartbeat is a kind of timeout: `States.Timeout` matches it too.
inline bool IsTimeout(const std::string& error) {
  return error == "States.Timeout" || error == "States.HeartbeatTimeout";
}

// Error matching (ASL_NOTES §7): States.ALL matches everything but
// States.Runtime and States.DataLimitExceeded; States.TaskFailed matches
// everything but those two and the timeouts; States.Timeout also matches
// States.HeartbeatTimeout.
bool ErrorMatches(const std::vector<std::string>& error_equals, const std::string& error);

// The back-off before retry number `n` (0 = the first) of retrier `r`, in
// seconds, before jitter: IntervalSeconds x BackoffRate^n, at most
// MaxDelaySeconds and the longest delay the engine arms (also for inf/NaN).
double RetryDelaySeconds(const graph::Retrier& r, int64_t n);

// Reads a non-negative integer at a reference path (SecondsPath,
// MaxConcurrencyPath, ...); States.Runtime naming `field` otherwise.
Result<int64_t> ReadNonNegative(const expr::Path& path, const Json& input,
                                const expr::EvalContext& ctx, const std::string& field);

// When a Wait until `ts` fires: `now_ms` for an instant already past, else
// that instant; States.Runtime when it is further ahead than 100 years
// (why, in states.cc). `shown` names the field and the timestamp.
Result<int64_t> TimestampFireAt(const expr::Timestamp& ts, int64_t now_ms,
                                const std::string& shown);

// Splits Map items into ItemBatcher batches ({"Items": [...], "BatchInput"}),
// bounded by MaxItemsPerBatch(Path) and MaxInputBytesPerBatch(Path) read
// from `batcher` (paths on `input`).
Result<std::vector<Json>> BatchItems(const Json& batcher, std::vector<Json> items,
                                     const Json& input, const expr::EvalContext& ctx,
                                     const Json* batch_input);

// True when the state's output can only be its input (a Choice with the
// default InputPath/OutputPath, a JSONata Pass, Succeed or Choice without
// Output): EnterState keeps the input's text for the exit.
bool OutputIsInput(const graph::State& s);

// "TaskStateEntered" etc.
const char* EnteredEvent(graph::StateType type);
const char* ExitedEvent(graph::StateType type);

}  // namespace stepflow::runtime
