// What a trigger is: its description as users write it (JSON, or YAML
// read into JSON by the CLI), checked field by field, and the compiled form
// the scheduler and the webhook handler use.
//
//   name: nightly-etl                  # 1-56 of A-Z a-z 0-9 . _ -
//   machine: etl                       # or "etl:3" (a version); the newest otherwise
//   schedule:                          # exactly one of schedule and webhook
//     expression: cron(0 2 * * ? *)    # cron(...), rate(...), at(...): schedule.h
//     timezone: Europe/Berlin          # IANA name; UTC when absent
//     start: 2026-01-01T00:00:00Z      # RFC 3339; the window is [start, end)
//     end: 2027-01-01T00:00:00Z
//     jitterSeconds: 30                # a deterministic delay in [0, 30] per occurrence
//   webhook:
//     auth: {type: hmac, secret: s3cr3t, toleranceSeconds: 300}
//         | {type: bearer, token: t0k3n} | {type: none}  # none: loopback callers only
//   input: {"day": "{% $states.input.scheduledTime %}"}  # a template (below)
//   overlap: SKIP | BUFFER_ONE | BUFFER_ALL | CANCEL_OTHER | ALLOW_ALL   # SKIP
//   catchup: {policy: NONE | LATEST | ALL, windowSeconds: 86400, maxRuns: 100}
//   remainingRuns: 10                  # scheduled starts left; absent = no limit
//   paused: false
//
// Input. The execution input is built from the trigger context:
//   schedule  {"trigger", "source": "schedule"|"backfill"|"manual",
//              "scheduledTime", "actualTime"}            (RFC 3339 UTC)
//   webhook   {"trigger", "source": "webhook", "receivedTime", "body",
//              "headers" (lower-case names), "query"}
// Without `input`, a schedule's execution gets its context and a webhook's
// the request body. With it, `input` is a JSONata template as in ASL: every
// "{% expr %}" string is evaluated with $states.input = the context.
//
// Thread-safety: values; a CompiledTrigger is immutable once built.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/expr/jsonata_template.h"
#include "engine/triggers/schedule.h"
#include "engine/triggers/timezone.h"

namespace stepflow::triggers {

// What a schedule does when an occurrence is due while an execution it
// started is still running.
enum class Overlap {
  kSkip,         // the occurrence is recorded SKIPPED (the default)
  kBufferOne,    // kept until the running one ends; a newer one replaces it
  kBufferAll,    // every one kept, started one after the other
  kCancelOther,  // the running one is stopped, the new one started
  kAllowAll,     // started beside it
};

// What a schedule does with occurrences it missed (the server was down, the
// clock jumped, the machine too busy): those due more than the grace period
// ago when the scheduler first sees them.
enum class Catchup {
  kNone,    // every missed one is recorded MISSED
  kLatest,  // the latest one within the window starts, the others MISSED (the default)
  kAll,     // the ones within the window start, oldest first, up to maxRuns
};

struct WebhookAuth {
  enum class Kind { kNone, kHmac, kBearer } kind = Kind::kNone;
  std::string secret;                // kHmac: the shared secret; kBearer: the token
  int64_t tolerance_seconds = 300;   // kHmac: how old a signature's timestamp may be
};

struct TriggerSpec {
  std::string name;
  std::string machine;
  int64_t version = 0;  // 0 = the newest when it fires
  bool webhook = false;  // else a schedule
  // Schedules.
  std::string expression;
  std::string timezone = "UTC";
  std::optional<int64_t> start_seconds, end_seconds;  // UTC
  int64_t jitter_seconds = 0;
  // Webhooks.
  WebhookAuth auth;
  // Both.
  std::optional<Json> input;  // a template; absent = the default input
  Overlap overlap = Overlap::kSkip;
  Catchup catchup = Catchup::kLatest;
  int64_t catchup_window_seconds = 86400;
  int64_t catchup_max_runs = 100;
  std::optional<int64_t> remaining_runs;
  bool paused = false;
};

// Limits.
constexpr size_t kMaxTriggerName = 56;  // leaves room for the derived execution names
constexpr int64_t kMaxJitterSeconds = 86400;
constexpr int64_t kMaxBackfillOccurrences = 10000;

// The checks of a trigger's name alone: kInvalidArgument naming the rule.
Status CheckTriggerName(const std::string& name);

// Reads a description. Errors are kInvalidArgument naming the field as a
// JSON pointer: "/schedule/timezone: unknown time zone 'Mars/Olympus'".
// Every check that needs only the description is made here: the
// expression parses, the time zone exists, end is after start, the input
// template compiles. (Whether the machine exists is the caller's to check.)
Result<TriggerSpec> ParseTriggerSpec(const Json& description);

// The description as stored and shown; `redact` hides the webhook's secret.
Json TriggerSpecJson(const TriggerSpec& spec, bool redact = false);

std::string OverlapName(Overlap overlap);  // "SKIP", ...
std::string CatchupName(Catchup catchup);  // "LATEST", ...
// Accepts the names above in either case, '-' for '_'.
std::optional<Overlap> ParseOverlap(std::string_view text);
std::optional<Catchup> ParseCatchup(std::string_view text);

// A description compiled for firing.
struct CompiledTrigger {
  TriggerSpec spec;
  std::optional<Schedule> schedule;            // schedules
  std::shared_ptr<const TimeZone> zone;        // schedules
  std::optional<expr::JsonataTemplate> input;  // when spec.input is set

  static Result<std::shared_ptr<const CompiledTrigger>> Compile(TriggerSpec spec);

  // Up to `count` occurrences (scheduled UTC seconds) strictly after
  // `after_seconds`, in the trigger's window.
  std::vector<int64_t> Occurrences(int64_t after_seconds, size_t count) const;
  // When an occurrence fires: its scheduled time plus its jitter, in ms.
  int64_t FireMs(int64_t scheduled_seconds) const;
  // The execution input for `context` (see above); kInvalidArgument when the
  // template fails (States.QueryEvaluationError's cause as the message).
  Result<Json> Input(const Json& context, int64_t now_ms) const;
};

// Names and keys derived from an occurrence (deterministic, so a repeated
// firing finds what the first one did):
//   a scheduled occurrence  key "2026-01-01T02:00:00Z", execution "<trigger>-20260101T020000Z"
//   a manual run            key "manual:<ms>",          execution "<trigger>-manual-<ms>"
//   a webhook request       key "webhook:<Idempotency-Key or a UUID>",
//                           execution "<trigger>-<first 16 hex of SHA-256(key)>"
std::string OccurrenceKey(int64_t scheduled_seconds);
std::string ScheduledExecutionName(const std::string& trigger, int64_t scheduled_seconds);
std::string ManualKey(int64_t ms);
std::string ManualExecutionName(const std::string& trigger, int64_t ms);
std::string WebhookKey(const std::string& idempotency_key);
std::string WebhookExecutionName(const std::string& trigger, const std::string& key);
// A time as users write one for a start, an end or a backfill: RFC 3339
// ("2026-01-01T02:00:00Z", "...+01:00"), or without an offset
// ("2026-01-01T02:00:00") or a date alone ("2026-01-01"), both UTC. In
// milliseconds since the epoch; nullopt for anything else.
std::optional<int64_t> ParseTimeMs(std::string_view text);

// The scheduled time of a scheduled occurrence's key; nullopt for others.
std::optional<int64_t> ScheduledSecondsOfKey(const std::string& key);

}  // namespace stepflow::triggers
