// A harness for driving the Executor in-process: in-memory store, fake
// clock (time skips whenever nothing is in flight) and a scripted Invoker.
#pragma once

#include <catch2/catch.hpp>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "engine/common/json_util.h"
#include "engine/runtime/executor.h"
#include "engine/store/memory_store.h"

namespace stepflow::testing {

// Answers each call with `handler(request)` before Invoke returns, or, with
// `hold` set, keeps the callbacks for the test to complete later.
class FakeInvoker : public runtime::Invoker {
 public:
  std::function<runtime::TaskOutcome(const runtime::TaskRequest&)> handler =
      [](const runtime::TaskRequest& r) { return runtime::TaskOutcome::Success(r.input_json); };
  bool hold = false;

  void Invoke(runtime::TaskRequest request,
              std::function<void(runtime::TaskOutcome)> done) override {
    std::unique_lock lock(mu_);
    calls.push_back(request);
    if (hold) {
      held.push_back({std::move(request), std::move(done)});
      return;
    }
    lock.unlock();
    done(handler(request));
  }

  std::vector<runtime::TaskRequest> Calls() {
    std::lock_guard lock(mu_);
    return calls;
  }

  struct Held;
  // The held calls so far (and forgets them).
  std::vector<Held> TakeHeld();

  struct Held {
    runtime::TaskRequest request;
    std::function<void(runtime::TaskOutcome)> done;
  };
  std::vector<runtime::TaskRequest> calls;
  std::vector<Held> held;

 private:
  std::mutex mu_;
};

inline std::vector<FakeInvoker::Held> FakeInvoker::TakeHeld() {
  std::lock_guard lock(mu_);
  std::vector<Held> out;
  out.swap(held);
  return out;
}

struct Harness {
  std::unique_ptr<store::Store> store = store::NewMemoryStore();
  runtime::FakeClock clock;
  FakeInvoker invoker;
  std::unique_ptr<runtime::Executor> executor;

  explicit Harness(runtime::ExecutorOptions options = {}) {
    executor = std::make_unique<runtime::Executor>(store.get(), &invoker, &clock, options);
  }

  std::string Start(const std::string& definition, const std::string& input = "{}") {
    auto version = executor->PutStateMachine("m", definition);
    REQUIRE(version.ok());
    runtime::StartRequest request;
    request.machine = "m";
    request.version = *version;
    request.input = input;
    auto id = executor->StartExecution(request);
    REQUIRE(id.ok());
    return *id;
  }

  store::ExecutionRecord Run(const std::string& definition, const std::string& input = "{}") {
    std::string id = Start(definition, input);
    REQUIRE(executor->RunUntilIdle().ok());
    return Record(id);
  }

  store::ExecutionRecord Record(const std::string& id) {
    auto r = store->GetExecution(id);
    REQUIRE(r.ok());
    return *r;
  }

  std::vector<store::HistoryEvent> History(const std::string& id) {
    auto h = store->GetHistory(id, {});
    REQUIRE(h.ok());
    return *h;
  }

  std::vector<std::string> Types(const std::string& id) {
    std::vector<std::string> types;
    for (const auto& e : History(id)) types.push_back(e.type);
    return types;
  }

  int Count(const std::string& id, const std::string& type) {
    int n = 0;
    for (const auto& e : History(id)) n += e.type == type;
    return n;
  }
};

inline Json Output(const store::ExecutionRecord& r) {
  REQUIRE(r.output.has_value());
  return Json::parse(*r.output);
}

}  // namespace stepflow::testing
