#include "engine/runtime/resource.h"

#include "engine/runtime/arn.h"

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

// arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] → NAME[:QUALIFIER];
// other text is taken as a catalog reference as it is.
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
  if (parts.size() == 8) {
    if (parts[7].empty()) return Unusable(resource, "'" + std::string(text) + "' ends with ':'");
    return std::string(parts[6]) + ":" + std::string(parts[7]);
  }
  return std::string(parts[6]);
}

// A service integration's "SERVICE:ACTION" (suffix .sync / .sync:2 dropped),
// or "" when `rest` is not of that shape.
std::string IntegrationKeyOf(std::string_view rest) {
  for (std::string_view suffix : {".sync:2", ".sync"}) {
    if (rest.size() > suffix.size() && rest.substr(rest.size() - suffix.size()) == suffix) {
      rest.remove_suffix(suffix.size());
      break;
    }
  }
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) return {};
  for (char c : rest) {
    if (c == '/' || c == ' ' || static_cast<unsigned char>(c) < 0x20) return {};
  }
  return std::string(rest);
}

Status ResolveStartExecution(const std::string& resource, std::string_view mode_suffix,
                             const Json& input, ResolvedTask* task) {
  if (!input.is_object()) {
    return Unusable(resource, "states:startExecution needs Parameters with StateMachineArn");
  }
  auto arn = input.find("StateMachineArn");
  if (arn == input.end() || !arn->is_string() || arn->get_ref<const std::string&>().empty()) {
    return Unusable(resource,
                    "states:startExecution needs Parameters.StateMachineArn (a state machine "
                    "name or ARN)");
  }
  if (auto name = input.find("Name"); name != input.end() && !name->is_string()) {
    return Unusable(resource, "states:startExecution: Parameters.Name must be a string");
  }
  task->resource_type = "states";
  task->resource = "startExecution" + std::string(mode_suffix);
  return Status::Ok();
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
  if (StartsWith(base, kStartExecution)) {
    std::string_view suffix = base.substr(kStartExecution.size());
    if (!suffix.empty() && suffix != ".sync" && suffix != ".sync:2") {
      return Unusable(resource, "unknown startExecution variant '" + std::string(suffix) + "'");
    }
    if (task.wait_for_token && !suffix.empty()) {
      return Unusable(resource, ".sync and .waitForTaskToken cannot be combined");
    }
    STEPFLOW_RETURN_IF_ERROR(ResolveStartExecution(
        resource, task.wait_for_token ? std::string_view(".waitForTaskToken") : suffix,
        effective_input, &task));
    task.child = task.wait_for_token ? ChildMode::kToken
                 : suffix.empty()     ? ChildMode::kStart
                 : suffix == ".sync"  ? ChildMode::kSync
                                      : ChildMode::kSyncJson;
    task.function = std::string(base);
    task.input = std::move(effective_input);
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
    // A service integration, run by the function the catalog maps it to.
    std::string_view rest = StatesArnRest(base).value_or(std::string_view());
    std::string key = IntegrationKeyOf(rest);
    if (key.empty()) return Unusable(resource, "not a service integration (SERVICE:ACTION)");
    size_t colon = rest.find(':');
    task.resource_type = std::string(rest.substr(0, colon));
    task.resource = std::string(rest.substr(colon + 1));
    task.function = "arn:aws:states:::" + key;
    task.input = std::move(effective_input);
    return task;
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

ResourceNeed NeedsOf(std::string_view resource) {
  std::string_view base = resource;
  constexpr std::string_view kWait = ".waitForTaskToken";
  if (base.size() > kWait.size() && base.substr(base.size() - kWait.size()) == kWait) {
    base.remove_suffix(kWait.size());
  }
  if (!StartsWith(base, "arn:aws:states:") || StartsWith(base, kLambdaInvoke) ||
      StartsWith(base, kStartExecution) || ActivityName(base)) {
    return {};
  }
  std::string key = IntegrationKeyOf(StatesArnRest(base).value_or(std::string_view()));
  if (key.empty()) return {ResourceNeed::kInvalid, {}};
  return {ResourceNeed::kIntegration, std::move(key)};
}

Json WrapLambdaResult(Json output, const std::string& executed_version) {
  Json wrapped = Json::object();
  wrapped["ExecutedVersion"] = executed_version.empty() ? "$LATEST" : executed_version;
  wrapped["Payload"] = std::move(output);
  wrapped["StatusCode"] = 200;
  return wrapped;
}

}  // namespace stepflow::runtime
