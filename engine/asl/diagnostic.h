// Diagnostics: what the parser and the validator report about a definition.
// Every problem is reported, not just the first. Codes are stable and follow
// Step Functions' ValidateStateMachineDefinition where it has one:
//
//   INVALID_JSON_DESCRIPTION   the text is not JSON (or not YAML: INVALID_YAML_DESCRIPTION)
//   MISSING_DESCRIPTION        the text is empty or null
//   DEFINITION_TOO_LARGE       over ParseLimits::max_bytes
//   TOO_DEEPLY_NESTED          over ParseLimits::max_depth (documents) or
//                              kMaxStateNesting (Parallel/Map bodies)
//   TOO_MANY_NODES             YAML alias expansion over ParseLimits::max_nodes
//   INVALID_ENCODING           the text is not valid UTF-8
//   SCHEMA_VALIDATION_FAILED   a field is missing, unknown, of the wrong type
//                              or out of range, or fields conflict
//   INVALID_RESOURCE           a Task's Resource is not a usable URI/name
//   MISSING_END_STATE          a States scope has no terminal state
//   DUPLICATE_STATE_NAME       a state name is used twice anywhere
//   INVALID_STATE_NAME         empty, too long or containing control chars
//   MISSING_TRANSITION_TARGET  Next/Default/StartAt names no state of its
//                              scope, or a state can never be reached
//   INVALID_PATH               a Path / Reference Path / intrinsic is invalid
//   INVALID_TIMESTAMP          a Timestamp is not RFC 3339
//   INVALID_JSONATA            a {% %} expression has the wrong shape
//   NO_DOLLAR, NO_PATH, PASS_RESULT_IS_STATIC   warnings, as Step Functions
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace stepflow::asl {

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string code;
  std::string pointer;  // JSON pointer into the definition; "" = the root
  int line = 0;         // 1-based; 0 = unknown
  int column = 0;       // 1-based; 0 = unknown
  std::string message;  // says what is wrong and what to change
};

std::string_view SeverityName(Severity s);  // "ERROR" / "WARNING"

bool HasErrors(const std::vector<Diagnostic>& diagnostics);

}  // namespace stepflow::asl
