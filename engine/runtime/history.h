// History events as Step Functions shows them (ASL_NOTES §10).
//
// The runtime stores each event's details as a JSON object text; the name
// of the details field depends on the type: every `<Type>StateEntered`
// uses `stateEnteredEventDetails`, every `<Type>StateExited`
// `stateExitedEventDetails`, the rest `<camelCaseType>EventDetails`.
//
// Pure. Thread-safety: stateless.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/common/json_util.h"
#include "engine/store/store.h"

namespace stepflow::runtime {

// "stateEnteredEventDetails", "taskScheduledEventDetails", ...
std::string DetailsKey(std::string_view type);

// {"id","previousEventId","timestamp","type","<details key>":{…}} with the
// state path as "statePath" when not top level.
Json EventToJson(const store::HistoryEvent& event);

// {"cause":…,"error":…} for the *Failed/*Aborted events; an empty error
// name and a missing cause are left out.
std::string ErrorDetails(const std::string& error, const std::optional<std::string>& cause);

// Appends `text` as a JSON string literal (quotes and escapes) to `out`.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace stepflow::runtime
