#include "engine/rpc/grpc_invoker.h"

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>
#include "engine/common/json_util.h"
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/functions/catalog.h"
#include "engine/rpc/grpc_names.h"
#include "stepflow/v1/function.grpc.pb.h"

namespace stepflow::rpc {
namespace {

using runtime::TaskOutcome;
using runtime::TaskRequest;

constexpr std::string_view kTaskFailed = "States.TaskFailed";
constexpr std::string_view kTimeout = "States.Timeout";
constexpr std::string_view kGrpcScheme = "grpc://";
constexpr int kMaxReceiveBytes = 64 << 20;

std::string_view StatusCodeName(grpc::StatusCode code) {
  return GrpcStatusName(static_cast<int>(code));
}

std::string FormatTimeout(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

std::string Excerpt(std::string_view text) {
  constexpr size_t kMax = 80;
  if (text.size() <= kMax) return std::string(text);
  return std::string(text.substr(0, kMax)) + "...";
}

struct Target {
  std::string name;
  std::string endpoint;
};

// One call in flight. Shared by the gRPC completion callback and, during
// destruction, the canceller, so neither can free it under the other.
struct Call {
  grpc::ClientContext context;
  v1::InvokeRequest request;
  v1::InvokeResponse response;
  std::function<void(TaskOutcome)> done;
  Target target;
  std::chrono::milliseconds timeout{0};
};

TaskOutcome MakeOutcome(const Call& call, const grpc::Status& status) {
  const std::string who = "function '" + call.target.name + "' at " + call.target.endpoint;
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return TaskOutcome::Failure(std::string(kTimeout),
                                who + " did not answer within " + FormatTimeout(call.timeout));
  }
  if (!status.ok()) {
    std::string cause = who + " failed: " + std::string(StatusCodeName(status.error_code()));
    if (!status.error_message().empty()) cause += ": " + status.error_message();
    return TaskOutcome::Failure(std::string(kTaskFailed), std::move(cause));
  }
  const v1::InvokeResponse& response = call.response;
  switch (response.result_case()) {
    case v1::InvokeResponse::kOutputJson:
      if (!Json::accept(response.output_json())) {
        return TaskOutcome::Failure(std::string(kTaskFailed), who + " returned invalid JSON: " +
                                                                  Excerpt(response.output_json()));
      }
      return TaskOutcome::Success(response.output_json());
    case v1::InvokeResponse::kError: {
      std::string error = response.error().error();
      if (error.empty()) error = kTaskFailed;
      return TaskOutcome::Failure(std::move(error), response.error().cause());
    }
    default:
      return TaskOutcome::Failure(std::string(kTaskFailed),
                                  who + " returned neither output_json nor error");
  }
}

}  // namespace

class GrpcInvoker::Impl {
 public:
  Impl() = default;

  ~Impl() {
    std::vector<std::shared_ptr<Call>> calls;
    {
      std::lock_guard lock(mutex_);
      shutting_down_ = true;
      calls.assign(calls_.begin(), calls_.end());
    }
    // Outside the lock: gRPC may run the completion callback inline, and
    // the callback takes mutex_.
    for (const auto& call : calls) call->context.TryCancel();
    calls.clear();
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return in_flight_ == 0; });
  }

  void Invoke(TaskRequest request, std::function<void(TaskOutcome)> done) {
    std::string error;
    std::optional<Target> target = Resolve(request, &error);
    if (!target) {
      done(TaskOutcome::Failure(std::string(kTaskFailed), std::move(error)));
      return;
    }
    v1::FunctionService::Stub* stub = StubFor(target->endpoint);

    auto call = std::make_shared<Call>();
    call->done = std::move(done);
    call->timeout = std::max(request.timeout, std::chrono::milliseconds(1));
    call->context.set_deadline(std::chrono::system_clock::now() + call->timeout);
    v1::InvokeRequest& r = call->request;
    r.set_function(target->name);
    r.set_input_json(std::move(request.input_json));
    r.set_idempotency_key(std::move(request.idempotency_key));
    r.set_execution_id(std::move(request.execution_id));
    r.set_state_name(std::move(request.state_name));
    r.set_attempt(request.attempt);
    r.set_state_path(std::move(request.state_path));
    r.set_task_token(std::move(request.task_token));
    r.set_function_version(std::move(request.function_version));
    call->target = std::move(*target);

    {
      std::unique_lock lock(mutex_);
      if (shutting_down_) {
        // A caller broke the contract (Invoke during destruction); still
        // answer exactly once, without starting the call.
        auto done_fn = std::move(call->done);
        lock.unlock();
        done_fn(TaskOutcome::Failure(
            std::string(kTaskFailed),
            "function '" + call->target.name + "' not called: the invoker is shutting down"));
        return;
      }
      calls_.insert(call);
      if (!call->request.idempotency_key().empty()) {
        by_key_[call->request.idempotency_key()] = call;
      }
      ++in_flight_;
    }
    stub->async()->Invoke(
        &call->context, &call->request, &call->response,
        [this, call](grpc::Status status) mutable { OnDone(std::move(call), status); });
  }

  void Cancel(const std::string& key) {
    std::shared_ptr<Call> call;
    {
      std::lock_guard lock(mutex_);
      auto it = by_key_.find(key);
      if (it == by_key_.end()) return;
      call = it->second;
    }
    // Outside the lock: gRPC may run the completion callback inline.
    call->context.TryCancel();
  }

  size_t InFlight() const {
    std::lock_guard lock(mutex_);
    return in_flight_;
  }

  size_t ChannelCount() const {
    std::lock_guard lock(mutex_);
    return stubs_.size();
  }

 private:
  void OnDone(std::shared_ptr<Call> call, const grpc::Status& status) {
    TaskOutcome outcome = MakeOutcome(*call, status);
    std::function<void(TaskOutcome)> done = std::move(call->done);
    {
      std::lock_guard lock(mutex_);
      calls_.erase(call);
      auto it = by_key_.find(call->request.idempotency_key());
      if (it != by_key_.end() && it->second == call) by_key_.erase(it);
    }
    call.reset();
    done(std::move(outcome));
    done = nullptr;  // release captures before the destructor may proceed
    std::lock_guard lock(mutex_);
    // Notify under the lock: the destructor cannot destroy idle_ before the
    // notification is finished.
    if (--in_flight_ == 0) idle_.notify_all();
  }

  std::optional<Target> Resolve(const TaskRequest& request, std::string* error) const {
    const std::string& function = request.function;
    if (!request.endpoint.empty()) return Target{function, request.endpoint};
    if (function.compare(0, kGrpcScheme.size(), kGrpcScheme) == 0) {
      std::string_view rest = std::string_view(function).substr(kGrpcScheme.size());
      const size_t slash = rest.rfind('/');
      if (slash != std::string_view::npos) {
        Target t{std::string(rest.substr(slash + 1)), std::string(rest.substr(0, slash))};
        Status name_ok = functions::ValidateFunctionName(t.name);
        Status endpoint_ok = functions::ValidateEndpoint(t.endpoint);
        if (name_ok.ok() && endpoint_ok.ok()) return t;
        *error = "resource '" + function +
                 "': " + (name_ok.ok() ? endpoint_ok.message() : name_ok.message());
        return std::nullopt;
      }
      *error = "resource '" + function + "' is not of the form grpc://HOST:PORT/NAME";
      return std::nullopt;
    }
    *error = "function '" + function + "' has no endpoint (it is not in the function catalog)";
    return std::nullopt;
  }

  v1::FunctionService::Stub* StubFor(const std::string& endpoint) {
    std::lock_guard lock(mutex_);
    auto& stub = stubs_[endpoint];
    if (stub == nullptr) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
      args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
      args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
      args.SetMaxReceiveMessageSize(kMaxReceiveBytes);
      args.SetMaxSendMessageSize(kMaxReceiveBytes);
      stub = v1::FunctionService::NewStub(
          grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args));
    }
    return stub.get();  // stubs are never removed before ~Impl
  }

  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::unordered_map<std::string, std::unique_ptr<v1::FunctionService::Stub>> stubs_;
  std::unordered_set<std::shared_ptr<Call>> calls_;  // started, callback not yet run
  std::unordered_map<std::string, std::shared_ptr<Call>> by_key_;  // the same, by key
  size_t in_flight_ = 0;                             // started, `done` not yet returned
  bool shutting_down_ = false;
};

GrpcInvoker::GrpcInvoker() : impl_(std::make_unique<Impl>()) {}

GrpcInvoker::~GrpcInvoker() = default;

void GrpcInvoker::Invoke(runtime::TaskRequest request,
                         std::function<void(runtime::TaskOutcome)> done) {
  impl_->Invoke(std::move(request), std::move(done));
}

void GrpcInvoker::Cancel(const std::string& idempotency_key) { impl_->Cancel(idempotency_key); }

size_t GrpcInvoker::InFlight() const { return impl_->InFlight(); }

size_t GrpcInvoker::ChannelCount() const { return impl_->ChannelCount(); }

}  // namespace stepflow::rpc
