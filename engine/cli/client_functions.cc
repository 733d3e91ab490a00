// functions deploy|describe|delete|invoke|logs through the server: deployed
// functions (code the engine runs itself).
#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <thread>

#include "engine/cli/client_rpc.h"
#include "engine/cli/format.h"
#include "engine/common/json_util.h"
#include "engine/functions/package.h"
#include "engine/runtime/clock.h"

namespace stepflow::cli {
namespace {

// A deploy may build an environment (pip, npm): minutes, not seconds.
constexpr int64_t kDeployExtraMs = 30 * 60 * 1000;

std::string ProtoJson(const google::protobuf::Message& m) {
  std::string text;
  google::protobuf::util::JsonPrintOptions o;
  o.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &text, o);
  return text;
}

std::string Settings(const v1::DeployedFunctionConfig& c) {
  std::string s = c.runtime() + ", handler " + c.handler() + ", timeout " +
                  std::to_string(c.timeout_seconds()) + " s, memory " + std::to_string(c.memory_mb()) +
                  " MB, instances " + std::to_string(c.min_instances()) + "-" +
                  std::to_string(c.max_instances()) + ", keep-warm " +
                  std::to_string(c.keep_warm_seconds()) + " s";
  if (!c.network()) s += ", no network";
  for (const std::string& m : c.mounts()) s += ", mount " + m;
  if (!c.sandbox()) s += ", no sandbox";
  return s;
}

}  // namespace

int FunctionsDeployCommand(const std::string& name, const std::string& dir, const DeployFlags& flags,
                           const ClientOptions& options, std::ostream& out, std::ostream& err) {
  Result<functions::PackageFiles> files = functions::ReadFunctionFolder(dir);
  if (!files.ok()) {
    err << "stepflow functions deploy: " << files.status().message() << "\n";
    return 2;
  }
  v1::DeployFunctionRequest request;
  request.set_name(name);
  for (functions::PackageFile& f : *files) {
    v1::PackageFile* pf = request.add_files();
    pf->set_path(f.path);
    pf->set_executable(f.executable);
    pf->set_content(std::move(f.content));
  }
  request.set_runtime(flags.runtime);
  request.set_handler(flags.handler);
  if (flags.timeout >= 0) request.set_timeout_seconds(flags.timeout);
  if (flags.memory_mb >= 0) request.set_memory_mb(flags.memory_mb);
  if (flags.max_instances >= 0) request.set_max_instances(flags.max_instances);
  if (flags.min_instances >= 0) request.set_min_instances(flags.min_instances);
  if (flags.keep_warm >= 0) request.set_keep_warm_seconds(flags.keep_warm);
  for (const auto& [k, v] : flags.env) (*request.mutable_environment())[k] = v;
  request.set_no_network(flags.no_network);
  request.set_no_sandbox(flags.no_sandbox);
  for (const std::string& text : flags.mounts) {
    // Relative to where the command runs: the server may run elsewhere.
    functions::Mount m = functions::Mount::Parse(text);
    m.path = std::filesystem::absolute(m.path).lexically_normal().string();
    request.add_mounts(m.ToString());
  }
  client::Connection c("functions deploy", options, err);
  v1::DeployFunctionResponse response;
  if (!c.Connect()) return 1;
  grpc::ClientContext context;
  c.PrepareUnary(&context, kDeployExtraMs);
  grpc::Status st = c.stub().DeployFunction(&context, request, &response);
  if (st.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
    // The build's or loader's own output, as it printed it.
    err << "stepflow: functions deploy: " << st.error_message() << "\n";
    return 1;
  }
  if (!st.ok()) return c.Fail(st);
  if (options.json) {
    out << ProtoJson(response) << "\n";
  } else if (response.unchanged()) {
    out << "deployed " << name << ": unchanged, version " << response.version() << " ("
        << response.deploy_ms() << " ms)\n";
  } else {
    out << "deployed " << name << " version " << response.version() << " ("
        << response.config().runtime() << ", "
        << (response.environment_reused()
                ? std::string("environment reused")
                : "environment built in " + std::to_string(response.environment_build_ms()) + " ms")
        << ", " << response.deploy_ms() << " ms)\n";
  }
  return 0;
}

int FunctionsDescribeCommand(const std::string& name, const ClientOptions& options,
                             std::ostream& out, std::ostream& err) {
  client::Connection c("functions describe", options, err);
  v1::DescribeFunctionRequest request;
  request.set_name(name);
  v1::FunctionDescription d;
  if (!c.Call(&client::Stub::DescribeFunction, request, &d)) return 1;
  if (options.json) {
    out << ProtoJson(d) << "\n";
    return 0;
  }
  out << "name:      " << d.name() << "\n";
  out << "version:   " << d.version() << " (newest)\n";
  if (!d.sandbox().empty()) {
    out << "sandbox:   " << (d.sandbox() == "bubblewrap" ? "bubblewrap" : "none: " + d.sandbox())
        << "\n";
  }
  const v1::FunctionInstances& in = d.instances();
  out << "instances: " << in.idle() << " idle, " << in.busy() << " busy, " << in.starting()
      << " starting, " << in.queued() << " calls queued (" << in.started_total()
      << " started by this server)\n";
  if (!d.aliases().empty()) {
    std::map<std::string, int64_t> aliases(d.aliases().begin(), d.aliases().end());
    out << "aliases:  ";
    for (const auto& [alias, version] : aliases) out << " " << alias << "=" << version;
    out << "\n";
  }
  out << "versions:\n";
  for (const auto& v : d.versions()) {
    out << "  " << std::setw(4) << std::left << v.version() << runtime::FormatTimestamp(v.created_ms())
        << "  ";
    if (v.kind() == "package") {
      out << "code " << v.code_sha256().substr(0, 12) << "  " << Settings(v.config())
          << ", environment " << v.config().environment_key();
      if (!v.config().environment().empty()) {
        out << ", env";
        std::map<std::string, std::string> env(v.config().environment().begin(),
                                               v.config().environment().end());
        for (const auto& [k, val] : env) out << " " << k;
      }
    } else {
      out << "endpoint " << v.endpoint() << " (" << v.source() << ")";
    }
    out << "\n";
  }
  if (!d.last_deploy_error().empty()) {
    out << "last failed deploy (" << runtime::FormatTimestamp(d.last_deploy_error_ms()) << "):\n";
    std::istringstream lines(d.last_deploy_error());
    std::string line;
    while (std::getline(lines, line)) out << "  " << line << "\n";
  }
  return 0;
}

int FunctionsDeleteCommand(const std::string& name, const ClientOptions& options, std::ostream& out,
                           std::ostream& err) {
  client::Connection c("functions delete", options, err);
  v1::DeleteFunctionRequest request;
  request.set_name(name);
  v1::DeleteFunctionResponse response;
  if (!c.Call(&client::Stub::DeleteFunction, request, &response)) return 1;
  if (options.json) {
    out << DumpCompact(Json{{"name", name}, {"deleted", true}}) << "\n";
  } else {
    out << "deleted " << name << "\n";
  }
  return 0;
}

int FunctionsInvokeCommand(const std::string& function, const std::string& payload,
                           int64_t timeout_seconds, const ClientOptions& options, std::ostream& out,
                           std::ostream& err) {
  if (std::string why = InputJsonError(payload, "", "--payload"); !why.empty()) {
    err << "stepflow functions invoke: " << why << "\n";
    return 2;
  }
  client::Connection c("functions invoke", options, err);
  v1::InvokeFunctionRequest request;
  request.set_function(function);
  request.set_payload(payload);
  request.set_timeout_seconds(timeout_seconds);
  v1::InvokeFunctionResponse r;
  const int64_t wait_ms = (timeout_seconds > 0 ? timeout_seconds : 900) * 1000 + 30'000;
  if (!c.Call(&client::Stub::InvokeFunction, request, &r, wait_ms)) return 1;
  if (options.json) {
    Json j = {{"ok", r.ok()}, {"executedVersion", r.executed_version()}, {"log", r.log()},
              {"durationMs", r.duration_ms()}};
    if (r.ok()) {
      j["result"] = Json::parse(r.result(), nullptr, false);
    } else {
      j["error"] = r.error();
      j["cause"] = r.cause();
    }
    out << DumpCompact(j) << "\n";
    return r.ok() ? 0 : 1;
  }
  err << r.log();
  if (!r.ok()) {
    err << "stepflow functions invoke: " << r.error() << ": " << r.cause() << "\n";
    return 1;
  }
  out << r.result() << "\n";
  return 0;
}

int FunctionsLogsCommand(const std::string& name, const std::string& execution_id, bool follow,
                         const ClientOptions& options, std::ostream& out, std::ostream& err) {
  client::Connection c("functions logs", options, err);
  v1::GetFunctionLogsRequest request;
  request.set_function(name);
  request.set_execution_id(execution_id);
  request.set_limit(1000);
  for (;;) {
    v1::GetFunctionLogsResponse page;
    if (!c.Call(&client::Stub::GetFunctionLogs, request, &page)) return 1;
    for (const auto& e : page.entries()) {
      if (options.json) {
        out << DumpCompact(Json{{"id", e.id()},
                                {"function", e.function()},
                                {"version", e.version()},
                                {"executionId", e.execution_id()},
                                {"call", e.idempotency_key()},
                                {"createdMs", e.created_ms()},
                                {"text", e.text()}})
            << "\n";
      } else {
        out << "== " << runtime::FormatTimestamp(e.created_ms()) << " " << e.function() << ":"
            << e.version() << " " << e.idempotency_key() << "\n"
            << e.text();
        if (!e.text().empty() && e.text().back() != '\n') out << "\n";
      }
    }
    out.flush();
    request.set_after_id(page.last_id());
    if (page.entries_size() == request.limit()) continue;  // more at once
    if (!follow) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace stepflow::cli
