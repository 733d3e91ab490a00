#include <catch2/catch.hpp>
#include <thread>

#include "engine/runtime/history.h"
#include "tests/unit/runtime/runtime_test_util.h"

namespace stepflow::testing {
namespace {

using runtime::TaskOutcome;
using runtime::TaskRequest;

TEST_CASE("a Pass chain runs to its end with dense history", "[executor]") {
  Harness h;
  auto r = h.Run(R"j({"StartAt":"A","States":{
      "A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.a","Next":"B"},
      "B":{"Type":"Pass","Parameters":{"sum.$":"States.MathAdd($.a.x, 41)"},"End":true}}})j",
                 R"({"in":true})");
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r) == Json::parse(R"({"sum":42})"));
  auto events = h.History(r.id);
  std::vector<std::string> expected = {"ExecutionStarted", "PassStateEntered",
                                       "PassStateExited",  "PassStateEntered",
                                       "PassStateExited",  "ExecutionSucceeded"};
  CHECK(h.Types(r.id) == expected);
  for (size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].id == static_cast<int64_t>(i + 1));
    CHECK(events[i].previous_event_id < events[i].id);
  }
  Json entered = runtime::EventToJson(events[1]);
  CHECK(entered["stateEnteredEventDetails"]["name"] == "A");
  CHECK(entered["stateEnteredEventDetails"]["input"] == R"({"in":true})");
}

TEST_CASE("Task calls carry the request fields and idempotency keys", "[executor]") {
  Harness h;
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo",
      "Parameters":{"v.$":"$.v"},"TimeoutSeconds":7,"ResultPath":"$.r","End":true}}})j",
                 R"({"v":5})");
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r) == Json::parse(R"({"v":5,"r":{"v":5}})"));
  auto calls = h.invoker.Calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].function == "echo");
  CHECK(calls[0].input_json == R"({"v":5})");
  CHECK(calls[0].state_name == "T");
  CHECK(calls[0].state_path == "T");
  CHECK(calls[0].attempt == 0);
  CHECK(calls[0].timeout.count() == 7000);
  CHECK(calls[0].execution_id == r.id);
  // The key names the TaskScheduled event.
  auto events = h.History(r.id);
  int64_t scheduled = 0;
  for (const auto& e : events) {
    if (e.type == "TaskScheduled") scheduled = e.id;
  }
  CHECK(calls[0].idempotency_key == r.id + "/" + std::to_string(scheduled));
}

TEST_CASE("Retry waits IntervalSeconds x BackoffRate^n, capped by MaxDelaySeconds", "[executor]") {
  Harness h;
  int failures = 0;
  h.invoker.handler = [&](const TaskRequest& req) {
    if (failures++ < 4)
      return TaskOutcome::Failure("Boom", "attempt " + std::to_string(req.attempt));
    return TaskOutcome::Success("\"ok\"");
  };
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
      "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":5,
                "MaxDelaySeconds":10}],"End":true}}})j");
  CHECK(r.status == "SUCCEEDED");
  std::vector<int64_t> scheduled;
  for (const auto& e : h.History(r.id)) {
    if (e.type == "TaskScheduled") scheduled.push_back(e.timestamp_ms);
  }
  REQUIRE(scheduled.size() == 5);
  CHECK(scheduled[1] - scheduled[0] == 2000);
  CHECK(scheduled[2] - scheduled[1] == 6000);
  CHECK(scheduled[3] - scheduled[2] == 10000);  // 18 s capped at 10
  CHECK(scheduled[4] - scheduled[3] == 10000);
  auto calls = h.invoker.Calls();
  for (size_t i = 0; i < calls.size(); ++i) CHECK(calls[i].attempt == static_cast<int>(i));
  // Every retry attempt is a new call with a new key.
  CHECK(calls[0].idempotency_key != calls[1].idempotency_key);
}

TEST_CASE("retrier counters are per retrier (the specification's example)", "[executor]") {
  Harness h;
  std::vector<std::string> errors = {"ErrorA", "ErrorB", "ErrorC", "ErrorB"};
  size_t n = 0;
  h.invoker.handler = [&](const TaskRequest&) {
    return TaskOutcome::Failure(errors[std::min(n++, errors.size() - 1)], "");
  };
  auto r = h.Run(R"j({"StartAt":"X","States":{
      "X":{"Type":"Task","Resource":"f","Next":"Y",
           "Retry":[{"ErrorEquals":["ErrorA","ErrorB"],"IntervalSeconds":1,"BackoffRate":2,"MaxAttempts":2},
                    {"ErrorEquals":["ErrorC"],"IntervalSeconds":5}],
           "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Z"}]},
      "Y":{"Type":"Pass","End":true},
      "Z":{"Type":"Pass","End":true}}})j");
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r) == Json::parse(R"({"Error":"ErrorB"})"));
  std::vector<int64_t> scheduled;
  for (const auto& e : h.History(r.id)) {
    if (e.type == "TaskScheduled") scheduled.push_back(e.timestamp_ms);
  }
  REQUIRE(scheduled.size() == 4);
  CHECK(scheduled[1] - scheduled[0] == 1000);
  CHECK(scheduled[2] - scheduled[1] == 2000);
  CHECK(scheduled[3] - scheduled[2] == 5000);
}

TEST_CASE("JitterStrategy FULL draws the delay from the injected generator", "[executor]") {
  runtime::ExecutorOptions options;
  options.limits.random = [] { return uint64_t{250'000}; };  // 25 % of the delay
  Harness h(options);
  int calls = 0;
  h.invoker.handler = [&](const TaskRequest&) {
    return calls++ == 0 ? TaskOutcome::Failure("Boom", "") : TaskOutcome::Success("1");
  };
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
      "Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":8,"JitterStrategy":"FULL"}],
      "End":true}}})j");
  CHECK(r.status == "SUCCEEDED");
  std::vector<int64_t> scheduled;
  for (const auto& e : h.History(r.id)) {
    if (e.type == "TaskScheduled") scheduled.push_back(e.timestamp_ms);
  }
  REQUIRE(scheduled.size() == 2);
  CHECK(scheduled[1] - scheduled[0] == 2000);
}

TEST_CASE(
    "States.TaskFailed does not match States.Timeout, States.ALL does not match "
    "States.Runtime",
    "[executor]") {
  Harness h;
  h.invoker.handler = [](const TaskRequest&) {
    return TaskOutcome::Failure("States.Timeout", "late");
  };
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
      "Retry":[{"ErrorEquals":["States.TaskFailed"]}],
      "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"C"}],"End":true},
      "C":{"Type":"Pass","End":true}}})j");
  CHECK(r.status == "FAILED");
  CHECK(r.error == "States.Timeout");
  CHECK(h.Count(r.id, "TaskTimedOut") == 1);

  Harness h2;
  auto r2 = h2.Run(R"j({"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":"$.missing",
      "End":true}}})j");
  CHECK(r2.status == "FAILED");
  CHECK(r2.error == "States.Runtime");
}

TEST_CASE("Catch writes the Error Output at ResultPath over the raw input and runs its Assign",
          "[executor]") {
  Harness h;
  h.invoker.handler = [](const TaskRequest&) { return TaskOutcome::Failure("Oops", "why"); };
  auto r = h.Run(R"j({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"f","Parameters":{"a":1},
           "Catch":[{"ErrorEquals":["Other"],"Next":"Wrong"},
                    {"ErrorEquals":["Oops"],"ResultPath":"$.err","Assign":{"seen.$":"$.Error"},"Next":"C"}],
           "End":true},
      "Wrong":{"Type":"Fail","Error":"Wrong"},
      "C":{"Type":"Pass","Parameters":{"orig.$":"$.orig","err.$":"$.err","seen.$":"$seen"},"End":true}}})j",
                 R"({"orig":"x"})");
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r) ==
        Json::parse(R"({"orig":"x","err":{"Error":"Oops","Cause":"why"},"seen":"Oops"})"));
}

TEST_CASE("Parallel collects branch outputs in order, a failing branch aborts the others",
          "[executor]") {
  Harness h;
  auto ok = h.Run(R"j({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Pass","Result":"a","End":true}}},
      {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"echo","End":true}}}]}}})j",
                  R"({"k":1})");
  CHECK(ok.status == "SUCCEEDED");
  CHECK(Output(ok) == Json::parse(R"(["a",{"k":1}])"));

  Harness h2;
  h2.invoker.hold = true;  // branch B's task never answers by itself
  std::string id = h2.Start(R"j({"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"slow","End":true}}},
      {"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Branch.Broke","Cause":"no"}}}],
      "Catch":[{"ErrorEquals":["Branch.Broke"],"Next":"Done"}],"End":true},
      "Done":{"Type":"Pass","End":true}}})j");
  REQUIRE(h2.executor->RunUntilIdle().ok());
  auto r = h2.Record(id);
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r) == Json::parse(R"({"Error":"Branch.Broke","Cause":"no"})"));
  // The slow task was scheduled in the same step that aborted it: never sent.
  CHECK(h2.invoker.Calls().empty());
  CHECK(h2.Count(id, "ParallelStateFailed") == 1);
}

TEST_CASE("Map keeps input order, runs MaxConcurrency at a time and exposes $$.Map.Item",
          "[executor]") {
  Harness h;
  h.invoker.hold = true;
  std::string id = h.Start(R"j({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
      "MaxConcurrency":2,
      "ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value"},
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","End":true}}},
      "End":true}}})j",
                           R"({"items":["a","b","c","d","e"]})");
  // Answer the held calls in reverse order, checking concurrency each turn.
  std::thread driver([&] {
    for (int round = 0; round < 100; ++round) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::vector<FakeInvoker::Held> batch = h.invoker.TakeHeld();
      if (batch.empty()) continue;
      CHECK(batch.size() <= 2);
      for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
        it->done(TaskOutcome::Success(it->request.input_json));
      }
    }
  });
  REQUIRE(h.executor->RunUntilIdle().ok());
  driver.join();
  auto r = h.Record(id);
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r) == Json::parse(R"([{"i":0,"v":"a"},{"i":1,"v":"b"},{"i":2,"v":"c"},
                                     {"i":3,"v":"d"},{"i":4,"v":"e"}])"));
  CHECK(h.Count(id, "MapIterationStarted") == 5);
  CHECK(h.Count(id, "MapIterationSucceeded") == 5);
}

TEST_CASE("Map tolerates failures up to ToleratedFailureCount", "[executor]") {
  const char* def = R"j({"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":%d,
      "ItemProcessor":{"StartAt":"C","States":{
        "C":{"Type":"Choice","Choices":[{"Variable":"$","NumericLessThan":0,"Next":"Bad"}],"Default":"Ok"},
        "Bad":{"Type":"Fail","Error":"Negative"},
        "Ok":{"Type":"Pass","End":true}}},"End":true}}})j";
  char buf[1024];
  std::snprintf(buf, sizeof buf, def, 2);
  Harness h;
  auto r = h.Run(buf, "[1,-1,2,-2]");
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r) == Json::parse(R"([1,{"Error":"Negative"},2,{"Error":"Negative"}])"));
  std::snprintf(buf, sizeof buf, def, 1);
  Harness h2;
  auto r2 = h2.Run(buf, "[1,-1,2,-2]");
  CHECK(r2.status == "FAILED");
  CHECK(r2.error == "States.ExceedToleratedFailureThreshold");
}

TEST_CASE("a large Map of pure states does not recurse", "[executor]") {
  runtime::ExecutorOptions options;
  options.limits.max_history_events = 1'000'000;
  Harness h(options);
  Json items = Json::array();
  for (int i = 0; i < 20000; ++i) items.push_back(i);
  auto r = h.Run(R"j({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,
      "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})j",
                 DumpCompact(items));
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r) == items);
}

TEST_CASE("Wait and machine TimeoutSeconds fire on the clock", "[executor]") {
  Harness h;
  auto r = h.Run(R"j({"TimeoutSeconds":5,"StartAt":"W","States":{
      "W":{"Type":"Wait","Seconds":60,"End":true}}})j");
  CHECK(r.status == "TIMED_OUT");
  CHECK(r.error == "States.Timeout");
  CHECK(h.Types(r.id).back() == "ExecutionTimedOut");
  CHECK(*r.stop_ms - r.start_ms == 5000);

  Harness h2;
  auto r2 =
      h2.Run(R"j({"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}})j",
             R"({"s":3})");
  CHECK(r2.status == "SUCCEEDED");
  CHECK(*r2.stop_ms - r2.start_ms == 3000);
}

TEST_CASE("history beyond the limit fails the execution with a clear cause", "[executor]") {
  runtime::ExecutorOptions options;
  options.limits.max_history_events = 50;
  Harness h(options);
  auto r = h.Run(R"j({"StartAt":"A","States":{
      "A":{"Type":"Pass","Next":"B"},
      "B":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"End"}],
           "Default":"A"},
      "End":{"Type":"Succeed"}}})j");
  CHECK(r.status == "FAILED");
  CHECK(r.error == "States.Runtime");
  CHECK(r.cause->find("50 history events") != std::string::npos);
  auto events = h.History(r.id);
  CHECK(events.size() == 50);
  CHECK(events.back().type == "ExecutionFailed");
}

TEST_CASE("payloads over the limit are States.DataLimitExceeded, not caught", "[executor]") {
  runtime::ExecutorOptions options;
  options.limits.max_payload_bytes = 100;
  Harness h(options);
  h.invoker.handler = [](const TaskRequest&) {
    return TaskOutcome::Success("\"" + std::string(200, 'x') + "\"");
  };
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"big",
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},
      "C":{"Type":"Pass","End":true}}})j");
  CHECK(r.status == "FAILED");
  CHECK(r.error == "States.DataLimitExceeded");
}

TEST_CASE("stale and duplicate task outcomes change nothing", "[executor]") {
  Harness h;
  h.invoker.hold = true;
  std::string id = h.Start(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"f",
      "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":1}],"End":true}}})j");
  std::thread driver([&] {
    for (int round = 0; round < 200; ++round) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::vector<FakeInvoker::Held> batch = h.invoker.TakeHeld();
      for (auto& held : batch) {
        if (held.request.attempt == 0) {
          held.done(TaskOutcome::Failure("Boom", ""));
        } else {
          held.done(TaskOutcome::Success("\"second\""));
          // Answers twice: ignored.
          held.done(TaskOutcome::Success("\"duplicate\""));
        }
      }
    }
  });
  REQUIRE(h.executor->RunUntilIdle().ok());
  driver.join();
  auto r = h.Record(id);
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r) == "second");
  CHECK(h.executor->stats().stale_outcomes >= 1);
}

TEST_CASE("variables: Assign sees state-entry values and scopes nest", "[executor]") {
  Harness h;
  auto r = h.Run(R"j({"StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"x":1,"y":2},"Next":"B"},
      "B":{"Type":"Pass","Assign":{"x":10,"y.$":"$x"},"Next":"M"},
      "M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"I","States":{
          "I":{"Type":"Pass","Parameters":{"item.$":"$","x.$":"$x","y.$":"$y"},"End":true}}},
          "End":true}}})j",
                 R"({"items":[7]})");
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r) == Json::parse(R"([{"item":7,"x":10,"y":1}])"));
}

TEST_CASE("the Context Object carries execution, state and machine facts", "[executor]") {
  Harness h;
  auto r = h.Run(R"j({"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{
      "input.$":"$$.Execution.Input","name.$":"$$.Execution.Name","id.$":"$$.Execution.Id",
      "state.$":"$$.State.Name","machine.$":"$$.StateMachine.Name",
      "redrives.$":"$$.Execution.RedriveCount","retries.$":"$$.State.RetryCount"},"End":true}}})j",
                 R"({"a":1})");
  REQUIRE(r.status == "SUCCEEDED");
  Json out = Output(r);
  CHECK(out["input"] == Json::parse(R"({"a":1})"));
  CHECK(out["name"] == r.name);
  CHECK(out["id"] == r.id);
  CHECK(out["state"] == "P");
  CHECK(out["machine"] == "m");
  CHECK(out["redrives"] == 0);
  CHECK(out["retries"] == 0);
}

}  // namespace
}  // namespace stepflow::testing

namespace stepflow::testing {
namespace {

// Two branches fail in the same step; the first failure is caught and the
// Parallel's children are dropped while the second failure is still queued.
TEST_CASE("children failing together under a caught Parallel or Map are dropped safely",
          "[executor]") {
  Harness h;
  auto r = h.Run(R"j({"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Fail","Error":"A.Failed"}}},
      {"StartAt":"B","States":{"B":{"Type":"Fail","Error":"B.Failed"}}},
      {"StartAt":"C","States":{"C":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"D","States":{"D":{"Type":"Fail","Error":"D.Failed"}}}]}}}],
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Done"}],"End":true},
      "Done":{"Type":"Pass","End":true}}})j");
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r)["Error"] == "A.Failed");

  Harness h2;
  auto r2 = h2.Run(R"j({"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{
      "StartAt":"F","States":{"F":{"Type":"Fail","Error":"Item.Failed"}}},
      "Retry":[{"ErrorEquals":["Item.Failed"],"MaxAttempts":1,"IntervalSeconds":1}],
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Done"}],"End":true},
      "Done":{"Type":"Succeed"}}})j",
                   "[1,2,3,4]");
  CHECK(r2.status == "SUCCEEDED");
  CHECK(h2.Count(r2.id, "MapStateFailed") == 2);  // the first run and its retry
}

}  // namespace
}  // namespace stepflow::testing

namespace stepflow::testing {
namespace {

// Events of `type` committed so far (0 while the execution is not stored yet).
int CommittedCount(Harness& h, const std::string& id, const std::string& type) {
  auto events = h.store->GetHistory(id, {});
  int n = 0;
  if (events.ok()) {
    for (const auto& e : *events) n += e.type == type;
  }
  return n;
}

// Polls the store until `id` has left RUNNING (bounded).
store::ExecutionRecord AwaitFinished(Harness& h, const std::string& id) {
  for (int i = 0; i < 2000; ++i) {
    auto r = h.store->GetExecution(id);
    if (r.ok() && r->status != "RUNNING") return *r;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  FAIL("execution " << id << " did not finish within 10 s");
  return {};
}

TEST_CASE("server mode: Run keeps going until Shutdown, Stop aborts a waiting execution",
          "[executor]") {
  runtime::SystemClock real;
  Harness h;
  h.executor = std::make_unique<runtime::Executor>(h.store.get(), &h.invoker, &real);
  Status loop_status = Status::Internal("not returned");
  std::thread loop([&] { loop_status = h.executor->Run(); });

  // Work submitted while the loop runs is picked up.
  std::string quick = h.Start(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo",
      "End":true}}})j",
                              R"({"n":1})");
  CHECK(AwaitFinished(h, quick).status == "SUCCEEDED");

  // An execution waiting an hour is stopped through the API.
  std::string waiting = h.Start(R"j({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,
      "End":true}}})j");
  for (int i = 0; i < 2000 && CommittedCount(h, waiting, "WaitStateEntered") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(h.executor->Stop(waiting, "Operator.Stop", std::string("no longer needed")).ok());
  auto stopped = AwaitFinished(h, waiting);
  CHECK(stopped.status == "ABORTED");
  CHECK(stopped.error == "Operator.Stop");
  CHECK(stopped.cause == "no longer needed");
  auto types = h.Types(waiting);
  CHECK(types.back() == "ExecutionAborted");
  CHECK(std::find(types.begin(), types.end(), "WaitStateAborted") != types.end());

  // A third one is left waiting; Shutdown returns with it still RUNNING in
  // the store, checkpointed for the next engine.
  std::string left = h.Start(R"j({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,
      "End":true}}})j");
  for (int i = 0; i < 2000 && CommittedCount(h, left, "WaitStateEntered") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  h.executor->Shutdown();
  loop.join();
  CHECK(loop_status.ok());
  CHECK(h.Record(left).status == "RUNNING");
  CHECK_FALSE(h.Record(left).state.empty());
}

}  // namespace
}  // namespace stepflow::testing
