// libFuzzer target for the expression parsers: JSONPath, intrinsic
// functions and payload templates must reject bad text with a Status and
// evaluate what they accept without crashing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/expr/intrinsics.h"
#include "engine/expr/json_path.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  static const stepflow::Json kInput = stepflow::Json::parse(
      R"({"a": {"b": [1, 2, {"c": "x"}]}, "s": "text", "n": 5, "list": [3, 1, 2], "o": {"k": 1}})");
  stepflow::expr::EvalContext ctx;
  ctx.random = [] { return 42u; };
  if (auto path = stepflow::expr::Path::Parse(text); path.ok()) {
    (void)path->Evaluate(kInput, ctx);
  }
  if (auto call = stepflow::expr::IntrinsicCall::Parse(text); call.ok()) {
    (void)call->Evaluate(kInput, ctx);
  }
  return 0;
}
