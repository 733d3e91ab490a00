// The control plane: proto/stepflow/v1/service.proto served over gRPC on top
// of the Executor and the Store. The single way in for clients (CLI, SDKs,
// tests). This module is the only one that turns a Status into a
// grpc::Status (kInvalidArgument → INVALID_ARGUMENT, ...).
//
// A thin adapter: every rule lives in api::ControlPlane (engine/api/), which
// the HTTP API serves too. Writes answer once they are durable:
// StartExecution, StopExecution, RedriveExecution and SendTask* reply from
// the commit callback (gRPC's callback API), no thread waiting on them.
//
//   ControlPlane plane(executor, store, catalog);
//   auto server = ApiServer::Start("127.0.0.1:7233", &plane);   // health + reflection on
//   ...
//   plane.BeginShutdown();          // new calls UNAVAILABLE, polls and follows end
//   (*server)->Shutdown(grace);     // waits for calls in flight
//
// Thread-safety: handlers run on gRPC's threads; everything they touch is
// thread-safe (Executor entry points, Store, Catalog).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "engine/api/control_plane.h"
#include "engine/common/status.h"
#include "engine/functions/catalog.h"
#include "engine/functions/deployer.h"
#include "engine/functions/local_invoker.h"
#include "engine/runtime/executor.h"
#include "engine/store/store.h"

namespace grpc {
class Service;
class Server;
}  // namespace grpc

namespace stepflow::rpc {

struct ControlPlaneOptions {
  size_t max_definition_bytes = 1 << 20;       // 1 MiB, as Step Functions
  size_t max_payload_bytes = 256 * 1024;       // execution input, task output
  std::chrono::milliseconds max_poll{60'000};  // PollTask's longest wait
  // Deployed functions (null: DeployFunction and InvokeFunction answer UNIMPLEMENTED).
  functions::Deployer* deployer = nullptr;
  functions::LocalInvoker* local = nullptr;
  runtime::Invoker* invoker = nullptr;  // the routing invoker, for InvokeFunction
};

class ControlPlane {
 public:
  ControlPlane(runtime::Executor* executor, store::Store* store, functions::Catalog* catalog,
               ControlPlaneOptions options = {});
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  grpc::Service* service();
  // The transport-free core the service adapts (shared with the HTTP API).
  api::ControlPlane* api();
  // New calls get UNAVAILABLE; long polls and history follows return.
  void BeginShutdown();

 private:
  class Service;
  std::unique_ptr<Service> service_;
};

// A gRPC server for `plane` on `listen` ("HOST:PORT"; port 0 = the OS
// chooses), with the standard health service and server reflection.
class ApiServer {
 public:
  // kFailedPrecondition when the address cannot be bound.
  static Result<std::unique_ptr<ApiServer>> Start(const std::string& listen, ControlPlane* plane);
  ~ApiServer();
  int port() const { return port_; }
  // Stops accepting calls, waits up to `grace` for calls in flight, then
  // cancels the rest.
  void Shutdown(std::chrono::milliseconds grace);

 private:
  ApiServer() = default;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace stepflow::rpc
