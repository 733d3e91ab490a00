// TimeZone: TZif files from the system's tz database, POSIX footer rules for
// instants past the table, gaps and folds, bad names. Expected instants are
// written as UTC and derived in the comments from the zone's rules.
#include "engine/triggers/timezone.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "tests/unit/triggers/triggers_test_util.h"

namespace stepflow::triggers {
namespace {

using tz_testing::Z;

LocalTime L(int y, int mo, int d, int h, int mi, int s = 0) {
  LocalTime t;
  t.year = y;
  t.month = mo;
  t.day = d;
  t.hour = h;
  t.minute = mi;
  t.second = s;
  return t;
}

std::shared_ptr<const TimeZone> MustLoad(const std::string& name) {
  auto zone = TimeZone::Load(name);
  INFO("loading " << name << " needs the system tz database (Debian package tzdata): "
                  << zone.status().ToString());
  REQUIRE(zone.ok());
  return *zone;
}

TEST_CASE("civil date arithmetic matches known epoch seconds", "[timezone]") {
  CHECK(DaysFromCivil(1970, 1, 1) == 0);
  CHECK(DaysFromCivil(1969, 12, 31) == -1);
  CHECK(DaysFromCivil(2000, 3, 1) == 11017);  // 30 years incl. 7 leap days + Jan-Feb 2000
  CHECK(Z("2000-03-01T00:00:00") == 951868800);
  CHECK(Z("2024-03-31T01:00:00") == 1711846800);
  CHECK(Z("2038-01-19T03:14:08") == 2147483648);  // one past the 32-bit limit
  CHECK(Z("2100-03-28T01:00:00") == 4109878800);
  CHECK(DaysInMonth(2024, 2) == 29);
  CHECK(DaysInMonth(2023, 2) == 28);
  CHECK(DaysInMonth(1900, 2) == 28);  // divisible by 100, not by 400
  CHECK(DaysInMonth(2000, 2) == 29);  // divisible by 400
  CHECK(DaysInMonth(2024, 4) == 30);
  CHECK(Weekday(1970, 1, 1) == 4);    // Thursday
  CHECK(Weekday(2024, 3, 31) == 0);   // Sunday
  CHECK(Weekday(1969, 12, 28) == 0);  // Sunday, before the epoch
  LocalTime t = CivilFromSeconds(1711846800);
  CHECK(t == L(2024, 3, 31, 1, 0));
  CHECK(t.weekday == 0);
  LocalTime before = CivilFromSeconds(-1);
  CHECK(before == L(1969, 12, 31, 23, 59, 59));
  CHECK(before.weekday == 3);
  // Every day from 1960 to 2230 survives the round trip.
  for (int64_t day = DaysFromCivil(1960, 1, 1); day < DaysFromCivil(2230, 1, 1); day += 1) {
    int64_t s = day * 86400 + 12345;
    if (SecondsFromCivil(CivilFromSeconds(s)) != s) FAIL("round trip fails at " << s);
  }
}

TEST_CASE("UTC always loads and has offset zero", "[timezone]") {
  auto utc = MustLoad("UTC");
  CHECK(utc->name() == "UTC");
  CHECK(utc->OffsetAt(0) == 0);
  CHECK(utc->OffsetAt(Z("2024-07-01T00:00:00")) == 0);
  CHECK(utc->FromLocal(L(2024, 3, 31, 2, 30)) == std::vector<int64_t>{Z("2024-03-31T02:30:00")});
  CHECK_FALSE(utc->NextTransition(0).has_value());
}

TEST_CASE("loaded zones are cached and shared", "[timezone]") {
  auto a = MustLoad("Europe/Berlin");
  auto b = MustLoad("Europe/Berlin");
  CHECK(a.get() == b.get());
  CHECK(a->name() == "Europe/Berlin");
}

TEST_CASE("Europe/Berlin offsets and the 2024 transitions", "[timezone][dst]") {
  auto berlin = MustLoad("Europe/Berlin");
  CHECK(berlin->OffsetAt(Z("2024-01-15T12:00:00")) == 3600);  // CET
  CHECK(berlin->OffsetAt(Z("2024-07-15T12:00:00")) == 7200);  // CEST
  // Spring: last Sunday of March, 02:00 CET = 01:00Z, clocks jump to 03:00.
  CHECK(berlin->OffsetAt(Z("2024-03-31T00:59:59")) == 3600);
  CHECK(berlin->OffsetAt(Z("2024-03-31T01:00:00")) == 7200);
  CHECK(berlin->ToLocal(Z("2024-03-31T00:59:59")) == L(2024, 3, 31, 1, 59, 59));
  CHECK(berlin->ToLocal(Z("2024-03-31T01:00:00")) == L(2024, 3, 31, 3, 0));
  // Autumn: last Sunday of October, 03:00 CEST = 01:00Z, clocks go back to 02:00.
  CHECK(berlin->OffsetAt(Z("2024-10-27T00:59:59")) == 7200);
  CHECK(berlin->OffsetAt(Z("2024-10-27T01:00:00")) == 3600);
  CHECK(berlin->ToLocal(Z("2024-10-27T00:59:59")) == L(2024, 10, 27, 2, 59, 59));
  CHECK(berlin->ToLocal(Z("2024-10-27T01:00:00")) == L(2024, 10, 27, 2, 0));
  CHECK(berlin->ToLocal(Z("2024-10-27T01:00:00")).weekday == 0);

  CHECK(berlin->NextTransition(Z("2024-01-01T00:00:00")) == Z("2024-03-31T01:00:00"));
  CHECK(berlin->NextTransition(Z("2024-03-31T01:00:00")) == Z("2024-10-27T01:00:00"));
  CHECK(berlin->NextTransition(Z("2024-03-31T00:59:59")) == Z("2024-03-31T01:00:00"));
}

TEST_CASE("Europe/Berlin FromLocal in the gap and the fold and normally", "[timezone][dst]") {
  auto berlin = MustLoad("Europe/Berlin");
  // 02:00-02:59 on 2024-03-31 never shows on a Berlin clock.
  CHECK(berlin->FromLocal(L(2024, 3, 31, 2, 0)).empty());
  CHECK(berlin->FromLocal(L(2024, 3, 31, 2, 30)).empty());
  CHECK(berlin->FromLocal(L(2024, 3, 31, 2, 59, 59)).empty());
  // 01:59:59 CET = 00:59:59Z, 03:00 CEST = 01:00Z: one instant each.
  CHECK(berlin->FromLocal(L(2024, 3, 31, 1, 59, 59)) ==
        std::vector<int64_t>{Z("2024-03-31T00:59:59")});
  CHECK(berlin->FromLocal(L(2024, 3, 31, 3, 0)) == std::vector<int64_t>{Z("2024-03-31T01:00:00")});
  // 02:30 on 2024-10-27 shows twice: 02:30 CEST = 00:30Z, then 02:30 CET = 01:30Z.
  CHECK(berlin->FromLocal(L(2024, 10, 27, 2, 30)) ==
        std::vector<int64_t>{Z("2024-10-27T00:30:00"), Z("2024-10-27T01:30:00")});
  CHECK(berlin->FromLocal(L(2024, 10, 27, 2, 0)) ==
        std::vector<int64_t>{Z("2024-10-27T00:00:00"), Z("2024-10-27T01:00:00")});
  // 03:00 on that day shows once (CET, 02:00Z).
  CHECK(berlin->FromLocal(L(2024, 10, 27, 3, 0)) == std::vector<int64_t>{Z("2024-10-27T02:00:00")});
  CHECK(berlin->FromLocal(L(2024, 7, 1, 9, 0)) == std::vector<int64_t>{Z("2024-07-01T07:00:00")});
}

TEST_CASE("America/New_York FromLocal in the gap and the fold and normally", "[timezone][dst]") {
  auto ny = MustLoad("America/New_York");
  // Second Sunday of March 2024 (the 10th), 02:00 EST = 07:00Z -> 03:00 EDT.
  CHECK(ny->OffsetAt(Z("2024-03-10T06:59:59")) == -18000);
  CHECK(ny->OffsetAt(Z("2024-03-10T07:00:00")) == -14400);
  CHECK(ny->FromLocal(L(2024, 3, 10, 2, 30)).empty());
  CHECK(ny->FromLocal(L(2024, 3, 10, 3, 0)) == std::vector<int64_t>{Z("2024-03-10T07:00:00")});
  // First Sunday of November 2024 (the 3rd), 02:00 EDT = 06:00Z -> 01:00 EST.
  // 01:30 shows at 05:30Z (EDT) and 06:30Z (EST).
  CHECK(ny->FromLocal(L(2024, 11, 3, 1, 30)) ==
        std::vector<int64_t>{Z("2024-11-03T05:30:00"), Z("2024-11-03T06:30:00")});
  CHECK(ny->FromLocal(L(2024, 11, 3, 2, 30)) == std::vector<int64_t>{Z("2024-11-03T07:30:00")});
  CHECK(ny->ToLocal(Z("2024-11-03T06:00:00")) == L(2024, 11, 3, 1, 0));
  CHECK(ny->NextTransition(Z("2024-06-01T00:00:00")) == Z("2024-11-03T06:00:00"));
}

TEST_CASE("instants past the transition table follow the POSIX footer rule", "[timezone][dst]") {
  auto berlin = MustLoad("Europe/Berlin");  // footer CET-1CEST,M3.5.0,M10.5.0/3
  // 2100-03-31 is a Wednesday: the last Sunday of March 2100 is the 28th,
  // 02:00 CET = 01:00Z. 2100-10-31 is a Sunday: 03:00 CEST = 01:00Z.
  CHECK(berlin->OffsetAt(Z("2100-03-28T00:59:59")) == 3600);
  CHECK(berlin->OffsetAt(Z("2100-03-28T01:00:00")) == 7200);
  CHECK(berlin->OffsetAt(Z("2100-10-31T00:59:59")) == 7200);
  CHECK(berlin->OffsetAt(Z("2100-10-31T01:00:00")) == 3600);
  CHECK(berlin->NextTransition(Z("2100-01-01T00:00:00")) == Z("2100-03-28T01:00:00"));
  CHECK(berlin->NextTransition(Z("2100-03-28T01:00:00")) == Z("2100-10-31T01:00:00"));
  CHECK(berlin->FromLocal(L(2100, 3, 28, 2, 30)).empty());
  CHECK(berlin->FromLocal(L(2100, 10, 31, 2, 30)) ==
        std::vector<int64_t>{Z("2100-10-31T00:30:00"), Z("2100-10-31T01:30:00")});

  // Southern hemisphere, DST across the new year: AEST-10AEDT,M10.1.0,M4.1.0/3.
  auto sydney = MustLoad("Australia/Sydney");
  CHECK(sydney->OffsetAt(Z("2100-01-15T00:00:00")) == 11 * 3600);  // summer: AEDT
  CHECK(sydney->OffsetAt(Z("2100-07-15T00:00:00")) == 10 * 3600);  // winter: AEST
  // First Sunday of April 2100 is the 4th: 03:00 AEDT = 2100-04-03T16:00Z.
  CHECK(sydney->OffsetAt(Z("2100-04-03T15:59:59")) == 11 * 3600);
  CHECK(sydney->OffsetAt(Z("2100-04-03T16:00:00")) == 10 * 3600);
  // First Sunday of October 2100 is the 3rd: 02:00 AEST = 2100-10-02T16:00Z.
  CHECK(sydney->OffsetAt(Z("2100-10-02T15:59:59")) == 10 * 3600);
  CHECK(sydney->OffsetAt(Z("2100-10-02T16:00:00")) == 11 * 3600);
}

TEST_CASE("unknown and malformed zone names are rejected naming the zone", "[timezone]") {
  for (std::string name : {"Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime",
                           "Europe/../Europe/Berlin", "", "Europe//Berlin", "Europe/Berlin/",
                           "Europe/Ber lin", "America", "./UTC"}) {
    auto zone = TimeZone::Load(name);
    INFO(name);
    REQUIRE_FALSE(zone.ok());
    CHECK(zone.status().code() == StatusCode::kInvalidArgument);
    CHECK(zone.status().message().find("time zone '" + name + "'") != std::string::npos);
  }
  auto unknown = TimeZone::Load("Mars/Olympus_Mons");
  CHECK(unknown.status().message().find("unknown time zone") != std::string::npos);
  // Leap-second zones count seconds differently from POSIX time.
  auto right = TimeZone::Load("right/Europe/Berlin");
  REQUIRE_FALSE(right.ok());
  CHECK(right.status().message().find("leap-second") != std::string::npos);
  // A file in the database that is not a zone.
  auto table = TimeZone::Load("zone.tab");
  REQUIRE_FALSE(table.ok());
  CHECK(table.status().message().find("not a TZif file") != std::string::npos);
}

// ---- synthetic TZif files, loaded through $TZDIR ----

void Be32(std::string& out, int64_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void Be64(std::string& out, int64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

struct Type {
  int64_t offset;
  bool dst;
};

// A TZif block: header and data, with 4- or 8-byte transition times.
std::string Block(char version, int time_bytes, const std::vector<int64_t>& times,
                  const std::vector<uint8_t>& idx, const std::vector<Type>& types) {
  std::string out = "TZif";
  out.push_back(version);
  out.append(15, '\0');
  Be32(out, 0);                                      // isutcnt
  Be32(out, 0);                                      // isstdcnt
  Be32(out, 0);                                      // leapcnt
  Be32(out, static_cast<int64_t>(times.size()));     // timecnt
  Be32(out, static_cast<int64_t>(types.size()));     // typecnt
  Be32(out, 4);                                      // charcnt: "ABC\0"
  for (int64_t t : times) time_bytes == 4 ? Be32(out, t) : Be64(out, t);
  for (uint8_t i : idx) out.push_back(static_cast<char>(i));
  for (const Type& t : types) {
    Be32(out, t.offset);
    out.push_back(t.dst ? 1 : 0);
    out.push_back(0);
  }
  out.append("ABC\0", 4);
  return out;
}

class TzDir {
 public:
  TzDir() {
    dir_ = std::filesystem::temp_directory_path() /
           ("stepflow-tz-" + std::to_string(getpid()) + "-" +
            std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::create_directories(dir_ / "Test");
    const char* old = std::getenv("TZDIR");
    if (old != nullptr) old_ = old;
    setenv("TZDIR", dir_.c_str(), 1);
  }
  ~TzDir() {
    if (old_) {
      setenv("TZDIR", old_->c_str(), 1);
    } else {
      unsetenv("TZDIR");
    }
    std::filesystem::remove_all(dir_);
  }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }

 private:
  std::filesystem::path dir_;
  std::optional<std::string> old_;
};

TEST_CASE("TZif version 1 files are read from TZDIR", "[timezone][tzif]") {
  TzDir dir;
  // +01:00 until 2000-01-01T00:00Z, then +02:00, then back to +01:00 at 2001-01-01T00:00Z.
  dir.Write("Test/V1", Block('\0', 4, {Z("2000-01-01T00:00:00"), Z("2001-01-01T00:00:00")}, {1, 0},
                             {{3600, false}, {7200, true}}));
  auto zone = MustLoad("Test/V1");
  CHECK(zone->OffsetAt(Z("1999-12-31T23:59:59")) == 3600);
  CHECK(zone->OffsetAt(Z("2000-06-01T00:00:00")) == 7200);
  CHECK(zone->OffsetAt(Z("2030-06-01T00:00:00")) == 3600);  // no footer: the last type stays
  CHECK(zone->NextTransition(Z("2000-06-01T00:00:00")) == Z("2001-01-01T00:00:00"));
  CHECK_FALSE(zone->NextTransition(Z("2001-01-01T00:00:00")).has_value());
  // 2000-01-01 01:30 local is in the gap (01:00 +01:00 jumped to 02:00 +02:00).
  CHECK(zone->FromLocal(L(2000, 1, 1, 1, 30)).empty());
  CHECK(zone->MinOffset() == 3600);
}

TEST_CASE("TZif version 2 footers with Julian-day rules", "[timezone][tzif]") {
  TzDir dir;
  // No transitions: everything follows the footer. UTC-3 standard, UTC-2
  // daylight from J60 (March 1, February 29 never counted) at the default
  // 02:00, to zero-based day 299 (Oct 27 in common years, Oct 26 in leap
  // years) at 01:30 daylight time.
  std::string v1 = Block('2', 4, {}, {}, {{-10800, false}});
  std::string v2 = Block('2', 8, {}, {}, {{-10800, false}});
  dir.Write("Test/Julian", v1 + v2 + "\nXXX3YYY,J60,299/1:30\n");
  auto zone = MustLoad("Test/Julian");
  // 2025 (common): March 1 02:00 -03:00 = 05:00Z; Oct 27 01:30 -02:00 = 03:30Z.
  CHECK(zone->OffsetAt(Z("2025-03-01T04:59:59")) == -10800);
  CHECK(zone->OffsetAt(Z("2025-03-01T05:00:00")) == -7200);
  CHECK(zone->OffsetAt(Z("2025-10-27T03:29:59")) == -7200);
  CHECK(zone->OffsetAt(Z("2025-10-27T03:30:00")) == -10800);
  // 2024 (leap): J60 is still March 1; day 299 is October 26.
  CHECK(zone->OffsetAt(Z("2024-03-01T05:00:00")) == -7200);
  CHECK(zone->OffsetAt(Z("2024-02-29T12:00:00")) == -10800);
  CHECK(zone->OffsetAt(Z("2024-10-26T03:30:00")) == -10800);
  CHECK(zone->NextTransition(Z("2025-01-01T00:00:00")) == Z("2025-03-01T05:00:00"));
  CHECK(zone->MinOffset() == -10800);

  // A fixed-offset footer with a quoted name.
  dir.Write("Test/Fixed", v1 + v2 + "\n<+0530>-5:30\n");
  auto fixed = MustLoad("Test/Fixed");
  CHECK(fixed->OffsetAt(Z("2030-01-01T00:00:00")) == 19800);
  CHECK_FALSE(fixed->NextTransition(0).has_value());
}

TEST_CASE("corrupt TZif files are errors naming the zone", "[timezone][tzif]") {
  TzDir dir;
  std::string good = Block('2', 4, {}, {}, {{0, false}}) + Block('2', 8, {}, {}, {{0, false}});
  dir.Write("Test/Truncated", good.substr(0, 50));
  dir.Write("Test/Garbage", "this is not a zone file at all, not even close........");
  dir.Write("Test/BadFooter", good + "\nnot a tz string\n");
  dir.Write("Test/BadIndex", Block('\0', 4, {100}, {5}, {{0, false}}));
  for (std::string name : {"Test/Truncated", "Test/Garbage", "Test/BadFooter", "Test/BadIndex"}) {
    auto zone = TimeZone::Load(name);
    INFO(name);
    REQUIRE_FALSE(zone.ok());
    CHECK(zone.status().code() == StatusCode::kInvalidArgument);
    CHECK(zone.status().message().find(name) != std::string::npos);
  }
}

TEST_CASE("zones are usable from several threads at once", "[timezone]") {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([i, &failures] {
      for (int n = 0; n < 200; ++n) {
        auto zone = TimeZone::Load(i % 2 == 0 ? "Europe/Berlin" : "America/New_York");
        if (!zone.ok()) {
          ++failures[i];
          continue;
        }
        int64_t expected = i % 2 == 0 ? 7200 : -14400;
        if ((*zone)->OffsetAt(Z("2024-07-01T00:00:00") + n * 60) != expected) ++failures[i];
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == std::vector<int>{0, 0, 0, 0});
}

}  // namespace
}  // namespace stepflow::triggers
