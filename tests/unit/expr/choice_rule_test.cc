#include "engine/expr/choice_rule.h"

#include <catch2/catch.hpp>

namespace stepflow::expr {
namespace {

const Json kInput = Json::parse(R"({
  "s": "banana", "s2": "cherry", "same": "banana", "empty": "",
  "n": 10, "f": 10.0, "half": 2.5, "big": 20, "neg": -3,
  "t": true, "fl": false,
  "ts": "2020-01-01T00:00:00Z", "ts_plus1": "2020-01-01T01:00:00+01:00",
  "ts_later": "2020-06-01T12:30:00.5Z", "not_ts": "yesterday",
  "nul": null, "obj": {"a": 1}, "arr": [1, 2, 3],
  "uni": "\u00e9", "star": "a*b", "bs": "a\\b"
})");

Result<bool> Run(const Json& rule, const Json& input = kInput,
                 const EvalContext& ctx = EvalContext{}) {
  auto compiled = ChoiceRule::Compile(rule);
  INFO(rule.dump() << " -> " << compiled.status().ToString());
  REQUIRE(compiled.ok());
  return compiled->Evaluate(input, ctx);
}

// Compiles and evaluates a {"Variable": var, op: operand} rule, requiring
// success.
bool Test(const std::string& var, const std::string& op, const Json& operand,
          const Json& input = kInput, const EvalContext& ctx = EvalContext{}) {
  Json rule = {{"Variable", var}, {op, operand}};
  auto r = Run(rule, input, ctx);
  INFO(rule.dump() << " -> " << r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

Status CompileError(const Json& rule) {
  auto compiled = ChoiceRule::Compile(rule);
  INFO(rule.dump());
  REQUIRE_FALSE(compiled.ok());
  return compiled.status();
}

Status EvalError(const Json& rule, const Json& input = kInput) {
  auto r = Run(rule, input);
  INFO(rule.dump());
  REQUIRE_FALSE(r.ok());
  return r.status();
}

TEST_CASE("ComparisonOperators lists the 39 data-test operators", "[choice]") {
  const auto& ops = ChoiceRule::ComparisonOperators();
  CHECK(ops.size() == 39);
  for (const char* name :
       {"StringEquals", "StringGreaterThanEqualsPath", "StringMatches", "NumericLessThanPath",
        "BooleanEquals", "BooleanEqualsPath", "TimestampGreaterThanEquals", "IsNull", "IsPresent",
        "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"}) {
    INFO(name);
    CHECK(std::find(ops.begin(), ops.end(), name) != ops.end());
  }
  for (const char* name : {"And", "Or", "Not", "StringMatchesPath", "IsNullPath"}) {
    INFO(name);
    CHECK(std::find(ops.begin(), ops.end(), name) == ops.end());
  }
  int path_ops = 0;
  for (const auto& op : ops) path_ops += ChoiceRule::IsPathOperator(op) ? 1 : 0;
  CHECK(path_ops == 16);
  CHECK(ChoiceRule::IsPathOperator("NumericEqualsPath"));
  CHECK_FALSE(ChoiceRule::IsPathOperator("NumericEquals"));
  CHECK_FALSE(ChoiceRule::IsPathOperator("IsPresent"));
  CHECK_FALSE(ChoiceRule::IsPathOperator("Bogus"));
}

TEST_CASE("String comparisons", "[choice]") {
  CHECK(Test("$.s", "StringEquals", "banana"));
  CHECK_FALSE(Test("$.s", "StringEquals", "Banana"));  // no case folding
  CHECK_FALSE(Test("$.s", "StringEquals", "banan"));
  CHECK(Test("$.empty", "StringEquals", ""));
  CHECK(Test("$.s", "StringLessThan", "cherry"));
  CHECK_FALSE(Test("$.s", "StringLessThan", "banana"));
  CHECK_FALSE(Test("$.s", "StringLessThan", "apple"));
  CHECK(Test("$.s", "StringGreaterThan", "apple"));
  CHECK_FALSE(Test("$.s", "StringGreaterThan", "banana"));
  CHECK(Test("$.s", "StringLessThanEquals", "banana"));
  CHECK(Test("$.s", "StringLessThanEquals", "bananas"));
  CHECK_FALSE(Test("$.s", "StringLessThanEquals", "apple"));
  CHECK(Test("$.s", "StringGreaterThanEquals", "banana"));
  CHECK(Test("$.s", "StringGreaterThanEquals", "ban"));
  CHECK_FALSE(Test("$.s", "StringGreaterThanEquals", "cherry"));
  // Uppercase sorts before lowercase (code point order).
  CHECK(Test("$.s", "StringGreaterThan", "Zebra"));
}

// The AWS docs: "To understand the behavior of string comparisons, see the
// Java compareTo documentation" -- UTF-16 code unit order.
TEST_CASE("String comparison follows Java's compareTo", "[choice]") {
  // U+00E9 (two UTF-8 bytes, lead 0xC3) sorts after every ASCII character.
  CHECK(Test("$.uni", "StringGreaterThan", "z"));
  CHECK(Test("$.uni", "StringLessThan", "\u0100"));
  // U+1F600 is the surrogate pair D83D DE00 in UTF-16, so it sorts before
  // U+FFFF (and U+E000), unlike in code point order.
  Json in = {{"x", "\uffff"}, {"pua", "\ue000"}, {"emoji", "\xF0\x9F\x98\x80"}};
  CHECK(Test("$.x", "StringGreaterThan", "\xF0\x9F\x98\x80", in));
  CHECK(Test("$.emoji", "StringLessThan", "\ue000", in));
  CHECK(Test("$.emoji", "StringGreaterThan", "\ud7ff", in));
  CHECK(Test("$.emoji", "StringLessThan", "\xF0\x9F\x98\x81", in));
  CHECK(Test("$.emoji", "StringEquals", "\xF0\x9F\x98\x80", in));
  CHECK(Test("$.pua", "StringGreaterThanEqualsPath", "$.emoji", in));
  // No Unicode normalisation: precomposed é differs from e + combining acute.
  CHECK_FALSE(Test("$.uni", "StringEquals", "e\u0301"));
}

TEST_CASE("String comparison against a path", "[choice]") {
  CHECK(Test("$.s", "StringEqualsPath", "$.same"));
  CHECK_FALSE(Test("$.s", "StringEqualsPath", "$.s2"));
  CHECK(Test("$.s", "StringLessThanPath", "$.s2"));
  CHECK(Test("$.s2", "StringGreaterThanPath", "$.s"));
  CHECK(Test("$.s", "StringLessThanEqualsPath", "$.same"));
  CHECK(Test("$.s", "StringGreaterThanEqualsPath", "$.same"));
  CHECK_FALSE(Test("$.s", "StringGreaterThanEqualsPath", "$.s2"));
  // The path value of the wrong type is a mismatch, not an error.
  CHECK_FALSE(Test("$.s", "StringEqualsPath", "$.n"));
}

TEST_CASE("Numeric comparisons", "[choice]") {
  CHECK(Test("$.n", "NumericEquals", 10));
  CHECK(Test("$.n", "NumericEquals", 10.0));  // 10 == 10.0
  CHECK(Test("$.f", "NumericEquals", 10));
  CHECK_FALSE(Test("$.n", "NumericEquals", 10.5));
  CHECK(Test("$.half", "NumericEquals", 2.5));
  CHECK(Test("$.neg", "NumericLessThan", 0));
  CHECK_FALSE(Test("$.n", "NumericLessThan", 10));
  CHECK(Test("$.n", "NumericGreaterThan", 9.99));
  CHECK_FALSE(Test("$.n", "NumericGreaterThan", 10));
  CHECK(Test("$.n", "NumericLessThanEquals", 10));
  CHECK_FALSE(Test("$.n", "NumericLessThanEquals", 9));
  CHECK(Test("$.n", "NumericGreaterThanEquals", 10));
  CHECK_FALSE(Test("$.n", "NumericGreaterThanEquals", 11));
  CHECK(Test("$.neg", "NumericGreaterThanEquals", -3.0));
}

TEST_CASE("Numeric comparison against a path", "[choice]") {
  CHECK(Test("$.n", "NumericEqualsPath", "$.f"));
  CHECK_FALSE(Test("$.n", "NumericEqualsPath", "$.big"));
  CHECK(Test("$.n", "NumericLessThanPath", "$.big"));
  CHECK(Test("$.big", "NumericGreaterThanPath", "$.n"));
  CHECK(Test("$.n", "NumericLessThanEqualsPath", "$.f"));
  CHECK(Test("$.n", "NumericGreaterThanEqualsPath", "$.half"));
  CHECK_FALSE(Test("$.half", "NumericGreaterThanEqualsPath", "$.n"));
  CHECK_FALSE(Test("$.n", "NumericEqualsPath", "$.s"));  // mismatch
  CHECK(Test("$.arr[1]", "NumericEqualsPath", "$.obj.a") == false);
  CHECK(Test("$.arr[0]", "NumericEqualsPath", "$.obj.a"));
}

TEST_CASE("Boolean comparisons", "[choice]") {
  CHECK(Test("$.t", "BooleanEquals", true));
  CHECK_FALSE(Test("$.t", "BooleanEquals", false));
  CHECK(Test("$.fl", "BooleanEquals", false));
  CHECK(Test("$.t", "BooleanEqualsPath", "$.t"));
  CHECK_FALSE(Test("$.t", "BooleanEqualsPath", "$.fl"));
  CHECK_FALSE(Test("$.t", "BooleanEqualsPath", "$.n"));  // mismatch
}

TEST_CASE("Timestamp comparisons compare instants", "[choice]") {
  CHECK(Test("$.ts", "TimestampEquals", "2020-01-01T00:00:00Z"));
  CHECK(Test("$.ts_plus1", "TimestampEquals", "2020-01-01T00:00:00Z"));
  CHECK(Test("$.ts", "TimestampEquals", "2019-12-31T16:00:00-08:00"));
  CHECK(Test("$.ts", "TimestampEquals", "2020-01-01T00:00:00.000Z"));
  CHECK_FALSE(Test("$.ts", "TimestampEquals", "2020-01-01T00:00:00.001Z"));
  CHECK(Test("$.ts", "TimestampLessThan", "2020-01-01T00:00:00.001Z"));
  CHECK_FALSE(Test("$.ts", "TimestampLessThan", "2020-01-01T00:00:00Z"));
  CHECK(Test("$.ts_later", "TimestampGreaterThan", "2020-06-01T12:30:00Z"));
  CHECK_FALSE(Test("$.ts_later", "TimestampGreaterThan", "2020-06-01T12:30:00.5Z"));
  CHECK(Test("$.ts", "TimestampLessThanEquals", "2020-01-01T01:00:00+01:00"));
  CHECK_FALSE(Test("$.ts", "TimestampLessThanEquals", "2019-12-31T23:59:59Z"));
  CHECK(Test("$.ts", "TimestampGreaterThanEquals", "2019-12-31T23:59:59.999Z"));
  CHECK_FALSE(Test("$.ts", "TimestampGreaterThanEquals", "2020-01-02T00:00:00Z"));
}

TEST_CASE("Timestamp comparison against a path", "[choice]") {
  CHECK(Test("$.ts", "TimestampEqualsPath", "$.ts_plus1"));
  CHECK(Test("$.ts", "TimestampLessThanPath", "$.ts_later"));
  CHECK(Test("$.ts_later", "TimestampGreaterThanPath", "$.ts"));
  CHECK(Test("$.ts", "TimestampLessThanEqualsPath", "$.ts_plus1"));
  CHECK(Test("$.ts", "TimestampGreaterThanEqualsPath", "$.ts_plus1"));
  CHECK_FALSE(Test("$.ts", "TimestampGreaterThanEqualsPath", "$.ts_later"));
  CHECK_FALSE(Test("$.ts", "TimestampEqualsPath", "$.not_ts"));  // mismatch
  CHECK_FALSE(Test("$.ts", "TimestampEqualsPath", "$.n"));
}

TEST_CASE("A type mismatch is false, never an error", "[choice]") {
  CHECK_FALSE(Test("$.s", "NumericEquals", 10));
  CHECK_FALSE(Test("$.t", "NumericEquals", 1));  // booleans are not numbers
  CHECK_FALSE(Test("$.nul", "NumericLessThan", 1));
  CHECK_FALSE(Test("$.n", "StringEquals", "10"));
  CHECK_FALSE(Test("$.obj", "StringEquals", "x"));
  CHECK_FALSE(Test("$.n", "StringMatches", "*"));
  CHECK_FALSE(Test("$.s", "BooleanEquals", true));
  CHECK_FALSE(Test("$.n", "BooleanEquals", true));
  CHECK_FALSE(Test("$.not_ts", "TimestampEquals", "2020-01-01T00:00:00Z"));
  CHECK_FALSE(Test("$.not_ts", "TimestampLessThan", "2020-01-01T00:00:00Z"));
  CHECK_FALSE(Test("$.n", "TimestampGreaterThan", "2020-01-01T00:00:00Z"));
  CHECK_FALSE(Test("$.arr", "NumericGreaterThan", 0));
}

TEST_CASE("IsNull, IsNumeric, IsString, IsBoolean, IsTimestamp", "[choice]") {
  CHECK(Test("$.nul", "IsNull", true));
  CHECK_FALSE(Test("$.nul", "IsNull", false));
  CHECK_FALSE(Test("$.n", "IsNull", true));
  CHECK(Test("$.n", "IsNull", false));

  CHECK(Test("$.n", "IsNumeric", true));
  CHECK(Test("$.half", "IsNumeric", true));
  CHECK_FALSE(Test("$.s", "IsNumeric", true));
  CHECK(Test("$.s", "IsNumeric", false));
  CHECK_FALSE(Test("$.t", "IsNumeric", true));

  CHECK(Test("$.s", "IsString", true));
  CHECK(Test("$.empty", "IsString", true));
  CHECK_FALSE(Test("$.n", "IsString", true));
  CHECK(Test("$.nul", "IsString", false));

  CHECK(Test("$.t", "IsBoolean", true));
  CHECK(Test("$.fl", "IsBoolean", true));
  CHECK_FALSE(Test("$.s", "IsBoolean", true));
  CHECK(Test("$.n", "IsBoolean", false));

  CHECK(Test("$.ts", "IsTimestamp", true));
  CHECK(Test("$.ts_plus1", "IsTimestamp", true));
  CHECK_FALSE(Test("$.not_ts", "IsTimestamp", true));
  CHECK(Test("$.not_ts", "IsTimestamp", false));
  CHECK_FALSE(Test("$.n", "IsTimestamp", true));
  Json in = {{"d", "2020-01-01t00:00:00z"}};
  CHECK_FALSE(Test("$.d", "IsTimestamp", true, in));
  in = {{"d", "2021-02-29T00:00:00Z"}};
  CHECK_FALSE(Test("$.d", "IsTimestamp", true, in));
}

TEST_CASE("IsPresent tests whether the Variable resolves", "[choice]") {
  CHECK(Test("$.s", "IsPresent", true));
  CHECK(Test("$.nul", "IsPresent", true));  // present, even if null
  CHECK_FALSE(Test("$.s", "IsPresent", false));
  CHECK_FALSE(Test("$.missing", "IsPresent", true));
  CHECK(Test("$.missing", "IsPresent", false));
  CHECK_FALSE(Test("$.s.deeper", "IsPresent", true));  // not an object
  CHECK(Test("$.arr[2]", "IsPresent", true));
  CHECK_FALSE(Test("$.arr[3]", "IsPresent", true));
  CHECK_FALSE(Test("$undefinedVar", "IsPresent", true));
}

TEST_CASE("A missing Variable fails with States.Runtime", "[choice]") {
  for (const char* op : {"StringEquals", "NumericEquals", "IsNull", "IsString", "IsTimestamp",
                         "BooleanEquals", "StringMatches"}) {
    INFO(op);
    Json operand = "x";
    std::string name = op;
    if (name == "NumericEquals") operand = 1;
    if (name == "BooleanEquals" || name.rfind("Is", 0) == 0) operand = true;
    Status s = EvalError({{"Variable", "$.missing"}, {op, operand}});
    CHECK(s.code() == StatusCode::kAslError);
    CHECK(s.error() == "States.Runtime");
    CHECK(s.message() ==
          "Invalid path '$.missing': The choice state's condition path references an invalid "
          "value.");
  }
  // IsNull:false on a missing value is still an error, not true.
  CHECK(EvalError({{"Variable", "$.missing"}, {"IsNull", false}}).error() == "States.Runtime");
}

TEST_CASE("A ...Path operand that does not resolve fails with States.Runtime", "[choice]") {
  Status s = EvalError({{"Variable", "$.n"}, {"NumericEqualsPath", "$.nope"}});
  CHECK(s.error() == "States.Runtime");
  CHECK(s.message() ==
        "Invalid path '$.nope': The choice state's condition path references an invalid value.");
  CHECK(EvalError({{"Variable", "$.s"}, {"StringEqualsPath", "$.nope"}}).error() ==
        "States.Runtime");
  CHECK(EvalError({{"Variable", "$.t"}, {"BooleanEqualsPath", "$.nope"}}).error() ==
        "States.Runtime");
  CHECK(EvalError({{"Variable", "$.ts"}, {"TimestampEqualsPath", "$$.nope"}}).error() ==
        "States.Runtime");
  // The Variable is checked first.
  CHECK(EvalError({{"Variable", "$.gone"}, {"NumericEqualsPath", "$.nope"}}).message() ==
        "Invalid path '$.gone': The choice state's condition path references an invalid value.");
}

TEST_CASE("StringMatches globs with '*'", "[choice]") {
  CHECK(StringMatches("log.txt", "*.txt"));
  CHECK_FALSE(StringMatches("log.txt.gz", "*.txt"));
  CHECK(StringMatches("log.txt", "log.*"));
  CHECK(StringMatches("log.txt", "*"));
  CHECK(StringMatches("", "*"));
  CHECK(StringMatches("", "**"));
  CHECK(StringMatches("", ""));
  CHECK_FALSE(StringMatches("a", ""));
  CHECK_FALSE(StringMatches("", "a"));
  CHECK(StringMatches("abc", "abc"));
  CHECK_FALSE(StringMatches("abc", "ab"));
  CHECK_FALSE(StringMatches("ab", "abc"));
  CHECK(StringMatches("abc", "a*c"));
  CHECK(StringMatches("ac", "a*c"));      // '*' matches the empty run
  CHECK(StringMatches("abcbc", "a*bc"));  // needs backtracking
  CHECK(StringMatches("mississippi", "m*iss*ppi"));
  CHECK_FALSE(StringMatches("mississippi", "m*iss*ppx"));
  CHECK(StringMatches("test/1/2/end", "test*end"));
  CHECK(StringMatches("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*b"));
  CHECK_FALSE(StringMatches("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "*a*a*a*a*a*a*b"));
  CHECK_FALSE(StringMatches("Log.txt", "log*"));  // case-sensitive
  CHECK(StringMatches("caf\u00e9!", "caf*!"));
  CHECK(StringMatches("\u00e9", "\u00e9"));
}

TEST_CASE("StringMatches escapes: backslash-star is a star, two backslashes a backslash",
          "[choice]") {
  // C++ "\\*" is the two characters backslash, star (JSON "\\*").
  CHECK(StringMatches("a*b", "a\\*b"));
  CHECK_FALSE(StringMatches("axb", "a\\*b"));
  CHECK(StringMatches("a*b", "a\\**"));
  CHECK(StringMatches("a*bcd", "*\\**"));
  CHECK_FALSE(StringMatches("abcd", "*\\**"));
  CHECK(StringMatches("a\\b", "a\\\\b"));
  CHECK_FALSE(StringMatches("ab", "a\\\\b"));
  CHECK(StringMatches("x\\", "*\\\\"));
  CHECK(StringMatches("\\*", "\\\\\\*"));

  CHECK(IsValidStringMatchesPattern(""));
  CHECK(IsValidStringMatchesPattern("a*b"));
  CHECK(IsValidStringMatchesPattern("a\\*b"));
  CHECK(IsValidStringMatchesPattern("a\\\\b"));
  CHECK_FALSE(IsValidStringMatchesPattern("a\\"));  // dangling backslash
  CHECK_FALSE(IsValidStringMatchesPattern("\\\\\\"));
  CHECK_FALSE(IsValidStringMatchesPattern("a\\b"));  // unknown escape
  CHECK_FALSE(IsValidStringMatchesPattern("\\n"));
  CHECK_FALSE(StringMatches("a\\", "a\\"));  // invalid patterns never match

  // Through a rule, with the pattern decoded from JSON text.
  Json rule = Json::parse(R"({"Variable": "$.star", "StringMatches": "a\\*b"})");
  CHECK(*Run(rule));
  rule = Json::parse(R"({"Variable": "$.bs", "StringMatches": "a\\\\*"})");
  CHECK(*Run(rule));
  CHECK(Test("$.s", "StringMatches", "b*n*"));
  CHECK_FALSE(Test("$.s", "StringMatches", "*x*"));
}

TEST_CASE("And, Or and Not combine rules", "[choice]") {
  Json gt5 = {{"Variable", "$.n"}, {"NumericGreaterThan", 5}};
  Json lt5 = {{"Variable", "$.n"}, {"NumericLessThan", 5}};
  Json is_s = {{"Variable", "$.s"}, {"StringEquals", "banana"}};
  CHECK(*Run({{"And", {gt5, is_s}}}));
  CHECK_FALSE(*Run({{"And", {gt5, lt5}}}));
  CHECK(*Run({{"Or", {lt5, is_s}}}));
  CHECK_FALSE(*Run({{"Or", {lt5, {{"Not", is_s}}}}}));
  CHECK(*Run({{"Not", lt5}}));
  CHECK_FALSE(*Run({{"Not", gt5}}));
  CHECK(*Run({{"Not", {{"Not", gt5}}}}));
  CHECK(*Run({{"And", {{{"Or", {lt5, gt5}}}, {{"Not", {{"And", {lt5, is_s}}}}}}}}));
  CHECK(*Run({{"And", {gt5}}}));
  CHECK_FALSE(*Run({{"Or", {lt5}}}));
}

TEST_CASE("And and Or short-circuit in order", "[choice]") {
  Json gt5 = {{"Variable", "$.n"}, {"NumericGreaterThan", 5}};
  Json lt5 = {{"Variable", "$.n"}, {"NumericLessThan", 5}};
  Json missing = {{"Variable", "$.missing"}, {"NumericEquals", 1}};
  CHECK_FALSE(*Run({{"And", {lt5, missing}}}));
  CHECK(*Run({{"Or", {gt5, missing}}}));
  CHECK(EvalError({{"And", {gt5, missing}}}).error() == "States.Runtime");
  CHECK(EvalError({{"Or", {lt5, missing}}}).error() == "States.Runtime");
  CHECK(EvalError({{"Not", missing}}).error() == "States.Runtime");
}

TEST_CASE("Variable may be a variable or the Context Object", "[choice]") {
  Json vars = {{"total", 42}, {"order", {{"status", "PAID"}, {"items", {1, 2}}}}};
  VariableScope outer{&vars, nullptr};
  Json inner_vars = {{"total", 7}};
  VariableScope inner{&inner_vars, &outer};
  Json context = {{"Execution", {{"Name", "run-1"}, {"StartTime", "2024-01-01T00:00:00Z"}}},
                  {"State", {{"RetryCount", 0}}}};
  EvalContext ctx;
  ctx.variables = &outer;
  ctx.context = &context;

  CHECK(Test("$total", "NumericEquals", 42, kInput, ctx));
  CHECK(Test("$order.status", "StringEquals", "PAID", kInput, ctx));
  CHECK(Test("$order.items[1]", "NumericEqualsPath", "$.arr[1]", kInput, ctx));
  CHECK(Test("$.n", "NumericLessThanPath", "$total", kInput, ctx));
  CHECK(Test("$nothing", "IsPresent", false, kInput, ctx));
  CHECK(Test("$$.Execution.Name", "StringMatches", "run-*", kInput, ctx));
  CHECK(Test("$$.State.RetryCount", "NumericEquals", 0, kInput, ctx));
  CHECK(Test("$$.Execution.StartTime", "TimestampGreaterThanPath", "$.ts_later", kInput, ctx));
  CHECK(Test("$.ts", "TimestampLessThanPath", "$$.Execution.StartTime", kInput, ctx));
  CHECK(Test("$$.Execution.Missing", "IsPresent", false, kInput, ctx));

  ctx.variables = &inner;  // the innermost scope wins, outer ones stay visible
  CHECK(Test("$total", "NumericEquals", 7, kInput, ctx));
  CHECK(Test("$order.status", "StringEquals", "PAID", kInput, ctx));

  auto missing = Run({{"Variable", "$nothing"}, {"IsNull", true}}, kInput, ctx);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().error() == "States.Runtime");
}

TEST_CASE("Variable may select from a non-object input", "[choice]") {
  CHECK(Test("$", "NumericEquals", 3, Json(3)));
  CHECK(Test("$", "StringEquals", "x", Json("x")));
  CHECK(Test("$[0]", "BooleanEquals", true, Json::array({true})));
  CHECK(Test("$.a", "IsPresent", false, Json("x")));
}

TEST_CASE("Compile rejects malformed rules", "[choice]") {
  using SC = StatusCode;
  CHECK(CompileError(Json::array()).code() == SC::kInvalidArgument);
  CHECK(CompileError(Json::object()).code() == SC::kInvalidArgument);
  CHECK(CompileError({{"Next", "X"}}).code() == SC::kInvalidArgument);
  // Operator without Variable, Variable without operator, two operators.
  CHECK(CompileError({{"NumericEquals", 1}}).code() == SC::kInvalidArgument);
  CHECK(CompileError({{"Variable", "$.n"}}).code() == SC::kInvalidArgument);
  CHECK(CompileError({{"Variable", "$.n"}, {"NumericEquals", 1}, {"NumericLessThan", 2}}).code() ==
        SC::kInvalidArgument);
  // Unknown operator / field, bad Variable.
  CHECK(CompileError({{"Variable", "$.n"}, {"NumericEqual", 1}}).code() == SC::kInvalidArgument);
  CHECK(CompileError({{"Variable", "$.n"}, {"StringMatchesPath", "$.p"}}).code() ==
        SC::kInvalidArgument);
  CHECK(CompileError({{"Variable", 3}, {"NumericEquals", 1}}).code() == SC::kInvalidArgument);
  CHECK(CompileError({{"Variable", "n"}, {"NumericEquals", 1}}).code() == SC::kInvalidArgument);
  CHECK(CompileError({{"Variable", "$.a["}, {"NumericEquals", 1}}).code() == SC::kInvalidArgument);
  // Boolean operators.
  Json leaf = {{"Variable", "$.n"}, {"IsPresent", true}};
  CHECK(CompileError({{"And", Json::array()}}).code() == SC::kInvalidArgument);
  CHECK(CompileError({{"Or", leaf}}).code() == SC::kInvalidArgument);
  CHECK(CompileError({{"Not", {leaf}}}).code() == SC::kInvalidArgument);
  CHECK(CompileError({{"Not", true}}).code() == SC::kInvalidArgument);
  CHECK(CompileError({{"And", {leaf}}, {"Or", {leaf}}}).code() == SC::kInvalidArgument);
  CHECK(CompileError({{"And", {leaf}}, {"Variable", "$.n"}, {"IsPresent", true}}).code() ==
        SC::kInvalidArgument);
  CHECK(CompileError({{"Not", leaf}, {"IsPresent", true}}).code() == SC::kInvalidArgument);
  // A nested error says where it is.
  Status nested = CompileError({{"And", {leaf, {{"Variable", "$.n"}, {"NumericEquals", "1"}}}}});
  CHECK(nested.message().rfind("And[1]: ", 0) == 0);
}

TEST_CASE("Compile checks operand types", "[choice]") {
  auto bad = [](const char* op, const Json& operand) {
    return !ChoiceRule::Compile({{"Variable", "$.x"}, {op, operand}}).ok();
  };
  auto good = [](const char* op, const Json& operand) {
    auto r = ChoiceRule::Compile({{"Variable", "$.x"}, {op, operand}});
    INFO(op << " " << operand.dump() << " " << r.status().ToString());
    return r.ok();
  };
  CHECK(good("StringEquals", "a"));
  CHECK(bad("StringEquals", 1));
  CHECK(bad("StringLessThan", nullptr));
  CHECK(bad("StringGreaterThanEquals", true));
  CHECK(good("StringMatches", "a*"));
  CHECK(bad("StringMatches", 1));
  CHECK(bad("StringMatches", "a\\"));
  CHECK(bad("StringMatches", "\\d"));
  CHECK(good("NumericEquals", 1));
  CHECK(good("NumericGreaterThan", -1.5));
  CHECK(bad("NumericEquals", "1"));
  CHECK(bad("NumericLessThan", true));
  CHECK(good("BooleanEquals", false));
  CHECK(bad("BooleanEquals", "true"));
  CHECK(bad("BooleanEquals", 1));
  CHECK(good("TimestampEquals", "2020-01-01T00:00:00Z"));
  CHECK(good("TimestampLessThan", "2020-01-01T00:00:00.25+05:30"));
  CHECK(bad("TimestampEquals", "2020-01-01"));
  CHECK(bad("TimestampEquals", "2020-02-30T00:00:00Z"));
  CHECK(bad("TimestampEquals", "2020-01-01t00:00:00z"));
  CHECK(bad("TimestampGreaterThan", 1577836800));
  for (const char* op :
       {"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"}) {
    INFO(op);
    CHECK(good(op, true));
    CHECK(good(op, false));
    CHECK(bad(op, "true"));
    CHECK(bad(op, 1));
    CHECK(bad(op, nullptr));
  }
  CHECK(good("NumericEqualsPath", "$.y"));
  CHECK(good("StringEqualsPath", "$$.Execution.Id"));
  CHECK(good("BooleanEqualsPath", "$flag"));
  CHECK(bad("NumericEqualsPath", 3));
  CHECK(bad("NumericEqualsPath", "y"));
  CHECK(bad("TimestampEqualsPath", "$.a[?("));
  CHECK(bad("TimestampEqualsPath", "2020-01-01T00:00:00Z"));
}

TEST_CASE("Compile ignores Next, Assign and Comment and keeps the operand", "[choice]") {
  Json rule = {{"Variable", "$.x"},
               {"NumericGreaterThan", 3},
               {"Next", "Big"},
               {"Comment", "c"},
               {"Assign", {{"v", 1}}}};
  auto r = ChoiceRule::Compile(rule);
  REQUIRE(r.ok());
  CHECK(r->kind() == ChoiceRule::Kind::kDataTest);
  CHECK(r->op() == "NumericGreaterThan");
  CHECK(r->operand() == Json(3));
  CHECK(r->variable().text() == "$.x");
  CHECK(r->children().empty());

  auto a = ChoiceRule::Compile({{"And", {rule, rule}}, {"Next", "X"}});
  REQUIRE(a.ok());
  CHECK(a->kind() == ChoiceRule::Kind::kAnd);
  CHECK(a->children().size() == 2);
}

TEST_CASE("Describe gives a short label", "[choice]") {
  auto describe = [](const Json& rule) {
    auto r = ChoiceRule::Compile(rule);
    REQUIRE(r.ok());
    return r->Describe();
  };
  Json gt3 = {{"Variable", "$.x"}, {"NumericGreaterThan", 3}};
  CHECK(describe(gt3) == "$.x NumericGreaterThan 3");
  CHECK(describe({{"Variable", "$.s"}, {"StringEquals", "a"}}) == "$.s StringEquals \"a\"");
  CHECK(describe({{"Not", {{"Variable", "$.x"}, {"IsNull", true}}}}) == "Not($.x IsNull true)");
  CHECK(describe({{"And", {gt3, gt3}}}) == "And(2 rules)");
  CHECK(describe({{"Or", {gt3}}}) == "Or(1 rule)");
  CHECK(describe({{"Variable", "$.x"}, {"NumericEqualsPath", "$.y"}}) ==
        "$.x NumericEqualsPath $.y");
  CHECK(describe({{"Variable", "$$.Execution.Name"}, {"BooleanEquals", false}}) ==
        "$$.Execution.Name BooleanEquals false");
  CHECK(describe({{"Variable", "$v"}, {"NumericLessThan", 2.5}}) == "$v NumericLessThan 2.5");
}

TEST_CASE("A compiled rule is a value that can be copied", "[choice]") {
  auto r = ChoiceRule::Compile({{"And",
                                 {{{"Variable", "$.n"}, {"NumericEqualsPath", "$.f"}},
                                  {{"Not", {{"Variable", "$.s"}, {"StringEquals", "x"}}}}}}});
  REQUIRE(r.ok());
  ChoiceRule copy = *r;
  ChoiceRule moved = std::move(*r);
  CHECK(*copy.Evaluate(kInput, EvalContext{}));
  CHECK(*moved.Evaluate(kInput, EvalContext{}));
}

}  // namespace
}  // namespace stepflow::expr

namespace stepflow::expr {
namespace {

// The AWS Developer Guide's Choice examples.
TEST_CASE("docs example: the ChoiceStateX rules pick ValueInTwenties", "[choice]") {
  Json input = Json::parse(R"({"type": "Private", "value": 22})");
  Json rules = Json::parse(R"([
    {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
    {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
    {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
             {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"}])");
  std::vector<bool> matched;
  for (const Json& rule : rules) matched.push_back(*Run(rule, input));
  CHECK(matched == std::vector<bool>{false, false, true});
  // "If the state input doesn't contain the $.type field, the execution fails."
  auto r = Run(rules[0], Json::parse(R"({"value": 22})"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().error() == "States.Runtime");
  CHECK(r.status().message() ==
        "Invalid path '$.type': The choice state's condition path references an invalid value.");
}

TEST_CASE("docs examples: IsNull, IsPresent guarding StringEquals, StringMatches", "[choice]") {
  CHECK(Test("$.possiblyNullValue", "IsNull", true, Json::parse(R"({"possiblyNullValue": null})")));
  CHECK(Test("$.possiblyNullValue", "IsPresent", true,
             Json::parse(R"({"possiblyNullValue": null})")));
  CHECK_FALSE(
      Test("$.possiblyNullValue", "IsNull", true, Json::parse(R"({"possiblyNullValue": 0})")));
  Json guarded = Json::parse(R"({"And": [{"Variable": "$.keyThatMightNotExist", "IsPresent": true},
                                         {"Variable": "$.keyThatMightNotExist", "StringEquals": "foo"}]})");
  CHECK_FALSE(*Run(guarded, Json::object()));  // And short-circuits before the missing path fails
  CHECK(*Run(guarded, Json{{"keyThatMightNotExist", "foo"}}));
  CHECK(Test("$.foo", "StringMatches", "log-*.txt", Json{{"foo", "log-2024-01-01.txt"}}));
  CHECK(Test("$.foo", "StringMatches", "log-*.txt", Json{{"foo", "log-.txt"}}));
  CHECK_FALSE(Test("$.foo", "StringMatches", "log-*.txt", Json{{"foo", "log-1.txt.gz"}}));
  CHECK(Test("$.foo", "StringEqualsPath", "$.bar", Json{{"foo", "x"}, {"bar", "x"}}));
  CHECK(Test("$.foo", "TimestampEquals", "2001-01-01T12:00:00Z",
             Json{{"foo", "2001-01-01T13:00:00.000+01:00"}}));
  // A timestamp is also a string.
  CHECK(
      Test("$.foo", "StringEquals", "2001-01-01T12:00:00Z", Json{{"foo", "2001-01-01T12:00:00Z"}}));
}

}  // namespace
}  // namespace stepflow::expr
