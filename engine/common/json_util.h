// JSON helpers shared by every module. stepflow's JSON value type is
// nlohmann::json (objects keep keys sorted, which makes dumps canonical).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

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

}  // namespace stepflow
