// State machines through the API of a real `stepflow server`: create (JSON
// and YAML), idempotent re-create, update to a new version, version pinning
// of running executions, validation without storing, delete.
#include <barrier>
#include <thread>

#include "tests/integration/server_harness.h"

namespace {

using namespace stepflow::itest;
using Catch::Matchers::Contains;

// Holds on the activity "pin" until the test completes it, then outputs
// `result`: an execution that waits exactly as long as the test wants.
Json HoldThenResult(const std::string& result) {
  return {
      {"StartAt", "Hold"},
      {"States",
       {{"Hold",
         {{"Type", "Task"}, {"Resource", "activity:pin"}, {"ResultPath", nullptr}, {"Next", "P"}}},
        {"P", {{"Type", "Pass"}, {"Result", result}, {"End", true}}}}}};
}

Json PassResult(const std::string& result) {
  return {{"StartAt", "P"},
          {"States", {{"P", {{"Type", "Pass"}, {"Result", result}, {"End", true}}}}}};
}

// A state machine that waits long enough to be RUNNING for the whole test.
Json LongWait() {
  return {{"StartAt", "W"},
          {"States", {{"W", {{"Type", "Wait"}, {"Seconds", 3600}, {"End", true}}}}}};
}

}  // namespace

TEST_CASE("create JSON and YAML machines, and the same definition again is unchanged",
          "[integration][machines]") {
  Server server;
  v1::StateMachineVersionRef first = server.CreateMachine("json_machine", PassResult("json"));
  CHECK(first.name() == "json_machine");
  CHECK(first.version() == 1);
  CHECK_FALSE(first.unchanged());
  CHECK(first.created_ms() > 0);

  v1::StateMachineVersionRef again = server.CreateMachine("json_machine", PassResult("json"));
  CHECK(again.version() == 1);
  CHECK(again.unchanged());

  const std::string yaml =
      "Comment: a YAML definition\n"
      "StartAt: A\n"
      "States:\n"
      "  A:\n"
      "    Type: Pass\n"
      "    Result:\n"
      "      yaml: true\n"
      "    End: true\n";
  v1::StateMachineVersionRef y = server.CreateMachine("yaml_machine", yaml);
  CHECK(y.version() == 1);
  CHECK_FALSE(y.unchanged());

  // The stored text is the submitted one.
  v1::DescribeStateMachineRequest dreq;
  dreq.set_name("yaml_machine");
  v1::StateMachineDescription desc;
  REQUIRE(server.Call(&Stub::DescribeStateMachine, dreq, &desc).ok());
  CHECK(desc.definition() == yaml);
  CHECK(desc.version() == 1);
  CHECK_FALSE(desc.sha256().empty());

  // Both run.
  v1::Execution j = server.WaitForStatus(server.Start("json_machine"), "SUCCEEDED");
  CHECK(ParseJson(j.output_json()) == Json("json"));
  v1::Execution ye = server.WaitForStatus(server.Start("yaml_machine"), "SUCCEEDED");
  CHECK(ParseJson(ye.output_json()) == Json{{"yaml", true}});

  // Both listed.
  v1::ListStateMachinesResponse list;
  REQUIRE(server.Call(&Stub::ListStateMachines, v1::ListStateMachinesRequest(), &list).ok());
  std::vector<std::string> names;
  for (const auto& m : list.state_machines()) names.push_back(m.name());
  CHECK(names == std::vector<std::string>{"json_machine", "yaml_machine"});
}

TEST_CASE("create with another definition is ALREADY_EXISTS, update adds version 2",
          "[integration][machines]") {
  Server server;
  server.CreateMachine("m", HoldThenResult("v1"));

  v1::StateMachineVersionRef ref;
  grpc::Status st = server.TryCreateMachine("m", PassResult("v2").dump(), &ref);
  INFO(StatusText(st));
  CHECK(st.error_code() == grpc::StatusCode::ALREADY_EXISTS);
  CHECK_THAT(st.error_message(), Contains("'m'"));

  // An execution pinned to version 1 that is still waiting when v2 arrives.
  const std::string on_v1 = server.Start("m", "{}", "on-v1");
  {
    v1::Execution e = server.Describe(on_v1);
    CHECK(e.version() == 1);
    CHECK(e.status() == "RUNNING");
  }

  v1::UpdateStateMachineRequest up;
  up.set_name("m");
  up.set_definition(PassResult("v2").dump());
  v1::StateMachineVersionRef v2;
  REQUIRE(server.Call(&Stub::UpdateStateMachine, up, &v2).ok());
  CHECK(v2.version() == 2);
  CHECK_FALSE(v2.unchanged());

  // The same definition again through Update: unchanged, still version 2.
  v1::StateMachineVersionRef v2again;
  REQUIRE(server.Call(&Stub::UpdateStateMachine, up, &v2again).ok());
  CHECK(v2again.version() == 2);
  CHECK(v2again.unchanged());

  // A new execution runs v2; the old one finishes on v1's definition.
  v1::Execution new_one = server.WaitForStatus(server.Start("m", "{}", "on-v2"), "SUCCEEDED");
  CHECK(new_one.version() == 2);
  CHECK(ParseJson(new_one.output_json()) == Json("v2"));
  CHECK(server.Describe(on_v1).status() == "RUNNING");
  v1::PollTaskRequest poll;
  poll.set_activity("pin");
  poll.set_wait_seconds(5);
  v1::PollTaskResponse task;
  REQUIRE(server.Call(&Stub::PollTask, poll, &task).ok());
  REQUIRE(task.execution_id() == on_v1);
  v1::SendTaskSuccessRequest done;
  done.set_task_token(task.task_token());
  done.set_output_json("{}");
  v1::SendTaskResponse ack;
  REQUIRE(server.Call(&Stub::SendTaskSuccess, done, &ack).ok());
  v1::Execution old_one = server.WaitForStatus(on_v1, "SUCCEEDED");
  CHECK(old_one.version() == 1);
  CHECK(ParseJson(old_one.output_json()) == Json("v1"));
  auto types = server.HistoryTypes(on_v1);
  CHECK(std::count(types.begin(), types.end(), "ActivitySucceeded") == 1);

  // An explicit older version can still be started.
  v1::StartExecutionResponse pinned;
  REQUIRE(server.TryStart("m", "{}", "explicit-v1", &pinned, /*version=*/1).ok());
  CHECK(pinned.version() == 1);

  // Describe lists both versions, oldest first; version 0 = the newest.
  v1::DescribeStateMachineRequest dreq;
  dreq.set_name("m");
  v1::StateMachineDescription desc;
  REQUIRE(server.Call(&Stub::DescribeStateMachine, dreq, &desc).ok());
  CHECK(desc.version() == 2);
  CHECK(ParseJson(desc.definition()) == PassResult("v2"));
  REQUIRE(desc.versions_size() == 2);
  CHECK(desc.versions(0).version() == 1);
  CHECK(desc.versions(1).version() == 2);
  CHECK(desc.versions(0).sha256() != desc.versions(1).sha256());
  dreq.set_version(1);
  REQUIRE(server.Call(&Stub::DescribeStateMachine, dreq, &desc).ok());
  CHECK(desc.version() == 1);
  CHECK(ParseJson(desc.definition()) == HoldThenResult("v1"));
  dreq.set_version(3);
  st = server.Call(&Stub::DescribeStateMachine, dreq, &desc);
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);

  // Update of a machine that does not exist.
  up.set_name("no_such_machine");
  st = server.Call(&Stub::UpdateStateMachine, up, &v2);
  INFO(StatusText(st));
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
}

TEST_CASE("an invalid definition is INVALID_ARGUMENT naming the JSON pointer, nothing stored",
          "[integration][machines]") {
  Server server;
  const Json bad = {{"StartAt", "A"}, {"States", {{"A", {{"Type", "Pass"}, {"Next", "Nowhere"}}}}}};
  v1::StateMachineVersionRef ref;
  grpc::Status st = server.TryCreateMachine("bad", bad.dump(), &ref);
  INFO(StatusText(st));
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(st.error_message(), Contains("/States/A/Next"));

  v1::DescribeStateMachineRequest dreq;
  dreq.set_name("bad");
  v1::StateMachineDescription desc;
  st = server.Call(&Stub::DescribeStateMachine, dreq, &desc);
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(st.error_message(), Contains("bad"));

  // Unparsable text.
  st = server.TryCreateMachine("bad", "{ this is not json", &ref);
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_FALSE(st.error_message().empty());

  // Validate returns the diagnostics and stores nothing.
  v1::ValidateRequest vreq;
  vreq.set_definition(bad.dump());
  v1::ValidateResponse vresp;
  REQUIRE(server.Call(&Stub::ValidateStateMachineDefinition, vreq, &vresp).ok());
  CHECK_FALSE(vresp.valid());
  REQUIRE(vresp.diagnostics_size() >= 1);
  bool found = false;
  for (const auto& d : vresp.diagnostics()) {
    if (d.pointer() == "/States/A/Next" && d.severity() == "ERROR") found = true;
    CHECK_FALSE(d.code().empty());
    CHECK_FALSE(d.message().empty());
  }
  CHECK(found);

  vreq.set_definition(PassResult("ok").dump());
  REQUIRE(server.Call(&Stub::ValidateStateMachineDefinition, vreq, &vresp).ok());
  CHECK(vresp.valid());

  v1::ListStateMachinesResponse list;
  REQUIRE(server.Call(&Stub::ListStateMachines, v1::ListStateMachinesRequest(), &list).ok());
  CHECK(list.state_machines_size() == 0);
}

TEST_CASE("DeleteStateMachine is refused while an execution is RUNNING",
          "[integration][machines]") {
  Server server;
  server.CreateMachine("busy", LongWait());
  const std::string id = server.Start("busy");

  v1::DeleteStateMachineRequest del;
  del.set_name("busy");
  v1::DeleteStateMachineResponse dresp;
  grpc::Status st = server.Call(&Stub::DeleteStateMachine, del, &dresp);
  INFO(StatusText(st));
  CHECK(st.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(st.error_message(), Contains("busy"));
  CHECK(server.Describe(id).status() == "RUNNING");

  v1::StopExecutionRequest stop;
  stop.set_execution_id(id);
  v1::StopExecutionResponse sresp;
  REQUIRE(server.Call(&Stub::StopExecution, stop, &sresp).ok());

  REQUIRE(server.Call(&Stub::DeleteStateMachine, del, &dresp).ok());
  v1::DescribeStateMachineRequest dreq;
  dreq.set_name("busy");
  v1::StateMachineDescription desc;
  CHECK(server.Call(&Stub::DescribeStateMachine, dreq, &desc).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  // Deleting again: there is nothing to delete.
  CHECK(server.Call(&Stub::DeleteStateMachine, del, &dresp).error_code() ==
        grpc::StatusCode::NOT_FOUND);
}

// Regression: Create checked for the name and stored the definition as two
// unsynchronised steps, so concurrent Creates each added a version.
TEST_CASE("concurrent CreateStateMachine of one name stores one version",
          "[integration][machines]") {
  Server server;
  Stub& stub = server.stub();  // the client threads make no Catch assertions
  constexpr int kRounds = 30;
  constexpr int kClients = 4;
  std::vector<std::string> problems;
  for (int round = 0; round < kRounds; ++round) {
    const std::string name = "m" + std::to_string(round);
    std::vector<grpc::Status> statuses(kClients);
    std::vector<v1::StateMachineVersionRef> refs(kClients);
    std::barrier sync(kClients);
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        v1::CreateStateMachineRequest req;
        req.set_name(name);
        req.set_definition(PassResult("client " + std::to_string(c)).dump());
        sync.arrive_and_wait();
        grpc::ClientContext ctx;
        SetDeadline(ctx);
        statuses[c] = stub.CreateStateMachine(&ctx, req, &refs[c]);
      });
    }
    for (auto& t : clients) t.join();
    int created = 0;
    for (int c = 0; c < kClients; ++c) {
      if (statuses[c].ok()) {
        ++created;
      } else if (statuses[c].error_code() != grpc::StatusCode::ALREADY_EXISTS) {
        problems.push_back(name + ": client " + std::to_string(c) + " got " +
                           StatusText(statuses[c]));
      }
    }
    v1::DescribeStateMachineRequest dreq;
    dreq.set_name(name);
    v1::StateMachineDescription desc;
    REQUIRE(server.Call(&Stub::DescribeStateMachine, dreq, &desc).ok());
    if (created != 1 || desc.versions_size() != 1) {
      problems.push_back(name + ": " + std::to_string(created) + " creates succeeded, " +
                         std::to_string(desc.versions_size()) + " versions stored");
    }
  }
  std::string shown;
  for (size_t i = 0; i < problems.size() && i < 5; ++i) shown += "\n  " + problems[i];
  INFO(problems.size() << " of " << kRounds << " rounds went wrong, e.g.:" << shown);
  CHECK(problems.empty());
}
