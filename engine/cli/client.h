// The `stepflow` verbs that talk to a server over the control-plane API
// (proto/stepflow/v1/service.proto): machine …, exec start|describe|list|
// history|stop|redrive, functions …, task ….
//
// Every command writes its result to `out` and returns the exit code:
//   0  success (for the waiting verbs: the execution SUCCEEDED)
//   1  the server answered with an error, or could not be reached; exactly
//      one line on `err`: "stepflow: <verb>: <STATUS_CODE_NAME>: <message>"
//      (UNAVAILABLE names the address); or, for the waiting verbs, the
//      execution ended in another final status
//   2  bad usage found before calling the server (input that is not JSON,
//      an unreadable file, contradicting flags)
// The machine and exec verbs are written once against an ApiClient
// (client_api.h): these functions connect to options.server and call them;
// commands.h has their embedded twins (--db). Output shapes are those of
// format.h in both modes.
//
// No gRPC header is included here; the channel is created in client*.cc only.
// Thread-safety: each command is independent; none keeps state.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <vector>
#include <string>

namespace stepflow::cli {

// Where and how the client verbs call the server.
struct ClientOptions {
  std::string server;  // HOST:PORT or unix:/path (ChooseServer picks it)
  bool json = false;   // --json
  // The server was not named (no --server, no STEPFLOW_SERVER): an
  // unreachable one is reported with how to start or name one.
  bool default_server = false;
  // The verb also works without a server (--db): said in that report.
  bool has_embedded_mode = false;
  // How long to wait for the connection before reporting UNAVAILABLE, and
  // the deadline of each unary call (long polls add their wait to it).
  // Streams that follow an execution have no deadline.
  int64_t connect_timeout_ms = 5'000;
  int64_t call_timeout_ms = 30'000;
};

// The environment variable naming the server when --server is not given.
inline constexpr const char* kServerEnv = "STEPFLOW_SERVER";
// The server's gRPC address when nothing names one (`stepflow server`'s
// default --listen).
inline constexpr const char* kDefaultServer = "127.0.0.1:7233";

// Decides where a verb goes:
//   - `server_flag` (--server) wins; with an embedded-only flag also given
//     (`embedded_flag`, e.g. "--db"; "" = none) it is bad usage;
//   - verbs with an embedded mode (`has_embedded_mode`) stay embedded when
//     an embedded-only flag is given;
//   - otherwise `env_server` ($STEPFLOW_SERVER; null or "" = unset), else
//     kDefaultServer (*defaulted set).
// An address given as a URL (http://, https://: the Step Functions HTTP
// API, for the AWS CLI and SDKs) is bad usage, said as such.
// Returns false after printing the usage error on `err` (exit 2); true with
// *address set ("" = embedded mode).
bool ChooseServer(const std::string& verb, const std::string& server_flag,
                  const std::string& embedded_flag, bool has_embedded_mode, const char* env_server,
                  std::string* address, std::ostream& err, bool* defaulted = nullptr);

// ------------------------------------------------------------ state machines

// `machine create NAME FILE` / `machine update NAME FILE` (FILE "-" = stdin,
// at most 1 MiB). Prints "NAME version N" (plus a note when the definition
// equals the newest version); --json {"name","version","createdMs",
// "unchanged"}. An invalid definition: its diagnostics on `err`, one per
// line as `stepflow validate` prints them ("FILE:LINE:COL: error CODE at
// POINTER: message"), then "stepflow: machine create: INVALID_ARGUMENT:
// FILE is not a valid definition (N errors)"; exit 1.
int MachineCreateCommand(const std::string& name, const std::string& file, bool update,
                         const ClientOptions& options, std::ostream& out, std::ostream& err);
// `machine describe NAME [--version N]` (0 = the newest): fields, the list
// of versions and the definition; --json {"name","version","definition",
// "sha256","createdMs","versions":[{"version","sha256","createdMs"}]}.
int MachineDescribeCommand(const std::string& name, int64_t version, const ClientOptions& options,
                           std::ostream& out, std::ostream& err);
// `machine list`: table NAME / LATEST / CREATED; --json an array of
// {"name","latestVersion","createdMs"}. Every page is fetched.
int MachineListCommand(const ClientOptions& options, std::ostream& out, std::ostream& err);
// `machine delete NAME [--purge]`: "deleted NAME" and what became of its
// executions (closed ones stay readable unless `purge`); --json
// {"name","deleted":true,"purged":bool}.
int MachineDeleteCommand(const std::string& name, bool purge, const ClientOptions& options,
                         std::ostream& out, std::ostream& err);

// ---------------------------------------------------------------- executions

struct StartArgs {
  std::string machine;
  std::optional<std::string> input;       // --input JSON
  std::optional<std::string> input_file;  // --input-file PATH ("-" = stdin)
  std::string name;                       // --name ("" = a new UUID)
  int64_t version = 0;                    // --version (0 = the newest)
  bool wait = false;                      // --wait
};
// `exec start MACHINE …`: prints the execution id alone on one line;
// --json {"executionId","startMs","version","alreadyStarted"}. With --wait
// it follows the history until the execution closes and prints the result
// as `stepflow run` does (format.h PrintResult) instead; exit 0 SUCCEEDED,
// 1 another final status.
int ExecStartCommand(const StartArgs& args, const ClientOptions& options, std::ostream& out,
                     std::ostream& err);
// `exec describe ID`: as the embedded verb (format.h PrintDescribe).
int RemoteExecDescribeCommand(const std::string& id, const ClientOptions& options,
                              std::ostream& out, std::ostream& err);
// `exec list [--machine M] [--status S] [--max-results N] [--next-token T]`:
// as the embedded verb (PrintExecutionList; "input" and "output" are null,
// the API's list leaves them out). Without max_results every page is
// fetched; with it one page, and the token for the next one is printed on
// `err` as "stepflow exec list: more results: --next-token T".
// Newest first, as Step Functions lists them (oldest_first: the reverse).
int RemoteExecListCommand(const std::string& machine, const std::string& status,
                          int32_t max_results, const std::string& next_token,
                          const ClientOptions& options, std::ostream& out, std::ostream& err,
                          bool oldest_first = false);

struct HistoryArgs {
  std::string id;
  bool reverse = false;     // --reverse (not with follow)
  bool follow = false;      // --follow
  int32_t max_results = 0;  // --max-results: one page of that many events (0 = all)
  std::string next_token;   // --next-token: continue after an earlier page
  bool logs = false;        // --logs: deployed functions' output under their Tasks
};
// `exec history ID`: as the embedded verb (a JSON array of events or the
// table). With --follow, events are printed as they arrive until the
// execution closes: table rows under one header, or with --json one JSON
// event object per line (JSON Lines), each shaped like an element of the
// array. With max_results (not following) one page is printed and the
// token of the next one on `err`: "stepflow exec history: more events:
// --next-token T".
int RemoteExecHistoryCommand(const HistoryArgs& args, const ClientOptions& options,
                             std::ostream& out, std::ostream& err);
// `exec stop ID [--error E] [--cause C]`: "stopped ID"; --json
// {"executionId","stopMs"}.
int ExecStopCommand(const std::string& id, const std::string& error,
                    const std::optional<std::string>& cause, const ClientOptions& options,
                    std::ostream& out, std::ostream& err);
// `exec redrive ID [--wait]`: prints the id (--json {"executionId",
// "redriveMs"}); with --wait, follows it to its end and prints the result as
// the embedded `exec redrive` does (exit 0 SUCCEEDED, 1 otherwise).
int RemoteExecRedriveCommand(const std::string& id, bool wait, const ClientOptions& options,
                             std::ostream& out, std::ostream& err);

// ----------------------------------------------------------------- functions

// `functions register NAME ENDPOINT`: "registered NAME ENDPOINT as version N"
// (or "... (unchanged: version N)"); --json {"name","endpoint","version","unchanged"}.
int FunctionsRegisterCommand(const std::string& name, const std::string& endpoint,
                             const ClientOptions& options, std::ostream& out, std::ostream& err);
// `functions list`: table NAME / ENDPOINT / VERSION / SOURCE / ALIASES (the
// newest version of each); --json an array of {"name","endpoint","source",
// "version","versions":[{"version","endpoint","source","createdMs"}],"aliases":{}}.
int FunctionsListCommand(const ClientOptions& options, std::ostream& out, std::ostream& err);
// `functions integrations`: table INTEGRATION / FUNCTION; --json an array of
// {"integration","function"}.
int FunctionsIntegrationsCommand(const ClientOptions& options, std::ostream& out,
                                 std::ostream& err);
// `functions alias NAME ALIAS VERSION`, `functions unalias NAME ALIAS`.
int FunctionsAliasCommand(const std::string& name, const std::string& alias, int64_t version,
                          const ClientOptions& options, std::ostream& out, std::ostream& err);
int FunctionsUnaliasCommand(const std::string& name, const std::string& alias,
                            const ClientOptions& options, std::ostream& out, std::ostream& err);
// `functions map SERVICE:ACTION FUNCTION[:QUALIFIER]`, `functions unmap SERVICE:ACTION`.
int FunctionsMapCommand(const std::string& integration, const std::string& function,
                        const ClientOptions& options, std::ostream& out, std::ostream& err);
int FunctionsUnmapCommand(const std::string& integration, const ClientOptions& options,
                          std::ostream& out, std::ostream& err);
// `functions deploy NAME DIR [flags]`: packs DIR and deploys it:
// "deployed NAME version N (python, environment built in N ms, N ms)" or
// "... unchanged: version N"; --json the DeployFunctionResponse as JSON.
// A failed build or load prints the tool's own output (exit 1).
struct DeployFlags {
  std::string runtime, handler;  // "" = told from the files / the default
  int64_t timeout = -1, memory_mb = -1, max_instances = -1, min_instances = -1,
          keep_warm = -1;  // -1 = the default
  std::map<std::string, std::string> env;
  bool no_network = false, no_sandbox = false;
  std::vector<std::string> mounts;  // --mount PATH[:ro]
};
int FunctionsDeployCommand(const std::string& name, const std::string& dir, const DeployFlags& flags,
                           const ClientOptions& options, std::ostream& out, std::ostream& err);
// `functions describe NAME`: versions with their settings, aliases, the last
// failed deploy, instances now; --json the FunctionDescription.
int FunctionsDescribeCommand(const std::string& name, const ClientOptions& options,
                             std::ostream& out, std::ostream& err);
// `functions delete NAME`: "deleted NAME".
int FunctionsDeleteCommand(const std::string& name, const ClientOptions& options, std::ostream& out,
                           std::ostream& err);
// `functions invoke FUNCTION [--payload JSON]`: the result (JSON) on `out`,
// the function's output on `err`; exit 1 with "ERROR: cause" when it failed;
// --json {"ok","result"|"error","cause","executedVersion","log","durationMs"}.
int FunctionsInvokeCommand(const std::string& function, const std::string& payload,
                           int64_t timeout_seconds, const ClientOptions& options, std::ostream& out,
                           std::ostream& err);
// `functions logs NAME [--execution ID] [--follow]`: a header line per call
// ("== TIME NAME:VERSION EXECUTION_ID/EVENT") then its output; --json one
// object per call (JSON Lines).
int FunctionsLogsCommand(const std::string& name, const std::string& execution_id, bool follow,
                         const ClientOptions& options, std::ostream& out, std::ostream& err);
// `functions remove NAME`: "removed NAME"; --json {"name","removed":true}.
int FunctionsRemoveCommand(const std::string& name, const ClientOptions& options, std::ostream& out,
                           std::ostream& err);

// ------------------------------------------------------------- triggers
// (docs/triggers.md; through the server, which fires them)

struct TriggerFlags {
  std::string machine;                 // MACHINE[:VERSION]
  std::string schedule;                // --schedule EXPR
  bool webhook = false;                // --webhook
  std::string timezone, start, end;    // --timezone, --start, --end
  int64_t jitter = -1;                 // --jitter SECONDS
  std::string input;                   // --input JSON (a template)
  bool has_input = false;
  std::string overlap, catchup;        // --overlap, --catchup
  int64_t catchup_window = -1, catchup_max = -1, remaining = -1;
  std::string auth, secret;            // --auth hmac|bearer|none, --secret
  int64_t tolerance = -1;              // --tolerance SECONDS
  bool paused = false;                 // --paused
};
// `trigger create NAME ...`: "created schedule trigger NAME; next fire TIME";
// --json the trigger as describe --json shows it, with "unchanged".
int TriggerCreateCommand(const std::string& name, const TriggerFlags& flags,
                         const ClientOptions& options, std::ostream& out, std::ostream& err);
// `trigger apply FILE` (YAML or JSON): creates or replaces.
int TriggerApplyCommand(const std::string& file, const ClientOptions& options, std::ostream& out,
                        std::ostream& err);
// `trigger list`: NAME KIND STATE NEXT FIRE LAST OCCURRENCE; --json an array.
int TriggerListCommand(const ClientOptions& options, std::ostream& out, std::ostream& err);
// `trigger describe NAME [--occurrences N]`: the description, the next ten
// fire times, the counts and latest occurrences; --json {"name","kind",
// "description","paused","createdTime","updatedTime","nextFireTimes",
// "occurrences":[{"key","scheduledTime","outcome","executionId","detail",
// "recordedTime"}],"counts"}.
int TriggerDescribeCommand(const std::string& name, int occurrences, const ClientOptions& options,
                           std::ostream& out, std::ostream& err);
// `trigger pause|unpause NAME`.
int TriggerPauseCommand(const std::string& name, bool paused, const ClientOptions& options,
                        std::ostream& out, std::ostream& err);
// `trigger run NAME [--input JSON]`: "started EXECUTION_ID".
int TriggerRunCommand(const std::string& name, const std::string* input,
                      const ClientOptions& options, std::ostream& out, std::ostream& err);
// `trigger backfill NAME --from T --to T`: "N occurrences: S started, A
// started before, F failed"; exit 1 when some failed.
int TriggerBackfillCommand(const std::string& name, const std::string& from, const std::string& to,
                           const ClientOptions& options, std::ostream& out, std::ostream& err);
// `trigger delete NAME`: "deleted NAME".
int TriggerDeleteCommand(const std::string& name, const ClientOptions& options, std::ostream& out,
                         std::ostream& err);

// ------------------------------------------------------ activities, callbacks

// `task poll ACTIVITY [--worker NAME] [--wait-seconds N]`: one JSON line
// {"taskToken","input","executionId","stateName","heartbeatSeconds"} ("input"
// as JSON), or nothing when no task came within the wait (exit 0 both).
int TaskPollCommand(const std::string& activity, const std::string& worker, int32_t wait_seconds,
                    const ClientOptions& options, std::ostream& out, std::ostream& err);
// `task success TOKEN [--output JSON]` (default {}), `task failure TOKEN
// [--error E] [--cause C]`, `task heartbeat TOKEN`: print nothing (--json:
// {}) on success.
int TaskSuccessCommand(const std::string& token, const std::string& output,
                       const ClientOptions& options, std::ostream& out, std::ostream& err);
int TaskFailureCommand(const std::string& token, const std::string& error, const std::string& cause,
                       const ClientOptions& options, std::ostream& out, std::ostream& err);
int TaskHeartbeatCommand(const std::string& token, const ClientOptions& options, std::ostream& out,
                         std::ostream& err);

}  // namespace stepflow::cli
