#include "engine/triggers/spec.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "engine/common/hash.h"
#include "engine/expr/timestamp.h"

namespace stepflow::triggers {

namespace {

// "/schedule/timezone: unknown time zone ..." (the whole description: no pointer).
Status FieldError(const std::string& pointer, const std::string& message) {
  return Status::InvalidArgument(pointer.empty() ? message : pointer + ": " + message);
}

std::string TypeName(const Json& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_null()) return "null";
  return "a number";
}

int64_t FloorSeconds(int64_t ms) { return ms / 1000 - (ms % 1000 < 0); }

// Reads the members of one object, refusing unknown ones (a misspelt field
// silently ignored is a schedule that never does what was meant).
class Fields {
 public:
  Fields(const Json& object, std::string pointer) : object_(object), pointer_(std::move(pointer)) {}

  Status CheckKnown(std::initializer_list<const char*> known) const {
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      if (std::none_of(known.begin(), known.end(),
                       [&](const char* k) { return it.key() == k; })) {
        std::string list;
        for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
        return FieldError(pointer_ + "/" + it.key(), "unknown field (known: " + list + ")");
      }
    }
    return Status::Ok();
  }
  const Json* Find(const char* name) const {
    auto it = object_.find(name);
    return it == object_.end() ? nullptr : &*it;
  }
  std::string Pointer(const char* name) const { return pointer_ + "/" + name; }

  Result<std::optional<std::string>> String(const char* name) const {
    const Json* v = Find(name);
    if (v == nullptr) return std::optional<std::string>();
    if (!v->is_string()) return FieldError(Pointer(name), "must be a string, not " + TypeName(*v));
    return std::optional<std::string>(v->get<std::string>());
  }
  Result<std::optional<int64_t>> Integer(const char* name, int64_t min, int64_t max) const {
    const Json* v = Find(name);
    if (v == nullptr) return std::optional<int64_t>();
    if (!v->is_number_integer()) {
      return FieldError(Pointer(name), "must be an integer, not " + TypeName(*v));
    }
    int64_t n = v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX)
                    ? INT64_MAX
                    : v->get<int64_t>();
    if (n < min || n > max) {
      return FieldError(Pointer(name), "must be between " + std::to_string(min) + " and " +
                                           std::to_string(max) + ", not " + std::to_string(n));
    }
    return std::optional<int64_t>(n);
  }
  Result<std::optional<int64_t>> Time(const char* name) const {
    STEPFLOW_ASSIGN_OR_RETURN(auto text, String(name));
    if (!text) return std::optional<int64_t>();
    auto ms = ParseTimeMs(*text);
    if (!ms) {
      return FieldError(Pointer(name), "'" + *text +
                                           "' is not an RFC 3339 time such as "
                                           "2026-01-01T02:00:00Z or 2026-01-01T03:00:00+01:00");
    }
    return std::optional<int64_t>(FloorSeconds(*ms));
  }

 private:
  const Json& object_;
  std::string pointer_;
};

std::string Upper(std::string_view text) {
  std::string s(text);
  for (char& c : s) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string CompactUtc(int64_t seconds) {  // 20260101T020000Z
  std::string iso = expr::Timestamp{seconds, 0}.ToString();  // 2026-01-01T02:00:00Z
  std::string out;
  for (char c : iso) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

}  // namespace

std::optional<int64_t> ParseTimeMs(std::string_view text) {
  if (auto t = expr::Timestamp::Parse(text)) return t->ToMillis();
  std::string utc(text);
  if (utc.size() == 10) utc += "T00:00:00";  // a date alone
  if (auto t = expr::Timestamp::Parse(utc + "Z")) return t->ToMillis();
  return std::nullopt;
}

Status CheckTriggerName(const std::string& name) {
  if (name.empty() || name.size() > kMaxTriggerName) {
    return Status::InvalidArgument("trigger name '" + name + "' must have 1 to " +
                                   std::to_string(kMaxTriggerName) + " characters");
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return Status::InvalidArgument("trigger name '" + name +
                                     "' may only contain letters, digits, '-', '_' and '.'");
    }
  }
  return Status::Ok();
}

std::string OverlapName(Overlap overlap) {
  switch (overlap) {
    case Overlap::kSkip: return "SKIP";
    case Overlap::kBufferOne: return "BUFFER_ONE";
    case Overlap::kBufferAll: return "BUFFER_ALL";
    case Overlap::kCancelOther: return "CANCEL_OTHER";
    case Overlap::kAllowAll: return "ALLOW_ALL";
  }
  return "SKIP";
}

std::string CatchupName(Catchup catchup) {
  switch (catchup) {
    case Catchup::kNone: return "NONE";
    case Catchup::kLatest: return "LATEST";
    case Catchup::kAll: return "ALL";
  }
  return "LATEST";
}

std::optional<Overlap> ParseOverlap(std::string_view text) {
  std::string s = Upper(text);
  for (Overlap o : {Overlap::kSkip, Overlap::kBufferOne, Overlap::kBufferAll,
                    Overlap::kCancelOther, Overlap::kAllowAll}) {
    if (s == OverlapName(o)) return o;
  }
  return std::nullopt;
}

std::optional<Catchup> ParseCatchup(std::string_view text) {
  std::string s = Upper(text);
  for (Catchup c : {Catchup::kNone, Catchup::kLatest, Catchup::kAll}) {
    if (s == CatchupName(c)) return c;
  }
  return std::nullopt;
}

Result<TriggerSpec> ParseTriggerSpec(const Json& description) {
  if (!description.is_object()) {
    return FieldError("", "a trigger is an object, not " + TypeName(description));
  }
  Fields top(description, "");
  STEPFLOW_RETURN_IF_ERROR(top.CheckKnown({"name", "machine", "schedule", "webhook", "input",
                                           "overlap", "catchup", "remainingRuns", "paused"}));
  TriggerSpec spec;
  STEPFLOW_ASSIGN_OR_RETURN(auto name, top.String("name"));
  if (!name) return FieldError("/name", "is required");
  if (Status st = CheckTriggerName(*name); !st.ok()) return FieldError("/name", st.message());
  spec.name = *name;

  STEPFLOW_ASSIGN_OR_RETURN(auto machine, top.String("machine"));
  if (!machine || machine->empty()) return FieldError("/machine", "is required");
  spec.machine = *machine;
  if (size_t colon = machine->rfind(':'); colon != std::string::npos) {
    std::string v = machine->substr(colon + 1);
    bool digits = !v.empty() && v.size() < 10 &&
                  std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoll(v) == 0) {
      return FieldError("/machine", "'" + *machine +
                                        "' is not MACHINE or MACHINE:VERSION (a version is a "
                                        "positive number)");
    }
    spec.machine = machine->substr(0, colon);
    spec.version = std::stoll(v);
  }

  const Json* schedule = top.Find("schedule");
  const Json* webhook = top.Find("webhook");
  if ((schedule == nullptr) == (webhook == nullptr)) {
    return FieldError("", "a trigger has exactly one of 'schedule' and 'webhook'");
  }
  if (schedule != nullptr) {
    if (schedule->is_string()) {  // schedule: "rate(5 minutes)"
      spec.expression = schedule->get<std::string>();
    } else if (!schedule->is_object()) {
      return FieldError("/schedule", "must be an object or an expression string, not " +
                                         TypeName(*schedule));
    } else {
      Fields s(*schedule, "/schedule");
      STEPFLOW_RETURN_IF_ERROR(
          s.CheckKnown({"expression", "timezone", "start", "end", "jitterSeconds"}));
      STEPFLOW_ASSIGN_OR_RETURN(auto expression, s.String("expression"));
      if (!expression) return FieldError("/schedule/expression", "is required");
      spec.expression = *expression;
      STEPFLOW_ASSIGN_OR_RETURN(auto tz, s.String("timezone"));
      if (tz) spec.timezone = *tz;
      STEPFLOW_ASSIGN_OR_RETURN(spec.start_seconds, s.Time("start"));
      STEPFLOW_ASSIGN_OR_RETURN(spec.end_seconds, s.Time("end"));
      STEPFLOW_ASSIGN_OR_RETURN(auto jitter, s.Integer("jitterSeconds", 0, kMaxJitterSeconds));
      spec.jitter_seconds = jitter.value_or(0);
    }
    auto parsed = ParseSchedule(spec.expression);
    if (!parsed.ok()) {
      return FieldError(schedule->is_string() ? "/schedule" : "/schedule/expression",
                        parsed.status().message());
    }
    if (!TimeZone::Load(spec.timezone).ok()) {
      return FieldError("/schedule/timezone",
                        "unknown time zone '" + spec.timezone +
                            "' (an IANA name such as Europe/Berlin or America/New_York, or UTC)");
    }
    if (spec.start_seconds && spec.end_seconds && *spec.end_seconds <= *spec.start_seconds) {
      return FieldError("/schedule/end", "the end must be after the start");
    }
  } else {
    spec.webhook = true;
    if (!webhook->is_object()) {
      return FieldError("/webhook", "must be an object, not " + TypeName(*webhook));
    }
    Fields w(*webhook, "/webhook");
    STEPFLOW_RETURN_IF_ERROR(w.CheckKnown({"auth"}));
    if (const Json* auth = w.Find("auth")) {
      if (!auth->is_object()) {
        return FieldError("/webhook/auth", "must be an object, not " + TypeName(*auth));
      }
      Fields a(*auth, "/webhook/auth");
      STEPFLOW_RETURN_IF_ERROR(a.CheckKnown({"type", "secret", "token", "toleranceSeconds"}));
      STEPFLOW_ASSIGN_OR_RETURN(auto type, a.String("type"));
      std::string t = type.value_or("none");
      if (t == "hmac") {
        spec.auth.kind = WebhookAuth::Kind::kHmac;
        STEPFLOW_ASSIGN_OR_RETURN(auto secret, a.String("secret"));
        if (!secret || secret->size() < 8) {
          return FieldError("/webhook/auth/secret", "an HMAC secret of 8 characters or more is required");
        }
        spec.auth.secret = *secret;
        STEPFLOW_ASSIGN_OR_RETURN(auto tolerance, a.Integer("toleranceSeconds", 1, 86400));
        spec.auth.tolerance_seconds = tolerance.value_or(300);
      } else if (t == "bearer") {
        spec.auth.kind = WebhookAuth::Kind::kBearer;
        STEPFLOW_ASSIGN_OR_RETURN(auto token, a.String("token"));
        if (!token || token->size() < 8) {
          return FieldError("/webhook/auth/token", "a bearer token of 8 characters or more is required");
        }
        spec.auth.secret = *token;
      } else if (t != "none") {
        return FieldError("/webhook/auth/type", "'" + t + "' is not one of hmac, bearer, none");
      }
    }
  }

  if (const Json* input = top.Find("input")) {
    auto compiled = expr::JsonataTemplate::Compile(*input, "input");
    if (!compiled.ok()) return FieldError("/input", compiled.status().message());
    spec.input = *input;
  }
  STEPFLOW_ASSIGN_OR_RETURN(auto overlap, top.String("overlap"));
  if (overlap) {
    auto o = ParseOverlap(*overlap);
    if (!o) {
      return FieldError("/overlap", "'" + *overlap +
                                        "' is not one of SKIP, BUFFER_ONE, BUFFER_ALL, "
                                        "CANCEL_OTHER, ALLOW_ALL");
    }
    spec.overlap = *o;
  }
  if (const Json* catchup = top.Find("catchup")) {
    Json object = catchup->is_string() ? Json::object({{"policy", *catchup}}) : *catchup;
    if (!object.is_object()) {
      return FieldError("/catchup", "must be an object or a policy name, not " + TypeName(*catchup));
    }
    Fields c(object, "/catchup");
    STEPFLOW_RETURN_IF_ERROR(c.CheckKnown({"policy", "windowSeconds", "maxRuns"}));
    STEPFLOW_ASSIGN_OR_RETURN(auto policy, c.String("policy"));
    if (policy) {
      auto p = ParseCatchup(*policy);
      if (!p) return FieldError("/catchup/policy", "'" + *policy + "' is not one of NONE, LATEST, ALL");
      spec.catchup = *p;
    }
    STEPFLOW_ASSIGN_OR_RETURN(auto window, c.Integer("windowSeconds", 1, 366LL * 86400));
    spec.catchup_window_seconds = window.value_or(spec.catchup_window_seconds);
    STEPFLOW_ASSIGN_OR_RETURN(auto max_runs, c.Integer("maxRuns", 1, kMaxBackfillOccurrences));
    spec.catchup_max_runs = max_runs.value_or(spec.catchup_max_runs);
  }
  STEPFLOW_ASSIGN_OR_RETURN(spec.remaining_runs, top.Integer("remainingRuns", 0, INT64_MAX));
  if (const Json* paused = top.Find("paused")) {
    if (!paused->is_boolean()) return FieldError("/paused", "must be a boolean, not " + TypeName(*paused));
    spec.paused = paused->get<bool>();
  }
  return spec;
}

Json TriggerSpecJson(const TriggerSpec& spec, bool redact) {
  Json out = Json::object();
  out["name"] = spec.name;
  out["machine"] = spec.version > 0 ? spec.machine + ":" + std::to_string(spec.version) : spec.machine;
  if (spec.webhook) {
    Json auth = Json::object();
    switch (spec.auth.kind) {
      case WebhookAuth::Kind::kNone:
        auth["type"] = "none";
        break;
      case WebhookAuth::Kind::kHmac:
        auth["type"] = "hmac";
        auth["secret"] = redact ? std::string("********") : spec.auth.secret;
        auth["toleranceSeconds"] = spec.auth.tolerance_seconds;
        break;
      case WebhookAuth::Kind::kBearer:
        auth["type"] = "bearer";
        auth["token"] = redact ? std::string("********") : spec.auth.secret;
        break;
    }
    out["webhook"] = Json::object({{"auth", auth}});
  } else {
    Json s = Json::object();
    s["expression"] = spec.expression;
    s["timezone"] = spec.timezone;
    if (spec.start_seconds) s["start"] = expr::Timestamp{*spec.start_seconds, 0}.ToString();
    if (spec.end_seconds) s["end"] = expr::Timestamp{*spec.end_seconds, 0}.ToString();
    if (spec.jitter_seconds > 0) s["jitterSeconds"] = spec.jitter_seconds;
    out["schedule"] = s;
  }
  if (spec.input) out["input"] = *spec.input;
  out["overlap"] = OverlapName(spec.overlap);
  out["catchup"] = Json::object({{"policy", CatchupName(spec.catchup)},
                                 {"windowSeconds", spec.catchup_window_seconds},
                                 {"maxRuns", spec.catchup_max_runs}});
  if (spec.remaining_runs) out["remainingRuns"] = *spec.remaining_runs;
  out["paused"] = spec.paused;
  return out;
}

Result<std::shared_ptr<const CompiledTrigger>> CompiledTrigger::Compile(TriggerSpec spec) {
  auto t = std::make_shared<CompiledTrigger>();
  if (!spec.webhook) {
    STEPFLOW_ASSIGN_OR_RETURN(Schedule schedule, ParseSchedule(spec.expression));
    t->schedule = std::move(schedule);
    STEPFLOW_ASSIGN_OR_RETURN(t->zone, TimeZone::Load(spec.timezone));
  }
  if (spec.input) {
    STEPFLOW_ASSIGN_OR_RETURN(expr::JsonataTemplate input,
                              expr::JsonataTemplate::Compile(*spec.input, "input"));
    t->input = std::move(input);
  }
  t->spec = std::move(spec);
  return std::shared_ptr<const CompiledTrigger>(std::move(t));
}

std::vector<int64_t> CompiledTrigger::Occurrences(int64_t after_seconds, size_t count) const {
  if (!schedule) return {};
  return NextFireTimes(*schedule, *zone, after_seconds, count, spec.start_seconds,
                       spec.end_seconds);
}

int64_t CompiledTrigger::FireMs(int64_t scheduled_seconds) const {
  return (scheduled_seconds + Jitter(spec.name, scheduled_seconds, spec.jitter_seconds)) * 1000;
}

Result<Json> CompiledTrigger::Input(const Json& context, int64_t now_ms) const {
  if (!input) {
    if (spec.webhook) {
      auto body = context.find("body");
      return body == context.end() ? Json::object() : *body;
    }
    return context;
  }
  expr::EvalContext ctx;
  expr::JsonataScope scope(&context, ctx, now_ms);
  auto value = input->Evaluate(scope);
  if (!value.ok()) return Status::InvalidArgument("the input template failed: " + value.status().message());
  return value;
}

std::string OccurrenceKey(int64_t scheduled_seconds) {
  return expr::Timestamp{scheduled_seconds, 0}.ToString();
}

std::string ScheduledExecutionName(const std::string& trigger, int64_t scheduled_seconds) {
  return trigger + "-" + CompactUtc(scheduled_seconds);
}

std::string ManualKey(int64_t ms) { return "manual:" + std::to_string(ms); }

std::string ManualExecutionName(const std::string& trigger, int64_t ms) {
  return trigger + "-manual-" + std::to_string(ms);
}

std::string WebhookKey(const std::string& idempotency_key) { return "webhook:" + idempotency_key; }

std::string WebhookExecutionName(const std::string& trigger, const std::string& key) {
  return trigger + "-" + Sha256Hex(key).substr(0, 16);
}

std::optional<int64_t> ScheduledSecondsOfKey(const std::string& key) {
  if (key.empty() || !std::isdigit(static_cast<unsigned char>(key[0]))) return std::nullopt;
  auto t = expr::Timestamp::Parse(key);
  if (!t) return std::nullopt;
  return t->seconds;
}

}  // namespace stepflow::triggers
