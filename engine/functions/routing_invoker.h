// RoutingInvoker: the runtime's Invoker in front of the backends that run
// functions. It resolves each request through the Catalog and hands it to
// the backend for the resolved version's kind (a FunctionService endpoint:
// the gRPC invoker; deployed code: the local invoker):
//
//   grpc://HOST:PORT/NAME             passed through as it is
//   NAME, NAME:VERSION, NAME:ALIAS    resolved in the catalog
//   arn:aws:states:::SERVICE:ACTION   the function the integration is mapped to
//
// The resolved endpoint and version go into the request (and so into the
// function's InvokeRequest.function_version); the outcome reports the version
// that ran (executed_version). A reference the catalog cannot resolve is
// answered at once with States.TaskFailed and `unresolved` set.
//
// Thread-safety: as runtime::Invoker. The catalog and backend must outlive it.
#pragma once

#include "engine/functions/catalog.h"
#include "engine/functions/local_invoker.h"
#include "engine/runtime/invoker.h"

namespace stepflow::functions {

class RoutingInvoker : public runtime::Invoker {
 public:
  // `local` may be null: deployed functions then fail with States.TaskFailed.
  // `grpc` may be null only where no FunctionService is called (tests).
  RoutingInvoker(Catalog* catalog, runtime::Invoker* grpc, LocalInvoker* local = nullptr);

  void Invoke(runtime::TaskRequest request,
              std::function<void(runtime::TaskOutcome)> done) override;
  void Cancel(const std::string& idempotency_key) override;
  // A deployed function gets an instance ready; others are left alone.
  void Warm(const std::string& function) override;
  // The version of deployed code `function` resolves to now ("" for
  // FunctionService endpoints, grpc:// resources, service integrations and
  // what does not resolve): the runtime pins a
  // Task's call to it (Limits::pin_function). A request whose
  // function_version is set calls that version of the function, whatever
  // the reference now resolves to.
  std::string PinnedVersion(const std::string& function);

  // What `function` (a TaskRequest::function) resolves to, without calling
  // it: kNotFound naming what is missing. grpc:// resources resolve to
  // themselves (version 0).
  Result<ResolvedFunction> Resolve(const std::string& function);

 private:
  Catalog* catalog_;
  runtime::Invoker* grpc_;
  LocalInvoker* local_;
};

}  // namespace stepflow::functions
