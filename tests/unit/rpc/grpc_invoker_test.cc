// The invoker conformance suite: every runtime::Invoker the engine uses —
// the GrpcInvoker on its own (grpc:// resources) and the RoutingInvoker in
// front of it (names resolved in a function catalog) — against the real
// stepflow_test_worker: every outcome becomes its ASL error, every call is
// answered exactly once, Cancel reaches the function. Then what is
// particular to each. No timing assertions: every wait is bounded, and only
// outcomes are checked.
#include "engine/rpc/grpc_invoker.h"

#include "engine/functions/catalog.h"
#include "engine/functions/routing_invoker.h"
#include "engine/store/memory_store.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/process.h"
#include "tests/support/test_worker.h"

namespace stepflow::rpc {
namespace {

using Catch::Matchers::Contains;
using Json = nlohmann::json;
using runtime::TaskOutcome;
using runtime::TaskRequest;
using namespace std::chrono_literals;

TaskRequest Request(std::string function, std::string input = "{}",
                    std::chrono::milliseconds timeout = 30s) {
  TaskRequest r;
  r.function = std::move(function);
  r.input_json = std::move(input);
  r.execution_id = "exec-1";
  r.idempotency_key = "exec-1/7";
  r.state_name = "Step";
  r.state_path = "Step";
  r.timeout = timeout;
  return r;
}

// Runs one call and waits (bounded) for its outcome.
TaskOutcome Call(runtime::Invoker& invoker, TaskRequest request) {
  auto promise = std::make_shared<std::promise<TaskOutcome>>();
  auto future = promise->get_future();
  auto calls = std::make_shared<std::atomic<int>>(0);
  invoker.Invoke(std::move(request), [promise, calls](TaskOutcome outcome) {
    if (calls->fetch_add(1) == 0) promise->set_value(std::move(outcome));
  });
  REQUIRE(future.wait_for(60s) == std::future_status::ready);
  TaskOutcome outcome = future.get();
  CHECK(calls->load() == 1);
  return outcome;
}

// Counts outcomes of many calls; waits for a number of them, bounded.
struct Tally {
  std::mutex mutex;
  std::condition_variable cv;
  int total = 0;
  int ok = 0;
  std::map<std::string, int> errors;

  std::function<void(TaskOutcome)> Callback() {
    return [this](TaskOutcome outcome) {
      std::lock_guard lock(mutex);
      ++total;
      if (outcome.ok) {
        ++ok;
      } else {
        ++errors[outcome.error];
      }
      cv.notify_all();
    };
  }
  bool WaitFor(int n, std::chrono::seconds timeout) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, timeout, [&] { return total >= n; });
  }
};

// Polls `condition` until it holds or `timeout` passes.
template <typename Condition>
bool Eventually(Condition condition, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// A catalog in a memory store.
struct Catalog {
  std::unique_ptr<store::Store> store = store::NewMemoryStore();
  functions::Catalog catalog{store.get()};
  void Register(const std::string& name, const std::string& endpoint) {
    REQUIRE(catalog.Register(name, endpoint, "api", 0).ok());
  }
};

// One invoker under test, and how it names a function of `worker`.
struct Subject {
  std::string label;
  Catalog catalog;
  std::unique_ptr<GrpcInvoker> grpc = std::make_unique<GrpcInvoker>();
  std::unique_ptr<functions::RoutingInvoker> routing;
  runtime::Invoker* invoker = nullptr;
  std::function<std::string(const std::string&)> name;
};

std::unique_ptr<Subject> MakeSubject(bool routing, const testing::TestWorker& worker) {
  auto s = std::make_unique<Subject>();
  if (routing) {
    s->label = "RoutingInvoker";
    for (const char* fn : {"echo", "fail", "bad_json", "sleep", "crash", "count", "add"}) {
      s->catalog.Register(fn, worker.endpoint());
    }
    s->routing = std::make_unique<functions::RoutingInvoker>(&s->catalog.catalog, s->grpc.get());
    s->invoker = s->routing.get();
    s->name = [](const std::string& fn) { return fn; };
  } else {
    s->label = "GrpcInvoker";
    s->invoker = s->grpc.get();
    s->name = [&worker](const std::string& fn) { return worker.Resource(fn); };
  }
  return s;
}

// ------------------------------------------------ conformance: every invoker

TEST_CASE("invoker conformance: echo delivers every request field", "[rpc][invoker]") {
  testing::TestWorker worker;
  auto s = MakeSubject(GENERATE(false, true), worker);
  INFO(s->label);
  TaskRequest r = Request(s->name("echo"), R"({"x": [1, 2, {"y": "z"}]})");
  r.execution_id = "exec-42";
  r.idempotency_key = "exec-42/17";
  r.state_name = "Charge";
  r.state_path = "Fanout[2]/Charge";
  r.attempt = 3;
  r.task_token = "token-abc";
  TaskOutcome outcome = Call(*s->invoker, r);
  REQUIRE(outcome.ok);
  CHECK(Json::parse(outcome.output_json) == Json::parse(R"({"x": [1, 2, {"y": "z"}]})"));
  const auto log = worker.LogLines();
  REQUIRE(log.size() == 1);
  const Json& line = log[0];
  CHECK(line["function"] == "echo");
  CHECK(line["idempotency_key"] == "exec-42/17");
  CHECK(line["execution_id"] == "exec-42");
  CHECK(line["state_name"] == "Charge");
  CHECK(line["state_path"] == "Fanout[2]/Charge");
  CHECK(line["attempt"] == 3);
  CHECK(line["task_token"] == "token-abc");
  CHECK(line["input"] == Json::parse(R"({"x": [1, 2, {"y": "z"}]})"));
  // The routing invoker says which version it called, to the function and
  // in the outcome; a grpc:// resource has no version.
  CHECK(line["function_version"] == (s->routing ? "1" : ""));
  CHECK(outcome.executed_version == (s->routing ? "$LATEST" : ""));  // unqualified, as Lambda
  CHECK(Eventually([&] { return s->grpc->InFlight() == 0; }));
}

TEST_CASE("invoker conformance: a function error keeps its name and cause", "[rpc][invoker]") {
  testing::TestWorker worker;
  auto s = MakeSubject(GENERATE(false, true), worker);
  INFO(s->label);
  TaskOutcome defaults = Call(*s->invoker, Request(s->name("fail")));
  CHECK_FALSE(defaults.ok);
  CHECK(defaults.error == "Worker.Failed");
  CHECK(defaults.cause == "failed on purpose");
  TaskOutcome chosen =
      Call(*s->invoker, Request(s->name("fail"), R"({"error": "Card.Declined", "cause": "no funds"})"));
  CHECK(chosen.error == "Card.Declined");
  CHECK(chosen.cause == "no funds");
  TaskOutcome unnamed = Call(*s->invoker, Request(s->name("fail"), R"({"error": "", "cause": "c"})"));
  CHECK(unnamed.error == "States.TaskFailed");
  CHECK(unnamed.cause == "c");
}

TEST_CASE("invoker conformance: invalid JSON output is States.TaskFailed", "[rpc][invoker]") {
  testing::TestWorker worker;
  auto s = MakeSubject(GENERATE(false, true), worker);
  INFO(s->label);
  TaskOutcome outcome = Call(*s->invoker, Request(s->name("bad_json")));
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error == "States.TaskFailed");
  CHECK_THAT(outcome.cause, Contains("invalid JSON") && Contains("bad_json"));
}

TEST_CASE("invoker conformance: a call past its deadline is States.Timeout", "[rpc][invoker]") {
  testing::TestWorker worker;
  auto s = MakeSubject(GENERATE(false, true), worker);
  INFO(s->label);
  TaskOutcome outcome = Call(*s->invoker, Request(s->name("sleep"), R"({"ms": 10000})", 300ms));
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error == "States.Timeout");
  CHECK_THAT(outcome.cause, Contains("'sleep'") && Contains("within 300 ms"));
  // The worker still answers other calls while that sleep is pending.
  CHECK(Call(*s->invoker, Request(s->name("echo"), "1")).ok);
}

TEST_CASE("invoker conformance: a killed worker gives States.TaskFailed with UNAVAILABLE",
          "[rpc][invoker]") {
  auto worker = std::make_unique<testing::TestWorker>();
  auto s = MakeSubject(GENERATE(false, true), *worker);
  INFO(s->label);
  REQUIRE(Call(*s->invoker, Request(s->name("echo"))).ok);  // the channel is connected
  const std::string echo = s->name("echo");
  worker->process().Kill(SIGKILL);
  REQUIRE(worker->process().Wait(10s).has_value());
  TaskOutcome outcome = Call(*s->invoker, Request(echo));
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error == "States.TaskFailed");
  CHECK_THAT(outcome.cause, Contains("UNAVAILABLE") && Contains("'echo'"));
}

TEST_CASE("invoker conformance: a worker that crashes mid-call gives States.TaskFailed",
          "[rpc][invoker]") {
  testing::TestWorker worker;
  auto s = MakeSubject(GENERATE(false, true), worker);
  INFO(s->label);
  TaskOutcome outcome = Call(*s->invoker, Request(s->name("crash")));
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error == "States.TaskFailed");
  auto status = worker.process().Wait(10s);
  REQUIRE(status.has_value());
  CHECK(status->code == 3);
  REQUIRE(worker.LogLines().size() == 1);  // the call was logged before the crash
}

TEST_CASE("invoker conformance: Cancel reaches the function and the call is answered once",
          "[rpc][invoker]") {
  testing::TestWorker worker;
  auto s = MakeSubject(GENERATE(false, true), worker);
  INFO(s->label);
  Tally tally;
  TaskRequest r = Request(s->name("sleep"), R"({"ms": 60000})", 120s);
  r.idempotency_key = "exec-1/9";
  s->invoker->Invoke(std::move(r), tally.Callback());
  REQUIRE(Eventually([&] { return worker.LogLines().size() == 1; }));
  s->invoker->Cancel("exec-1/unknown");  // ignored
  s->invoker->Cancel("exec-1/9");
  REQUIRE(tally.WaitFor(1, 30s));
  CHECK(Eventually([&] { return worker.CancelledKeys() == std::vector<std::string>{"exec-1/9"}; }));
  std::this_thread::sleep_for(50ms);
  std::lock_guard lock(tally.mutex);
  CHECK(tally.total == 1);  // exactly one answer
  CHECK(tally.ok == 0);
  CHECK(tally.errors["States.TaskFailed"] == 1);
}

TEST_CASE("invoker conformance: 2,000 concurrent sleeping calls are answered once each",
          "[rpc][invoker]") {
  testing::TestWorker worker;
  auto s = MakeSubject(GENERATE(false, true), worker);
  INFO(s->label);
  constexpr int kCalls = 2000;
  Tally tally;
  for (int i = 0; i < kCalls; ++i) {
    TaskRequest r = Request(s->name("sleep"), R"({"ms": 200, "i": )" + std::to_string(i) + "}", 60s);
    r.idempotency_key = "exec-1/" + std::to_string(i);
    s->invoker->Invoke(std::move(r), tally.Callback());
  }
  REQUIRE(tally.WaitFor(kCalls, 60s));
  std::this_thread::sleep_for(50ms);
  std::lock_guard lock(tally.mutex);
  CHECK(tally.total == kCalls);
  CHECK(tally.ok == kCalls);
  CHECK(tally.errors.empty());
  // `done` returns just after it counted: InFlight drops to 0 soon after.
  CHECK(Eventually([&] { return s->grpc->InFlight() == 0; }));
}

// ------------------------------------------------------------ GrpcInvoker

TEST_CASE("GrpcInvoker: grpc://HOST:PORT/NAME calls the endpoint directly", "[rpc][invoker]") {
  testing::TestWorker worker;
  GrpcInvoker invoker;
  TaskOutcome outcome = Call(invoker, Request(worker.Resource("echo"), R"("hi")"));
  REQUIRE(outcome.ok);
  CHECK(outcome.output_json == R"("hi")");
  CHECK(Call(invoker, Request(worker.Resource("add"), R"({"a": 2, "b": 40})")).output_json == "42");
  CHECK(invoker.ChannelCount() == 1);  // one channel per endpoint, reused
  TaskRequest with_endpoint = Request("echo", "7");
  with_endpoint.endpoint = worker.endpoint();
  CHECK(Call(invoker, with_endpoint).output_json == "7");
  CHECK(invoker.ChannelCount() == 1);
}

TEST_CASE("GrpcInvoker: names without an endpoint and malformed resources fail at once",
          "[rpc][invoker]") {
  testing::TestWorker worker;
  GrpcInvoker invoker;
  TaskOutcome outcome = Call(invoker, Request("nobody"));
  CHECK(outcome.error == "States.TaskFailed");
  CHECK_THAT(outcome.cause, Contains("'nobody'") && Contains("catalog"));
  for (const char* resource : {"grpc://127.0.0.1:1", "grpc://127.0.0.1:1/", "grpc:///echo",
                               "grpc://127.0.0.1:notaport/echo"}) {
    INFO(resource);
    TaskOutcome bad = Call(invoker, Request(resource));
    CHECK(bad.error == "States.TaskFailed");
    CHECK_THAT(bad.cause, Contains(resource));
  }
  CHECK(worker.LogLines().empty());
}

// --------------------------------------------------------- RoutingInvoker

TEST_CASE("RoutingInvoker: versions and aliases call the version they name", "[rpc][invoker]") {
  testing::TestWorker v1, v2;
  Catalog c;
  c.Register("echo", v1.endpoint());
  c.Register("echo", v2.endpoint());
  REQUIRE(c.catalog.SetAlias("echo", "prod", 1).ok());
  GrpcInvoker grpc;
  functions::RoutingInvoker invoker(&c.catalog, &grpc);
  struct Case {
    const char* ref;
    testing::TestWorker* worker;
    const char* version;
  };
  for (Case k : {Case{"echo", &v2, "$LATEST"}, Case{"echo:$LATEST", &v2, "$LATEST"}, Case{"echo:1", &v1, "1"},
                 Case{"echo:2", &v2, "2"}, Case{"echo:prod", &v1, "1"}}) {
    INFO(k.ref);
    const size_t before = k.worker->LogLines().size();
    TaskRequest r = Request(k.ref, R"("q")");
    r.function = k.ref;
    TaskOutcome outcome = Call(invoker, r);
    REQUIRE(outcome.ok);
    CHECK(outcome.executed_version == k.version);
    auto log = k.worker->LogLines();
    REQUIRE(log.size() == before + 1);
    CHECK(log.back()["function"] == "echo");  // the name, without the qualifier
    CHECK(log.back()["function_version"] == (k.worker == &v1 ? "1" : "2"));
  }
  // Moving the alias moves the calls.
  REQUIRE(c.catalog.SetAlias("echo", "prod", 2).ok());
  CHECK(Call(invoker, Request("echo:prod")).executed_version == "2");
}

TEST_CASE("RoutingInvoker: what the catalog cannot resolve is answered at once, unresolved",
          "[rpc][invoker]") {
  testing::TestWorker worker;
  Catalog c;
  c.Register("echo", worker.endpoint());
  GrpcInvoker grpc;
  functions::RoutingInvoker invoker(&c.catalog, &grpc);
  for (const char* ref : {"nobody", "echo:7", "arn:aws:states:::sns:publish"}) {
    INFO(ref);
    TaskOutcome outcome = Call(invoker, Request(ref));
    CHECK_FALSE(outcome.ok);
    CHECK(outcome.error == "States.TaskFailed");
    CHECK(outcome.unresolved);
  }
  CHECK_THAT(Call(invoker, Request("nobody")).cause, Contains("'nobody' is not registered"));
  CHECK_THAT(Call(invoker, Request("echo:7")).cause, Contains("no version 7"));
  CHECK_THAT(Call(invoker, Request("arn:aws:states:::sns:publish")).cause,
             Contains("functions map sns:publish"));
  CHECK(worker.LogLines().empty());
  // Registered later: the next call finds it.
  REQUIRE(c.catalog.MapIntegration("sns:publish", "echo").ok());
  TaskOutcome mapped = Call(invoker, Request("arn:aws:states:::sns:publish", R"({"Message":"m"})"));
  REQUIRE(mapped.ok);
  CHECK(Json::parse(mapped.output_json) == Json{{"Message", "m"}});
}

TEST_CASE("RoutingInvoker: a catalog change in another process is seen", "[rpc][invoker]") {
  testing::TestWorker worker;
  Catalog c;
  functions::Catalog other(c.store.get());  // another process's view of the same store
  GrpcInvoker grpc;
  functions::RoutingInvoker invoker(&c.catalog, &grpc);
  CHECK(Call(invoker, Request("echo")).unresolved);
  REQUIRE(other.Register("echo", worker.endpoint(), "api", 0).ok());
  CHECK(Call(invoker, Request("echo")).ok);  // a miss reloads the catalog
}

TEST_CASE("GrpcInvoker: destruction with calls in flight cancels them and returns",
          "[rpc][invoker]") {
  testing::TestWorker worker;
  auto tally = std::make_shared<Tally>();
  auto invoker = std::make_unique<GrpcInvoker>();
  constexpr int kCalls = 100;
  for (int i = 0; i < kCalls; ++i) {
    invoker->Invoke(Request(worker.Resource("sleep"), R"({"ms": 20000})", 60s), tally->Callback());
  }
  // Let some calls reach the worker, so both started and unstarted calls
  // are cancelled (not required for correctness).
  for (int i = 0; i < 500 && worker.LogLines().size() < kCalls / 2; ++i) {
    std::this_thread::sleep_for(10ms);
  }

  // Destroy on another thread so a hang fails the test instead of blocking it.
  auto destroyed = std::make_shared<std::promise<void>>();
  auto future = destroyed->get_future();
  std::thread destroyer([&invoker, destroyed] {
    invoker.reset();
    destroyed->set_value();
  });
  if (future.wait_for(30s) != std::future_status::ready) {
    destroyer.detach();
    FAIL("~GrpcInvoker did not return within 30 s");
  }
  destroyer.join();
  // Every `done` ran exactly once, before the destructor returned.
  std::lock_guard lock(tally->mutex);
  CHECK(tally->total == kCalls);
  CHECK(tally->ok == 0);
  CHECK(tally->errors["States.TaskFailed"] == kCalls);
}


// --- The test worker's scripted functions (shared by engine tests) -------

TEST_CASE("test worker: count, fail_times, fail_until_flag, big, unknown", "[rpc][worker]") {
  testing::TestWorker worker;
  GrpcInvoker invoker;
  auto call = [&](const std::string& fn, const std::string& input) {
    return Call(invoker, Request(worker.Resource(fn), input));
  };

  CHECK(call("count", "{}").output_json == R"({"calls":1})");
  CHECK(call("echo", "{}").ok);
  CHECK(call("count", "{}").output_json == R"({"calls":3})");

  TaskOutcome flaky = call("fail_times", R"({"times": 2})");
  CHECK(flaky.error == "Worker.Flaky");
  CHECK(flaky.cause == "attempt 1");
  CHECK(call("fail_times", R"({"times": 2})").cause == "attempt 2");
  TaskOutcome recovered = call("fail_times", R"({"times": 2, "result": {"done": true}})");
  REQUIRE(recovered.ok);
  CHECK(recovered.output_json == R"({"done":true})");
  CHECK(call("fail_times", R"({"times": 1, "key": "k", "error": "E"})").error == "E");
  CHECK(call("fail_times", R"({"times": 1, "key": "k"})").ok);

  const std::string flag = worker.dir().File("flag");
  const std::string flag_input = Json{{"flag", flag}}.dump();
  CHECK(call("fail_until_flag", flag_input).error == "Worker.NotReady");
  std::ofstream(flag) << "x";
  CHECK(call("fail_until_flag", flag_input).ok);

  TaskOutcome big = call("big", R"({"bytes": 300000})");
  REQUIRE(big.ok);
  CHECK(big.output_json.size() == 300002);
  CHECK(Json::parse(big.output_json).get<std::string>().size() == 300000);

  TaskOutcome unknown = call("frobnicate", "{}");
  CHECK(unknown.error == "Worker.UnknownFunction");
  CHECK(unknown.cause == "no function named frobnicate");
  CHECK(call("add", R"({"a": "x"})").error == "Worker.BadInput");
  CHECK(call("add", R"({"a": 1.5, "b": 1})").output_json == "2.5");
}

TEST_CASE("test worker: fail_times counters persist in --state-dir", "[rpc][worker]") {
  testing::TempDir state;
  GrpcInvoker invoker;
  const std::string input = R"({"times": 1, "key": "persisted"})";
  {
    testing::TestWorker worker(STEPFLOW_TEST_WORKER, {"--state-dir", state.File("s")});
    CHECK(Call(invoker, Request(worker.Resource("fail_times"), input)).error == "Worker.Flaky");
  }
  testing::TestWorker restarted(STEPFLOW_TEST_WORKER, {"--state-dir", state.File("s")});
  CHECK(Call(invoker, Request(restarted.Resource("fail_times"), input)).ok);
}

TEST_CASE("test worker: exits 0 on SIGTERM with a call pending", "[rpc][worker]") {
  testing::TestWorker worker;
  GrpcInvoker invoker;
  Tally tally;
  invoker.Invoke(Request(worker.Resource("sleep"), R"({"ms": 60000})", 60s), tally.Callback());
  for (int i = 0; i < 500 && worker.LogLines().empty(); ++i) std::this_thread::sleep_for(10ms);
  REQUIRE(worker.process().Kill(SIGTERM));
  auto status = worker.process().Wait(20s);
  REQUIRE(status.has_value());
  CHECK(*status == testing::ExitStatus{0, 0});
  CHECK(tally.WaitFor(1, 30s));  // the pending call got an outcome, not a hang
}

}  // namespace
}  // namespace stepflow::rpc
