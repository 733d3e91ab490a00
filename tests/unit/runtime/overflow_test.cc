// Delays too long for the engine's millisecond arithmetic: Wait Seconds,
// SecondsPath, Timestamp(Path), Task TimeoutSeconds(Path) and
// HeartbeatSeconds(Path), and Retry back-offs. A delay is bounded by the
// longest one the engine arms, 99,999,999 s, and a Wait Timestamp by 100
// years ahead (states.cc): a value read from the input beyond them fails the
// state with States.Runtime; a back-off saturates at the longest delay (or
// at MaxDelaySeconds).
// GCC 12 warns, wrongly, of an overlapping memcpy in the std::string
// assignment of Harness::Start as compiled here (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <catch2/catch.hpp>
#include <cmath>

#include "tests/unit/runtime/runtime_test_util.h"

namespace stepflow::testing {
namespace {

using runtime::TaskOutcome;
using runtime::TaskRequest;

constexpr int64_t kLongestDelaySeconds = 99'999'999;
constexpr int64_t kLongestDelayMs = kLongestDelaySeconds * 1000;

// Values whose milliseconds do not fit in int64 (or that do not fit at
// all), and the first whole second past the longest delay.
const char* const kTooLong[] = {"1e300", "9223372036854775807", "4611686018427387904",
                                "18446744073709551615", "1e19", "100000000"};

std::vector<int64_t> ScheduledTimes(Harness& h, const std::string& id) {
  std::vector<int64_t> times;
  for (const auto& e : h.History(id)) {
    if (e.type == "TaskScheduled") times.push_back(e.timestamp_ms);
  }
  return times;
}

// The cause names the field, the path and the value as the input gave it.
void CheckTooLong(const store::ExecutionRecord& r, const std::string& field,
                  const std::string& value) {
  INFO("cause: " << r.cause.value_or("(none)"));
  CHECK(r.status == "FAILED");
  CHECK(r.error == "States.Runtime");
  REQUIRE(r.cause.has_value());
  CHECK(r.cause->find(field + " '$.s'") != std::string::npos);
  CHECK(r.cause->find(DumpCompact(Json::parse(value))) != std::string::npos);
  CHECK(r.cause->find("99999999 seconds") != std::string::npos);
}

TEST_CASE("a SecondsPath too long for the engine fails the Wait with States.Runtime",
          "[executor][overflow]") {
  const std::string value = GENERATE(from_range(std::begin(kTooLong), std::end(kTooLong)));
  INFO("SecondsPath value " << value);
  Harness h;
  auto r = h.Run(R"j({"StartAt":"W","States":{
      "W":{"Type":"Wait","SecondsPath":"$.s","Next":"Done"},
      "Done":{"Type":"Succeed"}}})j",
                 R"({"s":)" + value + "}");
  CheckTooLong(r, "SecondsPath", value);
  CHECK(*r.stop_ms == r.start_ms);
  CHECK(h.Count(r.id, "WaitStateExited") == 0);
}

TEST_CASE("a Wait of the longest delay (literal or from SecondsPath) waits exactly that long",
          "[executor][overflow]") {
  Harness h;
  auto r = h.Run(R"j({"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s",
      "End":true}}})j",
                 R"({"s":99999999})");
  CHECK(r.status == "SUCCEEDED");
  CHECK(*r.stop_ms - r.start_ms == kLongestDelayMs);

  Harness h2;
  auto r2 = h2.Run(R"j({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":99999999,
      "End":true}}})j");
  CHECK(r2.status == "SUCCEEDED");
  CHECK(*r2.stop_ms - r2.start_ms == kLongestDelayMs);
}

TEST_CASE("a literal Seconds or TimeoutSeconds near the int64 limit is refused by the validator",
          "[executor][overflow]") {
  Harness h;
  for (const char* definition : {
           R"j({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":9223372036854775807,
               "End":true}}})j",
           R"j({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1e300,"End":true}}})j",
           R"j({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100000000,"End":true}}})j",
           R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
               "TimeoutSeconds":9223372036854775807,"End":true}}})j",
           R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
               "HeartbeatSeconds":4611686018427387904,"End":true}}})j"}) {
    INFO(definition);
    CHECK(h.executor->PutStateMachine("m", definition).status().code() ==
          StatusCode::kInvalidArgument);
  }
}

TEST_CASE("a Wait Timestamp more than 100 years ahead fails with States.Runtime",
          "[executor][overflow]") {
  // The validator takes any four-digit year; 9999 is about 8,000 years ahead,
  // past what the executor's wait for its next timer can express.
  Harness h;
  auto r = h.Run(R"j({"StartAt":"W","States":{"W":{"Type":"Wait",
      "Timestamp":"9999-12-31T23:59:59Z","End":true}}})j");
  CHECK(r.status == "FAILED");
  CHECK(r.error == "States.Runtime");
  REQUIRE(r.cause.has_value());
  CHECK(r.cause->find("Timestamp '9999-12-31T23:59:59Z'") != std::string::npos);
  CHECK(r.cause->find("100 years") != std::string::npos);

  // FakeClock starts at 2023-11-14T22:13:20Z; 100 years of days later is
  // 2123-11-15T22:13:20Z.
  for (const char* t : {"9999-12-31T23:59:59-23:59", "2123-11-15T22:13:20.001Z"}) {
    INFO("TimestampPath value " << t);
    Harness h2;
    auto r2 = h2.Run(R"j({"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.t",
        "End":true}}})j",
                     Json{{"t", t}}.dump());
    CHECK(r2.status == "FAILED");
    CHECK(r2.error == "States.Runtime");
    REQUIRE(r2.cause.has_value());
    CHECK(r2.cause->find("TimestampPath '$.t'") != std::string::npos);
    CHECK(r2.cause->find(t) != std::string::npos);
  }
}

TEST_CASE("a Wait Timestamp up to 100 years ahead waits until it and one long past does not wait",
          "[executor][overflow]") {
  for (const auto& [t, ms] : std::vector<std::pair<std::string, int64_t>>{
           {"2026-11-14T22:13:20.250Z", 1'794'694'400'250},
           {"2099-01-01T00:00:00Z", 4'070'908'800'000},
           {"2123-11-15T22:13:20Z", 4'855'760'000'000}}) {
    INFO("TimestampPath value " << t);
    Harness h;
    auto r = h.Run(R"j({"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.t",
        "End":true}}})j",
                   Json{{"t", t}}.dump());
    CHECK(r.status == "SUCCEEDED");
    CHECK(*r.stop_ms == ms);
  }

  Harness h2;
  auto r2 = h2.Run(R"j({"StartAt":"W","States":{"W":{"Type":"Wait",
      "Timestamp":"0000-01-01T00:00:00+23:59","End":true}}})j");
  CHECK(r2.status == "SUCCEEDED");
  CHECK(*r2.stop_ms == r2.start_ms);
}

TEST_CASE("a TimeoutSecondsPath too long for the engine fails the Task with States.Runtime",
          "[executor][overflow]") {
  const std::string value = GENERATE(from_range(std::begin(kTooLong), std::end(kTooLong)));
  INFO("TimeoutSecondsPath value " << value);
  Harness h;
  // Like every States.Runtime failure, no Retry or Catch sees it, not even
  // States.ALL (ASL_NOTES §7).
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
      "TimeoutSecondsPath":"$.s","Retry":[{"ErrorEquals":["States.ALL"]}],
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],
      "End":true},
      "Caught":{"Type":"Pass","End":true}}})j",
                 R"({"s":)" + value + "}");
  CheckTooLong(r, "TimeoutSecondsPath", value);
  CHECK(h.invoker.Calls().empty());
  CHECK(h.Count(r.id, "TaskScheduled") == 0);
}

TEST_CASE("a HeartbeatSecondsPath too long for the engine fails the Task with States.Runtime",
          "[executor][overflow][callback]") {
  const std::string value = GENERATE(from_range(std::begin(kTooLong), std::end(kTooLong)));
  INFO("HeartbeatSecondsPath value " << value);
  runtime::ExecutorOptions options;
  options.limits.callbacks = true;
  Harness h(options);
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"approve.waitForTaskToken","HeartbeatSecondsPath":"$.s","End":true}}})j",
                 R"({"s":)" + value + "}");
  CheckTooLong(r, "HeartbeatSecondsPath", value);
  CHECK(h.invoker.Calls().empty());
}

TEST_CASE("a callback's TimeoutSecondsPath or HeartbeatSecondsPath of the longest delay fires "
          "exactly then",
          "[executor][overflow][callback]") {
  runtime::ExecutorOptions options;
  options.limits.callbacks = true;
  const bool heartbeat = GENERATE(false, true);
  Harness h(options);
  const std::string field = heartbeat ? "HeartbeatSecondsPath" : "TimeoutSecondsPath";
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"approve.waitForTaskToken",")j" +
                     field + R"j(":"$.s","End":true}}})j",
                 R"({"s":99999999})");
  CHECK(r.status == "FAILED");
  CHECK(r.error == (heartbeat ? "States.HeartbeatTimeout" : "States.Timeout"));
  CHECK(*r.stop_ms - r.start_ms == kLongestDelayMs);
}

TEST_CASE("a back-off whose BackoffRate^n overflows saturates at the longest delay",
          "[executor][overflow][retry]") {
  Harness h;
  h.invoker.handler = [](const TaskRequest&) { return TaskOutcome::Failure("Boom", ""); };
  // 1e308^2 is inf: before saturating, that became a wrapped (past) time.
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
      "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":3,"BackoffRate":1e308,
                "MaxAttempts":3}],
      "End":true}}})j");
  CHECK(r.status == "FAILED");
  CHECK(r.error == "Boom");
  const auto times = ScheduledTimes(h, r.id);
  REQUIRE(times.size() == 4);
  CHECK(times[1] - times[0] == 3000);
  CHECK(times[2] - times[1] == kLongestDelayMs);
  CHECK(times[3] - times[2] == kLongestDelayMs);
}

TEST_CASE("a doubling back-off past 2^53 seconds keeps to the longest delay and never wraps",
          "[executor][overflow][retry]") {
  Harness h;
  h.invoker.handler = [](const TaskRequest&) { return TaskOutcome::Failure("Boom", ""); };
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
      "Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":70}],"End":true}}})j");
  CHECK(r.status == "FAILED");
  const auto times = ScheduledTimes(h, r.id);
  REQUIRE(times.size() == 71);
  for (size_t n = 0; n + 1 < times.size(); ++n) {
    INFO("retry " << n);
    // IntervalSeconds 1, BackoffRate 2: 2^n s until 2^27 s passes the longest delay.
    const int64_t expected = std::min<int64_t>(int64_t{1} << std::min<size_t>(n, 40),
                                               kLongestDelaySeconds) *
                             1000;
    CHECK(times[n + 1] - times[n] == expected);
  }
}

TEST_CASE("an overflowing back-off saturates at MaxDelaySeconds when set",
          "[executor][overflow][retry]") {
  Harness h;
  h.invoker.handler = [](const TaskRequest&) { return TaskOutcome::Failure("Boom", ""); };
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
      "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":2,"BackoffRate":1e308,
                "MaxDelaySeconds":3600,"MaxAttempts":3}],
      "End":true}}})j");
  CHECK(r.status == "FAILED");
  const auto times = ScheduledTimes(h, r.id);
  REQUIRE(times.size() == 4);
  CHECK(times[1] - times[0] == 2000);
  CHECK(times[2] - times[1] == 3'600'000);
  CHECK(times[3] - times[2] == 3'600'000);
}

TEST_CASE("JitterStrategy FULL draws from the saturated delay and never from inf or NaN",
          "[executor][overflow][retry]") {
  // bits % 1,000,000 / 1,000,000 is the fraction of the delay waited.
  const uint64_t bits = GENERATE(uint64_t{0}, uint64_t{500'000}, uint64_t{999'999});
  const bool with_max = GENERATE(false, true);
  INFO("random bits " << bits << (with_max ? ", MaxDelaySeconds 86400" : ""));
  runtime::ExecutorOptions options;
  options.limits.random = [bits] { return bits; };
  Harness h(options);
  h.invoker.handler = [](const TaskRequest&) { return TaskOutcome::Failure("Boom", ""); };
  const std::string max = with_max ? R"("MaxDelaySeconds":86400,)" : "";
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
      "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":1,"BackoffRate":1e308,)j" +
                 max + R"j("JitterStrategy":"FULL","MaxAttempts":2}],
      "End":true}}})j");
  CHECK(r.status == "FAILED");
  const auto times = ScheduledTimes(h, r.id);
  REQUIRE(times.size() == 3);
  const double fraction = static_cast<double>(bits) / 1'000'000.0;
  const double cap = with_max ? 86400.0 : static_cast<double>(kLongestDelaySeconds);
  CHECK(times[1] - times[0] == std::llround(1.0 * fraction * 1000.0));
  CHECK(times[2] - times[1] == std::llround(cap * fraction * 1000.0));
  CHECK(times[2] - times[1] >= 0);
  CHECK(times[2] - times[1] <= static_cast<int64_t>(cap) * 1000);
}

}  // namespace
}  // namespace stepflow::testing
