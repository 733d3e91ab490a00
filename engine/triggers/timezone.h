// TimeZone: an IANA time zone ("Europe/Berlin", "America/New_York", "UTC")
// read from the system's tz database, answering the two questions a schedule
// asks: what does the wall clock show at this instant, and which instants
// show this wall-clock time.
//
// Source of truth: the compiled TZif files (RFC 8536, versions 1 to 3) under
// $TZDIR, or /usr/share/zoneinfo when TZDIR is unset (Debian's `tzdata`
// package). The 64-bit section is used when present; instants after the last
// recorded transition follow the file's POSIX TZ footer
// ("CET-1CEST,M3.5.0,M10.5.0/3"), so dates far in the future are answered
// too. Every instant is POSIX time (seconds since 1970-01-01T00:00:00Z, no
// leap seconds); zones with leap-second records ("right/...") are refused.
// Instants before the first transition use the zone's first local time type
// (usually its local mean time).
//
// Everything is pure date arithmetic: no localtime(), no TZ environment
// variable, no process-wide state other than the load cache.
//
// Thread-safety: a loaded TimeZone is immutable and may be used from any
// number of threads. Load() is thread-safe (its cache is guarded by a mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/common/status.h"

namespace stepflow::triggers {

// A wall-clock reading, proleptic Gregorian calendar. month 1-12, day 1-31,
// hour 0-23, minute 0-59, second 0-59; weekday 0 = Sunday ... 6 = Saturday
// (filled in by TimeZone::ToLocal; ignored by TimeZone::FromLocal).
struct LocalTime {
  int year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int weekday = 4;

  // Equal when the six date and time fields are equal (weekday ignored).
  bool operator==(const LocalTime& other) const;
};

// Days since 1970-01-01 of a proleptic Gregorian date (negative before).
int64_t DaysFromCivil(int year, int month, int day);
// The number of days in `month` of `year` (28 to 31).
int DaysInMonth(int year, int month);
// 0 = Sunday ... 6 = Saturday.
int Weekday(int year, int month, int day);
// The wall-clock reading `seconds` after 1970-01-01T00:00:00 with no offset,
// and back. These are the UTC conversions; TimeZone adds its offsets.
LocalTime CivilFromSeconds(int64_t seconds);
int64_t SecondsFromCivil(const LocalTime& local);

class TimeZone {
 public:
  // The zone named `name` (an IANA name such as "Europe/Berlin"), loaded once
  // per process and then shared. "UTC" always works, even without a tz
  // database on the machine. Errors (kInvalidArgument, the message names the
  // zone): an empty name, an absolute path, a name with a ".." component or a
  // character outside [A-Za-z0-9/_+-.], no such file in the database, a file
  // that is not TZif or is truncated or inconsistent, a leap-second zone.
  static Result<std::shared_ptr<const TimeZone>> Load(const std::string& name);

  // A zone with a fixed offset and no transitions (for tests and "UTC").
  static std::shared_ptr<const TimeZone> Fixed(std::string name, int64_t utc_offset_seconds);

  const std::string& name() const { return name_; }

  // Seconds to add to UTC to get local time at `utc_seconds` (+3600 for
  // Berlin in winter, -14400 for New York in summer).
  int64_t OffsetAt(int64_t utc_seconds) const;

  // The wall clock at `utc_seconds`, weekday included.
  LocalTime ToLocal(int64_t utc_seconds) const;

  // Every instant at which the wall clock shows `local` (weekday ignored), in
  // ascending order: none when `local` falls into a gap (clocks jump over it,
  // as in spring), one normally, two when it falls into a fold (clocks turn
  // back and show it twice, as in autumn).
  std::vector<int64_t> FromLocal(const LocalTime& local) const;

  // The first instant strictly after `utc_seconds` at which the UTC offset
  // changes, or nullopt when it never changes again.
  std::optional<int64_t> NextTransition(int64_t utc_seconds) const;

  // The smallest UTC offset the zone ever uses. Lets callers bound searches:
  // an instant showing local time L is never later than L - MinOffset().
  int64_t MinOffset() const { return min_offset_; }

  // Internal representation, public so the loader in timezone.cc can build
  // one; callers use the functions above.
  struct Rule {  // one POSIX TZ rule date ("M3.5.0/2", "J60", "59")
    enum class Kind { kJulian1, kJulian0, kMonthWeekDay } kind = Kind::kMonthWeekDay;
    int day = 0, week = 0, month = 0;  // day: Jn / n / weekday of Mm.w.d
    int64_t time = 7200;               // seconds after local midnight, may be <0 or >24h
  };
  struct PosixTz {  // the footer: std offset [dst offset, start rule, end rule]
    int64_t std_offset = 0;
    bool has_dst = false;
    int64_t dst_offset = 0;
    Rule start, end;
  };
  TimeZone(std::string name, std::vector<int64_t> transitions, std::vector<int64_t> offsets,
           int64_t initial_offset, std::optional<PosixTz> footer);

 private:
  // The offset in effect from each transition on (same length as
  // transitions_); initial_offset_ before the first one.
  struct Change {
    int64_t at;
    int64_t offset;
  };
  // Offset changes of the footer rule in the calendar years around `year`.
  void FooterChanges(int64_t year, std::vector<Change>& out) const;

  std::string name_;
  std::vector<int64_t> transitions_;
  std::vector<int64_t> offsets_;
  int64_t initial_offset_ = 0;
  std::optional<PosixTz> footer_;
  int64_t min_offset_ = 0;
};

}  // namespace stepflow::triggers
