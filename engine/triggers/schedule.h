// Schedule expressions and their fire times: what a trigger's schedule
// means, as a pure function of the expression, a time zone and a time range.
//
// Expressions are written the way Step Functions users write them for
// EventBridge:
//
//   cron(minutes hours day-of-month month day-of-week year)
//     Six fields separated by spaces, every one required.
//       minutes       0-59               , - * /
//       hours         0-23               , - * /
//       day-of-month  1-31               , - * / ?  L  LW  nW
//       month         1-12 or JAN-DEC    , - * /
//       day-of-week   1-7 or SUN-SAT     , - *   ?  L  nL  n#k
//       year          1970-2199          , - * /
//     Exactly one of day-of-month and day-of-week is '?' (the other one
//     restricts the days). Day-of-week counts 1 = SUN ... 7 = SAT. Names are
//     case-insensitive. "a/n" means a, a+n, a+2n... up to the field's
//     maximum; "a-b/n" stops at b; "*/n" starts at the field's minimum.
//     Ranges run upwards (a <= b). Special days:
//       L    (day-of-month) the last day of the month
//       LW   (day-of-month) the last weekday (Monday-Friday) of the month
//       nW   (day-of-month) the weekday nearest to day n, never leaving the
//            month: a Saturday moves to Friday (to Monday if n is the 1st),
//            a Sunday to Monday (to Friday if n is the month's last day);
//            n beyond the month's length never matches
//       L    (day-of-week) Saturday, the last day of the week
//       nL   (day-of-week) the last weekday n of the month ("6L": last Friday)
//       n#k  (day-of-week) the k-th (1-5) weekday n of the month ("3#2": the
//            second Tuesday); months without a k-th such day are skipped
//     L, LW, nW, nL and n#k stand alone in their field (no lists).
//     Seconds are always 0.
//
//   rate(N unit)
//     N a positive integer; unit minute|minutes|hour|hours|day|days, the
//     singular exactly when N is 1. Fires every N units of elapsed time,
//     counted in UTC from `start` when one is given, else from the Unix epoch
//     (1970-01-01T00:00:00Z): rate(1 day) without a start fires at 00:00 UTC
//     whatever the time zone, and rate(15 minutes) on the quarter hours. A
//     rate is unaffected by daylight-saving time: a day is 86400 seconds.
//
//   at(yyyy-mm-ddThh:mm:ss)
//     Fires once, at that wall-clock time in the schedule's time zone.
//
// Daylight-saving time (cron and at, which name wall-clock times):
//   - A local time that does not exist (a gap: spring forward) fires once at
//     the instant the gap ends, the first valid local time after it. In
//     Europe/Berlin on 2024-03-31 a 02:30 job fires at 03:00 CEST (01:00Z).
//   - A local time that exists twice (a fold: fall back) fires once, at its
//     first occurrence. In Europe/Berlin on 2024-10-27 a 02:30 job fires at
//     02:30 CEST (00:30Z), not again at 02:30 CET.
//   - Occurrences that land on the same instant fire once at that instant:
//     an hourly job's 02:00 in the Berlin gap and its 03:00 both fire at
//     01:00Z, the single firing for both.
//   So no scheduled local time is skipped and no instant fires twice.
//   (EventBridge Scheduler instead drops a time that falls into a gap.)
//
// Bounds: fire times are strictly after `after`, at or after `start`, and
// strictly before `end` (the window is [start, end)). Fire times lie in the
// years 1970-2199, EventBridge's cron years, give or take a day for the time
// zone; rate() stops there too.
//
// Thread-safety: pure functions over values; a Schedule is a value.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/common/status.h"
#include "engine/triggers/timezone.h"

namespace stepflow::triggers {

constexpr int kCronMinYear = 1970;
constexpr int kCronMaxYear = 2199;

// A parsed cron(...) expression: each field as the set of values it allows.
struct CronSchedule {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<13> months;                                // bits 1-12
  std::bitset<kCronMaxYear - kCronMinYear + 1> years;    // bit = year - 1970

  struct DayOfMonth {
    enum class Kind { kAny, kDays, kLast, kLastWeekday, kNearestWeekday } kind = Kind::kAny;
    std::bitset<32> days;  // kDays: bits 1-31
    int day = 0;           // kNearestWeekday: n of "nW"
  } day_of_month;

  struct DayOfWeek {
    enum class Kind { kAny, kDays, kLastInMonth, kNth } kind = Kind::kAny;
    std::bitset<8> days;  // kDays: bits 1-7, 1 = Sunday
    int weekday = 0;      // kLastInMonth, kNth: 1-7, 1 = Sunday
    int nth = 0;          // kNth: 1-5
  } day_of_week;

  // Whether the date is one of the schedule's days (month and year included).
  bool MatchesDay(int year, int month, int day) const;
};

struct RateSchedule {
  int64_t period_seconds = 0;
};

struct AtSchedule {
  LocalTime time;
};

struct Schedule {
  std::string expression;  // as given, surrounding whitespace trimmed
  std::variant<CronSchedule, RateSchedule, AtSchedule> spec;
};

// Parses a schedule expression. Errors are kInvalidArgument with a message
// that names the expression kind and, for cron, the field and what is wrong
// ("cron: day-of-week 'MOX' is not a day name (SUN-SAT) or a number 1-7").
Result<Schedule> ParseSchedule(std::string_view expression);

// Up to `count` fire times (UTC seconds, ascending, no duplicates) strictly
// after `after_utc_seconds`, within [start, end), following the rules above.
// Fewer when the schedule ends (at() already past, a cron whose years are
// over, `end` reached). cron and at are evaluated in `zone`; rate ignores it.
std::vector<int64_t> NextFireTimes(const Schedule& schedule, const TimeZone& zone,
                                   int64_t after_utc_seconds, size_t count,
                                   std::optional<int64_t> start = std::nullopt,
                                   std::optional<int64_t> end = std::nullopt);

// The instant a scheduled wall-clock time fires at in `zone` under the
// daylight-saving rule above: the only instant showing it, the first of two
// in a fold, the end of the gap when it does not exist.
int64_t FireInstant(const TimeZone& zone, const LocalTime& local);

// A deterministic delay in [0, max_seconds] for one occurrence of a trigger,
// spreading triggers that share a schedule. The same name and occurrence
// always give the same delay, in every process and after restarts: 64-bit
// FNV-1a over the name, a NUL byte and the occurrence's decimal UTC seconds,
// finished with a fixed 64-bit mix, modulo max_seconds + 1. 0 when
// max_seconds <= 0.
int64_t Jitter(std::string_view trigger_name, int64_t occurrence_utc, int64_t max_seconds);

}  // namespace stepflow::triggers
