// Nested executions through a real `stepflow server`: a parent starting a
// child with each of the four forms of states:startExecution, a child that
// fails, a parent stopped (its .sync child stopped, the child's call
// cancelled at the worker), a parent redriven (its failed child redriven),
// and the link between the two in DescribeExecution, both ways.
#include "tests/integration/server_harness.h"

namespace {

using namespace stepflow::itest;
using Catch::Matchers::Contains;

void MustRegister(Server& server, const std::string& name, const std::string& endpoint) {
  v1::RegisterFunctionRequest req;
  req.set_name(name);
  req.set_endpoint(endpoint);
  v1::RegisterFunctionResponse resp;
  grpc::Status st = server.Call(&Stub::RegisterFunction, req, &resp);
  INFO(StatusText(st));
  REQUIRE(st.ok());
}

// A child whose one Task calls `function` with the child's input.
Json Child(const std::string& function) {
  return {{"StartAt", "Work"},
          {"States", {{"Work", {{"Type", "Task"}, {"Resource", function}, {"End", true}}}}}};
}

// A parent whose one Task starts `child` with `resource`.
Json Parent(const std::string& resource, const Json& input, const std::string& child = "child") {
  return {{"StartAt", "Start"},
          {"States",
           {{"Start",
             {{"Type", "Task"},
              {"Resource", resource},
              {"Parameters",
               {{"StateMachineArn", "arn:aws:states:us-east-1:123456789012:stateMachine:" + child},
                {"Input", input}}},
              {"End", true}}}}}};
}

std::vector<std::string> Children(Server& server, const std::string& parent) {
  v1::Execution e = server.Describe(parent);
  return {e.child_execution_ids().begin(), e.child_execution_ids().end()};
}

}  // namespace

TEST_CASE("nested: a parent starts children with each of the four forms",
          "[integration][nested]") {
  TestWorker worker;
  Server server;
  MustRegister(server, "echo", worker.endpoint());
  server.CreateMachine("child", Child("echo"));
  const Json input = {{"order", 7},
                      {"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$", "$$.Execution.Id"}};

  SECTION("request-response: the child's ARN and start date") {
    server.CreateMachine("parent", Parent("arn:aws:states:::states:startExecution", input));
    std::string id = server.Start("parent");
    Json out = ParseJson(server.WaitForStatus(id, "SUCCEEDED").output_json());
    CHECK(out.size() == 2);
    CHECK_THAT(out["ExecutionArn"].get<std::string>(), Contains(":execution:child:"));
    CHECK(out["StartDate"].is_string());
    auto children = Children(server, id);
    REQUIRE(children.size() == 1);
    server.WaitForStatus(children[0], "SUCCEEDED");
    CHECK(server.Describe(children[0]).parent_execution_id() == id);
  }
  SECTION(".sync: the child's description, Output as JSON text") {
    server.CreateMachine("parent", Parent("arn:aws:states:::states:startExecution.sync", input));
    std::string id = server.Start("parent");
    Json out = ParseJson(server.WaitForStatus(id, "SUCCEEDED").output_json());
    REQUIRE(out["Output"].is_string());
    CHECK(ParseJson(out["Output"].get<std::string>())["order"] == 7);
    CHECK(out["Status"] == "SUCCEEDED");
    auto types = server.HistoryTypes(id);
    CHECK(std::count(types.begin(), types.end(), "TaskSubmitted") == 1);
  }
  SECTION(".sync:2: the child's description, Output as JSON") {
    server.CreateMachine("parent", Parent("arn:aws:states:::states:startExecution.sync:2", input));
    std::string id = server.Start("parent");
    Json out = ParseJson(server.WaitForStatus(id, "SUCCEEDED").output_json());
    CHECK(out["Output"]["order"] == 7);
    // The child's input carries the parent's id, as on AWS.
    CHECK(out["Input"]["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == id);
    auto children = Children(server, id);
    REQUIRE(children.size() == 1);
    CHECK(server.Describe(children[0]).parent_execution_id() == id);
  }
  SECTION(".waitForTaskToken: the child is started, SendTaskSuccess completes the Task") {
    server.CreateMachine("holder", {{"StartAt", "Wait"},
                                    {"States", {{"Wait", {{"Type", "Wait"}, {"Seconds", 3600},
                                                          {"End", true}}}}}});
    server.CreateMachine(
        "parent", Parent("arn:aws:states:::states:startExecution.waitForTaskToken",
                         {{"token.$", "$$.Task.Token"}}, "holder"));
    std::string id = server.Start("parent");
    std::vector<std::string> children;
    WaitUntil([&] { return !(children = Children(server, id)).empty(); }, "the child to start");
    Json child_input = ParseJson(server.Describe(children[0]).input_json());
    const std::string token = child_input["token"];
    WaitUntil([&] { return CountType(server.History(id), "TaskSubmitted") == 1; },
              "TaskSubmitted in the parent");
    v1::SendTaskSuccessRequest ok;
    ok.set_task_token(token);
    ok.set_output_json(R"({"approved": true})");
    v1::SendTaskResponse resp;
    REQUIRE(server.Call(&Stub::SendTaskSuccess, ok, &resp).ok());
    CHECK(ParseJson(server.WaitForStatus(id, "SUCCEEDED").output_json()) ==
          Json{{"approved", true}});
    CHECK(server.Describe(children[0]).status() == "RUNNING");  // not waited for
  }
}

TEST_CASE("nested: a failed child fails the parent's Task, a redrive of the parent redrives it",
          "[integration][nested]") {
  TestWorker worker;
  Server server;
  MustRegister(server, "fail_until_flag", worker.endpoint());
  server.CreateMachine("child", Child("fail_until_flag"));
  const std::string flag = server.dir().File("flag");
  server.CreateMachine("parent", Parent("arn:aws:states:::states:startExecution.sync:2",
                                        {{"flag", flag}}));
  std::string id = server.Start("parent");
  v1::Execution failed = server.WaitForStatus(id, "FAILED");
  CHECK(failed.error() == "States.TaskFailed");
  Json cause = ParseJson(failed.cause());
  CHECK(cause["Status"] == "FAILED");
  CHECK(cause["Error"] == "Worker.NotReady");
  auto children = Children(server, id);
  REQUIRE(children.size() == 1);
  CHECK(server.Describe(children[0]).status() == "FAILED");

  WriteFile(flag, "ready");
  grpc::Status st = server.Redrive(id);
  INFO(StatusText(st));
  REQUIRE(st.ok());
  Json out = ParseJson(server.WaitForStatus(id, "SUCCEEDED").output_json());
  CHECK(out["Status"] == "SUCCEEDED");
  // The same child, redriven: no second child.
  CHECK(Children(server, id) == children);
  v1::Execution child = server.Describe(children[0]);
  CHECK(child.status() == "SUCCEEDED");
  CHECK(child.redrive_count() == 1);
  CHECK(worker.LogLines().size() == 2);  // the failed call, then the redriven one
}

TEST_CASE("nested: stopping the parent stops its .sync child and cancels the child's call",
          "[integration][nested]") {
  TestWorker worker;
  Server server;
  MustRegister(server, "sleep", worker.endpoint());
  server.CreateMachine("child", Child("sleep"));
  server.CreateMachine("parent",
                       Parent("arn:aws:states:::states:startExecution.sync", {{"ms", 60000}}));
  std::string id = server.Start("parent");
  WaitUntil([&] { return worker.LogLines().size() == 1; }, "the child's call to reach the worker");
  auto children = Children(server, id);
  REQUIRE(children.size() == 1);
  v1::StopExecutionRequest stop;
  stop.set_execution_id(id);
  stop.set_error("Operator.Cancelled");
  v1::StopExecutionResponse stop_resp;
  REQUIRE(server.Call(&Stub::StopExecution, stop, &stop_resp).ok());
  CHECK(server.Describe(id).status() == "ABORTED");
  server.WaitForStatus(children[0], "ABORTED");
  CHECK_THAT(server.Describe(children[0]).cause(), Contains(id));
  const std::string key = worker.LogLines()[0]["idempotency_key"];
  WaitUntil([&] { return worker.CancelledKeys() == std::vector<std::string>{key}; },
            "the child's call to be cancelled at the worker");
}

TEST_CASE("nested: a parent and its .sync child survive a kill -9 of the server",
          "[integration][nested][restart]") {
  TestWorker worker;
  Server server;
  MustRegister(server, "sleep", worker.endpoint());
  server.CreateMachine("child", Child("sleep"));
  server.CreateMachine("parent",
                       Parent("arn:aws:states:::states:startExecution.sync:2", {{"ms", 300}}));
  std::string id = server.Start("parent");
  WaitUntil([&] { return worker.LogLines().size() == 1; }, "the child's call to reach the worker");
  server.Kill9();
  server.Restart();
  Json out = ParseJson(server.WaitForStatus(id, "SUCCEEDED").output_json());
  CHECK(out["Output"]["ms"] == 300);
  CHECK(Children(server, id).size() == 1);  // the re-sent Task found its child
  CheckDense(server.History(id));
}
