// How a Task's Resource becomes a function call (ARCHITECTURE §5):
//
//   grpc://HOST:PORT/NAME                          NAME at that endpoint
//   NAME                                           NAME in the function registry
//   arn:aws:lambda:REGION:ACCOUNT:function:NAME[:Q] NAME in the registry
//   arn:aws:states:::lambda:invoke                 Parameters.FunctionName (name or
//                                                  Lambda ARN) called with
//                                                  Parameters.Payload; the result
//                                                  comes back as {"Payload": …}
//   activity:NAME                                  the activity NAME: workers poll
//   arn:aws:states:REGION:ACCOUNT:activity:NAME    for it (server only)
//   any of these + ".waitForTaskToken"             called with a task token, then
//                                                  completed by SendTaskSuccess/Failure
//                                                  (server only)
//
// Pure. Thread-safety: stateless.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/common/json_util.h"
#include "engine/common/status.h"

namespace stepflow::runtime {

struct ResolvedTask {
  std::string function;       // what the Invoker receives as TaskRequest::function
  Json input;                 // what the function receives
  bool wrap_payload = false;  // lambda:invoke: result → {"ExecutedVersion","Payload","StatusCode"}
  bool wait_for_token = false;
  std::string activity;       // the activity NAME for activity resources, else ""
  std::string resource_type;  // for history events: "lambda", "function" or "activity"
  std::string resource;       // for history events: "invoke", the function name or the
                              //  activity resource as written
};

// Resolves `resource` for a call with `effective_input` (moved into the
// result). An unusable resource or lambda:invoke input is States.Runtime
// with a cause naming the problem.
Result<ResolvedTask> ResolveTask(const std::string& resource, Json effective_input);

// The activity NAME of "activity:NAME" or an activity ARN
// (arn:aws:states:REGION:ACCOUNT:activity:NAME); nullopt for other text.
std::optional<std::string> ActivityName(std::string_view resource);

// The lambda:invoke result shape for a function's output.
Json WrapLambdaResult(Json output);

}  // namespace stepflow::runtime
