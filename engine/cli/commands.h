// The `stepflow` subcommands that need no server. Each returns the process
// exit code and writes to the given streams, so tests can call them
// directly. Exit codes (ARCHITECTURE.md §6): 0 success, 1 invalid or
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

}  // namespace stepflow::cli
