// The client verbs (engine/cli/client.h) against an in-process fake
// StepflowService that returns canned answers and errors. Output shapes are
// compared with the embedded verbs reading the same execution from SQLite.
#include "engine/cli/client.h"

#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "engine/cli/commands.h"
#include "engine/cli/format.h"
#include "engine/cli/usage.h"
#include "engine/common/json_util.h"
#include "engine/store/sqlite_store.h"
#include "stepflow/v1/service.grpc.pb.h"

namespace stepflow::cli {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using namespace std::chrono_literals;

// ------------------------------------------------------------ canned data

constexpr int64_t kStartMs = 1'700'000'000'123;

store::ExecutionRecord CannedRecord() {
  store::ExecutionRecord r;
  r.id = "orders:first";
  r.machine = "orders";
  r.version = 2;
  r.name = "first";
  r.status = store::kSucceeded;
  r.input = R"({"a":1})";
  r.output = R"({"a":1,"b":[true,null]})";
  r.start_ms = kStartMs;
  r.stop_ms = kStartMs + 1500;
  r.next_event_id = 6;
  return r;
}

std::vector<store::HistoryEvent> CannedEvents() {
  auto event = [](int64_t id, std::string type, std::string path, std::string details) {
    store::HistoryEvent e;
    e.id = id;
    e.previous_event_id = id - 1;
    e.timestamp_ms = kStartMs + id * 10;
    e.type = std::move(type);
    e.state_path = std::move(path);
    e.details = std::move(details);
    return e;
  };
  return {
      event(1, "ExecutionStarted", "",
            R"({"input":"{\"a\":1}","inputDetails":{"truncated":false}})"),
      event(2, "PassStateEntered", "A", R"({"input":"{\"a\":1}","name":"A"})"),
      event(3, "TaskScheduled", "Fanout[0]/Charge",
            R"({"parameters":"{}","resource":"charge","resourceType":"stepflow"})"),
      event(4, "PassStateExited", "A", R"({"name":"A","output":"{\"a\":1}"})"),
      event(5, "ExecutionSucceeded", "", R"({"output":"{\"a\":1,\"b\":[true,null]}"})"),
  };
}

v1::Execution ToProto(const store::ExecutionRecord& r) {
  v1::Execution e;
  e.set_execution_id(r.id);
  e.set_state_machine(r.machine);
  e.set_version(r.version);
  e.set_name(r.name);
  e.set_status(r.status);
  e.set_input_json(r.input);
  if (r.output) e.set_output_json(*r.output);
  if (r.error) e.set_error(*r.error);
  if (r.cause) e.set_cause(*r.cause);
  e.set_start_ms(r.start_ms);
  e.set_stop_ms(r.stop_ms.value_or(0));
  e.set_redrive_count(r.redrive_count);
  e.set_redrive_ms(r.redrive_ms.value_or(0));
  return e;
}

v1::HistoryEvent ToProto(const store::HistoryEvent& h) {
  v1::HistoryEvent e;
  e.set_id(h.id);
  e.set_previous_event_id(h.previous_event_id);
  e.set_timestamp_ms(h.timestamp_ms);
  e.set_type(h.type);
  e.set_state_path(h.state_path);
  e.set_details_json(h.details);
  return e;
}

// ------------------------------------------------------------ the fake

class FakeService final : public v1::StepflowService::Service {
 public:
  FakeService() {
    executions_[CannedRecord().id] = ToProto(CannedRecord());
    for (const auto& e : CannedEvents()) events_.push_back(ToProto(e));
  }

  // Pages of GetExecutionHistory without max_results (the server's default).
  std::atomic<int> history_page_size{1000};
  std::atomic<int> calls{0};
  std::mutex mutex;
  std::string last_definition;
  std::string last_input;
  std::string last_output;
  std::string final_status = "SUCCEEDED";  // what --wait finds after following
  std::atomic<bool> last_purge{false};
  std::atomic<bool> last_oldest_first{false};

  grpc::Status CreateStateMachine(grpc::ServerContext*, const v1::CreateStateMachineRequest* req,
                                  v1::StateMachineVersionRef* resp) override {
    return Store(req->name(), req->definition(), resp);
  }
  grpc::Status UpdateStateMachine(grpc::ServerContext*, const v1::UpdateStateMachineRequest* req,
                                  v1::StateMachineVersionRef* resp) override {
    return Store(req->name(), req->definition(), resp);
  }
  grpc::Status DescribeStateMachine(grpc::ServerContext*,
                                    const v1::DescribeStateMachineRequest* req,
                                    v1::StateMachineDescription* resp) override {
    ++calls;
    if (req->name() != "orders") {
      return {grpc::StatusCode::NOT_FOUND, "state machine '" + req->name() + "' does not exist"};
    }
    resp->set_name("orders");
    resp->set_version(req->version() ? req->version() : 2);
    resp->set_definition("StartAt: A\nStates:\n  A: {Type: Pass, End: true}\n");
    resp->set_sha256("abc123");
    resp->set_created_ms(kStartMs);
    for (int v = 1; v <= 2; ++v) {
      auto* info = resp->add_versions();
      info->set_version(v);
      info->set_sha256(v == 1 ? "def456" : "abc123");
      info->set_created_ms(kStartMs - 1000 * (2 - v));
    }
    return grpc::Status::OK;
  }
  grpc::Status ListStateMachines(grpc::ServerContext*, const v1::ListStateMachinesRequest* req,
                                 v1::ListStateMachinesResponse* resp) override {
    ++calls;
    auto* item = resp->add_state_machines();
    if (req->next_token().empty()) {
      item->set_name("orders");
      item->set_latest_version(2);
      resp->set_next_token("page2");
    } else {
      item->set_name("payments");
      item->set_latest_version(1);
    }
    item->set_created_ms(kStartMs);
    return grpc::Status::OK;
  }
  grpc::Status ValidateStateMachineDefinition(grpc::ServerContext*, const v1::ValidateRequest* req,
                                              v1::ValidateResponse* resp) override {
    ++calls;
    if (req->definition().find("NoValidate") != std::string::npos) {
      return {grpc::StatusCode::UNIMPLEMENTED, "not here"};
    }
    resp->set_valid(req->definition().find("Missing") == std::string::npos);
    if (!resp->valid()) {
      auto* d = resp->add_diagnostics();
      d->set_severity("ERROR");
      d->set_code("MISSING_TRANSITION_TARGET");
      d->set_pointer("/States/A/Next");
      d->set_line(5);
      d->set_column(11);
      d->set_message("no state named 'Missing'");
      d = resp->add_diagnostics();
      d->set_severity("WARNING");
      d->set_code("NO_PATH");
      d->set_pointer("/States/A");
      d->set_message("a warning is not printed with the errors");
      d = resp->add_diagnostics();
      d->set_severity("ERROR");
      d->set_code("MISSING_END_STATE");
      d->set_pointer("/States");
      d->set_message("no state ends the machine");
    }
    return grpc::Status::OK;
  }
  grpc::Status DeleteStateMachine(grpc::ServerContext*, const v1::DeleteStateMachineRequest* req,
                                  v1::DeleteStateMachineResponse*) override {
    ++calls;
    last_purge = req->purge();
    if (req->name() == "busy") {
      return {grpc::StatusCode::FAILED_PRECONDITION, "state machine 'busy' has running executions"};
    }
    return grpc::Status::OK;
  }

  grpc::Status StartExecution(grpc::ServerContext*, const v1::StartExecutionRequest* req,
                              v1::StartExecutionResponse* resp) override {
    ++calls;
    if (req->state_machine() != "orders") {
      return {grpc::StatusCode::NOT_FOUND,
              "state machine '" + req->state_machine() + "' does not exist"};
    }
    {
      std::lock_guard lock(mutex);
      last_input = req->input_json();
      auto record = CannedRecord();
      record.id = "orders:" + (req->name().empty() ? std::string("uuid-1") : req->name());
      record.status = final_status;
      if (final_status != "SUCCEEDED") {
        record.output.reset();
        record.error = "Boom";
        record.cause = "it broke";
      }
      executions_[record.id] = ToProto(record);
      resp->set_execution_id(record.id);
    }
    resp->set_start_ms(kStartMs);
    resp->set_version(req->version() ? req->version() : 2);
    return grpc::Status::OK;
  }
  grpc::Status DescribeExecution(grpc::ServerContext*, const v1::DescribeExecutionRequest* req,
                                 v1::Execution* resp) override {
    ++calls;
    std::lock_guard lock(mutex);
    auto it = executions_.find(req->execution_id());
    if (it == executions_.end()) {
      return {grpc::StatusCode::NOT_FOUND,
              "execution '" + req->execution_id() + "' does not exist"};
    }
    *resp = it->second;
    return grpc::Status::OK;
  }
  grpc::Status ListExecutions(grpc::ServerContext*, const v1::ListExecutionsRequest* req,
                              v1::ListExecutionsResponse* resp) override {
    ++calls;
    last_oldest_first = req->oldest_first();
    std::lock_guard lock(mutex);
    std::vector<v1::Execution> all;
    for (const auto& [id, e] : executions_) {
      if (!req->state_machine().empty() && e.state_machine() != req->state_machine()) continue;
      if (!req->status().empty() && e.status() != req->status()) continue;
      all.push_back(e);
      all.back().clear_input_json();  // as the API's list does
      all.back().clear_output_json();
    }
    size_t start = req->next_token().empty() ? 0 : std::stoul(req->next_token());
    size_t limit = req->max_results() > 0 ? static_cast<size_t>(req->max_results()) : 1;
    for (size_t i = start; i < all.size() && i < start + limit; ++i) {
      *resp->add_executions() = all[i];
    }
    if (start + limit < all.size()) resp->set_next_token(std::to_string(start + limit));
    return grpc::Status::OK;
  }
  grpc::Status StopExecution(grpc::ServerContext*, const v1::StopExecutionRequest* req,
                             v1::StopExecutionResponse* resp) override {
    ++calls;
    if (req->execution_id() == "orders:first") {
      return {grpc::StatusCode::FAILED_PRECONDITION, "execution 'orders:first' is SUCCEEDED"};
    }
    resp->set_stop_ms(kStartMs + 5);
    return grpc::Status::OK;
  }
  grpc::Status RedriveExecution(grpc::ServerContext*, const v1::RedriveExecutionRequest* req,
                                v1::RedriveExecutionResponse* resp) override {
    ++calls;
    std::lock_guard lock(mutex);
    if (!executions_.count(req->execution_id())) {
      return {grpc::StatusCode::NOT_FOUND,
              "execution '" + req->execution_id() + "' does not exist"};
    }
    resp->set_redrive_ms(kStartMs + 7);
    return grpc::Status::OK;
  }
  grpc::Status GetExecutionHistory(grpc::ServerContext* context,
                                   const v1::GetExecutionHistoryRequest* req,
                                   grpc::ServerWriter<v1::HistoryPage>* writer) override {
    ++calls;
    {
      std::lock_guard lock(mutex);
      if (!executions_.count(req->execution_id())) {
        return {grpc::StatusCode::NOT_FOUND,
                "execution '" + req->execution_id() + "' does not exist"};
      }
    }
    std::vector<v1::HistoryEvent> events = events_;
    if (req->follow()) {
      // The events "happen" two at a time: three pages with pauses.
      for (size_t i = 0; i < events.size(); i += 2) {
        if (context->IsCancelled()) return grpc::Status::CANCELLED;
        v1::HistoryPage page;
        for (size_t j = i; j < events.size() && j < i + 2; ++j) *page.add_events() = events[j];
        writer->Write(page);
        std::this_thread::sleep_for(20ms);
      }
      return grpc::Status::OK;
    }
    if (req->reverse_order()) std::reverse(events.begin(), events.end());
    size_t start = req->next_token().empty() ? 0 : std::stoul(req->next_token());
    size_t limit = req->max_results() > 0 ? static_cast<size_t>(req->max_results())
                                          : static_cast<size_t>(history_page_size.load());
    v1::HistoryPage page;
    for (size_t i = start; i < events.size() && i < start + limit; ++i) {
      *page.add_events() = events[i];
    }
    if (start + limit < events.size()) page.set_next_token(std::to_string(start + limit));
    writer->Write(page);
    return grpc::Status::OK;
  }

  grpc::Status PollTask(grpc::ServerContext*, const v1::PollTaskRequest* req,
                        v1::PollTaskResponse* resp) override {
    ++calls;
    if (req->activity() == "idle") return grpc::Status::OK;
    resp->set_task_token("tok-1");
    resp->set_input_json(R"({"order":7})");
    resp->set_execution_id("orders:first");
    resp->set_state_name("Approve");
    resp->set_heartbeat_seconds(30);
    return grpc::Status::OK;
  }
  grpc::Status SendTaskSuccess(grpc::ServerContext*, const v1::SendTaskSuccessRequest* req,
                               v1::SendTaskResponse*) override {
    ++calls;
    if (req->task_token() == "stale") {
      return {grpc::StatusCode::NOT_FOUND, "task token 'stale' is unknown or stale"};
    }
    std::lock_guard lock(mutex);
    last_output = req->output_json();
    return grpc::Status::OK;
  }
  grpc::Status SendTaskFailure(grpc::ServerContext*, const v1::SendTaskFailureRequest*,
                               v1::SendTaskResponse*) override {
    ++calls;
    return grpc::Status::OK;
  }
  grpc::Status SendTaskHeartbeat(grpc::ServerContext*, const v1::SendTaskHeartbeatRequest*,
                                 v1::SendTaskResponse*) override {
    ++calls;
    return grpc::Status::OK;
  }

  grpc::Status RegisterFunction(grpc::ServerContext*, const v1::RegisterFunctionRequest* req,
                                v1::RegisterFunctionResponse* resp) override {
    ++calls;
    if (req->endpoint().empty()) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "endpoint must not be empty"};
    }
    resp->set_version(req->endpoint() == "127.0.0.1:50051" ? 1 : 2);
    resp->set_unchanged(req->endpoint() == "127.0.0.1:50051");
    return grpc::Status::OK;
  }
  grpc::Status SetFunctionAlias(grpc::ServerContext*, const v1::SetFunctionAliasRequest* req,
                                v1::SetFunctionAliasResponse*) override {
    ++calls;
    if (req->version() > 2) return {grpc::StatusCode::NOT_FOUND, "function 'echo' has no version 3"};
    return grpc::Status::OK;
  }
  grpc::Status MapIntegration(grpc::ServerContext*, const v1::MapIntegrationRequest*,
                              v1::MapIntegrationResponse*) override {
    ++calls;
    return grpc::Status::OK;
  }
  grpc::Status ListFunctions(grpc::ServerContext*, const v1::ListFunctionsRequest*,
                             v1::ListFunctionsResponse* resp) override {
    ++calls;
    auto* f = resp->add_functions();
    f->set_name("echo");
    f->set_endpoint("127.0.0.1:50051");
    f->set_source("file");
    f = resp->add_functions();
    f->set_name("resize");
    f->set_endpoint("unix:/run/resize.sock");
    f->set_source("api");
    f->set_version(2);
    auto* v = f->add_versions();
    v->set_version(1);
    v->set_endpoint("127.0.0.1:1");
    v->set_source("file");
    v = f->add_versions();
    v->set_version(2);
    v->set_endpoint("unix:/run/resize.sock");
    v->set_source("api");
    (*f->mutable_aliases())["prod"] = 1;
    for (auto& entry : *resp->mutable_functions()) {
      entry.set_kind("grpc");
      for (auto& version : *entry.mutable_versions()) version.set_kind("grpc");
    }
    f = resp->add_functions();  // deployed code: no endpoint
    f->set_name("thumbs");
    f->set_kind("package");
    f->set_runtime("python");
    f->set_source("deploy");
    f->set_version(1);
    v = f->add_versions();
    v->set_version(1);
    v->set_kind("package");
    v->set_runtime("python");
    v->set_code_sha256("ab12");
    v->set_source("deploy");
    auto* m = resp->add_integrations();
    m->set_integration("sns:publish");
    m->set_function("resize:prod");
    return grpc::Status::OK;
  }
  grpc::Status RemoveFunction(grpc::ServerContext*, const v1::RemoveFunctionRequest*,
                              v1::RemoveFunctionResponse*) override {
    ++calls;
    return grpc::Status::OK;
  }

 private:
  grpc::Status Store(const std::string& name, const std::string& definition,
                     v1::StateMachineVersionRef* resp) {
    ++calls;
    {
      std::lock_guard lock(mutex);
      last_definition = definition;
    }
    if (definition.find("Missing") != std::string::npos) {
      return {grpc::StatusCode::INVALID_ARGUMENT,
              "invalid definition:\n/States/A/Next (5:11): MISSING_TRANSITION_TARGET: no state "
              "named 'Missing'"};
    }
    resp->set_name(name);
    resp->set_version(name == "same" ? 1 : 3);
    resp->set_created_ms(kStartMs);
    resp->set_unchanged(name == "same");
    return grpc::Status::OK;
  }

  std::map<std::string, v1::Execution> executions_;  // guarded by mutex
  std::vector<v1::HistoryEvent> events_;
};

struct FakeServer {
  FakeService service;
  std::unique_ptr<grpc::Server> server;
  std::string address;

  FakeServer() {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
    REQUIRE(port > 0);
    address = "127.0.0.1:" + std::to_string(port);
  }
  ~FakeServer() { server->Shutdown(std::chrono::system_clock::now() + 1s); }

  ClientOptions Options(bool json = false) const {
    ClientOptions o;
    o.server = address;
    o.json = json;
    return o;
  }
};

// What a command printed and returned.
struct Outcome {
  int rc = -1;
  std::string out, err;
};

template <typename F>
Outcome Capture(F&& command) {
  std::ostringstream out, err;
  Outcome o;
  o.rc = command(out, err);
  o.out = out.str();
  o.err = err.str();
  return o;
}

size_t Lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("stepflow_client_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// A SQLite database holding the canned execution, for the embedded verbs.
std::string EmbeddedDatabase() {
  std::string path = TempPath("embedded.db");
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  auto opened = store::OpenSqliteStore(path);
  REQUIRE(opened.ok());
  auto& db = *opened.value();
  for (int v = 1; v <= 2; ++v) {
    REQUIRE(db.PutStateMachineVersion("orders", "{\"v\":" + std::to_string(v) + "}",
                                      "sha" + std::to_string(v), kStartMs)
                .ok());
  }
  store::StepCommit step;
  step.execution = CannedRecord();
  step.create = true;
  step.events = CannedEvents();
  Status st = db.Commit({step});
  INFO(st.message());
  REQUIRE(st.ok());
  return path;
}

// A port nothing listens on: bound, then closed.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

// ------------------------------------------------------------ routing

TEST_CASE("client: ChooseServer picks --server, then STEPFLOW_SERVER", "[cli][client]") {
  std::ostringstream err;
  std::string address = "junk";
  bool defaulted = true;
  SECTION("--server wins over the environment") {
    CHECK(ChooseServer("exec describe", "a:1", "", true, "b:2", &address, err, &defaulted));
    CHECK(address == "a:1");
    CHECK_FALSE(defaulted);
    CHECK(ChooseServer("machine list", "a:1", "", false, "b:2", &address, err));
    CHECK(address == "a:1");
  }
  SECTION("the environment when no flag decides") {
    CHECK(ChooseServer("exec describe", "", "", true, "b:2", &address, err, &defaulted));
    CHECK(address == "b:2");
    CHECK_FALSE(defaulted);
    CHECK(ChooseServer("task poll", "", "", false, "b:2", &address, err));
    CHECK(address == "b:2");
  }
  SECTION("--db keeps a verb embedded even with STEPFLOW_SERVER set") {
    CHECK(ChooseServer("exec describe", "", "--db", true, "b:2", &address, err));
    CHECK(address.empty());
    CHECK(ChooseServer("exec stop", "", "--db", true, nullptr, &address, err));
    CHECK(address.empty());
  }
  CHECK(err.str().empty());
}

TEST_CASE("client: with no --server, STEPFLOW_SERVER or --db, verbs talk to 127.0.0.1:7233",
          "[cli][client]") {
  for (const char* env : {static_cast<const char*>(nullptr), ""}) {
    for (bool has_embedded_mode : {true, false}) {
      std::ostringstream err;
      std::string address;
      bool defaulted = false;
      CHECK(ChooseServer("exec list", "", "", has_embedded_mode, env, &address, err, &defaulted));
      CHECK(address == "127.0.0.1:7233");
      CHECK(defaulted);
      CHECK(err.str().empty());
    }
  }
}

TEST_CASE("client: --server with --db is bad usage", "[cli][client]") {
  std::ostringstream err;
  std::string address;
  CHECK_FALSE(ChooseServer("exec history", "a:1", "--db", true, nullptr, &address, err));
  CHECK(err.str() ==
        "stepflow exec history: --server and --db cannot be used together (--db is for "
        "embedded mode, without a server)\n");
}

TEST_CASE("client: an http:// address is refused, naming what to give instead", "[cli][client]") {
  std::ostringstream err;
  std::string address;
  CHECK_FALSE(ChooseServer("exec list", "http://127.0.0.1:8083", "", true, nullptr, &address, err));
  CHECK(err.str() ==
        "stepflow exec list: --server http://127.0.0.1:8083: give the gRPC address as HOST:PORT "
        "(`stepflow server --listen`, default 127.0.0.1:7233), not a URL; the http:// address is "
        "the Step Functions API, for the AWS CLI and SDKs (aws stepfunctions --endpoint-url "
        "http://127.0.0.1:8083)\n");
  std::ostringstream env_err;
  CHECK_FALSE(
      ChooseServer("task poll", "", "", false, "HTTPS://example.com:443", &address, env_err));
  CHECK_THAT(env_err.str(),
             StartsWith("stepflow task poll: STEPFLOW_SERVER=HTTPS://example.com:443: give the "
                        "gRPC address as HOST:PORT"));
  // HOST:PORT and unix: paths are addresses, not URLs.
  std::ostringstream ok;
  CHECK(ChooseServer("exec list", "localhost:7233", "", true, nullptr, &address, ok));
  CHECK(ChooseServer("exec list", "unix:/run/stepflow.sock", "", true, nullptr, &address, ok));
  CHECK(ok.str().empty());
}

TEST_CASE("client: an unreachable default server says how to start or name one", "[cli][client]") {
  ClientOptions options;
  options.server = "127.0.0.1:" + std::to_string(ClosedPort());
  options.default_server = true;
  options.has_embedded_mode = true;
  auto o = Capture(
      [&](auto& out, auto& err) { return RemoteExecDescribeCommand("m:x", options, out, err); });
  CHECK(o.rc == 1);
  CHECK(o.err == "stepflow: exec describe: UNAVAILABLE: no stepflow server at " + options.server +
                     " (the default address): start one with `stepflow server`, or name yours "
                     "with --server HOST:PORT or STEPFLOW_SERVER, or use a database file "
                     "directly with --db FILE\n");
  options.has_embedded_mode = false;
  o = Capture([&](auto& out, auto& err) { return MachineListCommand(options, out, err); });
  CHECK(o.rc == 1);
  CHECK_THAT(o.err, Contains("start one with `stepflow server`"));
  CHECK_THAT(o.err, !Contains("--db"));
}

// ------------------------------------------------------------ errors

TEST_CASE("client: a NOT_FOUND answer is one error line and exit 1", "[cli][client]") {
  FakeServer fake;
  auto o = Capture([&](auto& out, auto& err) {
    return RemoteExecDescribeCommand("m:x", fake.Options(), out, err);
  });
  CHECK(o.rc == 1);
  CHECK(o.out.empty());
  CHECK(o.err == "stepflow: exec describe: NOT_FOUND: execution 'm:x' does not exist\n");

  o = Capture([&](auto& out, auto& err) {
    HistoryArgs args;
    args.id = "m:x";
    return RemoteExecHistoryCommand(args, fake.Options(true), out, err);
  });
  CHECK(o.rc == 1);
  CHECK(o.err == "stepflow: exec history: NOT_FOUND: execution 'm:x' does not exist\n");
}

TEST_CASE("client: an invalid definition prints one diagnostic per line, as validate does",
          "[cli][client]") {
  FakeServer fake;
  std::string file = TempPath("bad.asl.yaml");
  std::ofstream(file) << "StartAt: A\nStates:\n  A:\n    Type: Pass\n    Next: Missing\n";
  auto o = Capture([&](auto& out, auto& err) {
    return MachineCreateCommand("orders", file, false, fake.Options(), out, err);
  });
  CHECK(o.rc == 1);
  CHECK(o.out.empty());
  CHECK(o.err == file +
                     ":5:11: error MISSING_TRANSITION_TARGET at /States/A/Next: no state named "
                     "'Missing'\n" +
                     file + ": error MISSING_END_STATE at /States: no state ends the machine\n" +
                     "stepflow: machine create: INVALID_ARGUMENT: " + file +
                     " is not a valid definition (2 errors)\n");
}

TEST_CASE("client: an invalid definition the server cannot validate again is one line",
          "[cli][client]") {
  FakeServer fake;
  std::string file = TempPath("bad-novalidate.asl.yaml");
  std::ofstream(file)
      << "StartAt: A # NoValidate\nStates:\n  A:\n    Type: Pass\n    Next: Missing\n";
  auto o = Capture([&](auto& out, auto& err) {
    return MachineCreateCommand("orders", file, false, fake.Options(), out, err);
  });
  CHECK(o.rc == 1);
  CHECK(Lines(o.err) == 1);
  CHECK_THAT(o.err, StartsWith("stepflow: machine create: INVALID_ARGUMENT: invalid definition"));
  CHECK_THAT(o.err, Contains("/States/A/Next (5:11): MISSING_TRANSITION_TARGET"));
}

TEST_CASE("client: an unreachable server is UNAVAILABLE with its address, exit 1",
          "[cli][client]") {
  ClientOptions options;
  options.server = "127.0.0.1:" + std::to_string(ClosedPort());
  auto started = std::chrono::steady_clock::now();
  auto o = Capture(
      [&](auto& out, auto& err) { return RemoteExecDescribeCommand("m:x", options, out, err); });
  auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(o.rc == 1);
  CHECK(o.out.empty());
  CHECK(Lines(o.err) == 1);
  CHECK_THAT(o.err,
             StartsWith("stepflow: exec describe: UNAVAILABLE: server at " + options.server));
  CHECK(elapsed < std::chrono::milliseconds(options.connect_timeout_ms + 2000));
}

TEST_CASE("client: a server that never answers is UNAVAILABLE after the connect timeout",
          "[cli][client]") {
  // A listener that accepts nothing: the TCP handshake completes in the
  // kernel, the HTTP/2 one never does.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 8) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ClientOptions options;
  options.server = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  options.connect_timeout_ms = 300;
  auto started = std::chrono::steady_clock::now();
  auto o = Capture([&](auto& out, auto& err) { return MachineListCommand(options, out, err); });
  auto elapsed = std::chrono::steady_clock::now() - started;
  ::close(fd);
  CHECK(o.rc == 1);
  CHECK(Lines(o.err) == 1);
  CHECK_THAT(o.err, StartsWith("stepflow: machine list: UNAVAILABLE: "));
  CHECK_THAT(o.err, Contains(options.server));
  CHECK(elapsed < 5s);
}

// ------------------------------------------------------------ same shapes as embedded

TEST_CASE("client: exec describe prints what the embedded verb prints", "[cli][client]") {
  FakeServer fake;
  EngineOptions embedded;
  embedded.db = EmbeddedDatabase();
  for (bool json : {true, false}) {
    embedded.json = json;
    auto local = Capture([&](auto& out, auto& err) {
      return ExecDescribeCommand("orders:first", embedded, out, err);
    });
    auto remote = Capture([&](auto& out, auto& err) {
      return RemoteExecDescribeCommand("orders:first", fake.Options(json), out, err);
    });
    REQUIRE(local.rc == 0);
    CHECK(remote.rc == 0);
    CHECK(remote.err.empty());
    CHECK(remote.out == local.out);
  }
  auto remote = Capture([&](auto& out, auto& err) {
    return RemoteExecDescribeCommand("orders:first", fake.Options(true), out, err);
  });
  Json j = Json::parse(remote.out);
  CHECK(j["executionId"] == "orders:first");
  CHECK(j["output"] == Json::parse(R"({"a":1,"b":[true,null]})"));
  CHECK(j["stopTime"] == "2023-11-14T22:13:21.623Z");
}

TEST_CASE("client: exec history prints what the embedded verb prints", "[cli][client]") {
  FakeServer fake;
  EngineOptions embedded;
  embedded.db = EmbeddedDatabase();
  for (bool reverse : {false, true}) {
    for (bool json : {true, false}) {
      embedded.json = json;
      auto local = Capture([&](auto& out, auto& err) {
        return ExecHistoryCommand("orders:first", embedded, reverse, false, out, err);
      });
      HistoryArgs args;
      args.id = "orders:first";
      args.reverse = reverse;
      auto remote = Capture([&](auto& out, auto& err) {
        return RemoteExecHistoryCommand(args, fake.Options(json), out, err);
      });
      REQUIRE(local.rc == 0);
      CHECK(remote.rc == 0);
      CHECK(remote.err.empty());
      CHECK(remote.out == local.out);
    }
  }
  HistoryArgs args;
  args.id = "orders:first";
  auto remote = Capture([&](auto& out, auto& err) {
    return RemoteExecHistoryCommand(args, fake.Options(true), out, err);
  });
  Json events = Json::parse(remote.out);
  REQUIRE(events.size() == 5);
  CHECK(events[0]["id"] == 1);
  CHECK(events[0]["previousEventId"] == 0);
  CHECK(events[0]["type"] == "ExecutionStarted");
  CHECK(events[0]["executionStartedEventDetails"]["input"] == R"({"a":1})");
  CHECK(events[1].contains("stateEnteredEventDetails"));
  CHECK(events[2]["statePath"] == "Fanout[0]/Charge");
}

TEST_CASE("client: exec history reads every page, or one with --max-results", "[cli][client]") {
  FakeServer fake;
  fake.service.history_page_size = 2;  // the server cuts pages of 2
  HistoryArgs args;
  args.id = "orders:first";
  auto all = Capture([&](auto& out, auto& err) {
    return RemoteExecHistoryCommand(args, fake.Options(true), out, err);
  });
  CHECK(all.rc == 0);
  CHECK(Json::parse(all.out).size() == 5);
  CHECK(all.err.empty());

  args.max_results = 2;
  auto one = Capture([&](auto& out, auto& err) {
    return RemoteExecHistoryCommand(args, fake.Options(true), out, err);
  });
  CHECK(one.rc == 0);
  CHECK(Json::parse(one.out).size() == 2);
  CHECK(one.err == "stepflow exec history: more events: --next-token 2\n");

  args.next_token = "4";
  auto last = Capture([&](auto& out, auto& err) {
    return RemoteExecHistoryCommand(args, fake.Options(true), out, err);
  });
  CHECK(last.rc == 0);
  Json tail = Json::parse(last.out);
  REQUIRE(tail.size() == 1);
  CHECK(tail[0]["id"] == 5);
  CHECK(last.err.empty());
}

TEST_CASE("client: exec list prints what the embedded verb prints", "[cli][client]") {
  FakeServer fake;
  EngineOptions embedded;
  embedded.db = EmbeddedDatabase();
  embedded.json = false;
  auto local = Capture(
      [&](auto& out, auto& err) { return ExecListCommand("orders", "", embedded, out, err); });
  auto remote = Capture([&](auto& out, auto& err) {
    return RemoteExecListCommand("orders", "", 0, "", fake.Options(), out, err);
  });
  REQUIRE(local.rc == 0);
  CHECK(remote.rc == 0);
  CHECK(remote.out == local.out);

  embedded.json = true;
  local = Capture(
      [&](auto& out, auto& err) { return ExecListCommand("orders", "", embedded, out, err); });
  remote = Capture([&](auto& out, auto& err) {
    return RemoteExecListCommand("orders", "", 0, "", fake.Options(true), out, err);
  });
  Json l = Json::parse(local.out), r = Json::parse(remote.out);
  REQUIRE(l.size() == 1);
  REQUIRE(r.size() == 1);
  // The list leaves input and output out in both modes; describe has them.
  CHECK(r[0]["input"].is_null());
  CHECK(r[0]["output"].is_null());
  CHECK(r == l);
  CHECK_FALSE(fake.service.last_oldest_first);  // newest first unless asked
  remote = Capture([&](auto& out, auto& err) {
    return RemoteExecListCommand("orders", "", 0, "", fake.Options(true), out, err, true);
  });
  CHECK(remote.rc == 0);
  CHECK(fake.service.last_oldest_first);
}

TEST_CASE("client: exec list follows next tokens, or prints one page's", "[cli][client]") {
  FakeServer fake;
  // Three executions, listed one per page by the fake without max_results.
  for (const char* name : {"b", "c"}) {
    StartArgs args;
    args.machine = "orders";
    args.name = name;
    REQUIRE(Capture([&](auto& out, auto& err) {
              return ExecStartCommand(args, fake.Options(), out, err);
            }).rc == 0);
  }
  auto all = Capture([&](auto& out, auto& err) {
    return RemoteExecListCommand("", "", 0, "", fake.Options(true), out, err);
  });
  CHECK(all.rc == 0);
  CHECK(Json::parse(all.out).size() == 3);
  CHECK(all.err.empty());

  auto page = Capture([&](auto& out, auto& err) {
    return RemoteExecListCommand("", "", 2, "", fake.Options(true), out, err);
  });
  CHECK(page.rc == 0);
  CHECK(Json::parse(page.out).size() == 2);
  CHECK(page.err == "stepflow exec list: more results: --next-token 2\n");
}

TEST_CASE("client: exec history --follow prints events as pages arrive", "[cli][client]") {
  FakeServer fake;
  HistoryArgs args;
  args.id = "orders:first";
  args.follow = true;
  auto json = Capture([&](auto& out, auto& err) {
    return RemoteExecHistoryCommand(args, fake.Options(true), out, err);
  });
  CHECK(json.rc == 0);
  CHECK(json.err.empty());
  // One JSON event per line, each shaped like an element of the array.
  std::istringstream lines(json.out);
  std::string line;
  std::vector<Json> events;
  while (std::getline(lines, line)) events.push_back(Json::parse(line));
  REQUIRE(events.size() == 5);
  for (size_t i = 0; i < events.size(); ++i) CHECK(events[i]["id"] == i + 1);
  CHECK(events[0].contains("executionStartedEventDetails"));
  CHECK(events[4]["type"] == "ExecutionSucceeded");

  auto table = Capture([&](auto& out, auto& err) {
    return RemoteExecHistoryCommand(args, fake.Options(false), out, err);
  });
  CHECK(table.rc == 0);
  CHECK(Lines(table.out) == 6);  // one header, five rows
  CHECK_THAT(table.out, StartsWith("ID    TIMESTAMP"));
  CHECK_THAT(table.out, Contains("ExecutionSucceeded"));

  args.reverse = true;
  auto bad = Capture([&](auto& out, auto& err) {
    return RemoteExecHistoryCommand(args, fake.Options(), out, err);
  });
  CHECK(bad.rc == 2);
}

// ------------------------------------------------------------ exec start, stop, redrive

TEST_CASE("client: exec start prints just the execution id", "[cli][client]") {
  FakeServer fake;
  StartArgs args;
  args.machine = "orders";
  args.name = "n1";
  args.input = R"({"x": 1})";
  auto o = Capture(
      [&](auto& out, auto& err) { return ExecStartCommand(args, fake.Options(), out, err); });
  CHECK(o.rc == 0);
  CHECK(o.out == "orders:n1\n");
  CHECK(o.err.empty());
  {
    std::lock_guard lock(fake.service.mutex);
    CHECK(fake.service.last_input == R"({"x": 1})");
  }

  o = Capture(
      [&](auto& out, auto& err) { return ExecStartCommand(args, fake.Options(true), out, err); });
  CHECK(o.rc == 0);
  Json j = Json::parse(o.out);
  CHECK(j == Json{{"executionId", "orders:n1"},
                  {"startMs", kStartMs},
                  {"version", 2},
                  {"alreadyStarted", false}});

  args.machine = "nope";
  o = Capture(
      [&](auto& out, auto& err) { return ExecStartCommand(args, fake.Options(), out, err); });
  CHECK(o.rc == 1);
  CHECK(o.err == "stepflow: exec start: NOT_FOUND: state machine 'nope' does not exist\n");
}

TEST_CASE("client: exec start checks the input before calling the server", "[cli][client]") {
  FakeServer fake;
  StartArgs args;
  args.machine = "orders";
  args.input = "{not json";
  auto o = Capture(
      [&](auto& out, auto& err) { return ExecStartCommand(args, fake.Options(), out, err); });
  CHECK(o.rc == 2);
  CHECK(o.err ==
        "stepflow exec start: --input is not valid JSON (line 1, column 3): syntax error while "
        "parsing object key - invalid literal; last read: '{no'; expected string literal\n");

  args.input.reset();
  args.input_file = TempPath("does-not-exist.json");
  o = Capture(
      [&](auto& out, auto& err) { return ExecStartCommand(args, fake.Options(), out, err); });
  CHECK(o.rc == 2);
  CHECK(fake.service.calls == 0);

  std::string file = TempPath("input.json");
  std::ofstream(file) << R"({"from":"file"})";
  args.input_file = file;
  o = Capture(
      [&](auto& out, auto& err) { return ExecStartCommand(args, fake.Options(), out, err); });
  CHECK(o.rc == 0);
  std::lock_guard lock(fake.service.mutex);
  CHECK(fake.service.last_input == R"({"from":"file"})");
}

TEST_CASE("client: exec start --wait prints the result as run does", "[cli][client]") {
  FakeServer fake;
  StartArgs args;
  args.machine = "orders";
  args.name = "w";
  args.wait = true;
  auto o = Capture(
      [&](auto& out, auto& err) { return ExecStartCommand(args, fake.Options(true), out, err); });
  CHECK(o.rc == 0);
  CHECK(o.err.empty());
  auto record = CannedRecord();
  record.id = "orders:w";
  CHECK(o.out == DumpCompact(ResultJson(record)) + "\n");

  fake.service.final_status = "FAILED";
  args.name = "f";
  o = Capture(
      [&](auto& out, auto& err) { return ExecStartCommand(args, fake.Options(true), out, err); });
  CHECK(o.rc == 1);
  CHECK(Json::parse(o.out) == Json{{"executionId", "orders:f"},
                                   {"status", "FAILED"},
                                   {"error", "Boom"},
                                   {"cause", "it broke"}});

  o = Capture(
      [&](auto& out, auto& err) { return ExecStartCommand(args, fake.Options(false), out, err); });
  CHECK(o.rc == 1);
  CHECK_THAT(o.out, Contains("status     FAILED"));
}

TEST_CASE("client: exec stop and redrive", "[cli][client]") {
  FakeServer fake;
  auto o = Capture([&](auto& out, auto& err) {
    return ExecStopCommand("orders:other", "Stopped", std::string("by hand"), fake.Options(true),
                           out, err);
  });
  CHECK(o.rc == 0);
  CHECK(Json::parse(o.out) == Json{{"executionId", "orders:other"}, {"stopMs", kStartMs + 5}});
  o = Capture([&](auto& out, auto& err) {
    return ExecStopCommand("orders:first", "", std::nullopt, fake.Options(), out, err);
  });
  CHECK(o.rc == 1);
  CHECK(o.err ==
        "stepflow: exec stop: FAILED_PRECONDITION: execution 'orders:first' is SUCCEEDED\n");

  o = Capture([&](auto& out, auto& err) {
    return RemoteExecRedriveCommand("orders:first", false, fake.Options(), out, err);
  });
  CHECK(o.rc == 0);
  CHECK(o.out == "orders:first\n");
  o = Capture([&](auto& out, auto& err) {
    return RemoteExecRedriveCommand("orders:first", true, fake.Options(true), out, err);
  });
  CHECK(o.rc == 0);
  CHECK(o.out == DumpCompact(ResultJson(CannedRecord())) + "\n");
}

// ------------------------------------------------------------ machines

TEST_CASE("client: machine create and update print the version", "[cli][client]") {
  FakeServer fake;
  std::string file = TempPath("ok.asl.json");
  const std::string definition = R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})";
  std::ofstream(file) << definition;
  auto o = Capture([&](auto& out, auto& err) {
    return MachineCreateCommand("orders", file, false, fake.Options(), out, err);
  });
  CHECK(o.rc == 0);
  CHECK(o.out == "orders version 3\n");
  {
    std::lock_guard lock(fake.service.mutex);
    CHECK(fake.service.last_definition == definition);
  }
  o = Capture([&](auto& out, auto& err) {
    return MachineCreateCommand("same", file, true, fake.Options(true), out, err);
  });
  CHECK(o.rc == 0);
  CHECK(Json::parse(o.out) ==
        Json{{"name", "same"}, {"version", 1}, {"createdMs", kStartMs}, {"unchanged", true}});
  o = Capture([&](auto& out, auto& err) {
    return MachineCreateCommand("same", file, true, fake.Options(), out, err);
  });
  CHECK_THAT(o.out, StartsWith("same version 1 (unchanged"));

  o = Capture([&](auto& out, auto& err) {
    return MachineCreateCommand("orders", TempPath("missing.json"), false, fake.Options(), out,
                                err);
  });
  CHECK(o.rc == 2);
}

TEST_CASE("client: machine describe, list and delete", "[cli][client]") {
  FakeServer fake;
  auto o = Capture([&](auto& out, auto& err) {
    return MachineDescribeCommand("orders", 0, fake.Options(true), out, err);
  });
  CHECK(o.rc == 0);
  Json j = Json::parse(o.out);
  CHECK(j["name"] == "orders");
  CHECK(j["version"] == 2);
  CHECK(j["sha256"] == "abc123");
  CHECK(j["createdMs"] == kStartMs);
  CHECK_THAT(j["definition"].get<std::string>(), StartsWith("StartAt: A"));
  REQUIRE(j["versions"].size() == 2);
  CHECK(j["versions"][0] ==
        Json{{"version", 1}, {"sha256", "def456"}, {"createdMs", kStartMs - 1000}});

  o = Capture([&](auto& out, auto& err) {
    return MachineDescribeCommand("orders", 1, fake.Options(), out, err);
  });
  CHECK(o.rc == 0);
  CHECK_THAT(o.out, Contains("version     1\n"));
  CHECK_THAT(o.out, Contains("definition\nStartAt: A\n"));

  o = Capture([&](auto& out, auto& err) {
    return MachineDescribeCommand("nope", 0, fake.Options(), out, err);
  });
  CHECK(o.rc == 1);
  CHECK(o.err == "stepflow: machine describe: NOT_FOUND: state machine 'nope' does not exist\n");

  o = Capture([&](auto& out, auto& err) { return MachineListCommand(fake.Options(), out, err); });
  CHECK(o.rc == 0);
  CHECK_THAT(o.out, StartsWith("NAME      LATEST  CREATED\n"));
  CHECK(Lines(o.out) == 3);  // both pages
  o = Capture(
      [&](auto& out, auto& err) { return MachineListCommand(fake.Options(true), out, err); });
  j = Json::parse(o.out);
  REQUIRE(j.size() == 2);
  CHECK(j[1] == Json{{"name", "payments"}, {"latestVersion", 1}, {"createdMs", kStartMs}});

  o = Capture([&](auto& out, auto& err) {
    return MachineDeleteCommand("orders", false, fake.Options(), out, err);
  });
  CHECK(o.rc == 0);
  CHECK(o.out ==
        "deleted orders (its executions stay readable with exec describe|history|list; --purge "
        "deletes them too)\n");
  CHECK_FALSE(fake.service.last_purge);
  o = Capture([&](auto& out, auto& err) {
    return MachineDeleteCommand("orders", true, fake.Options(true), out, err);
  });
  CHECK(o.rc == 0);
  CHECK(Json::parse(o.out) == Json{{"name", "orders"}, {"deleted", true}, {"purged", true}});
  CHECK(fake.service.last_purge);
  o = Capture([&](auto& out, auto& err) {
    return MachineDeleteCommand("busy", false, fake.Options(), out, err);
  });
  CHECK(o.rc == 1);
  CHECK_THAT(o.err, StartsWith("stepflow: machine delete: FAILED_PRECONDITION: "));
}

// ------------------------------------------------------------ functions, tasks

TEST_CASE("client: functions register, list, alias, map and remove", "[cli][client]") {
  FakeServer fake;
  auto o = Capture([&](auto& out, auto& err) {
    return FunctionsRegisterCommand("echo", "127.0.0.1:50051", fake.Options(), out, err);
  });
  CHECK(o.rc == 0);
  CHECK(o.out == "registered echo 127.0.0.1:50051 (unchanged: version 1)\n");
  o = Capture([&](auto& out, auto& err) {
    return FunctionsRegisterCommand("echo", "", fake.Options(), out, err);
  });
  CHECK(o.rc == 1);
  CHECK(o.err == "stepflow: functions register: INVALID_ARGUMENT: endpoint must not be empty\n");

  o = Capture([&](auto& out, auto& err) {
    return FunctionsRegisterCommand("echo", "127.0.0.1:6000", fake.Options(true), out, err);
  });
  CHECK(Json::parse(o.out) == Json{{"name", "echo"},
                                   {"endpoint", "127.0.0.1:6000"},
                                   {"version", 2},
                                   {"unchanged", false}});

  o = Capture([&](auto& out, auto& err) { return FunctionsListCommand(fake.Options(), out, err); });
  CHECK(o.rc == 0);
  CHECK_THAT(o.out, StartsWith("NAME    ENDPOINT               VERSION  SOURCE  ALIASES\n"));
  CHECK_THAT(o.out, Contains("resize  unix:/run/resize.sock  2        api     prod=1\n"));
  CHECK_THAT(o.out, Contains("thumbs  deployed python        1        deploy  \n"));
  o = Capture(
      [&](auto& out, auto& err) { return FunctionsListCommand(fake.Options(true), out, err); });
  Json j = Json::parse(o.out);
  REQUIRE(j.size() == 3);
  CHECK(j[0]["name"] == "echo");
  CHECK(j[1]["aliases"] == Json{{"prod", 1}});
  CHECK(j[1]["versions"].size() == 2);
  CHECK(j[1]["versions"][0] == Json{{"version", 1},
                                    {"kind", "grpc"},
                                    {"endpoint", "127.0.0.1:1"},
                                    {"source", "file"},
                                    {"createdMs", 0}});
  CHECK(j[2]["kind"] == "package");
  CHECK(j[2]["runtime"] == "python");
  CHECK(j[2]["versions"][0]["codeSha256"] == "ab12");
  CHECK(j[1]["kind"] == "grpc");

  o = Capture([&](auto& out, auto& err) {
    return FunctionsAliasCommand("echo", "prod", 2, fake.Options(), out, err);
  });
  CHECK(o.out == "echo:prod -> version 2\n");
  o = Capture([&](auto& out, auto& err) {
    return FunctionsAliasCommand("echo", "prod", 3, fake.Options(), out, err);
  });
  CHECK(o.rc == 1);
  CHECK(o.err == "stepflow: functions alias: NOT_FOUND: function 'echo' has no version 3\n");
  o = Capture([&](auto& out, auto& err) {
    return FunctionsMapCommand("sns:publish", "resize:prod", fake.Options(), out, err);
  });
  CHECK(o.out == "mapped sns:publish to resize:prod\n");
  o = Capture([&](auto& out, auto& err) {
    return FunctionsIntegrationsCommand(fake.Options(true), out, err);
  });
  CHECK(Json::parse(o.out) ==
        Json::array({Json{{"integration", "sns:publish"}, {"function", "resize:prod"}}}));

  o = Capture([&](auto& out, auto& err) {
    return FunctionsRemoveCommand("echo", fake.Options(), out, err);
  });
  CHECK(o.rc == 0);
  CHECK(o.out == "removed echo\n");
}

TEST_CASE("client: task poll prints the task as JSON, or nothing", "[cli][client]") {
  FakeServer fake;
  auto o = Capture([&](auto& out, auto& err) {
    return TaskPollCommand("approve", "w1", 1, fake.Options(), out, err);
  });
  CHECK(o.rc == 0);
  CHECK(Json::parse(o.out) == Json{{"taskToken", "tok-1"},
                                   {"input", {{"order", 7}}},
                                   {"executionId", "orders:first"},
                                   {"stateName", "Approve"},
                                   {"heartbeatSeconds", 30}});
  o = Capture([&](auto& out, auto& err) {
    return TaskPollCommand("idle", "", 1, fake.Options(), out, err);
  });
  CHECK(o.rc == 0);
  CHECK(o.out.empty());
  CHECK(o.err.empty());
}

TEST_CASE("client: task success, failure and heartbeat", "[cli][client]") {
  FakeServer fake;
  auto o = Capture([&](auto& out, auto& err) {
    return TaskSuccessCommand("tok-1", R"({"ok":true})", fake.Options(), out, err);
  });
  CHECK(o.rc == 0);
  CHECK(o.out.empty());
  {
    std::lock_guard lock(fake.service.mutex);
    CHECK(fake.service.last_output == R"({"ok":true})");
  }
  o = Capture([&](auto& out, auto& err) {
    return TaskSuccessCommand("tok-1", "{oops", fake.Options(), out, err);
  });
  CHECK(o.rc == 2);
  o = Capture([&](auto& out, auto& err) {
    return TaskSuccessCommand("stale", "{}", fake.Options(), out, err);
  });
  CHECK(o.rc == 1);
  CHECK(o.err == "stepflow: task success: NOT_FOUND: task token 'stale' is unknown or stale\n");
  o = Capture([&](auto& out, auto& err) {
    return TaskFailureCommand("tok-1", "Rejected", "no stock", fake.Options(true), out, err);
  });
  CHECK(o.rc == 0);
  CHECK(o.out == "{}\n");
  o = Capture([&](auto& out, auto& err) {
    return TaskHeartbeatCommand("tok-1", fake.Options(), out, err);
  });
  CHECK(o.rc == 0);
}

}  // namespace stepflow::cli

// ------------------------------------------------------------ the binary

namespace stepflow::cli {
namespace {

// Runs the real `stepflow` through the shell (`env` may set or unset
// STEPFLOW_SERVER) and captures stdout, stderr and the exit code.
Outcome Binary(const std::string& args, const std::string& env = "env -u STEPFLOW_SERVER") {
  std::string err_file = TempPath("stderr.txt");
  std::string cmd = env + " " + STEPFLOW_BINARY + " " + args + " 2>" + err_file;
  Outcome o;
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) o.out.append(buf, n);
  int status = pclose(pipe);
  o.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  o.err.assign(std::istreambuf_iterator<char>(in), {});
  return o;
}

}  // namespace

TEST_CASE("client: stepflow routes the verbs to --server or STEPFLOW_SERVER", "[cli][client]") {
  FakeServer fake;
  auto o = Binary("exec start orders --name n1 --input '{\"x\":1}' --server " + fake.address);
  CHECK(o.rc == 0);
  CHECK(o.out == "orders:n1\n");
  CHECK(o.err.empty());

  auto direct = Capture([&](auto& out, auto& err) {
    return RemoteExecDescribeCommand("orders:first", fake.Options(true), out, err);
  });
  o = Binary("exec describe orders:first --json", "env STEPFLOW_SERVER=" + fake.address);
  CHECK(o.rc == 0);
  CHECK(o.out == direct.out);

  o = Binary("exec history orders:first --follow --json --server " + fake.address);
  CHECK(o.rc == 0);
  CHECK(Lines(o.out) == 5);

  o = Binary("exec describe orders:nope --server " + fake.address);
  CHECK(o.rc == 1);
  CHECK(o.err == "stepflow: exec describe: NOT_FOUND: execution 'orders:nope' does not exist\n");

  o = Binary("machine describe orders --version 1 --json --server " + fake.address);
  CHECK(o.rc == 0);
  CHECK(Json::parse(o.out)["version"] == 1);

  o = Binary("task poll approve --wait-seconds 1", "env STEPFLOW_SERVER=" + fake.address);
  CHECK(o.rc == 0);
  CHECK(Json::parse(o.out)["taskToken"] == "tok-1");
}

TEST_CASE("client: stepflow usage errors about the server exit 2", "[cli][client]") {
  auto o = Binary("exec describe x --server 127.0.0.1:1 --db x.db");
  CHECK(o.rc == 2);
  CHECK_THAT(o.err, Contains("--server and --db cannot be used together"));
  o = Binary("exec start orders --server 127.0.0.1:1 --skip-waits");
  CHECK(o.rc == 2);
  CHECK_THAT(o.err, Contains("--server and --skip-waits cannot be used together"));
  // --db keeps the verb embedded although STEPFLOW_SERVER is set.
  o = Binary("exec describe x --db " + TempPath("none.db"), "env STEPFLOW_SERVER=127.0.0.1:1");
  CHECK(o.rc == 2);
  CHECK_THAT(o.err, Contains("no database at"));
  o = Binary("exec start orders --input '{bad' --server 127.0.0.1:1");
  CHECK(o.rc == 2);
  o = Binary("exec list --server http://127.0.0.1:8083");
  CHECK(o.rc == 2);
  CHECK_THAT(o.err, Contains("give the gRPC address as HOST:PORT"));
  o = Binary("machine list", "env STEPFLOW_SERVER=http://127.0.0.1:8083");
  CHECK(o.rc == 2);
  CHECK_THAT(o.err, Contains("STEPFLOW_SERVER=http://127.0.0.1:8083: give the gRPC address"));
}

TEST_CASE("client: stepflow with no server named calls 127.0.0.1:7233", "[cli][client]") {
  // Whether or not a server listens there: NOT_FOUND from one, or the
  // UNAVAILABLE line naming the default address and how to start one.
  const std::string id = "nothing:here-" + std::to_string(::getpid());
  auto o = Binary("exec describe " + id);
  CHECK(o.rc == 1);
  INFO(o.err);
  const bool answered = o.err.rfind("stepflow: exec describe: NOT_FOUND: ", 0) == 0;
  const bool unreachable =
      o.err ==
      "stepflow: exec describe: UNAVAILABLE: no stepflow server at 127.0.0.1:7233 (the "
      "default address): start one with `stepflow server`, or name yours with --server "
      "HOST:PORT or STEPFLOW_SERVER, or use a database file directly with --db FILE\n";
  CHECK((answered || unreachable));
  o = Binary("task heartbeat tok-" + std::to_string(::getpid()));
  CHECK(o.rc == 1);
  CHECK_THAT(o.err, StartsWith("stepflow: task heartbeat: "));
  CHECK_THAT(o.err, !Contains("needs a server"));
}

TEST_CASE("client: an unknown option names the closest one", "[cli][client]") {
  auto o = Binary("machine list --sever 127.0.0.1:1");
  CHECK(o.rc == 2);
  CHECK(o.err ==
        "stepflow machine list: unknown option --sever (did you mean --server?)\n"
        "stepflow machine list: unexpected argument '127.0.0.1:1'\n"
        "Run 'stepflow machine list --help' for more information.\n");
  o = Binary("exec list --jsno --db x.db");
  CHECK(o.rc == 2);
  CHECK_THAT(o.err,
             StartsWith("stepflow exec list: unknown option --jsno (did you mean --json?)\n"));
  o = Binary("exec history x --folow");
  CHECK(o.rc == 2);
  CHECK_THAT(o.err, Contains("unknown option --folow (did you mean --follow?)"));
  o = Binary("exec lst");
  CHECK(o.rc == 2);
  CHECK_THAT(o.err, StartsWith("stepflow exec: unknown command 'lst' (did you mean 'list'?); the "
                               "commands are: start, describe, history, list, stop, redrive\n"));
  o = Binary("frobnicate");
  CHECK(o.rc == 2);
  CHECK_THAT(o.err, StartsWith("stepflow: unknown command 'frobnicate'; the commands are: "));
  o = Binary("run --input-flie x.json wf.yaml");
  CHECK(o.rc == 2);
  CHECK_THAT(o.err, Contains("unknown option --input-flie (did you mean --input-file?)"));
}

TEST_CASE("client: Closest suggests only what looks like a typo", "[cli][client]") {
  CHECK(EditDistance("--sever", "--server") == 1);
  CHECK(EditDistance("--jsno", "--json") == 1);  // a swap counts once
  CHECK(EditDistance("", "abc") == 3);
  const std::vector<std::string> options = {"--server", "--json", "--db", "--help"};
  CHECK(Closest("--sever", options) == "--server");
  CHECK(Closest("--sevrer", options) == "--server");
  CHECK(Closest("--jsn", options) == "--json");
  CHECK(Closest("--frobnicate", options).empty());
  CHECK(Closest("--x", options).empty());
}

}  // namespace stepflow::cli
