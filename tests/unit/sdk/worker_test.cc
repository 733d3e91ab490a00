// stepflow::worker driven in-process by the engine's real client
// (rpc::GrpcInvoker). No timing assertions: every wait is bounded.
#include "stepflow/worker.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "engine/rpc/grpc_invoker.h"

// A user's exception class, outside any anonymous namespace so its name is
// what a workflow's ErrorEquals would say.
namespace myapp {
class QuotaExceeded : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
}  // namespace myapp

namespace stepflow::worker {
namespace {

using Json = nlohmann::json;
using runtime::TaskOutcome;
using runtime::TaskRequest;
using namespace std::chrono_literals;

TaskRequest Request(int port, const std::string& name, std::string input = "{}") {
  TaskRequest r;
  r.function = "grpc://127.0.0.1:" + std::to_string(port) + "/" + name;
  r.input_json = std::move(input);
  r.execution_id = "exec-1";
  r.idempotency_key = "exec-1/7";
  r.state_name = "Step";
  r.state_path = "Fanout[2]/Step";
  r.attempt = 3;
  r.task_token = "token-9";
  r.function_version = "4";
  r.timeout = 30s;
  return r;
}

TaskOutcome Invoke(rpc::GrpcInvoker& invoker, TaskRequest request) {
  auto promise = std::make_shared<std::promise<TaskOutcome>>();
  auto future = promise->get_future();
  invoker.Invoke(std::move(request),
                 [promise](TaskOutcome outcome) { promise->set_value(std::move(outcome)); });
  REQUIRE(future.wait_for(60s) == std::future_status::ready);
  return future.get();
}

struct Fixture {
  Worker worker;
  int port = 0;
  rpc::GrpcInvoker invoker;

  Fixture() {
    worker.Register("echo", [](const Json& input, const Call&) { return input; });
    worker.Register("call", [](const Json&, const Call& c) {
      return Json{{"function", c.function},
                  {"idempotency_key", c.idempotency_key},
                  {"execution_id", c.execution_id},
                  {"state_name", c.state_name},
                  {"state_path", c.state_path},
                  {"task_token", c.task_token},
                  {"attempt", c.attempt},
                  {"function_version", c.function_version}};
    });
    worker.Register("task_error", [](const Json&, const Call&) -> Json {
      throw TaskError("Payment.Declined", "card expired");
    });
    worker.Register("std_error", [](const Json&, const Call&) -> Json {
      throw std::out_of_range("index 7 out of range");
    });
    worker.Register("invalid_argument", [](const Json&, const Call&) -> Json {
      throw std::invalid_argument("amount must be positive");
    });
    worker.Register("user_error", [](const Json&, const Call&) -> Json {
      throw myapp::QuotaExceeded("42 of 40 calls used");
    });
    worker.Register("json_at", [](const Json& input, const Call&) -> Json {
      return input.at("missing");
    });
    worker.Register("throw_int", [](const Json&, const Call&) -> Json { throw 42; });
    worker.Register("bad_utf8", [](const Json&, const Call&) { return Json("\xff\xfe"); });
    port = worker.Start();
    REQUIRE(port > 0);
  }
};

TEST_CASE("worker: success round trip with the call's fields", "[sdk]") {
  Fixture f;
  TaskOutcome echo = Invoke(f.invoker, Request(f.port, "echo", R"({"a":[1,2,{"b":null}]})"));
  REQUIRE(echo.ok);
  CHECK(Json::parse(echo.output_json) == Json::parse(R"({"a":[1,2,{"b":null}]})"));

  TaskOutcome call = Invoke(f.invoker, Request(f.port, "call"));
  REQUIRE(call.ok);
  const Json c = Json::parse(call.output_json);
  CHECK(c["function"] == "call");
  CHECK(c["idempotency_key"] == "exec-1/7");
  CHECK(c["execution_id"] == "exec-1");
  CHECK(c["state_name"] == "Step");
  CHECK(c["state_path"] == "Fanout[2]/Step");
  CHECK(c["task_token"] == "token-9");
  CHECK(c["attempt"] == 3);
  CHECK(c["function_version"] == "4");
}

TEST_CASE("worker: Register replaces a handler", "[sdk]") {
  Fixture f;
  f.worker.Register("echo", [](const Json&, const Call&) { return Json("replaced"); });
  TaskOutcome out = Invoke(f.invoker, Request(f.port, "echo", "1"));
  REQUIRE(out.ok);
  CHECK(out.output_json == "\"replaced\"");
}

TEST_CASE("worker: errors map to TaskError", "[sdk]") {
  Fixture f;
  SECTION("TaskError keeps its error and cause") {
    TaskOutcome out = Invoke(f.invoker, Request(f.port, "task_error"));
    CHECK_FALSE(out.ok);
    CHECK(out.error == "Payment.Declined");
    CHECK(out.cause == "card expired");
  }
  SECTION("a std::exception is named after its class, cause what()") {
    TaskOutcome out = Invoke(f.invoker, Request(f.port, "std_error"));
    CHECK_FALSE(out.ok);
    CHECK(out.error == "std::out_of_range");
    CHECK(out.cause == "index 7 out of range");
    out = Invoke(f.invoker, Request(f.port, "invalid_argument"));
    CHECK(out.error == "std::invalid_argument");
    CHECK(out.cause == "amount must be positive");
  }
  SECTION("a user's exception class is named with its namespace") {
    TaskOutcome out = Invoke(f.invoker, Request(f.port, "user_error"));
    CHECK_FALSE(out.ok);
    CHECK(out.error == "myapp::QuotaExceeded");
    CHECK(out.cause == "42 of 40 calls used");
  }
  SECTION("nlohmann::json's exceptions are named without the ABI namespace") {
    TaskOutcome out = Invoke(f.invoker, Request(f.port, "json_at", R"({"a":1})"));
    CHECK_FALSE(out.ok);
    CHECK(out.error == "nlohmann::detail::out_of_range");
    CHECK_THAT(out.cause, Catch::Matchers::Contains("missing"));
  }
  SECTION("a non-std exception is named after the thrown type") {
    TaskOutcome out = Invoke(f.invoker, Request(f.port, "throw_int"));
    CHECK_FALSE(out.ok);
    CHECK(out.error == "int");
  }
  SECTION("a result that cannot be serialised → Worker.InvalidOutput") {
    TaskOutcome out = Invoke(f.invoker, Request(f.port, "bad_utf8"));
    CHECK_FALSE(out.ok);
    CHECK(out.error == "Worker.InvalidOutput");
    CHECK_THAT(out.cause, Catch::Matchers::Contains("bad_utf8"));
  }
  SECTION("unknown function") {
    TaskOutcome out = Invoke(f.invoker, Request(f.port, "nope"));
    CHECK_FALSE(out.ok);
    CHECK(out.error == "Worker.UnknownFunction");
    CHECK_THAT(out.cause, Catch::Matchers::Contains("nope"));
  }
  SECTION("invalid input JSON") {
    TaskOutcome out = Invoke(f.invoker, Request(f.port, "echo", "this is {not json"));
    CHECK_FALSE(out.ok);
    CHECK(out.error == "Worker.InvalidInput");
  }
  // The worker is still serving after every error.
  CHECK(Invoke(f.invoker, Request(f.port, "echo", "true")).ok);
}

TEST_CASE("worker: 200 concurrent slow calls all complete", "[sdk]") {
  Fixture f;
  f.worker.Register("slow", [](const Json& input, const Call&) {
    std::this_thread::sleep_for(50ms);
    return input;
  });
  std::mutex mutex;
  std::condition_variable cv;
  int total = 0, ok = 0;
  constexpr int kCalls = 200;
  for (int i = 0; i < kCalls; ++i) {
    f.invoker.Invoke(Request(f.port, "slow", std::to_string(i)), [&, i](TaskOutcome out) {
      std::lock_guard lock(mutex);
      ++total;
      if (out.ok && out.output_json == std::to_string(i)) ++ok;
      cv.notify_all();
    });
  }
  std::unique_lock lock(mutex);
  REQUIRE(cv.wait_for(lock, 60s, [&] { return total == kCalls; }));
  CHECK(ok == kCalls);
}

TEST_CASE("worker: Shutdown stops serving and unblocks Wait", "[sdk]") {
  Fixture f;
  REQUIRE(Invoke(f.invoker, Request(f.port, "echo", "1")).ok);
  auto waited = std::async(std::launch::async, [&] { f.worker.Wait(); });
  CHECK(waited.wait_for(100ms) == std::future_status::timeout);
  f.worker.Shutdown();
  REQUIRE(waited.wait_for(30s) == std::future_status::ready);
  f.worker.Shutdown();  // idempotent
  TaskRequest after = Request(f.port, "echo", "1");
  after.timeout = 2s;
  CHECK_FALSE(Invoke(f.invoker, after).ok);
  CHECK_THROWS_AS(f.worker.Start(), std::runtime_error);
}

TEST_CASE("worker: Start on a port in use throws", "[sdk]") {
  Fixture f;
  Worker other;
  CHECK_THROWS_AS(other.Start("127.0.0.1:" + std::to_string(f.port)), std::runtime_error);
}

}  // namespace
}  // namespace stepflow::worker
