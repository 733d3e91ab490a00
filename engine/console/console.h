// The web console on `stepflow server --http` (docs/console.md): the
// page's assets, its JSON API under /api/ and the live history streams.
//
//   console::Console console(store, options);
//   ... in the HTTP handler:
//   if (console.Handle(request, reply)) return;   // a console request
//   ... in the store decorator, after each commit:
//   console.Committed(execution_id);              // wakes the live streams
//
// Reads go through the store; actions (start, stop, redrive) are not here:
// the page sends them to the Step Functions API (POST /), checked by
// CrossSite like every state-changing request.
//
// Thread-safety: Handle and Committed may be called from any thread. The
// API's reads run on the console's own threads, never on the HTTP server's.
#pragma once

#include <memory>
#include <string>

#include "engine/api/control_plane.h"
#include "engine/http/server.h"
#include "engine/store/store.h"

namespace stepflow::functions {
class LocalInvoker;
}

namespace stepflow::console {

struct ConsoleOptions {
  std::string assets_dir;  // "" = the assets compiled in
  std::string region = "us-east-1";
  std::string account = "123456789012";
  int threads = 2;                           // readers of the API
  functions::LocalInvoker* local = nullptr;  // instance counts of deployed functions
  api::ControlPlane* plane = nullptr;         // triggers (next fire times); none: no triggers
};

class Console {
 public:
  Console(store::Store* store, ConsoleOptions options);
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Answers `request` when it is the console's (GET of a page, an asset or
  // /api/...) and returns true; false leaves it to the caller.
  bool Handle(http::Request& request, http::Reply& reply);

  // Some steps of `execution_id` were committed.
  void Committed(const std::string& execution_id);

  // Ends the live streams and stops the threads (also done by the destructor).
  void Shutdown();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Whether a state-changing request comes from a page of another site: its
// Sec-Fetch-Site is neither same-origin nor none, or its Origin does not
// name the Host it was sent to. Requests without either header (the AWS
// CLI and SDKs) are not cross-site.
bool CrossSite(const http::Request& request);

// Whether the Host header names the loopback interface (localhost,
// 127.0.0.0/8, [::1]) — a page of another site reaching 127.0.0.1 through
// a DNS name it controls does not.
bool LoopbackHost(const http::Request& request);

// The headers every console answer carries: a strict Content-Security-Policy,
// nosniff, no referrer, no framing.
void AddSecurityHeaders(http::Response* response);

}  // namespace stepflow::console
