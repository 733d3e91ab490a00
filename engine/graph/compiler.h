// Compiles a definition into an immutable Graph (graph.h).
//
// CompileDocument validates first and compiles only a definition without
// ERROR diagnostics; every diagnostic (warnings too) is returned either
// way. CompileDefinition compiles JSON that is already known to be valid
// (a stored version), still re-checking what compilation needs.
//
// Pure: no I/O. Thread-safety: stateless.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "engine/asl/diagnostic.h"
#include "engine/asl/document.h"
#include "engine/common/status.h"
#include "engine/graph/graph.h"

namespace stepflow::graph {

struct CompileResult {
  std::shared_ptr<const Graph> graph;        // null when invalid
  std::vector<asl::Diagnostic> diagnostics;  // parse + validation problems
};

// Parses (JSON or YAML), validates and compiles definition text.
CompileResult CompileText(std::string_view text, std::string_view filename = {});

// Validates and compiles a parsed document.
CompileResult CompileDocument(const asl::Document& doc);

// Compiles a definition without running the validator. InvalidArgument when
// something compilation relies on is malformed.
Result<std::shared_ptr<const Graph>> CompileDefinition(const Json& definition);

}  // namespace stepflow::graph
