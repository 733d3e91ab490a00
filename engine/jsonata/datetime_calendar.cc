// JavaScript Date arithmetic (V8's Date.UTC, TimeClip and UTC getters) and
// V8's Date.parse for the strings $toMillis accepts without a picture.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/jsonata/datetime_picture.h"
#include "engine/jsonata/error.h"

namespace stepflow::jsonata::datetime {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMaxTime = 8.64e15;
// V8's MakeDay bounds.
constexpr double kMaxYear = 1000000;
constexpr double kMaxMonth = 10000000;

double ToInteger(double x) { return std::trunc(x) + 0.0; }

// Days from 1970-01-01 to year-month-01 (month 1..12), proleptic Gregorian.
int64_t DaysFromCivil(int64_t y, int64_t m) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, int64_t& m, int64_t& d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2);
}

double MakeDay(double year, double month, double date) {
  if (!(-kMaxYear <= year && year <= kMaxYear && -kMaxMonth <= month && month <= kMaxMonth &&
        std::isfinite(date))) {
    return kNaN;
  }
  int64_t y = static_cast<int64_t>(year);
  int64_t m = static_cast<int64_t>(month);
  y += m / 12;
  m %= 12;
  if (m < 0) {
    m += 12;
    y -= 1;
  }
  return static_cast<double>(DaysFromCivil(y, m + 1)) + ToInteger(date) - 1;
}

double MakeTime(double h, double m, double s, double ms) {
  if (!std::isfinite(h) || !std::isfinite(m) || !std::isfinite(s) || !std::isfinite(ms)) return kNaN;
  return ToInteger(h) * 3600000 + ToInteger(m) * 60000 + ToInteger(s) * 1000 + ToInteger(ms);
}

double MakeDate(double day, double time) {
  if (!std::isfinite(day) || !std::isfinite(time)) return kNaN;
  return time + day * kMillisPerDay;
}

// ---- Date.parse ----

// `^\d{4}(-[01]\d)*(-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$`
bool MatchesIsoPattern(std::string_view s) {
  auto digit = [](char c, char hi = '9') { return c >= '0' && c <= hi; };
  auto is_offset = [&](std::string_view t) {
    if (t.size() == 5) return (t[0] == '+' || t[0] == '-') && digit(t[1], '2') && digit(t[2]) && digit(t[3], '5') && digit(t[4]);
    if (t.size() == 6) {
      return (t[0] == '+' || t[0] == '-') && digit(t[1], '2') && digit(t[2]) && t[3] == ':' &&
             digit(t[4], '5') && digit(t[5]);
    }
    return false;
  };
  // The groups before the offset start with distinct characters and have
  // fixed lengths, so reading them greedily decides the prefix.
  auto is_body = [&](std::string_view t) {
    if (t.size() < 4 || !digit(t[0]) || !digit(t[1]) || !digit(t[2]) || !digit(t[3])) return false;
    size_t i = 4;
    while (i + 3 <= t.size() && t[i] == '-' && digit(t[i + 1], '3') && digit(t[i + 2])) i += 3;
    while (i + 9 <= t.size() && t[i] == 'T' && digit(t[i + 1], '2') && digit(t[i + 2]) && t[i + 3] == ':' &&
           digit(t[i + 4], '5') && digit(t[i + 5]) && t[i + 6] == ':' && digit(t[i + 7], '5') &&
           digit(t[i + 8])) {
      i += 9;
    }
    if (i < t.size() && t[i] == '.') {
      size_t j = i + 1;
      while (j < t.size() && digit(t[j])) ++j;
      if (j > i + 1) i = j;
    }
    return i == t.size();
  };
  if (is_body(s)) return true;
  if (!s.empty() && s.back() == 'Z' && is_body(s.substr(0, s.size() - 1))) return true;
  for (size_t len : {5, 6}) {
    if (s.size() > len && is_offset(s.substr(s.size() - len)) && is_body(s.substr(0, s.size() - len))) {
      return true;
    }
  }
  return false;
}

// V8's DateParser over the characters the pattern admits: digits, - + : .
// and the keywords T and Z.
struct Token {
  enum Kind { kEnd, kNumber, kSymbol, kTimeSeparator, kZ, kInvalid } kind = kEnd;
  int value = 0;   // number
  int length = 0;  // number of characters of a number
  char symbol = 0;
  bool IsNumber() const { return kind == kNumber; }
  bool IsFixedLengthNumber(int n) const { return kind == kNumber && length == n; }
  bool IsSymbol(char c) const { return kind == kSymbol && symbol == c; }
  bool IsSign() const { return kind == kSymbol && (symbol == '+' || symbol == '-'); }
};

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) { next_ = Scan(); }
  Token Next() {
    Token t = next_;
    next_ = Scan();
    return t;
  }
  const Token& Peek() const { return next_; }
  bool SkipSymbol(char c) {
    if (!next_.IsSymbol(c)) return false;
    Next();
    return true;
  }

 private:
  Token Scan() {
    Token t;
    if (pos_ >= s_.size()) return t;
    char c = s_[pos_];
    if (c >= '0' && c <= '9') {
      size_t start = pos_;
      while (pos_ < s_.size() && s_[pos_] == '0') ++pos_;
      int n = 0;
      int significant = 0;
      for (; pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9'; ++pos_) {
        if (significant++ < 9) n = n * 10 + (s_[pos_] - '0');
      }
      t.kind = Token::kNumber;
      t.value = n;
      t.length = static_cast<int>(pos_ - start);
      return t;
    }
    ++pos_;
    if (c == 'T') {
      t.kind = Token::kTimeSeparator;
    } else if (c == 'Z') {
      t.kind = Token::kZ;
    } else {
      t.kind = Token::kSymbol;
      t.symbol = c;
    }
    return t;
  }

  std::string_view s_;
  size_t pos_ = 0;
  Token next_;
};

constexpr int kNone = std::numeric_limits<int>::max();

bool Between(int x, int lo, int hi) { return x >= lo && x <= hi; }
bool IsMonth(int x) { return Between(x, 1, 12); }
bool IsDay(int x) { return Between(x, 1, 31); }
bool IsHour(int x) { return Between(x, 0, 23); }
bool IsMinute(int x) { return Between(x, 0, 59); }
bool IsSecond(int x) { return Between(x, 0, 59); }
bool IsMillisecond(int x) { return Between(x, 0, 999); }

struct DayComposer {
  int comp[3] = {0, 0, 0};
  int index = 0;
  bool iso = false;
  bool Add(int n) {
    if (index >= 3) return false;
    comp[index++] = n;
    return true;
  }
  bool Write(double& year, double& month, double& day) {
    if (index < 1) return false;
    while (index < 3) comp[index++] = 1;
    int y, m, d;
    if (iso || !IsDay(comp[0])) {
      y = comp[0], m = comp[1], d = comp[2];
    } else {
      m = comp[0], d = comp[1], y = comp[2];
    }
    if (!iso) {
      if (Between(y, 0, 49)) {
        y += 2000;
      } else if (Between(y, 50, 99)) {
        y += 1900;
      }
    }
    if (!IsMonth(m) || !IsDay(d)) return false;
    year = y, month = m - 1, day = d;
    return true;
  }
};

struct TimeComposer {
  int comp[4] = {0, 0, 0, 0};
  int index = 0;
  bool IsEmpty() const { return index == 0; }
  bool IsExpecting(int n) const {
    return (index == 1 && IsMinute(n)) || (index == 2 && IsSecond(n)) || (index == 3 && IsMillisecond(n));
  }
  bool Add(int n) {
    if (index >= 4) return false;
    comp[index++] = n;
    return true;
  }
  bool AddFinal(int n) {
    if (!Add(n)) return false;
    while (index < 4) comp[index++] = 0;
    return true;
  }
  bool Write(double* out) {
    while (index < 4) comp[index++] = 0;
    int h = comp[0], m = comp[1], s = comp[2], ms = comp[3];
    if (!IsHour(h) || !IsMinute(m) || !IsSecond(s) || !IsMillisecond(ms)) {
      if (h != 24 || m != 0 || s != 0 || ms != 0) return false;
    }
    out[0] = h, out[1] = m, out[2] = s, out[3] = ms;
    return true;
  }
};

struct ZoneComposer {
  int sign = kNone, hour = kNone, minute = kNone;
  void Set(int offset_hours) {
    sign = offset_hours < 0 ? -1 : 1;
    hour = offset_hours * sign;
    minute = 0;
  }
  bool IsExpecting(int n) const { return hour != kNone && minute == kNone && IsMinute(n); }
  bool IsUtc() const { return hour == 0 && minute == 0; }
  bool IsEmpty() const { return hour == kNone; }
  // Seconds east of UTC; nullopt = local time, which we take as UTC.
  std::optional<double> Offset() {
    if (sign == kNone) return std::nullopt;
    double h = hour == kNone ? 0 : hour;
    double m = minute == kNone ? 0 : minute;
    double total = h * 3600 + m * 60;
    return sign < 0 ? -total : total;
  }
};

int ReadMilliseconds(const Token& t) {
  int number = t.value;
  int length = t.length;
  if (length == 1) {
    number *= 100;
  } else if (length == 2) {
    number *= 10;
  } else if (length > 3) {
    if (length > 9) length = 9;
    int factor = 1;
    do {
      factor *= 10;
      --length;
    } while (length > 3);
    number /= factor;
  }
  return number;
}

// ParseES5DateTime: the token legacy parsing starts from, kInvalid, or kEnd.
Token ParseEs5(Scanner& scanner, DayComposer& day, TimeComposer& time, ZoneComposer& tz) {
  if (!scanner.Peek().IsFixedLengthNumber(4)) return scanner.Next();
  day.Add(scanner.Next().value);
  if (scanner.SkipSymbol('-')) {
    if (!scanner.Peek().IsFixedLengthNumber(2) || !IsMonth(scanner.Peek().value)) return scanner.Next();
    day.Add(scanner.Next().value);
    if (scanner.SkipSymbol('-')) {
      if (!scanner.Peek().IsFixedLengthNumber(2) || !IsDay(scanner.Peek().value)) return scanner.Next();
      day.Add(scanner.Next().value);
    }
  }
  Token invalid;
  invalid.kind = Token::kInvalid;
  if (scanner.Peek().kind != Token::kTimeSeparator) {
    if (scanner.Peek().kind != Token::kEnd) return scanner.Next();
  } else {
    scanner.Next();
    if (!scanner.Peek().IsFixedLengthNumber(2) || !Between(scanner.Peek().value, 0, 24)) return invalid;
    bool hour_is_24 = scanner.Peek().value == 24;
    time.Add(scanner.Next().value);
    if (!scanner.SkipSymbol(':')) return invalid;
    if (!scanner.Peek().IsFixedLengthNumber(2) || !IsMinute(scanner.Peek().value) ||
        (hour_is_24 && scanner.Peek().value > 0)) {
      return invalid;
    }
    time.Add(scanner.Next().value);
    if (scanner.SkipSymbol(':')) {
      if (!scanner.Peek().IsFixedLengthNumber(2) || !IsSecond(scanner.Peek().value) ||
          (hour_is_24 && scanner.Peek().value > 0)) {
        return invalid;
      }
      time.Add(scanner.Next().value);
      if (scanner.SkipSymbol('.')) {
        if (!scanner.Peek().IsNumber() || (hour_is_24 && scanner.Peek().value > 0)) return invalid;
        time.Add(ReadMilliseconds(scanner.Next()));
      }
    }
    if (scanner.Peek().kind == Token::kZ) {
      scanner.Next();
      tz.Set(0);
    } else if (scanner.Peek().IsSign()) {
      tz.sign = scanner.Next().symbol == '+' ? 1 : -1;
      if (scanner.Peek().IsFixedLengthNumber(4)) {
        int hourmin = scanner.Next().value;
        if (!IsHour(hourmin / 100) || !IsMinute(hourmin % 100)) return invalid;
        tz.hour = hourmin / 100;
        tz.minute = hourmin % 100;
      } else {
        if (!scanner.Peek().IsFixedLengthNumber(2) || !IsHour(scanner.Peek().value)) return invalid;
        tz.hour = scanner.Next().value;
        if (!scanner.SkipSymbol(':')) return invalid;
        if (!scanner.Peek().IsFixedLengthNumber(2) || !IsMinute(scanner.Peek().value)) return invalid;
        tz.minute = scanner.Next().value;
      }
    }
    if (scanner.Peek().kind != Token::kEnd) return invalid;
  }
  if (tz.IsEmpty() && time.IsEmpty()) tz.Set(0);
  day.iso = true;
  return Token{};
}

double DateParse(std::string_view text) {
  Scanner scanner(text);
  DayComposer day;
  TimeComposer time;
  ZoneComposer tz;
  Token token = ParseEs5(scanner, day, time, tz);
  if (token.kind == Token::kInvalid) return kNaN;
  bool has_read_number = day.index > 0;
  // The legacy parser, for what the ES5 grammar left over.
  for (; token.kind != Token::kEnd; token = scanner.Next()) {
    if (token.IsNumber()) {
      has_read_number = true;
      int n = token.value;
      if (scanner.SkipSymbol(':')) {
        if (scanner.SkipSymbol(':')) {
          if (!time.IsEmpty()) return kNaN;
          time.Add(n);
          time.Add(0);
        } else {
          if (!time.Add(n)) return kNaN;
          if (scanner.Peek().IsSymbol('.')) scanner.Next();
        }
      } else if (scanner.SkipSymbol('.') && time.IsExpecting(n)) {
        time.Add(n);
        if (!scanner.Peek().IsNumber()) return kNaN;
        int ms = ReadMilliseconds(scanner.Next());
        if (ms < 0) return kNaN;
        time.AddFinal(ms);
      } else if (tz.IsExpecting(n)) {
        tz.minute = n;
      } else if (time.IsExpecting(n)) {
        time.AddFinal(n);
        const Token& peek = scanner.Peek();
        if (peek.kind != Token::kEnd && peek.kind != Token::kZ && !peek.IsSign()) return kNaN;
      } else {
        if (!day.Add(n)) return kNaN;
        scanner.SkipSymbol('-');
      }
    } else if (token.kind == Token::kZ && has_read_number) {
      tz.Set(0);
    } else if (token.kind == Token::kZ || token.kind == Token::kTimeSeparator) {
      // A word that is not a month, zone or am/pm.
      if (has_read_number) return kNaN;
      if (scanner.Peek().IsNumber()) return kNaN;
    } else if (token.IsSign() && (tz.IsUtc() || !time.IsEmpty())) {
      tz.sign = token.symbol == '+' ? 1 : -1;
      int n = 0;
      int length = 0;
      if (scanner.Peek().IsNumber()) {
        Token t = scanner.Next();
        length = t.length;
        n = t.value;
      }
      has_read_number = true;
      if (scanner.Peek().IsSymbol(':')) {
        tz.hour = n;
        tz.minute = kNone;
      } else if (length == 1 || length == 2) {
        tz.hour = n;
        tz.minute = 0;
      } else if (length == 3 || length == 4) {
        tz.hour = n / 100;
        tz.minute = n % 100;
      } else {
        return kNaN;
      }
    } else if (token.IsSign() && has_read_number) {
      return kNaN;
    }
  }
  double out[4];
  double year, month, date;
  if (!day.Write(year, month, date) || !time.Write(out)) return kNaN;
  double t = MakeDate(MakeDay(year, month, date), MakeTime(out[0], out[1], out[2], out[3]));
  std::optional<double> offset = tz.Offset();
  if (offset) t -= *offset * 1000;
  if (!(t >= -kMaxTime && t <= kMaxTime)) return kNaN;
  return TimeClip(t);
}

}  // namespace

double TimeClip(double t) {
  if (!(t >= -kMaxTime && t <= kMaxTime)) return kNaN;
  return ToInteger(t);
}

double DateUtc(double year, double month, double day, double hours, double minutes, double seconds,
               double ms) {
  if (!std::isnan(year)) {
    double y = ToInteger(year);
    if (y >= 0 && y <= 99) year = 1900 + y;
  }
  return TimeClip(MakeDate(MakeDay(year, month, day), MakeTime(hours, minutes, seconds, ms)));
}

DateFields FieldsOf(double t) {
  if (!std::isfinite(t) || std::fabs(t) > kMaxTime) {
    return {kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  }
  double days = std::floor(t / kMillisPerDay);
  double in_day = t - days * kMillisPerDay;
  int64_t y, m, d;
  int64_t z = static_cast<int64_t>(days);
  CivilFromDays(z, y, m, d);
  int64_t weekday = ((z + 4) % 7 + 7) % 7;
  DateFields f;
  f.year = static_cast<double>(y);
  f.month = static_cast<double>(m - 1);
  f.day = static_cast<double>(d);
  f.weekday = static_cast<double>(weekday);
  f.hours = std::floor(in_day / 3600000);
  f.minutes = std::floor(std::fmod(in_day, 3600000) / 60000);
  f.seconds = std::floor(std::fmod(in_day, 60000) / 1000);
  f.millis = std::fmod(in_day, 1000);
  return f;
}

double ParseIso8601(std::string_view text) {
  if (!MatchesIsoPattern(text)) Throw("D3110", -1, {}, Value::String(text));
  return DateParse(text);
}

}  // namespace stepflow::jsonata::datetime
