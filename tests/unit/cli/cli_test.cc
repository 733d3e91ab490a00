// Drives the real `stepflow` binary for the commands that need no server.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

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

struct RunWithErr {
  int exit_code = -1;
  std::string out, err;
};

// Runs the binary with STEPFLOW_SERVER unset, capturing both streams.
RunWithErr StepflowWithErr(const std::string& args) {
  const std::string err_file = (std::filesystem::temp_directory_path() /
                                ("stepflow_cli_test_stderr_" + std::to_string(::getpid())))
                                   .string();
  std::string cmd =
      "env -u STEPFLOW_SERVER " + std::string(STEPFLOW_BINARY) + " " + args + " 2>" + err_file;
  RunWithErr run;
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) run.out.append(buf.data(), n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  run.err.assign(std::istreambuf_iterator<char>(in), {});
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
  for (const char* verb : {"exec describe x:y", "exec history x:y", "exec redrive x:y", "exec list",
                           "exec list --json", "exec stop x:y", "exec start m", "machine list",
                           "machine describe m", "machine delete m"}) {
    INFO(verb);
    auto r = StepflowWithErr(std::string(verb) + " --db " + missing);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("no database at " + missing) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(missing));
  }
  // Resuming a database that does not exist finds nothing to resume.
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

TEST_CASE("the exec and machine verbs work embedded (--db) as they do through a server",
          "[cli][embedded]") {
  auto dir = std::filesystem::temp_directory_path() /
             ("stepflow_cli_test_embedded_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "e.db").string();
  const std::string flags = " --db " + db;
  auto v1 =
      TempFile("emb_v1.asl.json",
               R"({"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"v":1},"End":true}}})");
  auto v2 =
      TempFile("emb_v2.asl.json",
               R"({"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"v":2},"End":true}}})");

  auto created = StepflowWithErr("machine create m " + v1 + flags);
  INFO(created.err);
  REQUIRE(created.exit_code == 0);
  CHECK(created.out == "m version 1\n");
  CHECK(StepflowWithErr("machine create m " + v1 + flags).out ==
        "m version 1 (unchanged: the definition equals the newest version)\n");
  CHECK(StepflowWithErr("machine update m " + v2 + flags).out == "m version 2\n");

  // exec start runs the execution here to its end and prints its result.
  auto a = StepflowWithErr("exec start m --name a --input '{\"k\":1}' --version 1 --json" + flags);
  INFO(a.err);
  REQUIRE(a.exit_code == 0);
  CHECK(Json::parse(a.out) ==
        Json::parse(R"({"executionId":"m:a","status":"SUCCEEDED","output":{"v":1}})"));
  CHECK(a.err == "stepflow exec start: execution m:a started\n");
  auto b = StepflowWithErr("exec start m --name b --wait" + flags);
  REQUIRE(b.exit_code == 0);
  CHECK(b.out.find("status     SUCCEEDED") != std::string::npos);

  // Newest first, as Step Functions lists them; pages as through a server.
  auto list = StepflowWithErr("exec list --json" + flags);
  REQUIRE(list.exit_code == 0);
  Json listed = Json::parse(list.out);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0]["executionId"] == "m:b");
  CHECK(listed[1]["executionId"] == "m:a");
  CHECK(listed[0]["input"].is_null());  // the list leaves data out, as the API's
  CHECK(Json::parse(
            StepflowWithErr("exec list --json --oldest-first" + flags).out)[0]["executionId"] ==
        "m:a");
  auto page = StepflowWithErr("exec list --json --max-results 1" + flags);
  REQUIRE(page.exit_code == 0);
  CHECK(Json::parse(page.out).size() == 1);
  CHECK(page.err == "stepflow exec list: more results: --next-token m:b\n");
  auto rest = StepflowWithErr("exec list --json --max-results 1 --next-token m:b" + flags);
  CHECK(Json::parse(rest.out)[0]["executionId"] == "m:a");

  auto history = StepflowWithErr("exec history m:a --json --max-results 2" + flags);
  REQUIRE(history.exit_code == 0);
  CHECK(Json::parse(history.out).size() == 2);
  CHECK(history.err == "stepflow exec history: more events: --next-token 2\n");
  auto follow = StepflowWithErr("exec history m:a --follow --json" + flags);
  REQUIRE(follow.exit_code == 0);
  CHECK(follow.out.find("\"ExecutionSucceeded\"") != std::string::npos);

  auto described = StepflowWithErr("machine describe m --json" + flags);
  REQUIRE(described.exit_code == 0);
  CHECK(Json::parse(described.out)["version"] == 2);
  CHECK(Json::parse(described.out)["versions"].size() == 2);
  CHECK(StepflowWithErr("machine list" + flags).out.find("m     2") != std::string::npos);

  // Errors are the API's, in the one-line shape of the client verbs.
  auto stop = StepflowWithErr("exec stop m:a" + flags);
  CHECK(stop.exit_code == 1);
  CHECK(stop.err ==
        "stepflow: exec stop: FAILED_PRECONDITION: execution 'm:a' is SUCCEEDED; only RUNNING "
        "executions can be stopped\n");
  auto missing = StepflowWithErr("exec describe m:nope" + flags);
  CHECK(missing.exit_code == 1);
  CHECK(missing.err == "stepflow: exec describe: NOT_FOUND: Execution Does Not Exist: 'm:nope'\n");

  // machine delete keeps the closed executions and their history...
  auto deleted = StepflowWithErr("machine delete m" + flags);
  REQUIRE(deleted.exit_code == 0);
  CHECK(StepflowWithErr("exec describe m:a --json" + flags).exit_code == 0);
  CHECK(Json::parse(StepflowWithErr("exec history m:a --json" + flags).out).back()["type"] ==
        "ExecutionSucceeded");
  CHECK(StepflowWithErr("machine describe m" + flags).exit_code == 1);
  // ... unless --purge.
  REQUIRE(StepflowWithErr("machine create m " + v1 + flags).exit_code == 0);
  auto purged = StepflowWithErr("machine delete m --purge --json" + flags);
  REQUIRE(purged.exit_code == 0);
  CHECK(Json::parse(purged.out) == Json{{"name", "m"}, {"deleted", true}, {"purged", true}});
  CHECK(StepflowWithErr("exec describe m:a" + flags).exit_code == 1);
  CHECK(Json::parse(StepflowWithErr("exec list --json" + flags).out) == Json::array());
  std::filesystem::remove_all(dir);
}

TEST_CASE("run says the execution id when it starts", "[cli]") {
  auto def =
      TempFile("started.asl.json", R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})");
  auto r = StepflowWithErr("run " + def + " --name first --db :memory: --json");
  REQUIRE(r.exit_code == 0);
  CHECK(r.err == "stepflow run: execution stepflow_cli_test_started:first started\n");
  CHECK(Json::parse(r.out)["executionId"] == "stepflow_cli_test_started:first");
}

TEST_CASE("input that is not JSON is named with its line and column", "[cli]") {
  auto def = TempFile("json_input.asl.json",
                      R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})");
  auto input = TempFile("bad_input.json", "{\n  \"a\": 1,\n  \"b\": tru\n}\n");
  auto r = StepflowWithErr("run " + def + " --db :memory: --input-file " + input);
  CHECK(r.exit_code == 2);
  CHECK(r.err.rfind("stepflow run: " + input + ":3:11: the input is not valid JSON: ", 0) == 0);
  r = StepflowWithErr("run " + def + " --db :memory: --input '{\"a\" 1}'");
  CHECK(r.exit_code == 2);
  CHECK(r.err.rfind("stepflow run: --input is not valid JSON (line 1, column 6): ", 0) == 0);
  r = StepflowWithErr("run " + def + " --db :memory: --input ''");
  CHECK(r.exit_code == 2);
  CHECK(r.err == "stepflow run: --input is not valid JSON (line 1, column 1): it is empty\n");
}
