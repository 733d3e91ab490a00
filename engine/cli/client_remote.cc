// RemoteApi: the ApiClient of a stepflow server, over gRPC
// (proto/stepflow/v1/service.proto). Answers are turned into the plain
// structs of api::ControlPlane, failed calls into a Status carrying the
// server's message (the code mapped back from gRPC's).
#include <thread>

#include "engine/cli/client_api.h"
#include "engine/cli/client_rpc.h"

namespace stepflow::cli {
namespace {

using client::Stub;

class RemoteApi final : public ApiClient {
 public:
  RemoteApi(const std::string& verb, const ClientOptions& options, std::ostream& err)
      : ApiClient(verb, err), c_(verb, options, err) {}

  bool embedded() const override { return false; }

  Result<api::MachineVersionRef> PutStateMachine(const std::string& name,
                                                 const std::string& definition,
                                                 bool update) override {
    v1::StateMachineVersionRef ref;
    Status st;
    if (update) {
      v1::UpdateStateMachineRequest request;
      request.set_name(name);
      request.set_definition(definition);
      st = Call(&Stub::UpdateStateMachine, request, &ref);
    } else {
      v1::CreateStateMachineRequest request;
      request.set_name(name);
      request.set_definition(definition);
      st = Call(&Stub::CreateStateMachine, request, &ref);
    }
    if (!st.ok()) return st;
    return api::MachineVersionRef{ref.name(), ref.version(), ref.created_ms(), ref.unchanged()};
  }

  Result<api::MachineDescription> DescribeStateMachine(const std::string& name,
                                                       int64_t version) override {
    v1::DescribeStateMachineRequest request;
    request.set_name(name);
    request.set_version(version);
    v1::StateMachineDescription d;
    if (Status st = Call(&Stub::DescribeStateMachine, request, &d); !st.ok()) return st;
    api::MachineDescription out;
    out.described.machine = d.name();
    out.described.version = d.version();
    out.described.definition = d.definition();
    out.described.sha256 = d.sha256();
    out.described.created_ms = d.created_ms();
    for (const auto& v : d.versions()) {
      store::StateMachineVersion info;
      info.machine = d.name();
      info.version = v.version();
      info.sha256 = v.sha256();
      info.created_ms = v.created_ms();
      out.versions.push_back(std::move(info));
    }
    return out;
  }

  Result<api::Page<api::MachineSummary>> ListStateMachines(const api::PageRequest& page) override {
    v1::ListStateMachinesRequest request;
    request.set_max_results(page.max_results);
    request.set_next_token(page.next_token);
    v1::ListStateMachinesResponse response;
    if (Status st = Call(&Stub::ListStateMachines, request, &response); !st.ok()) return st;
    api::Page<api::MachineSummary> out;
    for (const auto& m : response.state_machines()) {
      out.items.push_back({m.name(), m.latest_version(), m.created_ms(), m.created_ms()});
    }
    out.next_token = response.next_token();
    return out;
  }

  Status DeleteStateMachine(const std::string& name, bool purge) override {
    v1::DeleteStateMachineRequest request;
    request.set_name(name);
    request.set_purge(purge);
    v1::DeleteStateMachineResponse response;
    return Call(&Stub::DeleteStateMachine, request, &response);
  }

  Result<api::Validation> ValidateDefinition(const std::string& definition) override {
    v1::ValidateRequest request;
    request.set_definition(definition);
    v1::ValidateResponse response;
    if (Status st = Call(&Stub::ValidateStateMachineDefinition, request, &response); !st.ok())
      return st;
    api::Validation out;
    out.valid = response.valid();
    for (const auto& d : response.diagnostics()) {
      asl::Diagnostic diagnostic;
      diagnostic.severity =
          d.severity() == "WARNING" ? asl::Severity::kWarning : asl::Severity::kError;
      diagnostic.code = d.code();
      diagnostic.pointer = d.pointer();
      diagnostic.line = d.line();
      diagnostic.column = d.column();
      diagnostic.message = d.message();
      out.diagnostics.push_back(std::move(diagnostic));
    }
    return out;
  }

  Result<api::Started> StartExecution(const api::StartRequest& request) override {
    v1::StartExecutionRequest r;
    r.set_state_machine(request.machine);
    r.set_version(request.version);
    r.set_name(request.name);
    r.set_input_json(request.input);
    v1::StartExecutionResponse response;
    if (Status st = Call(&Stub::StartExecution, r, &response); !st.ok()) return st;
    api::Started out;
    out.execution_id = response.execution_id();
    out.name = out.execution_id.substr(out.execution_id.find(':') + 1);
    out.version = response.version();
    out.start_ms = response.start_ms();
    out.already_started = response.already_started();
    return out;
  }

  Result<api::ExecutionDetail> DescribeExecution(const std::string& id) override {
    v1::DescribeExecutionRequest request;
    request.set_execution_id(id);
    v1::Execution execution;
    if (Status st = Call(&Stub::DescribeExecution, request, &execution); !st.ok()) return st;
    api::ExecutionDetail out;
    out.record = client::ToRecord(execution);
    out.children.assign(execution.child_execution_ids().begin(),
                        execution.child_execution_ids().end());
    return out;
  }

  Result<api::Page<store::ExecutionRecord>> ListExecutions(
      const api::ExecutionQuery& query) override {
    v1::ListExecutionsRequest request;
    request.set_state_machine(query.machine);
    request.set_status(query.status);
    request.set_max_results(query.page.max_results);
    request.set_next_token(query.page.next_token);
    request.set_oldest_first(!query.newest_first);
    v1::ListExecutionsResponse response;
    if (Status st = Call(&Stub::ListExecutions, request, &response); !st.ok()) return st;
    api::Page<store::ExecutionRecord> out;
    for (const auto& e : response.executions()) out.items.push_back(client::ToRecord(e));
    out.next_token = response.next_token();
    return out;
  }

  Result<int64_t> StopExecution(const std::string& id, const std::string& error,
                                const std::optional<std::string>& cause) override {
    v1::StopExecutionRequest request;
    request.set_execution_id(id);
    request.set_error(error);
    if (cause) request.set_cause(*cause);
    v1::StopExecutionResponse response;
    if (Status st = Call(&Stub::StopExecution, request, &response); !st.ok()) return st;
    return response.stop_ms();
  }

  Result<int64_t> RedriveExecution(const std::string& id) override {
    v1::RedriveExecutionRequest request;
    request.set_execution_id(id);
    v1::RedriveExecutionResponse response;
    if (Status st = Call(&Stub::RedriveExecution, request, &response); !st.ok()) return st;
    return response.redrive_ms();
  }

  Result<api::Page<store::HistoryEvent>> GetHistory(const api::HistoryQuery& query) override {
    v1::GetExecutionHistoryRequest request;
    request.set_execution_id(query.execution_id);
    request.set_max_results(query.max_results);
    request.set_next_token(query.next_token);
    request.set_reverse_order(query.reverse);
    api::Page<store::HistoryEvent> out;
    // Without max_results the server streams every page; with it, one.
    Status st = Stream(request, [&](const v1::HistoryPage& page) {
      for (const auto& e : page.events()) out.items.push_back(client::ToEvent(e));
      out.next_token = page.next_token();
    });
    if (!st.ok()) return st;
    return out;
  }

  Status FollowHistory(
      const std::string& id,
      const std::function<void(const std::vector<store::HistoryEvent>&)>& on_events) override {
    v1::GetExecutionHistoryRequest request;
    request.set_execution_id(id);
    request.set_follow(true);
    return Stream(request, [&](const v1::HistoryPage& page) {
      std::vector<store::HistoryEvent> events;
      for (const auto& e : page.events()) events.push_back(client::ToEvent(e));
      on_events(events);
    });
  }

  Result<store::ExecutionRecord> WaitForEnd(const std::string& id) override {
    for (;;) {
      v1::GetExecutionHistoryRequest request;
      request.set_execution_id(id);
      request.set_follow(true);
      if (Status st = Stream(request, [](const v1::HistoryPage&) {}); !st.ok()) return st;
      auto described = DescribeExecution(id);
      if (!described.ok()) return described.status();
      if (described->record.status != store::kRunning) return std::move(described->record);
      // The stream ended before the closing event was visible: follow again.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  Result<CallLogMap> GetCallLogs(const std::string& execution_id) override {
    CallLogMap logs;
    v1::GetFunctionLogsRequest request;
    request.set_execution_id(execution_id);
    request.set_limit(10000);
    for (;;) {
      v1::GetFunctionLogsResponse page;
      if (Status st = Call(&Stub::GetFunctionLogs, request, &page); !st.ok()) return st;
      for (const auto& e : page.entries()) logs[e.idempotency_key()] += e.text();
      if (page.entries_size() < request.limit()) break;
      request.set_after_id(page.last_id());
    }
    return logs;
  }

 private:
  template <typename Request, typename Response>
  Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
              const Request& request, Response* response) {
    if (std::string why = c_.ConnectError(); !why.empty()) {
      return Status(StatusCode::kUnavailable, why);
    }
    grpc::ClientContext context;
    c_.PrepareUnary(&context);
    return FromGrpc((c_.stub().*method)(&context, request, response));
  }

  // Reads one GetExecutionHistory stream to its end.
  Status Stream(const v1::GetExecutionHistoryRequest& request,
                const std::function<void(const v1::HistoryPage&)>& on_page) {
    if (std::string why = c_.ConnectError(); !why.empty()) {
      return Status(StatusCode::kUnavailable, why);
    }
    grpc::ClientContext context;
    c_.PrepareStream(&context, request.follow());
    auto reader = c_.stub().GetExecutionHistory(&context, request);
    v1::HistoryPage page;
    while (reader->Read(&page)) on_page(page);
    return FromGrpc(reader->Finish());
  }

  // The server's answer as a Status: the code mapped back, the message as
  // the server wrote it (UNAVAILABLE: who could not be reached).
  Status FromGrpc(const grpc::Status& st) const {
    const std::string message = client::OneLine(st.error_message());
    switch (st.error_code()) {
      case grpc::StatusCode::OK:
        return Status::Ok();
      case grpc::StatusCode::INVALID_ARGUMENT:
      case grpc::StatusCode::OUT_OF_RANGE:
        return Status(StatusCode::kInvalidArgument, message);
      case grpc::StatusCode::NOT_FOUND:
        return Status(StatusCode::kNotFound, message);
      case grpc::StatusCode::ALREADY_EXISTS:
        return Status(StatusCode::kAlreadyExists, message);
      case grpc::StatusCode::FAILED_PRECONDITION:
        return Status(StatusCode::kFailedPrecondition, message);
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        return Status(StatusCode::kResourceExhausted, message);
      case grpc::StatusCode::UNAVAILABLE:
        return Status(StatusCode::kUnavailable, c_.Unreachable(message));
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        return Status(StatusCode::kUnavailable,
                      "no answer from the server at " + c_.options().server + " within " +
                          std::to_string(c_.options().call_timeout_ms / 1000) +
                          " s (DEADLINE_EXCEEDED)");
      case grpc::StatusCode::DATA_LOSS:
        return Status(StatusCode::kDataLoss, message);
      case grpc::StatusCode::INTERNAL:
        return Status(StatusCode::kInternal, message);
      default:
        return Status(StatusCode::kInternal,
                      std::string(client::StatusCodeName(st.error_code())) + ": " + message);
    }
  }

  client::Connection c_;
};

}  // namespace

std::unique_ptr<ApiClient> ConnectRemote(const std::string& verb, const ClientOptions& options,
                                         std::ostream& err) {
  return std::make_unique<RemoteApi>(verb, options, err);
}

}  // namespace stepflow::cli
