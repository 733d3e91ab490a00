// JSON helpers shared by every module. stepflow's JSON value type is
// nlohmann::json (objects keep keys sorted, which makes dumps canonical).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/common/status.h"

namespace stepflow {

using Json = nlohmann::json;

// Compact serialisation, invalid UTF-8 replaced by U+FFFD instead of
// throwing. Object keys come out sorted, so equal values dump equally.
std::string DumpCompact(const Json& value);
// Two-space indented serialisation for people.
std::string DumpPretty(const Json& value);

// The JSON type name used in messages: "object", "array", "string",
// "number", "boolean", "null".
std::string_view JsonTypeName(const Json& value);

// JSON Pointer (RFC 6901) escaping of one reference token.
std::string EscapePointerToken(std::string_view token);

// True when `value` is a number with an integral value (1, 1.0, -3).
bool IsIntegral(const Json& value);

// How deeply data (execution input, task results, checkpoints, strings
// given to States.StringToJson) may nest. Copying, comparing and printing
// JSON recurse once per level, so unbounded nesting would let a 256 KiB
// input exhaust the stack.
inline constexpr int kMaxJsonDepth = 512;

// Parses JSON data: InvalidArgument for text that is not JSON or nests
// deeper than `max_depth` (checked before parsing, in one linear pass).
Result<Json> ParseJsonData(std::string_view text, int max_depth = kMaxJsonDepth);

// The deepest nesting of arrays/objects in `text`, strings skipped; stops
// counting at `limit` + 1. Does not validate the text.
int JsonNestingDepth(std::string_view text, int limit = kMaxJsonDepth);

}  // namespace stepflow
