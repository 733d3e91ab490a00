// The JSONPath input/output pipeline of a state (ASL_NOTES §3):
//
//   raw input → InputPath → Parameters → [work] → ResultSelector
//             → ResultPath (over the raw input) → OutputPath → state output
//
// Each step is a pure function. Failures are ASL errors:
//   InputPath/OutputPath selecting nothing     States.Runtime
//   Parameters/ResultSelector path failure     States.ParameterPathFailure
//   an intrinsic failing                        States.IntrinsicFailure
//   ResultPath that cannot be applied           States.ResultPathMatchFailure
//
// Thread-safety: the compiled pieces are immutable and may be shared.
#pragma once

#include <optional>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/expr/eval_context.h"
#include "engine/expr/json_path.h"
#include "engine/expr/payload_template.h"

namespace stepflow::expr {

// How an InputPath/OutputPath/ResultPath field was written.
struct PathField {
  enum class Mode { kDefault, kNull, kPath };
  Mode mode = Mode::kDefault;  // kDefault behaves as "$"
  Path path;

  // From the field's JSON value: nullptr = absent, null = kNull, a string =
  // a path. InvalidArgument for anything else or an invalid path.
  static Result<PathField> FromJson(const Json* value);
};

// InputPath / OutputPath: "$" → the input; null → {}; a path → its value
// (multiple matches gathered into an array). A path that selects nothing is
// States.Runtime with AWS's cause, "Invalid path '$.x' : No results for
// path: $['x']"; any path but "$" on a null input is States.Runtime
// "Unable to apply Path transformation to null or empty input.".
Result<Json> ApplyInputPath(const PathField& field, const Json& input, const EvalContext& ctx);
inline Result<Json> ApplyOutputPath(const PathField& field, const Json& input,
                                    const EvalContext& ctx) {
  return ApplyInputPath(field, input, ctx);
}

// ResultPath: "$" → the result; null → the raw input; a reference path →
// the raw input with the result written at that place, creating missing
// intermediate objects.
Result<Json> ApplyResultPath(const PathField& field, Json raw_input, Json result);

// All pipeline fields of one state, compiled.
struct StateIo {
  PathField input_path;
  std::optional<PayloadTemplate> parameters;
  std::optional<PayloadTemplate> result_selector;
  PathField result_path;
  PathField output_path;

  // raw input → effective input (InputPath, then Parameters).
  Result<Json> EffectiveInput(const Json& raw_input, const EvalContext& ctx) const;
  // result → state output (ResultSelector, ResultPath, OutputPath). Takes
  // the raw input by value: callers that no longer need it move it in and
  // save a copy.
  Result<Json> Output(Json raw_input, Json result, const EvalContext& ctx) const;
};

}  // namespace stepflow::expr
