// Deployed functions below the API: packages (digest, runtime and handler
// detection, settings), environments keyed by content, and the local invoker
// running real Python and Node instances (results, errors, limits, pools,
// cancellation, logs), wired through the catalog and the routing invoker.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/functions/catalog.h"
#include "engine/functions/deployer.h"
#include "engine/functions/environments.h"
#include "engine/functions/local_invoker.h"
#include "engine/functions/package.h"
#include "engine/functions/routing_invoker.h"
#include "engine/store/memory_store.h"

namespace {

namespace fs = std::filesystem;
using namespace stepflow;
using namespace stepflow::functions;
using namespace std::chrono_literals;
using Json = nlohmann::json;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("stepflow-deployed-" + std::to_string(::getpid()) + "-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    for (auto& p : fs::recursive_directory_iterator(path, ec)) {
      fs::permissions(p.path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(path, ec);
  }
};

PackageFiles Files(std::vector<std::pair<std::string, std::string>> files) {
  PackageFiles out;
  for (auto& [path, content] : files) out.push_back({path, false, content});
  return out;
}

// A catalog, environments, a local invoker and a deployer over one data dir.
struct Platform {
  TempDir dir;
  std::unique_ptr<store::Store> store = store::NewMemoryStore();
  Catalog catalog{store.get()};
  Environments environments{dir.path.string()};
  LocalInvoker local{[&] {
    LocalInvoker::Options o;
    o.data_dir = dir.path.string();
    o.store = store.get();
    return o;
  }()};
  Deployer deployer{store.get(), &catalog, &local, &environments, [] { return int64_t{1}; }};
  RoutingInvoker routing{&catalog, nullptr, &local};

  DeployResult Deploy(const std::string& name, PackageFiles files, DeployRequest extra = {}) {
    extra.name = name;
    extra.files = std::move(files);
    Result<DeployResult> r = deployer.Deploy(std::move(extra));
    INFO(r.status().message());
    REQUIRE(r.ok());
    return *r;
  }

  runtime::TaskOutcome Call(const std::string& function, const std::string& input,
                            const std::string& key = "", std::chrono::milliseconds timeout = 30s,
                            const std::string& version = "") {
    runtime::TaskRequest req;
    req.function = function;
    req.function_version = version;
    req.input_json = input;
    req.idempotency_key = key.empty() ? "exec-1/" + std::to_string(++calls) : key;
    req.execution_id = "exec-1";
    req.state_name = "Call";
    req.timeout = timeout;
    std::promise<runtime::TaskOutcome> p;
    auto f = p.get_future();
    routing.Invoke(req, [&p](runtime::TaskOutcome o) { p.set_value(std::move(o)); });
    REQUIRE(f.wait_for(60s) == std::future_status::ready);
    return f.get();
  }
  int calls = 0;
};

const char* kEchoPy = R"(import os
def handler(event, context):
    print("called", context.aws_request_id)
    return {"event": event, "name": context.function_name, "version": context.function_version,
            "key": context.aws_request_id, "execution": context.execution_id,
            "state": context.state_name, "left": context.get_remaining_time_in_millis() > 0}
)";

}  // namespace

TEST_CASE("a package's digest follows its content, and its runtime and handler are told from its files",
          "[functions][deploy]") {
  PackageFiles a = Files({{"handler.py", "x"}, {"requirements.txt", ""}});
  PackageFiles b = Files({{"handler.py", "y"}, {"requirements.txt", ""}});
  CHECK(PackageDigest(a) == PackageDigest(Files({{"handler.py", "x"}, {"requirements.txt", ""}})));
  CHECK(PackageDigest(a) != PackageDigest(b));
  CHECK(*DetectRuntime(a) == "python");
  CHECK(*DetectRuntime(Files({{"index.mjs", ""}})) == "node");
  CHECK(*DetectRuntime(Files({{"package.json", "{}"}, {"lib/x.py", ""}})) == "node");
  CHECK_FALSE(DetectRuntime(Files({{"README.md", ""}})).ok());
  CHECK_FALSE(DetectRuntime(Files({{"a.py", ""}, {"b.js", ""}})).ok());
  CHECK(DefaultHandler("python", Files({{"lambda_function.py", ""}})) ==
        "lambda_function.lambda_handler");
  CHECK(DefaultHandler("python", a) == "handler.handler");
  CHECK(DefaultHandler("node", a) == "index.handler");
  CHECK(CheckHandler("python", "pkg.mod.run", Files({{"pkg/mod.py", ""}})).ok());
  CHECK(CheckHandler("node", "src/app.main", Files({{"src/app.mjs", ""}})).ok());
  Status missing = CheckHandler("python", "handler.handler", Files({{"main.py", ""}}));
  CHECK(missing.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(missing.message(), Catch::Contains("handler.py"));
  PackageFiles bad = Files({{"../escape.py", ""}});
  CHECK_FALSE(CheckPackageFiles(bad).ok());
  PackageFiles twice = Files({{"a.py", ""}, {"a.py", ""}});
  CHECK_FALSE(CheckPackageFiles(twice).ok());
}

TEST_CASE("a deployed version's settings survive their JSON form and are checked",
          "[functions][deploy]") {
  DeployedConfig c;
  c.runtime = "node";
  c.handler = "index.handler";
  c.memory_mb = 128;
  c.env = {{"B", "2"}, {"A", "1"}};
  c.network = false;
  c.env_key = "node-abc";
  Result<DeployedConfig> back = DeployedConfig::FromJson(c.ToJson());
  REQUIRE(back.ok());
  CHECK(back->ToJson() == c.ToJson());
  CHECK(back->env.at("A") == "1");
  CHECK_FALSE(back->network);
  c.min_instances = 9;  // above max_instances (8)
  CHECK_FALSE(c.Check().ok());
  c.min_instances = 0;
  c.env["STEPFLOW_HANDLER"] = "x";
  CHECK_FALSE(c.Check().ok());
  CHECK(DeployedConfig::FromJson("{").status().code() == StatusCode::kDataLoss);
}

TEST_CASE("environments are keyed by what decides their content", "[functions][deploy]") {
  TempDir dir;
  Environments envs(dir.path.string());
  auto key = [&](PackageFiles f) { return *envs.KeyFor("python", f); };
  const std::string base = key(Files({{"handler.py", "a"}, {"requirements.txt", "./libs/x\n"},
                                      {"libs/x/setup.py", "1"}}));
  // The handler is not part of the environment; comments and order are not either.
  CHECK(base == key(Files({{"handler.py", "b"}, {"requirements.txt", "# deps\n./libs/x   \n"},
                           {"libs/x/setup.py", "1"}})));
  // A local package's content is.
  CHECK(base != key(Files({{"handler.py", "a"}, {"requirements.txt", "./libs/x\n"},
                           {"libs/x/setup.py", "2"}})));
  CHECK(key(Files({{"handler.py", ""}})) == key(Files({{"other.py", ""}})));
  CHECK(*envs.KeyFor("node", Files({{"index.js", ""}})) !=
        *envs.KeyFor("node", Files({{"index.js", ""}, {"package.json", R"({"dependencies":{"a":"1"}})"}})));
}

TEST_CASE("a deployed Python function is called with Lambda's context, and a redeploy of the same code changes nothing",
          "[functions][deploy]") {
  Platform p;
  DeployResult first = p.Deploy("echo", Files({{"handler.py", kEchoPy}}));
  CHECK(first.version.version == 1);
  CHECK_FALSE(first.version.unchanged);
  DeployResult again = p.Deploy("echo", Files({{"handler.py", kEchoPy}}));
  CHECK(again.version.unchanged);
  CHECK(again.version.version == 1);

  runtime::TaskOutcome o = p.Call("echo", R"({"a":[1,2]})", "exec-1/7");
  INFO(o.error << ": " << o.cause);
  REQUIRE(o.ok);
  const Json out = Json::parse(o.output_json);
  CHECK(out["event"] == Json::parse(R"({"a":[1,2]})"));
  CHECK(out["name"] == "echo");
  CHECK(out["version"] == "1");
  CHECK(out["key"] == "exec-1/7");
  CHECK(out["execution"] == "exec-1");
  CHECK(out["state"] == "Call");
  CHECK(out["left"] == true);
  CHECK(o.executed_version == "$LATEST");

  // What it printed is kept with the call, before the call is answered.
  store::FunctionLogQuery q;
  q.execution_id = "exec-1";
  auto logs = p.store->ListFunctionLogs(q);
  REQUIRE(logs.ok());
  REQUIRE(logs->size() == 1);
  CHECK((*logs)[0].idempotency_key == "exec-1/7");
  CHECK((*logs)[0].text == "called exec-1/7\n");
  CHECK((*logs)[0].version == 1);
}

TEST_CASE("a call pinned to a version runs that version after a redeploy", "[functions][deploy]") {
  Platform p;
  p.Deploy("v", Files({{"handler.py", "def handler(e, c):\n    return 'one'\n"}}));
  p.Deploy("v", Files({{"handler.py", "def handler(e, c):\n    return 'two'\n"}}));
  CHECK(p.routing.PinnedVersion("v") == "2");
  CHECK(p.Call("v", "{}").output_json == "\"two\"");
  runtime::TaskOutcome pinned = p.Call("v", "{}", "", 30s, "1");
  CHECK(pinned.output_json == "\"one\"");
  CHECK(pinned.executed_version == "$LATEST");  // the Task named no version
  CHECK(p.Call("v:1", "{}").executed_version == "1");
}

TEST_CASE("handler errors are named after their class, runtime failures after Lambda's names",
          "[functions][deploy]") {
  Platform p;
  p.Deploy("errs", Files({{"handler.py", R"(import os, time
class QuotaExceeded(Exception):
    pass
def handler(event, context):
    kind = event["kind"]
    if kind == "value": raise ValueError("bad value")
    if kind == "quota": raise QuotaExceeded("over quota")
    if kind == "exit": os._exit(3)
    if kind == "big": return "x" * 300000
    if kind == "sleep": time.sleep(event["seconds"]); return "slept"
    if kind == "memory":
        block = bytearray(400 * 1024 * 1024)
        for i in range(0, len(block), 4096): block[i] = 1
        time.sleep(2)
        return len(block)
    return "ok"
)"}}),
           [] {
             DeployRequest r;
             r.timeout_s = 2;
             r.memory_mb = 96;
             return r;
           }());
  runtime::TaskOutcome value = p.Call("errs", R"({"kind":"value"})");
  CHECK(value.error == "ValueError");
  CHECK(value.cause == "bad value");
  CHECK(p.Call("errs", R"({"kind":"quota"})").error == "QuotaExceeded");
  runtime::TaskOutcome exit = p.Call("errs", R"({"kind":"exit"})");
  CHECK(exit.error == "Runtime.ExitError");
  CHECK_THAT(exit.cause, Catch::Contains("exit code 3"));
  CHECK(p.Call("errs", R"({"kind":"big"})").error == "States.DataLimitExceeded");
  runtime::TaskOutcome timeout = p.Call("errs", R"({"kind":"sleep","seconds":10})");
  CHECK(timeout.error == "States.Timeout");
  // The Task's own deadline, when shorter, ends the call too.
  CHECK(p.Call("errs", R"({"kind":"sleep","seconds":10})", "", 300ms).error == "States.Timeout");
  runtime::TaskOutcome memory = p.Call("errs", R"({"kind":"memory"})");
  CHECK(memory.error == "Runtime.OutOfMemory");
  // Each failure left a working function behind.
  CHECK(p.Call("errs", R"({"kind":"ok"})").output_json == "\"ok\"");
}

TEST_CASE("an instance killed mid-call is Runtime.ExitError and is replaced", "[functions][deploy]") {
  Platform p;
  TempDir shared;
  DeployRequest open;
  open.sandbox = false;  // the test reads the pid it writes
  p.Deploy("victim", Files({{"handler.py", R"(import os, time
def handler(event, context):
    with open(event["pidfile"], "w") as f: f.write(str(os.getpid()))
    if event.get("sleep"): time.sleep(30)
    return os.getpid()
)"}}),
           open);
  const std::string pidfile = (shared.path / "pid").string();
  runtime::TaskRequest req;
  req.function = "victim";
  req.input_json = Json{{"pidfile", pidfile}, {"sleep", true}}.dump();
  req.idempotency_key = "exec-1/1";
  req.execution_id = "exec-1";
  std::promise<runtime::TaskOutcome> done;
  p.routing.Invoke(req, [&](runtime::TaskOutcome o) { done.set_value(std::move(o)); });
  pid_t pid = 0;
  for (int i = 0; i < 500 && pid == 0; ++i) {
    std::this_thread::sleep_for(20ms);
    std::ifstream in(pidfile);
    in >> pid;
  }
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  auto f = done.get_future();
  REQUIRE(f.wait_for(30s) == std::future_status::ready);
  runtime::TaskOutcome o = f.get();
  CHECK(o.error == "Runtime.ExitError");
  CHECK_THAT(o.cause, Catch::Contains("SIGKILL"));
  runtime::TaskOutcome next = p.Call("victim", Json{{"pidfile", pidfile}}.dump());
  REQUIRE(next.ok);
  CHECK(std::stoi(next.output_json) != pid);
}

TEST_CASE("a pool grows to max_instances under load, queues the rest, and shrinks after keep-warm",
          "[functions][deploy]") {
  Platform p;
  DeployRequest limits;
  limits.max_instances = 3;
  limits.keep_warm_s = 1;
  p.Deploy("slow", Files({{"handler.py", "import time\ndef handler(e, c):\n    time.sleep(0.3)\n    return e\n"}}),
           limits);
  std::vector<std::future<runtime::TaskOutcome>> results;
  std::vector<std::shared_ptr<std::promise<runtime::TaskOutcome>>> promises;
  for (int i = 0; i < 9; ++i) {
    auto pr = std::make_shared<std::promise<runtime::TaskOutcome>>();
    results.push_back(pr->get_future());
    promises.push_back(pr);
    runtime::TaskRequest req;
    req.function = "slow";
    req.input_json = std::to_string(i);
    req.idempotency_key = "exec-1/" + std::to_string(i);
    req.timeout = 30s;
    p.routing.Invoke(req, [pr](runtime::TaskOutcome o) { pr->set_value(std::move(o)); });
  }
  for (int i = 0; i < 9; ++i) {
    REQUIRE(results[i].wait_for(60s) == std::future_status::ready);
    runtime::TaskOutcome o = results[i].get();
    CHECK(o.ok);
    CHECK(o.output_json == std::to_string(i));
  }
  PoolStats busy = p.local.Stats("slow", 1);
  CHECK(busy.started_total == 3);
  CHECK(busy.idle == 3);
  PoolStats after;
  for (int i = 0; i < 150; ++i) {
    after = p.local.Stats("slow", 1);
    if (after.idle + after.busy + after.starting == 0) break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(after.idle + after.busy + after.starting == 0);
}

TEST_CASE("a cancelled call ends at once, queued or running", "[functions][deploy]") {
  Platform p;
  DeployRequest one;
  one.max_instances = 1;
  p.Deploy("hang", Files({{"handler.py", "import time\ndef handler(e, c):\n    time.sleep(30)\n"}}), one);
  std::promise<runtime::TaskOutcome> running, queued;
  runtime::TaskRequest a;
  a.function = "hang";
  a.input_json = "{}";
  a.idempotency_key = "exec-1/1";
  runtime::TaskRequest b = a;
  b.idempotency_key = "exec-1/2";
  p.routing.Invoke(a, [&](runtime::TaskOutcome o) { running.set_value(std::move(o)); });
  p.routing.Invoke(b, [&](runtime::TaskOutcome o) { queued.set_value(std::move(o)); });
  for (int i = 0; i < 250 && p.local.Stats("hang", 1).busy == 0; ++i) std::this_thread::sleep_for(20ms);
  REQUIRE(p.local.Stats("hang", 1).queued == 1);
  p.routing.Cancel("exec-1/2");
  p.routing.Cancel("exec-1/1");
  auto fq = queued.get_future();
  auto fr = running.get_future();
  REQUIRE(fq.wait_for(10s) == std::future_status::ready);
  REQUIRE(fr.wait_for(10s) == std::future_status::ready);
  CHECK_FALSE(fq.get().ok);
  CHECK_FALSE(fr.get().ok);
}

TEST_CASE("a deploy whose environment or handler fails changes nothing that serves",
          "[functions][deploy]") {
  Platform p;
  p.Deploy("f", Files({{"handler.py", "def handler(e, c):\n    return 1\n"}}));
  Result<DeployResult> broken_env = p.deployer.Deploy(
      {"f", Files({{"handler.py", "def handler(e, c):\n    return 2\n"},
                   {"requirements.txt", "./libs/missing\n"}})});
  REQUIRE_FALSE(broken_env.ok());
  CHECK(broken_env.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(broken_env.status().message(), Catch::Contains("pip install"));
  Result<DeployResult> broken_import =
      p.deployer.Deploy({"f", Files({{"handler.py", "import no_such_module\n"}})});
  REQUIRE_FALSE(broken_import.ok());
  CHECK_THAT(broken_import.status().message(), Catch::Contains("Runtime.ImportModuleError"));
  auto failures = p.store->ListDeployFailures();
  REQUIRE(failures->size() == 1);
  CHECK_THAT((*failures)[0].message, Catch::Contains("no_such_module"));
  CHECK(p.Call("f", "{}").output_json == "1");
  p.Deploy("f", Files({{"handler.py", "def handler(e, c):\n    return 3\n"}}));
  CHECK(p.store->ListDeployFailures()->empty());
}

TEST_CASE("a deployed Node function runs CommonJS and ES module handlers with Lambda's error names",
          "[functions][deploy]") {
  Platform p;
  p.Deploy("cjs", Files({{"index.js", R"(class Quota extends Error {}
exports.handler = async (event, context) => {
  if (event.fail) throw new Quota("too many");
  return { sum: event.a + event.b, name: context.functionName };
};
)"}}));
  p.Deploy("esm", Files({{"index.mjs", "export const handler = async (e) => e.x * 2;\n"}}));
  runtime::TaskOutcome sum = p.Call("cjs", R"({"a":2,"b":3})");
  REQUIRE(sum.ok);
  CHECK(Json::parse(sum.output_json) == Json::parse(R"({"sum":5,"name":"cjs"})"));
  runtime::TaskOutcome quota = p.Call("cjs", R"({"fail":true})");
  CHECK(quota.error == "Quota");
  CHECK(quota.cause == "too many");
  CHECK(p.Call("esm", R"({"x":21})").output_json == "42");
}
