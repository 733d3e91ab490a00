// JSONata templates: {% %} strings anywhere in a field's JSON, $states and
// the variables, and Step Functions' errors (ASL_NOTES §4).
#include "engine/expr/jsonata_template.h"

#include <catch2/catch.hpp>
#include <chrono>

#include "engine/expr/payload_template.h"

using stepflow::Json;
using stepflow::Result;
using stepflow::Status;
using namespace stepflow::expr;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;

JsonataTemplate Compile(const Json& value, const std::string& field = "Output") {
  auto t = JsonataTemplate::Compile(value, field);
  INFO(t.status().ToString());
  REQUIRE(t.ok());
  return *t;
}

// Evaluates `value` as a template with $states.input = `input`.
Result<Json> Eval(const Json& value, const Json& input, const EvalContext& ctx = {},
                  std::string* location = nullptr) {
  JsonataScope scope(&input, ctx, kNow);
  return Compile(value).Evaluate(scope, location);
}

Json Ok(const Result<Json>& r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

Status Err(const Result<Json>& r) {
  REQUIRE_FALSE(r.ok());
  return r.status();
}

}  // namespace

TEST_CASE("what counts as a JSONata expression", "[jsonata]") {
  CHECK(IsJsonataExpression("{% 1 %}"));
  CHECK(IsJsonataExpression("{%1%}"));
  CHECK_FALSE(IsJsonataExpression(" {% 1 %}"));
  CHECK_FALSE(IsJsonataExpression("{% 1 %} "));
  CHECK_FALSE(IsJsonataExpression("{% 1"));
  CHECK_FALSE(IsJsonataExpression("Hello {% name %}"));
  CHECK(JsonataBody("{%  $states.input.a \n %}") == "$states.input.a");
  CHECK(IsJsonataString(Json("{% x %}")));
  CHECK_FALSE(IsJsonataString(Json(5)));
}

TEST_CASE("a template replaces every expression, at any depth, and copies the rest", "[jsonata]") {
  Json input = Json::parse(R"({"name":"Ada","n":[1,2,3]})");
  Json tmpl = Json::parse(R"({
      "greeting": "{% 'Hello ' & $states.input.name %}",
      "static": "as written",
      "notAnExpression": " {% 1 %}",
      "count": 42,
      "nested": {"list": ["{% $sum($states.input.n) %}", "x", {"deep": "{% $states.input.n[1] %}"}]},
      "null": null})");
  Json out = Ok(Eval(tmpl, input));
  CHECK(out == Json::parse(R"({"greeting":"Hello Ada","static":"as written",
      "notAnExpression":" {% 1 %}","count":42,
      "nested":{"list":[6,"x",{"deep":2}]},"null":null})"));
  // Keys keep their order.
  CHECK(stepflow::DumpCompact(out).starts_with(R"({"greeting":"Hello Ada","static")"));
  // A whole field may be one expression of any type.
  CHECK(Ok(Eval("{% $states.input %}", input)) == input);
  CHECK(Ok(Eval("{% [1, 'two', true, null] %}", input)) == Json::parse(R"([1,"two",true,null])"));
  CHECK(Ok(Eval("{% 1.5 * 2 %}", input)) == 3);
  // A constant template is just its value.
  CHECK(Ok(Eval(Json::parse(R"({"a":[1,{"b":"c"}]})"), input)) ==
        Json::parse(R"({"a":[1,{"b":"c"}]})"));
}

TEST_CASE("undefined is an error wherever it lands, naming the field", "[jsonata]") {
  Json input = Json::parse(R"({"a":{"b":null}})");
  std::string location;
  Status st = Err(Eval(Json::parse(R"({"v":"{% $states.input.absent %}"})"), input, {}, &location));
  CHECK(st.error() == "States.QueryEvaluationError");
  CHECK(st.message() ==
        "The JSONata expression '$states.input.absent' specified for the field 'Output/v' "
        "returned nothing (undefined).");
  CHECK(location == "Output/v");
  st = Err(Eval(Json::parse(R"({"a":{"b":[1,"{% $nothing %}"]}})"), input, {}, &location));
  CHECK(location == "Output/a/b[1]");
  CHECK(st.message().find("'Output/a/b[1]'") != std::string::npos);
  st = Err(Eval("{% $states.input.zzz %}", input, {}, &location));
  CHECK(location == "Output");
  // null is a value, not undefined.
  CHECK(Ok(Eval(Json::parse(R"({"v":"{% $states.input.a.b %}"})"), input)) ==
        Json::parse(R"({"v":null})"));
}

TEST_CASE("an evaluation error names the expression, the field and the JSONata code", "[jsonata]") {
  std::string location;
  Status st =
      Err(Eval(Json::parse(R"({"x":{"y":"{% 'a' - 1 %}"}})"), Json::object(), {}, &location));
  CHECK(st.error() == "States.QueryEvaluationError");
  CHECK(st.message().starts_with(
      "The JSONata expression ''a' - 1' specified for the field 'Output/x/y' threw an error "
      "during evaluation: T2001: "));
  CHECK(location == "Output/x/y");
}

TEST_CASE("$states carries input, result, errorOutput and context", "[jsonata]") {
  Json input = Json::parse(R"({"in":1})");
  Json result = Json::parse(R"({"out":2})");
  Json error_output = Json::parse(R"({"Error":"E","Cause":"c"})");
  Json context = Json::parse(R"({"State":{"Name":"S"}})");
  EvalContext ctx;
  ctx.context = &context;
  JsonataScope scope(&input, ctx, kNow);
  scope.set_result(&result);
  scope.set_error_output(&error_output);
  auto t = Compile(Json::parse(R"({"i":"{% $states.input.in %}","r":"{% $states.result.out %}",
      "e":"{% $states.errorOutput.Error %}","c":"{% $states.context.State.Name %}",
      "keys":"{% $keys($states) %}"})"));
  CHECK(Ok(t.Evaluate(scope)) == Json::parse(R"({"i":1,"r":2,"e":"E","c":"S",
      "keys":["input","result","errorOutput","context"]})"));
  // A scope without result or context: those members are absent.
  EvalContext none;
  JsonataScope plain(&input, none, kNow);
  CHECK(Ok(Compile("{% $keys($states) %}").Evaluate(plain)) == "input");
  CHECK_FALSE(Compile("{% $states.result %}").Evaluate(plain).ok());
}

TEST_CASE("expressions read the state machine's variables, innermost scope first", "[jsonata]") {
  Json outer = Json::parse(R"({"total":10,"who":"outer"})");
  Json inner = Json::parse(R"({"who":"inner"})");
  VariableScope outer_scope{&outer, nullptr};
  VariableScope inner_scope{&inner, &outer_scope};
  EvalContext ctx;
  ctx.variables = &inner_scope;
  CHECK(Ok(Eval(Json::parse(R"({"t":"{% $total * 2 %}","w":"{% $who %}"})"), Json::object(),
                ctx)) == Json::parse(R"({"t":20,"w":"inner"})"));
  // A variable bound inside the expression wins; an unknown one is undefined.
  CHECK(Ok(Eval("{% ($total := 1; $total) %}", Json::object(), ctx)) == 1);
  CHECK_FALSE(Eval("{% $missing %}", Json::object(), ctx).ok());
}

TEST_CASE("a plain $states path gives what the evaluator gives", "[jsonata]") {
  // "$states.input.x" is read without the evaluator; "($states.input.x)"
  // goes through it: both must agree on every input.
  Json input = Json::parse(R"({"int":3,"float":1.0,"frac":1.5,"big":1152921504606846977,
      "neg":-0.0,"s":"text","t":true,"n":null,"arr":[1],"nested":{"f":2.0,"a":[[1,2]]},
      "list":[{"x":1},{"x":2}],"empty":[],"obj":{}})");
  Json context = Json::parse(R"({"State":{"Name":"S"}})");
  EvalContext ctx;
  ctx.context = &context;
  for (const char* path : {"$states.input",
                           "$states.input.int",
                           "$states.input.float",
                           "$states.input.frac",
                           "$states.input.big",
                           "$states.input.neg",
                           "$states.input.s",
                           "$states.input.t",
                           "$states.input.n",
                           "$states.input.arr",
                           "$states.input.nested",
                           "$states.input.nested.f",
                           "$states.input.nested.a",
                           "$states.input.list.x",
                           "$states.input.empty",
                           "$states.input.obj",
                           "$states.input.s.x",
                           "$states.input.missing",
                           "$states.input.nested.missing.deeper",
                           "$states.context.State.Name",
                           "$states.result",
                           "$states.input.arr.x"}) {
    INFO(path);
    JsonataScope fast_scope(&input, ctx, kNow);
    JsonataScope full_scope(&input, ctx, kNow);
    Result<Json> fast = Compile(Json("{% " + std::string(path) + " %}")).Evaluate(fast_scope);
    Result<Json> full = Compile(Json("{% (" + std::string(path) + ") %}")).Evaluate(full_scope);
    REQUIRE(fast.ok() == full.ok());
    if (fast.ok()) {
      CHECK(stepflow::DumpCompact(*fast) == stepflow::DumpCompact(*full));
    } else {
      CHECK(fast.status().error() == full.status().error());
    }
  }
}

TEST_CASE("an expression has no implicit input", "[jsonata]") {
  // `$` is undefined and bare names read nothing.
  CHECK_FALSE(Eval("{% name %}", Json::parse(R"({"name":"x"})")).ok());
  CHECK(Ok(Eval("{% $states.input.items[price > 10].name %}",
                Json::parse(R"({"items":[{"name":"a","price":5},{"name":"b","price":20}]})"))) ==
        "b");
}

TEST_CASE("$eval is removed and $now and $millis read the state's clock", "[jsonata]") {
  Status st = Err(Eval("{% $eval('1 + 1') %}", Json::object()));
  CHECK(st.message().find("T1006") != std::string::npos);
  CHECK(Ok(Eval("{% $millis() %}", Json::object())) == kNow);
  CHECK(Ok(Eval("{% $now() %}", Json::object())) == "2023-11-14T22:13:20.000Z");
}

TEST_CASE("a template that does not parse is refused with the JSONata code", "[jsonata]") {
  auto t = JsonataTemplate::Compile(Json::parse(R"({"a":["{% 1 + %}"]})"), "Arguments");
  REQUIRE_FALSE(t.ok());
  CHECK(t.status().code() == stepflow::StatusCode::kInvalidArgument);
  CHECK(t.status().message().find("'Arguments/a[0]'") != std::string::npos);
  CHECK(t.status().message().find(": S0") != std::string::npos);
}

TEST_CASE("a wrong result type is reported as Step Functions does", "[jsonata]") {
  auto t = Compile("{% $states.input.s %}", "Seconds");
  Status st = JsonataTypeError(t, "number", Json("5"));
  CHECK(st.error() == "States.QueryEvaluationError");
  CHECK(st.message() ==
        "The JSONata expression '$states.input.s' specified for the field 'Seconds' returned an "
        "unexpected result type. Expected 'number', but was 'string' for value: \"5\"");
  CHECK(t.is_expression());
  CHECK(t.expression() == "$states.input.s");
  CHECK(t.field() == "Seconds");
}

// Not run by default (timing): one {"v": "{% $states.input.v %}"} template
// beside the JSONPath template {"v.$": "$.v"}.
TEST_CASE("a simple JSONata template beside the JSONPath one", "[.perf][jsonata]") {
  Json input = Json::parse(R"({"v":{"a":[1,2,3],"b":"text"},"other":[1,2,3,4,5]})");
  auto ata = Compile(Json::parse(R"({"v":"{% $states.input.v %}"})"));
  auto path = PayloadTemplate::Compile(Json::parse(R"({"v.$":"$.v"})"));
  REQUIRE(path.ok());
  EvalContext ctx;
  constexpr int kRounds = 200'000;
  auto time = [&](auto&& body) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kRounds; ++i) body();
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
           kRounds;
  };
  double path_ns = time([&] {
    auto r = path->Evaluate(input, ctx);
    REQUIRE(r.ok());
  });
  double ata_ns = time([&] {
    JsonataScope scope(&input, ctx, kNow);
    auto r = ata.Evaluate(scope);
    REQUIRE(r.ok());
  });
  double scope_ns = time([&] {
    JsonataScope scope(&input, ctx, kNow);
    REQUIRE(scope.options().bindings.size() == 1);
  });
  WARN("JSONPath " << path_ns << " ns, JSONata " << ata_ns << " ns (of which $states " << scope_ns
                   << " ns)");
}
