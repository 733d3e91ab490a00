// Executions through the API of a real `stepflow server`: idempotent
// starts, listing with filters and pages, stopping, and the errors of bad
// requests (status code and a message that names the offending thing).
#include <barrier>
#include <map>
#include <set>
#include <thread>

#include "tests/integration/server_harness.h"

namespace {

using namespace stepflow::itest;
using Catch::Matchers::Contains;

Json LongWait() {
  return {{"StartAt", "W"},
          {"States", {{"W", {{"Type", "Wait"}, {"Seconds", 3600}, {"End", true}}}}}};
}

Json Pass() { return {{"StartAt", "P"}, {"States", {{"P", {{"Type", "Pass"}, {"End", true}}}}}}; }

grpc::Status Stop(Server& server, const std::string& id, const std::string& error = "",
                  std::optional<std::string> cause = std::nullopt) {
  v1::StopExecutionRequest req;
  req.set_execution_id(id);
  req.set_error(error);
  if (cause) req.set_cause(*cause);
  v1::StopExecutionResponse resp;
  return server.Call(&Stub::StopExecution, req, &resp);
}

// Every page of ListExecutions with `max_results`; the ids in order.
std::vector<std::string> ListAllPages(Server& server, const std::string& machine,
                                      const std::string& status, int32_t max_results, int* pages) {
  std::vector<std::string> ids;
  std::string token;
  *pages = 0;
  do {
    v1::ListExecutionsRequest req;
    req.set_state_machine(machine);
    req.set_status(status);
    req.set_max_results(max_results);
    req.set_next_token(token);
    v1::ListExecutionsResponse resp;
    grpc::Status st = server.Call(&Stub::ListExecutions, req, &resp);
    INFO("ListExecutions page " << *pages << ": " << StatusText(st));
    REQUIRE(st.ok());
    REQUIRE(resp.executions_size() <= max_results);
    for (const auto& e : resp.executions()) {
      ids.push_back(e.execution_id());
      if (!machine.empty()) CHECK(e.state_machine() == machine);
      if (!status.empty()) CHECK(e.status() == status);
    }
    token = resp.next_token();
    REQUIRE(++*pages < 100);
  } while (!token.empty());
  return ids;
}

}  // namespace

TEST_CASE("StartExecution is idempotent for the same name and input while RUNNING",
          "[integration][executions]") {
  Server server;
  server.CreateMachine("hold", LongWait());

  v1::StartExecutionResponse first;
  REQUIRE(server.TryStart("hold", R"({"order":1})", "order-1", &first).ok());
  CHECK(first.execution_id() == "hold:order-1");
  CHECK_FALSE(first.already_started());
  CHECK(first.version() == 1);

  // Same input, differently spelled JSON: the same execution.
  v1::StartExecutionResponse again;
  REQUIRE(server.TryStart("hold", R"({ "order" : 1 })", "order-1", &again).ok());
  CHECK(again.execution_id() == first.execution_id());
  CHECK(again.already_started());
  CHECK(again.start_ms() == first.start_ms());

  v1::StartExecutionResponse other;
  grpc::Status st = server.TryStart("hold", R"({"order":2})", "order-1", &other);
  INFO(StatusText(st));
  CHECK(st.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  CHECK_THAT(st.error_message(), Contains("order-1"));

  // Once closed, even the same input is ALREADY_EXISTS.
  REQUIRE(Stop(server, first.execution_id()).ok());
  server.WaitForStatus(first.execution_id(), "ABORTED");
  st = server.TryStart("hold", R"({"order":1})", "order-1", &other);
  CHECK(st.error_code() == grpc::StatusCode::ALREADY_EXISTS);

  // The same name on another machine is another execution.
  server.CreateMachine("pass", Pass());
  v1::StartExecutionResponse elsewhere;
  REQUIRE(server.TryStart("pass", R"({"order":1})", "order-1", &elsewhere).ok());
  CHECK(elsewhere.execution_id() == "pass:order-1");
  CHECK_FALSE(elsewhere.already_started());

  // Only one execution was stored for the repeated starts.
  v1::ListExecutionsRequest lreq;
  lreq.set_state_machine("hold");
  v1::ListExecutionsResponse list;
  REQUIRE(server.Call(&Stub::ListExecutions, lreq, &list).ok());
  CHECK(list.executions_size() == 1);
}

TEST_CASE("ListExecutions filters by machine and status and pages through every execution once",
          "[integration][executions]") {
  Server server;
  server.CreateMachine("fast", Pass());
  server.CreateMachine("slow", LongWait());
  std::set<std::string> fast, slow;
  for (int i = 0; i < 7; ++i) fast.insert(server.Start("fast", "{}", "f" + std::to_string(i)));
  for (int i = 0; i < 5; ++i) slow.insert(server.Start("slow", "{}", "s" + std::to_string(i)));
  for (const auto& id : fast) server.WaitForStatus(id, "SUCCEEDED");
  // One slow execution stopped: ABORTED.
  const std::string stopped = "slow:s2";
  REQUIRE(Stop(server, stopped).ok());
  server.WaitForStatus(stopped, "ABORTED");

  auto as_set = [](const std::vector<std::string>& ids) {
    return std::set<std::string>(ids.begin(), ids.end());
  };
  std::set<std::string> all = fast;
  all.insert(slow.begin(), slow.end());

  for (int32_t page_size : {1, 3, 5, 12, 1000}) {
    INFO("max_results " << page_size);
    int pages = 0;
    std::vector<std::string> ids = ListAllPages(server, "", "", page_size, &pages);
    CHECK(ids.size() == all.size());  // no duplicates ...
    CHECK(as_set(ids) == all);        // ... and nothing missing
    CHECK(pages == static_cast<int>((all.size() + page_size - 1) / page_size));
  }

  int pages = 0;
  CHECK(as_set(ListAllPages(server, "fast", "", 2, &pages)) == fast);
  CHECK(ListAllPages(server, "fast", "", 2, &pages).size() == fast.size());
  std::set<std::string> running = slow;
  running.erase(stopped);
  CHECK(as_set(ListAllPages(server, "slow", "RUNNING", 2, &pages)) == running);
  CHECK(as_set(ListAllPages(server, "", "ABORTED", 2, &pages)) == std::set<std::string>{stopped});
  CHECK(as_set(ListAllPages(server, "", "SUCCEEDED", 4, &pages)) == fast);
  CHECK(ListAllPages(server, "fast", "RUNNING", 4, &pages).empty());
  CHECK(ListAllPages(server, "no_such_machine", "", 4, &pages).empty());

  // Listed executions carry no input or output; Describe has them.
  v1::ListExecutionsRequest lreq;
  lreq.set_state_machine("fast");
  lreq.set_max_results(1);
  v1::ListExecutionsResponse list;
  REQUIRE(server.Call(&Stub::ListExecutions, lreq, &list).ok());
  REQUIRE(list.executions_size() == 1);
  CHECK_FALSE(list.executions(0).has_output_json());
  CHECK(list.executions(0).start_ms() > 0);
  CHECK_FALSE(list.next_token().empty());
}

TEST_CASE("StopExecution aborts a waiting execution with the error and cause given",
          "[integration][executions]") {
  Server server;
  server.CreateMachine("hold", LongWait());
  const std::string id = server.Start("hold", R"({"x":1})", "to-stop");

  v1::StopExecutionRequest req;
  req.set_execution_id(id);
  req.set_error("Test.Stopped");
  req.set_cause("stopped by the integration test");
  v1::StopExecutionResponse resp;
  grpc::Status st = server.Call(&Stub::StopExecution, req, &resp);
  INFO(StatusText(st));
  REQUIRE(st.ok());
  CHECK(resp.stop_ms() > 0);

  // StopExecution answers once ABORTED is durable.
  v1::Execution e = server.Describe(id);
  CHECK(e.status() == "ABORTED");
  CHECK(e.error() == "Test.Stopped");
  CHECK(e.cause() == "stopped by the integration test");
  CHECK(e.stop_ms() == resp.stop_ms());
  auto events = server.History(id);
  CheckDense(events);
  CHECK(events.back().type() == "ExecutionAborted");
  Json details = Details(events.back());
  CHECK(details.value("error", "") == "Test.Stopped");
  CHECK(details.value("cause", "") == "stopped by the integration test");

  st = server.Call(&Stub::StopExecution, req, &resp);
  INFO(StatusText(st));
  CHECK(st.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(st.error_message(), Contains(id));
  CHECK_THAT(st.error_message(), Contains("ABORTED"));

  req.set_execution_id("hold:no-such-execution");
  st = server.Call(&Stub::StopExecution, req, &resp);
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(st.error_message(), Contains("hold:no-such-execution"));
}

TEST_CASE("bad requests get the documented status and a message naming the problem",
          "[integration][executions]") {
  Server server;
  server.CreateMachine("pass", Pass());
  const std::string unknown = "pass:does-not-exist";

  SECTION("unknown execution id: NOT_FOUND everywhere") {
    v1::Execution e;
    grpc::Status st = server.TryDescribe(unknown, &e);
    CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK_THAT(st.error_message(), Contains(unknown));

    v1::GetExecutionHistoryRequest hreq;
    hreq.set_execution_id(unknown);
    std::vector<v1::HistoryEvent> events;
    st = server.ReadHistory(hreq, &events);
    CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK_THAT(st.error_message(), Contains(unknown));
    CHECK(events.empty());

    hreq.set_follow(true);
    st = server.ReadHistory(hreq, &events);
    CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);

    st = Stop(server, unknown);
    CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK_THAT(st.error_message(), Contains(unknown));

    st = server.Redrive(unknown);
    CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK_THAT(st.error_message(), Contains(unknown));
  }

  SECTION("unknown state machine: NOT_FOUND") {
    v1::StartExecutionResponse resp;
    grpc::Status st = server.TryStart("no_such_machine", "{}", "", &resp);
    CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
    CHECK_THAT(st.error_message(), Contains("no_such_machine"));
    st = server.TryStart("pass", "{}", "", &resp, /*version=*/7);
    CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  }

  SECTION("input that is not JSON: INVALID_ARGUMENT, nothing stored") {
    v1::StartExecutionResponse resp;
    grpc::Status st = server.TryStart("pass", "{not json", "bad-input", &resp);
    INFO(StatusText(st));
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(st.error_message(), Contains("input"));
    v1::Execution e;
    CHECK(server.TryDescribe("pass:bad-input", &e).error_code() == grpc::StatusCode::NOT_FOUND);
  }

  SECTION("input over 256 KiB: RESOURCE_EXHAUSTED, nothing stored") {
    const std::string big = Json{{"blob", std::string(300 * 1024, 'x')}}.dump();
    v1::StartExecutionResponse resp;
    grpc::Status st = server.TryStart("pass", big, "too-big", &resp);
    INFO(StatusText(st));
    CHECK(st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK_THAT(st.error_message(), Contains("input"));
    CHECK_THAT(st.error_message(), Contains(std::to_string(big.size())));
    v1::Execution e;
    CHECK(server.TryDescribe("pass:too-big", &e).error_code() == grpc::StatusCode::NOT_FOUND);
    v1::ListExecutionsResponse list;
    REQUIRE(server.Call(&Stub::ListExecutions, v1::ListExecutionsRequest(), &list).ok());
    CHECK(list.executions_size() == 0);
  }

  SECTION("definition over 1 MiB: RESOURCE_EXHAUSTED, nothing stored") {
    Json def = Pass();
    def["Comment"] = std::string((1 << 20) + 10, 'c');
    v1::StateMachineVersionRef ref;
    grpc::Status st = server.TryCreateMachine("huge", def.dump(), &ref);
    INFO(StatusText(st));
    CHECK(st.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK_THAT(st.error_message(), Contains("definition"));
    v1::DescribeStateMachineRequest dreq;
    dreq.set_name("huge");
    v1::StateMachineDescription desc;
    CHECK(server.Call(&Stub::DescribeStateMachine, dreq, &desc).error_code() ==
          grpc::StatusCode::NOT_FOUND);
    // Validate has the same limit.
    v1::ValidateRequest vreq;
    vreq.set_definition(def.dump());
    v1::ValidateResponse vresp;
    CHECK(server.Call(&Stub::ValidateStateMachineDefinition, vreq, &vresp).error_code() ==
          grpc::StatusCode::RESOURCE_EXHAUSTED);
  }

  SECTION("execution name with a space: INVALID_ARGUMENT") {
    v1::StartExecutionResponse resp;
    grpc::Status st = server.TryStart("pass", "{}", "has space", &resp);
    INFO(StatusText(st));
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(st.error_message(), Contains("has space"));
    st = server.TryStart("pass", "{}", std::string(81, 'n'), &resp);
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(st.error_message(), Contains("80"));
  }

  SECTION("ListExecutions with status BOGUS: INVALID_ARGUMENT") {
    v1::ListExecutionsRequest req;
    req.set_status("BOGUS");
    v1::ListExecutionsResponse resp;
    grpc::Status st = server.Call(&Stub::ListExecutions, req, &resp);
    INFO(StatusText(st));
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(st.error_message(), Contains("BOGUS"));
  }

  SECTION("a history next_token the server never gave: INVALID_ARGUMENT") {
    const std::string id = server.Start("pass");
    server.WaitForStatus(id, "SUCCEEDED");
    v1::GetExecutionHistoryRequest hreq;
    hreq.set_execution_id(id);
    hreq.set_next_token("garbage");
    std::vector<v1::HistoryEvent> events;
    grpc::Status st = server.ReadHistory(hreq, &events);
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(st.error_message(), Contains("garbage"));
  }
}

// Regression: concurrent starts of one name used to queue it twice (the
// store was checked before the name was claimed); the duplicate INSERT failed
// the whole group commit and stopped the server.
TEST_CASE("concurrent starts with the same name never take the server down",
          "[integration][executions]") {
  Server server;
  server.CreateMachine("pass", Pass());
  constexpr int kRounds = 400;
  constexpr int kClients = 8;
  Stub& stub = server.stub();  // the client threads make no Catch assertions
  std::vector<std::string> problems;
  int rounds_done = 0;
  for (int round = 0; round < kRounds && server.alive(); ++round, ++rounds_done) {
    const std::string name = "n" + std::to_string(round);
    std::vector<grpc::Status> statuses(kClients);
    std::vector<v1::StartExecutionResponse> responses(kClients);
    std::barrier sync(kClients);
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        sync.arrive_and_wait();
        v1::StartExecutionRequest req;
        req.set_state_machine("pass");
        req.set_name(name);
        req.set_input_json(R"({"same":true})");
        grpc::ClientContext ctx;
        SetDeadline(ctx);
        statuses[c] = stub.StartExecution(&ctx, req, &responses[c]);
      });
    }
    for (auto& t : clients) t.join();
    int started = 0;
    for (int c = 0; c < kClients; ++c) {
      const std::string who = name + ": client " + std::to_string(c) + " ";
      if (statuses[c].ok()) {
        started += !responses[c].already_started();
        if (responses[c].execution_id() != "pass:" + name) {
          problems.push_back(who + "got id " + responses[c].execution_id());
        }
      } else if (statuses[c].error_code() != grpc::StatusCode::ALREADY_EXISTS) {
        // ALREADY_EXISTS: the execution closed before this repeat arrived.
        problems.push_back(who + "got " + StatusText(statuses[c]));
      }
    }
    if (started != 1) problems.push_back(name + ": started " + std::to_string(started) + " times");
  }
  std::string shown;
  for (size_t i = 0; i < problems.size() && i < 5; ++i) shown += "\n  " + problems[i];
  INFO(problems.size() << " problems, e.g.:" << shown);
  INFO("server log:\n" << server.Log());
  CHECK(problems.empty());
  REQUIRE(server.alive());
  CHECK(rounds_done == kRounds);
  int pages = 0;
  CHECK(ListAllPages(server, "pass", "", 1000, &pages).size() == static_cast<size_t>(kRounds));
}

TEST_CASE("StopExecution while a Task call is in flight ignores the late result",
          "[integration][executions]") {
  TestWorker worker;
  Server server;
  const Json def = {
      {"StartAt", "Slow"},
      {"States",
       {{"Slow",
         {{"Type", "Task"},
          {"Resource", worker.Resource("sleep")},
          {"Parameters", {{"ms", 700}}},
          {"Next", "After"}}},
        {"After", {{"Type", "Task"}, {"Resource", worker.Resource("echo")}, {"End", true}}}}}};
  server.CreateMachine("slow", def);
  const std::string id = server.Start("slow", "{}", "s1");
  WaitUntil([&] { return worker.LogLines().size() == 1; }, "the sleep call to reach the worker");

  REQUIRE(Stop(server, id, "Test.Stop").ok());
  v1::Execution e = server.Describe(id);
  CHECK(e.status() == "ABORTED");
  CHECK(e.error() == "Test.Stop");
  CHECK_FALSE(e.has_cause());  // none given: absent, not ""

  // The sleep answers ~0.7 s after it began; a later start on the same
  // worker whose call is logged after that shows the answer has come back.
  server.CreateMachine("probe", {{"StartAt", "P"},
                                 {"States",
                                  {{"P",
                                    {{"Type", "Task"},
                                     {"Resource", worker.Resource("sleep")},
                                     {"Parameters", {{"ms", 800}}},
                                     {"End", true}}}}}});
  server.WaitForStatus(server.Start("probe"), "SUCCEEDED");

  auto events = server.History(id);
  CheckDense(events);
  CHECK(events.back().type() == "ExecutionAborted");
  CHECK(CountType(events, "TaskSucceeded") == 0);
  CHECK(CountType(events, "ExecutionAborted") == 1);
  CHECK(server.Describe(id).status() == "ABORTED");
  // The next state was never called.
  for (const Json& line : worker.LogLines()) CHECK(line.value("function", "") != "echo");
}
