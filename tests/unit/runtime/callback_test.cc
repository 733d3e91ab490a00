// Activities and .waitForTaskToken Tasks through the Executor: tokens,
// SendTask* (CompleteTask / Heartbeat), TimeoutSeconds and HeartbeatSeconds.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "tests/unit/runtime/runtime_test_util.h"

namespace stepflow::testing {
namespace {

runtime::ExecutorOptions WithCallbacks() {
  runtime::ExecutorOptions options;
  options.limits.callbacks = true;
  return options;
}

int CountOf(const std::vector<std::string>& types, const std::string& type) {
  return static_cast<int>(std::count(types.begin(), types.end(), type));
}

TEST_CASE("callbacks: a .waitForTaskToken task gets its token and is completed by it",
          "[executor][callback]") {
  Harness h(WithCallbacks());
  std::string token_seen;
  h.invoker.handler = [&](const runtime::TaskRequest& r) {
    token_seen = r.task_token;
    Json in = Json::parse(r.input_json);
    CHECK(in["token"] == r.task_token);  // $$.Task.Token in Parameters
    CHECK(
        h.executor->CompleteTask(r.task_token, runtime::TaskOutcome::Success(R"({"ok":1})")).ok());
    return runtime::TaskOutcome::Success("\"submitted\"");
  };
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters":{"FunctionName":"f","Payload":{"token.$":"$$.Task.Token"}},
      "End":true}}})j");
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r) == Json::parse(R"({"ok":1})"));
  CHECK(token_seen == r.id + "/3");  // the TaskScheduled event's id
  auto types = h.Types(r.id);
  CHECK(CountOf(types, "TaskSucceeded") == 1);
  // The token works once.
  CHECK(h.executor->CompleteTask(token_seen, runtime::TaskOutcome::Success("{}")).code() ==
        StatusCode::kNotFound);
}

TEST_CASE("callbacks: SendTaskFailure fails the task with the worker's error",
          "[executor][callback]") {
  Harness h(WithCallbacks());
  h.invoker.handler = [&](const runtime::TaskRequest& r) {
    CHECK(h.executor
              ->CompleteTask(r.task_token, runtime::TaskOutcome::Failure("Order.Rejected", "no"))
              .ok());
    return runtime::TaskOutcome::Success("{}");
  };
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"approve.waitForTaskToken","End":true}}})j");
  CHECK(r.status == "FAILED");
  CHECK(r.error == "Order.Rejected");
  CHECK(r.cause == "no");
}

TEST_CASE("callbacks: a failing call of a .waitForTaskToken task fails it at once",
          "[executor][callback]") {
  Harness h(WithCallbacks());
  h.invoker.handler = [](const runtime::TaskRequest&) {
    return runtime::TaskOutcome::Failure("States.TaskFailed", "UNAVAILABLE");
  };
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"approve.waitForTaskToken","End":true}}})j");
  CHECK(r.status == "FAILED");
  CHECK(r.error == "States.TaskFailed");
}

TEST_CASE("callbacks: a missed heartbeat is States.HeartbeatTimeout, which States.Timeout catches",
          "[executor][callback]") {
  Harness h(WithCallbacks());
  std::string token;
  h.invoker.handler = [&](const runtime::TaskRequest& r) {
    token = r.task_token;
    return runtime::TaskOutcome::Success("{}");  // never completes
  };
  const int64_t start = h.clock.NowMs();
  auto r = h.Run(R"j({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"slow.waitForTaskToken","HeartbeatSeconds":5,
           "TimeoutSeconds":100,
           "Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Caught"}],"End":true},
      "Caught":{"Type":"Pass","End":true}}})j");
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r)["Error"] == "States.HeartbeatTimeout");
  CHECK(h.clock.NowMs() - start == 5000);  // the heartbeat, not the timeout
  auto types = h.Types(r.id);
  CHECK(CountOf(types, "TaskSubmitted") == 1);
  CHECK(CountOf(types, "TaskTimedOut") == 1);
  CHECK(h.executor->CompleteTask(token, runtime::TaskOutcome::Success("{}")).code() ==
        StatusCode::kNotFound);
  CHECK(h.executor->Heartbeat(token).code() == StatusCode::kNotFound);
}

TEST_CASE("callbacks: TimeoutSeconds bounds a callback, States.TaskFailed does not catch it",
          "[executor][callback]") {
  Harness h(WithCallbacks());
  h.invoker.handler = [](const runtime::TaskRequest&) {
    return runtime::TaskOutcome::Success("{}");
  };
  auto r = h.Run(R"j({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"slow.waitForTaskToken","TimeoutSeconds":30,
           "Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Caught"}],"End":true},
      "Caught":{"Type":"Pass","End":true}}})j");
  CHECK(r.status == "FAILED");
  CHECK(r.error == "States.Timeout");
  REQUIRE(r.cause.has_value());
  CHECK(r.cause->find("30 s") != std::string::npos);
}

TEST_CASE("callbacks: malformed and unknown tokens are refused", "[executor][callback]") {
  Harness h(WithCallbacks());
  CHECK(h.executor->CompleteTask("", runtime::TaskOutcome::Success("{}")).code() ==
        StatusCode::kInvalidArgument);
  CHECK(h.executor->CompleteTask("m:x/abc", runtime::TaskOutcome::Success("{}")).code() ==
        StatusCode::kInvalidArgument);
  CHECK(h.executor->Heartbeat(std::string(2000, 'a') + "/1").code() ==
        StatusCode::kInvalidArgument);
  CHECK(h.executor->CompleteTask("m:x/7", runtime::TaskOutcome::Success("{}")).code() ==
        StatusCode::kNotFound);
}

TEST_CASE("callbacks: embedded mode refuses activities and callbacks", "[executor][callback]") {
  Harness h;  // callbacks off
  auto r = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:us-east-1:123456789012:activity:review","End":true}}})j");
  CHECK(r.status == "FAILED");
  CHECK(r.error == "States.TaskFailed");
  REQUIRE(r.cause.has_value());
  CHECK(r.cause->find("activities") != std::string::npos);
}

TEST_CASE("activities: a worker polls, heartbeats and answers, history shows Activity events",
          "[executor][activity]") {
  runtime::SystemClock real;
  Harness h(WithCallbacks());
  h.executor =
      std::make_unique<runtime::Executor>(h.store.get(), &h.invoker, &real, WithCallbacks());
  std::thread loop([&] { (void)h.executor->Run(); });
  std::string id = h.Start(R"j({"StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"arn:aws:states:us-east-1:123456789012:activity:review",
      "HeartbeatSeconds":60,"End":true}}})j",
                           R"({"doc":7})");
  auto never = [] { return false; };
  // Another activity's queue stays empty.
  CHECK_FALSE(h.executor->PollActivity("other", "w", std::chrono::milliseconds(10), never));
  auto task = h.executor->PollActivity("review", "worker-1", std::chrono::seconds(10), never);
  REQUIRE(task.has_value());
  CHECK(task->input_json == R"({"doc":7})");
  CHECK(task->heartbeat_seconds == 60);
  CHECK(task->token == id + "/3");
  CHECK(h.executor->Heartbeat(task->token).ok());
  CHECK(
      h.executor->CompleteTask(task->token, runtime::TaskOutcome::Success(R"({"ok":true})")).ok());
  store::ExecutionRecord r;
  for (int i = 0; i < 2000; ++i) {
    r = h.Record(id);
    if (r.status != "RUNNING") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  h.executor->Shutdown();
  loop.join();
  CHECK(r.status == "SUCCEEDED");
  CHECK(Output(r) == Json::parse(R"({"ok":true})"));
  auto events = h.History(id);
  std::vector<std::string> types;
  for (const auto& e : events) types.push_back(e.type);
  CHECK(types == std::vector<std::string>{
                     "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted",
                     "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"});
  CHECK(Json::parse(events[3].details)["workerName"] == "worker-1");
  Json scheduled = Json::parse(events[2].details);
  CHECK(scheduled["heartbeatInSeconds"] == 60);
  CHECK(scheduled["resource"] == "arn:aws:states:us-east-1:123456789012:activity:review");
}

}  // namespace
}  // namespace stepflow::testing

namespace stepflow::testing {
namespace {

TEST_CASE("server mode: a step the store refuses drops that execution, not the engine",
          "[executor]") {
  runtime::SystemClock real;
  Harness h;
  h.invoker.hold = true;
  h.executor = std::make_unique<runtime::Executor>(h.store.get(), &h.invoker, &real);
  Status loop_status = Status::Internal("not returned");
  std::thread loop([&] { loop_status = h.executor->Run(); });
  const std::string task = R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo",
      "End":true}}})j";
  std::string a = h.Start(task);
  std::vector<FakeInvoker::Held> held;
  for (int i = 0; i < 2000 && held.empty(); ++i) {
    held = h.invoker.TakeHeld();
    if (held.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(held.size() == 1);
  // Someone else appends to A's history behind the executor's back: A's next
  // step no longer continues the stored history and is refused.
  store::StepCommit foreign;
  foreign.execution = h.Record(a);
  store::HistoryEvent e;
  e.id = foreign.execution.next_event_id;
  e.type = "PassStateEntered";
  e.details = "{}";
  foreign.events.push_back(e);
  ++foreign.execution.next_event_id;
  REQUIRE(h.store->Commit({foreign}).ok());
  held[0].done(runtime::TaskOutcome::Success("{}"));
  for (int i = 0; i < 2000 && h.executor->stats().failed_steps == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(h.executor->stats().failed_steps == 1);
  CHECK(h.Record(a).status == "RUNNING");  // its last committed state, for the next start

  // The engine goes on with other executions.
  h.invoker.hold = false;
  std::string b = h.Start(task);
  std::string status;
  for (int i = 0; i < 2000; ++i) {
    auto rb = h.store->GetExecution(b);  // not stored until its start commits
    if (rb.ok() && (status = rb->status) != "RUNNING") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(status == "SUCCEEDED");
  h.executor->Shutdown();
  loop.join();
  CHECK(loop_status.ok());
}

}  // namespace
}  // namespace stepflow::testing

namespace stepflow::testing {
namespace {

TEST_CASE("server mode: Shutdown stops a busy engine at once, later requests are refused",
          "[executor]") {
  runtime::SystemClock real;
  Harness h;
  h.executor = std::make_unique<runtime::Executor>(h.store.get(), &h.invoker, &real);
  // Answers arrive while the previous step commits: the inbox is never empty.
  std::string id = h.Start(R"j({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"echo","Next":"Again"},
      "Again":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":-1,"Next":"Done"}],
               "Default":"T"},
      "Done":{"Type":"Succeed"}}})j",
                           R"({"n":0})");
  Status loop_status = Status::Internal("not returned");
  std::thread loop([&] { loop_status = h.executor->Run(); });
  for (int i = 0; i < 2000 && h.invoker.Calls().size() < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  h.executor->Shutdown();
  loop.join();
  CHECK(loop_status.ok());
  // Stopped where it was, well before its 25,000-event history limit.
  auto r = h.store->GetExecution(id);
  REQUIRE(r.ok());
  CHECK(r->status == "RUNNING");
  CHECK(r->next_event_id < 20'000);

  runtime::StartRequest again;
  again.machine = "m";
  CHECK(h.executor->StartExecution(again).status().code() == StatusCode::kUnavailable);
  CHECK(h.executor->Stop(id, "E", std::nullopt).code() == StatusCode::kUnavailable);
}

}  // namespace
}  // namespace stepflow::testing

namespace stepflow::testing {
namespace {

TEST_CASE("executor: a repeated start is answered with the first start's fate", "[executor]") {
  Harness h;
  REQUIRE(h.executor
              ->PutStateMachine("m", R"j({"StartAt":"P","States":{"P":{"Type":"Pass",
      "End":true}}})j")
              .ok());
  std::vector<std::string> heard;
  auto request = [&](const std::string& tag, const std::string& input) {
    runtime::StartRequest r;
    r.machine = "m";
    r.name = "once";
    r.input = input;
    r.committed = [&heard, tag](const Status& st) {
      heard.push_back(tag + ":" + std::string(StatusCodeName(st.code())));
    };
    return r;
  };
  SECTION("committed: both hear OK, the repeat as already started") {
    REQUIRE(h.executor->StartExecution(request("first", R"({"a":1})")).ok());
    runtime::StartInfo info;
    auto repeat = h.executor->StartExecution(request("repeat", R"({"a":1})"), &info);
    REQUIRE(repeat.ok());
    CHECK(info.already_started);
    CHECK(heard.empty());  // not before the first start is durable
    CHECK(h.executor->StartExecution(request("other", R"({"a":2})")).status().code() ==
          StatusCode::kAlreadyExists);
    REQUIRE(h.executor->RunUntilIdle().ok());
    CHECK(heard == std::vector<std::string>{"first:OK", "repeat:OK"});
  }
  SECTION("never started: the repeat hears that too") {
    REQUIRE(h.executor->StartExecution(request("first", R"({"a":1})")).ok());
    REQUIRE(h.executor->StartExecution(request("repeat", R"({"a":1})")).ok());
    h.executor->Shutdown();
    REQUIRE(h.executor->Run().ok());
    REQUIRE(heard.size() == 2);
    CHECK(heard[0].find(":OK") == std::string::npos);
    CHECK(heard[1].find(":OK") == std::string::npos);
    CHECK_FALSE(h.store->GetExecution("m:once").ok());
  }
}

TEST_CASE("executor: StopExecution of an execution that finished in the same turn is refused",
          "[executor]") {
  Harness h;
  h.invoker.hold = true;
  std::string id = h.Start(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo",
      "End":true}}})j");
  // Commit the start and send the Task (the invoker holds it).
  std::thread loop([&] { (void)h.executor->Run(); });
  std::vector<FakeInvoker::Held> held;
  for (int i = 0; i < 2000 && held.empty(); ++i) {
    held = h.invoker.TakeHeld();
    if (held.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(held.size() == 1);
  std::promise<Status> stopped;
  // The answer and the stop land in the inbox together: the answer first.
  held[0].done(runtime::TaskOutcome::Success("{}"));
  REQUIRE(h.executor
              ->Stop(id, "Op.Stop", std::nullopt, [&](const Status& st) { stopped.set_value(st); })
              .ok());
  auto future = stopped.get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  Status st = future.get();
  h.executor->Shutdown();
  loop.join();
  // Either the stop came first (ABORTED, OK) or the answer did (SUCCEEDED,
  // refused) — never OK for an execution that SUCCEEDED.
  auto r = h.Record(id);
  if (r.status == "SUCCEEDED") {
    CHECK(st.code() == StatusCode::kFailedPrecondition);
  } else {
    CHECK(r.status == "ABORTED");
    CHECK(st.ok());
  }
}

}  // namespace
}  // namespace stepflow::testing
