#include "engine/functions/routing_invoker.h"

#include "engine/functions/deployer.h"

namespace stepflow::functions {
namespace {

constexpr std::string_view kGrpcScheme = "grpc://";
constexpr std::string_view kIntegrationPrefix = "arn:aws:states:";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

RoutingInvoker::RoutingInvoker(Catalog* catalog, runtime::Invoker* grpc, LocalInvoker* local)
    : catalog_(catalog), grpc_(grpc), local_(local) {}

Result<ResolvedFunction> RoutingInvoker::Resolve(const std::string& function) {
  if (StartsWith(function, kGrpcScheme)) return ResolvedFunction{function, 0, false, "grpc", ""};
  if (StartsWith(function, kIntegrationPrefix)) {
    STEPFLOW_ASSIGN_OR_RETURN(std::string key, IntegrationKey(function));
    std::optional<std::string> mapped = catalog_->IntegrationFunction(key);
    if (!mapped) {
      return Status::NotFound("the service integration '" + key +
                              "' is not mapped to a function (stepflow functions map " + key +
                              " FUNCTION)");
    }
    Result<ResolvedFunction> resolved = catalog_->Resolve(*mapped);
    if (!resolved.ok()) {
      return Status(resolved.status().code(), "the service integration '" + key + "' maps to '" +
                                                  *mapped + "': " + resolved.status().message());
    }
    return resolved;
  }
  return catalog_->Resolve(function);
}

void RoutingInvoker::Invoke(runtime::TaskRequest request,
                            std::function<void(runtime::TaskOutcome)> done) {
  if (StartsWith(request.function, kGrpcScheme)) {
    grpc_->Invoke(std::move(request), std::move(done));
    return;
  }
  Result<ResolvedFunction> resolved = Resolve(request.function);
  bool qualified = resolved.ok() && resolved->qualified;
  if (!request.function_version.empty() && resolved.ok() && !StartsWith(request.function, kIntegrationPrefix)) {
    // Pinned when scheduled: that version, even if NAME (or the alias) has
    // moved since (a call re-sent after a restart runs what it ran first).
    resolved = catalog_->Resolve(resolved->name + ":" + request.function_version);
  }
  if (!resolved.ok()) {
    runtime::TaskOutcome outcome =
        runtime::TaskOutcome::Failure("States.TaskFailed", resolved.status().message());
    outcome.unresolved = resolved.status().code() == StatusCode::kNotFound;
    done(std::move(outcome));
    return;
  }
  // As Lambda reports it: an unqualified call (or $LATEST) ran "$LATEST", a
  // version or alias the version number. The function is told the number.
  request.function_version = std::to_string(resolved->version);
  std::string executed = qualified ? request.function_version : "$LATEST";
  request.function = resolved->name;
  auto report = [executed = std::move(executed), done = std::move(done)](runtime::TaskOutcome o) {
    o.executed_version = executed;
    done(std::move(o));
  };
  if (resolved->kind == "package") {
    Result<DeployedFunction> fn = Deployer::FromResolved(*resolved);
    if (!local_ || !fn.ok()) {
      report(runtime::TaskOutcome::Failure(
          "States.TaskFailed", !fn.ok() ? fn.status().message()
                                        : "deployed functions cannot run in this process"));
      return;
    }
    local_->Invoke(*fn, std::move(request), std::move(report));
    return;
  }
  request.endpoint = resolved->target;
  grpc_->Invoke(std::move(request), std::move(report));
}

void RoutingInvoker::Cancel(const std::string& idempotency_key) {
  if (grpc_) grpc_->Cancel(idempotency_key);
  if (local_) local_->Cancel(idempotency_key);
}

std::string RoutingInvoker::PinnedVersion(const std::string& function) {
  if (StartsWith(function, kGrpcScheme) || StartsWith(function, kIntegrationPrefix)) return "";
  // Only deployed code is pinned: a FunctionService version is where a
  // worker listens, and a worker that restarted elsewhere is its newest.
  Result<ResolvedFunction> resolved = catalog_->Resolve(function);
  return resolved.ok() && resolved->kind == "package" ? std::to_string(resolved->version) : "";
}

void RoutingInvoker::Warm(const std::string& function) {
  if (!local_ || StartsWith(function, kGrpcScheme)) return;
  Result<ResolvedFunction> resolved = Resolve(function);
  if (!resolved.ok() || resolved->kind != "package") return;
  Result<DeployedFunction> fn = Deployer::FromResolved(*resolved);
  if (fn.ok()) local_->Warm(*fn);
}

}  // namespace stepflow::functions
