// libFuzzer target for the JSONata module: any expression text must parse
// to an Expression or a syntax error, and any Expression must evaluate to a
// value or a JSONata error, within the depth and time limits, without a
// crash, a sanitizer report, a hang or unbounded memory.
//
// Run it with tests/jsonata/fuzz.sh (seeds from the suite's expressions,
// the token dictionary tests/jsonata/jsonata.dict).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "engine/jsonata/jsonata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stepflow::jsonata;
  static const stepflow::Json kInput = stepflow::Json::parse(R"({
    "a": {"b": [1, 2, {"c": "x"}], "d": null},
    "s": "Hello, World", "n": 5, "f": -2.5, "t": true,
    "list": [3, 1, 2], "words": ["b", "a", "c", "a"],
    "o": {"k": 1, "k2": {"k": [1, {"k": 2}]}},
    "Account": {"Order": [
      {"OrderID": "o1", "Product": [{"Name": "p1", "Price": 34.45, "Quantity": 2},
                                    {"Name": "p2", "Price": 21.67, "Quantity": 1}]},
      {"OrderID": "o2", "Product": [{"Name": "p1", "Price": 34.45, "Quantity": 4}]}]}
  })");
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::variant<Expression, ErrorInfo> parsed = Expression::Parse(text);
  if (const Expression* e = std::get_if<Expression>(&parsed)) {
    EvalOptions options;
    options.max_depth = 200;
    options.time_limit = std::chrono::milliseconds(100);
    options.now_millis = 1700000000000;
    options.random = [] { return 0.5; };
    Evaluation r = e->Evaluate(&kInput, options);
    // Undefined input too: a different path through every step.
    (void)e->Evaluate(nullptr, options);
    if (r.value) (void)r.value->size();
  }
  return 0;
}
