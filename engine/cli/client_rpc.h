// Internal to the client verbs (client*.cc): the one place that holds the
// gRPC channel to the server, applies deadlines, turns a failed call into
// the CLI's error line, and converts API messages into the store structs the
// embedded verbs print. Not for other modules: it includes generated code.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "engine/cli/client.h"
#include "engine/rpc/proto_convert.h"
#include "engine/store/store.h"
#include "stepflow/v1/service.grpc.pb.h"

namespace stepflow::cli::client {

using Stub = v1::StepflowService::Stub;

// "NOT_FOUND", "UNAVAILABLE", ... as gRPC spells its codes.
std::string_view StatusCodeName(grpc::StatusCode code);

// Error lines are one line: a multi-line message is joined with "; ".
std::string OneLine(std::string_view text);

// One channel to the server for one command. Not thread-safe.
class Connection {
 public:
  // `verb` names the command in error lines ("exec describe").
  Connection(std::string verb, const ClientOptions& options, std::ostream& err);

  const std::string& verb() const { return verb_; }
  const ClientOptions& options() const { return options_; }
  Stub& stub() { return *stub_; }

  // Waits up to options.connect_timeout_ms for the channel to connect (only
  // the first time). False after printing an UNAVAILABLE line when nothing
  // answered in time; a refused connection is left to the call, which then
  // fails at once with gRPC's reason.
  bool Connect();
  // The same without printing: "" once connected, else the UNAVAILABLE
  // message.
  std::string ConnectError();

  // A context for a unary call: deadline call_timeout_ms + extra_ms, fail
  // fast (no waiting for the channel to become ready).
  void PrepareUnary(grpc::ClientContext* context, int64_t extra_ms = 0) const;
  // A context for a server stream: no deadline when following, else the
  // unary one.
  void PrepareStream(grpc::ClientContext* context, bool follow) const;

  // Prints "stepflow: VERB: CODE: message" (one line; UNAVAILABLE names the
  // address) and returns 1, the exit code.
  int Fail(const grpc::Status& status) const;
  // The message of an UNAVAILABLE answer: the address and `why`, or, for
  // the default address, how to start or name a server.
  std::string Unreachable(const std::string& why) const;

  // Connects, calls `method` with a unary context, and on failure prints the
  // error line. False when the call failed.
  template <typename Request, typename Response>
  bool Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
            const Request& request, Response* response, int64_t extra_ms = 0) {
    if (!Connect()) return false;
    grpc::ClientContext context;
    PrepareUnary(&context, extra_ms);
    grpc::Status status = (stub_.get()->*method)(&context, request, response);
    if (status.ok()) return true;
    Fail(status);
    return false;
  }

 private:
  std::string verb_;
  ClientOptions options_;
  std::ostream& err_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
  bool connected_ = false;
};

// The API's messages as the store's structs, for the shared printers.
using rpc::ToEvent;
using rpc::ToRecord;

}  // namespace stepflow::cli::client
