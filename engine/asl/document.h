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
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
  const SourcePosition* PositionOf(std::string_view pointer) const;
  // Where the key of the member at `pointer` starts; falls back to the
  // value's position.
  const SourcePosition* KeyPositionOf(std::string_view pointer) const;

  // For readers: record positions while reading, then set_root() once,
  // which also indexes the positions for lookup.
  void SetPosition(std::string_view pointer, SourcePosition pos) {
    values_.push_back({Key(pointer), pos});
  }
  void SetKeyPosition(std::string_view pointer, SourcePosition pos) {
    keys_.push_back({Key(pointer), pos});
  }
  void set_root(Json root);

 private:
  // Positions are kept in sorted vectors keyed by a 64-bit hash of the
  // pointer: a definition of 10,000 states has ~200,000 values, and a
  // string-keyed map of them cost more than the parse itself.
  struct Entry {
    uint64_t key;
    SourcePosition pos;
  };
  static uint64_t Key(std::string_view pointer);
  static const SourcePosition* Lookup(const std::vector<Entry>& entries, std::string_view pointer);

  Json root_;
  SourceFormat format_ = SourceFormat::kJson;
  std::vector<Entry> values_;
  std::vector<Entry> keys_;
};

struct ParseResult {
  std::optional<Document> document;     // set when the text could be read
  std::vector<Diagnostic> diagnostics;  // parse problems (errors)
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
