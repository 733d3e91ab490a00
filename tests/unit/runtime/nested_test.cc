// Nested executions (states:startExecution and its .sync, .sync:2 and
// .waitForTaskToken forms) in the Executor, with an in-memory store, a fake
// clock and a scripted invoker.
#include <catch2/catch.hpp>

#include "tests/unit/runtime/runtime_test_util.h"

namespace stepflow::runtime {
namespace {

using Catch::Matchers::Contains;
using testing::Harness;
using testing::Output;

// A child that echoes its input after a Task call (so it can be held).
constexpr const char* kChild = R"({"StartAt": "Work", "States": {
  "Work": {"Type": "Task", "Resource": "work", "End": true}}})";

std::string Parent(const std::string& resource, const std::string& extra = "") {
  return R"({"StartAt": "Call", "States": {
    "Call": {"Type": "Task", "Resource": ")" +
         resource + R"(", "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:child",
      "Input": {"x.$": "$.x", "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}}, )" +
         extra + R"( "End": true}}})";
}

void PutChild(Harness& h, const char* definition = kChild) {
  REQUIRE(h.executor->PutStateMachine("child", definition).ok());
}

std::vector<store::ExecutionRecord> Children(Harness& h, const std::string& parent) {
  auto children = h.store->ListChildExecutions(parent);
  REQUIRE(children.ok());
  return *children;
}

TEST_CASE("nested: .sync:2 waits for the child and returns its description with JSON output",
          "[runtime][nested]") {
  Harness h;
  PutChild(h);
  auto parent = h.Run(Parent("arn:aws:states:::states:startExecution.sync:2"), R"({"x": 7})");
  REQUIRE(parent.status == store::kSucceeded);
  Json out = Output(parent);
  CHECK(out["Status"] == "SUCCEEDED");
  CHECK(out["Output"]["x"] == 7);  // JSON, not text
  CHECK(out["Input"]["x"] == 7);
  CHECK(out["InputDetails"] == Json{{"Included", true}});
  CHECK_THAT(out["ExecutionArn"].get<std::string>(), Contains(":execution:child:"));
  CHECK_THAT(out["StateMachineArn"].get<std::string>(), Contains(":stateMachine:child"));
  CHECK(out.contains("StartDate"));
  CHECK(out.contains("StopDate"));

  auto children = Children(h, parent.id);
  REQUIRE(children.size() == 1);
  CHECK(children[0].parent_id == parent.id);
  CHECK(children[0].status == store::kSucceeded);
  CHECK(out["Name"] == children[0].name);
  // History as Step Functions writes it: scheduled, started, submitted, succeeded.
  std::vector<std::string> task_events;
  for (const auto& e : h.History(parent.id)) {
    if (e.type.rfind("Task", 0) == 0 && e.type != "TaskStateEntered" && e.type != "TaskStateExited")
      task_events.push_back(e.type);
  }
  CHECK(task_events ==
        std::vector<std::string>{"TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"});
  CHECK_THAT(h.History(parent.id)[2].details, Contains(R"("resourceType":"states")") &&
                                                  Contains("startExecution.sync:2"));
}

TEST_CASE("nested: .sync returns Output as JSON text, the request-response form only the start",
          "[runtime][nested]") {
  Harness h;
  PutChild(h);
  auto sync = h.Run(Parent("arn:aws:states:::states:startExecution.sync"), R"({"x": 1})");
  REQUIRE(sync.status == store::kSucceeded);
  Json out = Output(sync);
  REQUIRE(out["Output"].is_string());
  CHECK(Json::parse(out["Output"].get<std::string>())["x"] == 1);
  CHECK(out["Input"].is_string());

  auto start = h.Run(Parent("arn:aws:states:::states:startExecution"), R"({"x": 2})");
  REQUIRE(start.status == store::kSucceeded);
  Json started = Output(start);
  CHECK(started.size() == 2);
  CHECK_THAT(started["ExecutionArn"].get<std::string>(), Contains(":execution:child:"));
  CHECK(started["StartDate"].is_string());
  // The child ran to its end too (RunUntilIdle waits for every execution).
  auto children = Children(h, start.id);
  REQUIRE(children.size() == 1);
  CHECK(children[0].status == store::kSucceeded);
}

TEST_CASE("nested: a failed child fails the Task with States.TaskFailed and its description",
          "[runtime][nested]") {
  Harness h;
  h.invoker.handler = [](const TaskRequest&) {
    return TaskOutcome::Failure("Child.Broke", "on purpose");
  };
  PutChild(h);
  auto parent = h.Run(Parent("arn:aws:states:::states:startExecution.sync:2"), R"({"x": 1})");
  REQUIRE(parent.status == store::kFailed);
  CHECK(parent.error == "States.TaskFailed");
  REQUIRE(parent.cause);
  Json cause = Json::parse(*parent.cause);
  CHECK(cause["Status"] == "FAILED");
  CHECK(cause["Error"] == "Child.Broke");
  CHECK(cause["Cause"] == "on purpose");
  CHECK_FALSE(cause.contains("Output"));
}

TEST_CASE("nested: an unknown machine and a used name are the integration's errors",
          "[runtime][nested]") {
  Harness h;
  auto missing = h.Run(Parent("arn:aws:states:::states:startExecution.sync"), R"({"x": 0})");
  INFO(missing.error.value_or("-") + " / " + missing.cause.value_or("-") + " / " + missing.status);
  CHECK(missing.status == store::kFailed);
  CHECK(missing.error == "StepFunctions.StateMachineDoesNotExistException");

  PutChild(h);
  const std::string named = R"({"StartAt": "A", "States": {
    "A": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
          "Parameters": {"StateMachineArn": "child", "Name": "once", "Input": {"n": 1}}, "Next": "B"},
    "B": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
          "Parameters": {"StateMachineArn": "child", "Name": "once", "Input": {"n": 2}},
          "Catch": [{"ErrorEquals": ["StepFunctions.ExecutionAlreadyExistsException"],
                     "Next": "Caught"}], "End": true},
    "Caught": {"Type": "Succeed"}}})";
  auto caught = h.Run(named, "{}");
  REQUIRE(caught.status == store::kSucceeded);
  CHECK(h.Count(caught.id, "TaskFailed") == 1);
  CHECK(h.Record("child:once").status == store::kSucceeded);
}

TEST_CASE("nested: two Tasks starting one child by name both get its end", "[runtime][nested]") {
  Harness h;
  PutChild(h);
  auto r = h.Run(R"({"StartAt": "Both", "States": {
    "Both": {"Type": "Map", "ItemsPath": "$.items", "End": true,
      "ItemProcessor": {"StartAt": "Start", "States": {
        "Start": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                  "Parameters": {"StateMachineArn": "child", "Name": "shared",
                                 "Input": {"same": true}},
                  "ResultSelector": {"name.$": "$.Name"}, "End": true}}}}}})",
                 R"({"items": [1, 2]})");
  REQUIRE(r.status == store::kSucceeded);
  CHECK(Output(r) == Json::parse(R"([{"name": "shared"}, {"name": "shared"}])"));
  CHECK(Children(h, r.id).size() == 1);
}

TEST_CASE("nested: stopping the parent stops its .sync child", "[runtime][nested]") {
  Harness h;
  h.invoker.hold = true;  // the child's Task never answers by itself
  PutChild(h);
  std::string parent = h.Start(Parent("arn:aws:states:::states:startExecution.sync"), R"({"x": 0})");
  std::thread loop([&] { (void)h.executor->Run(); });
  for (int i = 0; i < 2000 && h.invoker.Calls().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(h.invoker.Calls().size() == 1);  // the child's Task is in flight
  auto children = Children(h, parent);
  REQUIRE(children.size() == 1);
  REQUIRE(h.executor->Stop(parent, "Operator.Stop", std::nullopt).ok());
  std::string child_status;
  for (int i = 0; i < 2000; ++i) {
    child_status = h.Record(children[0].id).status;
    if (child_status != store::kRunning) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  h.executor->Shutdown();
  loop.join();
  CHECK(h.Record(parent).status == store::kAborted);
  CHECK(child_status == store::kAborted);
  CHECK_THAT(h.Record(children[0].id).cause.value_or(""), Contains(parent));
}

TEST_CASE("nested: a .sync Task that times out stops its child", "[runtime][nested]") {
  Harness h;
  PutChild(h, R"({"StartAt": "Long", "States": {
    "Long": {"Type": "Wait", "Seconds": 3600, "End": true}}})");
  auto parent = h.Run(R"({"StartAt": "Call", "States": {
    "Call": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
             "Parameters": {"StateMachineArn": "child"}, "TimeoutSeconds": 10,
             "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "TimedOut"}], "End": true},
    "TimedOut": {"Type": "Succeed"}}})");
  REQUIRE(parent.status == store::kSucceeded);
  CHECK(h.Count(parent.id, "TaskTimedOut") == 1);
  auto children = Children(h, parent.id);
  REQUIRE(children.size() == 1);
  CHECK(children[0].status == store::kAborted);
}

TEST_CASE("nested: redriving the parent redrives its failed .sync child", "[runtime][nested]") {
  Harness h;
  bool fail = true;
  h.invoker.handler = [&](const TaskRequest& r) {
    if (fail) return TaskOutcome::Failure("Child.Broke", "first run");
    return TaskOutcome::Success(r.input_json);
  };
  PutChild(h);
  auto first = h.Run(Parent("arn:aws:states:::states:startExecution.sync:2"), R"({"x": 3})");
  REQUIRE(first.status == store::kFailed);
  auto children = Children(h, first.id);
  REQUIRE(children.size() == 1);
  const std::string child = children[0].id;
  REQUIRE(h.Record(child).status == store::kFailed);

  fail = false;
  REQUIRE(h.executor->Redrive(first.id).ok());
  REQUIRE(h.executor->RunUntilIdle().ok());
  auto parent = h.Record(first.id);
  REQUIRE(parent.status == store::kSucceeded);
  // The same child, redriven, not a new one.
  children = Children(h, first.id);
  REQUIRE(children.size() == 1);
  CHECK(children[0].id == child);
  CHECK(children[0].redrive_count == 1);
  CHECK(children[0].status == store::kSucceeded);
  CHECK(Output(parent)["Output"]["x"] == 3);
}

TEST_CASE("nested: a service integration calls what it resolves to with its Parameters",
          "[runtime][nested]") {
  Harness h;
  auto r = h.Run(R"({"StartAt": "Notify", "States": {
    "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
               "Parameters": {"TopicArn": "t", "Message.$": "$.m"}, "End": true}}})",
                 R"({"m": "hello"})");
  REQUIRE(r.status == store::kSucceeded);
  auto calls = h.invoker.Calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].function == "arn:aws:states:::sns:publish");
  CHECK(Json::parse(calls[0].input_json) == Json{{"TopicArn", "t"}, {"Message", "hello"}});
  CHECK_THAT(h.History(r.id)[2].details,
             Contains(R"("resource":"publish")") && Contains(R"("resourceType":"sns")"));
}

TEST_CASE("nested: definition checks run before a machine is stored", "[runtime][nested]") {
  runtime::ExecutorOptions options;
  options.check_definition = [](const graph::Graph&) {
    return Status::InvalidArgument("cannot run here");
  };
  Harness h(options);
  auto put = h.executor->PutStateMachine("child", kChild);
  CHECK(put.status().code() == StatusCode::kInvalidArgument);
  CHECK(h.store->ListStateMachines()->empty());
}

}  // namespace
}  // namespace stepflow::runtime
