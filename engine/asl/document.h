// The parsed form of a definition: its JSON value plus where each node came
// from in the source text, so diagnostics can name a line and column.
//
// ParseDefinition reads JSON or YAML (by file extension when given, else by
// content: text whose first non-blank character is '{' is JSON). YAML is
// read with the 1.2 core schema, as JSON's superset: anchors and aliases are
// resolved, merge keys (<<) merged, plain yes/no/on/off stay strings except
// in ASL's boolean fields (End, BooleanEquals, Is*), big integers and floats
// keep their JSON meaning.
//
// Limits (ParseLimits) are checked while reading and reported as
// diagnostics; no input crashes or exhausts memory.
//
// Thread-safety: a Document is immutable after parsing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/asl/diagnostic.h"
#include "engine/common/json_util.h"

namespace stepflow::asl {

enum class SourceFormat { kJson, kYaml };

struct SourcePosition {
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

struct ParseLimits {
  size_t max_bytes = 1024 * 1024;  // ASL definition size limit (1 MiB)
  int max_depth = 200;             // nesting of objects/arrays
  size_t max_nodes = 1000000;      // values after YAML alias expansion
};

class Document {
 public:
  Document() = default;
  Document(Json root, SourceFormat format) : root_(std::move(root)), format_(format) {}

  const Json& root() const { return root_; }
  SourceFormat format() const { return format_; }

  // Where the value at `pointer` starts; nullptr when unknown.
  const SourcePosition* PositionOf(const std::string& pointer) const;
  // Where the key of the member at `pointer` starts (YAML and JSON); falls
  // back to the value's position.
  const SourcePosition* KeyPositionOf(const std::string& pointer) const;

  void set_root(Json root) { root_ = std::move(root); }
  void SetPosition(std::string pointer, SourcePosition pos) { positions_[std::move(pointer)] = pos; }
  void SetKeyPosition(std::string pointer, SourcePosition pos) { key_positions_[std::move(pointer)] = pos; }

 private:
  Json root_;
  SourceFormat format_ = SourceFormat::kJson;
  std::unordered_map<std::string, SourcePosition> positions_;
  std::unordered_map<std::string, SourcePosition> key_positions_;
};

struct ParseResult {
  std::optional<Document> document;      // set when the text could be read
  std::vector<Diagnostic> diagnostics;   // parse problems (errors)
};

// `filename` may be empty; its extension (.json, .yaml, .yml) decides the
// format when present.
ParseResult ParseDefinition(std::string_view text, std::string_view filename = {},
                            const ParseLimits& limits = {});

// Readers for one format; used by ParseDefinition and by tests.
ParseResult ParseJsonText(std::string_view text, const ParseLimits& limits);
ParseResult ParseYamlText(std::string_view text, const ParseLimits& limits);

// True when `text` is valid UTF-8; otherwise *bad_offset is the first bad byte.
bool IsValidUtf8(std::string_view text, size_t* bad_offset);

}  // namespace stepflow::asl
