#include "engine/runtime/arn.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace stepflow::runtime {
namespace {

std::string Prefix() {
  return "arn:aws:states:" + std::string(kArnRegion) + ":" + std::string(kArnAccount) + ":";
}

// "arn:aws:states:REGION:ACCOUNT:<kind>:REST" → REST, or nullopt.
std::optional<std::string_view> AfterKind(std::string_view text, std::string_view kind) {
  std::optional<std::string_view> after = StatesArnRest(text);
  if (!after) return std::nullopt;
  std::string_view rest = *after;
  if (rest.substr(0, kind.size()) != kind || rest.size() <= kind.size() ||
      rest[kind.size()] != ':') {
    return std::nullopt;
  }
  return rest.substr(kind.size() + 1);
}

}  // namespace

std::optional<std::string_view> StatesArnRest(std::string_view text) {
  constexpr std::string_view kStates = "arn:aws:states:";
  if (text.substr(0, kStates.size()) != kStates) return std::nullopt;
  std::string_view rest = text.substr(kStates.size());
  for (int i = 0; i < 2; ++i) {  // REGION, ACCOUNT
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(colon + 1);
  }
  return rest;
}

std::string StateMachineArn(std::string_view machine) {
  return Prefix() + "stateMachine:" + std::string(machine);
}

std::string ExecutionArn(std::string_view execution_id) {
  return Prefix() + "execution:" + std::string(execution_id);
}

Result<StateMachineRef> ParseStateMachineRef(std::string_view text) {
  std::string_view rest = text;
  if (text.substr(0, 4) == "arn:") {
    auto after = AfterKind(text, "stateMachine");
    if (!after) {
      return Status::InvalidArgument("'" + std::string(text) +
                                     "' is not a state machine ARN "
                                     "(arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)");
    }
    rest = *after;
  }
  StateMachineRef ref;
  size_t colon = rest.find(':');
  ref.machine = std::string(rest.substr(0, colon));
  if (ref.machine.empty()) {
    return Status::InvalidArgument("'" + std::string(text) + "' names no state machine");
  }
  if (colon != std::string_view::npos) {
    std::string_view q = rest.substr(colon + 1);
    if (q.empty() || q.size() > 15 ||
        !std::all_of(q.begin(), q.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return Status::InvalidArgument("'" + std::string(text) +
                                     "': only a version number may qualify a state machine "
                                     "(aliases are not supported)");
    }
    ref.version = std::stoll(std::string(q));
  }
  return ref;
}

std::string ExecutionIdFromArn(std::string_view text) {
  if (auto after = AfterKind(text, "execution")) return std::string(*after);
  return std::string(text);
}

}  // namespace stepflow::runtime
