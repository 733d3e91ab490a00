// The `stepflow` subcommands that need no server (the verbs that talk to
// a server are in client.h, `stepflow server` in server_command.h). Each
// returns the process exit code and writes to the given streams, so tests
// can call them directly. Exit codes: 0 success, 1 invalid or failed, 2 bad
// usage (including an unreadable file or a database that does not exist),
// 130 stopped by SIGINT/SIGTERM (what was left RUNNING is said on `err`).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "engine/asl/diagnostic.h"

namespace stepflow::cli {

// `stepflow validate FILE [--json]`. FILE "-" reads standard input.
int ValidateCommand(const std::string& file, bool json, std::ostream& out, std::ostream& err);

// `stepflow graph FILE [--format dot|mermaid]`.
int GraphCommand(const std::string& file, const std::string& format, std::ostream& out,
                 std::ostream& err);

// Writes one diagnostic as a compiler would:
// "FILE:LINE:COL: error CODE at POINTER: message".
void PrintDiagnostic(std::ostream& out, const std::string& file, const asl::Diagnostic& d);

// Reads a definition file, at most `max_bytes` + 1 bytes (so an oversized
// file is detected without reading all of it). False with a message in
// *error when the file cannot be read.
bool ReadDefinitionFile(const std::string& file, size_t max_bytes, std::string* text,
                        std::string* error);

// Options shared by the verbs that run executions in this process
// (embedded mode: run, resume, exec redrive) or read its database.
struct EngineOptions {
  std::string db;         // "" = ./stepflow.db (announced on stderr); ":memory:" keeps nothing
  std::string functions;  // --functions FILE
  std::string functions_dir;  // --functions-dir DIR: each sub-folder deployed as a function
  std::string data_dir;       // --data-dir: deployed functions' code and environments
  bool skip_waits = false;
  bool json = false;
  std::string durability = "full";  // full | normal
  int64_t max_history_events = 25'000;
};

// `stepflow run FILE [--input JSON | --input-file PATH] ...`: 0 SUCCEEDED,
// 1 another final status, 2 bad usage or invalid definition. Says
// "stepflow run: execution ID started" on `err` once the start is
// committed. SIGINT/SIGTERM stop it cleanly (exit 130): the execution stays
// RUNNING, checkpointed, and `err` names the commands that resume or stop it.
int RunCommand(const std::string& file, const std::string* input, const std::string* input_file,
               const std::string& name, const EngineOptions& options, std::ostream& out,
               std::ostream& err);
// `stepflow resume`: runs every unfinished execution in the database to its
// end (SIGINT/SIGTERM as for run).
int ResumeCommand(const EngineOptions& options, std::ostream& out, std::ostream& err);

// The exec verbs in embedded mode (--db), the same verbs as client.h's over
// the engine in this process (client_api.h OpenLocal). The database must
// exist (else exit 2, and no file is created).
// `stepflow exec redrive ID --db DB`: runs it to its end here, prints the result.
int ExecRedriveCommand(const std::string& id, const EngineOptions& options, std::ostream& out,
                       std::ostream& err);
// `stepflow exec describe ID`, `exec history ID`, `exec list` (newest first).
int ExecDescribeCommand(const std::string& id, const EngineOptions& options, std::ostream& out,
                        std::ostream& err);
// With `logs`, what deployed functions wrote during each Task's call.
int ExecHistoryCommand(const std::string& id, const EngineOptions& options, bool reverse, bool logs,
                       std::ostream& out, std::ostream& err);
int ExecListCommand(const std::string& machine, const std::string& status,
                    const EngineOptions& options, std::ostream& out, std::ostream& err);
// `stepflow exec stop ID --db DB`: takes the database alone (refused while
// a run, resume or server runs its executions), records ExecutionAborted.
int LocalExecStopCommand(const std::string& id, const std::string& error,
                         const std::optional<std::string>& cause, const EngineOptions& options,
                         std::ostream& out, std::ostream& err);

}  // namespace stepflow::cli
