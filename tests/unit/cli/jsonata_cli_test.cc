// The `stepflow` binary on JSONata machines: validate reports syntax errors
// with the JSONata code at pointer and line:column, run evaluates them, graph
// labels Choice edges with their Condition.
#include <sys/wait.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/common/json_util.h"

using stepflow::Json;

namespace {

struct Run {
  int exit_code = -1;
  std::string out;
};

Run Stepflow(const std::string& args) {
  std::string cmd = std::string(STEPFLOW_BINARY) + " " + args + " 2>/dev/null";
  Run run;
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) run.out.append(buf.data(), n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string TempFile(const std::string& name, const std::string& content) {
  auto path = std::filesystem::temp_directory_path() / ("stepflow_jsonata_cli_test_" + name);
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

const char* kRouter =
    "QueryLanguage: JSONata\n"
    "StartAt: Route\n"
    "States:\n"
    "  Route:\n"
    "    Type: Choice\n"
    "    Choices:\n"
    "      - Condition: \"{% $states.input.n > 10 %}\"\n"
    "        Next: Big\n"
    "    Default: Small\n"
    "  Big:\n"
    "    Type: Pass\n"
    "    Output:\n"
    "      size: big\n"
    "      n: \"{% $states.input.n %}\"\n"
    "      id: \"{% $hash($string($states.input.n), 'SHA-256') %}\"\n"
    "    End: true\n"
    "  Small:\n"
    "    Type: Fail\n"
    "    Error: Too.Small\n"
    "    Cause: \"{% 'n is only ' & $states.input.n %}\"\n";

}  // namespace

TEST_CASE("validate --json: a JSONata syntax error with its code, pointer, line and column",
          "[cli][jsonata]") {
  auto file = TempFile("bad.asl.yaml",
                       "QueryLanguage: JSONata\n"
                       "StartAt: A\n"
                       "States:\n"
                       "  A:\n"
                       "    Type: Pass\n"
                       "    Output: \"{% $states.input.a + %}\"\n"
                       "    End: true\n");
  auto run = Stepflow("validate " + file + " --json");
  CHECK(run.exit_code == 1);
  Json j = Json::parse(run.out);
  CHECK(j["valid"] == false);
  REQUIRE(j["diagnostics"].size() == 1);
  const Json& d = j["diagnostics"][0];
  CHECK(d["code"] == "INVALID_JSONATA");
  CHECK(d["pointer"] == "/States/A/Output");
  CHECK(d["line"] == 6);
  CHECK(d["column"] == 13);
  CHECK(d["message"].get<std::string>().find(": S0") != std::string::npos);
  CHECK(Stepflow("validate " + TempFile("ok.asl.yaml", kRouter)).exit_code == 0);
}

TEST_CASE("run evaluates a JSONata machine", "[cli][jsonata]") {
  auto file = TempFile("router.asl.yaml", kRouter);
  auto big = Stepflow("run " + file + " --input '{\"n\":12}' --db :memory: --json");
  REQUIRE(big.exit_code == 0);
  Json result = Json::parse(big.out);
  CHECK(result["status"] == "SUCCEEDED");
  CHECK(result["output"] == Json::parse(R"({"size":"big","n":12,
            "id":"6b51d431df5d7f141cbececcf79edf3dd861c3b4069f0b11661a3eefacbba918"})"));
  auto small = Stepflow("run " + file + " --input '{\"n\":3}' --db :memory: --json");
  CHECK(small.exit_code == 1);
  result = Json::parse(small.out);
  CHECK(result["status"] == "FAILED");
  CHECK(result["error"] == "Too.Small");
  CHECK(result["cause"] == "n is only 3");
}

TEST_CASE("graph labels a JSONata Choice edge with its Condition", "[cli][jsonata]") {
  auto file = TempFile("router_graph.asl.yaml", kRouter);
  auto dot = Stepflow("graph " + file);
  CHECK(dot.exit_code == 0);
  CHECK(dot.out.find("label=\"$states.input.n > 10\"") != std::string::npos);
}
