// FormatTimestamp against the C library's calendar, over the range events use.
#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>

#include "engine/common/json_util.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/history.h"

namespace stepflow::runtime {
namespace {

std::string LibcFormat(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  int millis = static_cast<int>(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

TEST_CASE("history: FormatTimestamp is RFC 3339 UTC with milliseconds", "[history]") {
  CHECK(FormatTimestamp(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatTimestamp(951'782'400'000) == "2000-02-29T00:00:00.000Z");  // leap day
  CHECK(FormatTimestamp(1'795'487'120'225) == "2026-11-24T02:25:20.225Z");
  CHECK(FormatTimestamp(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(FormatTimestamp(253'402'300'799'999) == "9999-12-31T23:59:59.999Z");
  std::mt19937_64 random(7);
  std::uniform_int_distribution<int64_t> any(-2'208'988'800'000, 4'102'444'800'000);  // 1900-2100
  for (int i = 0; i < 100'000; ++i) {
    int64_t ms = any(random);
    INFO(ms);
    REQUIRE(FormatTimestamp(ms) == LibcFormat(ms));
  }
}

}  // namespace
}  // namespace stepflow::runtime

namespace stepflow::runtime {
namespace {

TEST_CASE("AppendJsonString quotes text as the JSON serialiser does", "[history]") {
  std::string all;
  for (int c = 1; c < 128; ++c) all.push_back(static_cast<char>(c));
  for (const std::string& text :
       {std::string(), std::string("plain"), std::string(R"({"a":"q\"b\\c"})"), all,
        std::string("tab\tnl\ncr\r\b\f"), std::string("caf\xc3\xa9 \xe2\x82\xac")}) {
    std::string out = "x";
    AppendJsonString(text, &out);
    CHECK(out == "x" + DumpCompact(Json(text)));
  }
}

}  // namespace
}  // namespace stepflow::runtime
