#include "engine/expr/timestamp.h"

#include <catch2/catch.hpp>

namespace stepflow::expr {
namespace {

Timestamp MustParse(std::string_view text) {
  auto ts = Timestamp::Parse(text);
  INFO(text);
  REQUIRE(ts.has_value());
  return *ts;
}

TEST_CASE("Timestamp parses UTC date-times to epoch seconds", "[timestamp]") {
  CHECK(MustParse("1970-01-01T00:00:00Z").seconds == 0);
  CHECK(MustParse("1970-01-01T00:00:00Z").nanos == 0);
  CHECK(MustParse("2016-03-14T01:59:00Z").seconds == 1457920740);
  CHECK(MustParse("2000-01-01T00:00:00Z").seconds == 946684800);
  CHECK(MustParse("1969-12-31T23:59:59Z").seconds == -1);
  CHECK(MustParse("9999-12-31T23:59:59Z").seconds == 253402300799);
  CHECK(MustParse("0000-01-01T00:00:00Z").seconds == -62167219200);
}

TEST_CASE("Timestamp applies numeric offsets", "[timestamp]") {
  CHECK(MustParse("2020-01-01T01:00:00+01:00") == MustParse("2020-01-01T00:00:00Z"));
  CHECK(MustParse("2019-12-31T19:30:00-04:30") == MustParse("2020-01-01T00:00:00Z"));
  CHECK(MustParse("2020-01-01T00:00:00+00:00") == MustParse("2020-01-01T00:00:00Z"));
  CHECK(MustParse("2020-01-01T00:00:00-00:00") == MustParse("2020-01-01T00:00:00Z"));
  CHECK(MustParse("2020-01-01T23:59:00+23:59").seconds ==
        MustParse("2020-01-01T00:00:00Z").seconds);
}

TEST_CASE("Timestamp accepts fractional seconds of any length", "[timestamp]") {
  CHECK(MustParse("2020-01-01T00:00:00.5Z").nanos == 500'000'000);
  CHECK(MustParse("2020-01-01T00:00:00.12Z").nanos == 120'000'000);
  CHECK(MustParse("2020-01-01T00:00:00.123Z").nanos == 123'000'000);
  CHECK(MustParse("2020-01-01T00:00:00.123456789Z").nanos == 123'456'789);
  // Digits beyond nanoseconds are truncated.
  CHECK(MustParse("2020-01-01T00:00:00.1234567891234Z").nanos == 123'456'789);
  CHECK(MustParse("2020-01-01T00:00:00.000Z") == MustParse("2020-01-01T00:00:00Z"));
  CHECK(MustParse("2020-01-01T00:00:00.1+02:00").nanos == 100'000'000);
}

TEST_CASE("Timestamp orders by instant", "[timestamp]") {
  CHECK(MustParse("2020-01-01T00:00:00.001Z") > MustParse("2020-01-01T00:00:00Z"));
  CHECK(MustParse("2020-01-01T00:00:00Z") < MustParse("2019-12-31T23:00:00-02:00"));
  CHECK(MustParse("2020-01-01T00:00:00.5Z") < MustParse("2020-01-01T00:00:01Z"));
}

TEST_CASE("Timestamp checks the calendar", "[timestamp]") {
  CHECK(Timestamp::Parse("2020-02-29T00:00:00Z").has_value());  // leap year
  CHECK(Timestamp::Parse("2000-02-29T00:00:00Z").has_value());  // 400-year rule
  CHECK_FALSE(Timestamp::Parse("2019-02-29T00:00:00Z").has_value());
  CHECK_FALSE(Timestamp::Parse("1900-02-29T00:00:00Z").has_value());  // 100-year rule
  CHECK(Timestamp::Parse("2021-01-31T00:00:00Z").has_value());
  CHECK_FALSE(Timestamp::Parse("2021-04-31T00:00:00Z").has_value());
  CHECK_FALSE(Timestamp::Parse("2021-06-31T00:00:00Z").has_value());
  CHECK_FALSE(Timestamp::Parse("2021-00-10T00:00:00Z").has_value());
  CHECK_FALSE(Timestamp::Parse("2021-13-10T00:00:00Z").has_value());
  CHECK_FALSE(Timestamp::Parse("2021-01-00T00:00:00Z").has_value());
  CHECK_FALSE(Timestamp::Parse("2021-01-32T00:00:00Z").has_value());
  CHECK_FALSE(Timestamp::Parse("2021-01-01T24:00:00Z").has_value());
  CHECK_FALSE(Timestamp::Parse("2021-01-01T00:60:00Z").has_value());
  CHECK_FALSE(Timestamp::Parse("2021-01-01T00:00:61Z").has_value());
}

TEST_CASE("Timestamp accepts a leap second as the next minute's first second",
          "[timestamp]") {
  CHECK(MustParse("2016-12-31T23:59:60Z") == MustParse("2017-01-01T00:00:00Z"));
}

TEST_CASE("Timestamp rejects malformed text", "[timestamp]") {
  const char* bad[] = {
      "",
      "2016-03-14",
      "2016-03-14T01:59:00",           // no offset
      "2016-03-14t01:59:00Z",          // lowercase t
      "2016-03-14T01:59:00z",          // lowercase z
      "2016-03-14 01:59:00Z",          // space separator
      "2016-3-14T01:59:00Z",           // one-digit month
      "16-03-14T01:59:00Z",            // two-digit year
      "2016-03-14T1:59:00Z",
      "2016-03-14T01:59Z",             // no seconds
      "2016-03-14T01:59:00.Z",         // empty fraction
      "2016-03-14T01:59:00,5Z",        // comma fraction
      "2016-03-14T01:59:00+0100",      // offset without colon
      "2016-03-14T01:59:00+01",        // offset without minutes
      "2016-03-14T01:59:00+24:00",     // offset hour out of range
      "2016-03-14T01:59:00+01:60",     // offset minute out of range
      "2016-03-14T01:59:00Z ",         // trailing space
      " 2016-03-14T01:59:00Z",         // leading space
      "2016-03-14T01:59:00ZZ",
      "2016-03-14T01:59:00Z+01:00",
      "+2016-03-14T01:59:00Z",
      "2016-03-14T01:59:00.5.5Z",
      "２０１６-03-14T01:59:00Z",      // non-ASCII digits
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(Timestamp::Parse(text).has_value());
  }
}

TEST_CASE("Timestamp converts to and from milliseconds", "[timestamp]") {
  CHECK(MustParse("2020-01-01T00:00:00.123456Z").ToMillis() == 1577836800123);
  CHECK(MustParse("1969-12-31T23:59:59.5Z").ToMillis() == -500);
  Timestamp t = Timestamp::FromMillis(-500);
  CHECK(t.seconds == -1);
  CHECK(t.nanos == 500'000'000);
  CHECK(Timestamp::FromMillis(1577836800123).ToMillis() == 1577836800123);
  CHECK(Timestamp::FromMillis(0) == Timestamp{});
}

TEST_CASE("Timestamp prints UTC with trimmed milliseconds", "[timestamp]") {
  CHECK(MustParse("2016-03-14T01:59:00Z").ToString() == "2016-03-14T01:59:00Z");
  CHECK(MustParse("2016-03-14T03:59:00+02:00").ToString() == "2016-03-14T01:59:00Z");
  CHECK(MustParse("2024-01-01T00:00:00.120Z").ToString() == "2024-01-01T00:00:00.12Z");
  CHECK(MustParse("2024-01-01T00:00:00.1Z").ToString() == "2024-01-01T00:00:00.1Z");
  CHECK(MustParse("2024-01-01T00:00:00.123Z").ToString() == "2024-01-01T00:00:00.123Z");
  CHECK(MustParse("2024-01-01T00:00:00.001Z").ToString() == "2024-01-01T00:00:00.001Z");
  // Below a millisecond is not shown.
  CHECK(MustParse("2024-01-01T00:00:00.0009Z").ToString() == "2024-01-01T00:00:00Z");
  CHECK(MustParse("2024-02-29T23:59:59.999Z").ToString() == "2024-02-29T23:59:59.999Z");
  CHECK(Timestamp::FromMillis(-1).ToString() == "1969-12-31T23:59:59.999Z");
  CHECK(Timestamp{}.ToString() == "1970-01-01T00:00:00Z");
}

TEST_CASE("Timestamp round-trips through ToString", "[timestamp]") {
  for (int64_t ms : {0LL, 951782400000LL, 4107542399999LL, -2208988800000LL, 1709164800010LL}) {
    Timestamp t = Timestamp::FromMillis(ms);
    auto back = Timestamp::Parse(t.ToString());
    INFO(t.ToString());
    REQUIRE(back.has_value());
    CHECK(*back == t);
  }
}

}  // namespace
}  // namespace stepflow::expr
