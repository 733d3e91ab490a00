// Step Functions ARNs for stepflow's state machines and executions. An
// execution's id is "<machine>:<name>"; its ARN is
// arn:aws:states:local:000000000000:execution:<machine>:<name>, and a state
// machine's arn:aws:states:local:000000000000:stateMachine:<machine>. ARNs
// written for AWS (any region and account) are accepted where a state
// machine or execution is named.
//
// Pure. Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/common/status.h"

namespace stepflow::runtime {

inline constexpr std::string_view kArnRegion = "local";
inline constexpr std::string_view kArnAccount = "000000000000";

std::string StateMachineArn(std::string_view machine);
std::string ExecutionArn(std::string_view execution_id);

struct StateMachineRef {
  std::string machine;
  int64_t version = 0;  // 0 = the newest
};
// "NAME", "NAME:VERSION", or "arn:aws:states:REGION:ACCOUNT:stateMachine:NAME[:VERSION]".
// kInvalidArgument naming the problem (an alias qualifier is not supported).
Result<StateMachineRef> ParseStateMachineRef(std::string_view text);

// "arn:aws:states:REGION:ACCOUNT:REST" → REST (REGION and ACCOUNT may be
// empty, as in arn:aws:states:::sns:publish); nullopt for other text.
std::optional<std::string_view> StatesArnRest(std::string_view text);

// An execution ARN's id ("<machine>:<name>"); other text is returned as it is.
std::string ExecutionIdFromArn(std::string_view text);

}  // namespace stepflow::runtime
