// The JSON seam: stepflow's JSON value type and its parsing and printing.
// Nothing outside engine/common names nlohmann.
//
// Json is nlohmann::basic_json over JsonObjectMap: objects keep their
// members in insertion order (the order Step Functions keeps: the input's,
// a template's, a new key at the end), look keys up by hash when large, and
// compare equal regardless of member order. Where a form independent of
// order is needed (hashes, idempotency), use DumpCanonical.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/common/json_object.h"
#include "engine/common/status.h"

namespace stepflow {

using Json = nlohmann::basic_json<JsonObjectMap>;

// Compact serialisation, invalid UTF-8 replaced by U+FFFD instead of
// throwing. Members come out in the object's order.
std::string DumpCompact(const Json& value);
// DumpCompact with every object's members sorted by key (bytewise): equal
// values (in the sense of ==) dump equally. What definition hashes are
// taken of; the same text the engine's dumps were before objects kept
// their order, so hashes stored then still match.
std::string DumpCanonical(const Json& value);
void AppendCanonical(const Json& value, std::string* out);
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
