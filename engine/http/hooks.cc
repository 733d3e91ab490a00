#include "engine/http/hooks.h"

#include "engine/common/hash.h"
#include "engine/common/json_util.h"
#include "engine/expr/timestamp.h"
#include "engine/http/trigger_api.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/executor.h"
#include "engine/triggers/firing.h"

namespace stepflow::http {
namespace {

constexpr std::string_view kPrefix = "/hooks/";
constexpr size_t kMaxIdempotencyKey = 255;

Response Error(int status, const std::string& code, const std::string& message) {
  return JsonAnswer(status, ErrorBody(code, message));
}

// "t=1764816000,v1=ab12..." → (t, v1); empty strings when absent.
std::pair<std::string, std::string> SignatureParts(std::string_view header) {
  std::string t, v1;
  size_t at = 0;
  while (at <= header.size()) {
    size_t comma = header.find(',', at);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view part = header.substr(at, comma - at);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.starts_with("t=")) t = part.substr(2);
    if (part.starts_with("v1=")) v1 = part.substr(3);
    at = comma + 1;
  }
  return {t, v1};
}

// Empty when the caller may start the trigger, else why not.
std::string Refusal(const triggers::WebhookAuth& auth, const Request& request, int64_t now_ms) {
  switch (auth.kind) {
    case triggers::WebhookAuth::Kind::kNone: {
      std::string host, port;
      if (SplitHostPort(request.remote, &host, &port) && IsLoopbackHost(host)) return "";
      return "this webhook has no authentication: it serves callers on the loopback interface "
             "only";
    }
    case triggers::WebhookAuth::Kind::kBearer: {
      std::string_view header = request.Header("authorization");
      if (!header.starts_with("Bearer ")) return "an Authorization: Bearer token is required";
      if (!ConstantTimeEquals(header.substr(7), auth.secret)) return "the bearer token is wrong";
      return "";
    }
    case triggers::WebhookAuth::Kind::kHmac: {
      auto [t, v1] = SignatureParts(request.Header("x-stepflow-signature"));
      if (t.empty() || v1.empty()) {
        return "an X-Stepflow-Signature header (t=UNIX_SECONDS,v1=HEX_HMAC_SHA256) is required";
      }
      if (t.size() > 12 || t.find_first_not_of("0123456789") != std::string::npos) {
        return "the signature's timestamp t is not a number of seconds";
      }
      const int64_t age = now_ms / 1000 - std::stoll(t);
      if (age > auth.tolerance_seconds || age < -auth.tolerance_seconds) {
        return "the signature's timestamp is " + std::to_string(age < 0 ? -age : age) + " s " +
               (age < 0 ? "ahead of" : "behind") + " the server's clock; the tolerance is " +
               std::to_string(auth.tolerance_seconds) + " s";
      }
      if (!ConstantTimeEquals(v1, HmacSha256Hex(auth.secret, t + "." + request.body))) {
        return "the signature does not match the body";
      }
      return "";
    }
  }
  return "unknown authentication";
}

}  // namespace

Hooks::Hooks(api::ControlPlane* plane, HooksOptions options)
    : plane_(plane), options_(std::move(options)), waiting_(options_.max_waiting) {}

Hooks::~Hooks() { Drain(); }

void Hooks::Drain() { waiting_.Drain(); }

bool Hooks::Matches(std::string_view path) { return path.starts_with(kPrefix); }

void Hooks::Handle(Request&& request, Reply reply) {
  const Target target = ParseTarget(request.target);
  if (target.segments.size() != 2) {
    return reply(Error(404, "NotFound", "a webhook's address is /hooks/NAME"));
  }
  if (request.method != "POST") {
    Response r = Error(405, "MethodNotAllowed", "a webhook is called with POST");
    r.headers.emplace_back("Allow", "POST");
    return reply(std::move(r));
  }
  const std::string& name = target.segments[1];
  auto trigger = plane_->WebhookTrigger(name);
  if (!trigger.ok()) return reply(StatusResponse(trigger.status()));
  const int64_t now = plane_->executor()->clock()->NowMs();
  if (std::string why = Refusal((*trigger)->spec.auth, request, now); !why.empty()) {
    Response r = Error(401, "Unauthorized", why);
    if ((*trigger)->spec.auth.kind == triggers::WebhookAuth::Kind::kBearer) {
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
    }
    return reply(std::move(r));
  }
  if (request.body.size() > plane_->options().max_payload_bytes) {
    return reply(Error(413, "TooLarge",
                       "the body has " + std::to_string(request.body.size()) +
                           " bytes; the limit is " +
                           std::to_string(plane_->options().max_payload_bytes)));
  }
  Json body = Json::object();
  if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    auto parsed = ParseJsonData(request.body);
    if (!parsed.ok()) {
      return reply(Error(400, "InvalidArgument",
                         "the body is not JSON: " + parsed.status().message()));
    }
    body = std::move(*parsed);
  }
  std::optional<int64_t> wait;
  if (target.query.count("wait")) {
    wait = target.Int("wait");
    if (!wait || *wait < 0 || *wait > options_.max_wait.count()) {
      return reply(Error(400, "InvalidArgument",
                         "wait must be a number of seconds from 0 to " +
                             std::to_string(options_.max_wait.count())));
    }
  }
  std::string idempotency(request.Header("idempotency-key"));
  if (idempotency.size() > kMaxIdempotencyKey) {
    return reply(Error(400, "InvalidArgument",
                       "the Idempotency-Key has more than " +
                           std::to_string(kMaxIdempotencyKey) + " characters"));
  }
  if (idempotency.empty()) idempotency = runtime::NewUuid();

  Json headers = Json::object();
  for (const auto& [key, value] : request.headers) {
    if (key == "authorization" || key == "x-stepflow-signature") continue;
    if (!headers.contains(key)) headers[key] = value;
  }
  Json query = Json::object();
  for (const auto& [key, value] : target.query) query[key] = value;

  triggers::Firing firing;
  firing.key = triggers::WebhookKey(idempotency);
  firing.execution_name = triggers::WebhookExecutionName(name, firing.key);
  firing.scheduled_ms = now;
  firing.context = Json::object({{"trigger", name},
                                 {"source", "webhook"},
                                 {"receivedTime", expr::Timestamp::FromMillis(now).ToString()},
                                 {"body", std::move(body)},
                                 {"headers", std::move(headers)},
                                 {"query", std::move(query)}});
  firing.detail = "webhook request from " + request.remote;

  auto arn = [this](const std::string& id) {
    return "arn:aws:states:" + options_.region + ":" + options_.account + ":execution:" + id;
  };
  plane_->FireWebhook(**trigger, firing, [this, reply, wait, arn](Result<api::TriggerRun> run) {
    if (!run.ok()) return reply(StatusResponse(run.status()));
    Json started = Json::object({{"executionArn", arn(run->execution_id)},
                                 {"executionId", run->execution_id},
                                 {"startDate", expr::Timestamp::FromMillis(run->start_ms).ToString()},
                                 {"alreadyStarted", run->already}});
    if (!wait) return reply(JsonAnswer(202, started));
    // Waiting blocks: not on the engine's loop thread this runs on.
    const bool queued = waiting_.Run([this, reply, started, id = run->execution_id,
                                      seconds = *wait]() mutable {
      auto end = plane_->WaitForEnd(id, std::chrono::seconds(seconds), {});
      if (!end.ok()) {
        reply(StatusResponse(end.status()));
      } else {
        const store::ExecutionRecord& r = *end;
        int status = 202;
        if (r.status == store::kRunning) {
          started["status"] = "RUNNING";
        } else {
          started["status"] = r.status;
          if (r.status == store::kSucceeded) {
            status = 200;
            auto output = ParseJsonData(r.output.value_or("null"));
            started["output"] = output.ok() ? *output : Json(r.output.value_or("null"));
          } else {
            status = r.status == store::kTimedOut ? 504 : r.status == store::kAborted ? 409 : 500;
            if (r.error) started["error"] = *r.error;
            if (r.cause) started["cause"] = *r.cause;
          }
        }
        reply(JsonAnswer(status, started));
      }
    });
    if (!queued) {
      started["status"] = "RUNNING";
      started["message"] = "too many synchronous webhook calls wait at once; the execution runs";
      reply(JsonAnswer(429, started));
    }
  });
}

}  // namespace stepflow::http
