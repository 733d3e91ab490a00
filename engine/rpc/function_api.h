// The control plane's deployed-function calls (service.proto: DeployFunction,
// DescribeFunction, DeleteFunction, InvokeFunction, GetFunctionLogs), kept
// apart from control_plane.cc, which forwards to them.
//
// Thread-safety: as the objects it is given (all thread-safe).
#pragma once

#include <grpcpp/grpcpp.h>

#include "engine/functions/catalog.h"
#include "engine/functions/deployer.h"
#include "engine/functions/local_invoker.h"
#include "engine/runtime/invoker.h"
#include "engine/store/store.h"
#include "stepflow/v1/service.pb.h"

namespace stepflow::rpc {

struct FunctionApi {
  store::Store* store = nullptr;
  functions::Catalog* catalog = nullptr;
  functions::Deployer* deployer = nullptr;     // null: DeployFunction is UNIMPLEMENTED
  functions::LocalInvoker* local = nullptr;    // instance counts in describe
  runtime::Invoker* invoker = nullptr;         // InvokeFunction (the routing invoker)

  grpc::Status Deploy(const v1::DeployFunctionRequest& req, v1::DeployFunctionResponse* resp) const;
  grpc::Status Describe(const v1::DescribeFunctionRequest& req, v1::FunctionDescription* resp) const;
  grpc::Status Delete(const v1::DeleteFunctionRequest& req) const;
  // Waits for the call (bounded by its timeout, plus a margin).
  grpc::Status Invoke(const v1::InvokeFunctionRequest& req, v1::InvokeFunctionResponse* resp) const;
  grpc::Status Logs(const v1::GetFunctionLogsRequest& req, v1::GetFunctionLogsResponse* resp) const;
};

}  // namespace stepflow::rpc
