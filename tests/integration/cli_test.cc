// The `stepflow` client verbs end to end against a real server
// (--server 127.0.0.1:PORT): machine create, exec start --wait --json, exec
// history --json, and the one-line error of a failed call.
#include "tests/integration/server_harness.h"

namespace {

using namespace stepflow::itest;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using stepflow::testing::CommandResult;

CommandResult Cli(Server& server, std::vector<std::string> args) {
  std::vector<std::string> argv = {STEPFLOW_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--server");
  argv.push_back(server.address());
  return stepflow::testing::RunCommand(argv, {}, 30s, {{"STEPFLOW_SERVER", ""}});
}

std::string Show(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") +
         "\nstdout: " + r.out + "\nstderr: " + r.err;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace

TEST_CASE("CLI: machine create, exec start --wait --json, exec history --json",
          "[integration][cli]") {
  TestWorker worker;
  Server server;
  const std::string file = server.dir().File("adder.asl.yaml");
  WriteFile(file,
            "StartAt: Add\n"
            "States:\n"
            "  Add:\n"
            "    Type: Task\n"
            "    Resource: " +
                worker.Resource("add") +
                "\n"
                "    Parameters:\n"
                "      a.$: $.x\n"
                "      b: 10\n"
                "    ResultPath: $.sum\n"
                "    End: true\n");

  CommandResult created = Cli(server, {"machine", "create", "adder", file});
  INFO("machine create: " << Show(created));
  REQUIRE(created.exit_code == 0);
  CHECK_THAT(created.out, Contains("adder"));
  CHECK_THAT(created.out, Contains("1"));

  CommandResult created_json = Cli(server, {"machine", "create", "adder", file, "--json"});
  INFO("machine create --json: " << Show(created_json));
  REQUIRE(created_json.exit_code == 0);
  Json ref = ParseJson(created_json.out);
  CHECK(ref.value("name", "") == "adder");
  CHECK(ref.value("version", 0) == 1);
  CHECK(ref.value("unchanged", false) == true);

  CommandResult started = Cli(server, {"exec", "start", "adder", "--input", R"({"x":5})", "--name",
                                       "cli-1", "--wait", "--json"});
  INFO("exec start --wait --json: " << Show(started));
  REQUIRE(started.exit_code == 0);
  REQUIRE(Lines(started.out).size() == 1);
  Json result = ParseJson(started.out);
  REQUIRE(result.is_object());
  CHECK(result.value("executionId", "") == "adder:cli-1");
  CHECK(result.value("status", "") == "SUCCEEDED");
  CHECK(result["output"] == Json{{"x", 5}, {"sum", 15}});
  CHECK((!result.contains("error") || result["error"].is_null()));
  // The same as the API says.
  CHECK(server.Describe("adder:cli-1").status() == "SUCCEEDED");

  CommandResult history = Cli(server, {"exec", "history", "adder:cli-1", "--json"});
  INFO("exec history --json: " << Show(history));
  REQUIRE(history.exit_code == 0);
  Json events = ParseJson(history.out);
  REQUIRE(events.is_array());
  std::vector<v1::HistoryEvent> api = server.History("adder:cli-1");
  REQUIRE(events.size() == api.size());
  for (size_t i = 0; i < events.size(); ++i) {
    INFO("event #" << i << ": " << events[i].dump());
    CHECK(events[i].value("id", 0) == static_cast<int64_t>(i + 1));
    CHECK(events[i].value("type", "") == api[i].type());
    CHECK(events[i].contains("timestamp"));
  }
  CHECK(events.front().value("type", "") == "ExecutionStarted");
  CHECK(events.front().contains("executionStartedEventDetails"));
  CHECK(events.back().value("type", "") == "ExecutionSucceeded");

  // A failing execution: exit 1 and the result line with error and cause.
  CommandResult failing = Cli(
      server, {"exec", "start", "adder", "--input", R"({"x":"not a number"})", "--wait", "--json"});
  INFO("failing exec start: " << Show(failing));
  CHECK(failing.exit_code == 1);
  Json failed = ParseJson(failing.out);
  CHECK(failed.value("status", "") == "FAILED");
  CHECK(failed.value("error", "") == "Worker.BadInput");
  CHECK_FALSE(failed.contains("output"));
}

TEST_CASE("CLI: a server error is one line 'stepflow: VERB: CODE: message' and exit 1",
          "[integration][cli]") {
  Server server;
  CommandResult r = Cli(server, {"exec", "describe", "nope:nothing"});
  INFO(Show(r));
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  auto lines = Lines(r.err);
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], StartsWith("stepflow: exec describe: NOT_FOUND: "));
  CHECK_THAT(lines[0], Contains("nope:nothing"));

  CommandResult bad = Cli(server, {"machine", "describe", "ghost"});
  INFO(Show(bad));
  CHECK(bad.exit_code == 1);
  REQUIRE(Lines(bad.err).size() == 1);
  CHECK_THAT(bad.err, StartsWith("stepflow: machine describe: NOT_FOUND: "));

  // Usage errors found before calling: exit 2.
  CommandResult usage = Cli(server, {"exec", "start", "m", "--input", "{not json"});
  INFO(Show(usage));
  CHECK(usage.exit_code == 2);
}
