// GrpcInvoker against the real stepflow_test_worker. No timing assertions:
// every wait is bounded, and only outcomes are checked.
#include "engine/rpc/grpc_invoker.h"

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
TaskOutcome Call(GrpcInvoker& invoker, TaskRequest request) {
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

std::shared_ptr<FunctionRegistry> RegistryFor(const testing::TestWorker& worker) {
  auto registry = std::make_shared<FunctionRegistry>();
  for (const char* name : {"echo", "fail", "bad_json", "sleep", "crash", "count"}) {
    REQUIRE(registry->Set(name, worker.endpoint()).ok());
  }
  return registry;
}

TEST_CASE("GrpcInvoker: echo round trip delivers every request field", "[rpc][invoker]") {
  testing::TestWorker worker;
  GrpcInvoker invoker(RegistryFor(worker));
  TaskRequest r = Request("echo", R"({"x": [1, 2, {"y": "z"}]})");
  r.execution_id = "exec-42";
  r.idempotency_key = "exec-42/17";
  r.state_name = "Charge";
  r.state_path = "Fanout[2]/Charge";
  r.attempt = 3;
  r.task_token = "token-abc";
  TaskOutcome outcome = Call(invoker, r);
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
  CHECK(Eventually([&] { return invoker.InFlight() == 0; }));
}

TEST_CASE("GrpcInvoker: grpc://HOST:PORT/NAME calls the endpoint directly", "[rpc][invoker]") {
  testing::TestWorker worker;
  GrpcInvoker invoker(nullptr);  // no registry needed
  TaskOutcome outcome = Call(invoker, Request(worker.Resource("echo"), R"("hi")"));
  REQUIRE(outcome.ok);
  CHECK(outcome.output_json == R"("hi")");
  CHECK(Call(invoker, Request(worker.Resource("add"), R"({"a": 2, "b": 40})")).output_json == "42");
  CHECK(invoker.ChannelCount() == 1);  // one channel per endpoint, reused
  CHECK(worker.LogLines().at(0)["function"] == "echo");
}

TEST_CASE("GrpcInvoker: a function error keeps its name and cause", "[rpc][invoker]") {
  testing::TestWorker worker;
  GrpcInvoker invoker(RegistryFor(worker));
  SECTION("defaults") {
    TaskOutcome outcome = Call(invoker, Request("fail"));
    CHECK_FALSE(outcome.ok);
    CHECK(outcome.error == "Worker.Failed");
    CHECK(outcome.cause == "failed on purpose");
  }
  SECTION("chosen name and cause") {
    TaskOutcome outcome =
        Call(invoker, Request("fail", R"({"error": "Card.Declined", "cause": "no funds"})"));
    CHECK(outcome.error == "Card.Declined");
    CHECK(outcome.cause == "no funds");
  }
  SECTION("empty error name becomes States.TaskFailed") {
    TaskOutcome outcome = Call(invoker, Request("fail", R"({"error": "", "cause": "c"})"));
    CHECK(outcome.error == "States.TaskFailed");
    CHECK(outcome.cause == "c");
  }
}

TEST_CASE("GrpcInvoker: invalid JSON output is States.TaskFailed", "[rpc][invoker]") {
  testing::TestWorker worker;
  GrpcInvoker invoker(RegistryFor(worker));
  TaskOutcome outcome = Call(invoker, Request("bad_json"));
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error == "States.TaskFailed");
  CHECK_THAT(outcome.cause, Contains("invalid JSON") && Contains("bad_json"));
}

TEST_CASE("GrpcInvoker: a call past its deadline is States.Timeout", "[rpc][invoker]") {
  testing::TestWorker worker;
  GrpcInvoker invoker(RegistryFor(worker));
  TaskOutcome outcome = Call(invoker, Request("sleep", R"({"ms": 10000})", 300ms));
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error == "States.Timeout");
  CHECK_THAT(outcome.cause, Contains("'sleep'") && Contains("within 300 ms"));
  // The worker still answers other calls while that sleep is pending.
  CHECK(Call(invoker, Request("echo", "1")).ok);
}

TEST_CASE("GrpcInvoker: unknown names and malformed resources fail at once", "[rpc][invoker]") {
  testing::TestWorker worker;
  GrpcInvoker invoker(RegistryFor(worker));
  TaskOutcome outcome = Call(invoker, Request("nobody"));
  CHECK(outcome.error == "States.TaskFailed");
  CHECK(outcome.cause == "function 'nobody' is not registered (use --functions FILE)");

  GrpcInvoker without_registry(nullptr);
  CHECK(Call(without_registry, Request("echo")).error == "States.TaskFailed");

  for (const char* resource : {"grpc://127.0.0.1:1", "grpc://127.0.0.1:1/", "grpc:///echo",
                               "grpc://127.0.0.1:notaport/echo"}) {
    INFO(resource);
    TaskOutcome bad = Call(invoker, Request(resource));
    CHECK(bad.error == "States.TaskFailed");
    CHECK_THAT(bad.cause, Contains(resource));
  }
  CHECK(worker.LogLines().empty());
}

TEST_CASE("GrpcInvoker: the registry is read at call time", "[rpc][invoker]") {
  testing::TestWorker worker;
  auto registry = std::make_shared<FunctionRegistry>();
  GrpcInvoker invoker(registry);
  CHECK(Call(invoker, Request("echo")).error == "States.TaskFailed");
  REQUIRE(registry->Set("echo", worker.endpoint()).ok());
  CHECK(Call(invoker, Request("echo")).ok);
}

TEST_CASE("GrpcInvoker: a killed worker gives States.TaskFailed with UNAVAILABLE",
          "[rpc][invoker]") {
  auto worker = std::make_unique<testing::TestWorker>();
  GrpcInvoker invoker(RegistryFor(*worker));
  REQUIRE(Call(invoker, Request("echo")).ok);  // the channel is connected
  worker->process().Kill(SIGKILL);
  REQUIRE(worker->process().Wait(10s).has_value());
  TaskOutcome outcome = Call(invoker, Request("echo"));
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error == "States.TaskFailed");
  CHECK_THAT(outcome.cause, Contains("UNAVAILABLE") && Contains("'echo'"));
}

TEST_CASE("GrpcInvoker: a worker that crashes mid-call gives States.TaskFailed", "[rpc][invoker]") {
  testing::TestWorker worker;
  GrpcInvoker invoker(RegistryFor(worker));
  TaskOutcome outcome = Call(invoker, Request("crash"));
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error == "States.TaskFailed");
  auto status = worker.process().Wait(10s);
  REQUIRE(status.has_value());
  CHECK(status->code == 3);
  REQUIRE(worker.LogLines().size() == 1);  // the call was logged before the crash
}

TEST_CASE("GrpcInvoker: 2,000 concurrent sleeping calls all complete", "[rpc][invoker]") {
  testing::TestWorker worker;
  GrpcInvoker invoker(RegistryFor(worker));
  constexpr int kCalls = 2000;
  Tally tally;
  for (int i = 0; i < kCalls; ++i) {
    TaskRequest r = Request("sleep", R"({"ms": 200, "i": )" + std::to_string(i) + "}", 60s);
    r.idempotency_key = "exec-1/" + std::to_string(i);
    invoker.Invoke(std::move(r), tally.Callback());
  }
  REQUIRE(tally.WaitFor(kCalls, 60s));
  std::lock_guard lock(tally.mutex);
  CHECK(tally.total == kCalls);
  CHECK(tally.ok == kCalls);
  CHECK(tally.errors.empty());
  // `done` returns just after it counted: InFlight drops to 0 soon after.
  CHECK(Eventually([&] { return invoker.InFlight() == 0; }));
}

TEST_CASE("GrpcInvoker: destruction with calls in flight cancels them and returns",
          "[rpc][invoker]") {
  testing::TestWorker worker;
  auto tally = std::make_shared<Tally>();
  auto invoker = std::make_unique<GrpcInvoker>(RegistryFor(worker));
  constexpr int kCalls = 100;
  for (int i = 0; i < kCalls; ++i) {
    invoker->Invoke(Request("sleep", R"({"ms": 20000})", 60s), tally->Callback());
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
  GrpcInvoker invoker(nullptr);
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
  GrpcInvoker invoker(nullptr);
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
  GrpcInvoker invoker(nullptr);
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
