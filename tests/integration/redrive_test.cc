// RedriveExecution through the API of a real `stepflow server`: a Task that
// fails until a flag file exists; once the flag is there, a redrive re-runs
// only the failed step and the execution SUCCEEDS.
#include <filesystem>
#include <map>

#include "tests/integration/server_harness.h"

namespace {

using namespace stepflow::itest;
using Catch::Matchers::Contains;

// The calls the worker logged for `execution_id`, by function name.
std::map<std::string, int> CallsByFunction(const TestWorker& worker,
                                           const std::string& execution_id) {
  std::map<std::string, int> calls;
  for (const Json& line : worker.LogLines()) {
    if (line.value("execution_id", "") == execution_id) ++calls[line.value("function", "")];
  }
  return calls;
}

}  // namespace

TEST_CASE("RedriveExecution re-runs only the failed step and the execution SUCCEEDS",
          "[integration][redrive]") {
  TestWorker worker;
  Server server;
  const std::string flag = server.dir().File("ready.flag");
  const Json def = {{"StartAt", "First"},
                    {"States",
                     {{"First",
                       {{"Type", "Task"},
                        {"Resource", worker.Resource("echo")},
                        {"Parameters", {{"first", true}}},
                        {"ResultPath", "$.first"},
                        {"Next", "Second"}}},
                      {"Second",
                       {{"Type", "Task"},
                        {"Resource", worker.Resource("fail_until_flag")},
                        {"Parameters", {{"flag", flag}, {"second", true}}},
                        {"ResultPath", "$.second"},
                        {"End", true}}}}}};
  server.CreateMachine("redrivable", def);
  const std::string id = server.Start("redrivable", R"({"order":7})", "r1");

  v1::Execution failed = server.WaitForStatus(id, "FAILED");
  CHECK(failed.error() == "Worker.NotReady");
  CHECK_THAT(failed.cause(), Contains("ready.flag"));
  CHECK(failed.redrive_count() == 0);
  const std::vector<v1::HistoryEvent> before = server.History(id);
  CheckDense(before);
  CHECK(before.back().type() == "ExecutionFailed");
  CHECK((CallsByFunction(worker, id) ==
         std::map<std::string, int>{{"echo", 1}, {"fail_until_flag", 1}}));

  // Redriving a FAILED execution without the flag fails again (and that is
  // still a redrive), so first make the step able to succeed.
  WriteFile(flag, "ok\n");
  v1::RedriveExecutionResponse resp;
  grpc::Status st = server.Redrive(id, &resp);
  INFO(StatusText(st));
  REQUIRE(st.ok());
  CHECK(resp.redrive_ms() > 0);

  v1::Execution done = server.WaitForStatus(id, "SUCCEEDED");
  CHECK(done.redrive_count() == 1);
  CHECK(done.redrive_ms() == resp.redrive_ms());
  CHECK(ParseJson(done.output_json()) == Json({{"order", 7},
                                               {"first", {{"first", true}}},
                                               {"second", {{"flag", flag}, {"second", true}}}}));

  const std::vector<v1::HistoryEvent> after = server.History(id);
  CheckDense(after);
  // The history before the redrive is an unchanged prefix.
  REQUIRE(after.size() > before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    CHECK(after[i].type() == before[i].type());
    CHECK(after[i].details_json() == before[i].details_json());
  }
  CHECK(after[before.size()].type() == "ExecutionRedriven");
  CHECK(CountType(after, "ExecutionRedriven") == 1);
  CHECK(after.back().type() == "ExecutionSucceeded");
  // The succeeded step was not run again; the failed one ran once more.
  CHECK((CallsByFunction(worker, id) ==
         std::map<std::string, int>{{"echo", 1}, {"fail_until_flag", 2}}));
  int first_scheduled = 0;
  for (const auto& e : after) {
    if (e.type() == "TaskScheduled" &&
        Details(e).value("parameters", "").find("first") != std::string::npos) {
      ++first_scheduled;
    }
  }
  CHECK(first_scheduled == 1);

  // A SUCCEEDED execution cannot be redriven.
  st = server.Redrive(id);
  CHECK(st.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(st.error_message(), Contains(id));
}

TEST_CASE("RedriveExecution of a RUNNING execution is FAILED_PRECONDITION, ABORTED is redrivable",
          "[integration][redrive]") {
  Server server;
  const Json hold = {
      {"StartAt", "Hold"},
      {"States", {{"Hold", {{"Type", "Task"}, {"Resource", "activity:hold"}, {"End", true}}}}}};
  server.CreateMachine("hold", hold);
  const std::string id = server.Start("hold", "{}", "h1");

  grpc::Status st = server.Redrive(id);
  INFO(StatusText(st));
  CHECK(st.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(st.error_message(), Contains("RUNNING"));

  v1::StopExecutionRequest stop;
  stop.set_execution_id(id);
  stop.set_error("Test.Stop");
  v1::StopExecutionResponse sresp;
  REQUIRE(server.Call(&Stub::StopExecution, stop, &sresp).ok());
  server.WaitForStatus(id, "ABORTED");

  // Redriven, the activity is scheduled again; complete it.
  REQUIRE(server.Redrive(id).ok());
  CHECK(server.Describe(id).status() == "RUNNING");
  v1::PollTaskRequest poll;
  poll.set_activity("hold");
  poll.set_wait_seconds(5);
  v1::PollTaskResponse task;
  REQUIRE(server.Call(&Stub::PollTask, poll, &task).ok());
  REQUIRE(task.execution_id() == id);
  v1::SendTaskSuccessRequest ok;
  ok.set_task_token(task.task_token());
  ok.set_output_json(R"({"redriven":true})");
  v1::SendTaskResponse ack;
  REQUIRE(server.Call(&Stub::SendTaskSuccess, ok, &ack).ok());
  v1::Execution e = server.WaitForStatus(id, "SUCCEEDED");
  CHECK(ParseJson(e.output_json()) == Json{{"redriven", true}});
  CHECK(e.redrive_count() == 1);
  CheckDense(server.History(id));
}
