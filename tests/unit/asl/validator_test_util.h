// Helpers shared by the validator tests.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/asl/document.h"
#include "engine/asl/validator.h"
#include "engine/common/json_util.h"

namespace stepflow::asl::testing {

inline std::string Describe(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    out += std::string(SeverityName(d.severity)) + " " + d.code + " at '" + d.pointer + "'";
    if (d.line > 0) out += " (" + std::to_string(d.line) + ":" + std::to_string(d.column) + ")";
    out += ": " + d.message + "\n";
  }
  return out.empty() ? "(no diagnostics)" : out;
}

// Validates a JSON value (no source positions).
inline std::vector<Diagnostic> ValidateJson(const Json& definition,
                                            const ValidateOptions& options = {}) {
  Document doc(definition, SourceFormat::kJson);
  return Validate(doc, options);
}

// Validates definition text (JSON unless `filename` says .yaml).
inline std::vector<Diagnostic> ValidateText(std::string_view text,
                                            std::string_view filename = "definition.json") {
  ParseResult parsed = ParseDefinition(text, filename);
  INFO(Describe(parsed.diagnostics));
  REQUIRE(parsed.document.has_value());
  REQUIRE(parsed.diagnostics.empty());
  return Validate(*parsed.document);
}

inline std::vector<Diagnostic> V(const char* json) { return ValidateJson(Json::parse(json)); }

// A machine whose only state is `state`, named "A".
inline std::vector<Diagnostic> OneState(const char* state) {
  Json def = {{"StartAt", "A"}, {"States", {{"A", Json::parse(state)}}}};
  return ValidateJson(def);
}

// A JSONata machine whose only state is `state`, named "A".
inline std::vector<Diagnostic> OneJsonataState(const char* state) {
  Json def = {
      {"QueryLanguage", "JSONata"}, {"StartAt", "A"}, {"States", {{"A", Json::parse(state)}}}};
  return ValidateJson(def);
}

inline bool Has(const std::vector<Diagnostic>& ds, std::string_view code, std::string_view pointer,
                Severity severity = Severity::kError) {
  for (const auto& d : ds) {
    if (d.code == code && d.pointer == pointer && d.severity == severity) return true;
  }
  return false;
}

// Exactly one diagnostic, with this code, pointer and severity.
inline void RequireOnly(const std::vector<Diagnostic>& ds, std::string_view code,
                        std::string_view pointer, Severity severity = Severity::kError) {
  INFO(Describe(ds));
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].code == code);
  CHECK(ds[0].pointer == pointer);
  CHECK(ds[0].severity == severity);
  CHECK_FALSE(ds[0].message.empty());
}

inline void RequireNone(const std::vector<Diagnostic>& ds) {
  INFO(Describe(ds));
  REQUIRE(ds.empty());
}

}  // namespace stepflow::asl::testing
