// Step Functions' JSONata functions: $partition, $range, $hash, $random,
// $uuid, $parse (ASL_NOTES §4), evaluated as a state's expressions are.
#include "engine/expr/jsonata_functions.h"

#include <catch2/catch.hpp>
#include <regex>

#include "engine/expr/jsonata_template.h"

using stepflow::Json;
using stepflow::Result;
using namespace stepflow::expr;

namespace {

Result<Json> Eval(const std::string& expression, const EvalContext& ctx = {}) {
  auto t = JsonataTemplate::Compile(Json("{% " + expression + " %}"), "Output");
  INFO(t.status().ToString());
  REQUIRE(t.ok());
  Json input = Json::object();
  JsonataScope scope(&input, ctx, 0);
  return t->Evaluate(scope);
}

Json Ok(const std::string& expression, const EvalContext& ctx = {}) {
  Result<Json> r = Eval(expression, ctx);
  INFO(expression << ": " << r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

// The cause of a failing expression.
std::string Fails(const std::string& expression) {
  Result<Json> r = Eval(expression);
  INFO(expression);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().error() == "States.QueryEvaluationError");
  return r.status().message();
}

bool Undefined(const std::string& expression) {
  Result<Json> r = Eval(expression);
  return !r.ok() && r.status().message().ends_with("returned nothing (undefined).");
}

}  // namespace

TEST_CASE("$partition splits an array into chunks", "[jsonata][functions]") {
  CHECK(Ok("$partition([1,2,3,4,5], 2)") == Json::parse("[[1,2],[3,4],[5]]"));
  CHECK(Ok("$partition([1,2,3], 5)") == Json::parse("[[1,2,3]]"));
  CHECK(Ok("$partition([1,2,3])") == Json::parse("[[1,2,3]]"));
  CHECK(Ok("$partition([1,2,3,4,5], 2.9)") == Json::parse("[[1,2],[3,4],[5]]"));
  CHECK(Ok("$partition(['a'], 1)") == Json::parse(R"([["a"]])"));
  CHECK(Undefined("$partition([], 2)"));
  CHECK(Undefined("$partition([1,2,3], 0)"));
  CHECK(Undefined("$partition([1,2,3,4], -0.5)"));
  CHECK(Fails("$partition([1,2,3], -1)").find("D3137: Second argument must be zero or greater") !=
        std::string::npos);
  CHECK(Fails("$partition([1,2,3], 2, 'x')").find("T0410") != std::string::npos);
}

TEST_CASE("$range counts from start to end by step", "[jsonata][functions]") {
  CHECK(Ok("$range(0, 10, 2)") == Json::parse("[0,2,4,6,8,10]"));
  CHECK(Ok("$range(10, 0, -2)") == Json::parse("[10,8,6,4,2,0]"));
  CHECK(Ok("$range(1, 10, 4)") == Json::parse("[1,5,9]"));
  CHECK(Ok("$range(-1.7, 2, 1)") == Json::parse("[-1,0,1,2]"));
  CHECK(Ok("$range(5, 1, -1.5)") == Json::parse("[5,4,3,2,1]"));
  CHECK(Ok("$range(3, 3, 1)") == 3);  // one number is that number
  CHECK(Ok("$count($range(-9223372036854775808, 9223372036854775807, 9223372036854775807))") == 3);
  CHECK(Ok("$count($range(1, 360145, 1))") == 360145);
  CHECK(Undefined("$range(5, 1, 1)"));
  CHECK(Undefined("$range(1, 5, 0)"));
  CHECK(Undefined("$range(1, 5)"));
  CHECK(Fails("$range(1)").find("T0410") != std::string::npos);
  CHECK(Fails("$range(1, 360146, 1)").find("memory limit exceeded") != std::string::npos);
  CHECK(Fails("$range(1, 1000000000, 1)").find("memory limit exceeded") != std::string::npos);
}

TEST_CASE("$hash gives hex digests", "[jsonata][functions]") {
  CHECK(Ok("$hash('Hello', 'MD5')") == "8b1a9953c4611296a827abf8c47804d7");
  CHECK(Ok("$hash('Hello', 'SHA-1')") == "f7ff9e8b7bb2e09b70935a5d785e0cc5d9d0abf0");
  CHECK(Ok("$hash('Hello', 'SHA-256')") ==
        "185f8db32271fe25f561a6fc938b2e264306ec304eda518007d1764826381969");
  CHECK(Ok("$hash('Hello', 'SHA-384')") ==
        "3519fe5ad2c596efe3e276a6f351b8fc0b03db861782490d45f7598ebd0ab5fd"
        "5520ed102f38c4a5ec834e98668035fc");
  CHECK(Ok("$hash('Hello', 'SHA-512')") ==
        "3615f80c9d293ed7402687f94b22d58e529b8cc7916f8fac7fddf7fbd5af4cf7"
        "77d3d795a7a00a16bf7e7f3fb9561ee9baae480da9fe7a18769e71886b03f315");
  CHECK(Ok("$hash('ñ', 'MD5')") == "94e9342ecbb1458b6043ecd3bfcbc192");  // UTF-8 bytes
  CHECK(Undefined("$hash('Hello')"));
  CHECK(Fails("$hash('Hello', 'md5')").find("D3137") != std::string::npos);
  CHECK(Fails("$hash('Hello', 'SHA3-256')").find("D3137") != std::string::npos);
  CHECK(Fails("$hash(42, 'MD5')").find("T0410") != std::string::npos);
}

TEST_CASE("$random is at least 0 and below 1 and a seed gives Step Functions' value", "[jsonata][functions]") {
  CHECK(Ok("$random(42)").get<double>() == 0.7275636800328681);
  CHECK(Ok("$random(0)").get<double>() == 0.730967787376657);
  CHECK(Ok("$random(7)").get<double>() == 0.7306990420600421);
  CHECK(Ok("$random(0.9)") == Ok("$random(0)"));
  CHECK(Ok("$random(42) = $random(42)") == true);
  for (int i = 0; i < 20; ++i) {
    double r = Ok("$random()").get<double>();
    CHECK(r >= 0);
    CHECK(r < 1);
  }
  CHECK(Ok("$random() = $random()") == false);
  CHECK(Fails("$random(1, 2)").find("T0410") != std::string::npos);
}

TEST_CASE("$uuid makes version 4 UUIDs from the injected randomness", "[jsonata][functions]") {
  const std::regex v4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::string u = Ok("$uuid()").get<std::string>();
  CHECK(std::regex_match(u, v4));
  CHECK(Ok("$uuid() = $uuid()") == false);
  EvalContext fixed;
  fixed.random = [] { return uint64_t{0x0123456789ABCDEF}; };
  std::string a = Ok("$uuid()", fixed).get<std::string>();
  CHECK(std::regex_match(a, v4));
  CHECK(a == Ok("$uuid()", fixed).get<std::string>());
  CHECK(Fails("$uuid('seed')").find("T0410") != std::string::npos);
}

TEST_CASE("$parse reads JSON text strictly", "[jsonata][functions]") {
  CHECK(Ok(R"($parse('{"a":1,"b":[1,2,3]}'))") == Json::parse(R"({"a":1,"b":[1,2,3]})"));
  CHECK(Ok(R"($parse('{"b":1,"a":2}'))").dump() == R"({"b":1,"a":2})");
  CHECK(Ok(R"($parse('{"joinable": true}').joinable)") == true);
  CHECK(Ok(R"($exists($parse('null')))") == true);
  CHECK(Ok(R"($map(['{"a":1}', '{"a":2}'], $parse).a)") == Json::parse("[1,2]"));
  CHECK(Undefined("$parse()"));
  CHECK(Fails("$parse(null)").find("T0410") != std::string::npos);
  for (const char* bad : {"'not valid json'", "''", "'  '", R"('{"a":1}{"b":2}')", "'[1,2] [3,4]'",
                          R"('{"a":1,"a":2}')", "'1e400'"}) {
    INFO(bad);
    CHECK(Fails(std::string("$parse(") + bad + ")").find("D3137: Invalid JSON") !=
          std::string::npos);
  }
}
