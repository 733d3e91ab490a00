#include "engine/expr/json_path.h"

#include <catch2/catch.hpp>

using stepflow::Json;
using stepflow::expr::EvalContext;
using stepflow::expr::Path;
using stepflow::expr::PathRoot;
using stepflow::expr::VariableScope;

namespace {

Json Eval(const std::string& path, const Json& input, const EvalContext& ctx = {}) {
  auto p = Path::Parse(path);
  REQUIRE(p.ok());
  auto r = p->Evaluate(input, ctx);
  REQUIRE(r.ok());
  return *r;
}

const Json kStore = Json::parse(R"({
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord", "isbn": "0-395", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "weird key": 1,
  "a.b": 2
})");

}  // namespace

TEST_CASE("definite paths select one node", "[jsonpath]") {
  CHECK(Eval("$", kStore) == kStore);
  CHECK(Eval("$.store.bicycle.color", kStore) == "red");
  CHECK(Eval("$['store']['bicycle']['price']", kStore) == 19.95);
  CHECK(Eval("$.store.book[0].author", kStore) == "Nigel Rees");
  CHECK(Eval("$.store.book[-1].title", kStore) == "The Lord");
  CHECK(Eval("$['weird key']", kStore) == 1);
  CHECK(Eval("$['a.b']", kStore) == 2);
  CHECK(Eval("$[\"a.b\"]", kStore) == 2);
}

TEST_CASE("a missing node is NotFound", "[jsonpath]") {
  for (const char* text : {"$.nope", "$.store.book[9]", "$.store.bicycle.color.x", "$.store.book.x"}) {
    auto p = Path::Parse(text);
    REQUIRE(p.ok());
    auto r = p->Evaluate(kStore, {});
    CHECK_FALSE(r.ok());
    CHECK(r.status().code() == stepflow::StatusCode::kNotFound);
    CHECK(p->Find(kStore, {}) == nullptr);
  }
}

TEST_CASE("indefinite paths gather matches into an array", "[jsonpath]") {
  CHECK(Eval("$.store.book[*].author", kStore) ==
        Json::array({"Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"}));
  CHECK(Eval("$.store.book[0,2].price", kStore) == Json::array({8.95, 8.99}));
  CHECK(Eval("$.store.book[0:2].price", kStore) == Json::array({8.95, 12.99}));
  CHECK(Eval("$.store.book[-2:].price", kStore) == Json::array({8.99, 22.99}));
  CHECK(Eval("$.store.book[:-3].price", kStore) == Json::array({8.95}));
  CHECK(Eval("$.store.book[::2].price", kStore) == Json::array({8.95, 8.99}));
  CHECK(Eval("$.store.book[::-1].price", kStore) == Json::array({22.99, 8.99, 12.99, 8.95}));
  CHECK(Eval("$.store.bicycle['color','price']", kStore) == Json::array({"red", 19.95}));
  // Document order: the books come before the bicycle in the store.
  CHECK(Eval("$..price", kStore) == Json::array({8.95, 12.99, 8.99, 22.99, 19.95}));
  CHECK(Eval("$..book[1].title", kStore) == Json::array({"Sword"}));
  CHECK(Eval("$.store.book[*].missing", kStore) == Json::array());
  CHECK(Eval("$.store.*", kStore).size() == 2);
}

// AWS evaluates paths with Jayway JsonPath, whose messages its causes quote
// ("Invalid path '$.x' : No results for path: $['x']"). Jayway walks the
// definite steps before the first wildcard, slice, union, filter or descent
// strictly; only what comes after them may select nothing.
TEST_CASE("an indefinite path fails when its definite prefix is missing", "[jsonpath]") {
  auto error = [](const std::string& text, const Json& input) {
    auto p = Path::Parse(text);
    REQUIRE(p.ok());
    auto r = p->Evaluate(input, {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == stepflow::StatusCode::kNotFound);
    return r.status().message();
  };
  CHECK(error("$.nothing[*]", kStore) == "Missing property in path $['nothing']");
  CHECK(error("$.store.nope[*].title", kStore) == "Missing property in path $['store']['nope']");
  CHECK(error("$.a.x[*]", Json{{"a", 5}}) ==
        "Expected to find an object with property ['x'] in path $['a'] but found 'number'");
  CHECK(error("$.nothing..x", kStore) == "Missing property in path $['nothing']");
  CHECK(error("$.store.bicycle[0:1]", kStore).find("can only be applied to arrays") != std::string::npos);
  // After the first indefinite step, misses select nothing.
  CHECK(Eval("$.store.book[*].missing", kStore) == Json::array());
  CHECK(Eval("$..missing", kStore) == Json::array());
  CHECK(Eval("$.store.book[?(@.price > 100)]", kStore) == Json::array());
  CHECK(Eval("$.store.bicycle.color[*]", kStore) == Json::array());  // a wildcard on a string
  // An index out of range in the prefix selects nothing, without an error.
  CHECK(Eval("$.store.book[9].x[*]", kStore) == Json::array());
}

TEST_CASE("a definite path that misses reports Jayway's message", "[jsonpath]") {
  auto error = [](const std::string& text) {
    auto p = Path::Parse(text);
    REQUIRE(p.ok());
    auto r = p->Evaluate(kStore, {});
    REQUIRE_FALSE(r.ok());
    return r.status().message();
  };
  CHECK(error("$.nope") == "No results for path: $['nope']");
  CHECK(error("$.store.nope") == "No results for path: $['store']['nope']");
  CHECK(error("$.nope.x") == "Missing property in path $['nope']");
  CHECK(error("$.store.book[9]") == "No results for path: $['store']['book'][9]");
  CHECK(error("$.store.book[9].title") == "No results for path: $['store']['book'][9]['title']");
}

TEST_CASE("a filter on an object tests the object itself, as Jayway does", "[jsonpath]") {
  CHECK(Eval("$.store.bicycle[?(@.color == 'red')]", kStore) ==
        Json::array({kStore["store"]["bicycle"]}));
  CHECK(Eval("$.store.bicycle[?(@.color == 'blue')]", kStore) == Json::array());
  // "..[?()]" tests every object once, in document order.
  CHECK(Eval("$..[?(@.price < 9)].title", kStore) == Json::array({"Sayings", "Moby Dick"}));
  CHECK(Eval("$..[?(@.color)].price", kStore) == Json::array({19.95}));
}

TEST_CASE("filters compare with && and ||", "[jsonpath]") {
  CHECK(Eval("$.store.book[?(@.price < 10)].title", kStore) == Json::array({"Sayings", "Moby Dick"}));
  CHECK(Eval("$.store.book[?(@.isbn)].title", kStore) == Json::array({"Moby Dick", "The Lord"}));
  CHECK(Eval("$.store.book[?(@.category == 'fiction' && @.price > 10)].title", kStore) ==
        Json::array({"Sword", "The Lord"}));
  CHECK(Eval("$.store.book[?(@.price < 9 || @.author == \"Evelyn Waugh\")].price", kStore) ==
        Json::array({8.95, 12.99, 8.99}));
  CHECK(Eval("$.store.book[?(!(@.price < 10))].price", kStore) == Json::array({12.99, 22.99}));
  CHECK(Eval("$.store.book[?(@.price >= $.store.bicycle.price)].title", kStore) ==
        Json::array({"The Lord"}));
  CHECK(Eval("$.store.book[?(@.price != 8.95)]", kStore).size() == 3);
  // A type mismatch never matches an ordering comparison.
  CHECK(Eval("$.store.book[?(@.author < 10)]", kStore) == Json::array());
}

TEST_CASE("context and variables roots", "[jsonpath]") {
  Json context = {{"Execution", {{"Id", "exec-1"}, {"Input", {{"x", 1}}}}}};
  Json vars = {{"total", 42}, {"order", {{"items", {1, 2, 3}}}}};
  Json outer_vars = {{"region", "eu"}, {"total", 0}};
  VariableScope outer{&outer_vars, nullptr};
  VariableScope inner{&vars, &outer};
  EvalContext ctx;
  ctx.context = &context;
  ctx.variables = &inner;

  auto p = Path::Parse("$$.Execution.Id");
  REQUIRE(p.ok());
  CHECK(p->root() == PathRoot::kContext);
  CHECK(Eval("$$.Execution.Id", Json::object(), ctx) == "exec-1");
  CHECK(Eval("$$.Execution.Input.x", Json::object(), ctx) == 1);

  auto v = Path::Parse("$order.items[1]");
  REQUIRE(v.ok());
  CHECK(v->root() == PathRoot::kVariable);
  CHECK(v->variable() == "order");
  CHECK(Eval("$order.items[1]", Json::object(), ctx) == 2);
  CHECK(Eval("$total", Json::object(), ctx) == 42);      // inner scope wins
  CHECK(Eval("$region", Json::object(), ctx) == "eu");   // outer scope is readable
  CHECK(Eval("$order.items[*]", Json::object(), ctx) == Json::array({1, 2, 3}));

  auto missing = Path::Parse("$nope");
  REQUIRE(missing.ok());
  auto r = missing->Evaluate(Json::object(), ctx);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("nope") != std::string::npos);
}

TEST_CASE("reference paths and definiteness", "[jsonpath]") {
  struct Case {
    const char* text;
    bool definite;
    bool reference;
  };
  for (const Case& c : {Case{"$", true, true}, Case{"$.a.b", true, true},
                        Case{"$.a[0]['b']", true, true}, Case{"$.a[-1]", true, false},
                        Case{"$.a[*]", false, false}, Case{"$..a", false, false},
                        Case{"$.a[0:1]", false, false}, Case{"$.a[0,1]", false, false},
                        Case{"$.a[?(@.x)]", false, false}, Case{"$$.Map.Item.Value", true, true},
                        Case{"$var.x", true, true}}) {
    INFO(c.text);
    auto p = Path::Parse(c.text);
    REQUIRE(p.ok());
    CHECK(p->is_definite() == c.definite);
    CHECK(p->is_reference_path() == c.reference);
  }
  auto p = Path::Parse("$.a['b c'][2]");
  REQUIRE(p.ok());
  auto steps = p->ReferenceSteps();
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].name == "a");
  CHECK(steps[1].name == "b c");
  CHECK(steps[2].is_index);
  CHECK(steps[2].index == 2);
}

TEST_CASE("invalid paths are rejected with a message", "[jsonpath]") {
  for (const char* text : {"", "a.b", "$.", "$.a[", "$.a[x]", "$.a['b", "$.a[?(@.x ==)]",
                           "$.a[1:2:0]", "$.a]", "$[?(@.a", "$.a..", "$ .a"}) {
    INFO(text);
    auto p = Path::Parse(text);
    CHECK_FALSE(p.ok());
    if (!p.ok()) CHECK(p.status().message().find("Invalid path") == 0);
  }
  CHECK_FALSE(Path::Parse("$" + std::string(5000, 'a')).ok());
}

TEST_CASE("deeply nested filters are rejected, not a stack overflow", "[jsonpath]") {
  std::string nested = "$";
  for (int i = 0; i < 500; ++i) nested += ".b[?(@";
  CHECK_FALSE(Path::Parse(nested).ok());
  std::string parens = "$.a[?(" + std::string(500, '(') + "@.x" + std::string(500, ')') + ")]";
  auto p = Path::Parse(parens);
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().message().find("too deeply") != std::string::npos);
  std::string nots = "$.a[?(" + std::string(5000, '!') + "@.x)]";
  CHECK_FALSE(Path::Parse(nots).ok());
}

TEST_CASE("Jayway filter operators: in, nin, subsetof, anyof, noneof, size, empty, =~", "[jsonpath]") {
  Json doc = Json::parse(R"j({"items": [
    {"id": 1, "tag": "x", "tags": ["a", "b"], "name": "Alpha"},
    {"id": 2, "tag": "y", "tags": [], "name": "beta"},
    {"id": 3, "tag": "z", "tags": ["c"], "name": "Gamma"}]})j");
  CHECK(Eval("$.items[?(@.tag in ['x', 'z'])].id", doc) == Json::array({1, 3}));
  CHECK(Eval("$.items[?(@.tag nin ['x', 'z'])].id", doc) == Json::array({2}));
  CHECK(Eval("$.items[?(@.id in [2, 3])].id", doc) == Json::array({2, 3}));
  CHECK(Eval("$.items[?(@.tags subsetof ['a', 'b', 'c'])].id", doc) == Json::array({1, 2, 3}));
  CHECK(Eval("$.items[?(@.tags anyof ['b', 'c'])].id", doc) == Json::array({1, 3}));
  CHECK(Eval("$.items[?(@.tags noneof ['a'])].id", doc) == Json::array({2, 3}));
  CHECK(Eval("$.items[?(@.tags size 2)].id", doc) == Json::array({1}));
  CHECK(Eval("$.items[?(@.tags empty true)].id", doc) == Json::array({2}));
  CHECK(Eval("$.items[?(@.name =~ /[A-Z].*a/)].id", doc) == Json::array({1, 3}));
  CHECK(Eval("$.items[?(@.name =~ /BETA/i)].id", doc) == Json::array({2}));
  CHECK_FALSE(Path::Parse("$.items[?(@.name =~ /[/)]").ok());
  CHECK_FALSE(Path::Parse("$.items[?(@.name =~ 'x')]").ok());
}

TEST_CASE("JSONPath functions are not supported", "[jsonpath]") {
  auto p = Path::Parse("$.items.length()");
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().message().find("not supported") != std::string::npos);
}
