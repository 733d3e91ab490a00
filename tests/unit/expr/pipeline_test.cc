#include "engine/expr/pipeline.h"

#include <catch2/catch.hpp>

using stepflow::Json;
using namespace stepflow::expr;

namespace {

PathField Field(const Json& v) {
  auto f = PathField::FromJson(&v);
  REQUIRE(f.ok());
  return *f;
}

PayloadTemplate Template(const Json& t) {
  auto c = PayloadTemplate::Compile(t);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return *c;
}

}  // namespace

TEST_CASE("spec example: InputPath, ResultPath and OutputPath", "[pipeline]") {
  // From the ASL specification's "Filters" section.
  Json raw = Json::parse(R"j({"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}})j");
  StateIo io;
  io.input_path = Field("$.numbers");
  io.result_path = Field("$.sum");
  auto input = io.EffectiveInput(raw, {});
  REQUIRE(input.ok());
  CHECK(*input == Json::parse(R"j({"val1": 3, "val2": 4})j"));
  Json result = (*input)["val1"].get<int>() + (*input)["val2"].get<int>();
  auto out = io.Output(raw, result, {});
  REQUIRE(out.ok());
  CHECK(*out == Json::parse(R"j({"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}, "sum": 7})j"));

  io.output_path = Field("$.sum");
  CHECK(*io.Output(raw, result, {}) == 7);
}

TEST_CASE("spec example: Parameters with paths, slices and literals", "[pipeline]") {
  Json raw = Json::parse(R"j({"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]})j");
  StateIo io;
  io.parameters = Template(Json::parse(
      R"j({"flagged": true, "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[-3:]"}})j"));
  auto input = io.EffectiveInput(raw, {});
  REQUIRE(input.ok());
  CHECK(*input == Json::parse(R"j({"flagged": true, "parts": {"first": 0, "last3": [30, 40, 50]}})j"));
}

TEST_CASE("spec example: ResultPath replaces a node", "[pipeline]") {
  Json raw = Json::parse(R"j({"master": {"detail": [1, 2, 3]}})j");
  auto out = ApplyResultPath(Field("$.master.detail"), raw, Json::array({4}));
  REQUIRE(out.ok());
  CHECK(*out == Json::parse(R"j({"master": {"detail": [4]}})j"));
}

TEST_CASE("ResultPath creates missing intermediate objects", "[pipeline]") {
  auto out = ApplyResultPath(Field("$.a.b.c"), Json::parse(R"j({"x": 1})j"), "v");
  REQUIRE(out.ok());
  CHECK(*out == Json::parse(R"j({"x": 1, "a": {"b": {"c": "v"}}})j"));
  auto idx = ApplyResultPath(Field("$.list[1]"), Json::parse(R"j({"list": [1, 2]})j"), "v");
  REQUIRE(idx.ok());
  CHECK(*idx == Json::parse(R"j({"list": [1, "v"]})j"));
}

TEST_CASE("ResultPath defaults and null", "[pipeline]") {
  CHECK(*ApplyResultPath(PathField{}, Json{{"a", 1}}, "r") == "r");
  CHECK(*ApplyResultPath(Field("$"), Json{{"a", 1}}, "r") == "r");
  CHECK(*ApplyResultPath(Field(nullptr), Json{{"a", 1}}, "r") == Json{{"a", 1}});
}

TEST_CASE("ResultPath that cannot apply is States.ResultPathMatchFailure", "[pipeline]") {
  for (auto [path, raw] : {std::pair<const char*, Json>{"$.x", "foo"},
                           {"$.a.b", Json::parse(R"j({"a": 5})j")},
                           {"$.list[5]", Json::parse(R"j({"list": [1]})j")},
                           {"$.list[0]", Json::parse(R"j({"list": {"0": 1}})j")}}) {
    INFO(path);
    auto out = ApplyResultPath(Field(path), raw, 1);
    REQUIRE_FALSE(out.ok());
    CHECK(out.status().error() == "States.ResultPathMatchFailure");
  }
}

TEST_CASE("InputPath and OutputPath: null gives {}, a miss is States.Runtime", "[pipeline]") {
  Json raw = Json::parse(R"j({"a": {"b": 1}, "list": [1, 2, 3]})j");
  CHECK(*ApplyInputPath(Field(nullptr), raw, {}) == Json::object());
  CHECK(*ApplyInputPath(Field("$.a"), raw, {}) == Json{{"b", 1}});
  CHECK(*ApplyInputPath(Field("$.list[0,2]"), raw, {}) == Json::array({1, 3}));
  auto miss = ApplyInputPath(Field("$.nope"), raw, {});
  REQUIRE_FALSE(miss.ok());
  CHECK(miss.status().error() == "States.Runtime");
  auto miss_out = ApplyOutputPath(Field("$.a.c"), raw, {});
  REQUIRE_FALSE(miss_out.ok());
  CHECK(miss_out.status().error() == "States.Runtime");
}

// AWS quotes Jayway JsonPath in the cause: "Invalid path '$.foo' : No
// results for path: $['foo']" (LocalStack's parity tests use the same form).
TEST_CASE("an InputPath that selects nothing gives AWS's cause", "[pipeline]") {
  Json raw = Json::parse(R"j({"a": {"b": 1}})j");
  auto miss = ApplyInputPath(Field("$.foo"), raw, {});
  REQUIRE_FALSE(miss.ok());
  CHECK(miss.status().error() == "States.Runtime");
  CHECK(miss.status().message() == "Invalid path '$.foo' : No results for path: $['foo']");
  auto deep = ApplyOutputPath(Field("$.a.c"), raw, {});
  CHECK(deep.status().message() == "Invalid path '$.a.c' : No results for path: $['a']['c']");
  auto prefix = ApplyInputPath(Field("$.x[*].y"), raw, {});
  REQUIRE_FALSE(prefix.ok());
  CHECK(prefix.status().error() == "States.Runtime");
  CHECK(prefix.status().message() == "Invalid path '$.x[*].y' : Missing property in path $['x']");
}

// AWS: "Unable to apply Path transformation to null or empty input." when a
// state whose input is null applies a path to it.
TEST_CASE("a path on a null input is States.Runtime", "[pipeline]") {
  auto r = ApplyInputPath(Field("$.a"), Json(nullptr), {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().error() == "States.Runtime");
  CHECK(r.status().message() == "Unable to apply Path transformation to null or empty input.");
  CHECK(ApplyInputPath(Field("$"), Json(nullptr), {})->is_null());
}

TEST_CASE("spec example: a payload template with the Context Object and an intrinsic", "[pipeline][template]") {
  Json context = Json::parse(R"j({"DayOfWeek": "TUESDAY"})j");
  EvalContext ctx;
  ctx.context = &context;
  StateIo io;
  io.parameters = Template(Json::parse(R"j({"flagged": true,
    "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[-3:]"},
    "weekday.$": "$$.DayOfWeek",
    "formattedOutput.$": "States.Format('Today is {}', $$.DayOfWeek)"})j"));
  auto input = io.EffectiveInput(Json::parse(R"j({"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]})j"), ctx);
  REQUIRE(input.ok());
  CHECK(*input == Json::parse(R"j({"flagged": true, "parts": {"first": 0, "last3": [30, 40, 50]},
    "weekday": "TUESDAY", "formattedOutput": "Today is TUESDAY"})j"));
}

TEST_CASE("spec examples: ResultPath builds missing levels", "[pipeline]") {
  Json raw = Json::parse(R"j({"master": {"detail": [1, 2, 3]}})j");
  CHECK(*ApplyResultPath(Field("$.master.result.sum"), raw, 6) ==
        Json::parse(R"j({"master": {"detail": [1, 2, 3], "result": {"sum": 6}}})j"));
  CHECK(*ApplyResultPath(Field("$.b.greeting"), Json{{"a", 1}}, "Hi!") ==
        Json::parse(R"j({"a": 1, "b": {"greeting": "Hi!"}})j"));
  // "$.a[0,1]" yields two texts, gathered into an array.
  CHECK(*ApplyInputPath(Field("$.a[0,1]"), Json::parse(R"j({"a": [1, 2, 3, 4]})j"), {}) ==
        Json::parse("[1, 2]"));
}

TEST_CASE("docs example: InputPath selects a node", "[pipeline]") {
  Json raw = Json::parse(R"j({"comment": "Example for InputPath.",
    "dataset1": {"val1": 1, "val2": 2, "val3": 3},
    "dataset2": {"val1": "a", "val2": "b", "val3": "c"}})j");
  CHECK(*ApplyInputPath(Field("$.dataset2"), raw, {}) ==
        Json::parse(R"j({"val1": "a", "val2": "b", "val3": "c"})j"));
  // "If you apply the path $.a[0:2], the following is the result: [ 1, 2 ]"
  CHECK(*ApplyInputPath(Field("$.a[0:2]"), Json::parse(R"j({"a": [1, 2, 3, 4]})j"), {}) ==
        Json::parse("[1, 2]"));
}

TEST_CASE("docs example: Parameters select from the input", "[pipeline][template]") {
  Json raw = Json::parse(R"j({"comment": "Example for Parameters.",
    "product": {"details": {"color": "blue", "size": "small", "material": "cotton"},
                "availability": "in stock", "sku": "2317", "cost": "$23"}})j");
  StateIo io;
  io.parameters = Template(Json::parse(R"j({"comment": "Selecting what I care about.",
    "MyDetails": {"size.$": "$.product.details.size", "exists.$": "$.product.availability",
                  "StaticValue": "foo"}})j"));
  CHECK(*io.EffectiveInput(raw, {}) == Json::parse(R"j({"comment": "Selecting what I care about.",
    "MyDetails": {"size": "small", "exists": "in stock", "StaticValue": "foo"}})j"));
}

TEST_CASE("docs examples: ResultPath", "[pipeline]") {
  Json raw = Json::parse(R"j({"comment": "This is a test of the input and output of a Task state.",
    "details": "Default example", "who": "AWS Step Functions"})j");
  Json result = "Hello, AWS Step Functions!";
  CHECK(*ApplyResultPath(PathField{}, raw, result) == result);
  Json appended = raw;
  appended["taskresult"] = result;
  CHECK(*ApplyResultPath(Field("$.taskresult"), raw, result) == appended);
  Json replaced = raw;
  replaced["comment"] = result;
  CHECK(*ApplyResultPath(Field("$.comment"), raw, result) == replaced);
  Json strings = Json::parse(R"j({"comment": "An input comment.",
    "strings": {"string1": "foo", "string2": "bar", "string3": "baz"}, "who": "AWS Step Functions"})j");
  Json child = strings;
  child["strings"]["lambdaresult"] = result;
  CHECK(*ApplyResultPath(Field("$.strings.lambdaresult"), strings, result) == child);
  // A Catch with "ResultPath": "$.error" keeps the input.
  CHECK(*ApplyResultPath(Field("$.error"), Json{{"foo", "bar"}}, Json{{"Error", "Error here"}}) ==
        Json::parse(R"j({"foo": "bar", "error": {"Error": "Error here"}})j"));
}

TEST_CASE("Parameters gather an indefinite path's matches into an array", "[pipeline][template]") {
  auto t = Template(Json::parse(R"j({"ids.$": "$.items[*].id", "none.$": "$.items[?(@.id > 9)]",
                                   "firsts.$": "$.items[0,1].id"})j"));
  Json input = Json::parse(R"j({"items": [{"id": 1}, {"id": 2}, {"x": 3}]})j");
  CHECK(*t.Evaluate(input, {}) == Json::parse(R"j({"ids": [1, 2], "none": [], "firsts": [1, 2]})j"));
  // Jayway fails when the definite part before the wildcard is missing.
  auto miss = Template(Json::parse(R"j({"ids.$": "$.nope[*].id"})j")).Evaluate(input, {});
  REQUIRE_FALSE(miss.ok());
  CHECK(miss.status().error() == "States.ParameterPathFailure");
}

TEST_CASE("ResultSelector shapes the result before ResultPath", "[pipeline]") {
  StateIo io;
  io.result_selector = Template(Json::parse(R"j({"body.$": "$.Payload.body", "code": 200})j"));
  io.result_path = Field("$.response");
  auto out = io.Output(Json{{"req", 1}}, Json::parse(R"j({"Payload": {"body": "hi", "junk": 1}})j"), {});
  REQUIRE(out.ok());
  CHECK(*out == Json::parse(R"j({"req": 1, "response": {"body": "hi", "code": 200}})j"));
}

TEST_CASE("payload templates: context, variables, intrinsics, arrays", "[pipeline][template]") {
  Json context = {{"Execution", {{"Id", "e-1"}}}, {"Map", {{"Item", {{"Index", 3}}}}}};
  Json vars = {{"limit", 10}};
  VariableScope scope{&vars, nullptr};
  EvalContext ctx;
  ctx.context = &context;
  ctx.variables = &scope;
  auto t = Template(Json::parse(R"j({
    "id.$": "$$.Execution.Id",
    "index.$": "$$.Map.Item.Index",
    "limit.$": "$limit",
    "greeting.$": "States.Format('Hello {}', $.name)",
    "nested": {"list": [{"n.$": "$.name"}, 1, "$.literal"]},
    "plain": "text"
  })j"));
  CHECK_FALSE(t.is_constant());
  auto out = t.Evaluate(Json{{"name", "Ada"}}, ctx);
  REQUIRE(out.ok());
  CHECK(*out == Json::parse(R"j({"id": "e-1", "index": 3, "limit": 10, "greeting": "Hello Ada",
    "nested": {"list": [{"n": "Ada"}, 1, "$.literal"]}, "plain": "text"})j"));
  CHECK(Template(Json::parse(R"j({"a": [1, {"b": 2}]})j")).is_constant());
}

// The specification's error name, with the cause text Step Functions uses
// ("The JSONPath '...' specified for the field '...' could not be found in
// the input '...'"); the runtime prefixes the state name.
TEST_CASE("a payload template path that selects nothing is States.ParameterPathFailure", "[pipeline][template]") {
  auto t = Template(Json::parse(R"j({"address.$": "$.application.address"})j"));
  auto out = t.Evaluate(Json{{"flagged", false}}, {});
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().error() == "States.ParameterPathFailure");
  CHECK(out.status().message() ==
        R"(The JSONPath '$.application.address' specified for the field 'address.$' could not be found in the input '{"flagged":false}')");
}

TEST_CASE("payload template failures", "[pipeline][template]") {
  auto t = Template(Json::parse(R"j({"x.$": "$.missing"})j"));
  auto out = t.Evaluate(Json::object(), {});
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().error() == "States.ParameterPathFailure");
  CHECK(out.status().message().find("$.missing") != std::string::npos);

  auto bad = Template(Json::parse(R"j({"x.$": "States.StringToJson($.s)"})j"));
  auto r = bad.Evaluate(Json{{"s", "{not json"}}, {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().error() == "States.IntrinsicFailure");
}

TEST_CASE("payload template checks report every problem", "[pipeline][template]") {
  std::vector<TemplateIssue> issues;
  PayloadTemplate::Check(Json::parse(R"j({
    "a.$": 5,
    "b.$": "$.x[",
    "c.$": "States.Nope()",
    "d.$": "plain words",
    "e": "$.looks.like.path",
    "f": 1, "f.$": "$.f",
    "deep": {"g.$": "$$.Execution.Id", "h": "States.Format('x')"}
  })j"), &issues);
  std::map<std::string, std::string> by_pointer;
  for (const auto& i : issues) by_pointer[i.pointer] = i.code + (i.warning ? "/W" : "/E");
  CHECK(by_pointer["/a.$"] == "SCHEMA_VALIDATION_FAILED/E");
  CHECK(by_pointer["/b.$"] == "INVALID_PATH/E");
  CHECK(by_pointer["/c.$"] == "INVALID_PATH/E");
  CHECK(by_pointer["/d.$"] == "INVALID_PATH/E");
  CHECK(by_pointer["/e"] == "NO_DOLLAR/W");
  CHECK(by_pointer.count("/f.$") + by_pointer.count("/f") == 1);
  CHECK(by_pointer["/deep/h"] == "NO_DOLLAR/W");
  CHECK(by_pointer.count("/deep/g.$") == 0);
  CHECK(issues.size() == 7);
  CHECK_FALSE(PayloadTemplate::Compile(Json::parse(R"j({"b.$": "$.x["})j")).ok());
}
