// functions register|list|remove and task poll|success|failure|heartbeat
// through the server.
#include <iomanip>

#include "engine/cli/client_rpc.h"
#include "engine/common/json_util.h"

namespace stepflow::cli {

namespace {

// The server's long-poll bound when the request leaves it at 0.
constexpr int64_t kDefaultPollSeconds = 60;

void PrintDone(const ClientOptions& options, std::ostream& out) {
  if (options.json) out << "{}\n";
}

}  // namespace

int FunctionsRegisterCommand(const std::string& name, const std::string& endpoint,
                             const ClientOptions& options, std::ostream& out, std::ostream& err) {
  client::Connection c("functions register", options, err);
  v1::RegisterFunctionRequest request;
  request.set_name(name);
  request.set_endpoint(endpoint);
  v1::RegisterFunctionResponse response;
  if (!c.Call(&client::Stub::RegisterFunction, request, &response)) return 1;
  if (options.json)
    out << DumpCompact(Json{{"name", name}, {"endpoint", endpoint}}) << "\n";
  else
    out << "registered " << name << " " << endpoint << "\n";
  return 0;
}

int FunctionsListCommand(const ClientOptions& options, std::ostream& out, std::ostream& err) {
  client::Connection c("functions list", options, err);
  v1::ListFunctionsRequest request;
  v1::ListFunctionsResponse response;
  if (!c.Call(&client::Stub::ListFunctions, request, &response)) return 1;
  if (options.json) {
    Json arr = Json::array();
    for (const auto& f : response.functions()) {
      arr.push_back({{"name", f.name()}, {"endpoint", f.endpoint()}, {"source", f.source()}});
    }
    out << DumpCompact(arr) << "\n";
    return 0;
  }
  size_t name_width = 6, endpoint_width = 10;
  for (const auto& f : response.functions()) {
    name_width = std::max(name_width, f.name().size() + 2);
    endpoint_width = std::max(endpoint_width, f.endpoint().size() + 2);
  }
  out << std::left << std::setw(static_cast<int>(name_width)) << "NAME"
      << std::setw(static_cast<int>(endpoint_width)) << "ENDPOINT"
      << "SOURCE\n";
  for (const auto& f : response.functions()) {
    out << std::left << std::setw(static_cast<int>(name_width)) << f.name()
        << std::setw(static_cast<int>(endpoint_width)) << f.endpoint() << f.source() << "\n";
  }
  return 0;
}

int FunctionsRemoveCommand(const std::string& name, const ClientOptions& options, std::ostream& out,
                           std::ostream& err) {
  client::Connection c("functions remove", options, err);
  v1::RemoveFunctionRequest request;
  request.set_name(name);
  v1::RemoveFunctionResponse response;
  if (!c.Call(&client::Stub::RemoveFunction, request, &response)) return 1;
  if (options.json)
    out << DumpCompact(Json{{"name", name}, {"removed", true}}) << "\n";
  else
    out << "removed " << name << "\n";
  return 0;
}

int TaskPollCommand(const std::string& activity, const std::string& worker, int32_t wait_seconds,
                    const ClientOptions& options, std::ostream& out, std::ostream& err) {
  if (wait_seconds < 0) {
    err << "stepflow task poll: --wait-seconds must not be negative\n";
    return 2;
  }
  client::Connection c("task poll", options, err);
  v1::PollTaskRequest request;
  request.set_activity(activity);
  request.set_worker_name(worker);
  request.set_wait_seconds(wait_seconds);
  v1::PollTaskResponse response;
  const int64_t wait_ms = (wait_seconds > 0 ? wait_seconds : kDefaultPollSeconds) * 1000;
  if (!c.Call(&client::Stub::PollTask, request, &response, wait_ms)) return 1;
  if (response.task_token().empty()) return 0;  // no task within the wait
  Json input = Json::parse(response.input_json(), nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded()) input = response.input_json();
  out << DumpCompact(Json{{"taskToken", response.task_token()},
                          {"input", std::move(input)},
                          {"executionId", response.execution_id()},
                          {"stateName", response.state_name()},
                          {"heartbeatSeconds", response.heartbeat_seconds()}})
      << "\n";
  return 0;
}

int TaskSuccessCommand(const std::string& token, const std::string& output,
                       const ClientOptions& options, std::ostream& out, std::ostream& err) {
  if (!Json::accept(output)) {
    err << "stepflow task success: --output is not valid JSON\n";
    return 2;
  }
  client::Connection c("task success", options, err);
  v1::SendTaskSuccessRequest request;
  request.set_task_token(token);
  request.set_output_json(output);
  v1::SendTaskResponse response;
  if (!c.Call(&client::Stub::SendTaskSuccess, request, &response)) return 1;
  PrintDone(options, out);
  return 0;
}

int TaskFailureCommand(const std::string& token, const std::string& error, const std::string& cause,
                       const ClientOptions& options, std::ostream& out, std::ostream& err) {
  client::Connection c("task failure", options, err);
  v1::SendTaskFailureRequest request;
  request.set_task_token(token);
  request.set_error(error);
  request.set_cause(cause);
  v1::SendTaskResponse response;
  if (!c.Call(&client::Stub::SendTaskFailure, request, &response)) return 1;
  PrintDone(options, out);
  return 0;
}

int TaskHeartbeatCommand(const std::string& token, const ClientOptions& options, std::ostream& out,
                         std::ostream& err) {
  client::Connection c("task heartbeat", options, err);
  v1::SendTaskHeartbeatRequest request;
  request.set_task_token(token);
  v1::SendTaskResponse response;
  if (!c.Call(&client::Stub::SendTaskHeartbeat, request, &response)) return 1;
  PrintDone(options, out);
  return 0;
}

}  // namespace stepflow::cli
