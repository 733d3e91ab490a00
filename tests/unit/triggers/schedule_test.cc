// Schedules: cron/rate/at parsing as EventBridge writes them, fire times in
// a time zone, the daylight-saving rule, start/end, jitter. Every expected
// instant is written in UTC and derived in a comment from the local time and
// the zone's offset (Berlin: CET +1, CEST +2, 2024 gap 2024-03-31 02:00-03:00
// at 01:00Z, fold 2024-10-27 02:00-03:00 twice from 01:00Z; New York: EST -5,
// EDT -4, gap 2024-03-10 02:00-03:00 at 07:00Z, fold 2024-11-03 01:00-02:00
// twice from 06:00Z).
#include "engine/triggers/schedule.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "tests/unit/triggers/triggers_test_util.h"

namespace stepflow::triggers {
namespace {

using tz_testing::Z;

std::vector<int64_t> Zs(const std::vector<std::string>& isos) {
  std::vector<int64_t> out;
  for (const auto& iso : isos) out.push_back(Z(iso));
  return out;
}

std::shared_ptr<const TimeZone> Zone(const std::string& name) {
  auto zone = TimeZone::Load(name);
  INFO("needs the system tz database (Debian package tzdata): " << zone.status().ToString());
  REQUIRE(zone.ok());
  return *zone;
}

std::vector<int64_t> Fires(const std::string& expression, const std::string& zone,
                           const std::string& after, size_t count,
                           std::optional<int64_t> start = std::nullopt,
                           std::optional<int64_t> end = std::nullopt) {
  auto schedule = ParseSchedule(expression);
  INFO(expression << ": " << schedule.status().ToString());
  REQUIRE(schedule.ok());
  return NextFireTimes(*schedule, *Zone(zone), Z(after), count, start, end);
}

// ---- cron: days of the month ----

TEST_CASE("cron L fires on the last day of each month and February in leap and common years",
          "[schedule][cron]") {
  CHECK(Fires("cron(0 0 L * ? *)", "UTC", "2024-01-15T00:00:00", 4) ==
        Zs({"2024-01-31T00:00:00", "2024-02-29T00:00:00", "2024-03-31T00:00:00",
            "2024-04-30T00:00:00"}));
  CHECK(Fires("cron(0 0 L * ? *)", "UTC", "2023-02-01T00:00:00", 2) ==
        Zs({"2023-02-28T00:00:00", "2023-03-31T00:00:00"}));
  // 2100 is divisible by 100 and not by 400: not a leap year.
  CHECK(Fires("cron(0 0 L 2 ? *)", "UTC", "2099-12-01T00:00:00", 2) ==
        Zs({"2100-02-28T00:00:00", "2101-02-28T00:00:00"}));
  // February 29 exists only in leap years.
  CHECK(Fires("cron(30 6 29 2 ? *)", "UTC", "2021-01-01T00:00:00", 3) ==
        Zs({"2024-02-29T06:30:00", "2028-02-29T06:30:00", "2032-02-29T06:30:00"}));
}

TEST_CASE("cron days that never exist give no fire times and return quickly", "[schedule][cron]") {
  auto begin = std::chrono::steady_clock::now();
  CHECK(Fires("cron(0 0 30 2 ? *)", "UTC", "2024-01-01T00:00:00", 10).empty());
  CHECK(Fires("cron(0 0 31 4,6,9,11 ? *)", "Europe/Berlin", "2024-01-01T00:00:00", 10).empty());
  CHECK(std::chrono::steady_clock::now() - begin < std::chrono::seconds(2));
}

TEST_CASE("cron W fires on the nearest weekday without leaving the month", "[schedule][cron]") {
  // 1W in 2024: June 1 is a Saturday -> Monday June 3 (not Friday May 31);
  // July 1 Monday; August 1 Thursday; September 1 Sunday -> Monday the 2nd.
  CHECK(Fires("cron(0 9 1W * ? 2024)", "UTC", "2024-05-15T00:00:00", 5) ==
        Zs({"2024-06-03T09:00:00", "2024-07-01T09:00:00", "2024-08-01T09:00:00",
            "2024-09-02T09:00:00", "2024-10-01T09:00:00"}));
  // 15W: June 15 Saturday -> Friday 14th; September 15 Sunday -> Monday 16th.
  CHECK(Fires("cron(0 9 15W * ? 2024)", "UTC", "2024-05-31T00:00:00", 4) ==
        Zs({"2024-06-14T09:00:00", "2024-07-15T09:00:00", "2024-08-15T09:00:00",
            "2024-09-16T09:00:00"}));
  // 31W: only months with a 31st; March 31 is a Sunday and may not move to
  // April 1, so Friday the 29th; August 31 Saturday -> Friday the 30th.
  CHECK(Fires("cron(0 9 31W * ? 2024)", "UTC", "2024-01-01T00:00:00", 5) ==
        Zs({"2024-01-31T09:00:00", "2024-03-29T09:00:00", "2024-05-31T09:00:00",
            "2024-07-31T09:00:00", "2024-08-30T09:00:00"}));
  // 30W in June 2024: the 30th is a Sunday and the month's last day -> Friday 28th.
  CHECK(Fires("cron(0 9 30W 6 ? 2024)", "UTC", "2024-01-01T00:00:00", 5) ==
        Zs({"2024-06-28T09:00:00"}));
  // LW, the last weekday: Feb 29 Thursday; Mar 31 Sunday -> 29th; Apr 30
  // Tuesday; May 31 Friday; Jun 30 Sunday -> 28th; Jul 31 Wednesday; Aug 31
  // Saturday -> 30th.
  CHECK(Fires("cron(0 18 LW * ? 2024)", "UTC", "2024-02-01T00:00:00", 7) ==
        Zs({"2024-02-29T18:00:00", "2024-03-29T18:00:00", "2024-04-30T18:00:00",
            "2024-05-31T18:00:00", "2024-06-28T18:00:00", "2024-07-31T18:00:00",
            "2024-08-30T18:00:00"}));
}

// ---- cron: days of the week ----

TEST_CASE("cron day-of-week counts 1 = Sunday and accepts names in any case", "[schedule][cron]") {
  // 2024-01-01 is a Monday.
  CHECK(Fires("cron(0 0 ? * 1 *)", "UTC", "2024-01-01T00:00:00", 1) ==
        Zs({"2024-01-07T00:00:00"}));
  CHECK(Fires("cron(0 0 ? * sun,7 *)", "UTC", "2024-01-01T00:00:00", 2) ==
        Zs({"2024-01-06T00:00:00", "2024-01-07T00:00:00"}));
  // L alone is the last day of the week, Saturday.
  CHECK(Fires("cron(0 0 ? * L *)", "UTC", "2024-01-01T00:00:00", 2) ==
        Zs({"2024-01-06T00:00:00", "2024-01-13T00:00:00"}));
}

TEST_CASE("cron nL fires on the last such weekday of the month", "[schedule][cron]") {
  // Last Fridays of 2024: Jan 26, Feb 23, Mar 29, Apr 26.
  CHECK(Fires("cron(15 10 ? * 6L *)", "UTC", "2024-01-01T00:00:00", 4) ==
        Zs({"2024-01-26T10:15:00", "2024-02-23T10:15:00", "2024-03-29T10:15:00",
            "2024-04-26T10:15:00"}));
  auto year = Fires("cron(15 10 ? * FRIL 2024)", "UTC", "2024-01-01T00:00:00", 20);
  CHECK(year.size() == 12);
  CHECK(year.back() == Z("2024-12-27T10:15:00"));
}

TEST_CASE("cron n#k fires on the k-th weekday and skips months without one", "[schedule][cron]") {
  // Second Tuesdays (3 = TUE): Jan 9, Feb 13, Mar 12 2024.
  CHECK(Fires("cron(0 0 ? * 3#2 *)", "UTC", "2024-01-01T00:00:00", 3) ==
        Zs({"2024-01-09T00:00:00", "2024-02-13T00:00:00", "2024-03-12T00:00:00"}));
  // Fifth Fridays exist in 2024 only in March (29), May (31), August (30) and
  // November (29); then the year range is over.
  CHECK(Fires("cron(0 0 ? * 6#5 2024)", "UTC", "2024-01-01T00:00:00", 10) ==
        Zs({"2024-03-29T00:00:00", "2024-05-31T00:00:00", "2024-08-30T00:00:00",
            "2024-11-29T00:00:00"}));
  CHECK(Fires("cron(0 0 ? * FRI#5 2024)", "UTC", "2024-01-01T00:00:00", 10).size() == 4);
}

// ---- cron: lists, ranges, increments, years ----

TEST_CASE("cron lists and ranges and increments combine", "[schedule][cron]") {
  // Minutes 5,25,45; hours 8,9,14; Monday-Wednesday and Friday.
  CHECK(Fires("cron(5/20 8-9,14 ? * MON-WED,FRI *)", "UTC", "2024-01-01T00:00:00", 10) ==
        Zs({"2024-01-01T08:05:00", "2024-01-01T08:25:00", "2024-01-01T08:45:00",
            "2024-01-01T09:05:00", "2024-01-01T09:25:00", "2024-01-01T09:45:00",
            "2024-01-01T14:05:00", "2024-01-01T14:25:00", "2024-01-01T14:45:00",
            "2024-01-02T08:05:00"}));
  // Thursday 2024-01-04 is not in the set: the next one is Friday.
  CHECK(Fires("cron(5/20 8-9,14 ? * MON-WED,FRI *)", "UTC", "2024-01-04T00:00:00", 1) ==
        Zs({"2024-01-05T08:05:00"}));
  // 10-40/15 = 10,25,40; JAN-MAR/2 = January and March.
  CHECK(Fires("cron(10-40/15 0 1 JAN-MAR/2 ? 2025)", "UTC", "2024-06-01T00:00:00", 10) ==
        Zs({"2025-01-01T00:10:00", "2025-01-01T00:25:00", "2025-01-01T00:40:00",
            "2025-03-01T00:10:00", "2025-03-01T00:25:00", "2025-03-01T00:40:00"}));
  // */30 on the hours: 0, 30 minutes of hours 0,6,12,18 (*/6).
  CHECK(Fires("cron(*/30 */6 * * ? *)", "UTC", "2024-01-01T05:00:00", 3) ==
        Zs({"2024-01-01T06:00:00", "2024-01-01T06:30:00", "2024-01-01T12:00:00"}));
}

TEST_CASE("cron year ranges end and the schedule stops", "[schedule][cron]") {
  CHECK(Fires("cron(0 0 1 1 ? 2024-2026)", "UTC", "2020-01-01T00:00:00", 5) ==
        Zs({"2024-01-01T00:00:00", "2025-01-01T00:00:00", "2026-01-01T00:00:00"}));
  CHECK(Fires("cron(0 0 1 1 ? 2024-2026)", "UTC", "2026-01-01T00:00:00", 5).empty());
  CHECK(Fires("cron(0 0 1 1 ? 2199)", "UTC", "2198-06-01T00:00:00", 5) ==
        Zs({"2199-01-01T00:00:00"}));
  CHECK(Fires("cron(0 0 * * ? *)", "UTC", "2199-12-31T00:00:00", 5).empty());  // past 2199
  // 2024/2: every second year from 2024.
  CHECK(Fires("cron(0 12 1 1 ? 2024/2)", "UTC", "2024-01-01T12:00:00", 2) ==
        Zs({"2026-01-01T12:00:00", "2028-01-01T12:00:00"}));
}

TEST_CASE("cron fire times are strictly after the given instant", "[schedule][cron]") {
  CHECK(Fires("cron(0 12 * * ? *)", "UTC", "2024-01-01T12:00:00", 1) ==
        Zs({"2024-01-02T12:00:00"}));
  CHECK(Fires("cron(0 12 * * ? *)", "UTC", "2024-01-01T11:59:59", 1) ==
        Zs({"2024-01-01T12:00:00"}));
  CHECK(Fires("cron(0 12 * * ? *)", "UTC", "2024-01-01T00:00:00", 0).empty());
  // Before the epoch: the first fire time is in 1970.
  CHECK(Fires("cron(0 0 1 1 ? *)", "UTC", "1960-01-01T00:00:00", 1) == std::vector<int64_t>{0});
}

TEST_CASE("cron every minute finds the next ten quickly", "[schedule][cron]") {
  auto berlin = Zone("Europe/Berlin");
  auto schedule = ParseSchedule("cron(* * * * ? *)");
  REQUIRE(schedule.ok());
  auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) {
    auto fires = NextFireTimes(*schedule, *berlin, Z("2024-07-01T10:00:30") + i * 60, 10);
    REQUIRE(fires.size() == 10);
    CHECK(fires.front() == Z("2024-07-01T10:01:00") + i * 60);
    CHECK(fires.back() == Z("2024-07-01T10:10:00") + i * 60);
  }
  CHECK(std::chrono::steady_clock::now() - begin < std::chrono::seconds(5));
}

// ---- daylight-saving time ----

TEST_CASE("Berlin daily 02:30 across the spring gap fires at the gap's end", "[schedule][dst]") {
  // Mar 30 02:30 CET = 01:30Z. Mar 31 02:30 does not exist: 03:00 CEST =
  // 01:00Z. Apr 1 02:30 CEST = 00:30Z.
  CHECK(Fires("cron(30 2 * * ? *)", "Europe/Berlin", "2024-03-29T12:00:00", 3) ==
        Zs({"2024-03-30T01:30:00", "2024-03-31T01:00:00", "2024-04-01T00:30:00"}));
  // Restarting just before and just after the gap's firing: once, not twice.
  CHECK(Fires("cron(30 2 * * ? *)", "Europe/Berlin", "2024-03-31T00:59:59", 1) ==
        Zs({"2024-03-31T01:00:00"}));
  CHECK(Fires("cron(30 2 * * ? *)", "Europe/Berlin", "2024-03-31T01:00:00", 1) ==
        Zs({"2024-04-01T00:30:00"}));
}

TEST_CASE("Berlin daily 02:30 across the autumn fold fires once at the first pass",
          "[schedule][dst]") {
  // Oct 26 02:30 CEST = 00:30Z. Oct 27 02:30 shows at 00:30Z (CEST) and
  // 01:30Z (CET): only 00:30Z. Oct 28 02:30 CET = 01:30Z.
  CHECK(Fires("cron(30 2 * * ? *)", "Europe/Berlin", "2024-10-25T12:00:00", 3) ==
        Zs({"2024-10-26T00:30:00", "2024-10-27T00:30:00", "2024-10-28T01:30:00"}));
  // Asked between the two passes (a restart at 02:45 CEST = 00:45Z): the
  // second pass is not a new occurrence.
  CHECK(Fires("cron(30 2 * * ? *)", "Europe/Berlin", "2024-10-27T00:45:00", 1) ==
        Zs({"2024-10-28T01:30:00"}));
  CHECK(Fires("cron(0/30 2 * * ? *)", "Europe/Berlin", "2024-10-26T23:00:00", 3) ==
        Zs({"2024-10-27T00:00:00", "2024-10-27T00:30:00", "2024-10-28T01:00:00"}));
}

TEST_CASE("Berlin hourly across both transitions", "[schedule][dst]") {
  // Spring night: 00:00 CET = 23:00Z, 01:00 CET = 00:00Z, 02:00 (gap) and
  // 03:00 CEST both at 01:00Z (one firing), 04:00 CEST = 02:00Z.
  CHECK(Fires("cron(0 * * * ? *)", "Europe/Berlin", "2024-03-30T22:30:00", 4) ==
        Zs({"2024-03-30T23:00:00", "2024-03-31T00:00:00", "2024-03-31T01:00:00",
            "2024-03-31T02:00:00"}));
  // Autumn night: 00:00 CEST = 22:00Z, 01:00 CEST = 23:00Z, 02:00 CEST =
  // 00:00Z (the second 02:00, CET at 01:00Z, is not repeated), 03:00 CET = 02:00Z.
  CHECK(Fires("cron(0 * * * ? *)", "Europe/Berlin", "2024-10-26T21:30:00", 4) ==
        Zs({"2024-10-26T22:00:00", "2024-10-26T23:00:00", "2024-10-27T00:00:00",
            "2024-10-27T02:00:00"}));
  // Every 15 minutes in the gap: 02:00, 02:15, 02:30, 02:45 and 03:00 all
  // fire once at 01:00Z; 03:15 CEST = 01:15Z.
  CHECK(Fires("cron(0/15 * * * ? *)", "Europe/Berlin", "2024-03-31T00:50:00", 3) ==
        Zs({"2024-03-31T01:00:00", "2024-03-31T01:15:00", "2024-03-31T01:30:00"}));
  // Every minute: 01:59 CET = 00:59Z, then the gap, 03:00 CEST = 01:00Z.
  CHECK(Fires("cron(* * * * ? *)", "Europe/Berlin", "2024-03-31T00:58:30", 4) ==
        Zs({"2024-03-31T00:59:00", "2024-03-31T01:00:00", "2024-03-31T01:01:00",
            "2024-03-31T01:02:00"}));
}

TEST_CASE("New York daily jobs across both transitions", "[schedule][dst]") {
  // Mar 9 02:30 EST = 07:30Z; Mar 10 02:30 does not exist -> 03:00 EDT =
  // 07:00Z; Mar 11 02:30 EDT = 06:30Z.
  CHECK(Fires("cron(30 2 * * ? *)", "America/New_York", "2024-03-08T12:00:00", 3) ==
        Zs({"2024-03-09T07:30:00", "2024-03-10T07:00:00", "2024-03-11T06:30:00"}));
  // 02:30 on Nov 3 exists once (EST) = 07:30Z.
  CHECK(Fires("cron(30 2 * * ? *)", "America/New_York", "2024-11-02T12:00:00", 2) ==
        Zs({"2024-11-03T07:30:00", "2024-11-04T07:30:00"}));
  // 01:30: Nov 2 EDT = 05:30Z; Nov 3 first pass EDT = 05:30Z (not 06:30Z EST);
  // Nov 4 EST = 06:30Z.
  CHECK(Fires("cron(30 1 * * ? *)", "America/New_York", "2024-11-01T12:00:00", 3) ==
        Zs({"2024-11-02T05:30:00", "2024-11-03T05:30:00", "2024-11-04T06:30:00"}));
}

TEST_CASE("New York hourly across both transitions", "[schedule][dst]") {
  // 01:00 EST = 06:00Z; 02:00 (gap) and 03:00 EDT at 07:00Z; 04:00 EDT = 08:00Z.
  CHECK(Fires("cron(0 * * * ? *)", "America/New_York", "2024-03-10T05:30:00", 3) ==
        Zs({"2024-03-10T06:00:00", "2024-03-10T07:00:00", "2024-03-10T08:00:00"}));
  // 00:00 EDT = 04:00Z, 01:00 EDT = 05:00Z (01:00 EST at 06:00Z not
  // repeated), 02:00 EST = 07:00Z, 03:00 EST = 08:00Z.
  CHECK(Fires("cron(0 * * * ? *)", "America/New_York", "2024-11-03T03:30:00", 4) ==
        Zs({"2024-11-03T04:00:00", "2024-11-03T05:00:00", "2024-11-03T07:00:00",
            "2024-11-03T08:00:00"}));
}

TEST_CASE("the next ten fire times of a weekly job show the DST effect", "[schedule][dst]") {
  // Sundays 02:30 Berlin: Mar 24 CET = 01:30Z, Mar 31 gap -> 01:00Z, then
  // CEST = 00:30Z.
  CHECK(Fires("cron(30 2 ? * SUN *)", "Europe/Berlin", "2024-03-20T00:00:00", 10) ==
        Zs({"2024-03-24T01:30:00", "2024-03-31T01:00:00", "2024-04-07T00:30:00",
            "2024-04-14T00:30:00", "2024-04-21T00:30:00", "2024-04-28T00:30:00",
            "2024-05-05T00:30:00", "2024-05-12T00:30:00", "2024-05-19T00:30:00",
            "2024-05-26T00:30:00"}));
}

TEST_CASE("FireInstant applies the DST rule to one local time", "[schedule][dst]") {
  auto berlin = Zone("Europe/Berlin");
  LocalTime gap{2024, 3, 31, 2, 30, 0, 0};
  LocalTime fold{2024, 10, 27, 2, 30, 0, 0};
  LocalTime plain{2024, 7, 1, 9, 0, 0, 1};
  CHECK(FireInstant(*berlin, gap) == Z("2024-03-31T01:00:00"));
  CHECK(FireInstant(*berlin, fold) == Z("2024-10-27T00:30:00"));
  CHECK(FireInstant(*berlin, plain) == Z("2024-07-01T07:00:00"));
  // Far past the transition table: the footer's 2100 gap (2100-03-28 01:00Z).
  LocalTime gap2100{2100, 3, 28, 2, 30, 0, 0};
  CHECK(FireInstant(*berlin, gap2100) == Z("2100-03-28T01:00:00"));
}

// ---- rate ----

TEST_CASE("rate counts elapsed time and ignores DST", "[schedule][rate]") {
  // Hourly in Berlin across the spring gap: every 3600 s in UTC.
  CHECK(Fires("rate(1 hour)", "Europe/Berlin", "2024-03-30T23:30:00", 4) ==
        Zs({"2024-03-31T00:00:00", "2024-03-31T01:00:00", "2024-03-31T02:00:00",
            "2024-03-31T03:00:00"}));
  // Without a start a day counts from the epoch: 00:00 UTC, whatever the zone.
  CHECK(Fires("rate(1 day)", "Europe/Berlin", "2024-03-30T12:00:00", 3) ==
        Zs({"2024-03-31T00:00:00", "2024-04-01T00:00:00", "2024-04-02T00:00:00"}));
  // From a start at 02:30 CET (01:30Z): 24 h later is 03:30 CEST, still 01:30Z.
  int64_t start = Z("2024-03-30T01:30:00");
  CHECK(Fires("rate(1 day)", "Europe/Berlin", "2024-03-30T01:29:59", 3, start) ==
        Zs({"2024-03-30T01:30:00", "2024-03-31T01:30:00", "2024-04-01T01:30:00"}));
  CHECK(Fires("rate(5 minutes)", "UTC", "2024-01-01T00:02:00", 2) ==
        Zs({"2024-01-01T00:05:00", "2024-01-01T00:10:00"}));
  CHECK(Fires("rate(2 days)", "UTC", "2024-01-01T00:00:00", 1) ==  // 19723 days: odd
        Zs({"2024-01-02T00:00:00"}));
}

TEST_CASE("rate counts from start and stops before end", "[schedule][rate]") {
  int64_t start = Z("2024-05-01T10:07:00");
  CHECK(Fires("rate(15 minutes)", "UTC", "2024-05-01T10:30:00", 3, start) ==
        Zs({"2024-05-01T10:37:00", "2024-05-01T10:52:00", "2024-05-01T11:07:00"}));
  CHECK(Fires("rate(15 minutes)", "UTC", "2024-05-01T10:30:00", 3, start,
              Z("2024-05-01T11:07:00")) ==
        Zs({"2024-05-01T10:37:00", "2024-05-01T10:52:00"}));
  // Extreme inputs stay in range instead of overflowing.
  auto rate = ParseSchedule("rate(7 days)");
  REQUIRE(rate.ok());
  auto utc = Zone("UTC");
  CHECK(NextFireTimes(*rate, *utc, std::numeric_limits<int64_t>::max() - 1, 3).empty());
  CHECK(NextFireTimes(*rate, *utc, Z("2199-12-20T00:00:00"), 10, std::nullopt, std::nullopt)
            .size() <= 2);
  // A start far in the past keeps its phase: 1 week = 604800 s; the epoch
  // is a multiple of it counted from such a start at -604800 * 1000.
  CHECK(NextFireTimes(*rate, *utc, -1, 1, -604800LL * 1000) == std::vector<int64_t>{0});
  CHECK(NextFireTimes(*rate, *utc, Z("2024-01-01T00:00:00"), 1,
                      std::numeric_limits<int64_t>::min())
            .size() == 1);
  auto cron = ParseSchedule("cron(0 0 * * ? *)");
  REQUIRE(cron.ok());
  CHECK(NextFireTimes(*cron, *utc, std::numeric_limits<int64_t>::min(), 1) ==
        std::vector<int64_t>{0});
  CHECK(NextFireTimes(*cron, *utc, std::numeric_limits<int64_t>::max() / 2, 1).empty());
  // Asked long before the start: the first fire time is the start itself.
  CHECK(Fires("rate(15 minutes)", "UTC", "2020-01-01T00:00:00", 1, start) ==
        std::vector<int64_t>{start});
}

// ---- at ----

TEST_CASE("at fires once at a wall-clock time in the zone", "[schedule][at]") {
  CHECK(Fires("at(2024-07-01T09:00:00)", "Europe/Berlin", "2024-01-01T00:00:00", 10) ==
        Zs({"2024-07-01T07:00:00"}));  // CEST +2
  CHECK(Fires("at(2024-07-01T09:00:00)", "America/New_York", "2024-01-01T00:00:00", 10) ==
        Zs({"2024-07-01T13:00:00"}));  // EDT -4
  CHECK(Fires("at(2024-07-01T09:00:00)", "UTC", "2024-01-01T00:00:00", 10) ==
        Zs({"2024-07-01T09:00:00"}));
  CHECK(Fires("at(2024-07-01T09:00:00)", "UTC", "2024-07-01T08:59:59", 1) ==
        Zs({"2024-07-01T09:00:00"}));
  CHECK(Fires("at(2024-07-01T09:00:00)", "UTC", "2024-07-01T09:00:00", 1).empty());
  // In the gap: the gap's end. In the fold: the first pass (01:30 EDT).
  CHECK(Fires("at(2024-03-31T02:30:00)", "Europe/Berlin", "2024-01-01T00:00:00", 1) ==
        Zs({"2024-03-31T01:00:00"}));
  CHECK(Fires("at(2024-11-03T01:30:00)", "America/New_York", "2024-01-01T00:00:00", 1) ==
        Zs({"2024-11-03T05:30:00"}));
  // Outside [start, end): nothing.
  CHECK(Fires("at(2024-07-01T09:00:00)", "UTC", "2024-01-01T00:00:00", 1,
              Z("2024-07-02T00:00:00"))
            .empty());
  CHECK(Fires("at(2024-07-01T09:00:00)", "UTC", "2024-01-01T00:00:00", 1, std::nullopt,
              Z("2024-07-01T09:00:00"))
            .empty());
}

// ---- start and end ----

TEST_CASE("start is inclusive and end exclusive", "[schedule][bounds]") {
  CHECK(Fires("cron(0 12 * * ? *)", "UTC", "2024-01-01T00:00:00", 10, Z("2024-01-03T12:00:00"),
              Z("2024-01-06T12:00:00")) ==
        Zs({"2024-01-03T12:00:00", "2024-01-04T12:00:00", "2024-01-05T12:00:00"}));
  // A start already past changes nothing; an end at or before `after` leaves nothing.
  CHECK(Fires("cron(0 12 * * ? *)", "UTC", "2024-01-01T00:00:00", 1, Z("2023-01-01T00:00:00")) ==
        Zs({"2024-01-01T12:00:00"}));
  CHECK(Fires("cron(0 12 * * ? *)", "UTC", "2024-01-01T00:00:00", 5, std::nullopt,
              Z("2024-01-01T00:00:00"))
            .empty());
  // A start inside the Berlin gap: the gap's firing (01:00Z) is at the start.
  CHECK(Fires("cron(30 2 * * ? *)", "Europe/Berlin", "2024-03-01T00:00:00", 1,
              Z("2024-03-31T01:00:00")) == Zs({"2024-03-31T01:00:00"}));
}

// ---- jitter ----

TEST_CASE("jitter is deterministic and pinned across processes", "[schedule][jitter]") {
  // Values of FNV-1a("nightly-etl\0" + decimal seconds) with the 64-bit mix,
  // modulo max + 1; a change here changes every deployed trigger's timing.
  CHECK(Jitter("nightly-etl", 1711846800, 300) == 189);
  CHECK(Jitter("nightly-etl", 1711933200, 300) == 176);
  CHECK(Jitter("other", 1711846800, 300) == 38);
  CHECK(Jitter("nightly-etl", 1711846800, 3600) == 478);
  CHECK(Jitter("nightly-etl", 1711846800, 300) == Jitter("nightly-etl", 1711846800, 300));
  CHECK(Jitter("nightly-etl", 1711846800, 0) == 0);
  CHECK(Jitter("nightly-etl", 1711846800, -5) == 0);
}

TEST_CASE("jitter stays within 0 to max and spreads over the range", "[schedule][jitter]") {
  std::set<int64_t> seen;
  int64_t lo = 1 << 30, hi = -1;
  for (int i = 0; i < 2000; ++i) {
    int64_t j = Jitter("every-minute", Z("2024-01-01T00:00:00") + i * 60, 300);
    REQUIRE(j >= 0);
    REQUIRE(j <= 300);
    lo = std::min(lo, j);
    hi = std::max(hi, j);
    seen.insert(j);
  }
  CHECK(lo <= 10);
  CHECK(hi >= 290);
  CHECK(seen.size() > 250);
  std::set<int64_t> bits;
  for (int i = 0; i < 64; ++i) bits.insert(Jitter("coin", i, 1));
  CHECK(bits == std::set<int64_t>{0, 1});
}

// ---- bad input ----

TEST_CASE("bad expressions are rejected naming the field and the problem", "[schedule][errors]") {
  struct Case {
    const char* expression;
    std::vector<const char*> mentions;
  };
  std::vector<Case> cases = {
      {"", {"empty"}},
      {"every 5 minutes", {"cron(...), rate(...) or at(...)"}},
      {"CRON(0 12 * * ? *)", {"cron(...)"}},
      {"cron(0 12 * * ?)", {"expected 6 fields", "got 5"}},
      {"cron(0 12 * * ? * *)", {"expected 6 fields", "got 7"}},
      {"cron(60 12 * * ? *)", {"minutes", "'60'", "0-59"}},
      {"cron(0 24 * * ? *)", {"hours", "'24'", "0-23"}},
      {"cron(0 12 32 * ? *)", {"day-of-month", "'32'", "1-31"}},
      {"cron(0 12 0 * ? *)", {"day-of-month", "'0'"}},
      {"cron(0 12 * FOO ? *)", {"month", "'FOO'", "month name"}},
      {"cron(0 12 * 13 ? *)", {"month", "'13'", "1-12"}},
      {"cron(0 12 ? * MOX *)", {"day-of-week", "'MOX'", "is not a day name"}},
      {"cron(0 12 ? * 0 *)", {"day-of-week", "'0'", "1-7"}},
      {"cron(0 12 ? * 8 *)", {"day-of-week", "'8'"}},
      {"cron(0 12 * * ? 1969)", {"year", "'1969'", "1970-2199"}},
      {"cron(0 12 * * ? 2200)", {"year", "'2200'"}},
      {"cron(0 12 * * MON *)", {"day-of-month", "day-of-week", "exactly one", "'?'"}},
      {"cron(0 12 15 * 2 *)", {"both set"}},
      {"cron(0 12 ? * ? *)", {"both '?'"}},
      {"cron(? 12 * * ? *)", {"minutes", "'?'"}},
      {"cron(0 12 ? * 2/2 *)", {"day-of-week", "increments"}},
      {"cron(0/0 12 * * ? *)", {"minutes", "increment", "1-60"}},
      {"cron(0 22-2 * * ? *)", {"hours", "'22-2'", "backwards"}},
      {"cron(0 12 ? * 3#6 *)", {"day-of-week", "'3#6'", "1-5"}},
      {"cron(0 12 ? * 3#2,4 *)", {"day-of-week", "only one"}},
      {"cron(0 12 ? * 9#2 *)", {"day-of-week", "'9'"}},
      {"cron(0 12 ? * 6L,2 *)", {"day-of-week", "stands alone"}},
      {"cron(0 12 L,15 * ? *)", {"day-of-month", "stand alone"}},
      {"cron(0 12 32W * ? *)", {"day-of-month", "'32'"}},
      {"cron(0 12 1,,2 * ? *)", {"day-of-month", "empty list item"}},
      {"cron(0 x * * ? *)", {"hours", "'x'", "not a number"}},
      {"rate(0 minutes)", {"rate", "value", "'0'", "positive"}},
      {"rate(-5 minutes)", {"rate", "value", "'-5'"}},
      {"rate(1.5 hours)", {"rate", "value", "'1.5'"}},
      {"rate(1 minutes)", {"rate", "unit", "'minutes'", "singular"}},
      {"rate(5 minute)", {"rate", "unit", "'minute'", "plural", "'minutes'"}},
      {"rate(5 weeks)", {"rate", "unit", "'weeks'"}},
      {"rate(5)", {"rate", "rate(value unit)"}},
      {"at(2024-02-30T10:00:00)", {"at", "day 30", "2024-02"}},
      {"at(2023-02-29T10:00:00)", {"at", "day 29", "2023-02"}},
      {"at(2024-13-01T00:00:00)", {"at", "month 13"}},
      {"at(2024-01-01T24:00:00)", {"at", "hour 24"}},
      {"at(2024-01-01T10:60:00)", {"at", "minute 60"}},
      {"at(2024-01-01 10:00:00)", {"at", "yyyy-mm-ddThh:mm:ss"}},
      {"at(1969-12-31T00:00:00)", {"at", "year 1969"}},
  };
  for (const Case& c : cases) {
    auto parsed = ParseSchedule(c.expression);
    INFO("expression: " << c.expression);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
    for (const char* mention : c.mentions) {
      INFO("message: " << parsed.status().message() << " should mention " << mention);
      CHECK(parsed.status().message().find(mention) != std::string::npos);
    }
  }
}

TEST_CASE("valid expressions parse with surrounding and repeated spaces", "[schedule]") {
  for (const char* e : {"cron(0 12 * * ? *)", "cron(0 12 ? * MON-FRI *)", "  cron(0  12 * * ?  *) ",
                        "cron(15 10 ? * 6L 2022-2030)", "cron(0 9 LW * ? *)", "cron(0 9 ? * 2#1 *)",
                        "rate(1 minute)", "rate(10 minutes)", "rate(1 hour)", "rate(3 hours)",
                        "rate(1 day)", "rate(7 days)", "at(2030-12-31T23:59:59)"}) {
    auto parsed = ParseSchedule(e);
    INFO(e << ": " << parsed.status().ToString());
    CHECK(parsed.ok());
  }
  auto trimmed = ParseSchedule("  rate(5 minutes) ");
  REQUIRE(trimmed.ok());
  CHECK(trimmed->expression == "rate(5 minutes)");
  CHECK(std::get<RateSchedule>(trimmed->spec).period_seconds == 300);
}

}  // namespace
}  // namespace stepflow::triggers
