// How a Task's Resource becomes a function call (ARCHITECTURE §5):
//
//   grpc://HOST:PORT/NAME                          NAME at that endpoint
//   NAME[:Q]                                       NAME in the function catalog
//   arn:aws:lambda:REGION:ACCOUNT:function:NAME[:Q] NAME[:Q] in the catalog (Q: a
//                                                  version, an alias or $LATEST)
//   arn:aws:states:::lambda:invoke                 Parameters.FunctionName (name or
//                                                  Lambda ARN) called with
//                                                  Parameters.Payload; the result
//                                                  comes back as {"Payload": …}
//   activity:NAME                                  the activity NAME: workers poll
//   arn:aws:states:REGION:ACCOUNT:activity:NAME    for it (server only)
//   arn:aws:states:::states:startExecution         a nested execution: the result is
//     [.sync | .sync:2]                            {ExecutionArn, StartDate}, or with
//                                                  .sync(:2) the child's description
//                                                  once it ends (Output as text / JSON)
//   arn:aws:states:::SERVICE:ACTION[.sync]         a service integration: the function
//                                                  the catalog maps SERVICE:ACTION to,
//                                                  called with the Task's Parameters
//   any of these + ".waitForTaskToken"             called (or started) with a task
//                                                  token, then completed by
//                                                  SendTaskSuccess/Failure (server only)
//
// Pure. Thread-safety: stateless.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/common/json_util.h"
#include "engine/common/status.h"

namespace stepflow::runtime {

// How a nested execution's Task waits (states:startExecution).
enum class ChildMode : uint8_t {
  kNone,      // not a nested execution
  kStart,     // request-response: done once the child has started
  kSync,      // .sync: done when the child ends; its Input/Output as JSON text
  kSyncJson,  // .sync:2: the same with Input/Output as JSON
  kToken,     // .waitForTaskToken: started, then completed by SendTask*
};

struct ResolvedTask {
  std::string function;       // what the Invoker receives as TaskRequest::function
  Json input;                 // what the function receives
  bool wrap_payload = false;  // lambda:invoke: result → {"ExecutedVersion","Payload","StatusCode"}
  bool wait_for_token = false;
  std::string activity;       // the activity NAME for activity resources, else ""
  std::string resource_type;  // for history events: "lambda", "function" or "activity"
  std::string resource;       // for history events: "invoke", the function name or the
                              //  activity resource as written
  ChildMode child = ChildMode::kNone;
};

// What a Resource needs before a Task naming it can run, from its text
// alone: kNone for what stepflow runs itself (functions, Lambda ARNs,
// lambda:invoke, activities, states:startExecution), kIntegration for a
// service integration that must be mapped to a function (`key` is its
// "SERVICE:ACTION"), kInvalid for text that is no resource at all.
struct ResourceNeed {
  enum Kind : uint8_t { kNone, kIntegration, kInvalid } kind = kNone;
  std::string key;
};
ResourceNeed NeedsOf(std::string_view resource);

// The child-execution prefix of TaskRequest::function for a nested execution.
inline constexpr std::string_view kStartExecution = "arn:aws:states:::states:startExecution";

// Resolves `resource` for a call with `effective_input` (moved into the
// result). An unusable resource or lambda:invoke input is States.Runtime
// with a cause naming the problem.
Result<ResolvedTask> ResolveTask(const std::string& resource, Json effective_input);

// The activity NAME of "activity:NAME" or an activity ARN
// (arn:aws:states:REGION:ACCOUNT:activity:NAME); nullopt for other text.
std::optional<std::string> ActivityName(std::string_view resource);

// The lambda:invoke result shape for a function's output; `executed_version`
// "" reports "$LATEST".
Json WrapLambdaResult(Json output, const std::string& executed_version = {});

}  // namespace stepflow::runtime
