// JSONata 2.0 (the version Step Functions uses, 2.0.6): compile an
// expression once, evaluate it many times over engine JSON.
//
//   Result<Expression> e = Expression::Compile("$sum(Account.Order.Product.Price)");
//   Evaluation r = e->Evaluate(&input, options);   // r.value or r.error
//
// Compile reports syntax errors with JSONata's S0xxx codes and the position.
// Evaluate never throws and never crashes on any expression or input: a
// runaway recursion or loop ends with U1001 at the depth / time limits of
// EvalOptions, and every other failure is a JSONata error code.
//
// Thread-safety: a compiled Expression is immutable; Evaluate may run on
// several threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/jsonata/function.h"

namespace stepflow::jsonata {

struct Node;  // the AST (ast.h)

// An error as data: the public face of Error.
struct ErrorInfo {
  std::string code;     // "S0201", "T2002", "D3030", "U1001"
  std::string message;  // jsonata-js's text
  int position = -1;    // character offset in the expression, -1 unknown
  std::string token;
  std::optional<Json> value;  // the offending value, where the code names one
};

struct EvalOptions {
  // Variables the expression may read besides its own: called with the
  // name without '$' when a variable is not bound inside the expression;
  // return nullptr when there is none (the variable is then undefined).
  std::function<const Json*(std::string_view name)> variables;
  // Variables given as JSONata values (take precedence over `variables`).
  std::span<const std::pair<std::string, Value>> bindings;
  // Extra built-ins (Step Functions' $partition, $hash, ...); they shadow
  // the standard library's functions of the same name.
  std::span<const BuiltinSpec> extra_functions;
  // Standard functions to remove (Step Functions removes $eval); calling
  // one is T1006 as for any unknown function.
  std::span<const std::string_view> removed_functions;
  // The instant $now()/$millis() report; nullopt = the system clock, read
  // once at the start of the evaluation.
  std::optional<int64_t> now_millis;
  // Uniform doubles in [0,1) for $random/$shuffle; empty = std::mt19937_64
  // seeded from std::random_device.
  std::function<double()> random;
  // Runaway guards: nested evaluation depth (U1001 beyond it) and wall
  // time (U1001 past it).
  //
  // Depth counts nested evaluations as jsonata-js's test harness does (one
  // per evaluate() entry). A level takes about 1-2.5 KiB of native stack;
  // when the calling thread has less left than max_depth needs, the
  // evaluation runs on a helper thread with a big enough stack (at most
  // 1 GiB of address space, touched only as used). Independently, every
  // nested evaluation checks the real stack and ends with U1001 before it
  // could overflow, so no max_depth and no thread can crash the process.
  int max_depth = 2000;
  std::chrono::milliseconds time_limit{10000};
};

struct Evaluation {
  std::optional<Json> value;         // nullopt = undefined (when no error)
  std::optional<ErrorInfo> error;
  bool ok() const { return !error.has_value(); }
};

class Expression {
 public:
  // Parses `text`. Failure: StatusCode::kInvalidArgument with the message
  // "CODE: text (at position N)"; ParseError gives the parts.
  static Result<Expression> Compile(std::string_view text);
  // The same, with the error as data.
  static std::variant<Expression, ErrorInfo> Parse(std::string_view text);

  // Evaluates over `input` (nullptr = undefined input).
  Evaluation Evaluate(const Json* input, const EvalOptions& options = {}) const;
  // The same with the result kept as a JSONata value (functions, array
  // flags); for the conformance harness and embedders that chain calls.
  // Throws nothing; on error `*error` is set and undefined is returned.
  Value EvaluateValue(const Value& input, const EvalOptions& options, ErrorInfo* error) const;

  const std::string& text() const;
  const Node& ast() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace stepflow::jsonata
