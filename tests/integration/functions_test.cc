// The function registry API of a real `stepflow server`: RegisterFunction
// makes a bare Resource NAME (or a Lambda ARN) call that endpoint;
// RemoveFunction undoes it; registrations survive a restart. Workers: the
// C++ test worker and the Python SDK's example worker.
#include "tests/integration/server_harness.h"

namespace {

using namespace stepflow::itest;
using Catch::Matchers::Contains;

Json OneTask(const std::string& resource, const Json& parameters) {
  return {
      {"StartAt", "Call"},
      {"States",
       {{"Call",
         {{"Type", "Task"}, {"Resource", resource}, {"Parameters", parameters}, {"End", true}}}}}};
}

grpc::Status Register(Server& server, const std::string& name, const std::string& endpoint) {
  v1::RegisterFunctionRequest req;
  req.set_name(name);
  req.set_endpoint(endpoint);
  v1::RegisterFunctionResponse resp;
  return server.Call(&Stub::RegisterFunction, req, &resp);
}

std::vector<v1::FunctionEntry> ListFunctions(Server& server) {
  v1::ListFunctionsResponse resp;
  grpc::Status st = server.Call(&Stub::ListFunctions, v1::ListFunctionsRequest(), &resp);
  INFO(StatusText(st));
  REQUIRE(st.ok());
  return {resp.functions().begin(), resp.functions().end()};
}

}  // namespace

TEST_CASE("RegisterFunction, ListFunctions, RemoveFunction and a restart",
          "[integration][functions]") {
  TestWorker worker;
  Server server;
  server.CreateMachine("bare", OneTask("add", {{"a", 2}, {"b", 3}}));
  server.CreateMachine(
      "arn", OneTask("arn:aws:lambda:us-east-1:123456789012:function:add", {{"a", 4}, {"b", 5}}));

  // Before registration the name resolves nowhere.
  v1::Execution unknown = server.WaitForStatus(server.Start("bare"), "FAILED");
  CHECK(unknown.error() == "States.TaskFailed");

  grpc::Status st = Register(server, "add", worker.endpoint());
  INFO(StatusText(st));
  REQUIRE(st.ok());
  auto functions = ListFunctions(server);
  REQUIRE(functions.size() == 1);
  CHECK(functions[0].name() == "add");
  CHECK(functions[0].endpoint() == worker.endpoint());
  CHECK(functions[0].source() == "api");

  CHECK(ParseJson(server.WaitForStatus(server.Start("bare"), "SUCCEEDED").output_json()) ==
        Json(5));
  CHECK(ParseJson(server.WaitForStatus(server.Start("arn"), "SUCCEEDED").output_json()) == Json(9));

  // Survives a restart (kill -9 even: registration is durable when acknowledged).
  server.Kill9();
  server.Restart();
  functions = ListFunctions(server);
  REQUIRE(functions.size() == 1);
  CHECK(functions[0].name() == "add");
  CHECK(functions[0].source() == "api");
  CHECK(ParseJson(server.WaitForStatus(server.Start("bare"), "SUCCEEDED").output_json()) ==
        Json(5));

  v1::RemoveFunctionRequest rm;
  rm.set_name("add");
  v1::RemoveFunctionResponse rmresp;
  REQUIRE(server.Call(&Stub::RemoveFunction, rm, &rmresp).ok());
  CHECK(ListFunctions(server).empty());
  v1::Execution after = server.WaitForStatus(server.Start("bare"), "FAILED");
  CHECK(after.error() == "States.TaskFailed");
  CHECK_THAT(after.cause(), Contains("add"));
  st = server.Call(&Stub::RemoveFunction, rm, &rmresp);
  CHECK(st.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_THAT(st.error_message(), Contains("add"));

  // Removal survives a restart too.
  server.Terminate();
  server.Restart();
  CHECK(ListFunctions(server).empty());
}

TEST_CASE("RegisterFunction rejects bad endpoints and names", "[integration][functions]") {
  Server server;
  for (const std::string endpoint : {"", "not an endpoint", "127.0.0.1", "127.0.0.1:notaport"}) {
    INFO("endpoint '" << endpoint << "'");
    grpc::Status st = Register(server, "fn", endpoint);
    INFO(StatusText(st));
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_FALSE(st.error_message().empty());
  }
  grpc::Status st = Register(server, "", "127.0.0.1:1");
  CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(ListFunctions(server).empty());
}

TEST_CASE("a --functions file entry is listed as source file, the API overrides it",
          "[integration][functions]") {
  TestWorker worker;
  TempDir dir("stepflow-itest-functions");
  const std::string file = dir.File("functions.yaml");
  WriteFile(file, "functions:\n  echo: " + worker.endpoint() + "\n  add: 127.0.0.1:1\n");
  Server server({"--functions", file});
  server.CreateMachine("echo", OneTask("echo", {{"x", 1}}));
  CHECK(ParseJson(server.WaitForStatus(server.Start("echo"), "SUCCEEDED").output_json()) ==
        Json{{"x", 1}});
  auto functions = ListFunctions(server);
  REQUIRE(functions.size() == 2);
  for (const auto& f : functions) CHECK(f.source() == "file");

  // The file's "add" points nowhere; the API's registration wins.
  REQUIRE(Register(server, "add", worker.endpoint()).ok());
  server.CreateMachine("add", OneTask("add", {{"a", 1}, {"b", 1}}));
  CHECK(ParseJson(server.WaitForStatus(server.Start("add"), "SUCCEEDED").output_json()) == Json(2));
  for (const auto& f : ListFunctions(server)) {
    CHECK(f.source() == (f.name() == "add" ? "api" : "file"));
  }
}

TEST_CASE("a Python SDK worker registered through the API serves a Task",
          "[integration][functions][python]") {
  PythonProcess worker("example_worker.py", {"--port", "0"}, "PORT ");
  const std::string endpoint = "127.0.0.1:" + worker.ready_line().substr(5);
  Server server;
  REQUIRE(Register(server, "http_get", endpoint).ok());
  server.CreateMachine("py", OneTask("http_get", {{"url", "https://example.com/page"}}));
  v1::Execution e = server.WaitForStatus(server.Start("py"), "SUCCEEDED");
  INFO("worker stderr: " << worker.Stderr());
  Json out = ParseJson(e.output_json());
  CHECK(out.value("status", 0) == 200);
  CHECK_THAT(out.value("body", ""), Contains("example.com - Example Domain"));
}
