// stepflow::worker's activity pollers against the real control plane
// (rpc::ControlPlane + runtime::Executor, in process, on 127.0.0.1:0), and
// CallRejected. Every wait is bounded; no timing assertions.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "engine/host/engine.h"
#include "engine/rpc/control_plane.h"
#include "engine/rpc/grpc_invoker.h"
#include "engine/runtime/clock.h"
#include "engine/store/memory_store.h"
#include "stepflow/worker.h"

namespace stepflow::worker {
namespace {

using Json = nlohmann::json;

// The server's engine (host::BuildEngine, in memory) behind a real API.
struct Engine {
  std::unique_ptr<host::Engine> engine;
  store::Store* store = nullptr;
  runtime::Executor* executor = nullptr;
  std::unique_ptr<rpc::ControlPlane> plane;
  std::unique_ptr<rpc::ApiServer> server;
  std::thread loop;

  Engine() {
    host::EngineConfig config;
    config.db = ":memory:";
    config.server = true;
    auto built = host::BuildEngine(config);
    REQUIRE(built.ok());
    engine = std::move(built).value();
    store = engine->store.get();
    executor = engine->executor.get();
    plane = std::make_unique<rpc::ControlPlane>(executor, store, engine->catalog.get());
    loop = std::thread([this] { (void)executor->Run(); });
    auto started = rpc::ApiServer::Start("127.0.0.1:0", plane.get());
    REQUIRE(started.ok());
    server = std::move(started).value();
  }
  ~Engine() {
    plane->BeginShutdown();
    server->Shutdown(std::chrono::milliseconds(100));
    executor->Shutdown();
    loop.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(server->port()); }

  std::string Start(const std::string& definition, const std::string& input) {
    REQUIRE(executor->PutStateMachine("m", definition).ok());
    runtime::StartRequest request;
    request.machine = "m";
    request.input = input;
    auto id = executor->StartExecution(request);
    REQUIRE(id.ok());
    return *id;
  }
  store::ExecutionRecord AwaitFinished(const std::string& id) {
    for (int i = 0; i < 2000; ++i) {
      auto r = store->GetExecution(id);
      if (r.ok() && r->status != "RUNNING") return *r;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL("execution " << id << " did not finish within 10 s");
    return {};
  }
};

constexpr const char* kReview = R"j({"StartAt":"Review","States":{"Review":{"Type":"Task",
    "Resource":"arn:aws:states:us-east-1:123456789012:activity:review","HeartbeatSeconds":30,
    "End":true}}})j";

TEST_CASE("sdk: activity pollers answer tasks, heartbeat and report errors", "[sdk][activity]") {
  Engine engine;
  Worker worker;
  std::atomic<int> beats_ok{0};
  worker.RegisterActivity("review", [&](const Json& in, const Call& call) {
    CHECK_FALSE(call.task_token.empty());
    CHECK(call.state_name == "Review");
    if (call.heartbeat()) ++beats_ok;
    if (in.value("reject", false)) throw TaskError("Review.Rejected", "not good enough");
    return Json{{"approved", in.at("doc")}};
  });
  worker.PollActivities(engine.address(), "reviewer-1", 2);

  std::string ok = engine.Start(kReview, R"({"doc":7})");
  auto r = engine.AwaitFinished(ok);
  CHECK(r.status == "SUCCEEDED");
  CHECK(Json::parse(r.output.value_or("null")) == Json{{"approved", 7}});
  auto history = engine.store->GetHistory(ok, {});
  REQUIRE(history.ok());
  bool started_by_worker = false;
  for (const auto& e : *history) {
    if (e.type == "ActivityStarted") {
      started_by_worker = Json::parse(e.details)["workerName"] == "reviewer-1";
    }
  }
  CHECK(started_by_worker);

  std::string rejected = engine.Start(kReview, R"({"doc":8,"reject":true})");
  r = engine.AwaitFinished(rejected);
  CHECK(r.status == "FAILED");
  CHECK(r.error == "Review.Rejected");
  CHECK(r.cause == "not good enough");
  CHECK(beats_ok.load() == 2);
  worker.Shutdown();  // stops the pollers (bounded: 2 s polls)
}

TEST_CASE("sdk: an output the server refuses fails the activity instead of leaving it waiting",
          "[sdk][activity]") {
  Engine engine;
  Worker worker;
  worker.RegisterActivity("review", [](const Json&, const Call&) {
    return Json{{"blob", std::string(300 * 1024, 'x')}};  // over the 256 KiB limit
  });
  worker.PollActivities(engine.address(), "reviewer-1");
  auto r = engine.AwaitFinished(engine.Start(kReview, R"({"doc":1})"));
  CHECK(r.status == "FAILED");
  CHECK(r.error == "Worker.InvalidOutput");
  REQUIRE(r.cause.has_value());
  CHECK(r.cause->find("RESOURCE_EXHAUSTED") == std::string::npos);  // the message, not the code
  CHECK(r.cause->find("limit") != std::string::npos);
  worker.Shutdown();
}

TEST_CASE("sdk: CallRejected fails the call with its gRPC status", "[sdk]") {
  Worker worker;
  worker.Register("flaky", [](const Json&, const Call&) -> Json {
    throw CallRejected(14 /* UNAVAILABLE */, "replica restarting");
  });
  int port = worker.Start("127.0.0.1:0");
  rpc::GrpcInvoker invoker;
  runtime::TaskRequest request;
  request.function = "grpc://127.0.0.1:" + std::to_string(port) + "/flaky";
  request.input_json = "{}";
  request.timeout = std::chrono::seconds(10);
  auto promise = std::make_shared<std::promise<runtime::TaskOutcome>>();
  auto future = promise->get_future();
  invoker.Invoke(request, [promise](runtime::TaskOutcome o) { promise->set_value(std::move(o)); });
  REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  auto outcome = future.get();
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error == "States.TaskFailed");
  CHECK(outcome.cause.find("UNAVAILABLE") != std::string::npos);
  CHECK(outcome.cause.find("replica restarting") != std::string::npos);
}

}  // namespace
}  // namespace stepflow::worker
