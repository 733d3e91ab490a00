// Names of gRPC status codes ("NOT_FOUND", ...), for messages and logs.
// Takes the code as an int so callers need no gRPC header.
#pragma once

#include <string_view>

namespace stepflow::rpc {

// The canonical name of grpc::StatusCode `code`; "UNKNOWN" for other values.
std::string_view GrpcStatusName(int code);

}  // namespace stepflow::rpc
