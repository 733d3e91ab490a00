// The 18 intrinsic functions of the Amazon States Language (ASL_NOTES §9),
// usable in payload templates ("key.$": "States.Format('{}', $.x)"),
// ErrorPath/CausePath and Assign.
//
// An intrinsic is parsed once: IntrinsicCall::Parse checks the syntax, that
// the function name is one of the 18, and that the argument count fits the
// function. Evaluation is pure apart from States.UUID and unseeded
// States.MathRandom, which draw from EvalContext::random.
//
// Argument syntax: 'quoted string' (\' \{ \} \\ escapes), numbers, null,
// true/false, paths ($..., $$..., $name...), nested intrinsic calls.
//
// Thread-safety: a parsed IntrinsicCall is immutable and may be shared.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/expr/eval_context.h"
#include "engine/expr/json_path.h"

namespace stepflow::expr {

class IntrinsicCall {
 public:
  // One argument: a literal value, a path, or a nested call.
  struct Arg {
    enum class Kind { kLiteral, kPath, kCall } kind = Kind::kLiteral;
    Json literal;
    // For a quoted-string literal: the source text between the quotes with
    // its escapes intact, so States.Format can tell an escaped \{ from a
    // placeholder. Empty for every other argument.
    std::string raw;
    std::shared_ptr<const Path> path;
    std::shared_ptr<const IntrinsicCall> call;
  };

  // Parses `text`, e.g. "States.Format('Hi {}', $.name)". InvalidArgument
  // naming the problem: unknown function, wrong argument count, bad escape,
  // unterminated string, trailing characters. Nesting is limited to 32.
  static Result<IntrinsicCall> Parse(std::string_view text);

  // True when `text` has the shape of a call: a name of [A-Za-z0-9._]
  // followed by '('. Used to tell an intrinsic from a plain string.
  static bool LooksLikeCall(std::string_view text);

  // Names of all 18 functions, e.g. "States.Format".
  static const std::vector<std::string>& FunctionNames();

  // Evaluates the call. Failures are Status::AslError with
  // "States.IntrinsicFailure" (bad argument types or values) or
  // "States.Runtime"/NotFound cases mapped to States.IntrinsicFailure too,
  // and a cause naming the function and the problem.
  Result<Json> Evaluate(const Json& input, const EvalContext& ctx) const;

  const std::string& name() const { return name_; }
  const std::vector<Arg>& args() const { return args_; }
  const std::string& text() const { return text_; }

 private:
  std::string name_;
  std::string text_;
  std::vector<Arg> args_;
  friend class IntrinsicParser;
};

}  // namespace stepflow::expr
