#include "engine/rpc/control_plane.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <set>

#include "engine/functions/resource_check.h"
#include "engine/graph/compiler.h"
#include "engine/rpc/function_api.h"
#include "engine/rpc/proto_convert.h"
#include "engine/rpc/status_convert.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/resource.h"
#include "stepflow/v1/service.grpc.pb.h"

namespace stepflow::rpc {
namespace {

namespace pb = stepflow::v1;

grpc::StatusCode GrpcCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return grpc::StatusCode::OK;
    case StatusCode::kInvalidArgument:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case StatusCode::kNotFound:
      return grpc::StatusCode::NOT_FOUND;
    case StatusCode::kAlreadyExists:
      return grpc::StatusCode::ALREADY_EXISTS;
    case StatusCode::kFailedPrecondition:
      return grpc::StatusCode::FAILED_PRECONDITION;
    case StatusCode::kResourceExhausted:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case StatusCode::kUnavailable:
      return grpc::StatusCode::UNAVAILABLE;
    case StatusCode::kDataLoss:
      return grpc::StatusCode::DATA_LOSS;
    case StatusCode::kInternal:
    case StatusCode::kAslError:
      return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::UNKNOWN;
}


}  // namespace

grpc::Status ToGrpc(const Status& st) {
  if (st.ok()) return grpc::Status::OK;
  return grpc::Status(GrpcCode(st.code()), st.message());
}

namespace {

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

// "invalid definition: 2 errors: SCHEMA at /States/A/Next (line 3:5): ...; ..."
std::string DiagnosticsMessage(const std::vector<asl::Diagnostic>& diagnostics) {
  int errors = 0;
  for (const auto& d : diagnostics) errors += d.severity == asl::Severity::kError;
  std::string message =
      "invalid definition: " + std::to_string(errors) + (errors == 1 ? " error" : " errors");
  int shown = 0;
  for (const auto& d : diagnostics) {
    if (d.severity != asl::Severity::kError) continue;
    if (shown++ == 20) {
      message += "; ...";
      break;
    }
    message += (shown == 1 ? ": " : "; ") + d.code + " at " + (d.pointer.empty() ? "/" : d.pointer);
    if (d.line > 0) {
      message += " (line " + std::to_string(d.line) + ":" + std::to_string(d.column) + ")";
    }
    message += ": " + d.message;
  }
  return message;
}

// A page token is the id of the last item handed out (an event id, an
// execution id or a state machine name).
Result<int64_t> EventToken(const std::string& token) {
  if (token.empty()) return int64_t{0};
  if (token.size() > 18 || token.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument("next_token '" + token + "' is not a token this server gave");
  }
  return std::stoll(token);
}

int32_t PageSize(int32_t requested) { return requested <= 0 ? 1000 : std::min(requested, 1000); }

// Waits for a queued write to become durable.
class Durable {
 public:
  Durable() : promise_(std::make_shared<std::promise<Status>>()) {}
  runtime::Committed Callback() {
    auto p = promise_;
    return [p](const Status& st) { p->set_value(st); };
  }
  Status Wait() {
    auto future = promise_->get_future();
    if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      return Status(StatusCode::kUnavailable, "the engine did not commit the request in 60 s");
    }
    return future.get();
  }

 private:
  std::shared_ptr<std::promise<Status>> promise_;
};

}  // namespace

// StartExecution, the hot path, is on gRPC's callback API: the answer is
// sent from the commit callback, so no thread waits per start (with the
// synchronous API, a blocked handler thread per start made gRPC create and
// destroy threads in every group commit). The other methods are synchronous.
class ControlPlane::Service final
    : public pb::StepflowService::WithCallbackMethod_StartExecution<pb::StepflowService::Service> {
 public:
  Service(runtime::Executor* executor, store::Store* store, functions::Catalog* catalog,
          ControlPlaneOptions options)
      : executor_(executor),
        store_(store),
        catalog_(catalog),
        options_(options),
        functions_{store, catalog, options.deployer, options.local, options.invoker} {}

  void BeginShutdown() { draining_ = true; }

  // ------------------------------------------------------ state machines

  grpc::Status CreateStateMachine(grpc::ServerContext*, const pb::CreateStateMachineRequest* req,
                                  pb::StateMachineVersionRef* resp) override {
    return PutDefinition(req->name(), req->definition(), /*create=*/true, resp);
  }

  grpc::Status UpdateStateMachine(grpc::ServerContext*, const pb::UpdateStateMachineRequest* req,
                                  pb::StateMachineVersionRef* resp) override {
    return PutDefinition(req->name(), req->definition(), /*create=*/false, resp);
  }

  grpc::Status DescribeStateMachine(grpc::ServerContext*,
                                    const pb::DescribeStateMachineRequest* req,
                                    pb::StateMachineDescription* resp) override {
    if (draining_) return Draining();
    auto version = store_->GetStateMachineVersion(req->name(), req->version());
    if (!version.ok()) return ToGrpc(version.status());
    auto versions = store_->ListStateMachineVersions(req->name());
    if (!versions.ok()) return ToGrpc(versions.status());
    resp->set_name(version->machine);
    resp->set_version(version->version);
    resp->set_definition(version->definition);
    resp->set_sha256(version->sha256);
    resp->set_created_ms(version->created_ms);
    for (const auto& v : *versions) {
      auto* info = resp->add_versions();
      info->set_version(v.version);
      info->set_sha256(v.sha256);
      info->set_created_ms(v.created_ms);
    }
    return grpc::Status::OK;
  }

  grpc::Status ListStateMachines(grpc::ServerContext*, const pb::ListStateMachinesRequest* req,
                                 pb::ListStateMachinesResponse* resp) override {
    if (draining_) return Draining();
    auto names = store_->ListStateMachines();
    if (!names.ok()) return ToGrpc(names.status());
    const int32_t page = PageSize(req->max_results());
    for (const std::string& name : *names) {
      if (!req->next_token().empty() && name <= req->next_token()) continue;
      if (resp->state_machines_size() == page) {
        resp->set_next_token(resp->state_machines(page - 1).name());
        break;
      }
      auto newest = store_->GetStateMachineVersion(name, 0);
      if (!newest.ok()) continue;  // deleted meanwhile
      auto* item = resp->add_state_machines();
      item->set_name(name);
      item->set_latest_version(newest->version);
      item->set_created_ms(newest->created_ms);
    }
    return grpc::Status::OK;
  }

  grpc::Status DeleteStateMachine(grpc::ServerContext*, const pb::DeleteStateMachineRequest* req,
                                  pb::DeleteStateMachineResponse*) override {
    if (draining_) return Draining();
    std::lock_guard lock(definitions_mu_);
    return ToGrpc(executor_->DeleteStateMachine(req->name()));
  }

  grpc::Status ValidateStateMachineDefinition(grpc::ServerContext*, const pb::ValidateRequest* req,
                                              pb::ValidateResponse* resp) override {
    if (req->definition().size() > options_.max_definition_bytes) return DefinitionTooBig();
    graph::CompileResult compiled = graph::CompileText(req->definition());
    resp->set_valid(compiled.graph != nullptr);
    for (const auto& d : compiled.diagnostics) {
      auto* out = resp->add_diagnostics();
      out->set_severity(std::string(asl::SeverityName(d.severity)));
      out->set_code(d.code);
      out->set_pointer(d.pointer);
      out->set_line(d.line);
      out->set_column(d.column);
      out->set_message(d.message);
    }
    if (compiled.graph) {
      for (const auto& p : functions::FindResourceProblems(*compiled.graph, catalog_)) {
        auto* out = resp->add_diagnostics();
        out->set_severity("WARNING");
        out->set_code(p.code);
        out->set_pointer(p.pointer);
        out->set_message(p.message + " (CreateStateMachine refuses it until then)");
      }
    }
    return grpc::Status::OK;
  }

  // ----------------------------------------------------------- executions

  grpc::ServerUnaryReactor* StartExecution(grpc::CallbackServerContext* ctx,
                                           const pb::StartExecutionRequest* req,
                                           pb::StartExecutionResponse* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    if (draining_) {
      reactor->Finish(Draining());
      return reactor;
    }
    if (req->input_json().size() > options_.max_payload_bytes) {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                       "the execution input has " + std::to_string(req->input_json().size()) +
                           " bytes; the limit is " + std::to_string(options_.max_payload_bytes)));
      return reactor;
    }
    // The response is filled before the start is queued: the commit
    // callback may run (and Finish) before StartExecution returns.
    auto info = std::make_shared<runtime::StartInfo>();
    runtime::StartRequest start;
    start.machine = req->state_machine();
    start.version = req->version();
    // Named here, so the id is known before the commit callback can run.
    start.name = req->name().empty() ? runtime::NewUuid() : req->name();
    start.input = req->input_json();
    resp->set_execution_id(start.machine + ":" + start.name);
    start.committed = [reactor, resp, info](const Status& st) {
      if (st.ok()) {
        resp->set_start_ms(info->start_ms);
        resp->set_version(info->version);
        resp->set_already_started(info->already_started);
      }
      reactor->Finish(ToGrpc(st));
    };
    // StartInfo is written before the start is queued (or answered at once).
    auto id = executor_->StartExecution(start, info.get());
    if (!id.ok()) reactor->Finish(ToGrpc(id.status()));
    return reactor;
  }

  grpc::Status DescribeExecution(grpc::ServerContext*, const pb::DescribeExecutionRequest* req,
                                 pb::Execution* resp) override {
    if (draining_) return Draining();
    auto record = store_->GetExecution(req->execution_id());
    if (!record.ok()) return ToGrpc(record.status());
    FillExecution(*record, /*with_data=*/true, resp);
    auto children = store_->ListChildExecutions(record->id);
    if (!children.ok()) return ToGrpc(children.status());
    for (const store::ExecutionRecord& c : *children) resp->add_child_execution_ids(c.id);
    return grpc::Status::OK;
  }

  grpc::Status ListExecutions(grpc::ServerContext*, const pb::ListExecutionsRequest* req,
                              pb::ListExecutionsResponse* resp) override {
    if (draining_) return Draining();
    const std::string& status = req->status();
    if (!status.empty() && status != store::kRunning && status != store::kSucceeded &&
        status != store::kFailed && status != store::kTimedOut && status != store::kAborted) {
      return Invalid("status '" + status +
                     "' is not one of RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED");
    }
    store::ExecutionFilter filter;
    filter.machine = req->state_machine();
    filter.status = status;
    const int32_t page = PageSize(req->max_results());
    filter.limit = page + 1;  // one more tells whether another page follows
    filter.after_id = req->next_token();
    auto records = store_->ListExecutions(filter);
    if (!records.ok()) return ToGrpc(records.status());
    for (const auto& r : *records) {
      if (resp->executions_size() == page) {
        resp->set_next_token(resp->executions(page - 1).execution_id());
        break;
      }
      FillExecution(r, /*with_data=*/false, resp->add_executions());
    }
    return grpc::Status::OK;
  }

  grpc::Status StopExecution(grpc::ServerContext*, const pb::StopExecutionRequest* req,
                             pb::StopExecutionResponse* resp) override {
    if (draining_) return Draining();
    if (req->error().size() > 256) return Invalid("error has more than 256 characters");
    if (req->cause().size() > 32768) return Invalid("cause has more than 32768 characters");
    auto record = store_->GetExecution(req->execution_id());
    if (!record.ok()) return ToGrpc(record.status());
    if (record->status != store::kRunning) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "execution '" + record->id + "' is " + record->status +
                              "; only RUNNING executions can be stopped");
    }
    Durable durable;
    std::optional<std::string> cause;
    if (req->has_cause()) cause = req->cause();
    (void)executor_->Stop(record->id, req->error(), cause, durable.Callback());
    if (Status st = durable.Wait(); !st.ok()) return ToGrpc(st);
    auto after = store_->GetExecution(record->id);
    if (after.ok()) resp->set_stop_ms(after->stop_ms.value_or(0));
    return grpc::Status::OK;
  }

  grpc::Status RedriveExecution(grpc::ServerContext*, const pb::RedriveExecutionRequest* req,
                                pb::RedriveExecutionResponse* resp) override {
    if (draining_) return Draining();
    Durable durable;
    if (Status st = executor_->Redrive(req->execution_id(), durable.Callback()); !st.ok()) {
      return ToGrpc(st);
    }
    if (Status st = durable.Wait(); !st.ok()) return ToGrpc(st);
    auto after = store_->GetExecution(req->execution_id());
    if (after.ok()) resp->set_redrive_ms(after->redrive_ms.value_or(0));
    return grpc::Status::OK;
  }

  grpc::Status GetExecutionHistory(grpc::ServerContext* ctx,
                                   const pb::GetExecutionHistoryRequest* req,
                                   grpc::ServerWriter<pb::HistoryPage>* writer) override {
    if (draining_) return Draining();
    if (req->follow() && req->reverse_order()) {
      return Invalid("follow and reverse_order cannot be combined");
    }
    auto after = EventToken(req->next_token());
    if (!after.ok()) return ToGrpc(after.status());
    const std::string& id = req->execution_id();
    auto record = store_->GetExecution(id);
    if (!record.ok()) return ToGrpc(record.status());
    const bool one_page = req->max_results() > 0 && !req->follow();  // paged by tokens
    const int32_t page = PageSize(req->max_results());
    int64_t cursor = *after;
    while (true) {
      // The count first: a commit after this read wakes the wait below.
      uint64_t seen = executor_->commit_count();
      bool closed = false;
      if (req->follow()) {
        auto now = store_->GetExecution(id);
        if (!now.ok()) return ToGrpc(now.status());
        closed = now->status != store::kRunning;
      }
      // Everything stored now, in pages.
      while (true) {
        store::HistoryQuery query;
        query.after_event_id = cursor;
        query.limit = page + 1;
        query.reverse = req->reverse_order();
        auto events = store_->GetHistory(id, query);
        if (!events.ok()) return ToGrpc(events.status());
        if (events->empty()) break;
        const bool more = events->size() > static_cast<size_t>(page);
        if (more) events->pop_back();
        pb::HistoryPage out;
        for (const auto& e : *events) FillEvent(e, out.add_events());
        cursor = events->back().id;
        if (one_page && more) out.set_next_token(std::to_string(cursor));
        if (!writer->Write(out)) return grpc::Status::OK;  // the client went away
        if (one_page || !more) break;
      }
      if (one_page || !req->follow() || closed) return grpc::Status::OK;
      if (ctx->IsCancelled() || draining_) return grpc::Status::OK;
      executor_->WaitForCommit(seen, std::chrono::milliseconds(500));
    }
  }

  // ------------------------------------------------ activities, callbacks

  grpc::Status PollTask(grpc::ServerContext* ctx, const pb::PollTaskRequest* req,
                        pb::PollTaskResponse* resp) override {
    if (draining_) return Draining();
    // NAME, or the Resource text naming it.
    std::string activity = runtime::ActivityName(req->activity()).value_or(req->activity());
    if (activity.empty()) return Invalid("activity is empty");
    if (req->worker_name().size() > 80) return Invalid("worker_name has more than 80 characters");
    std::chrono::milliseconds wait = options_.max_poll;
    if (req->wait_seconds() > 0) {
      wait = std::min(wait, std::chrono::milliseconds(int64_t{req->wait_seconds()} * 1000));
    }
    auto task = executor_->PollActivity(activity, req->worker_name(), wait,
                                        [&] { return ctx->IsCancelled() || draining_.load(); });
    if (!task) return grpc::Status::OK;  // nothing came: an empty token
    resp->set_task_token(task->token);
    resp->set_input_json(task->input_json);
    resp->set_execution_id(task->execution_id);
    resp->set_state_name(task->state_name);
    resp->set_heartbeat_seconds(task->heartbeat_seconds);
    return grpc::Status::OK;
  }

  grpc::Status SendTaskSuccess(grpc::ServerContext*, const pb::SendTaskSuccessRequest* req,
                               pb::SendTaskResponse*) override {
    if (draining_) return Draining();
    const std::string& output = req->output_json();
    if (output.size() > options_.max_payload_bytes) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "the task output has " + std::to_string(output.size()) +
                              " bytes; the limit is " + std::to_string(options_.max_payload_bytes));
    }
    if (Result<Json> parsed = ParseJsonData(output); !parsed.ok()) {
      return Invalid("output_json is not JSON: " + parsed.status().message());
    }
    return Complete(req->task_token(), runtime::TaskOutcome::Success(output));
  }

  grpc::Status SendTaskFailure(grpc::ServerContext*, const pb::SendTaskFailureRequest* req,
                               pb::SendTaskResponse*) override {
    if (draining_) return Draining();
    if (req->error().size() > 256) return Invalid("error has more than 256 characters");
    if (req->cause().size() > 32768) return Invalid("cause has more than 32768 characters");
    return Complete(req->task_token(), runtime::TaskOutcome::Failure(req->error(), req->cause()));
  }

  grpc::Status SendTaskHeartbeat(grpc::ServerContext*, const pb::SendTaskHeartbeatRequest* req,
                                 pb::SendTaskResponse*) override {
    if (draining_) return Draining();
    return ToGrpc(executor_->Heartbeat(req->task_token()));
  }

  // ------------------------------------------------------------ functions

  grpc::Status RegisterFunction(grpc::ServerContext*, const pb::RegisterFunctionRequest* req,
                                pb::RegisterFunctionResponse* resp) override {
    if (draining_) return Draining();
    auto v = catalog_->Register(req->name(), req->endpoint(), "api", runtime::SystemNowMs());
    if (!v.ok()) return ToGrpc(v.status());
    resp->set_version(v->version);
    resp->set_unchanged(v->unchanged);
    executor_->RetryHeldTasks();  // executions waiting for this function go on
    return grpc::Status::OK;
  }

  grpc::Status DeployFunction(grpc::ServerContext*, const pb::DeployFunctionRequest* req,
                              pb::DeployFunctionResponse* resp) override {
    if (draining_) return Draining();
    grpc::Status st = functions_.Deploy(*req, resp);
    if (st.ok()) executor_->RetryHeldTasks();  // executions waiting for this function go on
    return st;
  }

  grpc::Status DescribeFunction(grpc::ServerContext*, const pb::DescribeFunctionRequest* req,
                                pb::FunctionDescription* resp) override {
    if (draining_) return Draining();
    return functions_.Describe(*req, resp);
  }

  grpc::Status DeleteFunction(grpc::ServerContext*, const pb::DeleteFunctionRequest* req,
                              pb::DeleteFunctionResponse*) override {
    if (draining_) return Draining();
    return functions_.Delete(*req);
  }

  grpc::Status InvokeFunction(grpc::ServerContext*, const pb::InvokeFunctionRequest* req,
                              pb::InvokeFunctionResponse* resp) override {
    if (draining_) return Draining();
    return functions_.Invoke(*req, resp);
  }

  grpc::Status GetFunctionLogs(grpc::ServerContext*, const pb::GetFunctionLogsRequest* req,
                               pb::GetFunctionLogsResponse* resp) override {
    if (draining_) return Draining();
    return functions_.Logs(*req, resp);
  }

  grpc::Status ListFunctions(grpc::ServerContext*, const pb::ListFunctionsRequest*,
                             pb::ListFunctionsResponse* resp) override {
    if (draining_) return Draining();
    functions::Catalog::Contents all = catalog_->List();
    pb::FunctionEntry* entry = nullptr;
    for (const store::FunctionVersion& v : all.versions) {
      if (entry == nullptr || entry->name() != v.name) {
        entry = resp->add_functions();
        entry->set_name(v.name);
      }
      const bool package = v.kind == "package";
      std::string runtime_name;
      if (package) {
        auto config = functions::DeployedConfig::FromJson(v.config);
        if (config.ok()) runtime_name = config->runtime;
      }
      entry->set_endpoint(package ? "" : v.target);
      entry->set_source(v.source);
      entry->set_version(v.version);
      entry->set_kind(v.kind);
      entry->set_runtime(runtime_name);
      auto* info = entry->add_versions();
      info->set_version(v.version);
      info->set_endpoint(package ? "" : v.target);
      info->set_source(v.source);
      info->set_created_ms(v.created_ms);
      info->set_kind(v.kind);
      info->set_code_sha256(package ? v.target : "");
      info->set_runtime(runtime_name);
    }
    for (const store::FunctionAlias& a : all.aliases) {
      for (auto& f : *resp->mutable_functions()) {
        if (f.name() == a.function) (*f.mutable_aliases())[a.alias] = a.version;
      }
    }
    for (const auto& [integration, function] : all.integrations) {
      auto* m = resp->add_integrations();
      m->set_integration(integration);
      m->set_function(function);
    }
    return grpc::Status::OK;
  }

  grpc::Status RemoveFunction(grpc::ServerContext*, const pb::RemoveFunctionRequest* req,
                              pb::RemoveFunctionResponse*) override {
    if (draining_) return Draining();
    auto removed = catalog_->Remove(req->name());
    if (!removed.ok()) return ToGrpc(removed.status());
    if (!*removed) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "no function named '" + req->name() + "' is registered");
    }
    return grpc::Status::OK;
  }

  grpc::Status SetFunctionAlias(grpc::ServerContext*, const pb::SetFunctionAliasRequest* req,
                                pb::SetFunctionAliasResponse*) override {
    if (draining_) return Draining();
    Status st = catalog_->SetAlias(req->name(), req->alias(), req->version());
    if (st.ok()) executor_->RetryHeldTasks();
    return ToGrpc(st);
  }

  grpc::Status RemoveFunctionAlias(grpc::ServerContext*, const pb::RemoveFunctionAliasRequest* req,
                                   pb::RemoveFunctionAliasResponse*) override {
    if (draining_) return Draining();
    auto removed = catalog_->RemoveAlias(req->name(), req->alias());
    if (!removed.ok()) return ToGrpc(removed.status());
    if (!*removed) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "function '" + req->name() +
                                                           "' has no alias '" + req->alias() + "'");
    }
    return grpc::Status::OK;
  }

  grpc::Status MapIntegration(grpc::ServerContext*, const pb::MapIntegrationRequest* req,
                              pb::MapIntegrationResponse*) override {
    if (draining_) return Draining();
    Status st = catalog_->MapIntegration(req->integration(), req->function());
    if (st.ok()) executor_->RetryHeldTasks();
    return ToGrpc(st);
  }

  grpc::Status UnmapIntegration(grpc::ServerContext*, const pb::UnmapIntegrationRequest* req,
                                pb::UnmapIntegrationResponse*) override {
    if (draining_) return Draining();
    auto removed = catalog_->UnmapIntegration(req->integration());
    if (!removed.ok()) return ToGrpc(removed.status());
    if (!*removed) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "the integration '" + req->integration() + "' is not mapped");
    }
    return grpc::Status::OK;
  }

 private:
  static grpc::Status Draining() {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down");
  }
  grpc::Status DefinitionTooBig() const {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "the definition is larger than " +
                            std::to_string(options_.max_definition_bytes) + " bytes");
  }

  // SendTaskSuccess/Failure answer once the outcome is applied and durable:
  // OK means the execution moved on and a crash will not undo it.
  grpc::Status Complete(const std::string& token, runtime::TaskOutcome outcome) {
    Durable durable;
    if (Status st = executor_->CompleteTask(token, std::move(outcome), durable.Callback());
        !st.ok()) {
      return ToGrpc(st);
    }
    return ToGrpc(durable.Wait());
  }

  // Create: a new machine, or the same definition again (unchanged).
  // Update: a new version of an existing machine (unchanged when equal).
  grpc::Status PutDefinition(const std::string& name, const std::string& definition, bool create,
                             pb::StateMachineVersionRef* resp) {
    if (draining_) return Draining();
    if (definition.size() > options_.max_definition_bytes) return DefinitionTooBig();
    graph::CompileResult compiled = graph::CompileText(definition);
    if (!compiled.graph) return Invalid(DiagnosticsMessage(compiled.diagnostics));
    // The existence check and the store are one step: concurrent Creates of
    // a name store one version, the others get ALREADY_EXISTS.
    std::lock_guard lock(definitions_mu_);
    auto newest = store_->GetStateMachineVersion(name, 0);
    if (!newest.ok() && newest.status().code() != StatusCode::kNotFound) {
      return ToGrpc(newest.status());
    }
    const bool exists = newest.ok();
    if (exists && newest->sha256 == compiled.graph->content_hash()) {
      resp->set_name(name);
      resp->set_version(newest->version);
      resp->set_created_ms(newest->created_ms);
      resp->set_unchanged(true);
      return grpc::Status::OK;
    }
    if (create && exists) {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                          "state machine '" + name +
                              "' already exists with another definition; UpdateStateMachine "
                              "adds a version");
    }
    if (!create && !exists) return ToGrpc(newest.status());
    auto version = executor_->PutStateMachine(name, definition, compiled.graph);
    if (!version.ok()) return ToGrpc(version.status());
    auto stored = store_->GetStateMachineVersion(name, *version);
    resp->set_name(name);
    resp->set_version(*version);
    resp->set_created_ms(stored.ok() ? stored->created_ms : 0);
    return grpc::Status::OK;
  }

  runtime::Executor* executor_;
  store::Store* store_;
  functions::Catalog* catalog_;
  ControlPlaneOptions options_;
  FunctionApi functions_;
  std::atomic<bool> draining_{false};
  std::mutex definitions_mu_;  // serialises Create/Update/Delete of state machines
};

ControlPlane::ControlPlane(runtime::Executor* executor, store::Store* store,
                           functions::Catalog* catalog, ControlPlaneOptions options)
    : service_(std::make_unique<Service>(executor, store, catalog, options)) {}

ControlPlane::~ControlPlane() = default;

grpc::Service* ControlPlane::service() { return service_.get(); }

void ControlPlane::BeginShutdown() { service_->BeginShutdown(); }

Result<std::unique_ptr<ApiServer>> ApiServer::Start(const std::string& listen,
                                                    ControlPlane* plane) {
  grpc::EnableDefaultHealthCheckService(true);
  // Debian links with --as-needed: without this call reflection is dropped.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<ApiServer> server(new ApiServer());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterService(plane->service());
  // DeployFunction carries a function's code (up to 250 MiB).
  builder.SetMaxReceiveMessageSize(300 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  server->server_ = builder.BuildAndStart();
  if (!server->server_ || server->port_ == 0) {
    return Status::FailedPrecondition("cannot listen on " + listen +
                                      " (address in use, or not HOST:PORT?)");
  }
  return server;
}

ApiServer::~ApiServer() {
  if (server_) Shutdown(std::chrono::milliseconds(0));
}

void ApiServer::Shutdown(std::chrono::milliseconds grace) {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  server_.reset();
}

}  // namespace stepflow::rpc
