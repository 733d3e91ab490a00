// functions register|list|remove|alias|unalias|map|unmap|integrations and task poll|success|failure|heartbeat
// through the server.
#include <iomanip>
#include <map>

#include "engine/cli/client_rpc.h"
#include "engine/cli/format.h"
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
  if (options.json) {
    out << DumpCompact(Json{{"name", name},
                            {"endpoint", endpoint},
                            {"version", response.version()},
                            {"unchanged", response.unchanged()}})
        << "\n";
  } else if (response.unchanged()) {
    out << "registered " << name << " " << endpoint << " (unchanged: version "
        << response.version() << ")\n";
  } else {
    out << "registered " << name << " " << endpoint << " as version " << response.version()
        << "\n";
  }
  return 0;
}

int FunctionsListCommand(const ClientOptions& options, std::ostream& out, std::ostream& err) {
  client::Connection c("functions list", options, err);
  v1::ListFunctionsRequest request;
  v1::ListFunctionsResponse response;
  if (!c.Call(&client::Stub::ListFunctions, request, &response)) return 1;
  auto aliases_of = [](const v1::FunctionEntry& f) {
    std::map<std::string, int64_t> sorted(f.aliases().begin(), f.aliases().end());
    return sorted;
  };
  if (options.json) {
    Json arr = Json::array();
    for (const auto& f : response.functions()) {
      Json versions = Json::array();
      for (const auto& v : f.versions()) {
        Json version = {{"version", v.version()},
                        {"kind", v.kind()},
                        {"endpoint", v.endpoint()},
                        {"source", v.source()},
                        {"createdMs", v.created_ms()}};
        if (v.kind() == "package") {
          version["runtime"] = v.runtime();
          version["codeSha256"] = v.code_sha256();
        }
        versions.push_back(std::move(version));
      }
      Json aliases = Json::object();
      for (const auto& [alias, version] : aliases_of(f)) aliases[alias] = version;
      arr.push_back({{"name", f.name()},
                     {"kind", f.kind()},
                     {"runtime", f.runtime()},
                     {"endpoint", f.endpoint()},
                     {"source", f.source()},
                     {"version", f.version()},
                     {"versions", versions},
                     {"aliases", aliases}});
    }
    out << DumpCompact(arr) << "\n";
    return 0;
  }
  // A deployed function has no endpoint: the column says what runs it.
  auto where = [](const v1::FunctionEntry& f) {
    return f.kind() == "package" ? "deployed " + f.runtime() : f.endpoint();
  };
  size_t name_width = 6, endpoint_width = 10;
  for (const auto& f : response.functions()) {
    name_width = std::max(name_width, f.name().size() + 2);
    endpoint_width = std::max(endpoint_width, where(f).size() + 2);
  }
  out << std::left << std::setw(static_cast<int>(name_width)) << "NAME"
      << std::setw(static_cast<int>(endpoint_width)) << "ENDPOINT" << std::setw(9) << "VERSION"
      << std::setw(8) << "SOURCE"
      << "ALIASES\n";
  for (const auto& f : response.functions()) {
    std::string aliases;
    for (const auto& [alias, version] : aliases_of(f)) {
      aliases += (aliases.empty() ? "" : ", ") + alias + "=" + std::to_string(version);
    }
    out << std::left << std::setw(static_cast<int>(name_width)) << f.name()
        << std::setw(static_cast<int>(endpoint_width)) << where(f) << std::setw(9)
        << f.version() << std::setw(8) << f.source() << aliases << "\n";
  }
  return 0;
}

int FunctionsIntegrationsCommand(const ClientOptions& options, std::ostream& out,
                                 std::ostream& err) {
  client::Connection c("functions integrations", options, err);
  v1::ListFunctionsRequest request;
  v1::ListFunctionsResponse response;
  if (!c.Call(&client::Stub::ListFunctions, request, &response)) return 1;
  if (options.json) {
    Json arr = Json::array();
    for (const auto& m : response.integrations()) {
      arr.push_back({{"integration", m.integration()}, {"function", m.function()}});
    }
    out << DumpCompact(arr) << "\n";
    return 0;
  }
  size_t width = 13;
  for (const auto& m : response.integrations()) width = std::max(width, m.integration().size() + 2);
  out << std::left << std::setw(static_cast<int>(width)) << "INTEGRATION" << "FUNCTION\n";
  for (const auto& m : response.integrations()) {
    out << std::left << std::setw(static_cast<int>(width)) << m.integration() << m.function()
        << "\n";
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

int FunctionsAliasCommand(const std::string& name, const std::string& alias, int64_t version,
                          const ClientOptions& options, std::ostream& out, std::ostream& err) {
  client::Connection c("functions alias", options, err);
  v1::SetFunctionAliasRequest request;
  request.set_name(name);
  request.set_alias(alias);
  request.set_version(version);
  v1::SetFunctionAliasResponse response;
  if (!c.Call(&client::Stub::SetFunctionAlias, request, &response)) return 1;
  if (options.json) {
    out << DumpCompact(Json{{"name", name}, {"alias", alias}, {"version", version}}) << "\n";
  } else {
    out << name << ":" << alias << " -> version " << version << "\n";
  }
  return 0;
}

int FunctionsUnaliasCommand(const std::string& name, const std::string& alias,
                            const ClientOptions& options, std::ostream& out, std::ostream& err) {
  client::Connection c("functions unalias", options, err);
  v1::RemoveFunctionAliasRequest request;
  request.set_name(name);
  request.set_alias(alias);
  v1::RemoveFunctionAliasResponse response;
  if (!c.Call(&client::Stub::RemoveFunctionAlias, request, &response)) return 1;
  if (options.json) {
    out << DumpCompact(Json{{"name", name}, {"alias", alias}, {"removed", true}}) << "\n";
  } else {
    out << "removed alias " << name << ":" << alias << "\n";
  }
  return 0;
}

int FunctionsMapCommand(const std::string& integration, const std::string& function,
                        const ClientOptions& options, std::ostream& out, std::ostream& err) {
  client::Connection c("functions map", options, err);
  v1::MapIntegrationRequest request;
  request.set_integration(integration);
  request.set_function(function);
  v1::MapIntegrationResponse response;
  if (!c.Call(&client::Stub::MapIntegration, request, &response)) return 1;
  if (options.json) {
    out << DumpCompact(Json{{"integration", integration}, {"function", function}}) << "\n";
  } else {
    out << "mapped " << integration << " to " << function << "\n";
  }
  return 0;
}

int FunctionsUnmapCommand(const std::string& integration, const ClientOptions& options,
                          std::ostream& out, std::ostream& err) {
  client::Connection c("functions unmap", options, err);
  v1::UnmapIntegrationRequest request;
  request.set_integration(integration);
  v1::UnmapIntegrationResponse response;
  if (!c.Call(&client::Stub::UnmapIntegration, request, &response)) return 1;
  if (options.json) {
    out << DumpCompact(Json{{"integration", integration}, {"removed", true}}) << "\n";
  } else {
    out << "unmapped " << integration << "\n";
  }
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
  if (std::string why = InputJsonError(output, "", "--output"); !why.empty()) {
    err << "stepflow task success: " << why << "\n";
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
