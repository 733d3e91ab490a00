// Date/time pictures: their analysis (shared with the parser) and
// $fromMillis's formatting, after jsonata-js 2.0.6's datetime.js.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/jsonata/datetime_picture.h"
#include "engine/jsonata/error.h"

namespace stepflow::jsonata::datetime {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

constexpr const char* kDays[] = {"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};

// The presentation a marker gets when it names none; components without
// one are unknown (D3132).
std::u32string_view DefaultPresentation(char32_t component) {
  switch (component) {
    case U'Y': case U'M': case U'D': case U'd': case U'W': case U'w':
    case U'X': case U'x': case U'H': case U'h': case U'f':
      return U"1";
    case U'F': case U'P': case U'C': case U'E':
      return U"n";
    case U'm': case U's':
      return U"01";
    case U'Z': case U'z':
      return U"01:01";
    default:
      return {};
  }
}

bool IsOneOf(char32_t c, std::u32string_view set) { return c != 0 && set.find(c) != std::u32string_view::npos; }

// JavaScript's substring(a, b): clamped, swapped when a > b.
std::u32string Substring(std::u32string_view s, size_t a, size_t b) {
  a = std::min(a, s.size());
  b = std::min(b, s.size());
  if (a > b) std::swap(a, b);
  return std::u32string(s.substr(a, b - a));
}

std::u32string ReplaceAll(std::u32string_view text, std::u32string_view from, std::u32string_view to) {
  std::u32string out;
  size_t p = 0;
  for (size_t q; (q = text.find(from, p)) != std::u32string_view::npos; p = q + from.size()) {
    out.append(text.substr(p, q - p));
    out.append(to);
  }
  out.append(text.substr(p));
  return out;
}

std::optional<double> ParseWidth(std::optional<std::u32string> text) {
  if (!text || *text == U"*") return std::nullopt;
  return JsParseInt(*text);
}

// Reads one variable marker (the text between '[' and ']').
PicturePart AnalyseMarker(std::u32string_view raw) {
  std::u32string marker;
  for (char32_t c : raw) {
    if (!IsJsSpace(c)) marker += c;
  }
  PicturePart part;
  part.component = marker.empty() ? 0 : marker[0];
  std::u32string presentation;
  size_t comma = marker.rfind(U',');
  if (comma != std::u32string::npos) {
    std::u32string width = marker.substr(comma + 1);
    size_t dash = width.find(U'-');
    std::optional<std::u32string> min, max;
    if (dash == std::u32string::npos) {
      min = width;
    } else {
      min = width.substr(0, dash);
      max = width.substr(dash + 1);
    }
    part.width = Width{ParseWidth(min), ParseWidth(max)};
    presentation = Substring(marker, 1, comma);
  } else if (!marker.empty()) {
    presentation = marker.substr(1);
  }
  bool has_presentation = true;
  if (presentation.size() == 1) {
    part.presentation1 = presentation;
  } else if (presentation.size() > 1) {
    char32_t last = presentation.back();
    if (IsOneOf(last, U"atco")) {
      part.presentation2 = last;
      part.presentation1 = presentation.substr(0, presentation.size() - 1);
    } else {
      part.presentation1 = presentation;
    }
  } else {
    std::u32string_view fallback = DefaultPresentation(part.component);
    has_presentation = !fallback.empty();
    part.presentation1 = fallback;
  }
  if (!has_presentation) {
    std::u32string component = part.component == 0 ? U"" : std::u32string(1, part.component);
    Throw("D3132", -1, {}, Value::String(ToUtf8(component)));
  }
  const std::u32string& p1 = part.presentation1;
  if (p1[0] == U'n') {
    part.names = LetterCase::kLower;
  } else if (p1[0] == U'N') {
    part.names = p1.size() > 1 && p1[1] == U'n' ? LetterCase::kTitle : LetterCase::kUpper;
  } else if (IsOneOf(part.component, U"YMDdFWwXxHhmsf")) {
    std::u32string pattern = p1;
    if (part.presentation2 != 0) {
      pattern += U';';
      pattern += part.presentation2;
    }
    IntegerFormat format = AnalyseIntegerPicture(pattern);
    if (part.width && part.width->min && format.mandatory_digits < *part.width->min) {
      format.mandatory_digits = *part.width->min;
    }
    if (IsOneOf(part.component, U"YMD")) {
      part.n = -1;
      if (part.width && part.width->max) {
        part.n = *part.width->max;
        format.mandatory_digits = part.n;
      } else {
        double w = format.mandatory_digits + format.optional_digits;
        if (w >= 2) part.n = w;
      }
    }
    part.integer_format = std::move(format);
  }
  if (part.component == U'Z' || part.component == U'z') {
    part.integer_format = AnalyseIntegerPicture(p1);
  }
  return part;
}

// ---- the components of a date ----

Fragment Number(double n) { return {Fragment::kNumber, n, {}}; }
Fragment Text(const char* s) { return {Fragment::kString, kNaN, s}; }

// Midnight of the Monday starting the first week of year/month (the week
// holding its first Thursday, as ISO 8601 does for years).
double StartOfFirstWeek(double year, double month) {
  double first = DateUtc(year, month);
  double day = FieldsOf(first).weekday;
  if (day == 0) day = 7;
  return day > 4 ? first + (8 - day) * kMillisPerDay : first - (day - 1) * kMillisPerDay;
}

double DeltaWeeks(double start, double end) { return (end - start) / (kMillisPerDay * 7) + 1; }

}  // namespace

Fragment DateFragment(double t, char32_t component) {
  DateFields f = FieldsOf(t);
  switch (component) {
    case U'Y':
      return Number(f.year);
    case U'M':
      return Number(f.month + 1);
    case U'D':
      return Number(f.day);
    case U'd': {
      double today = DateUtc(f.year, f.month, f.day);
      double first = DateUtc(f.year, 0);
      return Number((today - first) / kMillisPerDay + 1);
    }
    case U'F':
      return Number(f.weekday == 0 ? 7 : f.weekday);
    case U'W': {
      double start = StartOfFirstWeek(f.year, 0);
      double today = DateUtc(f.year, f.month, f.day);
      double week = DeltaWeeks(start, today);
      if (week > 52) {
        if (today >= StartOfFirstWeek(f.year + 1, 0)) week = 1;
      } else if (week < 1) {
        week = DeltaWeeks(StartOfFirstWeek(f.year - 1, 0), today);
      }
      return Number(std::floor(week));
    }
    case U'w': {
      double start = StartOfFirstWeek(f.year, f.month);
      double today = DateUtc(f.year, f.month, f.day);
      double week = DeltaWeeks(start, today);
      if (week > 4) {
        double next_year = f.month == 11 ? f.year + 1 : f.year;
        double next_month = f.month == 11 ? 0 : f.month + 1;
        if (today >= StartOfFirstWeek(next_year, next_month)) week = 1;
      } else if (week < 1) {
        double prev_year = f.month == 0 ? f.year - 1 : f.year;
        double prev_month = f.month == 0 ? 11 : f.month - 1;
        week = DeltaWeeks(StartOfFirstWeek(prev_year, prev_month), today);
      }
      return Number(std::floor(week));
    }
    case U'X': {
      // The ISO week-numbering year (jsonata's extension).
      if (t < StartOfFirstWeek(f.year, 0)) return Number(f.year - 1);
      if (t >= StartOfFirstWeek(f.year + 1, 0)) return Number(f.year + 1);
      return Number(f.year);
    }
    case U'x': {
      // The month the week-of-month belongs to (jsonata's extension).
      double next_year = f.month == 11 ? f.year + 1 : f.year;
      double next_month = f.month == 11 ? 0 : f.month + 1;
      if (t < StartOfFirstWeek(f.year, f.month)) return Number((f.month == 0 ? 11 : f.month - 1) + 1);
      if (t >= StartOfFirstWeek(next_year, next_month)) return Number(next_month + 1);
      return Number(f.month + 1);
    }
    case U'H':
      return Number(f.hours);
    case U'h': {
      double h = std::fmod(f.hours, 12);
      return Number(h == 0 ? 12 : h);
    }
    case U'P':
      return Text(f.hours >= 12 ? "pm" : "am");
    case U'm':
      return Number(f.minutes);
    case U's':
      return Number(f.seconds);
    case U'f':
      return Number(f.millis);
    case U'C':
    case U'E':
      return Text("ISO");
    default:
      return {};
  }
}

namespace {

std::string AsciiCase(std::string s, LetterCase c) {
  for (char& ch : s) {
    if (c == LetterCase::kUpper && ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
    if (c == LetterCase::kLower && ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
  }
  return s;
}

std::string ComponentName(const PicturePart& part, double value) {
  const char* name = nullptr;
  if (part.component == U'M' || part.component == U'x') {
    if (value >= 1 && value <= 12 && value == std::floor(value)) name = kMonths[static_cast<int>(value) - 1];
  } else if (part.component == U'F') {
    if (value >= 0 && value <= 7 && value == std::floor(value)) name = kDays[static_cast<int>(value)];
  } else {
    Throw("D3133", -1, {}, Value::String(ToUtf8(std::u32string(1, part.component))));
  }
  if (name == nullptr) {
    // An invalid date: jsonata-js prints "undefined" or fails with a
    // TypeError calling a method on it.
    if (*part.names != LetterCase::kTitle || part.width) Throw("D3001");
    return "undefined";
  }
  std::string text = AsciiCase(name, *part.names);
  if (part.width && part.width->max && static_cast<double>(text.size()) > *part.width->max) {
    text = text.substr(0, static_cast<size_t>(std::max(*part.width->max, 0.0)));
  }
  return text;
}

std::string FormatZone(const PicturePart& part, double offset_hours, double offset_minutes) {
  const IntegerFormat& format = *part.integer_format;
  double offset = offset_hours * 100 + offset_minutes;
  std::string text;
  if (format.regular) {
    text = FormatIntegerWith(offset, format);
  } else {
    double digits = format.mandatory_digits;
    if (digits == 1 || digits == 2) {
      text = FormatIntegerWith(offset_hours, format);
      if (offset_minutes != 0) text += ":" + FormatInteger(offset_minutes, U"00");
    } else if (digits == 3 || digits == 4) {
      text = FormatIntegerWith(offset, format);
    } else {
      Throw("D3134", -1, {}, Value::Number(digits));
    }
  }
  if (offset >= 0) text = "+" + text;
  if (part.component == U'z') text = "GMT" + text;
  if (offset == 0 && part.presentation2 == U't') text = "Z";
  return text;
}

std::string FormatComponent(double t, const PicturePart& part, double offset_hours,
                            double offset_minutes) {
  Fragment value = DateFragment(t, part.component);
  char32_t c = part.component;
  if (IsOneOf(c, U"YMDdFWwXxHhms")) {
    double n = value.n;
    if (c == U'Y' && part.n != -1) n = std::fmod(n, std::pow(10, part.n));
    if (part.names) return ComponentName(part, n);
    return FormatIntegerWith(n, *part.integer_format);
  }
  if (c == U'f') {
    if (!part.integer_format) Throw("D3133", -1, {}, Value::String("f"));
    return FormatIntegerWith(value.n, *part.integer_format);
  }
  if (c == U'Z' || c == U'z') return FormatZone(part, offset_hours, offset_minutes);
  if (c == U'P' && part.names == LetterCase::kUpper) return AsciiCase(value.s, LetterCase::kUpper);
  switch (value.kind) {
    case Fragment::kString:
      return value.s;
    case Fragment::kNumber:
      return JsNumberText(value.n);
    case Fragment::kUndefined:
      break;
  }
  return "undefined";
}

const std::vector<PicturePart>& IsoPicture() {
  static const std::vector<PicturePart> kIso =
      AnalyseDateTimePicture(U"[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]");
  return kIso;
}

}  // namespace

std::vector<PicturePart> AnalyseDateTimePicture(std::u32string_view picture) {
  std::vector<PicturePart> parts;
  auto add_literal = [&](size_t start, size_t end) {
    if (end <= start) return;
    PicturePart part;
    part.literal = true;
    part.text = ReplaceAll(picture.substr(start, end - start), U"]]", U"]");
    parts.push_back(std::move(part));
  };
  size_t start = 0;
  size_t pos = 0;
  while (pos < picture.size()) {
    if (picture[pos] == U'[') {
      if (pos + 1 < picture.size() && picture[pos + 1] == U'[') {
        add_literal(start, pos);
        PicturePart bracket;
        bracket.literal = true;
        bracket.text = U"[";
        parts.push_back(std::move(bracket));
        pos += 2;
        start = pos;
        continue;
      }
      add_literal(start, pos);
      start = pos;
      pos = picture.find(U']', start);
      if (pos == std::u32string_view::npos) Throw("D3135");
      parts.push_back(AnalyseMarker(picture.substr(start + 1, pos - start - 1)));
      start = pos + 1;
    }
    ++pos;
  }
  add_literal(start, pos);
  return parts;
}

std::string FormatDateTime(double millis, const std::u32string* picture, const std::u32string* timezone) {
  double offset_hours = 0;
  double offset_minutes = 0;
  if (timezone != nullptr) {
    // "+HHMM" read as one integer, as jsonata-js does (so "-0530" is -6h
    // and -30min).
    double offset = JsParseInt(*timezone);
    offset_hours = std::floor(offset / 100);
    offset_minutes = std::fmod(offset, 100);
  }
  std::vector<PicturePart> analysed;
  if (picture != nullptr) analysed = AnalyseDateTimePicture(*picture);
  const std::vector<PicturePart>& parts = picture != nullptr ? analysed : IsoPicture();
  double offset_millis = (60 * offset_hours + offset_minutes) * 60 * 1000;
  double t = TimeClip(millis + offset_millis);
  std::string result;
  for (const PicturePart& part : parts) {
    if (part.literal) {
      result += ToUtf8(part.text);
    } else {
      result += FormatComponent(t, part, offset_hours, offset_minutes);
    }
  }
  return result;
}

}  // namespace stepflow::jsonata::datetime
