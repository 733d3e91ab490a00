// The ASL validator: every rule of the Amazon States Language that can be
// checked before running (ASL_NOTES §1–§9), for both query languages.
// Returns all problems at once, each with severity, code (diagnostic.h), a
// JSON pointer and — from the Document's positions — line:column.
//
// Pure: no I/O. Thread-safety: stateless; safe to call concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/asl/diagnostic.h"
#include "engine/asl/document.h"

namespace stepflow::asl {

// Maximum nesting of Parallel/Map bodies inside each other.
inline constexpr int kMaxStateNesting = 50;
// State names: 1..80 characters (Unicode code points).
inline constexpr size_t kMaxStateNameLength = 80;

struct ValidateOptions {
  bool warnings = true;  // include WARNING diagnostics
};

std::vector<Diagnostic> Validate(const Document& doc, const ValidateOptions& options = {});

// Parses definition text and, when it could be read, validates it: the
// parse diagnostics followed by the validator's, in one list. The document
// is set when the text could be read, even if it has errors.
ParseResult CheckDefinition(std::string_view text, std::string_view filename = {},
                            const ParseLimits& limits = {});

// The fields a state of `type` ("Task", "Pass", ...) accepts in a query
// language ("JSONPath" or "JSONata"); empty for an unknown type. The JSON
// Schema in schemas/asl.schema.json is kept equal to these by a test.
const std::vector<std::string>& AllowedStateFields(std::string_view type,
                                                   std::string_view query_language);

// The eight state type names.
const std::vector<std::string>& StateTypes();

}  // namespace stepflow::asl
