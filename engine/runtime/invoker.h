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
  // Which function to call: "grpc://HOST:PORT/NAME" (called directly) or a
  // function NAME looked up in the function registry. Lambda ARNs and
  // lambda:invoke are turned into a NAME by the runtime (resource.h).
  std::string function;
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

  static TaskOutcome Success(std::string output) { return {true, std::move(output), {}, {}}; }
  static TaskOutcome Failure(std::string error, std::string cause) {
    return {false, {}, std::move(error), std::move(cause)};
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
};

}  // namespace stepflow::runtime
