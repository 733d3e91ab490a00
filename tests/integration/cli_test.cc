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

namespace {

// The CLI without --server (STEPFLOW_SERVER unset): embedded with --db.
CommandResult Embedded(std::vector<std::string> args) {
  std::vector<std::string> argv = {STEPFLOW_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return stepflow::testing::RunCommand(argv, {}, 30s, {{"STEPFLOW_SERVER", ""}});
}

// Reads `process`'s stderr until a line starting with `prefix`; "" after 10 s.
std::string StderrLine(Process& process, const std::string& prefix) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    auto line = process.ReadStderrLine(200ms);
    if (line && line->rfind(prefix, 0) == 0) return *line;
    if (!line && !process.Running()) break;
  }
  return "";
}

const char* kWaitMachine =
    "StartAt: Nap\n"
    "States:\n"
    "  Nap:\n"
    "    Type: Wait\n"
    "    Seconds: 300\n"
    "    Next: Done\n"
    "  Done:\n"
    "    Type: Pass\n"
    "    End: true\n";

}  // namespace

TEST_CASE("CLI: Ctrl-C stops `run` cleanly and says how to resume or stop what it leaves",
          "[integration][cli]") {
  TempDir dir("stepflow-itest-cli");
  const std::string db = dir.File("runs.db");
  const std::string file = dir.File("nap.asl.yaml");
  WriteFile(file, kWaitMachine);

  SpawnOptions options;
  options.capture_stderr = true;
  options.env = {{"STEPFLOW_SERVER", ""}};
  Process run({STEPFLOW_BINARY, "run", file, "--name", "n1", "--db", db}, options);
  // The id, as soon as the start is committed.
  const std::string started = StderrLine(run, "stepflow run: execution ");
  REQUIRE(started == "stepflow run: execution nap:n1 started");

  // While it runs: the database can be read, not stopped from another process.
  CommandResult running = Embedded({"exec", "describe", "nap:n1", "--db", db, "--json"});
  INFO(Show(running));
  REQUIRE(running.exit_code == 0);
  CHECK(ParseJson(running.out).value("status", "") == "RUNNING");
  CommandResult refused = Embedded({"exec", "stop", "nap:n1", "--db", db});
  INFO(Show(refused));
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.err, Contains("another stepflow process"));

  REQUIRE(run.Kill(SIGINT));
  auto status = run.Wait(kWait);
  REQUIRE(status);
  CHECK(status->code == 130);
  std::string rest;
  while (auto line = run.ReadStderrLine(1s)) rest += *line + "\n";
  INFO("stderr after SIGINT:\n" << rest);
  CHECK(rest == "stepflow run: interrupted; execution nap:n1 stays RUNNING in " + db +
                    ", checkpointed\n"
                    "  go on with it:  stepflow resume --db " +
                    db +
                    "\n"
                    "  or stop it:     stepflow exec stop nap:n1 --db " +
                    db + "\n");

  // Left RUNNING, checkpointed at its Wait...
  CommandResult described = Embedded({"exec", "describe", "nap:n1", "--db", db, "--json"});
  REQUIRE(described.exit_code == 0);
  CHECK(ParseJson(described.out).value("status", "") == "RUNNING");
  // ... and the command it named stops it.
  CommandResult stopped =
      Embedded({"exec", "stop", "nap:n1", "--db", db, "--error", "Hand", "--cause", "by hand"});
  INFO(Show(stopped));
  REQUIRE(stopped.exit_code == 0);
  CHECK(stopped.out == "stopped nap:n1\n");
  described = Embedded({"exec", "describe", "nap:n1", "--db", db, "--json"});
  Json record = ParseJson(described.out);
  CHECK(record.value("status", "") == "ABORTED");
  CHECK(record.value("error", "") == "Hand");
  CHECK(record.value("cause", "") == "by hand");
  CommandResult history = Embedded({"exec", "history", "nap:n1", "--db", db, "--json"});
  Json events = ParseJson(history.out);
  REQUIRE(events.is_array());
  CHECK(events.back().value("type", "") == "ExecutionAborted");
  CHECK(events[events.size() - 2].value("type", "") == "WaitStateAborted");
  CommandResult resume = Embedded({"resume", "--db", db});
  CHECK(resume.exit_code == 0);
  CHECK(resume.out == "no unfinished executions\n");
  // Stopping it again is the API's error.
  CommandResult again = Embedded({"exec", "stop", "nap:n1", "--db", db});
  CHECK(again.exit_code == 1);
  CHECK_THAT(again.err, StartsWith("stepflow: exec stop: FAILED_PRECONDITION: "));
}

TEST_CASE("CLI: an interrupted run resumes to its end with the command it names",
          "[integration][cli]") {
  TempDir dir("stepflow-itest-cli");
  const std::string db = dir.File("runs.db");
  const std::string file = dir.File("short.asl.yaml");
  WriteFile(file,
            "StartAt: Nap\nStates:\n  Nap:\n    Type: Wait\n    Seconds: 2\n    Next: Done\n"
            "  Done:\n    Type: Pass\n    Result: done\n    End: true\n");
  SpawnOptions options;
  options.capture_stderr = true;
  options.env = {{"STEPFLOW_SERVER", ""}};
  Process run({STEPFLOW_BINARY, "run", file, "--name", "r1", "--db", db, "--json"}, options);
  REQUIRE(StderrLine(run, "stepflow run: execution ") ==
          "stepflow run: execution short:r1 started");
  REQUIRE(run.Kill(SIGTERM));
  auto status = run.Wait(kWait);
  REQUIRE(status);
  CHECK(status->code == 130);
  CHECK(run.ReadAll(1s).empty());  // no result line: it did not end
  CommandResult resumed = Embedded({"resume", "--db", db, "--json"});
  INFO(Show(resumed));
  REQUIRE(resumed.exit_code == 0);
  CHECK(ParseJson(resumed.out) ==
        Json{{"executionId", "short:r1"}, {"status", "SUCCEEDED"}, {"output", "done"}});
}

TEST_CASE("CLI: the same verbs print the same through the server and embedded",
          "[integration][cli]") {
  Server server;
  const std::string file = server.dir().File("pass.asl.yaml");
  WriteFile(file, "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Result: {x: 1}\n    End: true\n");
  REQUIRE(Cli(server, {"machine", "create", "pass", file}).exit_code == 0);
  for (const char* name : {"first", "second", "third"}) {
    CommandResult started = Cli(server, {"exec", "start", "pass", "--name", name, "--wait"});
    REQUIRE(started.exit_code == 0);
  }
  // Newest first in both; the embedded reader needs no lock (the server holds it).
  for (std::vector<std::string> verb :
       {std::vector<std::string>{"exec", "list", "--json"},
        std::vector<std::string>{"exec", "list", "--oldest-first"},
        std::vector<std::string>{"exec", "describe", "pass:second", "--json"},
        std::vector<std::string>{"exec", "history", "pass:second", "--json"},
        std::vector<std::string>{"exec", "history", "pass:third", "--reverse"},
        std::vector<std::string>{"machine", "describe", "pass", "--json"},
        std::vector<std::string>{"machine", "list", "--json"},
        std::vector<std::string>{"exec", "describe", "pass:none"}}) {
    CommandResult remote = Cli(server, verb);
    std::vector<std::string> local_args = verb;
    local_args.push_back("--db");
    local_args.push_back(server.db());
    CommandResult local = Embedded(local_args);
    INFO(verb[0] << " " << verb[1] << "\nremote: " << Show(remote)
                 << "\nembedded: " << Show(local));
    CHECK(remote.exit_code == local.exit_code);
    CHECK(remote.out == local.out);
    CHECK(remote.err == local.err);
  }
  Json listed = ParseJson(Cli(server, {"exec", "list", "--json"}).out);
  REQUIRE(listed.size() == 3);
  CHECK(listed[0].value("executionId", "") == "pass:third");
  CHECK(listed[2].value("executionId", "") == "pass:first");
}

TEST_CASE("CLI: machine delete keeps closed executions readable unless --purge",
          "[integration][cli]") {
  Server server;
  const std::string file = server.dir().File("keep.asl.yaml");
  WriteFile(file, "StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n");
  REQUIRE(Cli(server, {"machine", "create", "keep", file}).exit_code == 0);
  REQUIRE(Cli(server, {"exec", "start", "keep", "--name", "k1", "--wait"}).exit_code == 0);
  CommandResult deleted = Cli(server, {"machine", "delete", "keep"});
  INFO(Show(deleted));
  REQUIRE(deleted.exit_code == 0);
  CHECK_THAT(deleted.out, StartsWith("deleted keep (its executions stay readable"));
  CHECK(Cli(server, {"exec", "describe", "keep:k1"}).exit_code == 0);
  CHECK(ParseJson(Cli(server, {"exec", "history", "keep:k1", "--json"}).out).size() > 0);

  REQUIRE(Cli(server, {"machine", "create", "keep", file}).exit_code == 0);
  CommandResult purged = Cli(server, {"machine", "delete", "keep", "--purge"});
  INFO(Show(purged));
  REQUIRE(purged.exit_code == 0);
  CHECK(purged.out == "deleted keep and its executions\n");
  CommandResult gone = Cli(server, {"exec", "describe", "keep:k1"});
  CHECK(gone.exit_code == 1);
  CHECK_THAT(gone.err, StartsWith("stepflow: exec describe: NOT_FOUND: "));
}

TEST_CASE("CLI: machine create of an invalid definition prints one diagnostic per line",
          "[integration][cli]") {
  Server server;
  const std::string file = server.dir().File("broken.asl.yaml");
  WriteFile(file,
            "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Next: Missing\n  B:\n    Type: Pass\n"
            "    End: true\n");
  CommandResult remote = Cli(server, {"machine", "create", "broken", file});
  INFO(Show(remote));
  CHECK(remote.exit_code == 1);
  auto lines = Lines(remote.err);
  REQUIRE(lines.size() == 3);
  CHECK_THAT(lines[0],
             StartsWith(file + ":5:11: error MISSING_TRANSITION_TARGET at /States/A/Next: "));
  CHECK_THAT(lines[1], StartsWith(file + ":6:3: error MISSING_TRANSITION_TARGET at /States/B: "));
  CHECK(lines[2] == "stepflow: machine create: INVALID_ARGUMENT: " + file +
                        " is not a valid definition (2 errors)");
  // The same as `stepflow validate` says, and the same embedded.
  CommandResult validate = Embedded({"validate", file});
  CHECK(Lines(validate.out)[0] == lines[0]);
  CommandResult local =
      Embedded({"machine", "create", "broken", file, "--db", server.dir().File("other.db")});
  CHECK(local.exit_code == 1);
  CHECK(local.err == remote.err);
}

TEST_CASE("CLI: the server logs each execution's start and end, and steps at debug, as JSON lines",
          "[integration][cli]") {
  Server server({"--log-format", "json", "--log-level", "debug"});
  const std::string file = server.dir().File("logged.asl.yaml");
  WriteFile(file,
            "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Next: B\n  B:\n    Type: Fail\n"
            "    Error: Nope\n    Cause: on purpose\n");
  REQUIRE(Cli(server, {"machine", "create", "logged", file}).exit_code == 0);
  CHECK(Cli(server, {"exec", "start", "logged", "--name", "l1", "--wait"}).exit_code == 1);

  std::vector<Json> lines;
  WaitUntil(
      [&] {
        lines.clear();
        for (const std::string& line : Lines(server.Log())) lines.push_back(ParseJson(line));
        for (const Json& j : lines) {
          if (j.value("event", "") == "ExecutionFailed") return true;
        }
        return false;
      },
      "the end of logged:l1 in the server's log");
  for (const Json& j : lines) {
    INFO(j.dump());
    CHECK(j.is_object());  // every line is one JSON object
    CHECK(j.contains("time"));
    CHECK(j.contains("level"));
    CHECK(j.contains("message"));
  }
  auto find = [&](const std::string& event) {
    for (const Json& j : lines) {
      if (j.value("event", "") == event && j.value("executionId", "") == "logged:l1") return j;
    }
    return Json();
  };
  Json start = find("ExecutionStarted");
  CHECK(start.value("level", "") == "info");
  CHECK(start.value("machine", "") == "logged");
  CHECK(start.value("version", 0) == 1);
  Json end = find("ExecutionFailed");
  CHECK(end.value("level", "") == "info");
  CHECK(end.value("status", "") == "FAILED");
  CHECK(end.value("error", "") == "Nope");
  CHECK(end.value("cause", "") == "on purpose");
  CHECK(end.contains("durationMs"));
  CHECK_THAT(end.value("message", ""), StartsWith("execution logged:l1 FAILED in "));
  Json step = find("PassStateEntered");
  CHECK(step.value("level", "") == "debug");
  CHECK(step.value("state", "") == "A");
}

TEST_CASE("CLI: the server's text log names each execution's start and end at info",
          "[integration][cli]") {
  Server server;  // --log-level info, text
  const std::string file = server.dir().File("plain.asl.yaml");
  WriteFile(file, "StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n");
  REQUIRE(Cli(server, {"machine", "create", "plain", file}).exit_code == 0);
  REQUIRE(Cli(server, {"exec", "start", "plain", "--name", "p1", "--wait"}).exit_code == 0);
  WaitUntil(
      [&] { return server.Log().find("execution plain:p1 SUCCEEDED in ") != std::string::npos; },
      "the end of plain:p1 in the server's log");
  const std::string log = server.Log();
  CHECK_THAT(log, Contains(" info execution plain:p1 started (machine plain version 1)\n"));
  CHECK_THAT(log, Contains(" info execution plain:p1 SUCCEEDED in "));
  CHECK_THAT(log, !Contains("PassStateEntered"));  // steps are debug
}

TEST_CASE("CLI: exec stop --db of an execution left in a Task does not call the function again",
          "[integration][cli]") {
  TestWorker worker;
  TempDir dir("stepflow-itest-cli");
  const std::string db = dir.File("tasks.db");
  const std::string file = dir.File("slow.asl.yaml");
  WriteFile(file, "StartAt: Slow\nStates:\n  Slow:\n    Type: Task\n    Resource: " +
                      worker.Resource("sleep") +
                      "\n    Parameters:\n      ms: 60000\n    End: true\n");
  SpawnOptions options;
  options.capture_stderr = true;
  options.env = {{"STEPFLOW_SERVER", ""}};
  Process run({STEPFLOW_BINARY, "run", file, "--name", "s1", "--db", db}, options);
  WaitUntil([&] { return worker.LogLines().size() == 1; }, "the Task's call");
  REQUIRE(run.Kill(SIGINT));
  auto status = run.Wait(kWait);
  REQUIRE(status);
  CHECK(status->code == 130);

  CommandResult stopped = Embedded({"exec", "stop", "slow:s1", "--db", db, "--json"});
  INFO(Show(stopped));
  REQUIRE(stopped.exit_code == 0);
  CHECK(ParseJson(stopped.out).value("executionId", "") == "slow:s1");
  Json events = ParseJson(Embedded({"exec", "history", "slow:s1", "--db", db, "--json"}).out);
  REQUIRE(events.is_array());
  std::vector<std::string> types;
  for (const Json& e : events) types.push_back(e.value("type", ""));
  CHECK(types.back() == "ExecutionAborted");
  CHECK(std::count(types.begin(), types.end(), "TaskScheduled") == 1);
  // The call was not sent again to be stopped.
  std::this_thread::sleep_for(300ms);
  CHECK(worker.LogLines().size() == 1);
}
