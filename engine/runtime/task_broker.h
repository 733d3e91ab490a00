// TaskBroker: the Tasks that wait for someone outside the engine — activity
// tasks waiting for a worker to poll them, and activity and
// .waitForTaskToken tasks waiting for SendTaskSuccess/Failure/Heartbeat.
//
// The Executor's loop adds a task when its scheduling is committed (Expect,
// with Enqueue for activities) and forgets it when the execution moves on
// (outcome, timeout, abort). API threads poll (Poll) and complete (Take) or
// heartbeat (Find) tasks by token. A token is the task's idempotency key,
// "<execution id>/<event id>", so it survives a restart: recovery re-adds
// every task still waiting.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace stepflow::runtime {

struct WaitingTask {
  std::string execution_id;
  int64_t task_id = 0;
};

struct ActivityTask {
  std::string token;
  std::string input_json;
  std::string execution_id;
  std::string state_name;
  int64_t task_id = 0;
  int64_t heartbeat_seconds = 0;
};

class TaskBroker {
 public:
  // A task that SendTask* may complete from now on.
  void Expect(const std::string& token, WaitingTask task);
  // An activity task for pollers of `activity` (Expect it too).
  void Enqueue(const std::string& activity, ActivityTask task);
  // The task no longer waits: its token stops working, and an activity task
  // not yet polled leaves the queue.
  void Forget(const std::string& token);

  // Forgets every token of `execution_id` (the execution was dropped).
  void ForgetExecution(const std::string& execution_id);

  // Waits up to `wait` for a task of `activity`; nullopt when none came, the
  // broker was closed or `cancelled()` turned true (checked a few times a
  // second).
  std::optional<ActivityTask> Poll(const std::string& activity, std::chrono::milliseconds wait,
                                   const std::function<bool()>& cancelled);
  // Removes and returns the task waiting on `token` (SendTaskSuccess/Failure).
  std::optional<WaitingTask> Take(const std::string& token);
  // The task waiting on `token`, left in place (SendTaskHeartbeat).
  std::optional<WaitingTask> Find(const std::string& token);

  // Wakes every poller and makes later polls return at once.
  void Close();
  // Number of tokens that work now (for Forget's fast path and tests).
  size_t size() const;

 private:
  struct Entry {
    WaitingTask task;
    std::string activity;  // "" for callbacks
  };
  // Drops `token` from the queue of `activity`. Requires mu_.
  void Unqueue(const std::string& activity, const std::string& token);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Entry> tokens_;
  std::unordered_map<std::string, std::deque<ActivityTask>> queues_;
  bool closed_ = false;
};

}  // namespace stepflow::runtime
