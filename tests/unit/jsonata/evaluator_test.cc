// The evaluator's guarantees beyond the conformance suite: tail calls in
// constant native stack, deep recursion within max_depth on any thread,
// deeply nested values and long closure chains released without native
// recursion, and jsonata-js's closures around function arguments.
#include <pthread.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "engine/jsonata/jsonata.h"

using stepflow::Json;
using namespace stepflow::jsonata;

namespace {

Evaluation Eval(std::string_view text, const EvalOptions& options = {}) {
  auto parsed = Expression::Parse(text);
  if (const ErrorInfo* e = std::get_if<ErrorInfo>(&parsed)) {
    FAIL("compile error " << e->code << ": " << e->message);
  }
  return std::get<Expression>(parsed).Evaluate(nullptr, options);
}

std::string Describe(const Evaluation& r) {
  if (r.error) return "error " + r.error->code + ": " + r.error->message;
  return r.value ? r.value->dump() : "undefined";
}

EvalOptions Limits(int max_depth, int millis) {
  EvalOptions options;
  options.max_depth = max_depth;
  options.time_limit = std::chrono::milliseconds(millis);
  return options;
}

struct ThreadRun {
  std::string text;
  EvalOptions options;
  Evaluation result;
};

void* RunOnThread(void* p) {
  auto* run = static_cast<ThreadRun*>(p);
  run->result = Eval(run->text, run->options);
  return nullptr;
}

}  // namespace

TEST_CASE("tail calls run in constant native stack", "[jsonata][evaluator]") {
  Evaluation r = Eval(
      "($even := function($n) { $n = 0 ? true : $odd($n-1) };"
      " $odd := function($n) { $n = 0 ? false : $even($n-1) }; $odd(100001))",
      Limits(50, 20000));
  CHECK(Describe(r) == "true");
}

TEST_CASE("deep recursion within max_depth succeeds, beyond it is U1001", "[jsonata][evaluator]") {
  // About three nesting levels per call: 4,500 levels, for which max_depth
  // 6,000 asks more native stack than a default thread has, so the
  // evaluation moves to a bigger one.
  const char* kSum = "($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1500))";
  CHECK(Describe(Eval(kSum, Limits(6000, 20000))) == "1500");
  Evaluation r = Eval(kSum, Limits(3000, 20000));
  REQUIRE(r.error);
  CHECK(r.error->code == "U1001");
}

TEST_CASE("a thread with a small stack still evaluates deep recursion", "[jsonata][evaluator]") {
  ThreadRun run{"($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(2000))",
                Limits(7000, 20000), {}};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  REQUIRE(pthread_create(&thread, &attr, RunOnThread, &run) == 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  CHECK(Describe(run.result) == "2000");
}

TEST_CASE("values nested 200,000 deep are built and released", "[jsonata][evaluator]") {
  EvalOptions options = Limits(100, 60000);
  CHECK(Describe(Eval("($f := function($x, $n){ $n = 0 ? $x : $f([[$x]], $n - 1) };"
                      " $count($f(1, 200000)))",
                      options)) == "1");
  CHECK(Describe(Eval("($f := function($x, $n){ $n = 0 ? $x : $f({'a': $x}, $n - 1) };"
                      " $exists($f(1, 200000).a))",
                      options)) == "true");
  // As a result it is too deep to become JSON.
  Evaluation r = Eval("($f := function($x, $n){ $n = 0 ? $x : $f({'a': $x}, $n - 1) };"
                      " $f(1, 200000))",
                      options);
  REQUIRE(r.error);
  CHECK(r.error->code == "U1001");
}

TEST_CASE("a chain of 200,000 closures is released", "[jsonata][evaluator]") {
  CHECK(Describe(Eval("($f := function($g, $n){ $n = 0 ? $g : $f(function(){ $g() + 1 }, $n-1) };"
                      " $f(function(){0}, 200000); 5)",
                      Limits(100, 60000))) == "5");
}

TEST_CASE("a function passed as an argument is a closure, as in jsonata-js",
          "[jsonata][evaluator]") {
  // The callee sees a plain JavaScript function: false to $boolean and to a
  // condition; the lambda itself is a non-empty object: true.
  CHECK(Describe(Eval("$boolean(function(){1})")) == "false");
  CHECK(Describe(Eval("function($g){ $g ? 'yes' : 'no' }(function(){1})")) == "\"no\"");
  CHECK(Describe(Eval("(function(){1}) ? 'yes' : 'no'")) == "\"yes\"");
  // Still callable with its arity.
  CHECK(Describe(Eval("$map([1,2], function($v, $i){ $v + $i })")) == "[1,3]");
}

TEST_CASE("numbers that are not finite are D1001 in a JSON result", "[jsonata][evaluator]") {
  Evaluation r = Eval("1/0");
  REQUIRE(r.error);
  CHECK(r.error->code == "D1001");
  r = Eval("[1, 2/0]");
  REQUIRE(r.error);
  CHECK(r.error->code == "D1001");
}

TEST_CASE("the order-by sort is stable and checks its key types", "[jsonata][evaluator]") {
  CHECK(Describe(Eval("[{'k':2,'v':'a'},{'k':1,'v':'b'},{'k':2,'v':'c'},{'k':1,'v':'d'}]^(k).v")) ==
        R"(["b","d","a","c"])");
  Evaluation r = Eval("[{'k':2},{'k':'x'}]^(k)");
  REQUIRE(r.error);
  CHECK(r.error->code == "T2007");
}

// Found by the fuzzer: each call doubles the array ([$s, $s] flattens $s),
// so memory grows faster than the time checks between calls.
TEST_CASE("strings concatenated into themselves in a recursion end with U1001, not out of memory",
          "[jsonata][evaluator]") {
  // Found by the fuzzer: each call concatenates its two strings, so they grow
  // like Fibonacci numbers; depth 200 would need far more memory than exists.
  EvalOptions options;
  options.max_depth = 200;
  options.time_limit = std::chrono::milliseconds(5000);
  auto start = std::chrono::steady_clock::now();
  Evaluation r = Eval("($gcd := function($a, $b){$b = 0 ? $a : $gcd($b, $a&$b)}; $gcd(8, 12))",
                      options);
  auto took = std::chrono::steady_clock::now() - start;
  INFO(Describe(r));
  REQUIRE(r.error);
  CHECK(r.error->code == "U1001");
  CHECK(took < std::chrono::seconds(4));
}

TEST_CASE("an array doubling in a recursion ends with U1001 within the time limit",
          "[jsonata][evaluator]") {
  EvalOptions options;
  options.time_limit = std::chrono::milliseconds(100);
  auto start = std::chrono::steady_clock::now();
  Evaluation r =
      Eval("($f := function($s, $x)<an:s> { $x > 0 ? $f([$s, $s], $x-0) : $s}; $f('a', 2))", options);
  auto took = std::chrono::steady_clock::now() - start;
  INFO(Describe(r));
  REQUIRE(r.error);
  CHECK(r.error->code == "U1001");
  CHECK(took < std::chrono::seconds(2));
}
