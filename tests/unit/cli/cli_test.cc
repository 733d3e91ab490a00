// Drives the real `stepflow` binary for the commands that need no server.
#include <sqlite3.h>
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
  auto path = std::filesystem::temp_directory_path() / ("stepflow_cli_test_" + name);
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

}  // namespace

TEST_CASE("validate: a valid definition exits 0", "[cli]") {
  auto file = TempFile("ok.json", R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})");
  auto run = Stepflow("validate " + file + " --json");
  CHECK(run.exit_code == 0);
  Json j = Json::parse(run.out);
  CHECK(j["valid"] == true);
  CHECK(j["diagnostics"] == Json::array());
  CHECK(Stepflow("validate " + file).exit_code == 0);
}

TEST_CASE("validate --json reports code, pointer, line and column", "[cli]") {
  auto file = TempFile("bad.yaml",
                       "StartAt: A\n"
                       "States:\n"
                       "  A:\n"
                       "    Type: Pass\n"
                       "    Next: Missing\n");
  auto run = Stepflow("validate " + file + " --json");
  CHECK(run.exit_code == 1);
  Json j = Json::parse(run.out);
  CHECK(j["valid"] == false);
  bool found = false;
  for (const auto& d : j["diagnostics"]) {
    CHECK(d.contains("severity"));
    CHECK(d.contains("code"));
    CHECK(d.contains("pointer"));
    CHECK(d.contains("message"));
    if (d["pointer"] == "/States/A/Next") {
      found = true;
      CHECK(d["severity"] == "ERROR");
      CHECK(d["code"] == "MISSING_TRANSITION_TARGET");
      CHECK(d["line"] == 5);
      CHECK(d["column"] == 11);
    }
  }
  CHECK(found);
}

TEST_CASE("validate: unparsable input exits 1, bad usage exits 2", "[cli]") {
  auto garbage = TempFile("garbage.json", "{\"StartAt\": ");
  auto run = Stepflow("validate " + garbage + " --json");
  CHECK(run.exit_code == 1);
  Json j = Json::parse(run.out);
  CHECK(j["valid"] == false);
  CHECK(j["diagnostics"][0]["code"] == "INVALID_JSON_DESCRIPTION");
  CHECK(j["diagnostics"][0]["line"] == 1);

  CHECK(Stepflow("validate").exit_code == 2);
  CHECK(Stepflow("validate /nonexistent/file.json").exit_code == 2);
  CHECK(Stepflow("frobnicate").exit_code == 2);
  CHECK(Stepflow("validate " + garbage + " --bogus").exit_code == 2);
}

TEST_CASE("validate: no input crashes the command", "[cli][limits]") {
  std::string deep(20000, '[');
  auto file = TempFile("deep.json", deep);
  auto run = Stepflow("validate " + file + " --json");
  CHECK(run.exit_code == 1);
  CHECK(Json::parse(run.out)["diagnostics"][0]["code"] == "TOO_DEEPLY_NESTED");

  std::string binary;
  for (int i = 0; i < 100000; ++i) binary += static_cast<char>(i * 131 % 256);
  file = TempFile("binary.bin", binary);
  run = Stepflow("validate " + file + " --json");
  CHECK(run.exit_code == 1);
  CHECK(Json::parse(run.out)["valid"] == false);

  file = TempFile("huge.json", "{\"a\": \"" + std::string(3 * 1024 * 1024, 'x') + "\"}");
  run = Stepflow("validate " + file + " --json");
  CHECK(run.exit_code == 1);
  CHECK(Json::parse(run.out)["diagnostics"][0]["code"] == "DEFINITION_TOO_LARGE");
}

TEST_CASE("graph draws DOT and Mermaid", "[cli]") {
  auto file = TempFile("g.yaml",
                       "StartAt: A\nStates:\n  A:\n    Type: Choice\n    Choices:\n"
                       "      - Variable: $.x\n        IsPresent: true\n        Next: B\n"
                       "    Default: B\n  B:\n    Type: Succeed\n");
  auto dot = Stepflow("graph " + file);
  CHECK(dot.exit_code == 0);
  CHECK(dot.out.rfind("digraph", 0) == 0);
  auto mermaid = Stepflow("graph " + file + " --format mermaid");
  CHECK(mermaid.exit_code == 0);
  CHECK(mermaid.out.rfind("flowchart TD", 0) == 0);
  CHECK(Stepflow("graph " + file + " --format svg").exit_code == 2);
  auto bad = TempFile("g_bad.json", R"({"StartAt":"A","States":{}})");
  CHECK(Stepflow("graph " + bad).exit_code == 1);
}

TEST_CASE("run keeps executions in --db, the other verbs never create a database", "[cli]") {
  auto dir = std::filesystem::temp_directory_path() / "stepflow_cli_test_db";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "runs.db").string();
  const std::string missing = (dir / "missing.db").string();
  for (const char* verb : {"exec describe x:y", "exec history x:y", "exec redrive x:y"}) {
    INFO(verb);
    CHECK(Stepflow(std::string(verb) + " --db " + missing).exit_code == 2);
    CHECK_FALSE(std::filesystem::exists(missing));
  }
  // Listing or resuming a database that does not exist finds nothing.
  auto list = Stepflow("exec list --json --db " + missing);
  CHECK(list.exit_code == 0);
  CHECK(Json::parse(list.out) == Json::array());
  auto resume = Stepflow("resume --json --db " + missing);
  CHECK(resume.exit_code == 0);
  CHECK(resume.out.empty());
  CHECK_FALSE(std::filesystem::exists(missing));
  auto def =
      TempFile("pass.asl.json", R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})");
  auto run = Stepflow("run " + def + " --input '{\"k\":1}' --db " + db + " --json");
  REQUIRE(run.exit_code == 0);
  Json result = Json::parse(run.out);
  CHECK(result["status"] == "SUCCEEDED");
  CHECK(result["output"] == Json::parse(R"({"k":1})"));
  auto described = Stepflow("exec describe " + result["executionId"].get<std::string>() + " --db " +
                            db + " --json");
  CHECK(described.exit_code == 0);
  CHECK(Json::parse(described.out)["status"] == "SUCCEEDED");
  CHECK(Stepflow("exec describe nope:nope --db " + db + " --json").exit_code == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("objects keep the order Step Functions keeps, from the input to the output and history",
          "[cli][order]") {
  auto def = TempFile("order.json", R"json({"StartAt":"Shape","States":{
    "Shape":{"Type":"Pass","ResultPath":"$.shaped","Next":"Replace",
      "Parameters":{"zulu.$":"$.zulu","alpha":"lit","nested":{"y":1,"b.$":"$.alpha"},
                    "json.$":"States.JsonToString($.alpha)","fmt.$":"States.Format('v={}', $.alpha)"}},
    "Replace":{"Type":"Pass","Result":"new","ResultPath":"$.zulu","Next":"Vars"},
    "Vars":{"Type":"Pass","Assign":{"cfg":{"z":1,"a":2}},"Next":"Fan"},
    "Fan":{"Type":"Map","ItemsPath":"$.items","ResultPath":"$.mapped","Next":"Par",
      "ItemSelector":{"w.$":"$$.Map.Item.Value.w","i.$":"$$.Map.Item.Index"},
      "ItemProcessor":{"StartAt":"Echo","States":{"Echo":{"Type":"Pass","End":true}}}},
    "Par":{"Type":"Parallel","ResultPath":"$.par","End":true,"Branches":[
      {"StartAt":"B1","States":{"B1":{"Type":"Pass","Result":{"q":1,"p":2},"End":true}}},
      {"StartAt":"B2","States":{"B2":{"Type":"Pass","Parameters":{"v.$":"$cfg"},"End":true}}}]}}})json");
  auto input = TempFile("order_input.json", R"({"zulu":1,"alpha":{"y":true,"b":[2,1]},"items":[{"w":"x","a":1}]})");
  auto dir = std::filesystem::temp_directory_path() / "stepflow_cli_test_order";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "order.db").string();

  auto run = Stepflow("run " + def + " --name ordered --input-file " + input + " --db " + db + " --json");
  REQUIRE(run.exit_code == 0);
  // The input's members in their order; a template's in its order ("b.$" is
  // "b" where it was written); a member added by ResultPath at the end, one
  // replaced where it was; strings made of objects in the objects' order.
  const std::string output =
      R"({"zulu":"new","alpha":{"y":true,"b":[2,1]},"items":[{"w":"x","a":1}],)"
      R"("shaped":{"zulu":1,"alpha":"lit","nested":{"y":1,"b":{"y":true,"b":[2,1]}},)"
      R"("json":"{\"y\":true,\"b\":[2,1]}","fmt":"v={y=true, b=[2, 1]}"},)"
      R"("mapped":[{"w":"x","i":0}],"par":[{"q":1,"p":2},{"v":{"z":1,"a":2}}]})";
  CHECK(run.out == R"({"executionId":"stepflow_cli_test_order:ordered","status":"SUCCEEDED","output":)" + output + "}\n");

  auto history = Stepflow("exec history stepflow_cli_test_order:ordered --db " + db + " --json");
  REQUIRE(history.exit_code == 0);
  Json events = Json::parse(history.out);
  REQUIRE(events.is_array());
  // Each event has Step Functions' member order, and the JSON it carries
  // as text keeps the order of the values it shows.
  CHECK(events[0].begin().key() == "id");
  const Json& last = events.back();
  CHECK(last["type"] == "ExecutionSucceeded");
  CHECK(last["executionSucceededEventDetails"]["output"] == output);
  CHECK(events[0]["executionStartedEventDetails"]["input"] ==
        R"({"zulu":1,"alpha":{"y":true,"b":[2,1]},"items":[{"w":"x","a":1}]})");
  std::filesystem::remove_all(dir);
}

TEST_CASE("a database made before objects kept their order still resumes and reads", "[cli][order]") {
  // tests/fixtures/checkpoints_v1.sql: checkpoint format 1 with sorted JSON;
  // "orders:waiting" was killed inside a Map of Wait states.
  std::ifstream in(std::string(STEPFLOW_SOURCE_DIR) + "/tests/fixtures/checkpoints_v1.sql");
  REQUIRE(in);
  const std::string sql((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto dir = std::filesystem::temp_directory_path() / "stepflow_cli_test_v1";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "v1.db").string();
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
  CHECK(sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(handle);

  auto resumed = Stepflow("resume --db " + db + " --json");
  REQUIRE(resumed.exit_code == 0);
  Json result = Json::parse(resumed.out);
  CHECK(result["executionId"] == "orders:waiting");
  CHECK(result["status"] == "SUCCEEDED");
  CHECK(result["output"] == Json::parse(R"({"zulu":"z","alpha":{"y":2,"x":1},"count":3,
      "items":[{"name":"p"},{"name":"q"},{"name":"r"}],
      "mapped":[{"yes":"p","after":"tag"},{"yes":"q","after":"tag"},{"yes":"r","after":"tag"}],
      "branches":[{"m":1,"c":2},"x"]})"));
  auto done = Stepflow("exec describe orders:done-before --db " + db + " --json");
  REQUIRE(done.exit_code == 0);
  CHECK(Json::parse(done.out)["status"] == "SUCCEEDED");
  auto history = Stepflow("exec history orders:done-before --db " + db + " --json");
  REQUIRE(history.exit_code == 0);
  CHECK(Json::parse(history.out).back()["type"] == "ExecutionSucceeded");
  std::filesystem::remove_all(dir);
}
