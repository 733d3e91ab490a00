// Internal to the date/time built-ins (functions_datetime.cc): the XPath F&O
// picture strings of $formatInteger/$parseInteger and $fromMillis/$toMillis,
// reproducing jsonata-js 2.0.6's datetime.js, quirks included (they are the
// conformance target), and the pieces of JavaScript's Number and Date
// semantics those pictures rely on. Not part of the module's interface.
//
// Numbers are doubles throughout, as in JavaScript: an invalid date yields
// NaN fields, which format as "NaN" exactly where jsonata-js prints "NaN".
// Where jsonata-js would crash (a JavaScript TypeError, RangeError or stack
// overflow), these functions raise a JSONata error instead: U1001 for the
// unbounded recursions, D3001 for names of an invalid date, D3133 for a name
// modifier on fractional seconds, D3131 for text outside a digit family,
// D1001 for a width too large to pad to.
//
// Errors are thrown as Error (error.h) without position or token; the
// built-ins add theirs.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stepflow::jsonata::datetime {

// What jsonata-js leaves undefined in a number-valued field.
inline constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();

// ---- text and JavaScript number helpers (datetime_integer.cc) ----

std::u32string ToCodePoints(std::string_view utf8);
std::string ToUtf8(std::u32string_view text);
void AppendUtf8(std::string& out, char32_t c);
// JavaScript's \s (WhiteSpace and LineTerminator).
bool IsJsSpace(char32_t c);
// parseInt(text) with no radix: leading spaces, a sign, "0x" for hex, then
// the longest run of digits; NaN when there is none.
double JsParseInt(std::u32string_view text);
// JavaScript's Number-to-string, for the integers and NaN the pictures print.
std::string JsNumberText(double x);

// ---- integer pictures (datetime_integer.cc) ----

enum class Primary { kDecimal, kLetters, kRoman, kWords, kSequence };
enum class LetterCase { kUpper, kLower, kTitle };

struct GroupingSeparator {
  double position = 0;       // digits to its right
  std::u32string character;  // one code point
};

// analyseIntegerPicture's result. Fields that jsonata-js leaves undefined
// for non-decimal formats are NaN here (NaN behaves as undefined does in
// every comparison datetime.js makes).
struct IntegerFormat {
  Primary primary = Primary::kDecimal;
  LetterCase letter_case = LetterCase::kLower;
  bool ordinal = false;
  char32_t zero_code = U'0';
  double mandatory_digits = kUndefined;
  double optional_digits = kUndefined;
  bool regular = false;  // one separator, repeated every separators[0].position digits
  std::vector<GroupingSeparator> separators;
  std::u32string token;  // kSequence: the picture, for D3130
  double n = kUndefined;  // digits a date parser expects (generateRegex's n)
};

// Throws D3131 (digits from two families).
IntegerFormat AnalyseIntegerPicture(std::u32string_view picture);
// _formatInteger: `value` is formatted as given (callers floor it). Throws
// D3130 for a numbering sequence, U1001 where jsonata-js overflows its
// stack (words of a non-finite number, roman numerals past ~11.7 million,
// letters of infinity), D1001 for padding past kMaxPadding.
std::string FormatIntegerWith(double value, const IntegerFormat& format);
// The value of `text` read with `format` (generateRegex's parse); NaN when
// it does not read. Throws D3130 for a numbering sequence.
double ParseIntegerWith(std::u32string_view text, const IntegerFormat& format);
// formatInteger / parseInteger: the picture analysed, the value floored.
std::string FormatInteger(double value, std::u32string_view picture);
double ParseInteger(std::u32string_view text, std::u32string_view picture);
// The alternatives of the words pattern in jsonata-js's order (its
// wordValues keys), lower case.
const std::vector<std::u32string>& NumberWords();

inline constexpr double kMaxPadding = 1e6;

// ---- JavaScript Date arithmetic (datetime_calendar.cc) ----

inline constexpr double kMillisPerDay = 86400000;

// Date.UTC(year, month, day, hours, minutes, seconds, ms), including its
// mapping of years 0..99 to 1900..1999 and V8's range checks; NaN out of range.
double DateUtc(double year, double month, double day = 1, double hours = 0,
               double minutes = 0, double seconds = 0, double ms = 0);
// new Date(t).getTime().
double TimeClip(double t);

// The UTC fields of a time value; all NaN when it is NaN.
struct DateFields {
  double year, month, day;  // month 0-based
  double weekday;           // 0 = Sunday
  double hours, minutes, seconds, millis;
};
DateFields FieldsOf(double t);

// $toMillis(text) without a picture: D3110 unless `text` matches jsonata's
// ISO 8601 pattern, then V8's Date.parse of it (NaN when V8 cannot read it;
// times without an offset are read as UTC).
double ParseIso8601(std::string_view text);

// ---- date/time pictures (datetime_format.cc, datetime_parse.cc) ----

struct Width {
  std::optional<double> min, max;  // nullopt = '*' or absent; NaN = unreadable
};

// One part of a date/time picture: a literal or a variable marker.
struct PicturePart {
  bool literal = false;
  std::u32string text;           // literal text
  char32_t component = 0;        // marker: Y M D d F W w X x H h P m s f Z z C E ...
  std::u32string presentation1;  // empty = none
  char32_t presentation2 = 0;    // a t c o, 0 = none
  std::optional<Width> width;
  std::optional<LetterCase> names;  // N, n, Nn
  std::optional<IntegerFormat> integer_format;
  double n = kUndefined;  // Y/M/D: digits shown, -1 = all
};

// getDateTimeFragment: component `component` of the time value `t` (NaN
// fields when it is NaN): a number, a string (P: "am"/"pm", C and E: "ISO")
// or undefined (Z, z and unknown components).
struct Fragment {
  enum Kind { kUndefined, kNumber, kString } kind = kUndefined;
  double n = kUndefined;
  std::string s;
};
Fragment DateFragment(double t, char32_t component);

// Throws D3135 (unclosed marker), D3132 (unknown component), D3131.
std::vector<PicturePart> AnalyseDateTimePicture(std::u32string_view picture);

// $fromMillis: `picture` nullptr = ISO 8601, `timezone` nullptr = UTC
// (else jsonata-js's parseInt reading of "±HHMM").
std::string FormatDateTime(double millis, const std::u32string* picture,
                           const std::u32string* timezone);

// $toMillis with a picture; nullopt where jsonata-js returns undefined (no
// match, or no marker). `now_millis` fills the unspecified leading fields.
// `check_time` is called now and then during matching (the time limit).
std::optional<double> ParseDateTime(std::u32string_view timestamp, std::u32string_view picture,
                                    double now_millis, const std::function<void()>& check_time);

}  // namespace stepflow::jsonata::datetime
