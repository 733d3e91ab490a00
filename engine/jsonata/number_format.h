// Private helpers of the string and numeric built-ins (functions_string.cc,
// functions_numeric.cc, number_format.cc): JavaScript's number/string
// conversions that jsonata-js leans on, and $formatNumber itself.
//
// Text is UTF-8 in the rest of the module; a lone surrogate is kept as its
// 3-byte WTF-8 form (ED A0..BF xx), which round-trips through ToUtf16 and
// FromUtf16 unchanged.
#pragma once

#include <string>
#include <string_view>

#include "engine/jsonata/value.h"

namespace stepflow::jsonata {

// UTF-8 (WTF-8) <-> UTF-16 code units. Invalid bytes become U+FFFD.
std::u16string ToUtf16(std::string_view s);
std::string FromUtf16(std::u16string_view s);

// JavaScript's ToNumber on a string (`+s`, `Number(s)`): surrounding white
// space ignored, "" is 0, 0x/0o/0b integers, "Infinity"; NaN otherwise.
double JsStringToNumber(std::string_view s);

// jsonata-js's $round: round half to even at `precision` decimal places
// (shifting through the decimal text, as jsonata-js does); -0 becomes 0.
// `has_precision` false (or precision 0/NaN) rounds to an integer.
double RoundHalfEven(double x, double precision, bool has_precision);

// Number.prototype.toFixed(digits) (digits >= 0; values >= 1e21 as
// NumberToString).
std::string ToFixed(double x, int digits);

// Number.prototype.toString(radix) for 2 <= radix <= 36.
std::string NumberToRadixString(double x, int radix);

// $formatNumber(value, picture, options): XPath F&O 3.1 format-number as
// jsonata-js implements it. `options` is an object or undefined. Raises
// D3080-D3093.
std::string FormatNumber(double value, std::string_view picture, const Value& options);

}  // namespace stepflow::jsonata
