// Status → grpc::Status, the one mapping of the API (kInvalidArgument →
// INVALID_ARGUMENT, kNotFound → NOT_FOUND, ...; ASL errors → INTERNAL).
#pragma once

#include <grpcpp/grpcpp.h>

#include "engine/common/status.h"

namespace stepflow::rpc {

grpc::Status ToGrpc(const Status& st);

}  // namespace stepflow::rpc
