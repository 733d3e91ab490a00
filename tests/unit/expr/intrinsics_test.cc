#include "engine/expr/intrinsics.h"

#include <catch2/catch.hpp>

#include "tests/unit/expr/intrinsic_test_util.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace stepflow::expr {
namespace {

// A random source that replays `values` in order (then repeats the last).
std::function<uint64_t()> FixedRandom(std::vector<uint64_t> values) {
  auto next = std::make_shared<size_t>(0);
  return [values = std::move(values), next]() {
    size_t i = std::min(*next, values.size() - 1);
    ++*next;
    return values[i];
  };
}

using testing::Eval;

// Parses `text` (which must parse) and returns the evaluation failure.
Status EvalError(std::string_view text, const Json& input = Json::object(),
                 const EvalContext& ctx = {}) {
  INFO("intrinsic: " << text);
  auto call = IntrinsicCall::Parse(text);
  INFO("parse: " << call.status().ToString());
  REQUIRE(call.ok());
  auto value = call->Evaluate(input, ctx);
  INFO("value: " << (value.ok() ? value->dump() : ""));
  REQUIRE_FALSE(value.ok());
  CHECK(value.status().code() == StatusCode::kAslError);
  CHECK(value.status().error() == "States.IntrinsicFailure");
  return value.status();
}

Status ParseError(std::string_view text) {
  INFO("intrinsic: " << text);
  auto call = IntrinsicCall::Parse(text);
  REQUIRE_FALSE(call.ok());
  CHECK(call.status().code() == StatusCode::kInvalidArgument);
  return call.status();
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---------------------------------------------------------------------------
// Parser

TEST_CASE("LooksLikeCall recognises a name followed by '('", "[intrinsics]") {
  CHECK(IntrinsicCall::LooksLikeCall("States.UUID()"));
  CHECK(IntrinsicCall::LooksLikeCall("States.Format('x')"));
  CHECK(IntrinsicCall::LooksLikeCall("Foo.Bar_2("));
  CHECK_FALSE(IntrinsicCall::LooksLikeCall("$.x"));
  CHECK_FALSE(IntrinsicCall::LooksLikeCall("States.Format ('x')"));
  CHECK_FALSE(IntrinsicCall::LooksLikeCall(" States.UUID()"));
  CHECK_FALSE(IntrinsicCall::LooksLikeCall("("));
  CHECK_FALSE(IntrinsicCall::LooksLikeCall("hello world"));
  CHECK_FALSE(IntrinsicCall::LooksLikeCall(""));
}

TEST_CASE("FunctionNames lists the 18 intrinsics", "[intrinsics]") {
  const auto& names = IntrinsicCall::FunctionNames();
  CHECK(names.size() == 18);
  CHECK(std::find(names.begin(), names.end(), "States.Format") != names.end());
  CHECK(std::find(names.begin(), names.end(), "States.UUID") != names.end());
  for (const std::string& name : names) CHECK(IntrinsicCall::LooksLikeCall(name + "("));
}

TEST_CASE("Intrinsic parser reads literal arguments", "[intrinsics]") {
  auto call = IntrinsicCall::Parse("States.Array('a', -12, 1.5, 2e3, null, true, false)");
  REQUIRE(call.ok());
  CHECK(call->name() == "States.Array");
  REQUIRE(call->args().size() == 7);
  for (const auto& arg : call->args()) CHECK(arg.kind == IntrinsicCall::Arg::Kind::kLiteral);
  CHECK(call->args()[0].literal == "a");
  CHECK(call->args()[1].literal == -12);
  CHECK(call->args()[1].literal.is_number_integer());
  CHECK(call->args()[2].literal == 1.5);
  CHECK(call->args()[3].literal == 2000.0);
  CHECK(call->args()[4].literal.is_null());
  CHECK(call->args()[5].literal == true);
  CHECK(call->args()[6].literal == false);
  CHECK(Eval("States.Array('a', -12, 1.5, 2e3, null, true, false)") ==
        Json::parse(R"(["a", -12, 1.5, 2000.0, null, true, false])"));
}

TEST_CASE("Intrinsic parser allows blanks around arguments", "[intrinsics]") {
  CHECK(Eval("States.Array(  1 ,\t2\n, 'x'  )") == Json::parse(R"([1, 2, "x"])"));
  CHECK(Eval("  States.Array( )  ") == Json::array());
  CHECK(Eval("States.Array()") == Json::array());
}

TEST_CASE("Intrinsic strings decode their escapes", "[intrinsics]") {
  CHECK(Eval(R"(States.Array('it\'s', 'a\\b', '\{\}', 'x,y)'))") ==
        Json::parse(R"J(["it's", "a\\b", "{}", "x,y)"])J"));
  auto call = IntrinsicCall::Parse(R"(States.Array('a\{b'))");
  REQUIRE(call.ok());
  CHECK(call->args()[0].literal == "a{b");
  CHECK(call->args()[0].raw == R"(a\{b)");
  CHECK(Eval("States.Array('')") == Json::parse(R"([""])"));
  CHECK(Eval("States.Array('héllo 世界')") == Json::parse(R"(["héllo 世界"])"));
}

TEST_CASE("Intrinsic parser reads nested calls and paths", "[intrinsics]") {
  auto call = IntrinsicCall::Parse("States.Format('{} {}', States.ArrayLength($.items), $$.Execution.Id)");
  REQUIRE(call.ok());
  REQUIRE(call->args().size() == 3);
  CHECK(call->args()[1].kind == IntrinsicCall::Arg::Kind::kCall);
  CHECK(call->args()[1].call->name() == "States.ArrayLength");
  CHECK(call->args()[1].call->text() == "States.ArrayLength($.items)");
  REQUIRE(call->args()[1].call->args()[0].kind == IntrinsicCall::Arg::Kind::kPath);
  CHECK(call->args()[1].call->args()[0].path->text() == "$.items");
  REQUIRE(call->args()[2].kind == IntrinsicCall::Arg::Kind::kPath);
  CHECK(call->args()[2].path->text() == "$$.Execution.Id");
  CHECK(call->args()[2].path->root() == PathRoot::kContext);
}

TEST_CASE("Intrinsic parser rejects unknown functions", "[intrinsics]") {
  Status s = ParseError("States.Foo(1)");
  CHECK(Contains(s.message(), "unknown intrinsic function 'States.Foo'"));
  CHECK(Contains(s.message(), "offset 0"));
  s = ParseError("States.Array(1, States.Nope())");
  CHECK(Contains(s.message(), "'States.Nope'"));
  CHECK(Contains(s.message(), "offset 16"));
  ParseError("states.format('x')");  // names are case-sensitive
  ParseError("Format('x')");
}

TEST_CASE("Intrinsic parser checks argument counts", "[intrinsics]") {
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"States.Format()", "takes at least 1 argument, got 0"},
      {"States.StringToJson()", "takes 1 argument, got 0"},
      {"States.StringToJson('1', '2')", "takes 1 argument, got 2"},
      {"States.JsonToString($.a, $.b)", "takes 1 argument, got 2"},
      {"States.ArrayPartition($.a)", "takes 2 arguments, got 1"},
      {"States.ArrayContains($.a)", "takes 2 arguments, got 1"},
      {"States.ArrayRange(1, 2)", "takes 3 arguments, got 2"},
      {"States.ArrayGetItem($.a)", "takes 2 arguments, got 1"},
      {"States.ArrayLength()", "takes 1 argument, got 0"},
      {"States.ArrayUnique($.a, $.b)", "takes 1 argument, got 2"},
      {"States.Base64Encode()", "takes 1 argument, got 0"},
      {"States.Base64Decode('a', 'b')", "takes 1 argument, got 2"},
      {"States.Hash('a')", "takes 2 arguments, got 1"},
      {"States.JsonMerge($.a, $.b)", "takes 3 arguments, got 2"},
      {"States.MathRandom(1)", "takes 2 or 3 arguments, got 1"},
      {"States.MathRandom(1, 2, 3, 4)", "takes 2 or 3 arguments, got 4"},
      {"States.MathAdd(1)", "takes 2 arguments, got 1"},
      {"States.StringSplit('a')", "takes 2 arguments, got 1"},
      {"States.UUID(1)", "takes no arguments, got 1"},
  };
  for (const Case& c : cases) {
    Status s = ParseError(c.text);
    INFO(s.message());
    CHECK(Contains(s.message(), c.expect));
  }
  // Upper bounds hold for nested calls too.
  CHECK(Contains(ParseError("States.Array(States.UUID('x'))").message(), "offset 13"));
}

TEST_CASE("States.JsonToString takes a path or a call, not a literal", "[intrinsics]") {
  CHECK(Contains(ParseError("States.JsonToString('{}')").message(), "must be a path"));
  CHECK(Contains(ParseError("States.JsonToString(3)").message(), "must be a path"));
  CHECK(Eval("States.JsonToString(States.Array(1, 'two'))", Json::object()) == R"([1,"two"])");
}

TEST_CASE("Intrinsic parser rejects bad string escapes", "[intrinsics]") {
  Status s = ParseError(R"(States.Format('a\nb'))");
  CHECK(Contains(s.message(), "invalid escape '\\n'"));
  CHECK(Contains(s.message(), "offset 16"));
  ParseError(R"(States.Format('\"'))");
  ParseError(R"(States.Format('\u0041'))");
  // A backslash at the very end leaves nothing to escape.
  CHECK(Contains(ParseError(R"(States.Format('abc\)").message(), "dangling backslash"));
}

TEST_CASE("Intrinsic parser rejects unterminated strings", "[intrinsics]") {
  Status s = ParseError("States.Format('abc");
  CHECK(Contains(s.message(), "unterminated string"));
  CHECK(Contains(s.message(), "offset 14"));
  // \' does not close the string.
  CHECK(Contains(ParseError(R"(States.Format('abc\'))").message(), "unterminated string"));
}

TEST_CASE("Intrinsic parser rejects malformed calls", "[intrinsics]") {
  CHECK(Contains(ParseError("States.Array(1").message(), "missing ')'"));
  CHECK(Contains(ParseError("States.Array(1,)").message(), "missing argument"));
  CHECK(Contains(ParseError("States.Array(,1)").message(), "missing argument"));
  CHECK(Contains(ParseError("States.Array(1 2)").message(), "expected ',' or ')'"));
  CHECK(Contains(ParseError("States.Array(1) x").message(), "after the closing ')'"));
  CHECK(Contains(ParseError("States.Array(hello)").message(), "single quotes"));
  CHECK(Contains(ParseError("States.Array(\"x\")").message(), "unexpected character '\"'"));
  CHECK(Contains(ParseError("States.Array(01)").message(), "invalid number '01'"));
  CHECK(Contains(ParseError("States.Array(-)").message(), "invalid number"));
  CHECK(Contains(ParseError("States.Array(1.2.3)").message(), "invalid number"));
  CHECK(Contains(ParseError("States.Array").message(), "expected '('"));
  CHECK(Contains(ParseError("").message(), "expected a function name"));
  CHECK(Contains(ParseError("$.x").message(), "expected a function name"));
  ParseError("States.Array ()");
}

TEST_CASE("Intrinsic parser limits nesting to 32 levels", "[intrinsics]") {
  auto nest = [](int levels) {
    std::string text;
    for (int i = 0; i < levels; ++i) text += "States.Array(";
    text += "1";
    for (int i = 0; i < levels; ++i) text += ")";
    return text;
  };
  Json value = Eval(nest(32));
  for (int i = 0; i < 32; ++i) {
    REQUIRE(value.is_array());
    value = value[0];
  }
  CHECK(value == 1);
  CHECK(Contains(ParseError(nest(33)).message(), "nested more than 32"));
}

TEST_CASE("Intrinsic paths read input, context and variables", "[intrinsics]") {
  Json input = Json::parse(R"({"name": "Ana", "list": [1, 2, 3], "obj": {"k": "v"}})");
  Json context = Json::parse(R"({"Execution": {"Id": "exec-1"}})");
  Json vars = Json::parse(R"({"order": {"id": 42}})");
  VariableScope scope{&vars, nullptr};
  EvalContext ctx;
  ctx.context = &context;
  ctx.variables = &scope;
  CHECK(Eval("States.Format('{}/{}/{}', $.name, $$.Execution.Id, $order.id)", input, ctx) ==
        "Ana/exec-1/42");
  CHECK(Eval("States.ArrayLength($.list)", input, ctx) == 3);
  CHECK(Eval("States.Array($.list[1],$.obj)", input, ctx) == Json::parse(R"([2, {"k": "v"}])"));
  CHECK(Eval("States.Array($)", input, ctx) == Json::array({input}));
}

TEST_CASE("An intrinsic path that selects nothing fails", "[intrinsics]") {
  Json input = Json::parse(R"({"a": 1})");
  Status s = EvalError("States.Format('{}', $.missing)", input);
  CHECK(Contains(s.message(), "States.Format:"));
  CHECK(Contains(s.message(), "'$.missing'"));
  s = EvalError("States.Array($undefinedVar)", input);
  CHECK(Contains(s.message(), "'$undefinedVar'"));
  // The failure of a nested call is reported unchanged.
  s = EvalError("States.Array(States.ArrayLength($.nope))", input);
  CHECK(Contains(s.message(), "States.ArrayLength:"));
}

// ---------------------------------------------------------------------------
// Functions

TEST_CASE("States.Format fills placeholders in order", "[intrinsics]") {
  CHECK(Eval("States.Format('Hello, my name is {}.', 'Arnav')") == "Hello, my name is Arnav.");
  CHECK(Eval("States.Format('no placeholders')") == "no placeholders");
  CHECK(Eval("States.Format('{}{}', 'a', 'b')") == "ab");
  CHECK(Eval("States.Format('{} {} {} {} {}', 1, -1.5, true, false, null)") ==
        "1 -1.5 true false null");
  CHECK(Eval("States.Format('{}', 2.0)") == "2.0");  // Java's Double.toString keeps ".0"
  CHECK(Eval("States.Format('{}', 1e3)") == "1000.0");
  CHECK(Eval("States.Format('{}', 0.1)") == "0.1");
  CHECK(Eval("States.Format('{}', '{}')") == "{}");  // values are not re-scanned
}

TEST_CASE("States.Format treats escaped braces as literal", "[intrinsics]") {
  CHECK(Eval(R"(States.Format('\{\} is {}', 'x'))") == "{} is x");
  CHECK(Eval(R"(States.Format('\{{}\}', 'x'))") == "{x}");
  CHECK(Eval(R"(States.Format('it\'s {}\\', 'x'))") == "it's x\\");
  // A lone unescaped brace is kept as it is.
  CHECK(Eval("States.Format('{ {}', 'x')") == "{ x");
}

TEST_CASE("States.Format reads a template from a path", "[intrinsics]") {
  Json input = Json::parse(R"({"template": "Hello, {}! {}", "name": "Bo", "n": 3})");
  CHECK(Eval("States.Format($.template, $.name, $.n)", input) == "Hello, Bo! 3");
}

TEST_CASE("States.Format failures", "[intrinsics]") {
  CHECK(Contains(EvalError("States.Format('{} {}', 'a')").message(),
                 "2 {} placeholder(s) but 1 value(s)"));
  CHECK(Contains(EvalError("States.Format('{}', 'a', 'b')").message(),
                 "1 {} placeholder(s) but 2 value(s)"));
  CHECK(Contains(EvalError(R"(States.Format('\{\}', 'a'))").message(), "0 {} placeholder(s)"));
  CHECK(Contains(EvalError("States.Format(1)").message(), "template (first argument) must be a string"));
}

// AWS renders objects and arrays in their Java form (Map.toString and
// List.toString), as recorded against AWS in LocalStack's snapshot tests:
// {"Arg1": 1, "Arg2": []} becomes "{Arg1=1, Arg2=[]}".
TEST_CASE("States.Format renders objects and arrays as Java does", "[intrinsics]") {
  Json input = Json::parse(R"({"fst": {"Arg1": 1, "Arg2": []}, "snd": "{\"Arg1\": 1, \"Arg2\": []}"})");
  CHECK(Eval("States.Format('Formatting arguments fst={} and snd={}.', $.fst, $.snd)", input) ==
        R"(Formatting arguments fst={Arg1=1, Arg2=[]} and snd={"Arg1": 1, "Arg2": []}.)");
  CHECK(Eval("States.Format('{}', States.Array(1, 'two', null, true, 1.5))") ==
        "[1, two, null, true, 1.5]");
  Json context = Json::parse(R"({"StateMachine": {"Id": "arn:aws:states:us-east-1:1:stateMachine:M", "Name": "M"}})");
  EvalContext ctx;
  ctx.context = &context;
  CHECK(Eval("States.Format('{}', $$.StateMachine)", {}, ctx) ==
        "{Id=arn:aws:states:us-east-1:1:stateMachine:M, Name=M}");
  CHECK(Eval("States.Format('{}{}', States.Array(), States.StringToJson('{}'))") == "[]{}");
}

// Recorded against AWS (LocalStack test_generic::test_format_1): strings are
// inserted bare, null as "null", numbers as JSON writes them.
TEST_CASE("States.Format renders strings, null and numbers as AWS does", "[intrinsics]") {
  auto format = [](const Json& value) {
    return Eval("States.Format('Formatting argument {}.', $.FunctionInput)",
                Json{{"FunctionInput", value}});
  };
  CHECK(format("") == "Formatting argument .");
  CHECK(format(" ") == "Formatting argument  .");
  CHECK(format("HelloWorld") == "Formatting argument HelloWorld.");
  CHECK(format(nullptr) == "Formatting argument null.");
  CHECK(format(1) == "Formatting argument 1.");
  CHECK(format(1.1) == "Formatting argument 1.1.");
}

// The ASL spec's example.
TEST_CASE("States.Format spec example", "[intrinsics]") {
  Json input = Json::parse(R"({"name": "Foo", "zebra": "stripe"})");
  CHECK(Eval("States.Format('Your name is {}, we are in the year {}', $.name, 2020)", input) ==
        "Your name is Foo, we are in the year 2020");
  Json docs = Json::parse(R"({"name": "Arnav", "template": "Hello, my name is {}."})");
  CHECK(Eval("States.Format('Hello, my name is {}.', $.name)", docs) == "Hello, my name is Arnav.");
  CHECK(Eval("States.Format($.template, $.name)", docs) == "Hello, my name is Arnav.");
}

TEST_CASE("States.StringToJson parses JSON text", "[intrinsics]") {
  CHECK(Eval(R"(States.StringToJson('{"a": [1, 2.5, null]}'))") ==
        Json::parse(R"({"a": [1, 2.5, null]})"));
  CHECK(Eval("States.StringToJson('42')") == 42);
  CHECK(Eval("States.StringToJson(' \"s\" ')") == "s");
  Json input = Json::parse(R"({"escaped": "{\"x\":true}"})");
  CHECK(Eval("States.StringToJson($.escaped)", input) == Json::parse(R"({"x": true})"));
  CHECK(Contains(EvalError("States.StringToJson('{bad')").message(), "not valid JSON"));
  CHECK(Contains(EvalError("States.StringToJson(5)").message(), "must be a string, got number"));
  Json deep = {{"s", std::string(100000, '[') + std::string(100000, ']')}};
  CHECK(Contains(EvalError("States.StringToJson($.s)", deep).message(), "nests deeper than"));
}

// Recorded against AWS (LocalStack test_json_manipulation::test_string_to_json).
TEST_CASE("States.StringToJson returns null for an empty or blank string", "[intrinsics]") {
  auto parse = [](const Json& text) {
    return Eval("States.StringToJson($.s)", Json{{"s", text}});
  };
  CHECK(parse("").is_null());
  CHECK(parse(" ").is_null());
  CHECK(parse("null").is_null());
  CHECK(parse("-0") == 0);
  CHECK(parse("1.1") == 1.1);
  CHECK(parse("true") == true);
  CHECK(parse("\"HelloWorld\"") == "HelloWorld");
  CHECK(parse("[1, 2, \"HelloWorld\"]") == Json::parse(R"([1, 2, "HelloWorld"])"));
  CHECK(parse("{\"Arg1\": 1, \"Arg2\": []}") == Json::parse(R"({"Arg1": 1, "Arg2": []})"));
}

// Docs and spec examples, with the exact outputs they give.
TEST_CASE("States.StringToJson and JsonToString docs examples", "[intrinsics]") {
  Json input = Json::parse(R"({"escapedJsonString": "{\"foo\": \"bar\"}"})");
  CHECK(Eval("States.StringToJson($.escapedJsonString)", input) == Json::parse(R"({"foo": "bar"})"));
  Json spec = Json::parse(R"({"someString": "{\"number\": 20}", "zebra": "stripe"})");
  CHECK(Eval("States.StringToJson($.someString)", spec) == Json::parse(R"({"number": 20})"));
  Json json = Json::parse(R"({"someJson": {"name": "Foo", "year": 2020}, "zebra": "stripe"})");
  CHECK(Eval("States.JsonToString($.someJson)", json) == R"({"name":"Foo","year":2020})");
  Json unescaped = Json::parse(R"({"unescapedJson": {"foo": "bar"}})");
  CHECK(Eval("States.JsonToString($.unescapedJson)", unescaped) == R"({"foo":"bar"})");
}

// Recorded against AWS (LocalStack test_json_manipulation::test_json_to_string).
TEST_CASE("States.JsonToString renders scalars and containers as AWS does", "[intrinsics]") {
  auto dump = [](const Json& value) {
    return Eval("States.JsonToString($.v)", Json{{"v", value}});
  };
  CHECK(dump(nullptr) == "null");
  CHECK(dump(Json::parse("-0")) == "0");
  CHECK(dump(1) == "1");
  CHECK(dump(1.1) == "1.1");
  CHECK(dump(true) == "true");
  CHECK(dump("HelloWorld") == "\"HelloWorld\"");
  CHECK(dump(Json::parse(R"([1, 2, "HelloWorld"])")) == R"([1,2,"HelloWorld"])");
  CHECK(dump(Json::parse(R"({"Arg1": 1, "Arg2": []})")) == R"({"Arg1":1,"Arg2":[]})");
}

TEST_CASE("States.JsonToString serialises compactly", "[intrinsics]") {
  Json input = Json::parse(R"({"o": {"b": [1, "x"], "a": null}, "s": "q\"", "n": 1.5})");
  // Members in the order the object has them, as Step Functions prints them.
  CHECK(Eval("States.JsonToString($.o)", input) == R"({"b":[1,"x"],"a":null})");
  CHECK(Eval("States.JsonToString($.s)", input) == R"("q\"")");
  CHECK(Eval("States.JsonToString($.n)", input) == "1.5");
  // Round trip.
  CHECK(Eval("States.StringToJson(States.JsonToString($.o))", input) == input["o"]);
}

TEST_CASE("States.Array collects its arguments", "[intrinsics]") {
  Json input = Json::parse(R"({"Id": 123456})");
  CHECK(Eval("States.Array($.Id)", input) == Json::parse("[123456]"));
  CHECK(Eval("States.Array('a', States.Array(1, 2))") == Json::parse(R"(["a", [1, 2]])"));
}

TEST_CASE("States.ArrayPartition splits into chunks", "[intrinsics]") {
  Json input = Json::parse(R"({"a": [1, 2, 3, 4, 5, 6, 7]})");
  CHECK(Eval("States.ArrayPartition($.a, 4)", input) == Json::parse("[[1,2,3,4],[5,6,7]]"));
  CHECK(Eval("States.ArrayPartition($.a, 7)", input) == Json::parse("[[1,2,3,4,5,6,7]]"));
  CHECK(Eval("States.ArrayPartition($.a, 100)", input) == Json::parse("[[1,2,3,4,5,6,7]]"));
  CHECK(Eval("States.ArrayPartition($.a, 1.0)", input) ==
        Json::parse("[[1],[2],[3],[4],[5],[6],[7]]"));
  CHECK(Eval("States.ArrayPartition(States.Array(), 2)") == Json::array());
  CHECK(Contains(EvalError("States.ArrayPartition($.a, 0)", input).message(), "positive integer"));
  CHECK(Contains(EvalError("States.ArrayPartition($.a, -2)", input).message(), "positive integer"));
  CHECK(Contains(EvalError("States.ArrayPartition($.a, 1.5)", input).message(), "must be an integer"));
  CHECK(Contains(EvalError("States.ArrayPartition($.a, '2')", input).message(), "must be an integer"));
  CHECK(Contains(EvalError("States.ArrayPartition('abc', 2)").message(), "must be an array, got string"));
}

TEST_CASE("States.ArrayContains tests deep membership", "[intrinsics]") {
  Json input = Json::parse(R"({"a": [1, "two", {"k": [3]}, null], "v": {"k": [3]}})");
  CHECK(Eval("States.ArrayContains($.a, 'two')", input) == true);
  CHECK(Eval("States.ArrayContains($.a, $.v)", input) == true);
  CHECK(Eval("States.ArrayContains($.a, 1.0)", input) == true);
  CHECK(Eval("States.ArrayContains($.a, null)", input) == true);
  CHECK(Eval("States.ArrayContains($.a, '1')", input) == false);
  CHECK(Eval("States.ArrayContains(States.Array(), 1)") == false);
  CHECK(Contains(EvalError("States.ArrayContains($.v, 1)", input).message(), "must be an array"));
}

TEST_CASE("States.ArrayRange builds inclusive ranges", "[intrinsics]") {
  CHECK(Eval("States.ArrayRange(1, 9, 2)") == Json::parse("[1,3,5,7,9]"));
  CHECK(Eval("States.ArrayRange(1, 10, 2)") == Json::parse("[1,3,5,7,9]"));
  CHECK(Eval("States.ArrayRange(0, 0, 1)") == Json::parse("[0]"));
  CHECK(Eval("States.ArrayRange(-3, 3, 3)") == Json::parse("[-3,0,3]"));
  CHECK(Eval("States.ArrayRange(5, 1, -2)") == Json::parse("[5,3,1]"));
  CHECK(Eval("States.ArrayRange(5, 1, 1)") == Json::array());
  CHECK(Eval("States.ArrayRange(1, 5, -1)") == Json::array());
  CHECK(Eval("States.ArrayRange(1.0, 3, 1)") == Json::parse("[1,2,3]"));
  CHECK(Eval("States.ArrayRange(1, 1000, 1)").size() == 1000);
  CHECK(Eval("States.ArrayRange(1000, 1, -1)").size() == 1000);
  CHECK(Contains(EvalError("States.ArrayRange(1, 1001, 1)").message(), "1001 elements; at most 1000"));
  CHECK(Contains(EvalError("States.ArrayRange(0, 9000000000000000, 1)").message(), "at most 1000"));
  CHECK(Contains(EvalError("States.ArrayRange(1, 5, 0)").message(), "step must not be 0"));
  CHECK(Contains(EvalError("States.ArrayRange(1.5, 5, 1)").message(), "must be an integer"));
  CHECK(Contains(EvalError("States.ArrayRange(1, '5', 1)").message(), "must be an integer"));
  CHECK(Contains(EvalError("States.ArrayRange(0, 1e300, 1)").message(), "out of range"));
}

TEST_CASE("States.ArrayGetItem returns the element at an index", "[intrinsics]") {
  Json input = Json::parse(R"({"a": [1, 2, 3, {"x": 4}], "i": 3})");
  CHECK(Eval("States.ArrayGetItem($.a, 0)", input) == 1);
  CHECK(Eval("States.ArrayGetItem($.a, $.i)", input) == Json::parse(R"({"x": 4})"));
  CHECK(Eval("States.ArrayGetItem($.a, 2.0)", input) == 3);
  CHECK(Contains(EvalError("States.ArrayGetItem($.a, 4)", input).message(),
                 "index 4 is out of range for an array of 4"));
  CHECK(Contains(EvalError("States.ArrayGetItem($.a, -1)", input).message(), "index -1 is out of range"));
  CHECK(Contains(EvalError("States.ArrayGetItem($.a, 0.5)", input).message(), "must be an integer"));
  CHECK(Contains(EvalError("States.ArrayGetItem($.i, 0)", input).message(), "must be an array"));
}

TEST_CASE("States.ArrayLength counts elements", "[intrinsics]") {
  Json input = Json::parse(R"({"a": [1, [2, 3], null], "s": "abc"})");
  CHECK(Eval("States.ArrayLength($.a)", input) == 3);
  CHECK(Eval("States.ArrayLength(States.Array())") == 0);
  CHECK(Contains(EvalError("States.ArrayLength($.s)", input).message(), "must be an array, got string"));
}

TEST_CASE("States.ArrayUnique keeps first occurrences", "[intrinsics]") {
  Json input = Json::parse(R"({"a": [1, 2, 3, 3, 3, 3, 3, 3, 4], "b": [{"k": 1}, "1", 1, {"k": 1.0}, 1.0, [1], [1], "1"]})");
  CHECK(Eval("States.ArrayUnique($.a)", input) == Json::parse("[1,2,3,4]"));
  CHECK(Eval("States.ArrayUnique($.b)", input) == Json::parse(R"([{"k": 1}, "1", 1, [1]])"));
  CHECK(Eval("States.ArrayUnique(States.Array(3, 1, 3, 2, 1))") == Json::parse("[3,1,2]"));
  CHECK(Eval("States.ArrayUnique(States.Array())") == Json::array());
  CHECK(Contains(EvalError("States.ArrayUnique('x')").message(), "must be an array"));
}

TEST_CASE("States.Base64Encode and Base64Decode", "[intrinsics]") {
  CHECK(Eval("States.Base64Encode('hello')") == "aGVsbG8=");
  CHECK(Eval("States.Base64Encode('Hello, 世界')") == "SGVsbG8sIOS4lueVjA==");
  CHECK(Eval("States.Base64Encode('')") == "");
  CHECK(Eval("States.Base64Decode('aGVsbG8=')") == "hello");
  CHECK(Eval("States.Base64Decode('aGVsbG8')") == "hello");  // padding may be left off
  CHECK(Eval("States.Base64Decode('SGVsbG8sIOS4lueVjA==')") == "Hello, 世界");
  CHECK(Eval("States.Base64Decode(States.Base64Encode('round trip'))") == "round trip");
  // Bytes that are not UTF-8 become U+FFFD.
  CHECK(Eval("States.Base64Decode('/w==')") == "\xEF\xBF\xBD");
  CHECK(Contains(EvalError("States.Base64Decode('a$==')").message(), "not valid base64"));
  CHECK(Contains(EvalError("States.Base64Decode('a')").message(), "not valid base64"));
  CHECK(Contains(EvalError("States.Base64Encode(1)").message(), "must be a string, got number"));
  CHECK(Contains(EvalError("States.Base64Decode(null)").message(), "must be a string, got null"));
}

TEST_CASE("States.Base64 functions limit input to 10,000 characters", "[intrinsics]") {
  Json input = {{"ok", std::string(10000, 'a')}, {"long", std::string(10001, 'a')}};
  CHECK(Eval("States.Base64Encode($.ok)", input).get<std::string>().size() == 13336);
  CHECK(Contains(EvalError("States.Base64Encode($.long)", input).message(),
                 "10001 characters; at most 10000"));
  Json b64 = {{"long", std::string(10004, 'A')}};
  CHECK(Contains(EvalError("States.Base64Decode($.long)", b64).message(), "at most 10000"));
  // Characters, not bytes: 10,000 three-byte characters are allowed.
  std::string wide;
  for (int i = 0; i < 10000; ++i) wide += "世";
  CHECK(Eval("States.Base64Encode($.w)", Json{{"w", wide}}).is_string());
}

TEST_CASE("States.Hash computes hex digests", "[intrinsics]") {
  CHECK(Eval("States.Hash('hello', 'MD5')") == "5d41402abc4b2a76b9719d911017c592");
  CHECK(Eval("States.Hash('hello', 'SHA-1')") == "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
  CHECK(Eval("States.Hash('hello', 'SHA-256')") ==
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  CHECK(Eval("States.Hash('hello', 'SHA-384')") ==
        "59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f");
  CHECK(Eval("States.Hash('hello', 'SHA-512')") ==
        "9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043");
  // Non-string data is hashed as its compact JSON text.
  CHECK(Eval("States.Hash(States.Array(1, 2), 'MD5')") == "f79408e5ca998cd53faf44af31e6eb45");
  CHECK(Eval("States.Hash($.o, 'SHA-256')", Json::parse(R"({"o": {"a": 1}})")) ==
        "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");
}

TEST_CASE("States.Hash failures", "[intrinsics]") {
  CHECK(Contains(EvalError("States.Hash('x', 'SHA256')").message(), "unknown algorithm \"SHA256\""));
  CHECK(Contains(EvalError("States.Hash('x', 'md5')").message(), "unknown algorithm"));
  CHECK(Contains(EvalError("States.Hash('x', 5)").message(), "algorithm (second argument) must be a string"));
  Json input = {{"long", std::string(10001, 'a')}, {"ok", std::string(10000, 'a')}};
  CHECK(Contains(EvalError("States.Hash($.long, 'MD5')", input).message(), "at most 10000"));
  CHECK(Eval("States.Hash($.ok, 'MD5')", input).is_string());
}

TEST_CASE("States.JsonMerge merges shallowly", "[intrinsics]") {
  Json input = Json::parse(R"({
    "json1": {"a": {"a1": 1, "a2": 2}, "b": 2},
    "json2": {"a": {"a3": 1, "a4": 2}, "c": 3}})");
  CHECK(Eval("States.JsonMerge($.json1, $.json2, false)", input) ==
        Json::parse(R"({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3})"));
  CHECK(Eval("States.JsonMerge($.json1, States.StringToJson('{}'), false)", input) == input["json1"]);
  CHECK(Contains(EvalError("States.JsonMerge($.json1, $.json2, true)", input).message(),
                 "deep merging is not supported"));
  CHECK(Contains(EvalError("States.JsonMerge($.json1, $.json2, 'false')", input).message(),
                 "must be a boolean"));
  CHECK(Contains(EvalError("States.JsonMerge($.json1, States.Array(), false)", input).message(),
                 "second argument must be an object, got array"));
  CHECK(Contains(EvalError("States.JsonMerge(1, $.json2, false)", input).message(),
                 "first argument must be an object"));
}

TEST_CASE("States.MathRandom draws from the injected source", "[intrinsics]") {
  EvalContext ctx;
  ctx.random = FixedRandom({0});
  CHECK(Eval("States.MathRandom(1, 999)", {}, ctx) == 1);
  ctx.random = FixedRandom({UINT64_MAX});
  CHECK(Eval("States.MathRandom(1, 999)", {}, ctx) == 999);
  ctx.random = FixedRandom({uint64_t{1} << 63});
  CHECK(Eval("States.MathRandom(1, 10)", {}, ctx) == 6);
  CHECK(Eval("States.MathRandom(-5, -5)", {}, ctx) == -5);
  Json input = Json::parse(R"({"start": 1, "end": 999})");
  CHECK(Eval("States.MathRandom($.start, $.end)", input, ctx) == 500);
}

TEST_CASE("States.MathRandom is deterministic for a seed", "[intrinsics]") {
  EvalContext ctx;
  ctx.random = [] {
    FAIL("a seeded MathRandom must not draw from the context");
    return uint64_t{0};
  };
  Json first = Eval("States.MathRandom(1, 1000000, 7)", {}, ctx);
  CHECK(Eval("States.MathRandom(1, 1000000, 7)", {}, ctx) == first);
  CHECK(first.get<int64_t>() >= 1);
  CHECK(first.get<int64_t>() <= 1000000);
  // Pinned so that a change of the mapping (which would change replays) is seen.
  CHECK(first == 389830);  // splitmix64(7) mapped onto [1, 1000000]
  CHECK(Eval("States.MathRandom(1, 1000000, 8)", {}, ctx) != first);
  CHECK(Eval("States.MathRandom(0, 0, 123)", {}, ctx) == 0);
}

TEST_CASE("States.MathRandom without a seed stays in range", "[intrinsics]") {
  for (int i = 0; i < 200; ++i) {
    int64_t v = Eval("States.MathRandom(3, 5)").get<int64_t>();
    CHECK(v >= 3);
    CHECK(v <= 5);
  }
}

TEST_CASE("States.MathRandom failures and rounding", "[intrinsics]") {
  EvalContext ctx;
  ctx.random = FixedRandom({UINT64_MAX});
  // Non-integers are rounded to the nearest integer, as AWS documents.
  CHECK(Eval("States.MathRandom(1, 9.5)", {}, ctx) == 10);
  CHECK(Contains(EvalError("States.MathRandom(5, 1)").message(), "start (5) is greater than the end (1)"));
  CHECK(Contains(EvalError("States.MathRandom('1', 5)").message(), "start must be a number, got string"));
  CHECK(Contains(EvalError("States.MathRandom(1, 5, 'seed')").message(), "seed must be a number"));
  CHECK(Contains(EvalError("States.MathRandom(1, 1e20)").message(), "out of range"));
}

TEST_CASE("States.MathAdd adds integers", "[intrinsics]") {
  Json input = Json::parse(R"({"value1": 111, "step": -1})");
  CHECK(Eval("States.MathAdd($.value1, $.step)", input) == 110);
  CHECK(Eval("States.MathAdd(2, 3)").is_number_integer());
  CHECK(Eval("States.MathAdd(1.0, 2)") == 3);
  CHECK(Eval("States.MathAdd(-9007199254740991, 9007199254740991)") == 0);
  // Non-integers are rounded to the nearest integer, halves upwards (Java's
  // Math.round), as AWS documents.
  CHECK(Eval("States.MathAdd(1.4, 0)") == 1);
  CHECK(Eval("States.MathAdd(1.5, 0)") == 2);
  CHECK(Eval("States.MathAdd(-1.5, 0)") == -1);
  CHECK(Eval("States.MathAdd(-1.6, 0)") == -2);
  CHECK(Contains(EvalError("States.MathAdd('1', 2)").message(), "first argument must be a number, got string"));
  CHECK(Contains(EvalError("States.MathAdd(1, null)").message(), "second argument must be a number, got null"));
  CHECK(Contains(EvalError("States.MathAdd(1e300, 1)").message(), "out of range"));
}

TEST_CASE("States.StringSplit splits on every delimiter character", "[intrinsics]") {
  CHECK(Eval("States.StringSplit('1,2,3,4,5', ',')") == Json::parse(R"(["1","2","3","4","5"])"));
  CHECK(Eval("States.StringSplit('This,is+a,test+string', ',+')") ==
        Json::parse(R"(["This","is","a","test","string"])"));
  CHECK(Eval("States.StringSplit(',,a,,b,', ',')") == Json::parse(R"(["a","b"])"));
  CHECK(Eval("States.StringSplit('a b', '')") == Json::parse(R"(["a b"])"));
  CHECK(Eval("States.StringSplit('', ',')") == Json::array());
  CHECK(Eval("States.StringSplit(',,,', ',')") == Json::array());
  CHECK(Eval("States.StringSplit('a世b界c', '界世')") == Json::parse(R"(["a","b","c"])"));
  Json input = Json::parse(R"({"arn": "arn:aws:x:y/name.v1/2"})");
  CHECK(Eval("States.ArrayGetItem(States.StringSplit($.arn, '/'), 1)", input) == "name.v1");
  CHECK(Contains(EvalError("States.StringSplit(1, ',')").message(), "first argument must be a string"));
  CHECK(Contains(EvalError("States.StringSplit('a', 1)").message(), "delimiters (second argument) must be a string"));
}

TEST_CASE("States.UUID builds a version 4 UUID from the injected source", "[intrinsics]") {
  EvalContext ctx;
  ctx.random = FixedRandom({0x0123456789abcdefull, 0xfedcba9876543210ull});
  CHECK(Eval("States.UUID()", {}, ctx) == "01234567-89ab-4def-bedc-ba9876543210");
  ctx.random = FixedRandom({0, 0});
  CHECK(Eval("States.UUID()", {}, ctx) == "00000000-0000-4000-8000-000000000000");
  std::string a = Eval("States.UUID()").get<std::string>();
  std::string b = Eval("States.UUID()").get<std::string>();
  CHECK(a != b);
  REQUIRE(a.size() == 36);
  CHECK(a[14] == '4');
  CHECK(std::string("89ab").find(a[19]) != std::string::npos);
}

TEST_CASE("Nested intrinsics compose", "[intrinsics]") {
  Json input = Json::parse(R"({"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123:image-recipe/my-recipe.v2/1.0.0"}})");
  CHECK(Eval("States.Format('{}.{}.{}', "
             "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), "
             "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1), "
             "States.ArrayLength(States.ArrayRange(1, 5, 1)))",
             input) == "1.0.5");
  CHECK(Eval("States.MathAdd(States.ArrayLength(States.Array(1, 2)), States.StringToJson('40'))") == 42);
  // Objects are equal whatever their member order.
  Json objects = Json::parse(R"({"a":[{"x":1,"y":2},{"y":2,"x":1},{"x":2}],"o":{"y":2,"x":1}})");
  CHECK(Eval("States.ArrayUnique($.a)", objects) == Json::parse(R"([{"x":1,"y":2},{"x":2}])"));
  CHECK(DumpCompact(Eval("States.ArrayUnique($.a)", objects)) == R"([{"x":1,"y":2},{"x":2}])");
  CHECK(Eval("States.ArrayContains($.a, $.o)", objects) == true);
  // A call wherever a value goes, ten deep (what Step Functions allows).
  std::string deep = "$.n";
  for (int i = 0; i < 9; ++i) deep = "States.Array(" + deep + ")";
  CHECK(Eval("States.JsonToString(" + deep + ")", Json{{"n", 7}}) == "[[[[[[[[[7]]]]]]]]]");
  CHECK(Eval("States.JsonToString(States.StringToJson($.s))", Json{{"s", R"({"z":1,"a":2})"}}) ==
        R"({"z":1,"a":2})");
}

}  // namespace
}  // namespace stepflow::expr
