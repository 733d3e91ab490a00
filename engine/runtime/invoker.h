// The runtime's view of the outside world that runs Task work: an Invoker
// takes one call and reports its outcome later, on any thread.
//
// engine/rpc implements it over gRPC (FunctionService, ARCHITECTURE §5);
// tests implement it in memory. The runtime never includes gRPC headers.
//
// Thread-safety: Invoke may be called from any thread and must not block on
// the call itself; `done` is called exactly once per Invoke, possibly before
// Invoke returns, possibly on another thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace stepflow::runtime {

struct TaskRequest {
  // What to call, as the runtime resolved the Task's Resource (resource.h):
  // "grpc://HOST:PORT/NAME" (called directly), a catalog reference
  // "NAME[:VERSION|:ALIAS]", or a service integration's resource
  // "arn:aws:states:::SERVICE:ACTION" mapped to a function in the catalog.
  // The routing invoker (engine/functions) resolves the last two and fills
  // `endpoint` and `function_version` before a backend sees the request.
  std::string function;
  std::string endpoint;          // the resolved FunctionService endpoint, "" = not resolved
  // The version to call: set by the runtime when the Task was pinned to one
  // (Limits::pin_function), else by the routing invoker as it resolves.
  std::string function_version;
  std::string input_json;       // the Task's effective input
  std::string idempotency_key;  // "<executionId>/<TaskScheduled event id>"
  std::string execution_id;
  std::string state_name;
  std::string state_path;                    // "Fanout[2]/Charge"
  int32_t attempt = 0;                       // retries of this Task in this visit, 0 first
  std::string task_token;                    // set for .waitForTaskToken tasks
  std::chrono::milliseconds timeout{60000};  // the call's deadline
};

struct TaskOutcome {
  bool ok = false;
  std::string output_json;  // when ok: the result, JSON text (unchecked)
  std::string error;        // when !ok: the ASL error name
  std::string cause;        // when !ok: text for people (may be empty)
  // The version of the function that ran ("" = unknown; lambda:invoke then
  // reports "$LATEST").
  std::string executed_version;
  // The call never left: its function (or integration) is not in the
  // catalog. A re-sent call (after a restart) may be held and tried again
  // instead of failing its Task.
  bool unresolved = false;

  static TaskOutcome Success(std::string output) {
    TaskOutcome o;
    o.ok = true;
    o.output_json = std::move(output);
    return o;
  }
  static TaskOutcome Failure(std::string error, std::string cause) {
    TaskOutcome o;
    o.error = std::move(error);
    o.cause = std::move(cause);
    return o;
  }
};

class Invoker {
 public:
  virtual ~Invoker() = default;
  // Starts the call. Failures to reach or run the function are outcomes,
  // never exceptions: deadline → States.Timeout; an unknown function name,
  // UNAVAILABLE or another gRPC status → States.TaskFailed with the status
  // in the cause; a function-level error → its own error name and cause.
  virtual void Invoke(TaskRequest request, std::function<void(TaskOutcome)> done) = 0;
  // Best effort: the call with this idempotency key is no longer wanted (its
  // execution stopped, its Task timed out or was aborted). The function sees
  // its call cancelled; `done` is still called exactly once (with whatever
  // outcome, which the caller ignores). Unknown keys are ignored.
  virtual void Cancel(const std::string& idempotency_key) { (void)idempotency_key; }
  // Best effort, no call made: `function` (as TaskRequest::function) will
  // probably be called soon, so a backend that starts instances may start
  // one now. The executor tells it when an execution enters a state that can
  // go on to a Task.
  virtual void Warm(const std::string& function) { (void)function; }
};

}  // namespace stepflow::runtime
