#include "engine/http/trigger_api.h"

#include "engine/common/json_util.h"
#include "engine/triggers/spec.h"

namespace stepflow::http {
Response JsonAnswer(int status, const Json& body) {
  Response r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = DumpCompact(body) + "\n";
  return r;
}

Json ErrorBody(const std::string& code, const std::string& message) {
  return Json::object({{"error", Json::object({{"code", code}, {"message", message}})}});
}

Response StatusResponse(const Status& st) {
  int status = 500;
  std::string error = "InternalError";
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
      status = 400, error = "InvalidArgument";
      break;
    case StatusCode::kNotFound:
      status = 404, error = "NotFound";
      break;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kAlreadyExists:
      status = 409, error = "Conflict";
      break;
    case StatusCode::kResourceExhausted:
      status = 413, error = "TooLarge";
      break;
    case StatusCode::kUnavailable:
      status = 503, error = "Unavailable";
      break;
    default:
      break;
  }
  return JsonAnswer(status, ErrorBody(error, st.message()));
}

Json TriggerApi::ViewJson(const api::TriggerView& v) {
  Json next = Json::array();
  for (int64_t ms : v.next_fire_ms) next.push_back(ms);
  Json occurrences = Json::array();
  for (const store::TriggerOccurrence& o : v.occurrences) {
    Json j = {{"key", o.key},
              {"scheduledMs", o.scheduled_ms},
              {"outcome", o.outcome},
              {"detail", o.detail},
              {"recordedMs", o.recorded_ms}};
    if (!o.execution_id.empty()) j["executionId"] = o.execution_id;
    occurrences.push_back(std::move(j));
  }
  Json counts = Json::object();
  for (const auto& [outcome, n] : v.counts) counts[outcome] = n;
  return {{"name", v.name},
          {"kind", v.kind},
          {"paused", v.paused},
          {"description", v.description},
          {"createdMs", v.created_ms},
          {"updatedMs", v.updated_ms},
          {"nextFireMs", next},
          {"occurrences", occurrences},
          {"counts", counts},
          {"unchanged", v.unchanged}};
}

bool TriggerApi::Matches(const Request& request) {
  if (request.method != "POST" && request.method != "DELETE") return false;
  const Target t = ParseTarget(request.target);
  return t.segments.size() >= 2 && t.segments[0] == "api" && t.segments[1] == "triggers";
}

void TriggerApi::Handle(Request&& request, Reply reply) {
  const Target t = ParseTarget(request.target);
  const auto& s = t.segments;
  auto view = [&reply](Result<api::TriggerView> v, int status = 200) {
    reply(v.ok() ? JsonAnswer(status, ViewJson(*v)) : StatusResponse(v.status()));
  };
  if (request.method == "POST" && s.size() == 2) {
    const bool create = t.Get("create") == "true";
    auto put = plane_->PutTrigger(request.body, create);
    return view(std::move(put), put.ok() && !put->unchanged ? 201 : 200);
  }
  if (request.method == "DELETE" && s.size() == 3) {
    Status st = plane_->DeleteTrigger(s[2]);
    return reply(st.ok() ? JsonAnswer(200, Json::object({{"name", s[2]}, {"deleted", true}}))
                         : StatusResponse(st));
  }
  if (request.method == "POST" && s.size() == 4) {
    const std::string& name = s[2];
    const std::string& action = s[3];
    if (action == "pause" || action == "unpause") {
      return view(plane_->SetTriggerPaused(name, action == "pause"));
    }
    if (action == "run") {
      std::optional<std::string> input;
      if (request.body.find_first_not_of(" \t\r\n") != std::string::npos) input = request.body;
      return plane_->RunTrigger(name, input, [reply](Result<api::TriggerRun> run) {
        if (!run.ok()) return reply(StatusResponse(run.status()));
        reply(JsonAnswer(200, Json::object({{"executionId", run->execution_id},
                                            {"startMs", run->start_ms},
                                            {"alreadyStarted", run->already}})));
      });
    }
    if (action == "backfill") {
      auto body = ParseJsonData(request.body.empty() ? "{}" : request.body);
      std::optional<int64_t> from, to;
      if (body.ok() && body->is_object()) {
        if (auto f = body->find("from"); f != body->end() && f->is_string()) {
          from = triggers::ParseTimeMs(f->get<std::string>());
        }
        if (auto e = body->find("to"); e != body->end() && e->is_string()) {
          to = triggers::ParseTimeMs(e->get<std::string>());
        }
      }
      if (!from || !to) {
        return reply(StatusResponse(Status::InvalidArgument(
            "a backfill's body is {\"from\": RFC 3339, \"to\": RFC 3339}")));
      }
      return plane_->BackfillTrigger(
          name, *from, *to, [reply](Result<api::Backfill> b) {
            if (!b.ok()) return reply(StatusResponse(b.status()));
            reply(JsonAnswer(200, Json::object({{"occurrences", b->occurrences},
                                                {"started", b->started},
                                                {"alreadyStarted", b->already},
                                                {"failed", b->failed},
                                                {"executionIds", b->execution_ids},
                                                {"errors", b->errors}})));
          });
    }
  }
  reply(StatusResponse(Status::NotFound("no such trigger operation: " + request.method + " " +
                                        request.target)));
}

}  // namespace stepflow::http
