#include "engine/runtime/resource.h"

#include <string_view>

namespace stepflow::runtime {
namespace {

constexpr std::string_view kWaitForToken = ".waitForTaskToken";
constexpr std::string_view kLambdaInvoke = "arn:aws:states:::lambda:invoke";
constexpr std::string_view kLambdaArn = "arn:aws:lambda:";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Status Unusable(const std::string& resource, const std::string& why) {
  return Status::AslError("States.TaskFailed", "cannot call resource '" + resource + "': " + why);
}

// arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] → NAME; other
// text is taken as a plain function name.
Result<std::string> LambdaName(const std::string& resource, std::string_view text) {
  if (!StartsWith(text, kLambdaArn)) return std::string(text);
  // Fields: arn, aws, lambda, REGION, ACCOUNT, function, NAME[, QUALIFIER]
  std::vector<std::string_view> parts;
  size_t begin = 0;
  while (true) {
    size_t colon = text.find(':', begin);
    parts.push_back(text.substr(begin, colon - begin));
    if (colon == std::string_view::npos) break;
    begin = colon + 1;
  }
  if (parts.size() < 7 || parts.size() > 8 || parts[5] != "function" || parts[6].empty()) {
    return Unusable(resource, "'" + std::string(text) +
                                  "' is not a Lambda function ARN "
                                  "(arn:aws:lambda:REGION:ACCOUNT:function:NAME)");
  }
  return std::string(parts[6]);
}

}  // namespace

Result<ResolvedTask> ResolveTask(const std::string& resource, Json effective_input) {
  ResolvedTask task;
  std::string_view base = resource;
  if (base.size() > kWaitForToken.size() &&
      base.substr(base.size() - kWaitForToken.size()) == kWaitForToken) {
    task.wait_for_token = true;
    base.remove_suffix(kWaitForToken.size());
  }
  if (base == kLambdaInvoke) {
    task.resource_type = "lambda";
    task.resource = "invoke";
    task.wrap_payload = true;
    if (!effective_input.is_object()) {
      return Unusable(resource, "lambda:invoke needs Parameters with FunctionName");
    }
    auto name = effective_input.find("FunctionName");
    if (name == effective_input.end() || !name->is_string()) {
      return Unusable(resource, "lambda:invoke needs Parameters.FunctionName (a string)");
    }
    STEPFLOW_ASSIGN_OR_RETURN(task.function,
                              LambdaName(resource, name->get_ref<const std::string&>()));
    auto payload = effective_input.find("Payload");
    task.input = payload == effective_input.end() ? Json::object() : std::move(*payload);
    return task;
  }
  if (std::optional<std::string> activity = ActivityName(base)) {
    if (task.wait_for_token) return Unusable(resource, "an activity cannot wait for a task token");
    task.activity = std::move(*activity);
    if (task.activity.empty()) return Unusable(resource, "empty activity name");
    task.function = "activity:" + task.activity;
    task.resource_type = "activity";
    task.resource = std::string(base);
    task.input = std::move(effective_input);
    return task;
  }
  if (StartsWith(base, "arn:aws:states:")) {
    return Unusable(resource, "this service integration is not supported");
  }
  task.input = std::move(effective_input);
  if (StartsWith(base, "grpc://")) {
    task.resource_type = "function";
    task.function = std::string(base);
    size_t slash = base.rfind('/');
    task.resource = std::string(base.substr(slash + 1));
    if (slash < 7 || task.resource.empty()) {
      return Unusable(resource, "expected grpc://HOST:PORT/NAME");
    }
    return task;
  }
  if (StartsWith(base, kLambdaArn))
    task.resource_type = "lambda";
  else
    task.resource_type = "function";
  STEPFLOW_ASSIGN_OR_RETURN(task.function, LambdaName(resource, base));
  if (task.function.empty()) return Unusable(resource, "empty function name");
  task.resource = task.function;
  return task;
}

std::optional<std::string> ActivityName(std::string_view resource) {
  if (!StartsWith(resource, "activity:") &&
      !(StartsWith(resource, "arn:aws:states:") &&
        resource.find(":activity:") != std::string_view::npos)) {
    return std::nullopt;
  }
  return std::string(resource.substr(resource.rfind(':') + 1));
}

Json WrapLambdaResult(Json output) {
  Json wrapped = Json::object();
  wrapped["ExecutedVersion"] = "$LATEST";
  wrapped["Payload"] = std::move(output);
  wrapped["StatusCode"] = 200;
  return wrapped;
}

}  // namespace stepflow::runtime
