// Internal to engine/expr: the parsed form of a Path (ASL_NOTES §3), shared
// by the parser (json_path_parser.cc) and the evaluator (json_path.cc).
#pragma once

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <variant>
#include <vector>

#include "engine/common/json_util.h"
#include "engine/expr/json_path.h"

namespace stepflow::expr {

struct FilterExpr;

struct PathSegment {
  enum class Kind { kName, kIndex, kWildcard, kSlice, kUnion, kFilter };
  Kind kind = Kind::kName;
  bool descend = false;  // preceded by "..": apply to every descendant too
  std::string name;
  long long index = 0;
  std::optional<long long> start, end;
  long long step = 1;
  std::vector<std::variant<std::string, long long>> members;
  std::shared_ptr<const FilterExpr> filter;
};

struct Path::Rep {
  std::string text_ = "$";
  PathRoot root_ = PathRoot::kInput;
  std::string variable_;
  bool definite_ = true;
  bool reference_ = true;
  std::vector<PathSegment> segments_;
};

// A filter operand: a path relative to the current node (@...), an absolute
// path ($...), or a literal.
struct FilterOperand {
  enum class Kind { kRelative, kAbsolute, kLiteral } kind = Kind::kLiteral;
  std::vector<PathSegment> segments;
  Json literal;
};

struct FilterExpr {
  enum class Kind { kOr, kAnd, kNot, kCompare, kExists } kind = Kind::kExists;
  std::vector<std::shared_ptr<const FilterExpr>> children;
  FilterOperand lhs, rhs;
  // == != < <= > >=, or one of Jayway's: in nin subsetof anyof noneof size
  // empty =~
  std::string op;
  std::shared_ptr<const std::regex> regex;  // for =~
};

}  // namespace stepflow::expr
