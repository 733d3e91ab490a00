// `stepflow server`: the control plane (proto/stepflow/v1/service.proto)
// over gRPC, running executions in this process until SIGTERM/SIGINT.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

namespace stepflow::cli {

struct ServerOptions {
  std::string db;                          // "" = ./stepflow.db
  std::string listen = "127.0.0.1:7233";  // HOST:PORT; port 0 = chosen by the OS
  std::string http = "127.0.0.1:8083";    // the Step Functions HTTP API; "off" = none
  std::string aws_region;                  // "" = the request's credential scope, else us-east-1
  std::string aws_account = "123456789012";
  bool allow_unauthenticated = false;      // listen beyond loopback
  std::string console_dir;                 // serve the console's assets from DIR ("" = built in)
  std::string functions;                   // --functions FILE
  std::string functions_dir;               // --functions-dir DIR: deployed at start
  std::string data_dir;                    // --data-dir: deployed functions' files
  std::string durability = "full";         // full | normal
  int64_t max_history_events = 25'000;
  bool skip_waits = false;
  std::string log_level = "info";          // trace|debug|info|warn|error|off
  std::string log_format = "text";         // text | json (one object per line)
  // How late past its fire time a schedule's occurrence may start and still
  // be on time; later ones were missed and go to the catch-up policy.
  int64_t trigger_grace_seconds = 60;
};

// Logs to stderr (format_log.h): every execution's start and end at info,
// each step at debug, as text or JSON lines.
// Serves until SIGTERM/SIGINT, then checkpoints and exits 0. Prints
// "stepflow server listening on HOST:PORT" on standard output once ready
// (with the port the OS chose when --listen ends in :0), then, unless
// --http off, "stepflow http listening on HOST:PORT". Refuses (exit 2) an
// address other than loopback without --allow-unauthenticated. Exit 2 for bad
// usage (unreadable --functions, database locked or not a stepflow
// database, address in use), 1 when the engine fails while serving.
int ServerCommand(const ServerOptions& options, std::ostream& out, std::ostream& err);

}  // namespace stepflow::cli
