// JSONata in the fields of a JSONata state (ASL_NOTES §4): Arguments,
// Output, Assign, Choice Condition, Map Items/ItemSelector, Wait
// Seconds/Timestamp, TimeoutSeconds, MaxConcurrency, Fail Error/Cause, ...
//
// A field's value is a template: any JSON in which every string that starts
// with "{%" and ends with "%}" (exactly: no space outside) is a JSONata
// expression, at any depth of objects and arrays; everything else is
// copied as written. JsonataTemplate::Compile parses each expression once;
// Evaluate builds the value, replacing each expression by its result.
//
// An expression reads no implicit input: it sees the reserved variable
// $states = {input, result, errorOutput, context} (JsonataScope), the state
// machine's variables ($name), Step Functions' extra functions
// (jsonata_functions.h) and no $eval. Every failure is the ASL error
// States.QueryEvaluationError with Step Functions' cause, naming the
// expression and the field ("Output/a/b[0]", "Choices[1]/Condition"):
//   an evaluation error   "The JSONata expression '<e>' specified for the field
//                          '<f>' threw an error during evaluation: T2001: <message>"
//   an undefined result   "... specified for the field '<f>' returned nothing (undefined)."
// (undefined is an error anywhere, inside objects and arrays too: JSON
// cannot carry it).
//
// Thread-safety: a compiled JsonataTemplate is immutable and may be shared;
// a JsonataScope belongs to one evaluation on one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/expr/eval_context.h"
#include "engine/jsonata/jsonata.h"

namespace stepflow::expr {

inline constexpr const char* kQueryEvaluationError = "States.QueryEvaluationError";
// How long one expression may run (Step Functions stops one after a second),
// and how deeply its evaluation may nest (U1001 beyond).
inline constexpr std::chrono::milliseconds kJsonataTimeLimit{1000};
inline constexpr int kJsonataMaxDepth = 1000;

// True for a string that is a JSONata expression: "{%" first, "%}" last.
bool IsJsonataString(const Json& v);
bool IsJsonataExpression(std::string_view s);
// The expression inside "{% ... %}", without the spaces around it.
std::string_view JsonataBody(std::string_view s);

// What the expressions evaluated for one state read. Every pointer must
// outlive the scope; a member left null is absent from $states. $states is
// built at the first evaluation, as one object whose members borrow the
// JSON they name (nothing is copied).
class JsonataScope {
 public:
  // `input` is $states.input; ctx.context ($states.context, may be null),
  // ctx.variables and ctx.random come from `ctx`; `now_ms` is what $now()
  // and $millis() report.
  JsonataScope(const Json* input, const EvalContext& ctx, int64_t now_ms);
  JsonataScope(const Json* input, const EvalContext&& ctx, int64_t now_ms) = delete;
  JsonataScope(const JsonataScope&) = delete;
  JsonataScope& operator=(const JsonataScope&) = delete;

  // $states.result / $states.errorOutput, before the first evaluation.
  void set_result(const Json* result) { result_ = result; }
  void set_error_output(const Json* error_output) { error_output_ = error_output; }

  const jsonata::EvalOptions& options() const;

  // The JSON a member of $states names (0 input, 1 result, 2 errorOutput,
  // 3 context), or nullptr when absent: for expressions that only read a
  // path of names below $states, answered without the evaluator.
  const Json* member(int index) const;

 private:
  const Json* input_;
  const Json* result_ = nullptr;
  const Json* error_output_ = nullptr;
  const EvalContext& ctx_;
  int64_t now_ms_;
  mutable bool built_ = false;
  mutable std::pair<std::string, jsonata::Value> states_;
  mutable jsonata::EvalOptions options_;
};

struct JsonataNode;  // jsonata_template.cc

class JsonataTemplate {
 public:
  // Parses every expression in `value`. `field` names the field in
  // messages ("Output", "Catch[0]/Assign"). InvalidArgument with the
  // JSONata code, message and position of the first expression that does
  // not parse.
  static Result<JsonataTemplate> Compile(const Json& value, std::string field);

  // The value with every expression replaced by its result. On failure
  // (States.QueryEvaluationError) `*location`, when given, receives the
  // field path of the expression that failed.
  Result<Json> Evaluate(const JsonataScope& scope, std::string* location = nullptr) const;

  const std::string& field() const;
  // True when the whole field is one expression; expression() is then its
  // text (trimmed, without the delimiters), else empty.
  bool is_expression() const;
  const std::string& expression() const;

 private:
  std::shared_ptr<const JsonataNode> root_;
};

// States.QueryEvaluationError for a field whose value has the wrong type:
// "The JSONata expression '<e>' specified for the field '<f>' returned an
// unexpected result type. Expected '<expected>', but was '<type>' for
// value: <json>" (for a literal, "The value ... of the field").
Status JsonataTypeError(const JsonataTemplate& t, std::string_view expected, const Json& value);

}  // namespace stepflow::expr
