#include "engine/rpc/control_plane.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <future>

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

}  // namespace

// The gRPC adapter over api::ControlPlane: proto in, plain structs to the
// core, the Status mapped once (ToGrpc). The writes (StartExecution,
// StopExecution, RedriveExecution, SendTaskSuccess/Failure) are on gRPC's
// callback API: the answer is sent from the commit callback, so no thread
// waits per write. The other methods are synchronous.
using Base = pb::StepflowService::WithCallbackMethod_StartExecution<
    pb::StepflowService::WithCallbackMethod_StopExecution<
        pb::StepflowService::WithCallbackMethod_RedriveExecution<
            pb::StepflowService::WithCallbackMethod_SendTaskSuccess<
                pb::StepflowService::WithCallbackMethod_SendTaskFailure<
                    pb::StepflowService::Service>>>>>;

class ControlPlane::Service final : public Base {
 public:
  Service(runtime::Executor* executor, store::Store* store, functions::Catalog* catalog,
          ControlPlaneOptions options)
      : api_(executor, store, catalog, ApiOptions(options)),
        executor_(executor),
        catalog_(catalog),
        functions_{store, catalog, options.deployer, options.local, options.invoker} {}

  api::ControlPlane* api() { return &api_; }
  void BeginShutdown() { api_.BeginShutdown(); }

  // ------------------------------------------------------ state machines

  grpc::Status CreateStateMachine(grpc::ServerContext*, const pb::CreateStateMachineRequest* req,
                                  pb::StateMachineVersionRef* resp) override {
    return Fill(api_.CreateStateMachine(req->name(), req->definition()), resp);
  }

  grpc::Status UpdateStateMachine(grpc::ServerContext*, const pb::UpdateStateMachineRequest* req,
                                  pb::StateMachineVersionRef* resp) override {
    return Fill(api_.UpdateStateMachine(req->name(), req->definition()), resp);
  }

  grpc::Status DescribeStateMachine(grpc::ServerContext*,
                                    const pb::DescribeStateMachineRequest* req,
                                    pb::StateMachineDescription* resp) override {
    auto described = api_.DescribeStateMachine(req->name(), req->version());
    if (!described.ok()) return ToGrpc(described.status());
    const store::StateMachineVersion& version = described->described;
    resp->set_name(version.machine);
    resp->set_version(version.version);
    resp->set_definition(version.definition);
    resp->set_sha256(version.sha256);
    resp->set_created_ms(version.created_ms);
    for (const auto& v : described->versions) {
      auto* info = resp->add_versions();
      info->set_version(v.version);
      info->set_sha256(v.sha256);
      info->set_created_ms(v.created_ms);
    }
    return grpc::Status::OK;
  }

  grpc::Status ListStateMachines(grpc::ServerContext*, const pb::ListStateMachinesRequest* req,
                                 pb::ListStateMachinesResponse* resp) override {
    auto page = api_.ListStateMachines({req->max_results(), req->next_token()});
    if (!page.ok()) return ToGrpc(page.status());
    for (const api::MachineSummary& m : page->items) {
      auto* item = resp->add_state_machines();
      item->set_name(m.name);
      item->set_latest_version(m.latest_version);
      item->set_created_ms(m.updated_ms);
    }
    resp->set_next_token(page->next_token);
    return grpc::Status::OK;
  }

  grpc::Status DeleteStateMachine(grpc::ServerContext*, const pb::DeleteStateMachineRequest* req,
                                  pb::DeleteStateMachineResponse*) override {
    return ToGrpc(api_.DeleteStateMachine(req->name(), req->purge()));
  }

  grpc::Status ValidateStateMachineDefinition(grpc::ServerContext*, const pb::ValidateRequest* req,
                                              pb::ValidateResponse* resp) override {
    auto validation = api_.ValidateDefinition(req->definition());
    if (!validation.ok()) return ToGrpc(validation.status());
    resp->set_valid(validation->valid);
    for (const auto& d : validation->diagnostics) {
      auto* out = resp->add_diagnostics();
      out->set_severity(std::string(asl::SeverityName(d.severity)));
      out->set_code(d.code);
      out->set_pointer(d.pointer);
      out->set_line(d.line);
      out->set_column(d.column);
      out->set_message(d.message);
    }
    return grpc::Status::OK;
  }

  // ----------------------------------------------------------- executions

  grpc::ServerUnaryReactor* StartExecution(grpc::CallbackServerContext* ctx,
                                           const pb::StartExecutionRequest* req,
                                           pb::StartExecutionResponse* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    api::StartRequest start{req->state_machine(), req->version(), req->name(), req->input_json()};
    api_.StartExecution(start, [reactor, resp](Result<api::Started> started) {
      if (started.ok()) {
        resp->set_execution_id(started->execution_id);
        resp->set_start_ms(started->start_ms);
        resp->set_version(started->version);
        resp->set_already_started(started->already_started);
      }
      reactor->Finish(ToGrpc(started.status()));
    });
    return reactor;
  }

  grpc::Status DescribeExecution(grpc::ServerContext*, const pb::DescribeExecutionRequest* req,
                                 pb::Execution* resp) override {
    auto detail = api_.DescribeExecution(req->execution_id());
    if (!detail.ok()) return ToGrpc(detail.status());
    FillExecution(detail->record, /*with_data=*/true, resp);
    for (const std::string& child : detail->children) resp->add_child_execution_ids(child);
    return grpc::Status::OK;
  }

  grpc::Status ListExecutions(grpc::ServerContext*, const pb::ListExecutionsRequest* req,
                              pb::ListExecutionsResponse* resp) override {
    api::ExecutionQuery query;
    query.machine = req->state_machine();
    query.status = req->status();
    query.page = {req->max_results(), req->next_token()};
    query.newest_first = !req->oldest_first();
    auto page = api_.ListExecutions(query);
    if (!page.ok()) return ToGrpc(page.status());
    for (const auto& r : page->items) FillExecution(r, /*with_data=*/false, resp->add_executions());
    resp->set_next_token(page->next_token);
    return grpc::Status::OK;
  }

  grpc::ServerUnaryReactor* StopExecution(grpc::CallbackServerContext* ctx,
                                          const pb::StopExecutionRequest* req,
                                          pb::StopExecutionResponse* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    std::optional<std::string> cause;
    if (req->has_cause()) cause = req->cause();
    api_.StopExecution(req->execution_id(), req->error(), cause,
                       [reactor, resp](Result<int64_t> stop_ms) {
                         if (stop_ms.ok()) resp->set_stop_ms(*stop_ms);
                         reactor->Finish(ToGrpc(stop_ms.status()));
                       });
    return reactor;
  }

  grpc::ServerUnaryReactor* RedriveExecution(grpc::CallbackServerContext* ctx,
                                             const pb::RedriveExecutionRequest* req,
                                             pb::RedriveExecutionResponse* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    api_.RedriveExecution(req->execution_id(), req->client_token(),
                          [reactor, resp](Result<int64_t> redrive_ms) {
                            if (redrive_ms.ok()) resp->set_redrive_ms(*redrive_ms);
                            reactor->Finish(ToGrpc(redrive_ms.status()));
                          });
    return reactor;
  }

  grpc::Status GetExecutionHistory(grpc::ServerContext* ctx,
                                   const pb::GetExecutionHistoryRequest* req,
                                   grpc::ServerWriter<pb::HistoryPage>* writer) override {
    if (req->follow() && req->reverse_order()) {
      return Invalid("follow and reverse_order cannot be combined");
    }
    // Paged by tokens (max_results without follow): one page. Otherwise
    // every stored event in pages, and with follow the new ones as they
    // are committed, until the execution's closing event.
    const bool one_page = req->max_results() > 0 && !req->follow();
    api::HistoryQuery query{req->execution_id(), req->max_results(), req->next_token(),
                            req->reverse_order()};
    while (true) {
      // The count first: a commit after this read wakes the wait below.
      uint64_t seen = executor_->commit_count();
      bool closed = false;
      if (req->follow()) {
        auto now = api_.DescribeExecution(req->execution_id());
        if (!now.ok()) return ToGrpc(now.status());
        closed = now->record.status != store::kRunning;
      }
      while (true) {
        auto page = api_.GetHistory(query);
        if (!page.ok()) return ToGrpc(page.status());
        if (page->items.empty()) break;
        pb::HistoryPage out;
        for (const auto& e : page->items) FillEvent(e, out.add_events());
        query.next_token = std::to_string(page->items.back().id);
        if (one_page) out.set_next_token(page->next_token);
        if (!writer->Write(out)) return grpc::Status::OK;  // the client went away
        if (one_page || page->next_token.empty()) break;
      }
      if (one_page || !req->follow() || closed) return grpc::Status::OK;
      if (ctx->IsCancelled() || api_.draining()) return grpc::Status::OK;
      executor_->WaitForCommit(seen, std::chrono::milliseconds(500));
    }
  }

  // ------------------------------------------------ activities, callbacks

  grpc::Status PollTask(grpc::ServerContext* ctx, const pb::PollTaskRequest* req,
                        pb::PollTaskResponse* resp) override {
    std::chrono::milliseconds wait{int64_t{std::max(req->wait_seconds(), 0)} * 1000};
    auto task = api_.PollActivity(req->activity(), req->worker_name(), wait,
                                  [ctx] { return ctx->IsCancelled(); });
    if (!task.ok()) return ToGrpc(task.status());
    if (!task->has_value()) return grpc::Status::OK;  // nothing came: an empty token
    const runtime::ActivityTask& t = **task;
    resp->set_task_token(t.token);
    resp->set_input_json(t.input_json);
    resp->set_execution_id(t.execution_id);
    resp->set_state_name(t.state_name);
    resp->set_heartbeat_seconds(t.heartbeat_seconds);
    return grpc::Status::OK;
  }

  grpc::ServerUnaryReactor* SendTaskSuccess(grpc::CallbackServerContext* ctx,
                                            const pb::SendTaskSuccessRequest* req,
                                            pb::SendTaskResponse*) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    api_.SendTaskSuccess(req->task_token(), req->output_json(),
                         [reactor](const Status& st) { reactor->Finish(ToGrpc(st)); });
    return reactor;
  }

  grpc::ServerUnaryReactor* SendTaskFailure(grpc::CallbackServerContext* ctx,
                                            const pb::SendTaskFailureRequest* req,
                                            pb::SendTaskResponse*) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    api_.SendTaskFailure(req->task_token(), req->error(), req->cause(),
                         [reactor](const Status& st) { reactor->Finish(ToGrpc(st)); });
    return reactor;
  }

  grpc::Status SendTaskHeartbeat(grpc::ServerContext*, const pb::SendTaskHeartbeatRequest* req,
                                 pb::SendTaskResponse*) override {
    return ToGrpc(api_.SendTaskHeartbeat(req->task_token()));
  }

  // ------------------------------------------------------------- triggers

  static void ToProto(const api::TriggerView& v, pb::TriggerDescription* out) {
    out->set_name(v.name);
    out->set_kind(v.kind);
    out->set_description(DumpCompact(v.description));
    out->set_paused(v.paused);
    out->set_created_ms(v.created_ms);
    out->set_updated_ms(v.updated_ms);
    for (int64_t ms : v.next_fire_ms) out->add_next_fire_ms(ms);
    for (const store::TriggerOccurrence& o : v.occurrences) {
      pb::TriggerOccurrence* p = out->add_occurrences();
      p->set_key(o.key);
      p->set_scheduled_ms(o.scheduled_ms);
      p->set_outcome(o.outcome);
      p->set_execution_id(o.execution_id);
      p->set_detail(o.detail);
      p->set_recorded_ms(o.recorded_ms);
    }
    for (const auto& [outcome, n] : v.counts) (*out->mutable_counts())[outcome] = n;
    out->set_unchanged(v.unchanged);
  }

  grpc::Status PutTrigger(grpc::ServerContext*, const pb::PutTriggerRequest* req,
                          pb::TriggerDescription* resp) override {
    auto view = api_.PutTrigger(req->description(), req->create_only());
    if (!view.ok()) return ToGrpc(view.status());
    ToProto(*view, resp);
    return grpc::Status::OK;
  }

  grpc::Status DescribeTrigger(grpc::ServerContext*, const pb::DescribeTriggerRequest* req,
                               pb::TriggerDescription* resp) override {
    auto view = api_.DescribeTrigger(req->name(), req->occurrences() == 0 ? 10 : req->occurrences());
    if (!view.ok()) return ToGrpc(view.status());
    ToProto(*view, resp);
    return grpc::Status::OK;
  }

  grpc::Status ListTriggers(grpc::ServerContext*, const pb::ListTriggersRequest*,
                            pb::ListTriggersResponse* resp) override {
    auto views = api_.ListTriggers();
    if (!views.ok()) return ToGrpc(views.status());
    for (const api::TriggerView& v : *views) ToProto(v, resp->add_triggers());
    return grpc::Status::OK;
  }

  grpc::Status PauseTrigger(grpc::ServerContext*, const pb::PauseTriggerRequest* req,
                            pb::TriggerDescription* resp) override {
    auto view = api_.SetTriggerPaused(req->name(), req->paused());
    if (!view.ok()) return ToGrpc(view.status());
    ToProto(*view, resp);
    return grpc::Status::OK;
  }

  grpc::Status RunTrigger(grpc::ServerContext*, const pb::RunTriggerRequest* req,
                          pb::RunTriggerResponse* resp) override {
    std::promise<Result<api::TriggerRun>> answer;
    auto future = answer.get_future();
    std::optional<std::string> input;
    if (req->has_input()) input = req->input();
    api_.RunTrigger(req->name(), input,
                    [&answer](Result<api::TriggerRun> run) { answer.set_value(std::move(run)); });
    Result<api::TriggerRun> run = future.get();
    if (!run.ok()) return ToGrpc(run.status());
    resp->set_execution_id(run->execution_id);
    resp->set_start_ms(run->start_ms);
    return grpc::Status::OK;
  }

  grpc::Status BackfillTrigger(grpc::ServerContext*, const pb::BackfillTriggerRequest* req,
                               pb::BackfillTriggerResponse* resp) override {
    std::promise<Result<api::Backfill>> answer;
    auto future = answer.get_future();
    api_.BackfillTrigger(req->name(), req->from_ms(), req->to_ms(), [&answer](Result<api::Backfill> b) {
      answer.set_value(std::move(b));
    });
    Result<api::Backfill> b = future.get();
    if (!b.ok()) return ToGrpc(b.status());
    resp->set_occurrences(b->occurrences);
    resp->set_started(b->started);
    resp->set_already(b->already);
    resp->set_failed(b->failed);
    for (const std::string& id : b->execution_ids) resp->add_execution_ids(id);
    for (const std::string& e : b->errors) resp->add_errors(e);
    return grpc::Status::OK;
  }

  grpc::Status DeleteTrigger(grpc::ServerContext*, const pb::DeleteTriggerRequest* req,
                             pb::DeleteTriggerResponse*) override {
    return ToGrpc(api_.DeleteTrigger(req->name()));
  }

  // ------------------------------------------------------------ functions

  grpc::Status RegisterFunction(grpc::ServerContext*, const pb::RegisterFunctionRequest* req,
                                pb::RegisterFunctionResponse* resp) override {
    if (api_.draining()) return Draining();
    auto v = catalog_->Register(req->name(), req->endpoint(), "api", runtime::SystemNowMs());
    if (!v.ok()) return ToGrpc(v.status());
    resp->set_version(v->version);
    resp->set_unchanged(v->unchanged);
    executor_->RetryHeldTasks();  // executions waiting for this function go on
    return grpc::Status::OK;
  }

  grpc::Status DeployFunction(grpc::ServerContext*, const pb::DeployFunctionRequest* req,
                              pb::DeployFunctionResponse* resp) override {
    if (api_.draining()) return Draining();
    grpc::Status st = functions_.Deploy(*req, resp);
    if (st.ok()) executor_->RetryHeldTasks();  // executions waiting for this function go on
    return st;
  }

  grpc::Status DescribeFunction(grpc::ServerContext*, const pb::DescribeFunctionRequest* req,
                                pb::FunctionDescription* resp) override {
    if (api_.draining()) return Draining();
    return functions_.Describe(*req, resp);
  }

  grpc::Status DeleteFunction(grpc::ServerContext*, const pb::DeleteFunctionRequest* req,
                              pb::DeleteFunctionResponse*) override {
    if (api_.draining()) return Draining();
    return functions_.Delete(*req);
  }

  grpc::Status InvokeFunction(grpc::ServerContext*, const pb::InvokeFunctionRequest* req,
                              pb::InvokeFunctionResponse* resp) override {
    if (api_.draining()) return Draining();
    return functions_.Invoke(*req, resp);
  }

  grpc::Status GetFunctionLogs(grpc::ServerContext*, const pb::GetFunctionLogsRequest* req,
                               pb::GetFunctionLogsResponse* resp) override {
    if (api_.draining()) return Draining();
    return functions_.Logs(*req, resp);
  }

  grpc::Status ListFunctions(grpc::ServerContext*, const pb::ListFunctionsRequest*,
                             pb::ListFunctionsResponse* resp) override {
    if (api_.draining()) return Draining();
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
    if (api_.draining()) return Draining();
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
    if (api_.draining()) return Draining();
    Status st = catalog_->SetAlias(req->name(), req->alias(), req->version());
    if (st.ok()) executor_->RetryHeldTasks();
    return ToGrpc(st);
  }

  grpc::Status RemoveFunctionAlias(grpc::ServerContext*, const pb::RemoveFunctionAliasRequest* req,
                                   pb::RemoveFunctionAliasResponse*) override {
    if (api_.draining()) return Draining();
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
    if (api_.draining()) return Draining();
    Status st = catalog_->MapIntegration(req->integration(), req->function());
    if (st.ok()) executor_->RetryHeldTasks();
    return ToGrpc(st);
  }

  grpc::Status UnmapIntegration(grpc::ServerContext*, const pb::UnmapIntegrationRequest* req,
                                pb::UnmapIntegrationResponse*) override {
    if (api_.draining()) return Draining();
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
  static api::Options ApiOptions(const ControlPlaneOptions& o) {
    api::Options out;
    out.max_definition_bytes = o.max_definition_bytes;
    out.max_payload_bytes = o.max_payload_bytes;
    out.max_poll = o.max_poll;
    return out;
  }
  static grpc::Status Fill(const Result<api::MachineVersionRef>& ref,
                           pb::StateMachineVersionRef* resp) {
    if (!ref.ok()) return ToGrpc(ref.status());
    resp->set_name(ref->name);
    resp->set_version(ref->version);
    resp->set_created_ms(ref->created_ms);
    resp->set_unchanged(ref->unchanged);
    return grpc::Status::OK;
  }

  api::ControlPlane api_;
  runtime::Executor* executor_;
  functions::Catalog* catalog_;
  FunctionApi functions_;
};

ControlPlane::ControlPlane(runtime::Executor* executor, store::Store* store,
                           functions::Catalog* catalog, ControlPlaneOptions options)
    : service_(std::make_unique<Service>(executor, store, catalog, options)) {}

ControlPlane::~ControlPlane() = default;

grpc::Service* ControlPlane::service() { return service_.get(); }

void ControlPlane::BeginShutdown() { service_->BeginShutdown(); }

api::ControlPlane* ControlPlane::api() { return service_->api(); }

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
