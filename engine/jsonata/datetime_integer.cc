// Integer pictures ($formatInteger, $parseInteger and the integer-valued
// components of date/time pictures), after jsonata-js 2.0.6's datetime.js,
// plus the text and parseInt helpers the date/time files share.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "engine/jsonata/datetime_picture.h"
#include "engine/jsonata/error.h"
#include "engine/jsonata/function.h"

namespace stepflow::jsonata::datetime {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

constexpr const char* kFew[] = {"Zero",     "One",     "Two",       "Three",    "Four",
                                "Five",     "Six",     "Seven",     "Eight",    "Nine",
                                "Ten",      "Eleven",  "Twelve",    "Thirteen", "Fourteen",
                                "Fifteen",  "Sixteen", "Seventeen", "Eighteen", "Nineteen"};
constexpr const char* kOrdinals[] = {
    "Zeroth",     "First",      "Second",      "Third",      "Fourth",
    "Fifth",      "Sixth",      "Seventh",     "Eighth",     "Ninth",
    "Tenth",      "Eleventh",   "Twelfth",     "Thirteenth", "Fourteenth",
    "Fifteenth",  "Sixteenth",  "Seventeenth", "Eighteenth", "Nineteenth"};
constexpr const char* kDecades[] = {"Twenty", "Thirty",  "Forty",  "Fifty",  "Sixty",
                                    "Seventy", "Eighty", "Ninety", "Hundred"};
constexpr const char* kMagnitudes[] = {"Thousand", "Million", "Billion", "Trillion"};

// The zero of every Unicode decimal digit family jsonata-js knows.
constexpr char32_t kDecimalGroups[] = {
    0x30,   0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6,
    0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0,
    0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
    0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};

// decimalToRoman recurses once per numeral; node's stack gives out a little
// above this value, and jsonata-js with it.
constexpr double kRomanLimit = 11.7e6;

// Where jsonata-js exhausts the JavaScript stack (or would loop forever):
// the error its hosts report for a stack overflow.
[[noreturn]] void StackOverflow() {
  Error e("U1001");
  e.message =
      "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as "
      "tail-recursive.";
  throw e;
}

char AsciiUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

std::string Upper(std::string s) {
  for (char& c : s) c = AsciiUpper(c);
  return s;
}
std::string Lower(std::string s) {
  for (char& c : s) c = AsciiLower(c);
  return s;
}

std::u16string ToUnits(std::u32string_view text) {
  std::u16string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c >= 0x10000 && c <= 0x10FFFF) {
      out += static_cast<char16_t>(0xD800 + ((c - 0x10000) >> 10));
      out += static_cast<char16_t>(0xDC00 + ((c - 0x10000) & 0x3FF));
    } else {
      out += static_cast<char16_t>(c > 0x10FFFF ? 0xFFFD : c);
    }
  }
  return out;
}

std::string UnitsToUtf8(std::u16string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t c = s[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;  // a separator split in two: no UTF-8 for half of it
    }
    AppendUtf8(out, c);
  }
  return out;
}

// ---- words ----

std::string WordsLookup(double num, bool prev, bool ord, int depth) {
  // Finite numbers need about 30 levels; the bound only guards the invariant.
  if (depth > 400) StackOverflow();
  std::string words;
  if (num <= 19) {
    int i = static_cast<int>(num);
    words = std::string(prev ? " and " : "") + (ord ? kOrdinals[i] : kFew[i]);
  } else if (num < 100) {
    double tens = std::floor(num / 10);
    double remainder = std::fmod(num, 10);
    words = std::string(prev ? " and " : "") + kDecades[static_cast<int>(tens) - 2];
    if (remainder > 0) {
      words += "-" + WordsLookup(remainder, false, ord, depth + 1);
    } else if (ord) {
      words = words.substr(0, words.size() - 1) + "ieth";
    }
  } else if (num < 1000) {
    double hundreds = std::floor(num / 100);
    double remainder = std::fmod(num, 100);
    words = std::string(prev ? ", " : "") + kFew[static_cast<int>(hundreds)] + " Hundred";
    if (remainder > 0) {
      words += WordsLookup(remainder, true, ord, depth + 1);
    } else if (ord) {
      words += "th";
    }
  } else {
    double mag = std::floor(std::log10(num) / 3);
    if (mag > 4) mag = 4;  // the largest word: "trillion trillion ..."
    double factor = std::pow(10, mag * 3);
    double mant = std::floor(num / factor);
    double remainder = num - mant * factor;
    words = std::string(prev ? ", " : "") + WordsLookup(mant, false, false, depth + 1) + " " +
            kMagnitudes[static_cast<int>(mag) - 1];
    if (remainder > 0) {
      words += WordsLookup(remainder, true, ord, depth + 1);
    } else if (ord) {
      words += "th";
    }
  }
  return words;
}

std::string NumberToWords(double value, bool ordinal) {
  // jsonata-js recurses without end on these.
  if (!std::isfinite(value)) StackOverflow();
  return WordsLookup(value, false, ordinal, 0);
}

struct WordValue {
  std::u32string word;
  double value;
};

const std::vector<WordValue>& WordValues() {
  static const std::vector<WordValue> kValues = [] {
    std::vector<WordValue> v;
    auto add = [&v](std::string word, double value) {
      std::u32string w(word.begin(), word.end());
      for (WordValue& existing : v) {
        if (existing.word == w) {
          existing.value = value;
          return;
        }
      }
      v.push_back({w, value});
    };
    for (int i = 0; i < 20; ++i) add(Lower(kFew[i]), i);
    for (int i = 0; i < 20; ++i) add(Lower(kOrdinals[i]), i);
    for (int i = 0; i < 9; ++i) {
      std::string word = Lower(kDecades[i]);
      add(word, (i + 2) * 10);
      add(word.substr(0, word.size() - 1) + "ieth", (i + 2) * 10);
    }
    add("hundredth", 100);
    for (int i = 0; i < 4; ++i) {
      std::string word = Lower(kMagnitudes[i]);
      double value = std::pow(10, (i + 1) * 3);
      add(word, value);
      add(word + "th", value);
    }
    return v;
  }();
  return kValues;
}

// text.split(/,\s|\sand\s|[\s\\-]/)
std::vector<std::u32string> SplitWords(const std::u32string& text) {
  std::vector<std::u32string> parts;
  auto match_at = [&text](size_t q) -> size_t {
    size_t n = text.size();
    if (text[q] == U',' && q + 1 < n && IsJsSpace(text[q + 1])) return 2;
    if (IsJsSpace(text[q]) && q + 4 < n && text.compare(q + 1, 3, U"and") == 0 &&
        IsJsSpace(text[q + 4])) {
      return 5;
    }
    if (IsJsSpace(text[q]) || text[q] == U'\\' || text[q] == U'-') return 1;
    return 0;
  };
  size_t p = 0;
  for (size_t q = 0; q < text.size();) {
    size_t len = match_at(q);
    if (len == 0) {
      ++q;
      continue;
    }
    parts.push_back(text.substr(p, q - p));
    p = q + len;
    q = p;
  }
  parts.push_back(text.substr(p));
  return parts;
}

double WordsToNumber(const std::u32string& lower_text) {
  std::vector<double> segs{0};
  for (const std::u32string& part : SplitWords(lower_text)) {
    double value = kNaN;  // an unknown word: undefined in jsonata-js, NaN once multiplied
    bool known = false;
    for (const WordValue& w : WordValues()) {
      if (w.word == part) {
        value = w.value;
        known = true;
        break;
      }
    }
    if (known && value < 100) {
      double top = segs.back();
      segs.pop_back();
      if (top >= 1000) {
        segs.push_back(top);
        top = 0;
      }
      segs.push_back(top + value);
    } else {
      double top = segs.back();
      segs.pop_back();
      segs.push_back(top * value);
    }
  }
  double result = 0;
  for (double s : segs) result += s;
  return result;
}

// ---- roman numerals and letters ----

struct Numeral {
  double value;
  const char* text;
};
constexpr Numeral kRomanNumerals[] = {{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"},
                                      {100, "c"},  {90, "xc"},  {50, "l"},  {40, "xl"},
                                      {10, "x"},   {9, "ix"},   {5, "v"},   {4, "iv"},
                                      {1, "i"}};

std::string DecimalToRoman(double value) {
  if (value >= kRomanLimit) StackOverflow();
  std::string out;
  for (;;) {
    const Numeral* match = nullptr;
    for (const Numeral& numeral : kRomanNumerals) {
      if (value >= numeral.value) {
        match = &numeral;
        break;
      }
    }
    if (match == nullptr) return out;  // also NaN: no comparison holds
    out += match->text;
    value -= match->value;
  }
}

double RomanValue(char16_t c) {
  switch (c) {
    case u'M': return 1000;
    case u'D': return 500;
    case u'C': return 100;
    case u'L': return 50;
    case u'X': return 10;
    case u'V': return 5;
    case u'I': return 1;
    default: return kNaN;
  }
}

double RomanToDecimal(std::u16string_view roman) {
  double decimal = 0;
  double max = 1;
  for (size_t i = roman.size(); i-- > 0;) {
    double value = RomanValue(roman[i]);
    // undefined < max is false in jsonata-js, so an unknown letter poisons
    // the sum with NaN.
    if (value < max) {
      decimal -= value;
    } else {
      max = value;
      decimal += value;
    }
  }
  return decimal;
}

std::string DecimalToLetters(double value, char a) {
  if (value == std::numeric_limits<double>::infinity()) StackOverflow();  // never ends in jsonata-js
  std::string reversed;
  while (value > 0) {
    reversed += static_cast<char>(std::fmod(value - 1, 26) + a);
    value = std::floor((value - 1) / 26);
  }
  return std::string(reversed.rbegin(), reversed.rend());
}

double LettersToDecimal(std::u16string_view letters, char a) {
  double decimal = 0;
  size_t n = letters.size();
  for (size_t i = 0; i < n; ++i) {
    decimal += (static_cast<double>(letters[n - i - 1]) - a + 1) * std::pow(26, static_cast<double>(i));
  }
  return decimal;
}

// ---- decimal digit patterns ----

// JavaScript's substr(start, length) and substr(start) on UTF-16 text.
std::u16string Substr(const std::u16string& s, double start, double length) {
  double size = static_cast<double>(s.size());
  if (start < 0) start = std::max(size + start, 0.0);
  start = std::min(start, size);
  double end = std::min(start + std::max(length, 0.0), size);
  return s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start));
}

std::string FormatDecimal(double value, const IntegerFormat& format) {
  std::string text = JsNumberText(value);
  double pad = format.mandatory_digits - static_cast<double>(text.size());
  if (pad > 0) {
    if (pad > kMaxPadding) Throw("D1001", -1, {}, Value::Number(format.mandatory_digits));
    text.insert(0, static_cast<size_t>(pad), '0');
  }
  std::u16string out;
  for (char c : text) {
    out += static_cast<char16_t>(static_cast<char32_t>(c) + format.zero_code - U'0');
  }
  if (format.regular) {
    const GroupingSeparator& sep = format.separators[0];
    std::u16string character = ToUnits(sep.character);
    double n = std::floor((static_cast<double>(out.size()) - 1) / sep.position);
    for (double ii = n; ii > 0; --ii) {
      double pos = static_cast<double>(out.size()) - ii * sep.position;
      out = Substr(out, 0, pos) + character + Substr(out, pos, 1e300);
    }
  } else {
    for (auto it = format.separators.rbegin(); it != format.separators.rend(); ++it) {
      double pos = static_cast<double>(out.size()) - it->position;
      out = Substr(out, 0, pos) + ToUnits(it->character) + Substr(out, pos, 1e300);
    }
  }
  if (format.ordinal) {
    char16_t last = out.back();
    const char* suffix = last == u'1' ? "st" : last == u'2' ? "nd" : last == u'3' ? "rd" : "th";
    if (out.size() > 1 && out[out.size() - 2] == u'1') suffix = "th";
    for (const char* p = suffix; *p; ++p) out += static_cast<char16_t>(*p);
  }
  return UnitsToUtf8(out);
}

// regularRepeat: the interval when all separators are the same character
// at equal intervals, else 0.
double RegularRepeat(const std::vector<GroupingSeparator>& separators) {
  if (separators.empty()) return 0;
  for (const GroupingSeparator& s : separators) {
    if (s.character != separators[0].character) return 0;
  }
  auto gcd = [](int64_t a, int64_t b) {
    while (b != 0) {
      int64_t t = a % b;
      a = b;
      b = t;
    }
    return a;
  };
  int64_t factor = static_cast<int64_t>(separators[0].position);
  for (size_t i = 1; i < separators.size(); ++i) {
    factor = gcd(factor, static_cast<int64_t>(separators[i].position));
  }
  for (size_t index = 1; index <= separators.size(); ++index) {
    bool found = false;
    for (const GroupingSeparator& s : separators) {
      if (s.position == static_cast<double>(index) * static_cast<double>(factor)) found = true;
    }
    if (!found) return 0;
  }
  return static_cast<double>(factor);
}

std::u16string RemoveAll(const std::u16string& text, const std::u16string& what) {
  if (what.empty()) return text;
  std::u16string out;
  size_t p = 0;
  for (size_t q; (q = text.find(what, p)) != std::u16string::npos; p = q + what.size()) {
    out.append(text, p, q - p);
  }
  out.append(text, p);
  return out;
}

double ParseDecimal(std::u32string_view value, const IntegerFormat& format) {
  std::u16string digits = ToUnits(value);
  if (format.ordinal) digits = digits.substr(0, digits.size() >= 2 ? digits.size() - 2 : 0);
  if (format.regular) {
    digits = RemoveAll(digits, u",");  // jsonata-js strips commas whatever the separator
  } else {
    for (const GroupingSeparator& sep : format.separators) {
      digits = RemoveAll(digits, ToUnits(sep.character));
    }
  }
  std::u32string mapped;
  for (char16_t unit : digits) {
    if (format.zero_code == U'0') {
      mapped += unit;
      continue;
    }
    int64_t c = static_cast<int64_t>(unit) - format.zero_code + U'0';
    // String.fromCodePoint throws a RangeError in jsonata-js here.
    if (c < 0) Throw("D3131");
    mapped += static_cast<char32_t>(c);
  }
  return JsParseInt(mapped);
}

}  // namespace

// ---- shared helpers ----

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::u32string ToCodePoints(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char lead = static_cast<unsigned char>(s[i]);
    size_t n = lead < 0x80 ? 1 : lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 && lead <= 0xEF ? 3
             : lead >= 0xC2 && lead <= 0xDF ? 2 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      out += U'\uFFFD';
      ++i;
      continue;
    }
    char32_t c = n == 1 ? lead : lead & (0xFF >> (n + 1));
    for (size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out += c;
    i += n;
  }
  return out;
}

std::string ToUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) AppendUtf8(out, c > 0x10FFFF ? 0xFFFD : c);
  return out;
}

bool IsJsSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

double JsParseInt(std::u32string_view text) {
  size_t i = 0;
  while (i < text.size() && IsJsSpace(text[i])) ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == U'+' || text[i] == U'-')) {
    negative = text[i] == U'-';
    ++i;
  }
  bool hex = false;
  if (i + 1 < text.size() && text[i] == U'0' && (text[i + 1] == U'x' || text[i + 1] == U'X')) {
    hex = true;
    i += 2;
  }
  std::string digits = hex ? "0x" : "";
  size_t first = digits.size();
  for (; i < text.size(); ++i) {
    char32_t c = text[i];
    bool digit = (c >= U'0' && c <= U'9') ||
                 (hex && ((c >= U'a' && c <= U'f') || (c >= U'A' && c <= U'F')));
    if (!digit) break;
    digits += static_cast<char>(c);
  }
  if (digits.size() == first) return kNaN;
  double value = std::strtod(digits.c_str(), nullptr);  // correctly rounded, as V8
  return negative ? -value : value;
}

std::string JsNumberText(double x) { return NumberToString(x); }

// ---- integer pictures ----

IntegerFormat AnalyseIntegerPicture(std::u32string_view picture) {
  IntegerFormat format;
  std::u32string_view primary = picture;
  size_t semicolon = picture.rfind(U';');
  if (semicolon != std::u32string_view::npos) {
    primary = picture.substr(0, semicolon);
    std::u32string_view modifier = picture.substr(semicolon + 1);
    if (!modifier.empty() && modifier[0] == U'o') format.ordinal = true;
  }
  if (primary == U"A" || primary == U"a") {
    format.primary = Primary::kLetters;
    if (primary == U"A") format.letter_case = LetterCase::kUpper;
  } else if (primary == U"I" || primary == U"i") {
    format.primary = Primary::kRoman;
    if (primary == U"I") format.letter_case = LetterCase::kUpper;
  } else if (primary == U"W" || primary == U"Ww" || primary == U"w") {
    format.primary = Primary::kWords;
    format.letter_case = primary == U"W"    ? LetterCase::kUpper
                         : primary == U"Ww" ? LetterCase::kTitle
                                            : LetterCase::kLower;
  } else {
    // A decimal digit pattern when it holds a digit of any family, read
    // right to left so separator positions count digits from the right.
    char32_t zero = 0;
    double mandatory = 0;
    double optional = 0;
    double position = 0;
    std::vector<GroupingSeparator> separators;
    for (size_t i = primary.size(); i-- > 0;) {
      char32_t c = primary[i];
      bool digit = false;
      for (char32_t group : kDecimalGroups) {
        if (c >= group && c <= group + 9) {
          digit = true;
          ++mandatory;
          ++position;
          if (zero == 0) {
            zero = group;
          } else if (group != zero) {
            Throw("D3131");
          }
          break;
        }
      }
      if (digit) continue;
      if (c == U'#') {
        ++position;
        ++optional;
      } else {
        separators.push_back({position, std::u32string(1, c)});
      }
    }
    if (mandatory > 0) {
      format.primary = Primary::kDecimal;
      format.zero_code = zero;
      format.mandatory_digits = mandatory;
      format.optional_digits = optional;
      double regular = RegularRepeat(separators);
      if (regular > 0) {
        format.regular = true;
        format.separators = {{regular, separators[0].character}};
      } else {
        format.separators = std::move(separators);
      }
    } else {
      // A numbering sequence ("α", "#"): implementation-defined, unsupported.
      format.primary = Primary::kSequence;
      format.token = std::u32string(primary);
    }
  }
  return format;
}

std::string FormatIntegerWith(double value, const IntegerFormat& format) {
  bool negative = value < 0;
  value = std::fabs(value);
  std::string out;
  switch (format.primary) {
    case Primary::kLetters:
      out = DecimalToLetters(value, format.letter_case == LetterCase::kUpper ? 'A' : 'a');
      break;
    case Primary::kRoman:
      out = DecimalToRoman(value);
      if (format.letter_case == LetterCase::kUpper) out = Upper(out);
      break;
    case Primary::kWords:
      out = NumberToWords(value, format.ordinal);
      if (format.letter_case == LetterCase::kUpper) out = Upper(out);
      if (format.letter_case == LetterCase::kLower) out = Lower(out);
      break;
    case Primary::kDecimal:
      out = FormatDecimal(value, format);
      break;
    case Primary::kSequence:
      Throw("D3130", -1, {}, Value::String(ToUtf8(format.token)));
  }
  return negative ? "-" + out : out;
}

double ParseIntegerWith(std::u32string_view text, const IntegerFormat& format) {
  bool upper = format.letter_case == LetterCase::kUpper;
  switch (format.primary) {
    case Primary::kLetters:
      return LettersToDecimal(ToUnits(text), upper ? 'A' : 'a');
    case Primary::kRoman: {
      std::u16string units = ToUnits(text);
      if (!upper) {
        for (char16_t& c : units) {
          if (c >= u'a' && c <= u'z') c = static_cast<char16_t>(c - 32);
          if (c == 0x0131) c = u'I';  // dotless i upper-cases to I
        }
      }
      return RomanToDecimal(units);
    }
    case Primary::kWords: {
      std::u32string lower(text);
      for (char32_t& c : lower) {
        if (c >= U'A' && c <= U'Z') c += 32;
      }
      return WordsToNumber(lower);
    }
    case Primary::kDecimal:
      return ParseDecimal(text, format);
    case Primary::kSequence:
      break;
  }
  Throw("D3130", -1, {}, Value::String(ToUtf8(format.token)));
}

std::string FormatInteger(double value, std::u32string_view picture) {
  value = std::floor(value);
  return FormatIntegerWith(value, AnalyseIntegerPicture(picture));
}

double ParseInteger(std::u32string_view text, std::u32string_view picture) {
  return ParseIntegerWith(text, AnalyseIntegerPicture(picture));
}

const std::vector<std::u32string>& NumberWords() {
  static const std::vector<std::u32string> kWords = [] {
    std::vector<std::u32string> words;
    for (const WordValue& w : WordValues()) words.push_back(w.word);
    return words;
  }();
  return kWords;
}

}  // namespace stepflow::jsonata::datetime
