// JSON text for the JSONata test tools (suite runner, eval tool, bench):
// reading as JavaScript's JSON.parse does, writing values back, and
// comparing results as chai's deep.equal does.
//
// The official suite holds strings with lone surrogate escapes ("\uD800"),
// which nlohmann::json refuses. ParseJsonText keeps them as their WTF-8
// bytes (ED A0 80 for D800), which is what the evaluator sees for the same
// escape in an expression; the writers turn them back into \uXXXX escapes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/common/json_util.h"
#include "engine/jsonata/value.h"

namespace stepflow::jsonata::testkit {

// Parses one JSON text (leading BOM and surrounding whitespace allowed).
// Integral numbers within ±2^53 become JSON integers ("-0" stays the double
// -0.0), all others doubles as JSON.parse reads them. Duplicate keys: the
// last value wins at the first key's place. nullopt and `*error` set when
// the text is not JSON or nests deeper than `max_depth`.
std::optional<Json> ParseJsonText(std::string_view text, std::string* error,
                                  int max_depth = 1000);

// Compact JSON text. Numbers in their shortest round-trip form (integral
// values without ".0"); lone surrogates as \uXXXX; invalid UTF-8 as \uFFFD.
void AppendJsonText(const Json& value, std::string* out);
std::string JsonText(const Json& value);

// A JSONata value as JSON text, marking what JSON cannot hold so that
// differences stay visible: a function is the string "<function>", an
// undefined item or member "<undefined>", a non-finite number "<NaN>" /
// "<Infinity>" / "<-Infinity>". Undefined at the top level is
// "<undefined>" too. Nesting beyond 1000 levels is cut off as "<deep>".
void AppendValueText(const Value& value, std::string* out);
std::string ValueText(const Value& value);

// chai's expect(actual).to.deep.equal(expected) with `expected` from JSON:
// same types, numbers equal (NaN equals NaN, -0 differs from +0), strings
// byte-equal, arrays item by item (sequence flags ignored), objects with
// the same keys (member order ignored) and equal members. A function or an
// undefined item/member in `actual` equals nothing. On a difference,
// `*where` (when given) gets the path to it, e.g. "[2].name".
bool ChaiDeepEqual(const Value& actual, const Json& expected, std::string* where = nullptr);
bool ChaiDeepEqual(const Json& actual, const Json& expected, std::string* where = nullptr);

// Shortest round-trip text of a double ("1", "0.1", "1e+21", "-0").
std::string NumberText(double x);

// Reads a whole file; nullopt when it cannot be read.
std::optional<std::string> ReadFile(const std::string& path);

}  // namespace stepflow::jsonata::testkit
