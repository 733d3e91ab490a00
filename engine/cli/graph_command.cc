#include <filesystem>
#include <iostream>

#include "engine/asl/validator.h"
#include "engine/cli/commands.h"
#include "engine/graph/compiler.h"
#include "engine/graph/export.h"

namespace stepflow::cli {

int GraphCommand(const std::string& file, const std::string& format, std::ostream& out,
                 std::ostream& err) {
  if (format != "dot" && format != "mermaid") {
    err << "stepflow graph: unknown format '" << format << "': use dot or mermaid\n";
    return 2;
  }
  asl::ParseLimits limits;
  std::string text, error;
  if (!ReadDefinitionFile(file, limits.max_bytes, &text, &error)) {
    err << "stepflow graph: " << error << "\n";
    return 2;
  }
  auto compiled = graph::CompileText(text, file == "-" ? "" : file);
  if (!compiled.graph) {
    for (const auto& d : compiled.diagnostics) {
      if (d.severity == asl::Severity::kError) PrintDiagnostic(err, file, d);
    }
    err << "stepflow graph: " << file << " is not a valid definition\n";
    return 1;
  }
  std::string title = file == "-" ? "stepflow" : std::filesystem::path(file).filename().string();
  out << (format == "dot" ? graph::ExportDot(*compiled.graph, title)
                          : graph::ExportMermaid(*compiled.graph));
  return 0;
}

}  // namespace stepflow::cli
