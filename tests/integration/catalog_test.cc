// The function catalog with real processes: versions and aliases, the
// --functions file and the API feeding one catalog that every process on the
// database resolves the same way (server, embedded run and resume), resume
// holding executions whose function is missing, service integrations mapped
// to functions or refused up front, and Stop cancelling a call at the worker.
#include "tests/integration/server_harness.h"

namespace {

using namespace stepflow::itest;
using Catch::Matchers::Contains;
using stepflow::testing::CommandResult;

grpc::Status Register(Server& server, const std::string& name, const std::string& endpoint,
                      v1::RegisterFunctionResponse* out = nullptr) {
  v1::RegisterFunctionRequest req;
  req.set_name(name);
  req.set_endpoint(endpoint);
  v1::RegisterFunctionResponse resp;
  return server.Call(&Stub::RegisterFunction, req, out ? out : &resp);
}

void MustRegister(Server& server, const std::string& name, const std::string& endpoint) {
  grpc::Status st = Register(server, name, endpoint);
  INFO(StatusText(st));
  REQUIRE(st.ok());
}

// `stepflow ARGS...` with no server (embedded verbs); bounded.
CommandResult Stepflow(std::vector<std::string> args) {
  std::vector<std::string> argv = {STEPFLOW_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return stepflow::testing::RunCommand(argv, {}, 60s, {{"STEPFLOW_SERVER", ""}});
}

std::string Show(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

Json Task(const std::string& resource, const Json& parameters, const std::string& next = "") {
  Json t = {{"Type", "Task"}, {"Resource", resource}, {"Parameters", parameters}};
  if (next.empty()) {
    t["End"] = true;
  } else {
    t["Next"] = next;
  }
  return t;
}

Json OneTask(const std::string& resource, const Json& parameters) {
  return {{"StartAt", "Call"}, {"States", {{"Call", Task(resource, parameters)}}}};
}

}  // namespace

TEST_CASE("a Lambda ARN with a version or an alias calls that version, and history says so",
          "[integration][catalog]") {
  TestWorker v1_worker, v2_worker;
  Server server;
  v1::RegisterFunctionResponse r1, r2, again;
  REQUIRE(Register(server, "echo", v1_worker.endpoint(), &r1).ok());
  REQUIRE(Register(server, "echo", v2_worker.endpoint(), &r2).ok());
  REQUIRE(Register(server, "echo", v2_worker.endpoint(), &again).ok());
  CHECK(r1.version() == 1);
  CHECK(r2.version() == 2);
  CHECK(again.version() == 2);
  CHECK(again.unchanged());
  v1::SetFunctionAliasRequest alias;
  alias.set_name("echo");
  alias.set_alias("prod");
  alias.set_version(1);
  v1::SetFunctionAliasResponse alias_resp;
  REQUIRE(server.Call(&Stub::SetFunctionAlias, alias, &alias_resp).ok());
  alias.set_version(7);
  CHECK(server.Call(&Stub::SetFunctionAlias, alias, &alias_resp).error_code() ==
        grpc::StatusCode::NOT_FOUND);

  const std::string arn = "arn:aws:lambda:us-east-1:123456789012:function:";
  Json definition = {
      {"StartAt", "Pinned"},
      {"States",
       {{"Pinned", Task(arn + "echo:1", {{"n", 1}}, "Aliased")},
        {"Aliased", Task(arn + "echo:prod", {{"n", 2}}, "Newest")},
        {"Newest", Task("echo", {{"n", 3}}, "Invoke")},
        {"Invoke",
         {{"Type", "Task"},
          {"Resource", "arn:aws:states:::lambda:invoke"},
          {"Parameters", {{"FunctionName", arn + "echo:prod"}, {"Payload", {{"n", 4}}}}},
          {"ResultSelector", {{"ran.$", "$.ExecutedVersion"}}},
          {"End", true}}}}}};
  server.CreateMachine("versions", definition);
  std::string id = server.Start("versions");
  v1::Execution done = server.WaitForStatus(id, "SUCCEEDED");
  CHECK(ParseJson(done.output_json()) == Json{{"ran", "1"}});

  auto on_v1 = v1_worker.LogLines();
  auto on_v2 = v2_worker.LogLines();
  REQUIRE(on_v1.size() == 3);  // Pinned, Aliased, Invoke
  REQUIRE(on_v2.size() == 1);  // Newest
  for (const auto& call : on_v1) CHECK(call["function_version"] == "1");
  CHECK(on_v2[0]["function_version"] == "2");
  CHECK(on_v2[0]["input"] == Json{{"n", 3}});

  std::vector<std::string> resources;
  for (const auto& e : server.History(id)) {
    if (e.type() == "TaskScheduled") resources.push_back(Details(e)["resource"]);
  }
  CHECK(resources == std::vector<std::string>{"echo:1", "echo:prod", "echo", "invoke"});
}

TEST_CASE("the --functions file and the API feed one catalog, which embedded run uses",
          "[integration][catalog]") {
  TestWorker worker;
  TempDir dir("stepflow-itest-catalog");
  const std::string file = dir.File("functions.yaml");
  WriteFile(file, "functions:\n  echo: " + worker.endpoint() +
                      "\n  add: 127.0.0.1:1\nintegrations:\n  sns:publish: echo\n");
  auto server = std::make_unique<Server>(std::vector<std::string>{"--functions", file});
  MustRegister(*server, "add", worker.endpoint());  // the API wins over the file
  v1::ListFunctionsResponse list;
  REQUIRE(server->Call(&Stub::ListFunctions, v1::ListFunctionsRequest(), &list).ok());
  REQUIRE(list.functions_size() == 2);
  REQUIRE(list.integrations_size() == 1);
  CHECK(list.integrations(0).integration() == "sns:publish");
  const std::string db = server->db();
  server->Terminate();

  // Another process on the same database, with no --functions: the same
  // catalog (the file's entries, the API's, the integration).
  const std::string def = dir.File("uses.asl.json");
  Json definition = {{"StartAt", "Add"},
                     {"States",
                      {{"Add", Task("add", {{"a", 1}, {"b", 2}}, "Echo")},
                       {"Echo", Task("echo", {{"sum.$", "$"}}, "Notify")},
                       {"Notify", Task("arn:aws:states:::sns:publish", {{"Message.$", "$.sum"}})}}}};
  WriteFile(def, definition.dump());
  CommandResult run = Stepflow({"run", def, "--db", db, "--json"});
  INFO(Show(run));
  REQUIRE(run.exit_code == 0);
  CHECK(ParseJson(run.out)["output"] == Json{{"Message", 3}});

  // Restarting the server with the same file does not undo the API's "add".
  server->Restart();
  REQUIRE(server->Call(&Stub::ListFunctions, v1::ListFunctionsRequest(), &list).ok());
  for (const auto& f : list.functions()) {
    if (f.name() == "add") {
      CHECK(f.endpoint() == worker.endpoint());
      CHECK(f.source() == "api");
      CHECK(f.versions_size() == 2);
    }
  }
}

TEST_CASE("kill -9 of the server, then embedded resume with no flags finishes the Tasks",
          "[integration][catalog][restart]") {
  TestWorker worker;
  auto server = std::make_unique<Server>();
  MustRegister(*server, "sleep", worker.endpoint());
  server->CreateMachine("slow", OneTask("sleep", {{"ms", 300}}));
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(server->Start("slow"));
  WaitUntil([&] { return worker.LogLines().size() >= 5; }, "the five calls to reach the worker");
  const std::string db = server->db();
  server->Kill9();

  CommandResult resumed = Stepflow({"resume", "--db", db, "--json"});
  INFO(Show(resumed));
  REQUIRE(resumed.exit_code == 0);
  int succeeded = 0;
  std::istringstream lines(resumed.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) succeeded += ParseJson(line)["status"] == "SUCCEEDED";
  }
  CHECK(succeeded == 5);
  // The re-sent calls carry the same idempotency keys as the first ones.
  std::set<std::string> keys;
  for (const auto& call : worker.LogLines()) keys.insert(call["idempotency_key"]);
  CHECK(keys.size() == 5);
}

TEST_CASE("resume with a function missing leaves the execution RUNNING, then finishes it",
          "[integration][catalog][restart]") {
  TestWorker worker;
  auto server = std::make_unique<Server>();
  MustRegister(*server, "sleep", worker.endpoint());
  server->CreateMachine("slow", OneTask("sleep", {{"ms", 200}}));
  std::string id = server->Start("slow");
  WaitUntil([&] { return worker.LogLines().size() == 1; }, "the call to reach the worker");
  // The function is removed while its call is in flight; then the engine dies.
  v1::RemoveFunctionRequest rm;
  rm.set_name("sleep");
  v1::RemoveFunctionResponse rm_resp;
  REQUIRE(server->Call(&Stub::RemoveFunction, rm, &rm_resp).ok());
  const std::string db = server->db();
  server->Kill9();

  CommandResult resumed = Stepflow({"resume", "--db", db, "--json"});
  INFO(Show(resumed));
  CHECK(resumed.exit_code == 1);
  CHECK_THAT(resumed.err, Contains(id) && Contains("stays RUNNING") && Contains("'sleep'") &&
                              Contains("not registered"));
  CHECK(ParseJson(resumed.out)["status"] == "RUNNING");
  CommandResult described = Stepflow({"exec", "describe", id, "--db", db, "--json"});
  CHECK(ParseJson(described.out)["status"] == "RUNNING");

  // The server holds it too (and says why), and finishes it once registered.
  server->Restart();
  WaitUntil([&] { return server->Log().find("'sleep' cannot be called") != std::string::npos; },
            "the server to say which function is missing");
  CHECK(server->Describe(id).status() == "RUNNING");
  MustRegister(*server, "sleep", worker.endpoint());
  server->WaitForStatus(id, "SUCCEEDED");
  CheckDense(server->History(id));
  CHECK(CountType(server->History(id), "TaskScheduled") == 1);
}

TEST_CASE("service integrations: mapped ones run, unmapped ones are refused up front",
          "[integration][catalog]") {
  TestWorker worker;
  Server server;
  Json definition = {
      {"StartAt", "Notify"},
      {"States",
       {{"Notify", Task("arn:aws:states:::sns:publish",
                        {{"TopicArn", "arn:aws:sns:us-east-1:1:orders"}, {"Message.$", "$.m"}},
                        "Save")},
        {"Save", Task("arn:aws:states:::dynamodb:putItem",
                      {{"TableName", "orders"}, {"Item", {{"id", {{"S", "1"}}}}}})}}}};

  // Refused by create, with a message that says how to map it.
  grpc::Status st = server.TryCreateMachine("orders", definition.dump());
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(st.error_message(), Contains("INTEGRATION_NOT_MAPPED") &&
                                     Contains("stepflow functions map sns:publish") &&
                                     Contains("/States/Save/Resource"));
  // Reported (as warnings) by validation, which stays valid.
  v1::ValidateRequest vreq;
  vreq.set_definition(definition.dump());
  v1::ValidateResponse vresp;
  REQUIRE(server.Call(&Stub::ValidateStateMachineDefinition, vreq, &vresp).ok());
  CHECK(vresp.valid());
  int warnings = 0;
  for (const auto& d : vresp.diagnostics()) warnings += d.code() == "INTEGRATION_NOT_MAPPED";
  CHECK(warnings == 2);
  const std::string file = server.dir().File("orders.asl.json");
  WriteFile(file, definition.dump());
  CommandResult validated = Stepflow({"validate", file, "--json"});
  CHECK(validated.exit_code == 0);
  CHECK_THAT(validated.out, Contains("INTEGRATION_NOT_MAPPED") && Contains("\"valid\":true"));
  CommandResult ran = Stepflow({"run", file, "--db", ":memory:"});
  CHECK(ran.exit_code == 2);
  CHECK_THAT(ran.err, Contains("functions map dynamodb:putItem"));

  // Mapped to a function: created and run with the Task's Parameters.
  MustRegister(server, "echo", worker.endpoint());
  for (const char* integration : {"sns:publish", "arn:aws:states:::dynamodb:putItem"}) {
    v1::MapIntegrationRequest map;
    map.set_integration(integration);
    map.set_function("echo");
    v1::MapIntegrationResponse map_resp;
    REQUIRE(server.Call(&Stub::MapIntegration, map, &map_resp).ok());
  }
  server.CreateMachine("orders", definition);
  v1::Execution e = server.WaitForStatus(server.Start("orders", R"({"m": "paid"})"), "SUCCEEDED");
  CHECK(ParseJson(e.output_json()) == Json{{"TableName", "orders"}, {"Item", {{"id", {{"S", "1"}}}}}});
  auto calls = worker.LogLines();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0]["input"] == Json{{"TopicArn", "arn:aws:sns:us-east-1:1:orders"}, {"Message", "paid"}});

  // A Distributed Map reading from S3 is refused the same way.
  Json reader = {{"StartAt", "Each"},
                 {"States",
                  {{"Each",
                    {{"Type", "Map"},
                     {"ItemReader", {{"Resource", "arn:aws:states:::s3:getObject"},
                                     {"ReaderConfig", {{"InputType", "JSON"}}},
                                     {"Parameters", {{"Bucket", "b"}, {"Key", "k"}}}}},
                     {"ItemProcessor",
                      {{"ProcessorConfig", {{"Mode", "DISTRIBUTED"}, {"ExecutionType", "STANDARD"}}},
                       {"StartAt", "P"},
                       {"States", {{"P", {{"Type", "Pass"}, {"End", true}}}}}}},
                     {"End", true}}}}}};
  st = server.TryCreateMachine("reader", reader.dump());
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(st.error_message(), Contains("ItemReader") && Contains("not supported yet"));
}

TEST_CASE("StopExecution cancels the Task's call at the worker", "[integration][catalog]") {
  TestWorker worker;
  Server server;
  MustRegister(server, "sleep", worker.endpoint());
  server.CreateMachine("slow", OneTask("sleep", {{"ms", 60000}}));
  std::string id = server.Start("slow");
  WaitUntil([&] { return worker.LogLines().size() == 1; }, "the call to reach the worker");
  const std::string key = worker.LogLines()[0]["idempotency_key"];
  v1::StopExecutionRequest stop;
  stop.set_execution_id(id);
  v1::StopExecutionResponse stop_resp;
  REQUIRE(server.Call(&Stub::StopExecution, stop, &stop_resp).ok());
  WaitUntil([&] { return worker.CancelledKeys() == std::vector<std::string>{key}; },
            "the worker to see its call cancelled");
  CHECK(server.Describe(id).status() == "ABORTED");
}
