// Deployed functions with real processes: a `stepflow server` child, the CLI
// (`stepflow functions deploy|describe|invoke|logs|list`, `exec history
// --logs`), pip and npm building environments, and the instances the server
// starts for Python and Node handlers written by each test into a TempDir.
//
// Covered: a local package named in requirements.txt (no package index), an
// environment shared by two functions, an unchanged redeploy; a Node function
// with an npm dependency; failed deploys (pip, import) that leave the previous
// version serving; handler exceptions as ASL errors for Catch; kill -9 of an
// instance mid-call retried on Runtime.ExitError; the sandbox hiding the
// database; the function's timeout and memory limit; a Map scaling a pool up
// to max-instances and keep-warm scaling it back to zero; a server restart
// that rebuilds nothing; per-execution logs; InvokeFunction; functions list
// with both kinds.
//
// Deploys build environments (pip 2-8 s, npm a few seconds): the CLI gets
// kBuild, and executions whose Task starts a cold instance get kCold. No test
// asserts how long anything took.
#include <signal.h>
#include <sys/types.h>

#include <filesystem>
#include <map>

#include "tests/integration/server_harness.h"

namespace {

using namespace stepflow::itest;
using Catch::Matchers::Contains;
using stepflow::testing::CommandResult;
namespace fs = std::filesystem;

// How long the CLI may take where a deploy builds an environment.
constexpr auto kBuild = 120s;
// How long an execution whose Tasks start instances (or a Map) may take.
constexpr auto kCold = 60s;

// `stepflow ARGS...` against `server` (STEPFLOW_SERVER); bounded.
CommandResult Cli(Server& server, std::vector<std::string> args,
                  std::chrono::milliseconds timeout = 30s) {
  std::vector<std::string> argv = {STEPFLOW_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return stepflow::testing::RunCommand(argv, {}, timeout, {{"STEPFLOW_SERVER", server.address()}});
}

std::string Show(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") +
         "\nstdout: " + r.out + "\nstderr: " + r.err;
}

// A function folder: relative path → content.
using Files = std::map<std::string, std::string>;

// Writes `files` to a new folder `name` under `dir`; returns its path.
std::string WriteFolder(const TempDir& dir, const std::string& name, const Files& files) {
  const fs::path root = dir.path() / name;
  for (const auto& [path, content] : files) {
    fs::create_directories((root / path).parent_path());
    WriteFile((root / path).string(), content);
  }
  return root.string();
}

// `stepflow functions deploy NAME DIR FLAGS...`, with time for a build.
CommandResult Deploy(Server& server, const std::string& name, const std::string& dir,
                     std::vector<std::string> flags = {}) {
  std::vector<std::string> args = {"functions", "deploy", name, dir};
  args.insert(args.end(), flags.begin(), flags.end());
  return Cli(server, args, kBuild);
}

// Deploy with --json; REQUIREs success and returns the DeployFunctionResponse
// as JSON (proto JSON: lowerCamelCase, int64 as strings).
Json MustDeploy(Server& server, const std::string& name, const std::string& dir,
                std::vector<std::string> flags = {}) {
  flags.push_back("--json");
  CommandResult r = Deploy(server, name, dir, flags);
  INFO("functions deploy " << name << ": " << Show(r));
  REQUIRE(r.exit_code == 0);
  Json response = ParseJson(r.out);
  REQUIRE(response.is_object());
  return response;
}

// A proto-JSON int64 (a string) or a plain JSON number, as a number.
int64_t Int(const Json& j) {
  if (j.is_string()) return std::stoll(j.get<std::string>());
  if (j.is_number_integer()) return j.get<int64_t>();
  FAIL("not an integer: " << j.dump());
  return 0;
}

v1::FunctionDescription DescribeFunction(Server& server, const std::string& name) {
  v1::DescribeFunctionRequest req;
  req.set_name(name);
  v1::FunctionDescription d;
  grpc::Status st = server.Call(&Stub::DescribeFunction, req, &d);
  INFO("DescribeFunction " << name << ": " << StatusText(st));
  REQUIRE(st.ok());
  return d;
}

// A machine of one Task "Call" calling `resource`; `fields` are added to it
// (Parameters, Retry, Catch, ...).
Json OneTask(const std::string& resource, const Json& fields = Json::object()) {
  Json task = {{"Type", "Task"}, {"Resource", resource}, {"End", true}};
  task.update(fields);
  return {{"StartAt", "Call"}, {"States", {{"Call", task}}}};
}

// Starts `machine` with `input` and waits (kCold) for `status`; returns the execution.
v1::Execution Run(Server& server, const std::string& machine, const Json& input,
                  const std::string& status = "SUCCEEDED") {
  return server.WaitForStatus(server.Start(machine, input.dump()), status, kCold);
}

Json Output(const v1::Execution& e) { return ParseJson(e.output_json()); }

// The `.stepflow-ready` markers of built environments, with their mtimes.
std::map<std::string, fs::file_time_type> ReadyMarkers(const Server& server) {
  std::map<std::string, fs::file_time_type> markers;
  const fs::path envs = server.db() + ".d/envs";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(envs, ec)) {
    const fs::path marker = entry.path() / ".stepflow-ready";
    if (fs::exists(marker, ec)) markers[marker.string()] = fs::last_write_time(marker, ec);
  }
  return markers;
}

// A setup.py-only package (no pyproject.toml: pip builds it with the
// environment's own setuptools, no index) that requirements.txt names by path.
const Files kGreetPackage = {
    {"requirements.txt", "./libs/greet\n"},
    {"libs/greet/setup.py",
     "from setuptools import setup; setup(name=\"greet\", version=\"1.0\", "
     "packages=[\"greet\"])\n"},
    {"libs/greet/greet/__init__.py", "def hello(name):\n    return 'hello, ' + name\n"},
};

Files With(Files files, const std::string& path, const std::string& content) {
  files[path] = content;
  return files;
}

// The greeting function: uses the installed `greet` (from site-packages, not
// the copy under libs/ in the code).
const std::string kGreetHandler = R"PY(import greet


def handler(event, context):
    return {
        "greeting": greet.hello(event["name"]),
        "installed": "site-packages" in greet.__file__,
        "function": context.function_name,
        "request": bool(context.aws_request_id),
    }
)PY";

}  // namespace

TEST_CASE("a Python function with a local package deploys by CLI, runs, and shares its environment",
          "[integration][deploy]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  const std::string hello_dir =
      WriteFolder(dir, "hello", With(kGreetPackage, "handler.py", kGreetHandler));

  CommandResult deployed = Deploy(server, "hello", hello_dir);
  INFO("first deploy: " << Show(deployed));
  REQUIRE(deployed.exit_code == 0);
  CHECK_THAT(deployed.out, Contains("deployed hello version 1") && Contains("environment built"));

  server.CreateMachine("greeter", OneTask("hello", {{"Parameters", {{"name.$", "$.who"}}}}));
  v1::Execution done = Run(server, "greeter", {{"who", "ann"}});
  CHECK(Output(done) == Json{{"greeting", "hello, ann"},
                             {"installed", true},
                             {"function", "hello"},
                             {"request", true}});

  // Another function with the same requirements runs in the same environment.
  const std::string shout_dir =
      WriteFolder(dir, "shout",
                  With(kGreetPackage, "handler.py",
                       "import greet\n\ndef handler(event, context):\n"
                       "    return greet.hello(event['name']).upper()\n"));
  Json shout = MustDeploy(server, "shout", shout_dir);
  CHECK(shout["environmentReused"] == true);
  CHECK(Int(shout["version"]) == 1);
  CHECK(shout["unchanged"] == false);
  const v1::FunctionDescription hello = DescribeFunction(server, "hello");
  REQUIRE(hello.versions_size() == 1);
  CHECK(shout["config"]["environmentKey"] == hello.versions(0).config().environment_key());
  server.CreateMachine("shouter", OneTask("shout", {{"Parameters", {{"name", "bo"}}}}));
  CHECK(Output(Run(server, "shouter", Json::object())) == "HELLO, BO");

  // Deploying unchanged code again adds no version.
  CommandResult again = Deploy(server, "hello", hello_dir);
  INFO("redeploy: " << Show(again));
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Contains("deployed hello: unchanged, version 1"));
  Json again_json = MustDeploy(server, "hello", hello_dir);
  CHECK(again_json["unchanged"] == true);
  CHECK(Int(again_json["version"]) == 1);
  CHECK(again_json["codeSha256"] == hello.versions(0).code_sha256());
  CHECK(DescribeFunction(server, "hello").versions_size() == 1);
}

TEST_CASE("a Node function with an npm dependency deploys and runs as a Task",
          "[integration][deploy]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  const std::string folder =
      WriteFolder(dir, "numbers",
                  {{"package.json",
                    R"({"name": "numbers", "version": "1.0.0", "private": true,
            "dependencies": {"is-number": "7.0.0"}})"},
                   {"index.js", R"JS(const isNumber = require('is-number');

exports.handler = async (event, context) => ({
  numbers: event.values.filter((v) => isNumber(v)),
  request: typeof context.awsRequestId === 'string' && context.awsRequestId.length > 0,
  function: context.functionName,
});
)JS"}});
  Json deployed = MustDeploy(server, "numbers", folder);
  CHECK(Int(deployed["version"]) == 1);
  CHECK(deployed["config"]["runtime"] == "node");
  CHECK(deployed["config"]["handler"] == "index.handler");
  CHECK(deployed["environmentReused"] == false);

  server.CreateMachine("filter", OneTask("numbers", {{"Parameters", {{"values.$", "$.values"}}}}));
  v1::Execution done = Run(server, "filter", {{"values", {1, "2", "x", nullptr, "3.5", true}}});
  CHECK(Output(done) ==
        Json{{"numbers", {1, "2", "3.5"}}, {"request", true}, {"function", "numbers"}});
}

TEST_CASE("a deploy that fails to build or to import is refused and the previous version serves",
          "[integration][deploy]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  const std::string good = WriteFolder(
      dir, "good",
      {{"handler.py", "def handler(event, context):\n    return {'served': 'good'}\n"}});
  Json first = MustDeploy(server, "shop", good);
  REQUIRE(Int(first["version"]) == 1);
  server.CreateMachine("buy", OneTask("shop"));
  CHECK(Output(Run(server, "buy", Json::object())) == Json{{"served", "good"}});

  // requirements.txt names a local package that is not there: pip fails.
  const std::string broken_requirements = WriteFolder(
      dir, "broken-requirements",
      {{"requirements.txt", "./libs/missing\n"},
       {"handler.py", "def handler(event, context):\n    return {'served': 'broken'}\n"}});
  CommandResult pip = Deploy(server, "shop", broken_requirements);
  INFO("deploy with a missing local package: " << Show(pip));
  CHECK(pip.exit_code == 1);
  CHECK_THAT(pip.err, Contains("pip install -r requirements.txt") && Contains("./libs/missing") &&
                          Contains("does not exist"));
  CommandResult described = Cli(server, {"functions", "describe", "shop"});
  INFO("describe: " << Show(described));
  CHECK(described.exit_code == 0);
  CHECK_THAT(described.out, Contains("version:   1 (newest)") && Contains("last failed deploy") &&
                                Contains("does not exist"));
  CHECK(Output(Run(server, "buy", Json::object())) == Json{{"served", "good"}});

  // The handler's module fails to import: the loader's error.
  const std::string broken_import =
      WriteFolder(dir, "broken-import",
                  {{"handler.py",
                    "import no_such_module_for_stepflow\n\n"
                    "def handler(event, context):\n    return {'served': 'broken'}\n"}});
  CommandResult loaded = Deploy(server, "shop", broken_import);
  INFO("deploy of a handler that does not import: " << Show(loaded));
  CHECK(loaded.exit_code == 1);
  CHECK_THAT(loaded.err,
             Contains("Runtime.ImportModuleError") && Contains("no_such_module_for_stepflow"));
  const v1::FunctionDescription d = DescribeFunction(server, "shop");
  CHECK(d.version() == 1);
  CHECK(d.versions_size() == 1);
  CHECK_THAT(d.last_deploy_error(), Contains("Runtime.ImportModuleError"));
  CHECK(d.last_deploy_error_ms() > 0);
  described = Cli(server, {"functions", "describe", "shop"});
  CHECK_THAT(described.out,
             Contains("last failed deploy") && Contains("Runtime.ImportModuleError"));
  CHECK(Output(Run(server, "buy", Json::object())) == Json{{"served", "good"}});

  // A deploy that works makes version 2 and clears the failure.
  const std::string fixed = WriteFolder(
      dir, "fixed",
      {{"handler.py", "def handler(event, context):\n    return {'served': 'fixed'}\n"}});
  CHECK(Int(MustDeploy(server, "shop", fixed)["version"]) == 2);
  CHECK(DescribeFunction(server, "shop").last_deploy_error().empty());
  CHECK(Output(Run(server, "buy", Json::object())) == Json{{"served", "fixed"}});
}

TEST_CASE(
    "an exception in a deployed handler is the ASL error named after its class, caught by Catch",
    "[integration][deploy]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  const std::string folder = WriteFolder(dir, "quota", {{"handler.py", R"PY(
class QuotaExceeded(Exception):
    pass


def handler(event, context):
    if event["kind"] == "quota":
        raise QuotaExceeded("quota of 5 reached for " + event["who"])
    raise ValueError("no such kind: " + event["kind"])
)PY"}});
  MustDeploy(server, "quota", folder);
  Json definition = {{"StartAt", "Call"},
                     {"States",
                      {{"Call",
                        {{"Type", "Task"},
                         {"Resource", "quota"},
                         {"Catch",
                          {{{"ErrorEquals", {"QuotaExceeded"}},
                            {"ResultPath", "$.failure"},
                            {"Next", "Handled"}}}},
                         {"End", true}}},
                       {"Handled", {{"Type", "Pass"}, {"End", true}}}}}};
  server.CreateMachine("limited", definition);

  v1::Execution caught = Run(server, "limited", {{"kind", "quota"}, {"who", "ann"}});
  CHECK(Output(caught) ==
        Json{{"kind", "quota"},
             {"who", "ann"},
             {"failure", {{"Error", "QuotaExceeded"}, {"Cause", "quota of 5 reached for ann"}}}});
  Json failed_task = Details(FirstOfType(server.History(caught.execution_id()), "TaskFailed"));
  CHECK(failed_task["error"] == "QuotaExceeded");

  // Another class is not caught: the execution fails with it.
  v1::Execution uncaught = Run(server, "limited", {{"kind", "other"}, {"who", "bo"}}, "FAILED");
  CHECK(uncaught.error() == "ValueError");
  CHECK(uncaught.cause() == "no such kind: other");
}

TEST_CASE(
    "kill -9 of a deployed function's instance mid-call is Runtime.ExitError, retried to success",
    "[integration][deploy]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  // Unsandboxed: the handler writes into the test's folder. The first attempt
  // publishes its pid (atomically) and sleeps until it is killed.
  const std::string folder = WriteFolder(dir, "victim", {{"handler.py", R"PY(import os
import time


def handler(event, context):
    folder = event["folder"]
    pid_file = os.path.join(folder, "pid")
    if not os.path.exists(pid_file):
        with open(pid_file + ".tmp", "w") as f:
            f.write("%d %d" % (os.getpid(), context.attempt))
        os.rename(pid_file + ".tmp", pid_file)
        time.sleep(50)
        return {"pid": os.getpid(), "attempt": context.attempt, "slept": True}
    return {"pid": os.getpid(), "attempt": context.attempt}
)PY"}});
  MustDeploy(server, "victim", folder, {"--no-sandbox"});
  server.CreateMachine("retried", OneTask("victim", {{"Parameters", {{"folder.$", "$.folder"}}},
                                                     {"Retry",
                                                      {{{"ErrorEquals", {"Runtime.ExitError"}},
                                                        {"IntervalSeconds", 1},
                                                        {"MaxAttempts", 2},
                                                        {"BackoffRate", 1}}}}}));
  TempDir shared("stepflow-itest-victim");
  const std::string id = server.Start("retried", Json{{"folder", shared.path().string()}}.dump());
  const std::string pid_file = shared.File("pid");
  WaitUntil([&] { return fs::exists(pid_file); }, "the first attempt to write its pid", kCold);
  std::istringstream published(ReadFile(pid_file));
  pid_t pid = 0;
  int64_t first_attempt = -1;
  published >> pid >> first_attempt;
  REQUIRE(pid > 1);
  REQUIRE(::kill(pid, SIGKILL) == 0);

  v1::Execution done = server.WaitForStatus(id, "SUCCEEDED", kCold);
  Json output = Output(done);
  CHECK_FALSE(output.contains("slept"));
  CHECK(output["pid"] != pid);
  CHECK(Int(output["attempt"]) > first_attempt);
  auto events = server.History(id);
  CHECK(CountType(events, "TaskScheduled") == 2);
  Json failed = Details(FirstOfType(events, "TaskFailed"));
  CHECK(failed["error"] == "Runtime.ExitError");
  CHECK_THAT(failed["cause"].get<std::string>(), Contains("ended mid-call"));
}

TEST_CASE("the sandbox hides the database from a deployed handler, --no-sandbox does not",
          "[integration][deploy]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  const std::string folder = WriteFolder(
      dir, "peek",
      {{"handler.py",
        "import os\n\ndef handler(event, context):\n    return os.path.exists(event['path'])\n"}});
  MustDeploy(server, "peek-boxed", folder);
  MustDeploy(server, "peek-open", folder, {"--no-sandbox"});
  // bubblewrap is a dependency (tools/setup.sh); without it every instance
  // runs unsandboxed and this test cannot say anything.
  REQUIRE(DescribeFunction(server, "peek-boxed").sandbox() == "bubblewrap");
  CHECK(DescribeFunction(server, "peek-open").versions(0).config().sandbox() == false);

  Json definition = {{"StartAt", "Boxed"},
                     {"States",
                      {{"Boxed",
                        {{"Type", "Task"},
                         {"Resource", "peek-boxed"},
                         {"Parameters", {{"path.$", "$.db"}}},
                         {"ResultPath", "$.boxed"},
                         {"Next", "Open"}}},
                       {"Open",
                        {{"Type", "Task"},
                         {"Resource", "peek-open"},
                         {"Parameters", {{"path.$", "$.db"}}},
                         {"ResultPath", "$.open"},
                         {"End", true}}}}}};
  server.CreateMachine("peek", definition);
  REQUIRE(fs::exists(server.db()));
  Json output = Output(Run(server, "peek", {{"db", server.db()}}));
  CHECK(output["boxed"] == false);
  CHECK(output["open"] == true);
}

TEST_CASE("a call past a deployed function's --timeout is States.Timeout and the next call works",
          "[integration][deploy]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  const std::string folder =
      WriteFolder(dir, "sleepy",
                  {{"handler.py",
                    "import time\n\ndef handler(event, context):\n"
                    "    time.sleep(event['seconds'])\n    return {'slept': event['seconds']}\n"}});
  MustDeploy(server, "sleepy", folder, {"--timeout", "1"});
  server.CreateMachine("nap", OneTask("sleepy"));

  v1::Execution late = Run(server, "nap", {{"seconds", 5}}, "FAILED");
  CHECK(late.error() == "States.Timeout");
  CHECK(CountType(server.History(late.execution_id()), "TaskTimedOut") == 1);
  CHECK(Output(Run(server, "nap", {{"seconds", 0}})) == Json{{"slept", 0}});
}

TEST_CASE("a deployed function's instance over its --memory-mb is Runtime.OutOfMemory",
          "[integration][deploy]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  const std::string folder = WriteFolder(dir, "hog", {{"handler.py", R"PY(import time


def handler(event, context):
    if not event.get("big"):
        return {"small": True}
    block = bytearray(300 * 1024 * 1024)
    for i in range(0, len(block), 4096):  # resident, not just reserved
        block[i] = 1
    time.sleep(10)
    return {"allocated": len(block)}
)PY"}});
  MustDeploy(server, "hog", folder, {"--memory-mb", "64", "--timeout", "30"});
  server.CreateMachine("hog", OneTask("hog"));

  // The engine's resident-memory check kills the instance; a MemoryError
  // raised by the handler is reported under the same name.
  v1::Execution oom = Run(server, "hog", {{"big", true}}, "FAILED");
  CHECK(oom.error() == "Runtime.OutOfMemory");
  CHECK(Output(Run(server, "hog", {{"big", false}})) == Json{{"small", true}});
}

TEST_CASE("a Map scales a deployed function up to --max-instances and keep-warm back to zero",
          "[integration][deploy]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  const std::string folder = WriteFolder(
      dir, "nap",
      {{"handler.py",
        "import time\n\ndef handler(event, context):\n    time.sleep(0.3)\n    return event\n"}});
  MustDeploy(server, "nap", folder, {"--max-instances", "4", "--keep-warm", "1"});
  Json definition = {
      {"StartAt", "Each"},
      {"States",
       {{"Each",
         {{"Type", "Map"},
          {"ItemsPath", "$.items"},
          {"MaxConcurrency", 0},
          {"ItemProcessor",
           {{"ProcessorConfig", {{"Mode", "INLINE"}}},
            {"StartAt", "Nap"},
            {"States", {{"Nap", {{"Type", "Task"}, {"Resource", "nap"}, {"End", true}}}}}}},
          {"End", true}}}}}};
  server.CreateMachine("fan-out", definition);
  Json items = Json::array();
  for (int i = 0; i < 12; ++i) items.push_back(i);
  CHECK(Output(Run(server, "fan-out", {{"items", items}})) == items);

  CommandResult described = Cli(server, {"functions", "describe", "nap", "--json"});
  INFO("describe: " << Show(described));
  REQUIRE(described.exit_code == 0);
  Json instances = ParseJson(described.out)["instances"];
  CHECK(Int(instances["startedTotal"]) == 4);

  // Idle past keep-warm (1 s) with min-instances 0: every instance stops.
  v1::FunctionInstances now;
  WaitUntil(
      [&] {
        now = DescribeFunction(server, "nap").instances();
        return now.idle() + now.busy() + now.starting() == 0;
      },
      "the idle instances to stop", 30s);
  CHECK(now.started_total() == 4);
  CHECK(now.queued() == 0);
}

TEST_CASE("after a server restart deployed functions run and a redeploy rebuilds nothing",
          "[integration][deploy][restart]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  const std::string hello_dir =
      WriteFolder(dir, "hello", With(kGreetPackage, "handler.py", kGreetHandler));
  MustDeploy(server, "hello", hello_dir);
  server.CreateMachine("greeter", OneTask("hello", {{"Parameters", {{"name.$", "$.who"}}}}));
  CHECK(Output(Run(server, "greeter", {{"who", "ann"}}))["greeting"] == "hello, ann");
  const auto markers = ReadyMarkers(server);
  REQUIRE_FALSE(markers.empty());

  server.Kill9();
  server.Restart();
  CHECK(Output(Run(server, "greeter", {{"who", "bo"}}))["greeting"] == "hello, bo");
  CommandResult again = Deploy(server, "hello", hello_dir);
  INFO("redeploy after the restart: " << Show(again));
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Contains("deployed hello: unchanged, version 1"));
  CHECK(ReadyMarkers(server) == markers);
}

TEST_CASE(
    "what a deployed handler prints is logged per call: exec history --logs and functions logs",
    "[integration][deploy]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  const std::string folder =
      WriteFolder(dir, "logger",
                  {{"handler.py",
                    "def handler(event, context):\n"
                    "    print('packing ' + event['order'] + ' in ' + context.execution_id)\n"
                    "    return {'packed': event['order']}\n"}});
  MustDeploy(server, "logger", folder);
  server.CreateMachine("pack", OneTask("logger"));
  const std::string a = Run(server, "pack", {{"order", "a-1"}}).execution_id();
  const std::string b = Run(server, "pack", {{"order", "b-2"}}).execution_id();
  const std::string line_a = "packing a-1 in " + a;
  const std::string line_b = "packing b-2 in " + b;

  CommandResult history = Cli(server, {"exec", "history", a, "--logs"});
  INFO("exec history --logs: " << Show(history));
  REQUIRE(history.exit_code == 0);
  // Under the Task: after its TaskScheduled row, before its TaskSucceeded row.
  const size_t scheduled = history.out.find("TaskScheduled");
  const size_t logged = history.out.find("| " + line_a);
  const size_t succeeded = history.out.find("TaskSucceeded");
  REQUIRE(scheduled != std::string::npos);
  REQUIRE(logged != std::string::npos);
  REQUIRE(succeeded != std::string::npos);
  CHECK(scheduled < logged);
  CHECK(logged < succeeded);
  CHECK_THAT(history.out, !Contains("b-2"));

  CommandResult logs = Cli(server, {"functions", "logs", "logger", "--execution", a});
  INFO("functions logs --execution: " << Show(logs));
  CHECK(logs.exit_code == 0);
  CHECK_THAT(logs.out, Contains(line_a) && !Contains("b-2"));
  CommandResult all = Cli(server, {"functions", "logs", "logger"});
  CHECK_THAT(all.out, Contains(line_a) && Contains(line_b));
}

TEST_CASE("InvokeFunction and functions invoke return a deployed function's result, or its error",
          "[integration][deploy]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  const std::string folder = WriteFolder(dir, "calc", {{"handler.py", R"PY(
def handler(event, context):
    print("dividing %s by %s" % (event["a"], event["b"]))
    if event["b"] == 0:
        raise ZeroDivisionError("cannot divide %s by zero" % event["a"])
    return {"quotient": event["a"] // event["b"], "version": context.function_version}
)PY"}});
  MustDeploy(server, "calc", folder);

  v1::InvokeFunctionRequest req;
  req.set_function("calc");
  req.set_payload(R"({"a": 7, "b": 2})");
  v1::InvokeFunctionResponse resp;
  {
    grpc::ClientContext ctx;
    SetDeadline(ctx, kCold);
    grpc::Status st = server.stub().InvokeFunction(&ctx, req, &resp);
    INFO(StatusText(st));
    REQUIRE(st.ok());
  }
  CHECK(resp.ok());
  CHECK(ParseJson(resp.result()) == Json{{"quotient", 3}, {"version", "1"}});
  CHECK(resp.executed_version() == "$LATEST");  // as Lambda reports an unqualified call
  CHECK_THAT(resp.log(), Contains("dividing 7 by 2"));
  req.set_function("calc:1");
  {
    grpc::ClientContext ctx;
    SetDeadline(ctx, kCold);
    REQUIRE(server.stub().InvokeFunction(&ctx, req, &resp).ok());
  }
  CHECK(resp.ok());
  CHECK(resp.executed_version() == "1");

  req.set_payload(R"({"a": 7, "b": 0})");
  {
    grpc::ClientContext ctx;
    SetDeadline(ctx, kCold);
    REQUIRE(server.stub().InvokeFunction(&ctx, req, &resp).ok());
  }
  CHECK_FALSE(resp.ok());
  CHECK(resp.error() == "ZeroDivisionError");
  CHECK(resp.cause() == "cannot divide 7 by zero");

  CommandResult ok = Cli(server, {"functions", "invoke", "calc", "--payload", R"({"a":9,"b":3})"});
  INFO("functions invoke: " << Show(ok));
  CHECK(ok.exit_code == 0);
  CHECK(ParseJson(ok.out) == Json{{"quotient", 3}, {"version", "1"}});
  CHECK_THAT(ok.err, Contains("dividing 9 by 3"));

  CommandResult failed =
      Cli(server, {"functions", "invoke", "calc", "--payload", R"({"a":9,"b":0})"});
  INFO("functions invoke of an error: " << Show(failed));
  CHECK(failed.exit_code == 1);
  CHECK(failed.out.empty());
  CHECK_THAT(failed.err, Contains("ZeroDivisionError: cannot divide 9 by zero"));
}

TEST_CASE("functions list shows registered and deployed functions with their kind and runtime",
          "[integration][deploy]") {
  TestWorker worker;
  Server server;
  v1::RegisterFunctionRequest reg;
  reg.set_name("echo");
  reg.set_endpoint(worker.endpoint());
  v1::RegisterFunctionResponse reg_resp;
  REQUIRE(server.Call(&Stub::RegisterFunction, reg, &reg_resp).ok());
  TempDir dir("stepflow-itest-fn");
  MustDeploy(
      server, "py",
      WriteFolder(dir, "py", {{"handler.py", "def handler(event, context):\n    return 1\n"}}));

  v1::ListFunctionsResponse list;
  REQUIRE(server.Call(&Stub::ListFunctions, v1::ListFunctionsRequest(), &list).ok());
  REQUIRE(list.functions_size() == 2);
  CHECK(list.functions(0).name() == "echo");
  CHECK(list.functions(0).kind() == "grpc");
  CHECK(list.functions(0).endpoint() == worker.endpoint());
  CHECK(list.functions(1).name() == "py");
  CHECK(list.functions(1).kind() == "package");
  CHECK(list.functions(1).runtime() == "python");

  // FAILS (engine bug, left failing on purpose): FunctionsListCommand
  // (engine/cli/client_task.cc) prints neither "kind" nor "runtime" in
  // --json (nor in the table), though ListFunctions returns both.
  CommandResult listed = Cli(server, {"functions", "list", "--json"});
  INFO("functions list --json: " << Show(listed));
  REQUIRE(listed.exit_code == 0);
  Json entries = ParseJson(listed.out);
  REQUIRE(entries.is_array());
  REQUIRE(entries.size() == 2);
  CHECK(entries[0]["name"] == "echo");
  CHECK(entries[0]["kind"] == "grpc");
  CHECK(entries[1]["name"] == "py");
  CHECK(entries[1]["kind"] == "package");
  CHECK(entries[1]["runtime"] == "python");
  CommandResult table = Cli(server, {"functions", "list"});
  CHECK_THAT(table.out, Contains("echo") && Contains("py"));
}

TEST_CASE("a call cut off by kill -9 of the server resumes on the version it was scheduled with",
          "[integration][deploy][pin]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  // Version 1 takes long enough for the server to die mid-call.
  MustDeploy(server, "pinned",
             WriteFolder(dir, "v1",
                         {{"handler.py",
                           "import time\n"
                           "def handler(event, context):\n"
                           "    time.sleep(1.5)\n"
                           "    return 'one'\n"}}));
  server.CreateMachine("pin", OneTask("pinned"));
  const std::string id = server.Start("pin", "{}");
  WaitUntil([&] { return CountType(server.History(id), "TaskScheduled") == 1; }, "TaskScheduled");
  const Json scheduled = Details(FirstOfType(server.History(id), "TaskScheduled"));
  CHECK(scheduled["functionVersion"] == "1");
  server.Kill9();

  // Version 2 arrives while the server is down: `resume --functions-dir`
  // deploys it, then re-sends the cut-off call, to version 1.
  const std::string v2 = WriteFolder(dir, "v2/pinned",
                                     {{"handler.py", "def handler(event, context):\n    return 'two'\n"}});
  CommandResult resumed = stepflow::testing::RunCommand(
      {STEPFLOW_BINARY, "resume", "--db", server.db(), "--functions-dir", (dir.path() / "v2").string(),
       "--json"},
      {}, kCold, {{"STEPFLOW_SERVER", ""}});
  INFO("resume: " << Show(resumed));
  REQUIRE(resumed.exit_code == 0);
  CHECK_THAT(resumed.err, Contains("deployed pinned: version 2"));
  const Json result = ParseJson(resumed.out.substr(0, resumed.out.find('\n')));
  CHECK(result["status"] == "SUCCEEDED");
  CHECK(result["output"] == "one");
  (void)v2;
}

TEST_CASE("a redrive calls the version the failed Task called, whatever was deployed since",
          "[integration][deploy][pin]") {
  Server server;
  TempDir dir("stepflow-itest-fn");
  MustDeploy(server, "flaky",
             WriteFolder(dir, "v1",
                         {{"handler.py",
                           "class Broken(Exception):\n    pass\n"
                           "def handler(event, context):\n"
                           "    raise Broken('version ' + context.function_version)\n"}}));
  server.CreateMachine("redrive", OneTask("flaky"));
  const std::string id = server.Start("redrive", "{}");
  v1::Execution failed = server.WaitForStatus(id, "FAILED", kCold);
  CHECK(failed.error() == "Broken");
  MustDeploy(server, "flaky",
             WriteFolder(dir, "v2", {{"handler.py", "def handler(event, context):\n    return 'fixed'\n"}}));
  // A new execution gets the newest version.
  CHECK(Output(Run(server, "redrive", Json::object())) == "fixed");

  grpc::Status st = server.Redrive(id);
  INFO(StatusText(st));
  REQUIRE(st.ok());
  v1::Execution again = server.WaitForStatus(id, "FAILED", kCold);
  CHECK(again.error() == "Broken");
  CHECK(again.cause() == "version 1");
  const auto history = server.History(id);
  REQUIRE(CountType(history, "TaskScheduled") == 2);
  for (const auto& e : history) {
    if (e.type() == "TaskScheduled") CHECK(Details(e)["functionVersion"] == "1");
  }
}
