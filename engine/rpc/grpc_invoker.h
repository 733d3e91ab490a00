// GrpcInvoker: runtime::Invoker over the FunctionService protocol
// (ARCHITECTURE §5, a contract).
//
// Where a call goes:
//   request.endpoint set          calls request.function at that endpoint (the
//                                 routing invoker, engine/functions, resolved it
//                                 in the catalog);
//   "grpc://HOST:PORT/NAME"       calls NAME at HOST:PORT directly;
//   "grpc://unix:/PATH/NAME"      calls NAME on the unix socket /PATH.
//
// Outcomes (every call ends in exactly one `done(TaskOutcome)`):
//   response.output_json, valid JSON    → Success(output_json)
//   response.output_json, invalid JSON  → States.TaskFailed "...returned invalid JSON..."
//   response.error                      → its error name (empty → States.TaskFailed) and cause
//   response with neither field         → States.TaskFailed
//   gRPC DEADLINE_EXCEEDED              → States.Timeout "function 'X' did not answer within N s"
//   any other non-OK gRPC status        → States.TaskFailed, cause names the status code
//                                         (e.g. "UNAVAILABLE") and message
//   no endpoint / malformed grpc:// resource
//                                       → States.TaskFailed, `done` runs before Invoke returns
//   Cancel(key) of a call in flight     → the call is cancelled (the function's
//                                         context sees it); States.TaskFailed "CANCELLED"
// The deadline is request.timeout (values below 1 ms count as 1 ms).
//
// Transport: the gRPC callback API, so calls in flight hold no thread. One
// channel per endpoint, created on first use and kept for the invoker's life
// (insecure credentials: endpoints are meant to be loopback or unix sockets;
// reconnect backoff capped at 1 s so a restarted worker is found quickly).
//
// Thread-safety: Invoke and InFlight may be called from any thread. `done`
// runs on a gRPC thread (or the caller's thread for immediate failures),
// never while the invoker holds a lock; it should be quick and must not
// destroy the invoker. The destructor cancels the calls in flight (their
// `done` still runs, with States.TaskFailed / CANCELLED), waits for all
// their `done` callbacks to return, then returns. Invoke must not be called
// during or after destruction.
#pragma once

#include <cstddef>
#include <memory>

#include "engine/runtime/invoker.h"

namespace stepflow::rpc {

class GrpcInvoker : public runtime::Invoker {
 public:
  GrpcInvoker();
  ~GrpcInvoker() override;
  GrpcInvoker(const GrpcInvoker&) = delete;
  GrpcInvoker& operator=(const GrpcInvoker&) = delete;

  void Invoke(runtime::TaskRequest request,
              std::function<void(runtime::TaskOutcome)> done) override;
  void Cancel(const std::string& idempotency_key) override;

  // Calls started and whose `done` has not returned yet.
  size_t InFlight() const;
  // Channels created so far (one per distinct endpoint).
  size_t ChannelCount() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepflow::rpc
