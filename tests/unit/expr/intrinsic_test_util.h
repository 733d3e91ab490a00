// Shared by the intrinsic-function tests: parse and evaluate a call that
// must succeed, with the text and any status in the failure message.
#pragma once

#include <catch2/catch.hpp>

#include <string_view>

#include "engine/expr/intrinsics.h"

namespace stepflow::expr::testing {

inline Json Eval(std::string_view text, const Json& input = Json::object(),
                 const EvalContext& ctx = {}) {
  INFO("intrinsic: " << text);
  auto call = IntrinsicCall::Parse(text);
  INFO("parse: " << call.status().ToString());
  REQUIRE(call.ok());
  auto value = call->Evaluate(input, ctx);
  INFO("evaluate: " << value.status().ToString());
  REQUIRE(value.ok());
  return *value;
}

}  // namespace stepflow::expr::testing
