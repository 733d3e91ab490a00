#include "engine/rpc/function_api.h"

#include <chrono>
#include <future>
#include <memory>

#include "engine/common/json_util.h"

#include "engine/runtime/clock.h"
#include "engine/runtime/executor.h"
#include "engine/rpc/status_convert.h"

namespace stepflow::rpc {
namespace {

namespace pb = stepflow::v1;

void ToProto(const functions::DeployedConfig& c, pb::DeployedFunctionConfig* out) {
  out->set_runtime(c.runtime);
  out->set_handler(c.handler);
  out->set_timeout_seconds(c.timeout_s);
  out->set_memory_mb(c.memory_mb);
  out->set_max_instances(c.max_instances);
  out->set_min_instances(c.min_instances);
  out->set_keep_warm_seconds(c.keep_warm_s);
  for (const auto& [k, v] : c.env) (*out->mutable_environment())[k] = v;
  out->set_network(c.network);
  out->set_sandbox(c.sandbox);
  out->set_environment_key(c.env_key);
  for (const std::string& m : c.mounts) out->add_mounts(m);
}

grpc::Status Unimplemented(const char* what) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, std::string(what) + " is not served here");
}

}  // namespace

grpc::Status FunctionApi::Deploy(const pb::DeployFunctionRequest& req,
                                 pb::DeployFunctionResponse* resp) const {
  if (!deployer) return Unimplemented("DeployFunction");
  functions::DeployRequest d;
  d.name = req.name();
  d.files.reserve(req.files_size());
  for (const pb::PackageFile& f : req.files()) d.files.push_back({f.path(), f.executable(), f.content()});
  d.runtime = req.runtime();
  d.handler = req.handler();
  if (req.has_timeout_seconds()) d.timeout_s = req.timeout_seconds();
  if (req.has_memory_mb()) d.memory_mb = req.memory_mb();
  if (req.has_max_instances()) d.max_instances = req.max_instances();
  if (req.has_min_instances()) d.min_instances = req.min_instances();
  if (req.has_keep_warm_seconds()) d.keep_warm_s = req.keep_warm_seconds();
  d.env = {req.environment().begin(), req.environment().end()};
  d.network = !req.no_network();
  d.sandbox = !req.no_sandbox();
  d.mounts = {req.mounts().begin(), req.mounts().end()};
  Result<functions::DeployResult> r = deployer->Deploy(std::move(d));
  if (!r.ok()) return ToGrpc(r.status());
  resp->set_version(r->version.version);
  resp->set_unchanged(r->version.unchanged);
  resp->set_code_sha256(r->digest);
  resp->set_environment_reused(r->environment_reused);
  resp->set_environment_build_ms(r->environment_build_ms);
  resp->set_deploy_ms(r->deploy_ms);
  ToProto(r->config, resp->mutable_config());
  return grpc::Status::OK;
}

grpc::Status FunctionApi::Describe(const pb::DescribeFunctionRequest& req,
                                   pb::FunctionDescription* resp) const {
  if (Status st = functions::ValidateFunctionName(req.name()); !st.ok()) return ToGrpc(st);
  functions::Catalog::Contents all = catalog->List();
  for (const store::FunctionVersion& v : all.versions) {
    if (v.name != req.name()) continue;
    pb::FunctionVersionDetail* d = resp->add_versions();
    d->set_version(v.version);
    d->set_kind(v.kind);
    d->set_source(v.source);
    d->set_created_ms(v.created_ms);
    if (v.kind == "package") {
      d->set_code_sha256(v.target);
      auto config = functions::DeployedConfig::FromJson(v.config);
      if (config.ok()) ToProto(*config, d->mutable_config());
    } else {
      d->set_endpoint(v.target);
    }
    resp->set_version(v.version);
  }
  for (const store::FunctionAlias& a : all.aliases) {
    if (a.function == req.name()) (*resp->mutable_aliases())[a.alias] = a.version;
  }
  auto failures = store->ListDeployFailures();
  if (!failures.ok()) return ToGrpc(failures.status());
  for (const store::DeployFailure& f : *failures) {
    if (f.name != req.name()) continue;
    resp->set_last_deploy_error(f.message);
    resp->set_last_deploy_error_ms(f.created_ms);
  }
  if (resp->versions_size() == 0 && resp->last_deploy_error().empty()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no function named '" + req.name() + "'");
  }
  resp->set_name(req.name());
  if (local) {
    const std::string& why = local->SandboxUnavailable();
    const bool asked = resp->versions_size() == 0 || resp->versions().rbegin()->kind() != "package" ||
                       resp->versions().rbegin()->config().sandbox();
    resp->set_sandbox(!asked ? "deployed with --no-sandbox" : why.empty() ? "bubblewrap" : why);
    functions::PoolStats s = local->Stats(req.name(), resp->version());
    pb::FunctionInstances* in = resp->mutable_instances();
    in->set_starting(s.starting);
    in->set_idle(s.idle);
    in->set_busy(s.busy);
    in->set_started_total(s.started_total);
    in->set_queued(s.queued);
  }
  return grpc::Status::OK;
}

grpc::Status FunctionApi::Delete(const pb::DeleteFunctionRequest& req) const {
  if (Status st = functions::ValidateFunctionName(req.name()); !st.ok()) return ToGrpc(st);
  Result<bool> removed = catalog->Remove(req.name());
  if (!removed.ok()) return ToGrpc(removed.status());
  if (!*removed) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no function named '" + req.name() + "'");
  return grpc::Status::OK;
}

grpc::Status FunctionApi::Invoke(const pb::InvokeFunctionRequest& req,
                                 pb::InvokeFunctionResponse* resp) const {
  if (!invoker) return Unimplemented("InvokeFunction");
  if (req.function().rfind("grpc://", 0) != 0) {
    if (Status st = functions::ParseFunctionRef(req.function()).status(); !st.ok()) return ToGrpc(st);
  }
  runtime::TaskRequest call;
  call.function = req.function();
  call.input_json = req.payload().empty() ? "{}" : req.payload();
  if (!Json::accept(call.input_json)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "payload is not JSON text");
  }
  call.idempotency_key = "invoke/" + runtime::NewUuid();
  call.state_name = "";
  // A deployed function's own timeout applies below this one.
  call.timeout = std::chrono::seconds(req.timeout_seconds() > 0 ? req.timeout_seconds() : 900);
  auto promise = std::make_shared<std::promise<runtime::TaskOutcome>>();
  std::future<runtime::TaskOutcome> answer = promise->get_future();
  const auto start = std::chrono::steady_clock::now();
  invoker->Invoke(call, [promise](runtime::TaskOutcome o) { promise->set_value(std::move(o)); });
  if (answer.wait_for(call.timeout + std::chrono::seconds(30)) != std::future_status::ready) {
    invoker->Cancel(call.idempotency_key);
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the function did not answer");
  }
  runtime::TaskOutcome o = answer.get();
  resp->set_duration_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count());
  resp->set_ok(o.ok);
  if (o.ok) {
    resp->set_result(o.output_json);
  } else {
    resp->set_error(o.error);
    resp->set_cause(o.cause);
  }
  resp->set_executed_version(o.executed_version);
  store::FunctionLogQuery q;
  q.call = call.idempotency_key;
  if (auto logs = store->ListFunctionLogs(q); logs.ok()) {
    for (const store::FunctionLog& l : *logs) resp->set_log(l.text);
  }
  return grpc::Status::OK;
}

grpc::Status FunctionApi::Logs(const pb::GetFunctionLogsRequest& req,
                               pb::GetFunctionLogsResponse* resp) const {
  store::FunctionLogQuery q;
  q.function = req.function();
  q.execution_id = req.execution_id();
  q.after_id = req.after_id();
  q.limit = req.limit() > 0 ? std::min<int64_t>(req.limit(), 10000) : 1000;
  Result<std::vector<store::FunctionLog>> logs = store->ListFunctionLogs(q);
  if (!logs.ok()) return ToGrpc(logs.status());
  resp->set_last_id(req.after_id());
  for (const store::FunctionLog& l : *logs) {
    pb::FunctionLogEntry* e = resp->add_entries();
    e->set_id(l.id);
    e->set_function(l.function);
    e->set_version(l.version);
    e->set_execution_id(l.execution_id);
    e->set_idempotency_key(l.idempotency_key);
    e->set_created_ms(l.created_ms);
    e->set_text(l.text);
    resp->set_last_id(l.id);
  }
  return grpc::Status::OK;
}

}  // namespace stepflow::rpc
