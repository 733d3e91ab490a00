// Harness for the integration tests (tests/integration/): a real
// `stepflow server` child process on 127.0.0.1 with an OS-chosen port, a
// StepflowService stub on it, and helpers that wait — always bounded — for
// what the server does.
//
//   stepflow::itest::Server server;         // --db <tmp>/s.db --listen 127.0.0.1:0
//   server.CreateMachine("m", definition);  // REQUIREs OK
//   std::string id = server.Start("m", R"({"a":1})");
//   v1::Execution e = server.WaitForStatus(id, "SUCCEEDED");  // FAILs after 10 s
//   server.HistoryTypes(id);                // {"ExecutionStarted", ...}
//   server.Kill9(); server.Restart();       // same database, new port, new stub
//
// Workers: stepflow::testing::TestWorker (the C++ stepflow_test_worker) and
// PythonProcess (an SDK example under sdk/python/examples with PYTHONPATH set).
//
// Every child process is SIGKILLed and reaped by its destructor (Process), so
// a failing test leaks nothing. Waits are bounded by kWait unless stated, and
// fail the test when exceeded; no test asserts how long anything took.
//
// Thread-safety: none; one Server per test, used from the test's thread.
#pragma once

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/rpc/grpc_names.h"
#include "stepflow/v1/service.grpc.pb.h"
#include "tests/support/catch_json.h"
#include "tests/support/process.h"
#include "tests/support/test_worker.h"

namespace stepflow::itest {

namespace v1 = stepflow::v1;
using Json = nlohmann::json;
using Stub = v1::StepflowService::Stub;
using stepflow::testing::Process;
using stepflow::testing::SpawnOptions;
using stepflow::testing::TempDir;
using stepflow::testing::TestWorker;
using namespace std::chrono_literals;

// The longest any helper waits for the server to reach a state.
constexpr auto kWait = 10s;
// The deadline of one unary call.
constexpr auto kCallDeadline = 10s;

inline std::string CodeName(grpc::StatusCode code) {
  return std::string(stepflow::rpc::GrpcStatusName(static_cast<int>(code)));
}

// "NOT_FOUND: execution 'x' not found", for INFO and failure messages.
inline std::string StatusText(const grpc::Status& st) {
  return CodeName(st.error_code()) + ": " + st.error_message();
}

inline void SetDeadline(grpc::ClientContext& ctx, std::chrono::milliseconds d = kCallDeadline) {
  ctx.set_deadline(std::chrono::system_clock::now() + d);
}

// Polls `done` every 20 ms until it returns true; FAILs with `what` after
// `timeout`.
inline void WaitUntil(const std::function<bool()>& done, const std::string& what,
                      std::chrono::milliseconds timeout = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      FAIL("timed out after " << timeout.count() << " ms waiting for " << what);
    }
    std::this_thread::sleep_for(20ms);
  }
}

inline Json ParseJson(const std::string& text) { return Json::parse(text, nullptr, false); }

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

// An event's details_json, parsed.
inline Json Details(const v1::HistoryEvent& e) { return ParseJson(e.details_json()); }

inline std::vector<std::string> Types(const std::vector<v1::HistoryEvent>& events) {
  std::vector<std::string> types;
  for (const auto& e : events) types.push_back(e.type());
  return types;
}

inline int CountType(const std::vector<v1::HistoryEvent>& events, const std::string& type) {
  int n = 0;
  for (const auto& e : events) n += e.type() == type;
  return n;
}

// The first event of `type` (FAILs when there is none).
inline v1::HistoryEvent FirstOfType(const std::vector<v1::HistoryEvent>& events,
                                    const std::string& type) {
  for (const auto& e : events) {
    if (e.type() == type) return e;
  }
  FAIL("no " << type << " event in the history");
  return {};
}

// `stepflow server` on a database in its own temporary directory.
class Server {
 public:
  // `extra_args` are appended to the server's command line (e.g. --functions).
  explicit Server(std::vector<std::string> extra_args = {})
      : dir_("stepflow-itest"), extra_args_(std::move(extra_args)) {
    Start();
  }
  ~Server() { process_.reset(); }  // SIGKILL + reap (Process)
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the server (not running now) and connects; REQUIREs the
  // "listening" line within kWait.
  void Start() {
    REQUIRE(!process_);
    std::vector<std::string> argv = {STEPFLOW_BINARY, "server", "--db",          db(),
                                     "--listen",      "127.0.0.1:0", "--http", "127.0.0.1:0"};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    SpawnOptions options;
    options.stderr_path = LogPath();
    process_ = std::make_unique<Process>(std::move(argv), options);
    const std::string prefix = "stepflow server listening on 127.0.0.1:";
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    port_ = 0;
    while (port_ == 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      std::optional<std::string> line;
      if (left.count() > 0) line = process_->ReadLine(left);
      if (!line) {
        FAIL("the server printed no 'listening' line within 10 s; its log:\n" << Log());
      }
      if (line->rfind(prefix, 0) == 0) port_ = std::stoi(line->substr(prefix.size()));
    }
    // The HTTP API's line follows.
    const std::string http_prefix = "stepflow http listening on 127.0.0.1:";
    http_port_ = 0;
    while (http_port_ == 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      std::optional<std::string> line;
      if (left.count() > 0) line = process_->ReadLine(left);
      if (!line) FAIL("the server printed no 'http listening' line; its log:\n" << Log());
      if (line->rfind(http_prefix, 0) == 0) {
        http_port_ = std::stoi(line->substr(http_prefix.size()));
      }
    }
    channel_ = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
    REQUIRE(channel_->WaitForConnected(std::chrono::system_clock::now() + kWait));
    stub_ = v1::StepflowService::NewStub(channel_);
  }

  // SIGKILL, and reap.
  void Kill9() {
    REQUIRE(process_);
    process_->Kill(SIGKILL);
    auto status = process_->Wait(kWait);
    REQUIRE(status);
    process_.reset();
    stub_.reset();
    channel_.reset();
  }

  // SIGTERM (graceful stop); returns how the server ended (SIGKILLed if it
  // did not end within kWait). The test's own channel is closed first: the
  // server's gRPC shutdown waits its whole grace period (2 s) for open client
  // connections, and its engine keeps running meanwhile.
  testing::ExitStatus Terminate() {
    REQUIRE(process_);
    stub_.reset();
    channel_.reset();
    testing::ExitStatus status = process_->Stop(kWait);
    process_.reset();
    return status;
  }

  // Starts again on the same database (after Kill9 or Terminate).
  void Restart() { Start(); }

  // True while the server process has not ended (false after Kill9 or
  // Terminate, or when it exited on its own).
  bool alive() { return process_ != nullptr && process_->Running(); }
  int port() const { return port_; }
  int http_port() const { return http_port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string db() const { return dir_.File("s.db"); }
  std::string LogPath() const { return dir_.File("server.log"); }
  std::string Log() const { return ReadFile(LogPath()); }
  const TempDir& dir() const { return dir_; }
  Stub& stub() {
    REQUIRE(stub_);
    return *stub_;
  }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

  // One unary call with the default deadline:
  //   server.Call(&Stub::DescribeExecution, request, &response)
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    grpc::ClientContext ctx;
    SetDeadline(ctx);
    return (stub().*method)(&ctx, request, response);
  }

  // ------------------------------------------------------- state machines

  grpc::Status TryCreateMachine(const std::string& name, const std::string& definition,
                                v1::StateMachineVersionRef* ref = nullptr) {
    v1::CreateStateMachineRequest req;
    req.set_name(name);
    req.set_definition(definition);
    v1::StateMachineVersionRef local;
    return Call(&Stub::CreateStateMachine, req, ref ? ref : &local);
  }
  v1::StateMachineVersionRef CreateMachine(const std::string& name, const std::string& definition) {
    v1::StateMachineVersionRef ref;
    grpc::Status st = TryCreateMachine(name, definition, &ref);
    INFO("CreateStateMachine " << name << ": " << StatusText(st));
    REQUIRE(st.ok());
    return ref;
  }
  v1::StateMachineVersionRef CreateMachine(const std::string& name, const Json& definition) {
    return CreateMachine(name, definition.dump());
  }

  // ----------------------------------------------------------- executions

  grpc::Status TryStart(const std::string& machine, const std::string& input,
                        const std::string& name, v1::StartExecutionResponse* resp,
                        int64_t version = 0) {
    v1::StartExecutionRequest req;
    req.set_state_machine(machine);
    req.set_input_json(input);
    req.set_name(name);
    req.set_version(version);
    return Call(&Stub::StartExecution, req, resp);
  }
  // Starts an execution (REQUIREs OK); returns its id.
  std::string Start(const std::string& machine, const std::string& input = "{}",
                    const std::string& name = "") {
    v1::StartExecutionResponse resp;
    grpc::Status st = TryStart(machine, input, name, &resp);
    INFO("StartExecution " << machine << ": " << StatusText(st));
    REQUIRE(st.ok());
    return resp.execution_id();
  }

  grpc::Status TryDescribe(const std::string& id, v1::Execution* out) {
    v1::DescribeExecutionRequest req;
    req.set_execution_id(id);
    return Call(&Stub::DescribeExecution, req, out);
  }
  v1::Execution Describe(const std::string& id) {
    v1::Execution e;
    grpc::Status st = TryDescribe(id, &e);
    INFO("DescribeExecution " << id << ": " << StatusText(st));
    REQUIRE(st.ok());
    return e;
  }

  // RedriveExecution of `id`; the answer in `response` when given.
  grpc::Status Redrive(const std::string& id, v1::RedriveExecutionResponse* response = nullptr) {
    v1::RedriveExecutionRequest req;
    req.set_execution_id(id);
    v1::RedriveExecutionResponse ignored;
    return Call(&Stub::RedriveExecution, req, response != nullptr ? response : &ignored);
  }

  // Polls DescribeExecution until the status is `status`; FAILs when the
  // execution ends in another status or kWait passes.
  v1::Execution WaitForStatus(const std::string& id, const std::string& status,
                              std::chrono::milliseconds timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      v1::Execution e = Describe(id);
      if (e.status() == status) return e;
      if (e.status() != "RUNNING") {
        FAIL("execution " << id << " ended " << e.status() << " (error '" << e.error()
                          << "', cause '" << e.cause() << "', output " << e.output_json()
                          << ") instead of " << status << "\nhistory: " << HistoryText(id));
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        FAIL("execution " << id << " still " << e.status() << " after " << timeout.count()
                          << " ms (waiting for " << status << ")\nhistory: " << HistoryText(id));
      }
      std::this_thread::sleep_for(20ms);
    }
  }

  // -------------------------------------------------------------- history

  // Reads one GetExecutionHistory stream to its end; every page's events
  // appended to *events, the last page's next_token to *next_token.
  grpc::Status ReadHistory(const v1::GetExecutionHistoryRequest& req,
                           std::vector<v1::HistoryEvent>* events, std::string* next_token = nullptr,
                           std::chrono::milliseconds deadline = kCallDeadline) {
    grpc::ClientContext ctx;
    SetDeadline(ctx, deadline);
    auto reader = stub().GetExecutionHistory(&ctx, req);
    v1::HistoryPage page;
    while (reader->Read(&page)) {
      for (const auto& e : page.events()) events->push_back(e);
      if (next_token) *next_token = page.next_token();
    }
    return reader->Finish();
  }

  // The whole history, oldest first (REQUIREs OK).
  std::vector<v1::HistoryEvent> History(const std::string& id) {
    v1::GetExecutionHistoryRequest req;
    req.set_execution_id(id);
    std::vector<v1::HistoryEvent> events;
    grpc::Status st = ReadHistory(req, &events);
    INFO("GetExecutionHistory " << id << ": " << StatusText(st));
    REQUIRE(st.ok());
    return events;
  }
  std::vector<std::string> HistoryTypes(const std::string& id) { return Types(History(id)); }

  // The history as text for failure messages (never fails itself).
  std::string HistoryText(const std::string& id) {
    if (!stub_) return "(no server)";
    v1::GetExecutionHistoryRequest req;
    req.set_execution_id(id);
    std::vector<v1::HistoryEvent> events;
    grpc::Status st = ReadHistory(req, &events);
    if (!st.ok()) return "(" + StatusText(st) + ")";
    std::string text;
    for (const auto& e : events) {
      text += "\n  " + std::to_string(e.id()) + " " + e.type() + " [" + e.state_path() + "] " +
              e.details_json();
    }
    return text;
  }

 private:
  TempDir dir_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<Process> process_;
  int port_ = 0;
  int http_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
};

// Structure every history has: ids dense from 1, previous_event_id in
// [0, id), exactly one ExecutionStarted, first.
inline void CheckDense(const std::vector<v1::HistoryEvent>& events) {
  REQUIRE_FALSE(events.empty());
  CHECK(events.front().type() == "ExecutionStarted");
  CHECK(CountType(events, "ExecutionStarted") == 1);
  for (size_t i = 0; i < events.size(); ++i) {
    INFO("event #" << i << " " << events[i].type());
    CHECK(events[i].id() == static_cast<int64_t>(i + 1));
    CHECK(events[i].previous_event_id() >= 0);
    CHECK(events[i].previous_event_id() < events[i].id());
    CHECK_FALSE(events[i].timestamp().empty());
  }
}

// A Python program from sdk/python/examples with the SDK on PYTHONPATH;
// waits until it prints a stdout line starting with `ready_prefix` (the
// line is kept in ready_line()). SIGKILLed by the destructor.
class PythonProcess {
 public:
  PythonProcess(const std::string& example, std::vector<std::string> args,
                const std::string& ready_prefix)
      : dir_("stepflow-itest-py") {
    std::vector<std::string> argv = {
        "/usr/bin/python3", std::string(STEPFLOW_SOURCE_DIR) + "/sdk/python/examples/" + example};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions options;
    options.env = {{"PYTHONPATH", STEPFLOW_PYTHON_PATH},
                   {"PYTHONDONTWRITEBYTECODE", "1"},
                   {"PYTHONUNBUFFERED", "1"}};
    options.stderr_path = dir_.File("stderr.txt");
    process_ = std::make_unique<Process>(std::move(argv), options);
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      std::optional<std::string> line;
      if (left.count() > 0) line = process_->ReadLine(left);
      if (!line) {
        FAIL(example << " printed no '" << ready_prefix << "' line within 10 s; stderr:\n"
                     << ReadFile(dir_.File("stderr.txt")));
      }
      if (line->rfind(ready_prefix, 0) == 0) {
        ready_line_ = *line;
        break;
      }
    }
  }
  const std::string& ready_line() const { return ready_line_; }
  std::string Stderr() const { return ReadFile(dir_.File("stderr.txt")); }
  Process& process() { return *process_; }

 private:
  TempDir dir_;
  std::unique_ptr<Process> process_;
  std::string ready_line_;
};

}  // namespace stepflow::itest
