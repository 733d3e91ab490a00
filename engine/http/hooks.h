// Webhook triggers: `POST /hooks/NAME` starts an execution of the trigger's
// state machine (docs/triggers.md).
//
//   POST /hooks/orders-in?wait=30     body: the execution input (JSON)
//   Idempotency-Key: 7f3c...          the same key answers the same execution
//   X-Stepflow-Signature: t=1764816000,v1=<hex HMAC-SHA256(secret, "1764816000." + body)>
//   Authorization: Bearer <token>
//
// Authentication is the trigger's: an HMAC signature (its timestamp within
// the trigger's tolerance of now), a bearer token, or none — and then only
// callers on the loopback interface are served. Failures are 401 with the
// reason; an unknown trigger 404, a paused one 409, a body that is not JSON
// 400, one past the payload limit 413; errors are {"error": {"code",
// "message"}} (trigger_api.h).
//
// Answers (JSON): without `wait`, 202 {"executionArn", "executionId",
// "startDate", "alreadyStarted"} once ExecutionStarted is committed. With
// `wait=SECONDS` (at most 300), the answer waits for the execution's end:
// 200 with its "output" when it SUCCEEDED; 500 FAILED, 504 TIMED_OUT, 409
// ABORTED with "error" and "cause"; 202 with "status": "RUNNING" if it
// still runs at the deadline.
//
// Thread-safety: Handle may be called from any thread; waits run on
// threads of their own (Drain waits for them).
#pragma once

#include "engine/api/control_plane.h"
#include "engine/http/server.h"

namespace stepflow::http {

struct HooksOptions {
  std::string region = "us-east-1";
  std::string account = "123456789012";
  std::chrono::seconds max_wait{300};
  int max_waiting = 256;  // synchronous calls waiting at once; more get 429
};

class Hooks {
 public:
  Hooks(api::ControlPlane* plane, HooksOptions options);
  ~Hooks();
  Hooks(const Hooks&) = delete;
  Hooks& operator=(const Hooks&) = delete;

  // Whether `path` is a webhook's ("/hooks/..."): then Handle answers it.
  static bool Matches(std::string_view path);
  void Handle(Request&& request, Reply reply);
  void Drain();

 private:
  api::ControlPlane* plane_;
  HooksOptions options_;
  BlockingWork waiting_;  // synchronous calls
};

}  // namespace stepflow::http
