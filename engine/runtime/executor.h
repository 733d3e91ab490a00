// The Executor: the thin shell around Execution's pure decide step
// (ARCHITECTURE §3). It owns the live executions, applies inputs to them,
// commits every step to the Store (many executions per transaction: group
// commit), and only after the commit sends Task calls through the Invoker
// and arms timers.
//
//   inputs:  StartExecution / Resume / Redrive / Stop calls, Task outcomes
//            (from any thread, through the inbox), timers (in-memory heap)
//   outputs: Store::Commit batches, Invoker::Invoke calls
//
// Crash safety: a step's events, the execution's checkpoint and its outbox
// rows (tasks, timers) are one transaction; a Task is sent only once that
// transaction is durable. After a crash, ResumeAll reloads every RUNNING
// execution from its checkpoint, re-sends its Tasks in flight with the same
// idempotency keys and re-arms its timers; outcomes of calls that no longer
// match the current attempt are ignored.
//
// Thread-safety: the loop (RunUntilIdle) runs on one thread and is the only
// code touching executions. StartExecution, Redrive, Resume*, Stop and
// PutStateMachine may be called from any thread; they queue work for the
// loop (validation and store reads happen on the caller's thread).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/common/status.h"
#include "engine/graph/graph.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/execution.h"
#include "engine/runtime/invoker.h"
#include "engine/runtime/resource.h"
#include "engine/runtime/task_broker.h"
#include "engine/runtime/timer_heap.h"
#include "engine/store/store.h"

namespace stepflow::runtime {

// A Task call re-sent after a restart whose function the catalog cannot
// resolve: its execution stays RUNNING, waiting, instead of failing.
struct HeldTask {
  std::string execution_id;
  std::string state_path;
  std::string function;  // TaskRequest::function
  std::string cause;     // why it cannot be called
};

struct ExecutorOptions {
  Limits limits;
  size_t max_batch_executions = 2048;  // executions per group commit
  // Checks a definition before it is stored (PutStateMachine): the resources
  // its Tasks name must be runnable (engine/functions: CheckResources).
  std::function<Status(const graph::Graph&)> check_definition;
  // Told (on the loop thread) when a re-sent call is held: see HeldTask.
  std::function<void(const HeldTask&)> on_held;
};

// Called once a queued request is durable (Status::Ok) or has failed; on
// the loop thread, or on the caller's when answered at once. Must not block.
using Committed = std::function<void(const Status&)>;

struct StartRequest {
  std::string machine;
  int64_t version = 0;  // 0 = the newest
  std::string name;     // "" = a new UUID
  std::string input = "{}";
  Committed committed;  // optional: ExecutionStarted is committed
  // Nested executions: the parent ("" = none; an input object's
  // AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID names one too) and the key
  // of the parent's Task that starts this one.
  std::string parent_id;
  std::string parent_task;
  // Trigger occurrences recorded in the commit that creates the execution
  // (their execution_id is set to it): one already recorded refuses the
  // start with kAlreadyExists, so an occurrence starts one execution at most.
  std::vector<store::TriggerOccurrence> occurrences;
};

struct StartInfo {
  int64_t version = 0;           // the version the execution is pinned to
  int64_t start_ms = 0;
  bool already_started = false;  // an idempotent repeat of a running execution's start
};

class Executor {
 public:
  Executor(store::Store* store, Invoker* invoker, Clock* clock, ExecutorOptions options = {});
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Validates, compiles and stores a definition as the newest version of
  // `machine` (an identical definition reuses the newest version). Invalid
  // definitions: kInvalidArgument with the first diagnostics in the message.
  Result<int64_t> PutStateMachine(const std::string& machine, const std::string& definition);
  // The same for a definition the caller has compiled already (`graph` is
  // CompileText(definition)'s), so it is not compiled twice.
  Result<int64_t> PutStateMachine(const std::string& machine, const std::string& definition,
                                  std::shared_ptr<const graph::Graph> graph);

  // Deletes a state machine (Store::DeleteStateMachine: its closed
  // executions are kept unless purge_executions) and forgets its compiled
  // versions (a machine created again later restarts at version 1). A start
  // or redrive of the machine queued before the delete and not yet
  // committed is refused by the store: its `committed` hears kNotFound.
  Status DeleteStateMachine(const std::string& machine, bool purge_executions = false);

  // Commits so far; WaitForCommit returns the count once it passes `seen`,
  // after `timeout`, or at Shutdown. For readers following a history.
  uint64_t commit_count() const { return commit_count_.load(); }
  // The clock executions run on (triggers fire on it too).
  Clock* clock() const { return clock_; }
  uint64_t WaitForCommit(uint64_t seen, std::chrono::milliseconds timeout);

  // Queues a new execution; returns its id ("<machine>:<name>"). kInvalidArgument
  // for a bad name or input that is not JSON, kNotFound for an unknown
  // machine/version, kAlreadyExists for a used name — unless the execution
  // with that name is RUNNING (or queued) with the same input: then its id
  // is returned (info->already_started) and `committed` is called at once.
  Result<std::string> StartExecution(const StartRequest& request, StartInfo* info = nullptr);
  // Queues the redrive of a FAILED / TIMED_OUT / ABORTED execution.
  Status Redrive(const std::string& execution_id, Committed committed = {});
  // Queues the resumption of every RUNNING execution in the store (after a
  // crash). Returns the ids. An execution that cannot be restored (its
  // definition or checkpoint is unusable) fails the call, unless `skipped`
  // is given: then it is listed there with the reason and left as it is.
  Result<std::vector<std::string>> ResumeAll(
      std::vector<std::pair<std::string, Status>>* skipped = nullptr);
  // Queues StopExecution; `committed` gets kFailedPrecondition when the
  // execution is not running here.
  Status Stop(const std::string& execution_id, const std::string& error,
              const std::optional<std::string>& cause, Committed committed = {});

  // Activities and callbacks (server mode, Limits::callbacks). Tokens are
  // checked here: kInvalidArgument for a malformed one, kNotFound for one no
  // task waits on (finished, timed out, stopped, or never issued).
  // Waits up to `wait` for a task of `activity`; nullopt when none came.
  std::optional<ActivityTask> PollActivity(const std::string& activity,
                                           const std::string& worker_name,
                                           std::chrono::milliseconds wait,
                                           const std::function<bool()>& cancelled);
  // SendTaskSuccess (outcome.ok) / SendTaskFailure. `committed` hears Ok
  // once the outcome is applied and durable, kNotFound when the task ended
  // first (a timeout or a stop in the same turn).
  Status CompleteTask(const std::string& token, TaskOutcome outcome, Committed committed = {});
  Status Heartbeat(const std::string& token);

  // Calls re-sent after a restart are resolved through the Invoker; one whose
  // function is missing (TaskOutcome::unresolved) is held, its execution
  // left RUNNING: in server mode (Run) it is tried again with back-off (1 s
  // doubling to 30 s) and at once after RetryHeldTasks(); RunUntilIdle
  // returns when only held work is left. HeldTasks lists what is held.
  void RetryHeldTasks();
  std::vector<HeldTask> HeldTasks() const;

  // Runs the loop on this thread until no queued work is left and every
  // execution it runs has finished or is held (see HeldTasks). Returns a
  // store failure, if any.
  Status RunUntilIdle();

  // Server mode: runs the loop on this thread until Shutdown(), whatever the
  // executions wait for (callbacks included). Returns once everything
  // decided so far is committed; executions still running stay RUNNING in
  // the store, to be resumed by the next engine (ResumeAll). A store
  // failure ends the loop early with that status.
  Status Run();
  // Asks Run (or RunUntilIdle) to return; callable from any thread.
  void Shutdown();

  // Counters since construction, for tests and benchmarks.
  struct Stats {
    int64_t commits = 0;         // Store::Commit calls
    int64_t steps = 0;           // StepCommits written
    int64_t events = 0;          // history events written
    int64_t dispatched = 0;      // Task calls sent (re-sends included)
    int64_t stale_outcomes = 0;  // outcomes ignored as stale or duplicate
    int64_t failed_steps = 0;    // steps the store refused (their executions were dropped)
    int64_t armed_timers = 0;    // timers armed when the loop last went idle (cancelled ones leave)
  };
  Stats stats() const;

 private:
  struct Inbox;
  struct Pending;  // one execution's effects awaiting commit

  Result<std::shared_ptr<const graph::Graph>> LoadGraph(const std::string& machine,
                                                        int64_t version);
  void ProcessInbox();
  void FireTimers();
  Status CommitPending();
  void Perform(const std::string& execution_id, StepEffects& fx);
  bool SpinForOutcome(std::unique_lock<std::mutex>& lock);
  Status Loop(bool until_idle);
  // A Task's call answered (an outcome, or a callback's call returned): it is
  // no longer in flight or held.
  void CallAnswered(const std::string& execution_id, int64_t task_id);
  // Stops the work of a Task that no longer waits: a call in flight is
  // cancelled, a .sync child execution stopped.
  void Abandon(const std::string& execution_id, int64_t task_id);
  // Nested executions (child_executions.cc), on the loop thread.
  void StartChild(const std::string& parent_id, const Dispatch& d);
  void AttachChild(const std::string& parent_id, const Dispatch& d, ChildMode mode,
                   const store::ExecutionRecord& child);
  bool RedrivePreviousChild(const std::string& parent_id, const Dispatch& d, ChildMode mode);
  void WaitForChild(const std::string& child_id, const std::string& parent_id, int64_t task_id,
                    const std::string& task_key, ChildMode mode);
  void ChildEnded(const Execution& child);
  // A waited-for child that will not end here (the store refused its step,
  // or it could not be restored): its waiting Tasks fail.
  void ChildLost(const std::string& child_id, const Status& why);
  bool Unrestorable(const std::string& execution_id);
  void PushOutcome(const std::string& execution_id, int64_t task_id, TaskOutcome outcome,
                   bool started = false);
  Committed ChildStartAnswer(const std::string& parent_id, int64_t task_id, ChildMode mode,
                             const std::string& child_id);
  Status QueueRedrive(const std::string& execution_id, Committed committed,
                      const std::string* parent_task);
  // Held calls (see RetryHeldTasks).
  void RetryHeld(bool all);
  int64_t NextHeldRetryMs() const;
  // True when every live execution waits for a held call (and nothing is in
  // flight); drops held entries whose Task has ended.
  bool OnlyHeldLeft();
  // Drops held entries whose Task no longer waits. Requires held_mu_.
  void PruneHeldLocked();
  Status Turns(bool until_idle);
  // After the loop: refuses new work and answers queued work with `why`.
  void Close(const Status& why);
  // The effects gathered for `x` in this turn; `committed` is called after
  // they are committed.
  StepEffects& EffectsFor(Execution& x, bool created = false, Committed committed = {});

  store::Store* store_;
  Invoker* invoker_;
  Clock* clock_;
  ExecutorOptions options_;
  std::shared_ptr<Inbox> inbox_;
  TaskBroker broker_;

  std::mutex graphs_mu_;
  std::map<std::pair<std::string, int64_t>, std::shared_ptr<const graph::Graph>> graphs_;
  // The newest version of each machine this executor stored or looked up
  // (versions only grow; DeleteStateMachine forgets the machine). Guarded
  // by graphs_mu_.
  std::unordered_map<std::string, int64_t> newest_;

  // Loop thread only.
  std::unordered_map<std::string, std::unique_ptr<Execution>> live_;
  std::vector<std::unique_ptr<Pending>> pending_;
  std::unordered_map<std::string, size_t> pending_index_;
  TimerHeap timers_;  // exactly the timers that can still fire
  Stats stats_;
  mutable std::mutex stats_mu_;

  // Loop thread only: calls sent and not answered (by idempotency key), and
  // .sync children: child id → the parent Task waiting for it, and back.
  std::unordered_set<std::string> calls_in_flight_;
  struct ChildWait {
    std::string parent_id;
    int64_t task_id = 0;
    std::string task_key;
    ChildMode mode = ChildMode::kSync;
  };
  std::unordered_map<std::string, std::vector<ChildWait>> child_waiters_;  // by child id
  std::unordered_map<std::string, std::string> child_of_task_;  // task key → child id

  struct Held {
    Dispatch dispatch;
    std::string execution_id;
    std::string cause;
    int64_t next_try_ms = 0;  // steady clock
    int64_t delay_ms = 1000;
    bool trying = false;      // a retry is in flight
  };
  std::map<std::string, Held> held_;  // by task key; guarded by held_mu_ (written by the loop)
  mutable std::mutex held_mu_;
  std::atomic<bool> retry_held_{false};

  std::atomic<uint64_t> commit_count_{0};
  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  bool stopping_ = false;  // guarded by commit_mu_
};

// A new RFC 9562 version 7 UUID: time-ordered (so stored ids sort by
// creation and indexes stay append-mostly) with 74 random bits.
std::string NewUuid();

}  // namespace stepflow::runtime
