#include "engine/triggers/schedule.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

namespace stepflow::triggers {

namespace {

constexpr int64_t kSecondsPerDay = 86400;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitWhitespace(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t begin = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > begin) out.push_back(s.substr(begin, i - begin));
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t begin = 0;
  while (true) {
    size_t at = s.find(sep, begin);
    out.push_back(s.substr(begin, at == std::string_view::npos ? std::string_view::npos : at - begin));
    if (at == std::string_view::npos) return out;
    begin = at + 1;
  }
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// A whole number of at most 9 digits, nothing else.
std::optional<int> Digits(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// ---- cron fields ----

constexpr std::array<const char*, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 7> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct Field {
  const char* name;
  int min, max;
  bool allow_step;
  const char* const* names = nullptr;  // names[i] is value min + i
  int name_count = 0;
};

constexpr Field kMinutes{"minutes", 0, 59, true};
constexpr Field kHours{"hours", 0, 23, true};
constexpr Field kDayOfMonth{"day-of-month", 1, 31, true};
constexpr Field kMonth{"month", 1, 12, true, kMonthNames.data(), 12};
constexpr Field kDayOfWeek{"day-of-week", 1, 7, false, kDayNames.data(), 7};
constexpr Field kYear{"year", kCronMinYear, kCronMaxYear, true};

Status CronError(const Field& f, const std::string& what) {
  return Status::InvalidArgument(std::string("cron: ") + f.name + " " + what);
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string Range(const Field& f) { return std::to_string(f.min) + "-" + std::to_string(f.max); }

Result<int> Value(const Field& f, std::string_view token) {
  if (std::optional<int> v = Digits(token)) {
    if (*v < f.min || *v > f.max) {
      return CronError(f, Quote(token) + " is out of range " + Range(f));
    }
    return *v;
  }
  if (f.names != nullptr) {
    std::string up = Upper(token);
    for (int i = 0; i < f.name_count; ++i) {
      if (up == f.names[i]) return f.min + i;
    }
    std::string kind = f.names == kMonthNames.data() ? "a month name (JAN-DEC)" : "a day name (SUN-SAT)";
    return CronError(f, Quote(token) + " is not " + kind + " or a number " + Range(f));
  }
  return CronError(f, Quote(token) + " is not a number " + Range(f));
}

// Lists of values, ranges and increments, into bits [min, max] of `out`.
template <size_t N>
Status ParseList(const Field& f, std::string_view text, std::bitset<N>& out, int bit_base) {
  if (text.empty()) return CronError(f, "is empty");
  for (std::string_view item : Split(text, ',')) {
    if (item.empty()) return CronError(f, Quote(text) + " has an empty list item");
    if (item == "?") {
      return CronError(f, "does not allow '?' here (only day-of-month or day-of-week may be '?', "
                          "and alone)");
    }
    int lo = f.min, hi = f.max, step = 1;
    std::string_view base = item;
    size_t slash = item.find('/');
    if (slash != std::string_view::npos) {
      if (!f.allow_step) return CronError(f, Quote(item) + ": increments ('/') are not allowed");
      std::string_view step_text = item.substr(slash + 1);
      std::optional<int> s = Digits(step_text);
      if (!s || *s < 1 || *s > f.max - f.min + 1) {
        return CronError(f, Quote(item) + ": the increment after '/' must be a number 1-" +
                                std::to_string(f.max - f.min + 1));
      }
      step = *s;
      base = item.substr(0, slash);
    }
    if (base == "*") {
      // the whole field
    } else if (size_t dash = base.find('-'); dash != std::string_view::npos) {
      auto a = Value(f, base.substr(0, dash));
      if (!a.ok()) return a.status();
      auto b = Value(f, base.substr(dash + 1));
      if (!b.ok()) return b.status();
      if (*a > *b) {
        return CronError(f, "range " + Quote(base) + " runs backwards (its start is after its end)");
      }
      lo = *a;
      hi = *b;
    } else {
      auto a = Value(f, base);
      if (!a.ok()) return a.status();
      lo = *a;
      hi = slash == std::string_view::npos ? *a : f.max;  // "a/n": from a to the maximum
    }
    for (int v = lo; v <= hi; v += step) out.set(static_cast<size_t>(v - bit_base));
  }
  return Status::Ok();
}

Status ParseDayOfMonth(std::string_view text, CronSchedule::DayOfMonth& out) {
  using Kind = CronSchedule::DayOfMonth::Kind;
  const Field& f = kDayOfMonth;
  std::string up = Upper(text);
  if (up == "?") {
    out.kind = Kind::kAny;
  } else if (up == "L") {
    out.kind = Kind::kLast;
  } else if (up == "LW") {
    out.kind = Kind::kLastWeekday;
  } else if (up.size() > 1 && up.back() == 'W' && Digits(up.substr(0, up.size() - 1))) {
    auto day = Value(f, up.substr(0, up.size() - 1));
    if (!day.ok()) return day.status();
    out.kind = Kind::kNearestWeekday;
    out.day = *day;
  } else if (up.find_first_of("LW") != std::string::npos) {
    return CronError(f, Quote(text) + ": 'L' and 'W' stand alone, as 'L', 'LW' or a single day "
                                      "followed by W such as '15W'");
  } else {
    out.kind = Kind::kDays;
    return ParseList(f, text, out.days, 0);
  }
  return Status::Ok();
}

Status ParseDayOfWeek(std::string_view text, CronSchedule::DayOfWeek& out) {
  using Kind = CronSchedule::DayOfWeek::Kind;
  const Field& f = kDayOfWeek;
  std::string up = Upper(text);
  if (up == "?") {
    out.kind = Kind::kAny;
  } else if (up == "L") {  // the last day of the week
    out.kind = Kind::kDays;
    out.days.set(7);
  } else if (size_t hash = up.find('#'); hash != std::string::npos) {
    if (up.find(',') != std::string::npos) {
      return CronError(f, Quote(text) + ": an expression with '#' must be the only one in the field");
    }
    auto day = Value(f, up.substr(0, hash));
    if (!day.ok()) return day.status();
    std::optional<int> nth = Digits(up.substr(hash + 1));
    if (!nth || *nth < 1 || *nth > 5) {
      return CronError(f, Quote(text) + ": the occurrence after '#' must be a number 1-5");
    }
    out.kind = Kind::kNth;
    out.weekday = *day;
    out.nth = *nth;
  } else if (up.find('L') != std::string::npos) {  // no day name contains an L
    if (up.find_first_of(",-/*") != std::string::npos || up.back() != 'L') {
      return CronError(f, Quote(text) + ": 'nL' (last weekday n of the month) stands alone");
    }
    auto day = Value(f, up.substr(0, up.size() - 1));
    if (!day.ok()) return day.status();
    out.kind = Kind::kLastInMonth;
    out.weekday = *day;
  } else {
    out.kind = Kind::kDays;
    return ParseList(f, text, out.days, 0);
  }
  return Status::Ok();
}

Result<Schedule> ParseCron(std::string_view expression, std::string_view body) {
  std::vector<std::string_view> fields = SplitWhitespace(body);
  if (fields.size() != 6) {
    return Status::InvalidArgument(
        "cron: expected 6 fields (minutes hours day-of-month month day-of-week year), got " +
        std::to_string(fields.size()) + " in " + Quote(expression));
  }
  CronSchedule c;
  STEPFLOW_RETURN_IF_ERROR(ParseList(kMinutes, fields[0], c.minutes, 0));
  STEPFLOW_RETURN_IF_ERROR(ParseList(kHours, fields[1], c.hours, 0));
  STEPFLOW_RETURN_IF_ERROR(ParseDayOfMonth(fields[2], c.day_of_month));
  STEPFLOW_RETURN_IF_ERROR(ParseList(kMonth, fields[3], c.months, 0));
  STEPFLOW_RETURN_IF_ERROR(ParseDayOfWeek(fields[4], c.day_of_week));
  STEPFLOW_RETURN_IF_ERROR(ParseList(kYear, fields[5], c.years, kCronMinYear));
  bool dom_any = fields[2] == "?", dow_any = fields[4] == "?";
  if (dom_any && dow_any) {
    return Status::InvalidArgument(
        "cron: day-of-month and day-of-week are both '?'; exactly one of them must be '?' and "
        "the other one chooses the days");
  }
  if (!dom_any && !dow_any) {
    return Status::InvalidArgument("cron: day-of-month " + Quote(fields[2]) + " and day-of-week " +
                                   Quote(fields[4]) +
                                   " are both set; exactly one of them must be '?' (for example "
                                   "cron(0 12 * * ? *) or cron(0 12 ? * MON-FRI *))");
  }
  return Schedule{std::string(expression), c};
}

Result<Schedule> ParseRate(std::string_view expression, std::string_view body) {
  std::vector<std::string_view> parts = SplitWhitespace(body);
  if (parts.size() != 2) {
    return Status::InvalidArgument("rate: expected rate(value unit), for example rate(5 minutes), "
                                   "got " + Quote(expression));
  }
  std::optional<int> value = Digits(parts[0]);
  if (!value || *value < 1) {
    return Status::InvalidArgument("rate: value " + Quote(parts[0]) +
                                   " must be a positive whole number (at most 9 digits)");
  }
  std::string_view unit = parts[1];
  std::string_view singular = unit;
  if (!unit.empty() && unit.back() == 's') singular.remove_suffix(1);
  int64_t unit_seconds = 0;
  if (singular == "minute") {
    unit_seconds = 60;
  } else if (singular == "hour") {
    unit_seconds = 3600;
  } else if (singular == "day") {
    unit_seconds = kSecondsPerDay;
  } else {
    return Status::InvalidArgument("rate: unit " + Quote(unit) +
                                   " must be minute, minutes, hour, hours, day or days");
  }
  bool plural = singular.size() != unit.size();
  if (*value == 1 && plural) {
    return Status::InvalidArgument("rate: unit " + Quote(unit) + " must be singular (" +
                                   Quote(singular) + ") when the value is 1");
  }
  if (*value != 1 && !plural) {
    return Status::InvalidArgument("rate: unit " + Quote(unit) + " must be plural (" +
                                   Quote(std::string(unit) + "s") + ") when the value is " +
                                   std::to_string(*value));
  }
  return Schedule{std::string(expression), RateSchedule{*value * unit_seconds}};
}

Result<Schedule> ParseAt(std::string_view expression, std::string_view body) {
  std::string_view s = Trim(body);
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  bool shaped = s.size() == kShape.size();
  for (size_t i = 0; shaped && i < s.size(); ++i) {
    shaped = kShape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == kShape[i];
  }
  if (!shaped) {
    return Status::InvalidArgument("at: " + Quote(s) +
                                   " is not a date and time of the form yyyy-mm-ddThh:mm:ss");
  }
  auto num = [&](size_t pos, size_t len) { return *Digits(s.substr(pos, len)); };
  LocalTime t;
  t.year = num(0, 4);
  t.month = num(5, 2);
  t.day = num(8, 2);
  t.hour = num(11, 2);
  t.minute = num(14, 2);
  t.second = num(17, 2);
  auto out_of_range = [&](const char* what, int v, const char* range) {
    return Status::InvalidArgument(std::string("at: ") + what + " " + std::to_string(v) +
                                   " is out of range " + range + " in " + Quote(s));
  };
  if (t.year < kCronMinYear || t.year > kCronMaxYear) return out_of_range("year", t.year, "1970-2199");
  if (t.month < 1 || t.month > 12) return out_of_range("month", t.month, "1-12");
  if (t.day < 1 || t.day > DaysInMonth(t.year, t.month)) {
    return Status::InvalidArgument("at: day " + std::to_string(t.day) + " does not exist in " +
                                   std::string(s.substr(0, 7)));
  }
  if (t.hour > 23) return out_of_range("hour", t.hour, "0-23");
  if (t.minute > 59) return out_of_range("minute", t.minute, "0-59");
  if (t.second > 59) return out_of_range("second", t.second, "0-59");
  t.weekday = Weekday(t.year, t.month, t.day);
  return Schedule{std::string(expression), AtSchedule{t}};
}

// The DST rule over local seconds (wall-clock time as if it were UTC).
int64_t FireInstantAt(const TimeZone& zone, int64_t local_seconds) {
  std::vector<int64_t> instants = zone.FromLocal(CivilFromSeconds(local_seconds));
  if (!instants.empty()) return instants.front();  // the only one, or the first of a fold
  // A gap: find the transition T with T + offset_before <= L < T + offset_after.
  int64_t t = local_seconds - 30 * 3600;
  for (int i = 0; i < 16; ++i) {
    std::optional<int64_t> next = zone.NextTransition(t);
    if (!next) break;
    int64_t before = zone.OffsetAt(*next - 1), after = zone.OffsetAt(*next);
    if (*next + before <= local_seconds && local_seconds < *next + after) return *next;
    t = *next;
  }
  return local_seconds - zone.OffsetAt(local_seconds);  // not reached for a consistent zone
}

std::vector<int64_t> CronFireTimes(const CronSchedule& c, const TimeZone& zone, int64_t lower,
                                   size_t count, std::optional<int64_t> end) {
  std::vector<int64_t> out;
  // An instant showing local time L is never later than L - MinOffset(), so
  // local times before lower + MinOffset() cannot fire at or after `lower`.
  const int64_t min_offset = zone.MinOffset();
  // Folds can move a fire time a little before its wall-clock reading; start
  // two days before the local date of `lower` to catch them.
  LocalTime from = CivilFromSeconds(lower + zone.OffsetAt(lower) - 2 * kSecondsPerDay);
  if (from.year < kCronMinYear) from = LocalTime{kCronMinYear, 1, 1, 0, 0, 0, 4};
  for (int y = from.year; y <= kCronMaxYear; ++y) {
    if (!c.years.test(static_cast<size_t>(y - kCronMinYear))) continue;
    for (int m = (y == from.year ? from.month : 1); m <= 12; ++m) {
      if (!c.months.test(static_cast<size_t>(m))) continue;
      int first_day = (y == from.year && m == from.month) ? from.day : 1;
      for (int d = first_day; d <= DaysInMonth(y, m); ++d) {
        if (!c.MatchesDay(y, m, d)) continue;
        int64_t midnight = DaysFromCivil(y, m, d) * kSecondsPerDay;
        if (midnight + kSecondsPerDay - 1 - min_offset < lower) continue;
        for (int h = 0; h < 24; ++h) {
          if (!c.hours.test(static_cast<size_t>(h))) continue;
          for (int mi = 0; mi < 60; ++mi) {
            if (!c.minutes.test(static_cast<size_t>(mi))) continue;
            int64_t local = midnight + h * 3600 + mi * 60;
            if (local - min_offset < lower) continue;
            int64_t fire = FireInstantAt(zone, local);
            // Fire times never decrease as local time increases: a gap maps
            // to its end, a fold to its first pass.
            if (fire < lower || (!out.empty() && fire <= out.back())) continue;
            if (end && fire >= *end) return out;
            out.push_back(fire);
            if (out.size() == count) return out;
          }
        }
      }
    }
  }
  return out;
}

}  // namespace

bool CronSchedule::MatchesDay(int year, int month, int day) const {
  if (year < kCronMinYear || year > kCronMaxYear) return false;
  if (!years.test(static_cast<size_t>(year - kCronMinYear)) || !months.test(static_cast<size_t>(month))) {
    return false;
  }
  const int len = DaysInMonth(year, month);
  const int weekday = Weekday(year, month, day);  // 0 = Sunday
  switch (day_of_month.kind) {
    case DayOfMonth::Kind::kAny:
      break;
    case DayOfMonth::Kind::kDays:
      if (!day_of_month.days.test(static_cast<size_t>(day))) return false;
      break;
    case DayOfMonth::Kind::kLast:
      if (day != len) return false;
      break;
    case DayOfMonth::Kind::kLastWeekday: {
      int last_wd = Weekday(year, month, len);
      int target = last_wd == 6 ? len - 1 : last_wd == 0 ? len - 2 : len;
      if (day != target) return false;
      break;
    }
    case DayOfMonth::Kind::kNearestWeekday: {
      int n = day_of_month.day;
      if (n > len) return false;
      int wd = Weekday(year, month, n);
      int target = n;
      if (wd == 6) target = n > 1 ? n - 1 : n + 2;    // Saturday: Friday, or Monday the 3rd
      if (wd == 0) target = n < len ? n + 1 : n - 2;  // Sunday: Monday, or Friday before
      if (day != target) return false;
      break;
    }
  }
  switch (day_of_week.kind) {
    case DayOfWeek::Kind::kAny:
      break;
    case DayOfWeek::Kind::kDays:
      if (!day_of_week.days.test(static_cast<size_t>(weekday + 1))) return false;
      break;
    case DayOfWeek::Kind::kLastInMonth:
      if (weekday + 1 != day_of_week.weekday || day + 7 <= len) return false;
      break;
    case DayOfWeek::Kind::kNth:
      if (weekday + 1 != day_of_week.weekday || (day - 1) / 7 + 1 != day_of_week.nth) return false;
      break;
  }
  return true;
}

Result<Schedule> ParseSchedule(std::string_view expression) {
  std::string_view e = Trim(expression);
  if (e.empty()) return Status::InvalidArgument("schedule expression is empty");
  for (std::string_view kind : {"cron", "rate", "at"}) {
    if (e.size() > kind.size() + 1 && e.substr(0, kind.size()) == kind && e[kind.size()] == '(' &&
        e.back() == ')') {
      std::string_view body = e.substr(kind.size() + 1, e.size() - kind.size() - 2);
      if (kind == "cron") return ParseCron(e, body);
      if (kind == "rate") return ParseRate(e, body);
      return ParseAt(e, body);
    }
  }
  return Status::InvalidArgument("schedule expression " + Quote(e) +
                                 " must be cron(...), rate(...) or at(...)");
}

int64_t FireInstant(const TimeZone& zone, const LocalTime& local) {
  return FireInstantAt(zone, SecondsFromCivil(local));
}

std::vector<int64_t> NextFireTimes(const Schedule& schedule, const TimeZone& zone,
                                   int64_t after_utc_seconds, size_t count,
                                   std::optional<int64_t> start, std::optional<int64_t> end) {
  if (count == 0 || after_utc_seconds == std::numeric_limits<int64_t>::max()) return {};
  int64_t lower = after_utc_seconds + 1;
  if (start && *start > lower) lower = *start;
  if (end && lower >= *end) return {};

  // Nothing fires after 2199 (cron's and at's last year); stopping there also
  // keeps the arithmetic below far from overflow.
  static const int64_t kLastSecond = SecondsFromCivil(LocalTime{kCronMaxYear + 1, 1, 2, 0, 0, 0, 0});
  static const int64_t kFirstSecond = SecondsFromCivil(LocalTime{kCronMinYear - 1, 12, 30, 0, 0, 0, 0});
  if (lower > kLastSecond) return {};
  lower = std::max(lower, kFirstSecond);

  if (const auto* cron = std::get_if<CronSchedule>(&schedule.spec)) {
    return CronFireTimes(*cron, zone, lower, count, end);
  }
  if (const auto* rate = std::get_if<RateSchedule>(&schedule.spec)) {
    const int64_t p = rate->period_seconds;
    int64_t anchor = start.value_or(0);
    if (anchor > kLastSecond) return {};
    if (anchor < kFirstSecond) {  // an earlier anchor with the same phase, without overflow
      anchor = kFirstSecond + ((anchor - kFirstSecond) % p + p) % p;
    }
    lower = std::max(lower, anchor);
    int64_t t = anchor + (lower - anchor + p - 1) / p * p;  // the first anchor + k*p >= lower
    std::vector<int64_t> out;
    for (; out.size() < count && t <= kLastSecond && (!end || t < *end); t += p) out.push_back(t);
    return out;
  }
  const auto& at = std::get<AtSchedule>(schedule.spec);
  int64_t fire = FireInstant(zone, at.time);
  if (fire < lower || (end && fire >= *end)) return {};
  return {fire};
}

int64_t Jitter(std::string_view trigger_name, int64_t occurrence_utc, int64_t max_seconds) {
  if (max_seconds <= 0) return 0;
  uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bit
  auto feed = [&h](std::string_view bytes) {
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  feed(trigger_name);
  feed(std::string_view("\0", 1));
  feed(std::to_string(occurrence_utc));
  // FNV's low bits mix poorly for small ranges; finish with a 64-bit mixer.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return static_cast<int64_t>(h % (static_cast<uint64_t>(max_seconds) + 1));
}

}  // namespace stepflow::triggers
