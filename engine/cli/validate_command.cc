#include <fstream>
#include <iostream>
#include <iterator>

#include "engine/asl/document.h"
#include "engine/asl/validator.h"
#include "engine/cli/commands.h"
#include "engine/common/json_util.h"
#include "engine/functions/resource_check.h"
#include "engine/graph/compiler.h"

namespace stepflow::cli {

bool ReadDefinitionFile(const std::string& file, size_t max_bytes, std::string* text,
                        std::string* error) {
  std::istream* in = &std::cin;
  std::ifstream f;
  if (file != "-") {
    f.open(file, std::ios::binary);
    if (!f) {
      *error = "cannot read '" + file + "': no such file or not readable";
      return false;
    }
    in = &f;
  }
  text->clear();
  char buffer[64 * 1024];
  while (text->size() <= max_bytes && in->read(buffer, sizeof buffer).gcount() > 0) {
    text->append(buffer, static_cast<size_t>(in->gcount()));
  }
  if (in->bad()) {
    *error = "cannot read '" + file + "': read error";
    return false;
  }
  return true;
}

namespace {

Json DiagnosticJson(const asl::Diagnostic& d) {
  Json j = {{"severity", asl::SeverityName(d.severity)},
            {"code", d.code},
            {"pointer", d.pointer},
            {"message", d.message}};
  if (d.line > 0) j["line"] = d.line;
  if (d.column > 0) j["column"] = d.column;
  return j;
}

}  // namespace

void PrintDiagnostic(std::ostream& out, const std::string& file, const asl::Diagnostic& d) {
  out << file;
  if (d.line > 0) out << ":" << d.line << ":" << d.column;
  out << ": " << (d.severity == asl::Severity::kError ? "error" : "warning") << " " << d.code
      << " at " << (d.pointer.empty() ? "/" : d.pointer) << ": " << d.message << "\n";
}

int ValidateCommand(const std::string& file, bool json, std::ostream& out, std::ostream& err) {
  asl::ParseLimits limits;
  std::string text, error;
  if (!ReadDefinitionFile(file, limits.max_bytes, &text, &error)) {
    err << "stepflow validate: " << error << "\n";
    return 2;
  }
  auto checked = asl::CheckDefinition(text, file == "-" ? "" : file, limits);
  std::vector<asl::Diagnostic>& diagnostics = checked.diagnostics;
  bool valid = checked.document.has_value() && !asl::HasErrors(diagnostics);
  if (valid) {
    // Valid ASL that stepflow cannot run as written (an unmapped service
    // integration, an S3 ItemReader): said up front, as warnings.
    auto graph = graph::CompileDefinition(checked.document->root());
    if (graph.ok()) {
      for (auto& p : functions::FindResourceProblems(**graph, nullptr)) {
        asl::Diagnostic d;
        d.severity = asl::Severity::kWarning;
        d.code = std::move(p.code);
        d.pointer = std::move(p.pointer);
        d.message = std::move(p.message) + " (machine create and run refuse it until then)";
        if (const asl::SourcePosition* pos = checked.document->PositionOf(d.pointer)) {
          d.line = pos->line;
          d.column = pos->column;
        }
        diagnostics.push_back(std::move(d));
      }
    }
  }
  if (json) {
    Json result = {{"valid", valid}, {"diagnostics", Json::array()}};
    for (const auto& d : diagnostics) result["diagnostics"].push_back(DiagnosticJson(d));
    out << DumpCompact(result) << "\n";
  } else {
    for (const auto& d : diagnostics) PrintDiagnostic(out, file, d);
    size_t errors = 0;
    for (const auto& d : diagnostics) errors += d.severity == asl::Severity::kError;
    if (valid) {
      out << file << ": valid";
      if (!diagnostics.empty())
        out << " (" << diagnostics.size() << " warning" << (diagnostics.size() == 1 ? "" : "s")
            << ")";
      out << "\n";
    } else {
      out << file << ": invalid (" << errors << " error" << (errors == 1 ? "" : "s") << ")\n";
    }
  }
  return valid ? 0 : 1;
}

}  // namespace stepflow::cli
