#include "engine/jsonata/number_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "engine/jsonata/error.h"
#include "engine/jsonata/function.h"

namespace stepflow::jsonata {

namespace {

bool IsJsWhiteSpace(char32_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
    case 0xFEFF:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// Decodes the code point starting at s[i] (advancing i); invalid bytes
// decode as themselves so they are never white space.
char32_t DecodeAt(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  if (n == 1 || i + n > s.size()) {
    ++i;
    return c;
  }
  char32_t cp = c & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += n;
  return cp;
}

std::string_view TrimJsWhiteSpace(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t next = begin;
    if (!IsJsWhiteSpace(DecodeAt(s, next))) break;
    begin = next;
  }
  size_t end = s.size();
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t probe = start;
    if (!IsJsWhiteSpace(DecodeAt(s, probe)) || probe != end) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

// Digits of a 0x / 0o / 0b literal (without the prefix) as a double,
// correctly rounded: the digits are rewritten as hexadecimal for from_chars.
double ParseRadixDigits(std::string_view digits, int bits_per_digit) {
  std::string hex;
  if (bits_per_digit == 4) {
    hex = std::string(digits);
  } else {
    std::string bits;
    for (char c : digits) {
      int d = c - '0';
      for (int b = bits_per_digit - 1; b >= 0; --b) bits += ((d >> b) & 1) ? '1' : '0';
    }
    while (bits.size() % 4 != 0) bits.insert(bits.begin(), '0');
    for (size_t i = 0; i < bits.size(); i += 4) {
      int v = (bits[i] - '0') * 8 + (bits[i + 1] - '0') * 4 + (bits[i + 2] - '0') * 2 + (bits[i + 3] - '0');
      hex += "0123456789abcdef"[v];
    }
  }
  double out = 0;
  auto res = std::from_chars(hex.data(), hex.data() + hex.size(), out, std::chars_format::hex);
  if (res.ec == std::errc::result_out_of_range) return INFINITY;
  return out;
}

bool IsDigitIn(char c, int radix) {
  if (radix == 16) return std::isxdigit(static_cast<unsigned char>(c)) != 0;
  return c >= '0' && c < '0' + radix;
}

}  // namespace

double JsStringToNumber(std::string_view input) {
  std::string_view s = TrimJsWhiteSpace(input);
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    int radix = 0;
    int bits = 0;
    switch (s[1]) {
      case 'x': case 'X': radix = 16; bits = 4; break;
      case 'o': case 'O': radix = 8; bits = 3; break;
      case 'b': case 'B': radix = 2; bits = 1; break;
      default: break;
    }
    if (radix != 0) {
      std::string_view digits = s.substr(2);
      for (char c : digits) {
        if (!IsDigitIn(c, radix)) return NAN;
      }
      return ParseRadixDigits(digits, bits);
    }
  }
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "Infinity") return negative ? -INFINITY : INFINITY;
  // StrUnsignedDecimalLiteral: digits [. digits] [e [+-] digits], at least
  // one digit in the mantissa.
  size_t i = 0;
  size_t mantissa_digits = 0;
  int first_nonzero_exp = 0;  // rough decimal magnitude, for out-of-range results
  bool seen_nonzero = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    if (s[i] != '0' && !seen_nonzero) {
      seen_nonzero = true;
      first_nonzero_exp = 0;
    }
    if (seen_nonzero) ++first_nonzero_exp;
    ++i;
    ++mantissa_digits;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    int frac_pos = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      --frac_pos;
      if (s[i] != '0' && !seen_nonzero) {
        seen_nonzero = true;
        first_nonzero_exp = frac_pos + 1;
      }
      ++i;
      ++mantissa_digits;
    }
  }
  if (mantissa_digits == 0) return NAN;
  long long exp_value = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      exp_negative = s[i] == '-';
      ++i;
    }
    size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (exp_value < 100000000) exp_value = exp_value * 10 + (s[i] - '0');
      ++i;
      ++exp_digits;
    }
    if (exp_digits == 0) return NAN;
    if (exp_negative) exp_value = -exp_value;
  }
  if (i != s.size()) return NAN;
  double out = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), out, std::chars_format::general);
  if (res.ec == std::errc::result_out_of_range) {
    if (!seen_nonzero) {
      out = 0;
    } else {
      out = first_nonzero_exp + exp_value > 0 ? INFINITY : 0.0;
    }
  } else if (res.ec != std::errc() || res.ptr != s.data() + s.size()) {
    return NAN;
  }
  return negative ? -out : out;
}

namespace {

// Math.round: halves go towards +Infinity.
double JsMathRound(double v) {
  if (!std::isfinite(v) || v == 0) return v;
  double f = std::floor(v);
  return v - f >= 0.5 ? f + 1 : f;
}

// +(mantissa + 'e' + exponent) where `text` is NumberToString(x) and the
// exponent is shifted by `shift`.
double ShiftDecimal(double x, double shift) {
  std::string text = NumberToString(x);
  size_t e = text.find('e');
  std::string mantissa = e == std::string::npos ? text : text.substr(0, e);
  double exponent = shift;
  if (e != std::string::npos) exponent = JsStringToNumber(text.substr(e + 1)) + shift;
  return JsStringToNumber(mantissa + "e" + NumberToString(exponent));
}

}  // namespace

double RoundHalfEven(double x, double precision, bool has_precision) {
  bool shift = has_precision && precision != 0 && !std::isnan(precision);
  if (shift) x = ShiftDecimal(x, precision);
  double result = JsMathRound(x);
  double diff = result - x;
  if (std::fabs(diff) == 0.5 && std::fabs(std::fmod(result, 2)) == 1) result -= 1;
  if (shift) result = ShiftDecimal(result, -precision);
  if (result == 0) result = 0;  // no -0
  return result;
}

std::string ToFixed(double x, int digits) {
  if (std::isnan(x)) return "NaN";
  if (std::fabs(x) >= 1e21) return NumberToString(x);
  if (digits < 0) digits = 0;
  std::string sign;
  if (x < 0) {
    sign = "-";
    x = -x;
  }
  // Every double has an exact decimal expansion of at most 1074 fraction
  // digits; print it exactly, then round half up as toFixed does.
  const int kExact = 1075;
  int printed = digits > kExact ? digits : kExact;
  std::vector<char> buf(static_cast<size_t>(printed) + 64);
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), x, std::chars_format::fixed, printed);
  std::string text(buf.data(), res.ptr);
  size_t dot = text.find('.');
  size_t keep = digits == 0 ? dot : dot + 1 + static_cast<size_t>(digits);
  bool round_up = keep + (digits == 0 ? 1 : 0) < text.size() &&
                  text[keep + (digits == 0 ? 1 : 0)] >= '5';
  text.resize(keep);
  if (round_up) {
    size_t i = text.size();
    bool carry = true;
    while (carry && i > 0) {
      --i;
      if (text[i] == '.') continue;
      if (text[i] == '9') {
        text[i] = '0';
      } else {
        ++text[i];
        carry = false;
      }
    }
    if (carry) text.insert(text.begin(), '1');
  }
  return sign + text;
}

std::string NumberToRadixString(double x, int radix) {
  if (radix == 10 || !std::isfinite(x)) return NumberToString(x);
  static const char kChars[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  bool negative = x < 0;
  double integer = std::floor(std::fabs(x));
  std::string digits;
  // As V8 does: digits below the double's precision are printed as zeros.
  const double kTwo53 = 9007199254740992.0;
  while (integer / radix >= kTwo53) {
    integer /= radix;
    digits += '0';
  }
  do {
    double remainder = std::fmod(integer, radix);
    digits += kChars[static_cast<int>(remainder)];
    integer = (integer - remainder) / radix;
  } while (integer > 0);
  if (negative) digits += '-';
  return std::string(digits.rbegin(), digits.rend());
}


// ---- $formatNumber ----
//
// A faithful port of jsonata-js's formatNumber, run on UTF-16 code units as
// JavaScript does (so multi-unit options and astral characters behave the
// same), including its quirks; only the 2.0.6 infinite loops on zero and
// negative values with an exponent are fixed, as jsonata 2.1.1 does.

namespace {

using U16 = std::u16string;

constexpr size_t kNpos = U16::npos;

long JsIndexOf(const U16& s, const U16& sub, long from = 0) {
  if (from < 0) from = 0;
  if (from > static_cast<long>(s.size())) from = static_cast<long>(s.size());
  size_t pos = s.find(sub, static_cast<size_t>(from));
  return pos == kNpos ? -1 : static_cast<long>(pos);
}

long JsLastIndexOf(const U16& s, const U16& sub) {
  size_t pos = s.rfind(sub);
  return pos == kNpos ? -1 : static_cast<long>(pos);
}

U16 JsSubstring(const U16& s, long a, long b) {
  long len = static_cast<long>(s.size());
  a = a < 0 ? 0 : (a > len ? len : a);
  b = b < 0 ? 0 : (b > len ? len : b);
  if (a > b) std::swap(a, b);
  return s.substr(static_cast<size_t>(a), static_cast<size_t>(b - a));
}

// text = text.slice(0, at) + piece + text.slice(at), JavaScript's slice
// counting a negative index from the end.
void InsertAt(U16& text, long at, const U16& piece) {
  long len = static_cast<long>(text.size());
  if (at < 0) at = at + len < 0 ? 0 : at + len;
  if (at > len) at = len;
  text.insert(static_cast<size_t>(at), piece);
}

U16 CharAt(const U16& s, long i) {
  if (i < 0 || i >= static_cast<long>(s.size())) return U16();
  return U16(1, s[static_cast<size_t>(i)]);
}

std::vector<U16> JsSplit(const U16& s, const U16& sep) {
  std::vector<U16> out;
  if (sep.empty()) {
    for (char16_t c : s) out.emplace_back(1, c);
    return out;
  }
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == kNpos) break;
    out.push_back(s.substr(start, pos - start));
    start = pos + sep.size();
  }
  out.push_back(s.substr(start));
  return out;
}

U16 Repeat(const U16& s, long n) {
  U16 out;
  for (long i = 0; i < n; ++i) out += s;
  return out;
}

struct Properties {
  U16 decimal_separator = u".";
  U16 grouping_separator = u",";
  U16 exponent_separator = u"e";
  U16 minus_sign = u"-";
  U16 percent = u"%";
  U16 per_mille = u"\u2030";
  U16 zero_digit = u"0";
  U16 digit = u"#";
  U16 pattern_separator = u";";
};

struct Parts {
  U16 prefix, suffix, active_part, mantissa_part;
  bool has_exponent = false;
  U16 exponent_part, integer_part, fractional_part, subpicture;
};

struct Picture {
  std::vector<long> integer_grouping;
  long regular_grouping = 0;
  long minimum_integer_size = 0;
  long scaling_factor = 0;
  U16 prefix;
  std::vector<long> fractional_grouping;
  long minimum_fractional_size = 0;
  long maximum_fractional_size = 0;
  long minimum_exponent_size = 0;
  U16 suffix;
  U16 picture;
};

class Formatter {
 public:
  explicit Formatter(const Properties& p) : p_(p) {
    if (!p_.zero_digit.empty()) {
      char16_t zero = p_.zero_digit[0];
      for (int i = 0; i < 10; ++i) family_.push_back(static_cast<char16_t>(zero + i));
    }
    for (char16_t c : family_) active_.emplace_back(1, c);
    active_.push_back(p_.decimal_separator);
    active_.push_back(p_.exponent_separator);
    active_.push_back(p_.grouping_separator);
    active_.push_back(p_.digit);
    active_.push_back(p_.pattern_separator);
  }

  std::string Format(double value, const U16& picture) {
    std::vector<U16> subpictures = JsSplit(picture, p_.pattern_separator);
    if (subpictures.size() > 2) Throw("D3080");
    std::vector<Parts> parts;
    for (const U16& sub : subpictures) parts.push_back(SplitParts(sub));
    for (const Parts& part : parts) Validate(part);
    std::vector<Picture> pics;
    for (const Parts& part : parts) pics.push_back(Analyse(part));
    if (pics.size() == 1) {
      pics.push_back(pics[0]);
      pics[1].prefix = p_.minus_sign + pics[1].prefix;
    }
    return FromUtf16(Render(value, value >= 0 ? pics[0] : pics[1]));
  }

 private:
  bool InFamily(char16_t c) const {
    for (char16_t f : family_) {
      if (f == c) return true;
    }
    return false;
  }
  bool IsActive(char16_t c) const {
    for (const U16& a : active_) {
      if (a.size() == 1 && a[0] == c) return true;
    }
    return false;
  }
  bool IsDigitChar(char16_t c) const { return p_.digit.size() == 1 && p_.digit[0] == c; }
  long CountFamily(const U16& s) const {
    long n = 0;
    for (char16_t c : s) n += InFamily(c) ? 1 : 0;
    return n;
  }
  long CountFamilyOrDigit(const U16& s) const {
    long n = 0;
    for (char16_t c : s) n += (InFamily(c) || IsDigitChar(c)) ? 1 : 0;
    return n;
  }
  bool IsActiveNonExponent(char16_t c) const {
    return IsActive(c) && !(p_.exponent_separator.size() == 1 && p_.exponent_separator[0] == c);
  }

  Parts SplitParts(const U16& sub) const {
    Parts parts;
    parts.subpicture = sub;
    long len = static_cast<long>(sub.size());
    for (long i = 0; i < len; ++i) {
      if (IsActiveNonExponent(sub[static_cast<size_t>(i)])) {
        parts.prefix = sub.substr(0, static_cast<size_t>(i));
        break;
      }
    }
    for (long i = len - 1; i >= 0; --i) {
      if (IsActiveNonExponent(sub[static_cast<size_t>(i)])) {
        parts.suffix = sub.substr(static_cast<size_t>(i + 1));
        break;
      }
    }
    long prefix_len = static_cast<long>(parts.prefix.size());
    long active_end = len - static_cast<long>(parts.suffix.size());
    parts.active_part = JsSubstring(sub, prefix_len, active_end);
    long exponent_pos = JsIndexOf(sub, p_.exponent_separator, prefix_len);
    if (exponent_pos == -1 || exponent_pos > active_end) {
      parts.mantissa_part = parts.active_part;
    } else {
      parts.mantissa_part = JsSubstring(parts.active_part, 0, exponent_pos);
      parts.has_exponent = true;
      parts.exponent_part = JsSubstring(parts.active_part, exponent_pos + 1,
                                        static_cast<long>(parts.active_part.size()));
    }
    long decimal_pos = JsIndexOf(parts.mantissa_part, p_.decimal_separator);
    if (decimal_pos == -1) {
      parts.integer_part = parts.mantissa_part;
      parts.fractional_part = parts.suffix;
    } else {
      parts.integer_part = JsSubstring(parts.mantissa_part, 0, decimal_pos);
      parts.fractional_part = JsSubstring(parts.mantissa_part, decimal_pos + 1,
                                          static_cast<long>(parts.mantissa_part.size()));
    }
    return parts;
  }

  // F&O 4.7.3; the last failing rule wins, as in jsonata-js.
  void Validate(const Parts& parts) const {
    const char* error = nullptr;
    const U16& sub = parts.subpicture;
    long decimal_pos = JsIndexOf(sub, p_.decimal_separator);
    if (decimal_pos != JsLastIndexOf(sub, p_.decimal_separator)) error = "D3081";
    if (JsIndexOf(sub, p_.percent) != JsLastIndexOf(sub, p_.percent)) error = "D3082";
    if (JsIndexOf(sub, p_.per_mille) != JsLastIndexOf(sub, p_.per_mille)) error = "D3083";
    if (JsIndexOf(sub, p_.percent) != -1 && JsIndexOf(sub, p_.per_mille) != -1) error = "D3084";
    bool valid = false;
    for (char16_t c : parts.mantissa_part) {
      if (InFamily(c) || IsDigitChar(c)) {
        valid = true;
        break;
      }
    }
    if (!valid) error = "D3085";
    for (char16_t c : parts.active_part) {
      if (!IsActive(c)) {
        error = "D3086";
        break;
      }
    }
    if (decimal_pos != -1) {
      if (CharAt(sub, decimal_pos - 1) == p_.grouping_separator ||
          CharAt(sub, decimal_pos + 1) == p_.grouping_separator) {
        error = "D3087";
      }
    } else if (CharAt(parts.integer_part, static_cast<long>(parts.integer_part.size()) - 1) ==
               p_.grouping_separator) {
      error = "D3088";
    }
    if (JsIndexOf(sub, p_.grouping_separator + p_.grouping_separator) != -1) error = "D3089";
    long optional_pos = JsIndexOf(parts.integer_part, p_.digit);
    if (optional_pos != -1 && CountFamily(JsSubstring(parts.integer_part, 0, optional_pos)) > 0) {
      error = "D3090";
    }
    optional_pos = JsLastIndexOf(parts.fractional_part, p_.digit);
    if (optional_pos != -1 &&
        CountFamily(JsSubstring(parts.fractional_part, optional_pos,
                                static_cast<long>(parts.fractional_part.size()))) > 0) {
      error = "D3091";
    }
    if (parts.has_exponent && !parts.exponent_part.empty() &&
        (JsIndexOf(sub, p_.percent) != -1 || JsIndexOf(sub, p_.per_mille) != -1)) {
      error = "D3092";
    }
    if (parts.has_exponent &&
        (parts.exponent_part.empty() ||
         CountFamily(parts.exponent_part) != static_cast<long>(parts.exponent_part.size()))) {
      error = "D3093";
    }
    if (error != nullptr) Throw(error);
  }

  // jsonata-js continues the search for further separators in the integer
  // part even when collecting the fractional part's; kept for fidelity.
  std::vector<long> GroupingPositions(const Parts& parts, const U16& part, bool to_left) const {
    // counted[i]: digit characters in part[0, i).
    std::vector<long> counted(part.size() + 1, 0);
    for (size_t i = 0; i < part.size(); ++i) {
      counted[i + 1] = counted[i] + ((InFamily(part[i]) || IsDigitChar(part[i])) ? 1 : 0);
    }
    long total = counted.back();
    long size = static_cast<long>(part.size());
    std::vector<long> positions;
    long pos = JsIndexOf(part, p_.grouping_separator);
    while (pos != -1) {
      long at = pos > size ? size : pos;
      positions.push_back(to_left ? counted[static_cast<size_t>(at)]
                                  : total - counted[static_cast<size_t>(at)]);
      long next = JsIndexOf(parts.integer_part, p_.grouping_separator, pos + 1);
      if (next <= pos) break;  // an empty separator would never advance
      pos = next;
    }
    return positions;
  }

  static long Gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  static long Regular(const std::vector<long>& indexes) {
    if (indexes.empty()) return 0;
    long factor = indexes[0];
    for (size_t i = 1; i < indexes.size(); ++i) factor = Gcd(factor, indexes[i]);
    std::vector<long> sorted(indexes);
    std::sort(sorted.begin(), sorted.end());
    for (size_t index = 1; index <= indexes.size(); ++index) {
      if (!std::binary_search(sorted.begin(), sorted.end(), static_cast<long>(index) * factor)) {
        return 0;
      }
    }
    return factor;
  }

  Picture Analyse(const Parts& parts) const {
    Picture pic;
    pic.integer_grouping = GroupingPositions(parts, parts.integer_part, false);
    pic.regular_grouping = Regular(pic.integer_grouping);
    pic.fractional_grouping = GroupingPositions(parts, parts.fractional_part, true);
    pic.minimum_integer_size = CountFamily(parts.integer_part);
    pic.scaling_factor = pic.minimum_integer_size;
    pic.minimum_fractional_size = CountFamily(parts.fractional_part);
    pic.maximum_fractional_size = CountFamilyOrDigit(parts.fractional_part);
    if (pic.minimum_integer_size == 0 && pic.maximum_fractional_size == 0) {
      if (parts.has_exponent) {
        pic.minimum_fractional_size = 1;
        pic.maximum_fractional_size = 1;
      } else {
        pic.minimum_integer_size = 1;
      }
    }
    if (parts.has_exponent && pic.minimum_integer_size == 0 &&
        JsIndexOf(parts.integer_part, p_.digit) != -1) {
      pic.minimum_integer_size = 1;
    }
    if (pic.minimum_integer_size == 0 && pic.minimum_fractional_size == 0) {
      pic.minimum_fractional_size = 1;
    }
    if (parts.has_exponent) pic.minimum_exponent_size = CountFamily(parts.exponent_part);
    pic.prefix = parts.prefix;
    pic.suffix = parts.suffix;
    pic.picture = parts.subpicture;
    return pic;
  }

  U16 MakeString(double value, long dp) const {
    std::string fixed = ToFixed(std::fabs(value), static_cast<int>(dp > 2000 ? 2000 : dp));
    U16 out;
    bool map = p_.zero_digit != u"0";
    for (char c : fixed) {
      if (map && c >= '0' && c <= '9') {
        if (!family_.empty()) out += family_[static_cast<size_t>(c - '0')];
      } else {
        out += static_cast<char16_t>(c);
      }
    }
    return out;
  }

  U16 Render(double value, const Picture& pic) const {
    const U16& zero = p_.zero_digit;
    const U16& dec = p_.decimal_separator;
    const U16& group = p_.grouping_separator;
    double adjusted = value;
    if (JsIndexOf(pic.picture, p_.percent) != -1) {
      adjusted = value * 100;
    } else if (JsIndexOf(pic.picture, p_.per_mille) != -1) {
      adjusted = value * 1000;
    }
    double mantissa = adjusted;
    bool has_exponent = pic.minimum_exponent_size != 0;
    long exponent = 0;
    if (has_exponent && mantissa != 0 && std::isfinite(mantissa)) {
      double max_mantissa = std::pow(10.0, static_cast<double>(pic.scaling_factor));
      double min_mantissa = std::pow(10.0, static_cast<double>(pic.scaling_factor - 1));
      while (std::fabs(mantissa) < min_mantissa) {
        mantissa *= 10;
        exponent -= 1;
      }
      while (std::fabs(mantissa) > max_mantissa) {
        mantissa /= 10;
        exponent += 1;
      }
    }
    double rounded = RoundHalfEven(mantissa, static_cast<double>(pic.maximum_fractional_size), true);
    U16 text = MakeString(rounded, pic.maximum_fractional_size);
    size_t dot = text.find(u'.');
    if (dot == kNpos) {
      text += dec;
    } else {
      text.replace(dot, 1, dec);
    }
    if (zero.size() == 1) {
      size_t lead = text.find_first_not_of(zero[0]);
      text.erase(0, lead == kNpos ? text.size() : lead);
      size_t last = text.find_last_not_of(zero[0]);
      text.erase(last == kNpos ? 0 : last + 1);
    }
    long decimal_pos = JsIndexOf(text, dec);
    long pad_left = pic.minimum_integer_size - decimal_pos;
    long pad_right = pic.minimum_fractional_size - (static_cast<long>(text.size()) - decimal_pos - 1);
    if (pad_left > 0) text = Repeat(zero, pad_left) + text;
    if (pad_right > 0) text += Repeat(zero, pad_right);
    decimal_pos = JsIndexOf(text, dec);
    if (pic.regular_grouping > 0) {
      long group_count = static_cast<long>(
          std::floor(static_cast<double>(decimal_pos - 1) / static_cast<double>(pic.regular_grouping)));
      for (long g = 1; g <= group_count; ++g) {
        InsertAt(text, decimal_pos - g * pic.regular_grouping, group);
      }
    } else {
      for (long pos : pic.integer_grouping) {
        InsertAt(text, decimal_pos - pos, group);
        ++decimal_pos;
      }
    }
    decimal_pos = JsIndexOf(text, dec);
    for (long pos : pic.fractional_grouping) {
      InsertAt(text, pos + decimal_pos + 1, group);
    }
    decimal_pos = JsIndexOf(text, dec);
    if (JsIndexOf(pic.picture, dec) == -1 || decimal_pos == static_cast<long>(text.size()) - 1) {
      if (!text.empty()) text.pop_back();
    }
    if (has_exponent) {
      U16 exponent_text = MakeString(static_cast<double>(exponent), 0);
      long pad = pic.minimum_exponent_size - static_cast<long>(exponent_text.size());
      if (pad > 0) exponent_text = Repeat(zero, pad) + exponent_text;
      text += p_.exponent_separator + (exponent < 0 ? p_.minus_sign : U16()) + exponent_text;
    }
    return pic.prefix + text + pic.suffix;
  }

  Properties p_;
  std::vector<char16_t> family_;
  std::vector<U16> active_;
};

U16 OptionText(const Value& v) { return ToUtf16(v.IsString() ? std::string(v.str()) : Stringify(v)); }

}  // namespace

std::string FormatNumber(double value, std::string_view picture, const Value& options) {
  Properties props;
  if (options.IsObject()) {
    options.ForEachMember([&](std::string_view key, const Value& v) {
      if (key == "decimal-separator") props.decimal_separator = OptionText(v);
      else if (key == "grouping-separator") props.grouping_separator = OptionText(v);
      else if (key == "exponent-separator") props.exponent_separator = OptionText(v);
      else if (key == "minus-sign") props.minus_sign = OptionText(v);
      else if (key == "percent") props.percent = OptionText(v);
      else if (key == "per-mille") props.per_mille = OptionText(v);
      else if (key == "zero-digit") props.zero_digit = OptionText(v);
      else if (key == "digit") props.digit = OptionText(v);
      else if (key == "pattern-separator") props.pattern_separator = OptionText(v);
    });
  }
  Formatter formatter(props);
  return formatter.Format(value, ToUtf16(picture));
}

}  // namespace stepflow::jsonata
