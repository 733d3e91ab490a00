// Choice rules of JSONPath Choice states (ASL_NOTES §8): the 41 operators.
//
// A rule is compiled once from its JSON object and evaluated per visit.
// Data-test rules compare the value at `Variable` with a literal or with the
// value at another path (the ...Path operators). A type mismatch is false,
// never an error. A missing Variable fails with States.Runtime, except for
// IsPresent, which is then false. A ...Path operand that does not exist is
// States.Runtime as well.
//
// Thread-safety: a compiled ChoiceRule is immutable and may be shared.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/expr/eval_context.h"
#include "engine/expr/json_path.h"

namespace stepflow::expr {

class ChoiceRule {
 public:
  enum class Kind { kAnd, kOr, kNot, kDataTest };

  // The names of every comparison operator (39: all but And/Or/Not), e.g.
  // "StringEquals", "NumericLessThanPath", "IsPresent".
  static const std::vector<std::string>& ComparisonOperators();
  // True for "StringEqualsPath" and the other operators taking a path.
  static bool IsPathOperator(std::string_view op);

  // Compiles a rule object ({"Variable": "$.x", "NumericEquals": 3},
  // {"And": [...]}, {"Not": {...}}). Next, Assign and Comment are ignored
  // here (the graph keeps them). InvalidArgument on a malformed rule; the
  // validator reports shape problems with pointers before compilation.
  static Result<ChoiceRule> Compile(const Json& rule);

  // Evaluates against the effective input. See the header comment for the
  // error cases.
  Result<bool> Evaluate(const Json& input, const EvalContext& ctx) const;

  Kind kind() const { return kind_; }
  // Data tests: the operator name and its operand as written.
  const std::string& op() const { return op_; }
  const Json& operand() const { return operand_; }
  const Path& variable() const { return variable_; }
  const std::vector<ChoiceRule>& children() const { return children_; }
  // A short human description, e.g. "$.x NumericGreaterThan 3" or
  // "And(2 rules)", for graph labels.
  std::string Describe() const;

 private:
  Kind kind_ = Kind::kDataTest;
  std::string op_;
  Json operand_;
  Path variable_;
  std::optional<Path> operand_path_;
  std::vector<ChoiceRule> children_;
};

// Glob matching of StringMatches: '*' matches any run of characters; "\*"
// is a literal star and "\\" a literal backslash. A dangling backslash makes
// the pattern invalid (States.Runtime at evaluation, a diagnostic at
// validation).
bool IsValidStringMatchesPattern(std::string_view pattern);
bool StringMatches(std::string_view text, std::string_view pattern);

}  // namespace stepflow::expr
