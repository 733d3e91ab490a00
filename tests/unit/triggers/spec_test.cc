// Trigger descriptions: what is accepted, what each mistake is told as
// (the field's JSON pointer first), names and keys derived from occurrences.
#include "engine/triggers/spec.h"

#include <catch2/catch.hpp>

#include <string>

namespace stepflow::triggers {
namespace {

Json Parse(const char* text) { return Json::parse(text); }

std::string ErrorOf(const char* text) {
  auto spec = ParseTriggerSpec(Parse(text));
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().code() == StatusCode::kInvalidArgument);
  return spec.status().message();
}

TEST_CASE("trigger spec: a full schedule description is read and written back") {
  auto spec = ParseTriggerSpec(Parse(R"j({
    "name": "nightly-etl", "machine": "etl:3",
    "schedule": {"expression": "cron(0 2 * * ? *)", "timezone": "Europe/Berlin",
                 "start": "2026-01-01T00:00:00Z", "end": "2027-01-01T00:00:00+01:00",
                 "jitterSeconds": 30},
    "input": {"day": "{% $states.input.scheduledTime %}"},
    "overlap": "buffer-one", "catchup": {"policy": "all", "windowSeconds": 3600, "maxRuns": 5},
    "remainingRuns": 7, "paused": true})j"));
  REQUIRE(spec.ok());
  CHECK(spec->machine == "etl");
  CHECK(spec->version == 3);
  CHECK(spec->timezone == "Europe/Berlin");
  CHECK(*spec->start_seconds == 1767225600);
  CHECK(*spec->end_seconds == 1798758000);
  CHECK(spec->overlap == Overlap::kBufferOne);
  CHECK(spec->catchup == Catchup::kAll);
  CHECK(spec->catchup_window_seconds == 3600);
  CHECK(spec->catchup_max_runs == 5);
  CHECK(*spec->remaining_runs == 7);
  CHECK(spec->paused);
  Json back = TriggerSpecJson(*spec);
  auto again = ParseTriggerSpec(back);
  REQUIRE(again.ok());
  CHECK(TriggerSpecJson(*again) == back);
  CHECK(back["machine"] == "etl:3");
  CHECK(back["overlap"] == "BUFFER_ONE");
  CHECK(back["schedule"]["start"] == "2026-01-01T00:00:00Z");
}

TEST_CASE("trigger spec: defaults and the short forms") {
  auto spec = ParseTriggerSpec(Parse(R"j({"name":"t","machine":"m","schedule":"rate(5 minutes)"})j"));
  REQUIRE(spec.ok());
  CHECK(spec->timezone == "UTC");
  CHECK(spec->overlap == Overlap::kSkip);
  CHECK(spec->catchup == Catchup::kLatest);
  CHECK(spec->catchup_window_seconds == 86400);
  CHECK_FALSE(spec->remaining_runs);
  auto hook = ParseTriggerSpec(Parse(R"j({"name":"h","machine":"m","webhook":{}})j"));
  REQUIRE(hook.ok());
  CHECK(hook->webhook);
  CHECK(hook->auth.kind == WebhookAuth::Kind::kNone);
}

TEST_CASE("trigger spec: webhook authentication and its secret hidden when shown") {
  auto spec = ParseTriggerSpec(Parse(R"j({"name":"h","machine":"m",
      "webhook":{"auth":{"type":"hmac","secret":"0123456789","toleranceSeconds":60}}})j"));
  REQUIRE(spec.ok());
  CHECK(spec->auth.kind == WebhookAuth::Kind::kHmac);
  CHECK(spec->auth.tolerance_seconds == 60);
  CHECK(TriggerSpecJson(*spec, /*redact=*/true)["webhook"]["auth"]["secret"] == "********");
  CHECK(TriggerSpecJson(*spec)["webhook"]["auth"]["secret"] == "0123456789");
  CHECK(ErrorOf(R"j({"name":"h","machine":"m","webhook":{"auth":{"type":"hmac","secret":"x"}}})j") ==
        "/webhook/auth/secret: an HMAC secret of 8 characters or more is required");
  CHECK(ErrorOf(R"j({"name":"h","machine":"m","webhook":{"auth":{"type":"basic"}}})j") ==
        "/webhook/auth/type: 'basic' is not one of hmac, bearer, none");
}

TEST_CASE("trigger spec: each mistake names its field") {
  CHECK(ErrorOf(R"j({"machine":"m","schedule":"rate(1 hour)"})j") == "/name: is required");
  CHECK(ErrorOf(R"j({"name":"a b","machine":"m","schedule":"rate(1 hour)"})j")
            .starts_with("/name: trigger name 'a b' may only contain"));
  CHECK(ErrorOf(R"j({"name":"t","schedule":"rate(1 hour)"})j") == "/machine: is required");
  CHECK(ErrorOf(R"j({"name":"t","machine":"m:x","schedule":"rate(1 hour)"})j")
            .starts_with("/machine: 'm:x' is not MACHINE or MACHINE:VERSION"));
  CHECK(ErrorOf(R"j({"name":"t","machine":"m"})j") ==
        "a trigger has exactly one of 'schedule' and 'webhook'");
  CHECK(ErrorOf(R"j({"name":"t","machine":"m","schedule":"rate(1 hour)","webhook":{}})j") ==
        "a trigger has exactly one of 'schedule' and 'webhook'");
  CHECK(ErrorOf(R"j({"name":"t","machine":"m","schedule":{"expression":"cron(0 2 * * * *)"}})j")
            .starts_with("/schedule/expression: cron"));
  CHECK(ErrorOf(R"j({"name":"t","machine":"m","schedule":"every day"})j").starts_with("/schedule: "));
  CHECK(ErrorOf(R"j({"name":"t","machine":"m",
                    "schedule":{"expression":"rate(1 hour)","timezone":"Mars/Olympus"}})j") ==
        "/schedule/timezone: unknown time zone 'Mars/Olympus' (an IANA name such as "
        "Europe/Berlin or America/New_York, or UTC)");
  CHECK(ErrorOf(R"j({"name":"t","machine":"m","schedule":{"expression":"rate(1 hour)",
                    "start":"2026-02-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}})j") ==
        "/schedule/end: the end must be after the start");
  CHECK(ErrorOf(R"j({"name":"t","machine":"m","schedule":{"expression":"rate(1 hour)",
                    "start":"yesterday"}})j")
            .starts_with("/schedule/start: 'yesterday' is not an RFC 3339 time"));
  CHECK(ErrorOf(R"j({"name":"t","machine":"m","schedule":{"expression":"rate(1 hour)",
                    "jitterSeconds":-1}})j") ==
        "/schedule/jitterSeconds: must be between 0 and 86400, not -1");
  CHECK(ErrorOf(R"j({"name":"t","machine":"m","schedule":"rate(1 hour)","overlap":"QUEUE"})j") ==
        "/overlap: 'QUEUE' is not one of SKIP, BUFFER_ONE, BUFFER_ALL, CANCEL_OTHER, ALLOW_ALL");
  CHECK(ErrorOf(R"j({"name":"t","machine":"m","schedule":"rate(1 hour)","catchup":"SOME"})j") ==
        "/catchup/policy: 'SOME' is not one of NONE, LATEST, ALL");
  CHECK(ErrorOf(R"j({"name":"t","machine":"m","schedule":"rate(1 hour)","input":"{% 1 + %}"})j")
            .starts_with("/input: "));
  CHECK(ErrorOf(R"j({"name":"t","machine":"m","schedule":"rate(1 hour)","sechedule":1})j")
            .starts_with("/sechedule: unknown field"));
  CHECK(ErrorOf(R"j({"name":"t","machine":"m","schedule":"rate(1 hour)","remainingRuns":"2"})j") ==
        "/remainingRuns: must be an integer, not a string");
  CHECK(ErrorOf(R"j([1])j") == "a trigger is an object, not an array");
}

TEST_CASE("trigger spec: times as users write them") {
  CHECK(*ParseTimeMs("2026-01-01T02:00:00Z") == 1767232800000);
  CHECK(*ParseTimeMs("2026-01-01T03:00:00+01:00") == 1767232800000);
  CHECK(*ParseTimeMs("2026-01-01T02:00:00") == 1767232800000);
  CHECK(*ParseTimeMs("2026-01-01T02:00:00.250Z") == 1767232800250);
  CHECK(*ParseTimeMs("2026-01-01") == 1767225600000);
  CHECK_FALSE(ParseTimeMs("2026-13-01"));
  CHECK_FALSE(ParseTimeMs("tomorrow"));
  CHECK_FALSE(ParseTimeMs(""));
}

TEST_CASE("trigger spec: names and keys derived from occurrences") {
  const int64_t t = 1767232800;  // 2026-01-01T02:00:00Z
  CHECK(OccurrenceKey(t) == "2026-01-01T02:00:00Z");
  CHECK(ScheduledExecutionName("nightly", t) == "nightly-20260101T020000Z");
  CHECK(*ScheduledSecondsOfKey("2026-01-01T02:00:00Z") == t);
  CHECK_FALSE(ScheduledSecondsOfKey("manual:1767232800000"));
  CHECK_FALSE(ScheduledSecondsOfKey("webhook:2026-01-01T02:00:00Z"));
  CHECK(ManualExecutionName("nightly", 1767232800123) == "nightly-manual-1767232800123");
  // Webhook names: fixed per key, different between keys, always short.
  const std::string a = WebhookExecutionName("h", WebhookKey("order-1"));
  CHECK(a == WebhookExecutionName("h", WebhookKey("order-1")));
  CHECK(a != WebhookExecutionName("h", WebhookKey("order-2")));
  CHECK(a.size() == 2 + 16);
  const std::string longest(kMaxTriggerName, 'x');
  CHECK(ScheduledExecutionName(longest, t).size() <= 80);
  CHECK(ManualExecutionName(longest, 1767232800123).size() <= 80);
  CHECK(WebhookExecutionName(longest, "k").size() <= 80);
}

TEST_CASE("trigger spec: a compiled trigger's occurrences, fire times and input") {
  auto spec = ParseTriggerSpec(Parse(R"j({"name":"t","machine":"m",
      "schedule":{"expression":"cron(30 2 * * ? *)","timezone":"Europe/Berlin",
                  "end":"2024-04-02T00:00:00Z"}})j"));
  REQUIRE(spec.ok());
  auto compiled = CompiledTrigger::Compile(*spec);
  REQUIRE(compiled.ok());
  // Berlin springs forward on 2024-03-31: 02:30 does not exist and fires at
  // the end of the gap, 03:00 CEST (01:00Z).
  auto times = (*compiled)->Occurrences(1711756800, 10);  // from 2024-03-30T00:00:00Z
  REQUIRE(times.size() == 3);
  CHECK(OccurrenceKey(times[0]) == "2024-03-30T01:30:00Z");
  CHECK(OccurrenceKey(times[1]) == "2024-03-31T01:00:00Z");
  CHECK(OccurrenceKey(times[2]) == "2024-04-01T00:30:00Z");
  CHECK((*compiled)->FireMs(times[0]) == times[0] * 1000);
  Json context = Json::object({{"trigger", "t"}});
  CHECK(*(*compiled)->Input(context, 0) == context);
}

}  // namespace
}  // namespace stepflow::triggers
