// Internal to engine/expr: the bodies of the 18 intrinsic functions
// (ASL_NOTES §9), kept apart from the parser in intrinsics.cc.
//
// Each implementation receives the parsed call (for its name and, in
// States.Format, the raw text of a quoted template) and the values of its
// arguments, already evaluated. Failures are Status::AslError with
// "States.IntrinsicFailure" and a cause naming the function.
#pragma once

#include <string_view>
#include <vector>

#include "engine/common/json_util.h"
#include "engine/common/status.h"
#include "engine/expr/eval_context.h"
#include "engine/expr/intrinsics.h"

namespace stepflow::expr::internal {

using IntrinsicImplementation = Result<Json> (*)(const IntrinsicCall& call,
                                                 std::vector<Json>& args,
                                                 const EvalContext& ctx);

// The implementation of the function called `name` ("States.Format"), or
// nullptr for a name that is not one of the 18.
IntrinsicImplementation FindIntrinsicImplementation(std::string_view name);

}  // namespace stepflow::expr::internal
