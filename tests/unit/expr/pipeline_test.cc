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
