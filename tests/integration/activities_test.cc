// Activities against a real `stepflow server`: PollTask / SendTaskHeartbeat /
// SendTaskSuccess by hand, the heartbeat timeout, and the Python SDK's
// example activity worker (sdk/python/examples/activity_worker.py).
#include "tests/integration/server_harness.h"

namespace {

using namespace stepflow::itest;
using Catch::Matchers::Contains;

const char kReviewArn[] = "arn:aws:states:us-east-1:123456789012:activity:review";

Json ActivityMachine(const std::string& resource, int heartbeat_seconds) {
  Json task = {{"Type", "Task"}, {"Resource", resource}, {"End", true}};
  if (heartbeat_seconds > 0) task["HeartbeatSeconds"] = heartbeat_seconds;
  return {{"StartAt", "Review"}, {"States", {{"Review", task}}}};
}

v1::PollTaskResponse Poll(Server& server, const std::string& activity,
                          const std::string& worker_name) {
  v1::PollTaskRequest req;
  req.set_activity(activity);
  req.set_worker_name(worker_name);
  req.set_wait_seconds(5);
  v1::PollTaskResponse resp;
  grpc::Status st = server.Call(&Stub::PollTask, req, &resp);
  INFO("PollTask " << activity << ": " << StatusText(st));
  REQUIRE(st.ok());
  return resp;
}

}  // namespace

TEST_CASE("an activity task is polled, heartbeated and completed through the API",
          "[integration][activities]") {
  Server server;
  server.CreateMachine("review", ActivityMachine(kReviewArn, 30));
  const std::string id = server.Start("review", R"({"doc":"d-1"})", "rev-1");

  // Any of the three spellings of the activity reaches the same queue.
  v1::PollTaskResponse task = Poll(server, "review", "itest-worker");
  REQUIRE_FALSE(task.task_token().empty());
  CHECK(task.execution_id() == id);
  CHECK(task.state_name() == "Review");
  CHECK(ParseJson(task.input_json()) == Json{{"doc", "d-1"}});
  CHECK(task.heartbeat_seconds() == 30);

  v1::SendTaskHeartbeatRequest hb;
  hb.set_task_token(task.task_token());
  v1::SendTaskResponse ack;
  grpc::Status st = server.Call(&Stub::SendTaskHeartbeat, hb, &ack);
  INFO(StatusText(st));
  REQUIRE(st.ok());
  CHECK(server.Describe(id).status() == "RUNNING");

  v1::SendTaskSuccessRequest ok;
  ok.set_task_token(task.task_token());
  ok.set_output_json(R"({"approved":true,"by":"itest"})");
  REQUIRE(server.Call(&Stub::SendTaskSuccess, ok, &ack).ok());
  v1::Execution e = server.WaitForStatus(id, "SUCCEEDED");
  CHECK(ParseJson(e.output_json()) == Json{{"approved", true}, {"by", "itest"}});

  auto events = server.History(id);
  CheckDense(events);
  std::vector<std::string> types = Types(events);
  auto pos = [&](const std::string& type) {
    return std::find(types.begin(), types.end(), type) - types.begin();
  };
  CHECK(CountType(events, "ActivityScheduled") == 1);
  CHECK(CountType(events, "ActivityStarted") == 1);
  CHECK(CountType(events, "ActivitySucceeded") == 1);
  CHECK(pos("ActivityScheduled") < pos("ActivityStarted"));
  CHECK(pos("ActivityStarted") < pos("ActivitySucceeded"));
  Json scheduled = Details(FirstOfType(events, "ActivityScheduled"));
  CHECK(scheduled.value("resource", "") == kReviewArn);
  CHECK(scheduled.value("heartbeatInSeconds", 0) == 30);
  CHECK(Details(FirstOfType(events, "ActivityStarted")).value("workerName", "") == "itest-worker");
  CHECK(ParseJson(Details(FirstOfType(events, "ActivitySucceeded")).value("output", "")) ==
        Json{{"approved", true}, {"by", "itest"}});

  // The token is spent.
  st = server.Call(&Stub::SendTaskSuccess, ok, &ack);
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(server.Call(&Stub::SendTaskHeartbeat, hb, &ack).error_code() ==
        grpc::StatusCode::NOT_FOUND);

  // Nothing else waits: a short poll comes back empty.
  v1::PollTaskRequest req;
  req.set_activity("activity:review");
  req.set_wait_seconds(1);
  v1::PollTaskResponse none;
  REQUIRE(server.Call(&Stub::PollTask, req, &none).ok());
  CHECK(none.task_token().empty());
}

TEST_CASE("heartbeats keep an activity task alive past HeartbeatSeconds",
          "[integration][activities]") {
  Server server;
  server.CreateMachine("review", ActivityMachine("activity:review", 2));
  const std::string id = server.Start("review", R"({"doc":"d-hb"})");
  v1::PollTaskResponse task = Poll(server, "review", "diligent");
  REQUIRE(task.execution_id() == id);
  // 3 s of work, a heartbeat every 200 ms: never 2 s without one.
  v1::SendTaskHeartbeatRequest hb;
  hb.set_task_token(task.task_token());
  v1::SendTaskResponse ack;
  const auto until = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < until) {
    grpc::Status st = server.Call(&Stub::SendTaskHeartbeat, hb, &ack);
    INFO(StatusText(st));
    REQUIRE(st.ok());
    std::this_thread::sleep_for(200ms);
  }
  CHECK(server.Describe(id).status() == "RUNNING");
  v1::SendTaskSuccessRequest ok;
  ok.set_task_token(task.task_token());
  ok.set_output_json(R"("reviewed")");
  REQUIRE(server.Call(&Stub::SendTaskSuccess, ok, &ack).ok());
  CHECK(ParseJson(server.WaitForStatus(id, "SUCCEEDED").output_json()) == Json("reviewed"));
}

TEST_CASE("an activity without heartbeats fails with States.HeartbeatTimeout",
          "[integration][activities]") {
  Server server;
  server.CreateMachine("review", ActivityMachine("activity:review", 1));
  const std::string id = server.Start("review", R"({"doc":"d-2"})");

  v1::PollTaskResponse task = Poll(server, kReviewArn, "sleepy");
  REQUIRE(task.execution_id() == id);
  CHECK(task.heartbeat_seconds() == 1);

  // No heartbeat: the task times out after HeartbeatSeconds.
  v1::Execution e = server.WaitForStatus(id, "FAILED");
  CHECK(e.error() == "States.HeartbeatTimeout");
  auto events = server.History(id);
  CheckDense(events);
  CHECK(CountType(events, "ActivityTimedOut") == 1);
  CHECK(Details(FirstOfType(events, "ActivityTimedOut")).value("error", "") ==
        "States.HeartbeatTimeout");

  // The token no longer works.
  v1::SendTaskSuccessRequest late;
  late.set_task_token(task.task_token());
  late.set_output_json("{}");
  v1::SendTaskResponse ack;
  grpc::Status st = server.Call(&Stub::SendTaskSuccess, late, &ack);
  INFO(StatusText(st));
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  v1::SendTaskHeartbeatRequest hb;
  hb.set_task_token(task.task_token());
  CHECK(server.Call(&Stub::SendTaskHeartbeat, hb, &ack).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  CHECK(server.Describe(id).status() == "FAILED");
}

TEST_CASE("a HeartbeatTimeout can be caught", "[integration][activities]") {
  Server server;
  Json def = ActivityMachine("activity:review", 1);
  def["States"]["Review"]["Catch"] = Json::array(
      {{{"ErrorEquals", {"States.HeartbeatTimeout"}}, {"ResultPath", "$.err"}, {"Next", "Late"}}});
  def["States"]["Late"] = {{"Type", "Pass"}, {"End", true}};
  server.CreateMachine("review", def);
  const std::string id = server.Start("review", R"({"doc":"d-3"})");
  Poll(server, "review", "forgetful");
  v1::Execution e = server.WaitForStatus(id, "SUCCEEDED");
  Json out = ParseJson(e.output_json());
  CHECK(out["err"].value("Error", "") == "States.HeartbeatTimeout");
  CHECK(out.value("doc", "") == "d-3");
}

TEST_CASE("the Python SDK activity worker completes an activity execution",
          "[integration][activities][python]") {
  Server server;
  server.CreateMachine("pyreview", ActivityMachine(kReviewArn, 10));
  PythonProcess worker("activity_worker.py",
                       {"--server", server.address(), "--activity", "review", "--worker-name",
                        "py-worker", "--wait-seconds", "1"},
                       "POLLING review");
  const std::string id =
      server.Start("pyreview", R"({"doc":"d-py","sleep":0.3,"heartbeat_every":0.1})");
  v1::Execution e = server.WaitForStatus(id, "SUCCEEDED");
  INFO("worker stderr: " << worker.Stderr());
  Json out = ParseJson(e.output_json());
  CHECK(out["echo"] == Json{{"doc", "d-py"}, {"sleep", 0.3}, {"heartbeat_every", 0.1}});
  CHECK(out.value("heartbeats", 0) >= 1);
  auto events = server.History(id);
  CHECK(Details(FirstOfType(events, "ActivityStarted")).value("workerName", "") == "py-worker");
  CHECK(CountType(events, "ActivitySucceeded") == 1);

  // A failing task: the worker sends SendTaskFailure.
  const std::string failing = server.Start("pyreview", R"({"fail":true,"cause":"rejected"})");
  v1::Execution f = server.WaitForStatus(failing, "FAILED");
  CHECK(f.error() == "Activity.Failed");
  CHECK(f.cause() == "rejected");
}
