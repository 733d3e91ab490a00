// `.waitForTaskToken` Tasks against a real `stepflow server` and the real
// test worker: the worker's `echo` gets the token (as $$.Task.Token in the
// Parameters); the execution then waits for SendTaskSuccess/SendTaskFailure.
#include "tests/integration/server_harness.h"

namespace {

using namespace stepflow::itest;
using Catch::Matchers::Contains;

Json CallbackMachine(const TestWorker& worker) {
  return {{"StartAt", "Ask"},
          {"States",
           {{"Ask",
             {{"Type", "Task"},
              {"Resource", worker.Resource("echo") + ".waitForTaskToken"},
              {"Parameters", {{"token.$", "$$.Task.Token"}, {"question.$", "$.q"}}},
              {"End", true}}}}}};
}

// The token, read from the TaskScheduled event's parameters once it is
// there (bounded wait).
std::string TokenFromHistory(Server& server, const std::string& id) {
  std::string token;
  WaitUntil(
      [&] {
        for (const auto& e : server.History(id)) {
          if (e.type() != "TaskScheduled") continue;
          Json params = ParseJson(Details(e).value("parameters", ""));
          token = params.value("token", "");
        }
        return !token.empty();
      },
      "TaskScheduled of " + id);
  return token;
}

grpc::Status SendSuccess(Server& server, const std::string& token, const std::string& output) {
  v1::SendTaskSuccessRequest req;
  req.set_task_token(token);
  req.set_output_json(output);
  v1::SendTaskResponse ack;
  return server.Call(&Stub::SendTaskSuccess, req, &ack);
}

}  // namespace

TEST_CASE("a .waitForTaskToken Task completes with SendTaskSuccess", "[integration][callbacks]") {
  TestWorker worker;
  Server server;
  server.CreateMachine("cb", CallbackMachine(worker));
  const std::string id = server.Start("cb", R"({"q":"proceed?"})", "c1");

  const std::string token = TokenFromHistory(server, id);
  CHECK(token.rfind(id + "/", 0) == 0);
  // The worker received the same token, in its input and as task_token.
  WaitUntil([&] { return !worker.LogLines().empty(); }, "the worker's echo call");
  Json call = worker.LogLines().front();
  CHECK(call.value("task_token", "") == token);
  CHECK(call["input"] == Json({{"token", token}, {"question", "proceed?"}}));
  // The call returned, but the execution waits for the token.
  WaitUntil(
      [&] {
        auto types = server.HistoryTypes(id);
        return std::find(types.begin(), types.end(), "TaskSubmitted") != types.end();
      },
      "TaskSubmitted (the call returned)");
  CHECK(server.Describe(id).status() == "RUNNING");

  SECTION("output that is not JSON is INVALID_ARGUMENT and the task still waits") {
    grpc::Status st = SendSuccess(server, token, "not json {");
    INFO(StatusText(st));
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(st.error_message(), Contains("output"));
    CHECK(server.Describe(id).status() == "RUNNING");
  }

  SECTION("output over 256 KiB is RESOURCE_EXHAUSTED and the task still waits") {
    grpc::Status st = SendSuccess(server, token, Json(std::string(300 * 1024, 'o')).dump());
    INFO(StatusText(st));
    CHECK(st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK_THAT(st.error_message(), Contains("output"));
    CHECK(server.Describe(id).status() == "RUNNING");
  }

  SECTION("a stopped execution's token is NOT_FOUND") {
    v1::StopExecutionRequest stop;
    stop.set_execution_id(id);
    v1::StopExecutionResponse sresp;
    REQUIRE(server.Call(&Stub::StopExecution, stop, &sresp).ok());
    grpc::Status st = SendSuccess(server, token, "{}");
    INFO(StatusText(st));
    CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK(server.Describe(id).status() == "ABORTED");
    return;
  }

  grpc::Status st = SendSuccess(server, token, R"({"answer":"yes"})");
  INFO(StatusText(st));
  REQUIRE(st.ok());
  v1::Execution e = server.WaitForStatus(id, "SUCCEEDED");
  CHECK(ParseJson(e.output_json()) == Json{{"answer", "yes"}});
  auto events = server.History(id);
  CheckDense(events);
  CHECK(CountType(events, "TaskSucceeded") == 1);
  CHECK(ParseJson(Details(FirstOfType(events, "TaskSucceeded")).value("output", "")) ==
        Json{{"answer", "yes"}});

  // Used once: the token is gone.
  st = SendSuccess(server, token, "{}");
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("a .waitForTaskToken Task fails with SendTaskFailure's error and cause",
          "[integration][callbacks]") {
  TestWorker worker;
  Server server;
  server.CreateMachine("cb", CallbackMachine(worker));
  const std::string id = server.Start("cb", R"({"q":"really?"})", "c2");
  const std::string token = TokenFromHistory(server, id);

  v1::SendTaskFailureRequest req;
  req.set_task_token(token);
  req.set_error("Callback.Rejected");
  req.set_cause("the approver said no");
  v1::SendTaskResponse ack;
  grpc::Status st = server.Call(&Stub::SendTaskFailure, req, &ack);
  INFO(StatusText(st));
  REQUIRE(st.ok());
  v1::Execution e = server.WaitForStatus(id, "FAILED");
  CHECK(e.error() == "Callback.Rejected");
  CHECK(e.cause() == "the approver said no");
  auto events = server.History(id);
  CHECK(CountType(events, "TaskFailed") == 1);
  CHECK(Details(FirstOfType(events, "TaskFailed")).value("error", "") == "Callback.Rejected");

  st = server.Call(&Stub::SendTaskFailure, req, &ack);
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("malformed and unknown task tokens", "[integration][callbacks]") {
  Server server;
  v1::SendTaskResponse ack;
  for (const std::string bad : {"", "garbage", "machine:x/", "/12", "machine:x/abc"}) {
    INFO("token '" << bad << "'");
    grpc::Status st = SendSuccess(server, bad, "{}");
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(st.error_message(), Contains("token"));
    v1::SendTaskHeartbeatRequest hb;
    hb.set_task_token(bad);
    CHECK(server.Call(&Stub::SendTaskHeartbeat, hb, &ack).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
  }
  grpc::Status st = SendSuccess(server, "machine:x/99", "{}");
  INFO(StatusText(st));
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(st.error_message(), Contains("token"));
  v1::SendTaskFailureRequest fail;
  fail.set_task_token("machine:x/99");
  fail.set_error("E");
  CHECK(server.Call(&Stub::SendTaskFailure, fail, &ack).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  v1::SendTaskHeartbeatRequest hb;
  hb.set_task_token("machine:x/99");
  CHECK(server.Call(&Stub::SendTaskHeartbeat, hb, &ack).error_code() ==
        grpc::StatusCode::NOT_FOUND);
}
