// The public API of engine/jsonata (jsonata.h): compile errors as data,
// evaluation over borrowed engine JSON, variables from the embedder, extra
// and removed functions, and the runaway guards.
#include "engine/jsonata/jsonata.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using stepflow::Json;
using namespace stepflow::jsonata;

namespace {

Expression MustCompile(std::string_view text) {
  auto parsed = Expression::Parse(text);
  if (const ErrorInfo* e = std::get_if<ErrorInfo>(&parsed)) {
    FAIL("compile error " << e->code << ": " << e->message);
  }
  return std::get<Expression>(std::move(parsed));
}

Evaluation Eval(std::string_view text, const Json* input, const EvalOptions& options = {}) {
  return MustCompile(text).Evaluate(input, options);
}

std::string ErrorCode(const Evaluation& r) { return r.error ? r.error->code : "(no error)"; }

Value Shout(CallContext&, std::span<const Value> args) {
  return Value::String("shadowed:" + std::string(args[0].str()));
}

Value Twice(CallContext&, std::span<const Value> args) {
  return Value::Number(args[0].number() * 2);
}

// An expression nested `depth` times: prefix^depth + core + suffix^depth.
std::string Nested(const std::string& prefix, const std::string& core, const std::string& suffix,
                   int depth) {
  std::string s;
  s.reserve((prefix.size() + suffix.size()) * depth + core.size());
  for (int i = 0; i < depth; ++i) s += prefix;
  s += core;
  for (int i = 0; i < depth; ++i) s += suffix;
  return s;
}

}  // namespace

TEST_CASE("compile errors carry the code and the position", "[jsonata][api]") {
  struct Case {
    const char* text;
    const char* code;
    int position;
  };
  // Codes and positions as jsonata-js 2.0.6 reports them.
  for (const Case& c : {Case{"1 +", "S0207", 3}, Case{"\"foo", "S0101", 4},
                        Case{"[1,2", "S0203", 4}, Case{"foo bar", "S0201", 7}}) {
    INFO(c.text);
    auto parsed = Expression::Parse(c.text);
    const ErrorInfo* e = std::get_if<ErrorInfo>(&parsed);
    REQUIRE(e != nullptr);
    CHECK(e->code == c.code);
    CHECK(e->position == c.position);
    CHECK_FALSE(e->message.empty());
  }
  auto compiled = Expression::Compile("foo bar");
  REQUIRE_FALSE(compiled.ok());
  CHECK(compiled.status().code() == stepflow::StatusCode::kInvalidArgument);
  CHECK(compiled.status().message().find("S0201") != std::string::npos);
}

TEST_CASE("Evaluate reads borrowed input and returns engine JSON", "[jsonata][api]") {
  const Json input = Json::parse(R"({"a": {"b": [1, 2, 3.5]}, "name": "x"})");
  Evaluation r = Eval("$sum(a.b)", &input);
  REQUIRE(r.ok());
  REQUIRE(r.value.has_value());
  CHECK(*r.value == Json(6.5));

  r = Eval("{ 'n': name & '!', 'count': $count(a.b) }", &input);
  REQUIRE(r.ok());
  CHECK(*r.value == Json::parse(R"({"n": "x!", "count": 3})"));
  CHECK((*r.value)["count"].is_number_integer());

  r = Eval("missing", &input);
  CHECK(r.ok());
  CHECK_FALSE(r.value.has_value());

  r = Eval("$", nullptr);  // undefined input
  CHECK(r.ok());
  CHECK_FALSE(r.value.has_value());
  // The input is read in place, never changed.
  CHECK(input == Json::parse(R"({"a": {"b": [1, 2, 3.5]}, "name": "x"})"));
}

TEST_CASE("bindings and the variables callback supply outside variables", "[jsonata][api]") {
  std::vector<std::pair<std::string, Value>> bindings = {{"x", Value::Number(5)},
                                                         {"s", Value::String("hi")}};
  const Json states = Json::parse(R"({"id": 7, "tags": ["a", "b"]})");
  const Json shadowed = Json("from-callback");
  std::vector<std::string> asked;
  EvalOptions options;
  options.bindings = bindings;
  options.variables = [&](std::string_view name) -> const Json* {
    asked.emplace_back(name);
    if (name == "states") return &states;
    if (name == "x") return &shadowed;
    return nullptr;
  };
  Evaluation r = Eval("$x * 2", nullptr, options);
  REQUIRE(r.ok());
  CHECK(*r.value == Json(10));  // bindings take precedence over the callback

  r = Eval("$states.id + $count($states.tags)", nullptr, options);
  REQUIRE(r.ok());
  CHECK(*r.value == Json(9));

  r = Eval("$nothing", nullptr, options);
  CHECK(r.ok());
  CHECK_FALSE(r.value.has_value());

  // A variable bound inside the expression is not asked of the callback.
  asked.clear();
  r = Eval("($states := 1; $states + 1)", nullptr, options);
  REQUIRE(r.ok());
  CHECK(*r.value == Json(2));
  CHECK(std::find(asked.begin(), asked.end(), "states") == asked.end());
}

TEST_CASE("extra functions are callable and shadow standard ones", "[jsonata][api]") {
  const BuiltinSpec extra[] = {{"uppercase", "<s:s>", &Shout}, {"twice", "<n:n>", &Twice}};
  EvalOptions options;
  options.extra_functions = extra;
  Evaluation r = Eval("$uppercase('abc')", nullptr, options);
  REQUIRE(r.ok());
  CHECK(*r.value == Json("shadowed:abc"));
  r = Eval("$twice(21)", nullptr, options);
  REQUIRE(r.ok());
  CHECK(*r.value == Json(42));
  // Their signatures are checked like the standard library's.
  r = Eval("$twice('a')", nullptr, options);
  CHECK(ErrorCode(r) == "T0410");
  // Without them, the standard one.
  r = Eval("$uppercase('abc')", nullptr);
  REQUIRE(r.ok());
  CHECK(*r.value == Json("ABC"));
}

TEST_CASE("removed functions are unknown: T1006", "[jsonata][api]") {
  const std::string_view removed[] = {"eval"};
  EvalOptions options;
  options.removed_functions = removed;
  Evaluation r = Eval("$eval('1 + 1')", nullptr, options);
  CHECK(ErrorCode(r) == "T1006");
  // Other functions stay.
  r = Eval("$string(1 + 1)", nullptr, options);
  REQUIRE(r.ok());
  CHECK(*r.value == Json("2"));
}

TEST_CASE("now_millis and random make $now $millis and $random fixed", "[jsonata][api]") {
  EvalOptions options;
  options.now_millis = 1700000000000;
  options.random = [] { return 0.25; };
  Evaluation r = Eval("[$millis(), $now(), $random()]", nullptr, options);
  REQUIRE(r.ok());
  CHECK(*r.value == Json::parse(R"([1700000000000, "2023-11-14T22:13:20.000Z", 0.25])"));
}

TEST_CASE("errors carry the code the message and the position", "[jsonata][api]") {
  Evaluation r = Eval("1 + 'a'", nullptr);
  REQUIRE(r.error.has_value());
  CHECK(r.error->code == "T2002");  // as jsonata-js: the right side is not a number
  CHECK(r.error->position == 3);
  CHECK(r.error->token == "+");
  CHECK_FALSE(r.error->message.empty());
  CHECK_FALSE(r.value.has_value());
}

TEST_CASE("the depth limit ends a runaway recursion with U1001", "[jsonata][api]") {
  EvalOptions options;
  options.max_depth = 200;
  options.time_limit = std::chrono::milliseconds(2000);
  // Not a tail call: each call nests deeper.
  Evaluation r = Eval("($f := function($x){1 + $f($x+1)}; $f(0))", nullptr, options);
  CHECK(ErrorCode(r) == "U1001");
  // A tail call: the depth or the time limit ends it.
  auto start = std::chrono::steady_clock::now();
  r = Eval("($f := function($x){$f($x+1)}; $f(0))", nullptr, options);
  CHECK(ErrorCode(r) == "U1001");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("the time limit ends an endless loop with U1001", "[jsonata][api]") {
  EvalOptions options;
  options.time_limit = std::chrono::milliseconds(100);
  auto start = std::chrono::steady_clock::now();
  // Tail-recursive, so no depth grows: only the clock stops it.
  Evaluation r = Eval("($loop := function($x){ $x < 0 ? $x : $loop($x + 1) }; $loop(0))",
                      nullptr, options);
  CHECK(ErrorCode(r) == "U1001");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  // Long work inside built-ins is stopped too.
  start = std::chrono::steady_clock::now();
  r = Eval("$count([1..5000000].$string($))", nullptr, options);
  CHECK(ErrorCode(r) == "U1001");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("a 100k deep expression text gives an error not a crash", "[jsonata][api]") {
  const int kDepth = 100000;
  for (const std::string& text :
       {Nested("(", "1", ")", kDepth), Nested("[", "1", "]", kDepth), Nested("-", "1", "", kDepth),
        Nested("$abs(", "1", ")", kDepth), Nested("{'a':", "1", "}", kDepth),
        Nested("a.(", "b", ")", kDepth), Nested("1 ? ", "1", " : 2", kDepth)}) {
    INFO(text.substr(0, 12));
    auto parsed = Expression::Parse(text);
    if (const ErrorInfo* e = std::get_if<ErrorInfo>(&parsed)) {
      CHECK_FALSE(e->code.empty());
      continue;
    }
    EvalOptions options;
    options.time_limit = std::chrono::milliseconds(5000);
    Evaluation r = std::get<Expression>(parsed).Evaluate(nullptr, options);
    CHECK(r.error.has_value());
  }
}

TEST_CASE("one compiled expression evaluates on several threads at once", "[jsonata][api]") {
  Expression e = MustCompile("$sum($map(items, function($v){ $v * k }))");
  std::vector<Json> inputs;
  for (int t = 0; t < 4; ++t) {
    Json in = {{"k", t}, {"items", Json::array()}};
    for (int i = 1; i <= 100; ++i) in["items"].push_back(i);
    inputs.push_back(std::move(in));
  }
  std::vector<Json> results(inputs.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < inputs.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        Evaluation r = e.Evaluate(&inputs[t]);
        results[t] = r.value.value_or(Json("error"));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < inputs.size(); ++t) CHECK(results[t] == Json(5050 * static_cast<int>(t)));
}
