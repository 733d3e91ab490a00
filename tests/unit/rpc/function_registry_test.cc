#include "engine/rpc/function_registry.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "tests/support/process.h"

namespace stepflow::rpc {
namespace {

using Catch::Matchers::Contains;

std::string WriteFile(const testing::TempDir& dir, const std::string& name,
                      const std::string& text) {
  std::string path = dir.File(name);
  std::ofstream(path) << text;
  return path;
}

TEST_CASE("FunctionRegistry loads a good file", "[rpc][registry]") {
  testing::TempDir dir;
  const std::string path = WriteFile(dir, "functions.yaml",
                                     "# test functions\n"
                                     "functions:\n"
                                     "  echo: 127.0.0.1:50051   # host:port\n"
                                     "  resize: unix:/run/resize.sock\n"
                                     "  charge: localhost:7000\n"
                                     "  v6: '[::1]:9000'\n");
  auto registry = FunctionRegistry::LoadFile(path);
  REQUIRE(registry.ok());
  CHECK(registry->size() == 4);
  CHECK(registry->Find("echo") == "127.0.0.1:50051");
  CHECK(registry->Find("resize") == "unix:/run/resize.sock");
  CHECK(registry->Find("v6") == "[::1]:9000");
  CHECK_FALSE(registry->Find("missing").has_value());
  const auto list = registry->List();
  REQUIRE(list.size() == 4);
  CHECK(list.front().first == "charge");  // sorted by name
  CHECK(list.back().first == "v6");
}

TEST_CASE("FunctionRegistry accepts an empty file and an empty functions map", "[rpc][registry]") {
  auto empty = FunctionRegistry::LoadString("");
  REQUIRE(empty.ok());
  CHECK(empty->size() == 0);
  auto no_entries = FunctionRegistry::LoadString("functions:\n");
  REQUIRE(no_entries.ok());
  CHECK(no_entries->size() == 0);
}

TEST_CASE("FunctionRegistry reports bad YAML with file, line and column", "[rpc][registry]") {
  testing::TempDir dir;
  const std::string path =
      WriteFile(dir, "bad.yaml", "functions:\n  echo: 127.0.0.1:1\n  bad: [unclosed\n");
  auto registry = FunctionRegistry::LoadFile(path);
  REQUIRE_FALSE(registry.ok());
  CHECK(registry.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(registry.status().message(), Contains(path + ":") && Contains("invalid YAML"));
  // The error is at or after line 3.
  CHECK_THAT(registry.status().message(), Contains(":3:") || Contains(":4:"));
}

TEST_CASE("FunctionRegistry reports a missing file by name", "[rpc][registry]") {
  testing::TempDir dir;
  const std::string path = dir.File("nope.yaml");
  auto registry = FunctionRegistry::LoadFile(path);
  REQUIRE_FALSE(registry.ok());
  CHECK(registry.status().code() == StatusCode::kNotFound);
  CHECK_THAT(registry.status().message(), Contains(path));
}

TEST_CASE("FunctionRegistry names the key of a bad entry", "[rpc][registry]") {
  SECTION("endpoint that is a mapping") {
    auto r = FunctionRegistry::LoadString("functions:\n  echo:\n    host: x\n", "f.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(),
               Contains("f.yaml:3:") && Contains("functions.echo") && Contains("a mapping"));
  }
  SECTION("null endpoint") {
    auto r = FunctionRegistry::LoadString("functions:\n  echo:\n  add: 127.0.0.1:1\n", "f.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Contains("functions.echo") && Contains("null"));
  }
  SECTION("empty name") {
    auto r = FunctionRegistry::LoadString("functions:\n  \"\": 127.0.0.1:1\n", "f.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Contains("f.yaml:2:") && Contains("name is empty"));
  }
  SECTION("bad port") {
    auto r = FunctionRegistry::LoadString("functions:\n  echo: 127.0.0.1:99999\n", "f.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Contains("f.yaml:2:9") && Contains("port"));
  }
  SECTION("duplicate name") {
    auto r = FunctionRegistry::LoadString("functions:\n  echo: 127.0.0.1:1\n  echo: 127.0.0.1:2\n",
                                          "f.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Contains("f.yaml:3:") && Contains("twice"));
  }
  SECTION("unknown top-level key") {
    auto r = FunctionRegistry::LoadString("function:\n  echo: 127.0.0.1:1\n", "f.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Contains("f.yaml:1:1") && Contains("'function'"));
  }
  SECTION("functions is a list") {
    auto r = FunctionRegistry::LoadString("functions:\n  - echo\n", "f.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Contains("f.yaml:2:") && Contains("a sequence"));
  }
  SECTION("top level is a scalar") {
    auto r = FunctionRegistry::LoadString("hello\n", "f.yaml");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Contains("f.yaml:1:1"));
  }
}

TEST_CASE("FunctionRegistry Set, Remove and Find", "[rpc][registry]") {
  FunctionRegistry registry;
  CHECK(registry.Set("echo", "127.0.0.1:1").ok());
  CHECK(registry.Set("echo", "unix:/tmp/echo.sock").ok());  // replaces
  CHECK(registry.Find("echo") == "unix:/tmp/echo.sock");
  CHECK(registry.Set("", "127.0.0.1:1").code() == StatusCode::kInvalidArgument);
  CHECK(registry.Set("a/b", "127.0.0.1:1").code() == StatusCode::kInvalidArgument);
  CHECK(registry.Set("x", "").code() == StatusCode::kInvalidArgument);
  CHECK(registry.Set("x", "127.0.0.1").code() == StatusCode::kInvalidArgument);
  CHECK(registry.Set("x", "unix:relative").code() == StatusCode::kInvalidArgument);
  CHECK(registry.Set("x", "::1:80").code() == StatusCode::kInvalidArgument);
  CHECK(registry.size() == 1);
  CHECK(registry.Remove("echo"));
  CHECK_FALSE(registry.Remove("echo"));
  CHECK(registry.size() == 0);

  FunctionRegistry moved;
  CHECK(moved.Set("a", "127.0.0.1:1").ok());
  FunctionRegistry target(std::move(moved));
  CHECK(target.Find("a") == "127.0.0.1:1");
}

TEST_CASE("FunctionRegistry can be read and changed from many threads", "[rpc][registry]") {
  FunctionRegistry registry;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&registry, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string name = "f" + std::to_string(t) + "_" + std::to_string(i % 10);
        (void)registry.Set(name, "127.0.0.1:" + std::to_string(1000 + i));
        (void)registry.Find(name);
        (void)registry.List();
        if (i % 3 == 0) registry.Remove(name);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(registry.size() <= 40);
}

}  // namespace
}  // namespace stepflow::rpc
