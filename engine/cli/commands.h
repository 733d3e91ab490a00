// The `stepflow` subcommands that need no server (the verbs that talk to
// a server are in client.h, `stepflow server` in server_command.h). Each
// returns the process exit code and writes to the given streams, so tests
// can call them directly. Exit codes (ARCHITECTURE.md §6): 0 success, 1 invalid or
// failed, 2 bad usage (including an unreadable file).
#pragma once

#include <iosfwd>
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
// 1 another final status, 2 bad usage or invalid definition.
int RunCommand(const std::string& file, const std::string* input, const std::string* input_file,
               const std::string& name, const EngineOptions& options, std::ostream& out,
               std::ostream& err);
// `stepflow resume`: runs every unfinished execution in the database to its end.
int ResumeCommand(const EngineOptions& options, std::ostream& out, std::ostream& err);
// `stepflow exec redrive ID`.
int ExecRedriveCommand(const std::string& id, const EngineOptions& options, std::ostream& out,
                       std::ostream& err);
// `stepflow exec describe ID`, `exec history ID`, `exec list`.
int ExecDescribeCommand(const std::string& id, const EngineOptions& options, std::ostream& out,
                        std::ostream& err);
// With `logs`, what deployed functions wrote during each Task's call.
int ExecHistoryCommand(const std::string& id, const EngineOptions& options, bool reverse, bool logs,
                       std::ostream& out, std::ostream& err);
int ExecListCommand(const std::string& machine, const std::string& status,
                    const EngineOptions& options, std::ostream& out, std::ostream& err);

}  // namespace stepflow::cli
