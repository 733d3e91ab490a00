// Calls re-sent after a restart whose function cannot be resolved are held:
// their execution stays RUNNING instead of failing (Executor::HeldTasks).
#include <catch2/catch.hpp>

#include "tests/unit/runtime/runtime_test_util.h"

namespace stepflow::runtime {
namespace {

using testing::FakeInvoker;

// The outcome the routing invoker gives a function that is not in the catalog.
TaskOutcome Unresolved() {
  TaskOutcome o = TaskOutcome::Failure("States.TaskFailed", "function 'quote' is not registered");
  o.unresolved = true;
  return o;
}

// Starts an execution whose Task call never answers, then drops the engine
// (as a crash would): the store keeps it RUNNING with the Task in flight.
std::string Interrupted(store::Store* store, const std::string& definition) {
  FakeClock clock;
  FakeInvoker invoker;
  invoker.hold = true;
  Executor executor(store, &invoker, &clock);
  REQUIRE(executor.PutStateMachine("m", definition).ok());
  StartRequest request;
  request.machine = "m";
  auto id = executor.StartExecution(request);
  REQUIRE(id.ok());
  std::thread loop([&] { (void)executor.Run(); });
  for (int i = 0; i < 2000 && invoker.Calls().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(invoker.Calls().size() == 1);
  executor.Shutdown();
  loop.join();
  for (auto& held : invoker.TakeHeld()) held.done(TaskOutcome::Failure("X", "late"));  // ignored
  return *id;
}

TEST_CASE("held: a re-sent call to a missing function leaves its execution RUNNING",
          "[runtime][held]") {
  auto store = store::NewMemoryStore();
  // A machine timeout arms a timer: RunUntilIdle must not wait for it.
  std::string id = Interrupted(store.get(), R"({"TimeoutSeconds": 3600, "StartAt": "Quote",
    "States": {"Quote": {"Type": "Task", "Resource": "quote", "End": true}}})");

  FakeClock clock;
  FakeInvoker invoker;
  invoker.handler = [](const TaskRequest&) { return Unresolved(); };
  Executor executor(store.get(), &invoker, &clock);
  REQUIRE(executor.ResumeAll().ok());
  REQUIRE(executor.RunUntilIdle().ok());
  CHECK(store->GetExecution(id)->status == store::kRunning);
  auto held = executor.HeldTasks();
  REQUIRE(held.size() == 1);
  CHECK(held[0].execution_id == id);
  CHECK(held[0].function == "quote");
  CHECK(held[0].cause == "function 'quote' is not registered");
  CHECK(invoker.Calls().size() == 1);  // sent once, not retried in embedded mode
}

TEST_CASE("held: the server retries a held call and goes on once it resolves",
          "[runtime][held]") {
  auto store = store::NewMemoryStore();
  std::string id = Interrupted(store.get(), R"({"StartAt": "Quote",
    "States": {"Quote": {"Type": "Task", "Resource": "quote", "End": true}}})");

  FakeClock clock;
  FakeInvoker invoker;
  std::atomic<bool> registered{false};
  invoker.handler = [&](const TaskRequest& r) {
    return registered ? TaskOutcome::Success(R"({"price": 7})") : Unresolved();
  };
  std::vector<HeldTask> told;
  ExecutorOptions options;
  options.on_held = [&](const HeldTask& h) { told.push_back(h); };
  Executor executor(store.get(), &invoker, &clock, options);
  REQUIRE(executor.ResumeAll().ok());
  std::thread loop([&] { (void)executor.Run(); });
  for (int i = 0; i < 2000 && executor.HeldTasks().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(executor.HeldTasks().size() == 1);
  registered = true;
  executor.RetryHeldTasks();  // as RegisterFunction does
  std::string status;
  for (int i = 0; i < 2000; ++i) {
    status = store->GetExecution(id)->status;
    if (status != store::kRunning) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  executor.Shutdown();
  loop.join();
  CHECK(status == store::kSucceeded);
  CHECK(executor.HeldTasks().empty());
  CHECK(told.size() == 1);  // told once
}

TEST_CASE("held: a fresh call to a missing function fails its Task as before", "[runtime][held]") {
  testing::Harness h;
  h.invoker.handler = [](const TaskRequest&) { return Unresolved(); };
  auto r = h.Run(R"({"StartAt": "Quote", "States": {
    "Quote": {"Type": "Task", "Resource": "quote", "End": true}}})");
  CHECK(r.status == store::kFailed);
  CHECK(r.error == "States.TaskFailed");
  CHECK(h.executor->HeldTasks().empty());
}

}  // namespace
}  // namespace stepflow::runtime
