// One execution of a state machine: its checkpointable state and the pure
// "decide" step (STYLE: Temporal's shape).
//
// An Execution is a tree of Frames. A Frame runs one sequence of states in
// one Graph: the machine itself (the root), a Parallel branch or a Map
// iteration. Every input — start, a Task outcome, a timer firing, redrive,
// stop — is applied by one method that changes the tree in memory and
// appends what must happen to a StepEffects: history events, Task calls to
// send and timers to arm. The caller (Executor) commits the events and the
// new checkpoint in one transaction and only then performs the effects.
// Nothing here does I/O or reads a clock: time comes in as `now_ms`.
//
// Pure states (Pass, Choice, Succeed, Fail, Wait 0) run back-to-back inside
// one method call. A Task or Wait leaves the frame waiting; Parallel and Map
// start child frames and wait for them.
//
// Thread-safety: none; an Execution is owned by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/graph/graph.h"
#include "engine/runtime/invoker.h"
#include "engine/store/store.h"

namespace stepflow::runtime {

struct Limits {
  int64_t max_history_events = 25'000;
  size_t max_payload_bytes = 256 * 1024;
  int64_t default_task_timeout_seconds = 60;
  // Activities and .waitForTaskToken Tasks need someone to complete them
  // (the server's SendTask* API); without it such Tasks fail at once.
  bool callbacks = false;
  // Uniform random bits for JitterStrategy FULL; empty = std::random_device.
  std::function<uint64_t()> random;
  // The version a Task's call is pinned to when it is scheduled ("" = not
  // pinned: the function is not versioned, or not known yet). Recorded in
  // TaskScheduled ("functionVersion") and the checkpoint, so a call re-sent
  // after a crash runs the same version. Empty = nothing is pinned.
  std::function<std::string(const std::string& function)> pin_function;
  // Told, when a Task is scheduled, the functions of the Tasks it can go on
  // to (Next, Catch, through Pass states): an instance can start now. Must
  // not block.
  std::function<void(const std::string& function)> warm_function;
};

enum class Phase : uint8_t {
  kEnter,     // about to enter `state` with `input`
  kTask,      // waiting for the outcome of task `task_id`
  kWait,      // a Wait state waiting for timer `timer_id`
  kRetry,     // a retry back-off waiting for timer `timer_id`
  kChildren,  // a Parallel/Map state waiting for its children
  kDone,      // the frame finished (status says how)
};

enum class FrameStatus : uint8_t { kRunning, kSucceeded, kFailed, kAborted };

// How a Task's work is done.
enum class TaskKind : uint8_t {
  kCall,      // one FunctionService call whose answer is the result
  kCallback,  // .waitForTaskToken: a call, then SendTaskSuccess/Failure with the token
  kActivity,  // an activity: a worker polls for it and answers with SendTask*
  kChild,     // a nested execution (states:startExecution[.sync[:2]]): the executor
              //  starts it; the outcome comes when it has started or ended
};

struct Frame;

// One Parallel branch or Map iteration (or batch).
struct Child {
  enum class Status : uint8_t { kPending, kRunning, kSucceeded, kFailed, kAborted };
  Status status = Status::kPending;
  Json input;                    // the child's input (branch input / item after ItemSelector)
  Json output;                   // when succeeded
  std::unique_ptr<Frame> frame;  // while running, and kept when failed/aborted (redrive)
};

// The children of the Parallel or Map state a frame is in.
struct Fanout {
  bool is_map = false;
  std::vector<Child> children;
  int64_t max_concurrency = 0;    // 0 = unbounded
  int64_t tolerated_count = -1;   // -1 = not set
  double tolerated_percent = -1;  // -1 = not set
  size_t next_pending = 0;        // first child that may still be pending
  int64_t running = 0, succeeded = 0, failed = 0;
  // Checkpoint pieces (checkpoint.cc): what each chunk of children was
  // last written as, with their statuses then, and whether the state's
  // input was written. A new fan-out starts with none written.
  mutable std::vector<std::string> chunk_bytes, chunk_marks;
  mutable bool input_written = false;
};

struct Frame {
  const graph::Graph* graph = nullptr;
  Frame* parent = nullptr;
  size_t child_index = 0;  // index among the parent's children
  std::string prefix;      // state path prefix: "" or "Fanout[2]/"

  int state = graph::kNoState;
  Phase phase = Phase::kEnter;
  FrameStatus status = FrameStatus::kRunning;
  Json input;              // raw input of the current state; the output once succeeded
  std::string input_text;  // `input` as JSON text when already known, else empty
  Json vars;               // variables of this scope: an object, or null for none yet
  int64_t entered_ms = 0;
  std::vector<int64_t> retry_counts;  // per retrier of the current state
  int64_t retry_count = 0;            // retries in this visit ($$.State.RetryCount)
  int64_t last_event_id = 0;          // for previousEventId

  // Task in flight (phase kTask).
  int64_t task_id = 0;  // id of its TaskScheduled event
  std::string task_function, task_input, task_resource_type, task_resource;
  // kCall: the function version the call was pinned to ("" = none), with
  // the state and function it was pinned for. Kept after the Task ends, so
  // a redrive of that state calls the same version (keep_pin).
  std::string task_version, pinned_function;
  int pinned_state = -1;
  bool keep_pin = false;  // set by a redrive for the state's next RunTask
  int64_t task_timeout_ms = 0;  // kCall: the call's deadline; else 0 = no timeout
  bool task_wrap_payload = false;
  TaskKind task_kind = TaskKind::kCall;
  std::string task_activity;       // kActivity: the activity name
  int64_t task_heartbeat_ms = 0;   // kCallback/kActivity: HeartbeatSeconds, 0 = none
  // kCallback/kActivity timers (0 = not armed): TimeoutSeconds and heartbeat.
  int64_t task_timeout_timer = 0, task_timeout_fire_ms = 0;
  int64_t heartbeat_timer = 0, heartbeat_fire_ms = 0;

  // Timer (phase kWait / kRetry).
  int64_t timer_id = 0;
  int64_t fire_at_ms = 0;
  Json wait_output;  // a Wait state's output, decided on entry

  std::unique_ptr<Fanout> fanout;  // phase kChildren (kept after failure for redrive)

  // Why the frame failed or was aborted.
  std::string error;
  std::optional<std::string> cause;

  const graph::State& current() const { return graph->state(state); }
  std::string StatePath() const { return prefix + current().name; }
};

// What a step asks the outside world to do once it is committed.
struct Dispatch {
  int64_t task_id = 0;
  TaskKind kind = TaskKind::kCall;
  std::string activity;           // kActivity: the activity name
  int64_t heartbeat_seconds = 0;  // kCallback/kActivity
  bool resent = false;            // sent again after a restart (Recover)
  bool redriven = false;          // scheduled by a Redrive step
  TaskRequest request;            // request.task_token is set for kCallback/kActivity
};
struct TimerArm {
  int64_t timer_id = 0;
  int64_t fire_at_ms = 0;
};

struct StepEffects {
  std::vector<store::HistoryEvent> events;
  std::vector<Dispatch> dispatches;
  std::vector<TimerArm> timers;
  std::vector<int64_t> tasks_done;   // task ids no longer in flight
  std::vector<int64_t> timers_done;  // timer ids fired or cancelled
  // Moves everything in `other` to the end of this.
  void Append(StepEffects&& other);
  bool Empty() const {
    return events.empty() && dispatches.empty() && timers.empty() && tasks_done.empty() &&
           timers_done.empty();
  }
};

// A Task call's idempotency key: "<execution id>/<TaskScheduled event id>".
std::string TaskKey(const std::string& execution_id, int64_t task_id);

// The call for the Task `f` waits on (phase kTask), from what the frame
// records: the same request when first sent and when re-sent after a crash.
Dispatch TaskDispatch(const std::string& execution_id, const Frame& f);

// The timer id reserved for the machine-level TimeoutSeconds.
inline constexpr int64_t kExecutionTimeoutTimer = 1;

class Execution {
 public:
  // A new execution: `record` carries id, machine, version, name, input
  // (JSON text) and start time; status RUNNING is set here.
  Execution(store::ExecutionRecord record, std::shared_ptr<const graph::Graph> graph,
            Limits limits);
  ~Execution();

  // Rebuilds an execution from its stored row and checkpoint (record.state).
  // kDataLoss when the checkpoint does not fit the graph.
  // `parts` are the checkpoint pieces stored apart (Store::GetCheckpointParts).
  static Result<std::unique_ptr<Execution>> Restore(
      store::ExecutionRecord record, std::shared_ptr<const graph::Graph> graph, Limits limits,
      const std::vector<std::pair<std::string, std::string>>& parts = {});

  // Emits ExecutionStarted and runs until the first wait.
  void Start(int64_t now_ms, StepEffects* fx);
  // After Restore of a RUNNING execution: re-sends every Task in flight (same
  // idempotency key) and re-arms every timer. Emits nothing.
  void Recover(StepEffects* fx);
  // A Task outcome; ignored (returns false) unless `task_id` is in flight.
  bool OnTaskOutcome(int64_t task_id, const TaskOutcome& outcome, int64_t now_ms, StepEffects* fx);
  // A worker took an activity task (`info` = its worker name) or a
  // .waitForTaskToken call returned (`info` = what it returned): records
  // ActivityStarted / TaskSubmitted. False unless `task_id` is in flight.
  bool OnTaskStarted(int64_t task_id, const std::string& info, int64_t now_ms, StepEffects* fx);
  // SendTaskHeartbeat: restarts the task's HeartbeatSeconds clock. False
  // unless `task_id` is in flight.
  bool OnHeartbeat(int64_t task_id, int64_t now_ms, StepEffects* fx);
  // A timer firing; ignored (returns false) unless the timer is armed.
  bool OnTimer(int64_t timer_id, int64_t now_ms, StepEffects* fx);
  // Redrive (ASL_NOTES §11). kFailedPrecondition when not redrivable.
  Status Redrive(int64_t now_ms, StepEffects* fx);
  // StopExecution: aborts with `error`/`cause`. No-op when finished.
  void Stop(const std::string& error, const std::optional<std::string>& cause, int64_t now_ms,
            StepEffects* fx);

  bool finished() const;
  // The execution row as of now, checkpoint included (serialised on call).
  // With `parts`, a large Map or Parallel keeps its children (in chunks) and
  // its input in pieces apart from the row, and `parts` receives only the
  // pieces that changed since the last such snapshot: a step costs the same
  // at 100 and at 10,000 items. Without, everything is in the row.
  store::ExecutionRecord Snapshot(
      std::vector<std::pair<std::string, std::string>>* parts = nullptr) const;
  const store::ExecutionRecord& record() const { return record_; }
  const std::string& id() const { return record_.id; }
  // Number of Tasks in flight and timers armed (for the executor's idle test).
  size_t tasks_in_flight() const { return tasks_.size(); }
  // True while the Task with this id waits for its outcome.
  bool WaitsOn(int64_t task_id) const { return tasks_.count(task_id) > 0; }

 private:
  friend class StepRunner;
  friend struct CheckpointCodec;

  store::ExecutionRecord record_;
  std::shared_ptr<const graph::Graph> graph_;
  Limits limits_;
  Frame root_;
  Json input_;                                  // parsed execution input
  Json context_;                                // Context Object skeleton (Execution, StateMachine)
  int64_t next_timer_id_ = 2;                   // 1 is kExecutionTimeoutTimer
  int64_t timeout_fire_ms_ = 0;                 // machine-level timeout, 0 = none
  std::unordered_map<int64_t, Frame*> tasks_;   // task id → waiting frame
  std::unordered_map<int64_t, Frame*> timers_;  // timer id → waiting frame
};

}  // namespace stepflow::runtime
