// stepflow::worker — a small C++ SDK for writing FunctionService workers
// (ARCHITECTURE §5, the function protocol).
//
//   stepflow::worker::Worker worker;
//   worker.Register("greet", [](const nlohmann::json& in, const stepflow::worker::Call&) {
//     return nlohmann::json{{"greeting", "Hello, " + in.value("name", "world") + "!"}};
//   });
//   stepflow::worker::Worker::InstallSignalHandlers();
//   std::cout << "PORT " << worker.Start() << std::endl;
//   worker.Wait();
//
// Promises (one InvokeRequest → one InvokeResponse, never a crashed worker):
//   handler returns a JSON value    → output_json = value.dump()
//   handler throws TaskError        → error {error(), cause()}
//   handler throws another std::exception
//                                   → error = the exception's class, cause = what()
//   handler throws anything else    → error = the thrown type ("int"), or
//                                     "UnknownException" if it cannot be told
//   handler throws CallRejected     → the call fails with that gRPC status (the
//                                     engine sees a transport failure: States.TaskFailed)
//   the result cannot be serialised → error "Worker.InvalidOutput" (a string not UTF-8)
//   input_json is not valid JSON    → error "Worker.InvalidInput" (handler not called)
//   no handler for the function     → error "Worker.UnknownFunction", cause names it
// Retry/Catch in the workflow match on the error name.
//
// An exception's error name is its dynamic type, demangled and fully
// qualified, as AWS Lambda names an error after the exception's class:
// "std::runtime_error", "std::out_of_range", "myapp::QuotaExceeded" (a
// class in an anonymous namespace: "(anonymous namespace)::QuotaExceeded").
// Inline namespaces and tags that only version an ABI are left out, so the
// name does not change with the compiler or library version:
// nlohmann::json's at() on a missing key gives "nlohmann::detail::out_of_range",
// not "nlohmann::json_abi_v3_11_2::detail::out_of_range"; likewise
// std::__cxx11::, std::__1:: and "[abi:cxx11]" are dropped.
//
// Execution: handlers run on the worker's own thread pool (Options::threads,
// default 8), never on gRPC's threads, so a slow handler holds one pool
// thread and nothing else. Calls beyond the pool size queue. A call whose
// client has gone away (cancelled, deadline passed) before a pool thread
// picks it up is answered CANCELLED without running its handler.
//
// Thread-safety: Register may be called from any thread at any time (a call
// uses the handler registered when it starts). Handlers may run concurrently
// with themselves and with each other. Start is called once. Shutdown and
// Wait may be called from any thread except a handler's (Shutdown waits for
// running handlers). The destructor calls Shutdown.
//
// Delivery is at least once: use Call::idempotency_key to make handlers with
// side effects idempotent.
//
// Activities (Resource "arn:aws:states:REGION:ACCOUNT:activity:NAME"): a
// worker need not serve anything; it polls the control plane instead.
//
//   worker.RegisterActivity("review", [](const nlohmann::json& in, const Call& call) {
//     call.heartbeat();                      // restarts HeartbeatSeconds
//     return nlohmann::json{{"approved", true}};
//   });
//   worker.PollActivities("127.0.0.1:7233", "reviewer-1");
//   worker.Wait();
// Each answer goes back with SendTaskSuccess / SendTaskFailure (the same
// error mapping as above; a CallRejected is the error
// "stepflow::worker::CallRejected", cause = what()).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace stepflow::worker {

// What the engine says about the call (InvokeRequest minus the input).
struct Call {
  std::string function;
  std::string idempotency_key;  // "<executionId>/<event id>": stable across re-sends
  std::string execution_id;
  std::string state_name;
  std::string state_path;  // e.g. "Fanout[2]/Charge"
  std::string task_token;  // set for .waitForTaskToken tasks and activities
  int attempt = 0;         // retries of this Task in this visit: 0 on the first try
  std::string function_version;  // the catalog version called ("1", ...); "" for grpc://
  // Activities only: sends SendTaskHeartbeat; false when the engine no
  // longer knows the task (it timed out or its execution stopped).
  std::function<bool()> heartbeat;
};

// A function-level error: becomes InvokeResponse.error {error, cause}; the
// workflow's Retry/Catch match on `error`.
class TaskError : public std::runtime_error {
 public:
  TaskError(std::string error, std::string cause);
  const std::string& error() const { return error_; }
  const std::string& cause() const { return cause_; }

 private:
  std::string error_;
  std::string cause_;
};

// Thrown by a handler to fail the call itself with a gRPC status code
// (grpc::StatusCode as an int) instead of answering: for simulating an
// unavailable service in tests and demos.
class CallRejected : public std::runtime_error {
 public:
  CallRejected(int grpc_status_code, const std::string& message)
      : std::runtime_error(message), code_(grpc_status_code) {}
  int code() const { return code_; }

 private:
  int code_;
};

using Handler = std::function<nlohmann::json(const nlohmann::json& input, const Call& call)>;

class Worker {
 public:
  struct Options {
    int threads = 8;                   // handler pool size (values below 1 count as 1)
    int max_message_bytes = 64 << 20;  // largest InvokeRequest accepted
    int shutdown_grace_ms = 5000;      // calls still running after this are cancelled
  };

  Worker();
  explicit Worker(Options options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Adds `handler` under `name`, replacing an existing one. Returns *this.
  Worker& Register(std::string name, Handler handler);

  // Adds an activity handler (see the top of this file), replacing one of
  // the same name. Register activities before PollActivities.
  Worker& RegisterActivity(std::string name, Handler handler);

  // Polls the control plane at `server` ("HOST:PORT") for every registered
  // activity, `pollers` threads per activity, each running one task at a
  // time; `worker_name` appears in ActivityStarted. Unreachable servers are
  // retried every second. Shutdown stops the pollers (within ~2 s: a poll
  // in flight finishes and its task is run and answered). Call once.
  void PollActivities(const std::string& server, const std::string& worker_name = "",
                      int pollers = 1);

  // Serves FunctionService on `address` ("HOST:PORT"; port 0 picks a free
  // port; "unix:/path" also works). Returns the bound port (0 for unix
  // sockets). Throws std::runtime_error when it cannot listen (including a
  // port another server holds: SO_REUSEPORT is off), or when the
  // worker was already started or shut down.
  int Start(const std::string& address = "127.0.0.1:0");

  // Blocks until the worker has shut down: after Shutdown (from any thread)
  // or, if InstallSignalHandlers() was called, after SIGTERM/SIGINT.
  void Wait();

  // Stops accepting calls, lets running calls finish (up to
  // Options::shutdown_grace_ms, then cancels them), stops the pool and
  // returns. Idempotent; concurrent callers all return once it is done.
  void Shutdown();

  // SIGTERM/SIGINT → graceful Shutdown of every started Worker of this
  // process (and of any started later). Installs sigaction handlers that
  // only write to a pipe; a helper thread does the shutdown. Call once,
  // early in main; later calls do nothing.
  static void InstallSignalHandlers();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepflow::worker
