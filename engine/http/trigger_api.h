// Managing triggers over HTTP (docs/triggers.md), beside the console's
// reads (GET /api/triggers, GET /api/triggers/NAME):
//
//   POST   /api/triggers                 body: a description (JSON); ?create=true refuses
//                                        an existing name (409), else create or replace
//   POST   /api/triggers/NAME/pause      and /unpause
//   POST   /api/triggers/NAME/run        body: the input as is (optional)
//   POST   /api/triggers/NAME/backfill   body: {"from": RFC 3339, "to": RFC 3339}
//   DELETE /api/triggers/NAME
//
// Answers are JSON: the trigger as GET shows it, {"executionId", "startMs"}
// for run, {"occurrences", "started", "alreadyStarted", "failed",
// "executionIds", "errors"} for backfill; errors as StatusResponse says
// (400 for a bad description, naming the field).
//
// Thread-safety: Handle may be called from any thread; a backfill answers
// from the engine's loop thread once its starts are committed.
#pragma once

#include "engine/api/control_plane.h"
#include "engine/http/server.h"

namespace stepflow::http {

class TriggerApi {
 public:
  explicit TriggerApi(api::ControlPlane* plane) : plane_(plane) {}

  // Whether the request is one of the writes above (the reads are the
  // console's).
  static bool Matches(const Request& request);
  void Handle(Request&& request, Reply reply);

  // The trigger as the HTTP API and the console show it.
  static Json ViewJson(const api::TriggerView& view);

 private:
  api::ControlPlane* plane_;
};

// A JSON answer (Content-Type application/json, one line).
Response JsonAnswer(int status, const Json& body);

// The JSON answers of the HTTP listener's own APIs (console, triggers,
// webhooks) carry errors as {"error": {"code": "NotFound", "message": ...}}.
Json ErrorBody(const std::string& code, const std::string& message);
// An error with the HTTP status of its code: 400 InvalidArgument, 404
// NotFound, 409 Conflict (a precondition, a name taken), 413 TooLarge, 503
// Unavailable, 500 InternalError.
Response StatusResponse(const Status& status);

}  // namespace stepflow::http
