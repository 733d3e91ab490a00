// String built-ins ($string, $length, $substring*, $uppercase, $lowercase,
// $trim, $pad, $join, $base64*, $encodeUrl*, $decodeUrl*) and the text
// helpers function.h declares (NumberToString, Stringify, code point and
// UTF-16 offsets), plus the UTF-16 conversions of number_format.h.
#include <charconv>
#include <cctype>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/jsonata/function.h"
#include "engine/jsonata/number_format.h"
#include "engine/jsonata/unicode_case.h"

namespace stepflow::jsonata {

namespace {

// Length in bytes of the UTF-8 sequence starting with `lead`; bytes that
// cannot start a sequence count as one unit each.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xF0 && lead <= 0xF7) return 4;
  if (lead >= 0xE0) return lead <= 0xEF ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

// The byte length of the code point at s[i], never past the end.
size_t StepAt(std::string_view s, size_t i) {
  size_t n = SequenceLength(static_cast<unsigned char>(s[i]));
  if (i + n > s.size()) return 1;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 1;
  }
  return n;
}

}  // namespace

size_t CodePointLength(std::string_view s) {
  size_t count = 0;
  for (size_t i = 0; i < s.size(); i += StepAt(s, i)) ++count;
  return count;
}

size_t ByteOffsetOfCodePoint(std::string_view s, size_t cp_index) {
  size_t i = 0;
  for (size_t k = 0; k < cp_index && i < s.size(); ++k) i += StepAt(s, i);
  return i;
}

size_t Utf16Length(std::string_view s) {
  size_t count = 0;
  for (size_t i = 0; i < s.size();) {
    size_t n = StepAt(s, i);
    count += n == 4 ? 2 : 1;
    i += n;
  }
  return count;
}

size_t ByteOffsetOfUtf16(std::string_view s, size_t unit_index) {
  size_t i = 0;
  size_t units = 0;
  while (units < unit_index && i < s.size()) {
    size_t n = StepAt(s, i);
    units += n == 4 ? 2 : 1;
    i += n;
  }
  return i;
}

std::u16string ToUtf16(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = StepAt(s, i);
    unsigned char c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    if (n == 1) {
      cp = c < 0x80 ? c : 0xFFFD;
    } else {
      cp = c & (0xFF >> (n + 1));
      for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    i += n;
    if (cp >= 0x10000 && cp <= 0x10FFFF) {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xD800 + (cp >> 10));
      out += static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
    } else if (cp > 0x10FFFF) {
      out += u'\uFFFD';
    } else {
      out += static_cast<char16_t>(cp);
    }
  }
  return out;
}

namespace {

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string FromUtf16(std::u16string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t c = s[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      ++i;
    }
    AppendUtf8(out, c);
  }
  return out;
}

std::string NumberToString(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x == 0) return "0";
  std::string out;
  if (x < 0) {
    out += '-';
    x = -x;
  }
  // Shortest round-trip digits in scientific form: d[.ddd]e±XX.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  int exp10 = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  int k = static_cast<int>(digits.size());
  int n = exp10 + 1;  // position of the decimal point relative to the digits
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

namespace {

// printf("%.*e") without the locale: NUL-terminated into buf.
void PrintScientific(char* buf, size_t size, double x, int precision) {
  auto res = std::to_chars(buf, buf + size - 1, x, std::chars_format::scientific, precision);
  *res.ptr = '\0';
}

// Parses printed digits; a result beyond the double range is an infinity
// (as JavaScript's Number() gives).
double ParseDouble(std::string_view text) {
  double out = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), out);
  if (res.ec == std::errc::result_out_of_range) {
    bool tiny = text.find("e-") != std::string_view::npos;
    out = tiny ? 0.0 : INFINITY;
    if (!text.empty() && text[0] == '-') out = -out;
  }
  return out;
}

// Number(x.toPrecision(15)): $string's rounding of numbers. toPrecision
// breaks ties upwards (in magnitude) where printf breaks them to even, so an
// exact tie is detected and settled on the exact decimal expansion.
double RoundTo15(double x) {
  char buf[64];
  PrintScientific(buf, sizeof buf, x, 24);
  // d.dddddddddddddd|dddddddddd: digits 16..25 of "5000000000" may be a tie.
  const char* mant = buf + (buf[0] == '-' ? 1 : 0);
  if (std::strncmp(mant + 16, "5000000000", 10) == 0) {
    std::vector<char> exact(1100);
    PrintScientific(exact.data(), exact.size(), x, 800);
    const char* m = exact.data() + (exact[0] == '-' ? 1 : 0);
    bool tie = m[16] == '5';
    for (int i = 17; tie && m[i] >= '0' && m[i] <= '9'; ++i) tie = m[i] == '0';
    if (tie) {
      // Truncate to 15 digits, then step one unit of the 15th digit away
      // from zero by re-parsing with the digit incremented.
      std::string digits(m, 16);                 // "d.dddddddddddddd"
      std::string exponent(std::strchr(m, 'e'));  // "e+XX"
      int i = 15;
      while (i >= 0) {
        if (digits[i] == '.') {
          --i;
          continue;
        }
        if (digits[i] == '9') {
          digits[i] = '0';
          --i;
        } else {
          ++digits[i];
          break;
        }
      }
      std::string text = (x < 0 ? "-" : "") + (i < 0 ? "1" + digits : digits) + exponent;
      return ParseDouble(text);
    }
  }
  PrintScientific(buf, sizeof buf, x, 14);
  return ParseDouble(buf);
}

// Appends `s` as a JSON string literal the way JSON.stringify writes it,
// including \uXXXX for lone surrogates (stored as their WTF-8 bytes).
void AppendJsonString(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      continue;
    }
    if (c == 0xED && i + 2 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xE0) == 0xA0 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xC0) == 0x80) {
      unsigned unit = 0xD000u | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
                      (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
      out += "\\u";
      out += kHex[(unit >> 12) & 0xF];
      out += kHex[(unit >> 8) & 0xF];
      out += kHex[(unit >> 4) & 0xF];
      out += kHex[unit & 0xF];
      i += 2;
      continue;
    }
    out += static_cast<char>(c);
  }
  out += '"';
}

constexpr int kMaxStringifyDepth = 2000;  // deeper values raise U1001

void Newline(std::string& out, bool pretty, int depth) {
  if (!pretty) return;
  out += '\n';
  out.append(static_cast<size_t>(depth) * 2, ' ');
}

// JSON.stringify with jsonata's replacer: numbers to 15 significant digits,
// functions as "". Returns false when `v` is undefined (left out of objects,
// null in arrays).
bool AppendJson(std::string& out, const Value& v, bool pretty, int depth) {
  if (depth > kMaxStringifyDepth) Throw("U1001");
  switch (v.type()) {
    case Value::Type::kUndefined:
      return false;
    case Value::Type::kNull:
      out += "null";
      return true;
    case Value::Type::kBoolean:
      out += v.boolean() ? "true" : "false";
      return true;
    case Value::Type::kNumber: {
      double n = v.number();
      if (std::isnan(n)) {
        out += "null";
      } else if (std::isinf(n)) {
        Throw("D1001", -1, {}, v);
      } else {
        double rounded = RoundTo15(n);
        out += std::isinf(rounded) ? "null" : NumberToString(rounded);  // JSON.stringify(Infinity)
      }
      return true;
    }
    case Value::Type::kString:
      AppendJsonString(out, v.str());
      return true;
    case Value::Type::kFunction:
      out += "\"\"";
      return true;
    case Value::Type::kArray: {
      size_t n = v.size();
      if (n == 0) {
        out += "[]";
        return true;
      }
      out += '[';
      for (size_t i = 0; i < n; ++i) {
        if (i > 0) out += ',';
        Newline(out, pretty, depth + 1);
        if (!AppendJson(out, v.at(i), pretty, depth + 1)) out += "null";
      }
      Newline(out, pretty, depth);
      out += ']';
      return true;
    }
    case Value::Type::kObject: {
      out += '{';
      bool any = false;
      v.ForEachMember([&](std::string_view key, const Value& member) {
        if (member.IsUndefined()) return;
        if (any) out += ',';
        any = true;
        Newline(out, pretty, depth + 1);
        AppendJsonString(out, key);
        out += pretty ? ": " : ":";
        AppendJson(out, member, pretty, depth + 1);
      });
      if (any) Newline(out, pretty, depth);
      out += '}';
      return true;
    }
  }
  return false;
}

}  // namespace

std::string Stringify(const Value& v, bool pretty) {
  switch (v.type()) {
    case Value::Type::kUndefined:
      return "";
    case Value::Type::kString:
      return std::string(v.str());
    case Value::Type::kFunction:
      return "";
    case Value::Type::kNumber:
      if (!std::isfinite(v.number())) Throw("D3001", -1, {}, v);
      break;
    default:
      break;
  }
  const Value* target = &v;
  Value first;
  if (v.IsArray() && v.array() != nullptr && v.array()->outer_wrapper && v.size() > 0) {
    first = v.at(0);
    target = &first;
  }
  std::string out;
  AppendJson(out, *target, pretty, 0);
  return out;
}

namespace {

const Value& Arg(std::span<const Value> args, size_t i) {
  static const Value kUndefined;
  return i < args.size() ? args[i] : kUndefined;
}

// A code point and its byte length at s[i]; invalid bytes decode as
// U+FFFD of length 1.
char32_t CodePointAt(std::string_view s, size_t i, size_t* len) {
  size_t n = StepAt(s, i);
  *len = n;
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (n == 1) return c < 0x80 ? c : 0xFFFD;
  char32_t cp = c & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

// Results longer than this are refused rather than built (JavaScript's own
// string limit is about 2^29 units).
constexpr double kMaxResultCodePoints = 1 << 28;

Value StringFn(CallContext& ctx, std::span<const Value> args) {
  const Value& arg = Arg(args, 0);
  if (arg.IsUndefined()) return {};
  bool pretty = Arg(args, 1).IsBoolean() && Arg(args, 1).boolean();
  try {
    return Value::String(Stringify(arg, pretty));
  } catch (Error& e) {
    if (e.position < 0) e.position = ctx.Position();
    throw;
  }
}

Value LengthFn(CallContext&, std::span<const Value> args) {
  const Value& str = Arg(args, 0);
  if (!str.IsString()) return {};
  return Value::Number(static_cast<double>(CodePointLength(str.str())));
}

// ToIntegerOrInfinity then clamping, as Array.prototype.slice does.
size_t SliceIndex(double v, size_t len) {
  if (std::isnan(v)) return 0;
  v = std::trunc(v);
  double n = static_cast<double>(len);
  if (v < 0) return v + n < 0 ? 0 : static_cast<size_t>(v + n);
  return v > n ? len : static_cast<size_t>(v);
}

Value SubstringFn(CallContext&, std::span<const Value> args) {
  const Value& str = Arg(args, 0);
  if (!str.IsString()) return {};
  std::string_view s = str.str();
  double len = static_cast<double>(CodePointLength(s));
  double start = Arg(args, 1).IsNumber() ? Arg(args, 1).number() : 0;
  if (len + start < 0) start = 0;
  size_t from = SliceIndex(start, static_cast<size_t>(len));
  size_t to = static_cast<size_t>(len);
  if (Arg(args, 2).IsNumber()) {
    double length = Arg(args, 2).number();
    if (length <= 0 || std::isnan(length)) return Value::String("");
    double end = start >= 0 ? start + length : len + start + length;
    to = SliceIndex(end, static_cast<size_t>(len));
  }
  if (from >= to) return Value::String("");
  size_t b0 = ByteOffsetOfCodePoint(s, from);
  size_t b1 = b0 + ByteOffsetOfCodePoint(s.substr(b0), to - from);
  return Value::String(s.substr(b0, b1 - b0));
}

Value SubstringBeforeFn(CallContext&, std::span<const Value> args) {
  const Value& str = Arg(args, 0);
  if (!str.IsString()) return {};
  std::string_view s = str.str();
  std::string_view chars = Arg(args, 1).IsString() ? Arg(args, 1).str() : std::string_view();
  size_t pos = s.find(chars);
  if (pos == std::string_view::npos) return str;
  return Value::String(s.substr(0, pos));
}

Value SubstringAfterFn(CallContext&, std::span<const Value> args) {
  const Value& str = Arg(args, 0);
  if (!str.IsString()) return {};
  std::string_view s = str.str();
  std::string_view chars = Arg(args, 1).IsString() ? Arg(args, 1).str() : std::string_view();
  size_t pos = s.find(chars);
  if (pos == std::string_view::npos) return str;
  return Value::String(s.substr(pos + chars.size()));
}

Value UppercaseFn(CallContext&, std::span<const Value> args) {
  const Value& str = Arg(args, 0);
  if (!str.IsString()) return {};
  return Value::String(JsToUpperCase(str.str()));
}

Value LowercaseFn(CallContext&, std::span<const Value> args) {
  const Value& str = Arg(args, 0);
  if (!str.IsString()) return {};
  return Value::String(JsToLowerCase(str.str()));
}

Value TrimFn(CallContext&, std::span<const Value> args) {
  const Value& str = Arg(args, 0);
  if (!str.IsString()) return {};
  std::string_view s = str.str();
  std::string out;
  out.reserve(s.size());
  bool in_space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!in_space) out += ' ';
      in_space = true;
    } else {
      out += c;
      in_space = false;
    }
  }
  if (!out.empty() && out.front() == ' ') out.erase(0, 1);
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return Value::String(std::move(out));
}

Value PadFn(CallContext&, std::span<const Value> args) {
  const Value& str = Arg(args, 0);
  if (!str.IsString()) return {};
  std::string_view s = str.str();
  std::string_view pad_char = " ";
  if (Arg(args, 2).IsString() && !Arg(args, 2).str().empty()) pad_char = Arg(args, 2).str();
  double width = Arg(args, 1).IsNumber() ? std::trunc(Arg(args, 1).number()) : 0;
  if (std::isnan(width)) width = 0;
  double pad_length = std::fabs(width) - static_cast<double>(CodePointLength(s));
  if (!(pad_length > 0)) return str;
  if (pad_length > kMaxResultCodePoints) Throw("U1001");  // runaway result size
  size_t count = static_cast<size_t>(pad_length);
  std::string padding;
  size_t produced = 0;
  while (produced < count) {
    for (size_t i = 0; i < pad_char.size() && produced < count;) {
      size_t n = StepAt(pad_char, i);
      padding.append(pad_char.substr(i, n));
      i += n;
      ++produced;
    }
  }
  return Value::String(width > 0 ? std::string(s) + padding : padding + std::string(s));
}

Value JoinFn(CallContext&, std::span<const Value> args) {
  const Value& strs = Arg(args, 0);
  if (strs.IsUndefined()) return {};
  if (strs.IsString()) return strs;
  if (!strs.IsArray()) return {};
  std::string_view sep = Arg(args, 1).IsString() ? Arg(args, 1).str() : std::string_view();
  std::string out;
  for (size_t i = 0; i < strs.size(); ++i) {
    if (i > 0) out += sep;
    Value item = strs.at(i);
    if (item.IsString()) {
      out += item.str();
    } else if (!item.IsUndefined() && !item.IsNull()) {
      out += Stringify(item);
    }
  }
  return Value::String(std::move(out));
}

// ---- base64, as Node's Buffer 'binary' (latin1) <-> 'base64' ----

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Value Base64EncodeFn(CallContext&, std::span<const Value> args) {
  const Value& str = Arg(args, 0);
  if (!str.IsString()) return {};
  std::u16string units = ToUtf16(str.str());
  std::string bytes;
  bytes.reserve(units.size());
  for (char16_t u : units) bytes += static_cast<char>(u & 0xFF);  // latin1 keeps the low byte
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += kBase64[(v >> 6) & 63];
    out += kBase64[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kBase64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return Value::String(std::move(out));
}

int Base64Digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

Value Base64DecodeFn(CallContext&, std::span<const Value> args) {
  const Value& str = Arg(args, 0);
  if (!str.IsString()) return {};
  // Node skips characters outside the alphabet and stops at '='; each
  // decoded byte becomes the code point U+0000..U+00FF.
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : str.str()) {
    if (c == '=') break;
    int d = Base64Digit(c);
    if (d < 0) continue;
    acc = (acc << 6) | static_cast<unsigned>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      AppendUtf8(out, (acc >> bits) & 0xFF);
    }
  }
  return Value::String(std::move(out));
}

// ---- encodeURI / encodeURIComponent / decodeURI / decodeURIComponent ----

bool IsUriUnreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != 0 && std::strchr("-_.!~*'()", c) != nullptr);
}

bool IsUriReserved(unsigned char c) { return c != 0 && std::strchr(";/?:@&=+$,#", c) != nullptr; }

[[noreturn]] void MalformedUrl(CallContext& ctx, const char* function, const Value& str) {
  Throw("D3140", ctx.Position(), function, str);
}

Value EncodeUri(CallContext& ctx, std::span<const Value> args, bool component, const char* function) {
  const Value& str = Arg(args, 0);
  if (!str.IsString()) return {};
  static const char kHexUpper[] = "0123456789ABCDEF";
  std::string_view s = str.str();
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t n;
    char32_t c = CodePointAt(s, i, &n);
    if ((c >= 0xD800 && c <= 0xDFFF) || (n == 1 && c == 0xFFFD)) MalformedUrl(ctx, function, str);
    unsigned char b = static_cast<unsigned char>(s[i]);
    if (n == 1 && (IsUriUnreserved(b) || (!component && IsUriReserved(b)))) {
      out += static_cast<char>(b);
    } else {
      for (size_t k = 0; k < n; ++k) {
        unsigned char byte = static_cast<unsigned char>(s[i + k]);
        out += '%';
        out += kHexUpper[byte >> 4];
        out += kHexUpper[byte & 15];
      }
    }
    i += n;
  }
  return Value::String(std::move(out));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte of "%XX" at s[i], or -1.
int PercentByte(std::string_view s, size_t i) {
  if (i + 2 >= s.size()) return -1;
  if (s[i] != '%') return -1;
  int hi = HexValue(s[i + 1]);
  int lo = HexValue(s[i + 2]);
  if (hi < 0 || lo < 0) return -1;
  return hi * 16 + lo;
}

Value DecodeUri(CallContext& ctx, std::span<const Value> args, bool component, const char* function) {
  const Value& str = Arg(args, 0);
  if (!str.IsString()) return {};
  std::string_view s = str.str();
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '%') {
      out += s[i];
      ++i;
      continue;
    }
    int b = PercentByte(s, i);
    if (b < 0) MalformedUrl(ctx, function, str);
    if (b < 0x80) {
      if (!component && IsUriReserved(static_cast<unsigned char>(b))) {
        out.append(s.substr(i, 3));
      } else {
        out += static_cast<char>(b);
      }
      i += 3;
      continue;
    }
    int n = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0) MalformedUrl(ctx, function, str);
    char32_t cp = static_cast<char32_t>(b & (0xFF >> (n + 1)));
    size_t j = i + 3;
    for (int k = 1; k < n; ++k, j += 3) {
      int cont = j < s.size() ? PercentByte(s, j) : -1;
      if (cont < 0 || (cont & 0xC0) != 0x80) MalformedUrl(ctx, function, str);
      cp = (cp << 6) | static_cast<char32_t>(cont & 0x3F);
    }
    static const char32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      MalformedUrl(ctx, function, str);
    }
    AppendUtf8(out, cp);
    i = j;
  }
  return Value::String(std::move(out));
}

Value EncodeUrlComponentFn(CallContext& ctx, std::span<const Value> args) {
  return EncodeUri(ctx, args, true, "encodeUrlComponent");
}
Value EncodeUrlFn(CallContext& ctx, std::span<const Value> args) {
  return EncodeUri(ctx, args, false, "encodeUrl");
}
Value DecodeUrlComponentFn(CallContext& ctx, std::span<const Value> args) {
  return DecodeUri(ctx, args, true, "decodeUrlComponent");
}
Value DecodeUrlFn(CallContext& ctx, std::span<const Value> args) {
  return DecodeUri(ctx, args, false, "decodeUrl");
}

constexpr BuiltinSpec kStringFunctions[] = {
    {"string", "<x-b?:s>", StringFn},
    {"length", "<s-:n>", LengthFn},
    {"substring", "<s-nn?:s>", SubstringFn},
    {"substringBefore", "<s-s:s>", SubstringBeforeFn},
    {"substringAfter", "<s-s:s>", SubstringAfterFn},
    {"lowercase", "<s-:s>", LowercaseFn},
    {"uppercase", "<s-:s>", UppercaseFn},
    {"trim", "<s-:s>", TrimFn},
    {"pad", "<s-ns?:s>", PadFn},
    {"join", "<a<s>s?:s>", JoinFn},
    {"base64encode", "<s-:s>", Base64EncodeFn},
    {"base64decode", "<s-:s>", Base64DecodeFn},
    {"encodeUrlComponent", "<s-:s>", EncodeUrlComponentFn},
    {"encodeUrl", "<s-:s>", EncodeUrlFn},
    {"decodeUrlComponent", "<s-:s>", DecodeUrlComponentFn},
    {"decodeUrl", "<s-:s>", DecodeUrlFn},
};

}  // namespace

std::span<const BuiltinSpec> StringFunctions() { return kStringFunctions; }

}  // namespace stepflow::jsonata
