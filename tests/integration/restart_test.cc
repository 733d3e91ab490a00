// A real `stepflow server` killed with SIGKILL (or stopped with SIGTERM)
// while executions are in flight, then started again on the same database:
// every execution finishes, and its history stays one dense list with one
// start, one end, and no Task completed twice (ARCHITECTURE §3).
#include <map>
#include <set>

#include "tests/integration/server_harness.h"

namespace {

using namespace stepflow::itest;
using stepflow::testing::RunCommand;

// `steps` sequential Tasks on the worker's `sleep` (ms each); each adds its
// step number to $.done.
Json SleepSteps(const TestWorker& worker, int steps, int ms) {
  Json states = Json::object();
  for (int i = 0; i < steps; ++i) {
    Json state = {{"Type", "Task"},
                  {"Resource", worker.Resource("sleep")},
                  {"Parameters", {{"ms", ms}, {"step", i}}},
                  {"ResultSelector", {{"step.$", "$.step"}}},
                  {"ResultPath", "$.s" + std::to_string(i)}};
    if (i + 1 < steps) {
      state["Next"] = "Step" + std::to_string(i + 1);
    } else {
      state["End"] = true;
    }
    states["Step" + std::to_string(i)] = state;
  }
  return {{"StartAt", "Step0"}, {"States", states}};
}

// No TaskScheduled is followed by two TaskSucceeded (per state path, every
// TaskSucceeded comes after its own TaskScheduled).
void CheckNoTaskCompletedTwice(const std::vector<v1::HistoryEvent>& events) {
  std::map<std::string, int> open;  // state path → TaskScheduled without a result yet
  for (const auto& e : events) {
    INFO("event " << e.id() << " " << e.type() << " [" << e.state_path() << "]");
    if (e.type() == "TaskScheduled") {
      CHECK(open[e.state_path()] == 0);
      open[e.state_path()] = 1;
    } else if (e.type() == "TaskSucceeded" || e.type() == "TaskFailed" ||
               e.type() == "TaskTimedOut") {
      CHECK(open[e.state_path()] == 1);
      open[e.state_path()] = 0;
    }
  }
}

}  // namespace

TEST_CASE("kill -9 of the server with executions in flight, then a restart finishes them all",
          "[integration][restart]") {
  TestWorker worker;
  Server server;
  constexpr int kExecutions = 20;
  constexpr int kSteps = 4;
  server.CreateMachine("steps", SleepSteps(worker, kSteps, 150));
  std::vector<std::string> ids;
  for (int i = 0; i < kExecutions; ++i) {
    ids.push_back(server.Start("steps", Json{{"n", i}}.dump(), "e" + std::to_string(i)));
  }
  // Mid-way: about half of all the calls have reached the worker.
  WaitUntil([&] { return worker.LogLines().size() >= kExecutions * kSteps / 2; },
            "half of the worker calls");
  server.Kill9();

  // While the server is down, the database says RUNNING for the unfinished
  // ones (the embedded reader needs no server).
  auto listed =
      RunCommand({STEPFLOW_BINARY, "exec", "list", "--db", server.db(), "--json"}, {}, 30s);
  INFO("exec list: " << listed.out << listed.err);
  REQUIRE(listed.exit_code == 0);
  Json rows = ParseJson(listed.out);
  REQUIRE(rows.is_array());
  CHECK(rows.size() == kExecutions);
  int running_after_kill = 0;
  for (const Json& row : rows) running_after_kill += row.value("status", "") == "RUNNING";
  CHECK(running_after_kill > 0);

  server.Restart();
  for (const std::string& id : ids) {
    INFO("execution " << id);
    v1::Execution e = server.WaitForStatus(id, "SUCCEEDED", 20s);
    Json out = ParseJson(e.output_json());
    for (int s = 0; s < kSteps; ++s) CHECK(out["s" + std::to_string(s)] == Json{{"step", s}});
    auto events = server.History(id);
    CheckDense(events);
    CHECK(CountType(events, "ExecutionSucceeded") == 1);
    CHECK(events.back().type() == "ExecutionSucceeded");
    CHECK(CountType(events, "TaskScheduled") == kSteps);
    CHECK(CountType(events, "TaskSucceeded") == kSteps);
    CheckNoTaskCompletedTwice(events);
  }

  // Re-sent calls reuse their idempotency key: one key per TaskScheduled,
  // so at most kSteps distinct keys per execution.
  std::map<std::string, std::set<std::string>> keys;
  for (const Json& line : worker.LogLines()) {
    keys[line.value("execution_id", "")].insert(line.value("idempotency_key", ""));
  }
  for (const std::string& id : ids) {
    INFO("execution " << id);
    CHECK(keys[id].size() == kSteps);
  }
}

TEST_CASE("SIGTERM leaves waiting executions RUNNING, a restart finishes them",
          "[integration][restart]") {
  Server server;
  const Json waiter = {
      {"StartAt", "W"},
      {"States",
       {{"W", {{"Type", "Wait"}, {"Seconds", 3}, {"Next", "Done"}}},
        {"Done", {{"Type", "Pass"}, {"Result", "after the wait"}, {"End", true}}}}}};
  const Json holder = {
      {"StartAt", "Hold"},
      {"States", {{"Hold", {{"Type", "Task"}, {"Resource", "activity:approve"}, {"End", true}}}}}};
  server.CreateMachine("waiter", waiter);
  server.CreateMachine("holder", holder);
  const std::string waiting = server.Start("waiter", "{}", "w1");
  const std::string held = server.Start("holder", R"({"doc":1})", "h1");

  stepflow::testing::ExitStatus status = server.Terminate();
  INFO("server log:\n" << server.Log());
  CHECK(status.Exited());
  CHECK(status.code == 0);

  // The database says RUNNING for both (read without a server).
  for (const std::string& id : {waiting, held}) {
    auto described = RunCommand(
        {STEPFLOW_BINARY, "exec", "describe", id, "--db", server.db(), "--json"}, {}, 30s);
    INFO("exec describe: " << described.out << described.err);
    REQUIRE(described.exit_code == 0);
    CHECK(ParseJson(described.out).value("status", "") == "RUNNING");
  }

  server.Restart();
  // The activity task waits again for a worker after the restart.
  v1::PollTaskRequest poll;
  poll.set_activity("approve");
  poll.set_worker_name("after-restart");
  poll.set_wait_seconds(5);
  v1::PollTaskResponse task;
  REQUIRE(server.Call(&Stub::PollTask, poll, &task).ok());
  REQUIRE(task.execution_id() == held);
  CHECK(ParseJson(task.input_json()) == Json{{"doc", 1}});
  v1::SendTaskSuccessRequest ok;
  ok.set_task_token(task.task_token());
  ok.set_output_json(R"({"approved":true})");
  v1::SendTaskResponse ack;
  REQUIRE(server.Call(&Stub::SendTaskSuccess, ok, &ack).ok());
  CHECK(ParseJson(server.WaitForStatus(held, "SUCCEEDED").output_json()) ==
        Json{{"approved", true}});

  v1::Execution e = server.WaitForStatus(waiting, "SUCCEEDED");
  CHECK(ParseJson(e.output_json()) == Json("after the wait"));
  for (const std::string& id : {waiting, held}) {
    auto events = server.History(id);
    CheckDense(events);
    CHECK(CountType(events, "ExecutionSucceeded") == 1);
  }
  CHECK(CountType(server.History(waiting), "WaitStateEntered") == 1);
  CHECK(CountType(server.History(held), "ActivityScheduled") == 1);
}

// Regression: SIGTERM used to give the API a grace period (which gRPC spends
// waiting for idle connections) before stopping the engine, which kept
// running executions meanwhile.
TEST_CASE("SIGTERM with an idle client connection open stops without advancing executions",
          "[integration][restart]") {
  Server server;
  const Json waiter = {{"StartAt", "W"},
                       {"States",
                        {{"W", {{"Type", "Wait"}, {"Seconds", 1}, {"Next", "Done"}}},
                         {"Done", {{"Type", "Pass"}, {"End", true}}}}}};
  server.CreateMachine("waiter", waiter);
  const std::string id = server.Start("waiter", "{}", "w1");
  // Another client connection that stays open across the SIGTERM.
  auto idle = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  REQUIRE(idle->WaitForConnected(std::chrono::system_clock::now() + kWait));

  stepflow::testing::ExitStatus status = server.Terminate();
  INFO("server log:\n" << server.Log());
  CHECK(status.code == 0);
  auto described =
      RunCommand({STEPFLOW_BINARY, "exec", "describe", id, "--db", server.db(), "--json"}, {}, 30s);
  INFO("exec describe: " << described.out << described.err);
  REQUIRE(described.exit_code == 0);
  CHECK(ParseJson(described.out).value("status", "") == "RUNNING");
}

TEST_CASE("activity and callback tokens handed out before a kill -9 still work after the restart",
          "[integration][restart]") {
  TestWorker worker;
  Server server;
  const Json activity = {
      {"StartAt", "Review"},
      {"States", {{"Review", {{"Type", "Task"}, {"Resource", "activity:review"}, {"End", true}}}}}};
  const Json callback = {{"StartAt", "Ask"},
                         {"States",
                          {{"Ask",
                            {{"Type", "Task"},
                             {"Resource", worker.Resource("echo") + ".waitForTaskToken"},
                             {"Parameters", {{"token.$", "$$.Task.Token"}}},
                             {"End", true}}}}}};
  server.CreateMachine("activity", activity);
  server.CreateMachine("callback", callback);
  const std::string a = server.Start("activity", R"({"k":"a"})", "a1");
  const std::string c = server.Start("callback", R"({"k":"c"})", "c1");

  v1::PollTaskRequest poll;
  poll.set_activity("review");
  poll.set_worker_name("before-crash");
  poll.set_wait_seconds(5);
  v1::PollTaskResponse task;
  REQUIRE(server.Call(&Stub::PollTask, poll, &task).ok());
  REQUIRE(task.execution_id() == a);
  // The callback's token as the worker received it.
  WaitUntil([&] { return !worker.LogLines().empty(); }, "the callback's call to the worker");
  const std::string callback_token = worker.LogLines().front().value("task_token", "");
  REQUIRE(callback_token.rfind(c + "/", 0) == 0);

  server.Kill9();
  server.Restart();

  v1::SendTaskResponse ack;
  v1::SendTaskSuccessRequest done;
  done.set_task_token(task.task_token());
  done.set_output_json(R"({"activity":"done"})");
  grpc::Status st = server.Call(&Stub::SendTaskSuccess, done, &ack);
  INFO(StatusText(st));
  REQUIRE(st.ok());
  CHECK(ParseJson(server.WaitForStatus(a, "SUCCEEDED").output_json()) ==
        Json{{"activity", "done"}});

  done.set_task_token(callback_token);
  done.set_output_json(R"({"callback":"done"})");
  st = server.Call(&Stub::SendTaskSuccess, done, &ack);
  INFO(StatusText(st));
  REQUIRE(st.ok());
  CHECK(ParseJson(server.WaitForStatus(c, "SUCCEEDED").output_json()) ==
        Json{{"callback", "done"}});
  for (const std::string& id : {a, c}) {
    auto events = server.History(id);
    CheckDense(events);
    CHECK(CountType(events, "ExecutionSucceeded") == 1);
  }
}

namespace {

using namespace stepflow::itest;
using stepflow::testing::RunCommand;

TEST_CASE("an execution whose checkpoint is unusable does not keep the server down",
          "[integration][restart]") {
  Server server;
  const Json holder = {
      {"StartAt", "Hold"},
      {"States", {{"Hold", {{"Type", "Task"}, {"Resource", "activity:approve"}, {"End", true}}}}}};
  server.CreateMachine("holder", holder);
  const std::string broken = server.Start("holder", R"({"doc":1})", "broken");
  const std::string fine = server.Start("holder", R"({"doc":2})", "fine");
  REQUIRE(server.Terminate().code == 0);

  // Damage one checkpoint behind the server's back.
  auto damaged = RunCommand({"/usr/bin/python3", "-c",
                             "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
                             "db.execute(\"UPDATE executions SET state = x'c1c1' WHERE id = ?\", "
                             "(sys.argv[2],)); db.commit()",
                             server.db(), broken},
                            {}, 30s);
  INFO(damaged.out << damaged.err);
  REQUIRE(damaged.exit_code == 0);

  server.Restart();
  // The other execution was resumed: its activity task is there to poll.
  v1::PollTaskRequest poll;
  poll.set_activity("approve");
  poll.set_wait_seconds(5);
  v1::PollTaskResponse task;
  REQUIRE(server.Call(&Stub::PollTask, poll, &task).ok());
  CHECK(task.execution_id() == fine);
  v1::SendTaskSuccessRequest ok;
  ok.set_task_token(task.task_token());
  ok.set_output_json("{}");
  v1::SendTaskResponse sent;
  REQUIRE(server.Call(&Stub::SendTaskSuccess, ok, &sent).ok());
  server.WaitForStatus(fine, "SUCCEEDED");
  CHECK(server.Describe(broken).status() == "RUNNING");  // left as it was
  CHECK_THAT(server.Log(), Catch::Matchers::Contains("cannot be resumed"));
}

}  // namespace
