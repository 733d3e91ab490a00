// stepflow::worker implementation: a gRPC callback FunctionService whose
// calls are handed to a fixed thread pool (see stepflow/worker.h).
#include "stepflow/worker.h"

#include <cxxabi.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string_view>
#include <thread>
#include <typeinfo>
#include <unordered_map>
#include <vector>

#include "stepflow/v1/function.grpc.pb.h"
#include "stepflow/v1/service.grpc.pb.h"

namespace stepflow::worker {

TaskError::TaskError(std::string error, std::string cause)
    : std::runtime_error(error + ": " + cause),
      error_(std::move(error)),
      cause_(std::move(cause)) {}

namespace {

namespace v1 = stepflow::v1;
using Json = nlohmann::json;

// A fixed set of threads running queued tasks in order. Stop() runs the
// tasks still queued, then joins.
class ThreadPool {
 public:
  explicit ThreadPool(int threads) {
    for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { Run(); });
  }
  ~ThreadPool() { Stop(); }

  void Post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
  }

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stop_ and nothing left
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// Removes the parts of a demangled name that only version an ABI, so an
// error name stays the same across compilers and library versions: "[abi:…]"
// tags and the inline namespaces __cxx11 (libstdc++), __1 (libc++) and
// json_abi_… (nlohmann::json), each with its "::".
std::string DropAbiSegments(std::string name) {
  for (size_t at; (at = name.find("[abi:")) != std::string::npos;) {
    const size_t end = name.find(']', at);
    if (end == std::string::npos) break;
    name.erase(at, end + 1 - at);
  }
  auto is_identifier = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  for (const std::string_view prefix : {"__cxx11::", "__1::", "json_abi_"}) {
    for (size_t at = 0; (at = name.find(prefix, at)) != std::string::npos;) {
      const bool whole_segment = at == 0 || !is_identifier(name[at - 1]);
      const size_t end = name.find("::", at);
      if (!whole_segment || end == std::string::npos) {
        ++at;
        continue;
      }
      name.erase(at, end + 2 - at);
    }
  }
  return name;
}

// The error name of an exception of `type`: its demangled name without ABI
// segments ("std::runtime_error", "myapp::QuotaExceeded", "int").
std::string ExceptionName(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return DropAbiSegments(status == 0 && demangled ? demangled.get() : type.name());
}

void SetError(v1::InvokeResponse* response, const std::string& error, const std::string& cause) {
  response->mutable_error()->set_error(error);
  response->mutable_error()->set_cause(cause);
}

}  // namespace

class Worker::Impl final : public v1::FunctionService::CallbackService {
 public:
  explicit Impl(Options options) : options_(options) {}

  void Register(std::string name, Handler handler) {
    std::unique_lock lock(handlers_mutex_);
    handlers_[std::move(name)] = std::move(handler);
  }

  grpc::ServerUnaryReactor* Invoke(grpc::CallbackServerContext* context,
                                   const v1::InvokeRequest* request,
                                   v1::InvokeResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    // request/response stay valid until Finish; the server's Shutdown waits
    // for every reactor to finish, and the pool outlives the server.
    pool_->Post([this, context, request, response, reactor] {
      if (context->IsCancelled()) {
        reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled"));
        return;
      }
      reactor->Finish(Handle(*request, response));
    });
    return reactor;
  }

  int Start(const std::string& address) {
    std::lock_guard lock(state_mutex_);
    if (state_ != State::kNew && state_ != State::kPolling) {
      throw std::runtime_error("stepflow::worker: Start called twice");
    }
    pool_ = std::make_unique<ThreadPool>(options_.threads);
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
    builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);  // a port in use is an error
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
    const bool unix_socket = address.rfind("unix:", 0) == 0;
    if (server_ == nullptr || (port == 0 && !unix_socket)) {
      if (server_ != nullptr) server_->Shutdown();
      server_.reset();
      pool_->Stop();
      pool_.reset();
      throw std::runtime_error("stepflow::worker: cannot listen on " + address);
    }
    state_ = State::kRunning;
    return unix_socket ? 0 : port;
  }

  void Wait() {
    std::unique_lock lock(state_mutex_);
    stopped_.wait(lock, [this] { return state_ == State::kStopped; });
  }

  void Shutdown() {
    std::unique_lock lock(state_mutex_);
    if (state_ == State::kNew || state_ == State::kPolling) {
      state_ = State::kStopping;
      lock.unlock();
      StopPolling();
      lock.lock();
      state_ = State::kStopped;
      stopped_.notify_all();
      return;
    }
    if (state_ != State::kRunning) {
      stopped_.wait(lock, [this] { return state_ == State::kStopped; });
      return;
    }
    state_ = State::kStopping;
    lock.unlock();
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(options_.shutdown_grace_ms));
    server_->Wait();
    StopPolling();
    pool_->Stop();
    lock.lock();
    state_ = State::kStopped;
    stopped_.notify_all();
  }

 private:
  enum class State { kNew, kPolling, kRunning, kStopping, kStopped };

  grpc::Status Handle(const v1::InvokeRequest& request, v1::InvokeResponse* response) {
    Handler handler;
    {
      std::shared_lock lock(handlers_mutex_);
      auto it = handlers_.find(request.function());
      if (it != handlers_.end()) handler = it->second;
    }
    if (!handler) {
      SetError(response, "Worker.UnknownFunction",
               "no function named '" + request.function() + "'");
      return grpc::Status::OK;
    }
    Call call;
    call.function = request.function();
    call.idempotency_key = request.idempotency_key();
    call.execution_id = request.execution_id();
    call.state_name = request.state_name();
    call.state_path = request.state_path();
    call.task_token = request.task_token();
    call.attempt = request.attempt();
    call.function_version = request.function_version();
    std::string output;
    v1::TaskError error;
    if (auto rejected = Run(handler, request.input_json(), call, &output, &error); rejected) {
      return *rejected;
    }
    if (error.error().empty()) {
      response->set_output_json(std::move(output));
    } else {
      *response->mutable_error() = std::move(error);
    }
    return grpc::Status::OK;
  }

  // (Handle is called by Invoke; the two below by Worker.)
 public:
  void PollActivities(const std::string& server, const std::string& worker_name, int pollers) {
    std::lock_guard lock(state_mutex_);
    if (!poll_threads_.empty()) throw std::runtime_error("stepflow::worker: PollActivities twice");
    if (stop_polling_.load() || state_ == State::kStopping || state_ == State::kStopped) {
      return;  // shut down already (a signal may come first): nothing to poll
    }
    auto channel = grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
    std::vector<std::string> names;
    {
      std::shared_lock handlers(handlers_mutex_);
      for (const auto& [name, h] : activities_) names.push_back(name);
    }
    for (const std::string& name : names) {
      for (int i = 0; i < std::max(pollers, 1); ++i) {
        poll_threads_.emplace_back([this, channel, name, worker_name] {
          PollLoop(v1::StepflowService::NewStub(channel), name, worker_name);
        });
      }
    }
    if (state_ == State::kNew) state_ = State::kPolling;
  }

  void RegisterActivity(std::string name, Handler handler) {
    std::unique_lock lock(handlers_mutex_);
    activities_[std::move(name)] = std::move(handler);
  }

 private:
  // Runs `handler`: the output in *output, or a TaskError in *error; a
  // CallRejected comes back as the status to answer with.
  static std::optional<grpc::Status> Run(const Handler& handler, const std::string& input_json,
                                         const Call& call, std::string* output,
                                         v1::TaskError* error) {
    Json input = Json::parse(input_json, nullptr, /*allow_exceptions=*/false);
    if (input.is_discarded()) {
      error->set_error("Worker.InvalidInput");
      error->set_cause("input of function '" + call.function + "' is not valid JSON");
      return std::nullopt;
    }
    Json result;
    try {
      result = handler(input, call);
    } catch (const TaskError& e) {
      error->set_error(e.error());
      error->set_cause(e.cause());
      return std::nullopt;
    } catch (const CallRejected& e) {
      return grpc::Status(static_cast<grpc::StatusCode>(e.code()), e.what());
    } catch (const std::exception& e) {
      error->set_error(ExceptionName(typeid(e)));  // the dynamic type, as AWS Lambda names errors
      error->set_cause(e.what());
      return std::nullopt;
    } catch (...) {
      const std::type_info* type = abi::__cxa_current_exception_type();
      error->set_error(type != nullptr ? ExceptionName(*type) : "UnknownException");
      error->set_cause("the handler threw a value that is not a std::exception");
      return std::nullopt;
    }
    try {
      *output = result.dump();
    } catch (const std::exception& e) {  // strings that are not UTF-8
      error->set_error("Worker.InvalidOutput");
      error->set_cause("result of function '" + call.function + "' is not JSON: " + e.what());
    }
    return std::nullopt;
  }

  // One poller: PollTask (2 s long polls) → handler → SendTaskSuccess/Failure,
  // until Shutdown.
  void PollLoop(std::unique_ptr<v1::StepflowService::Stub> stub, const std::string& activity,
                const std::string& worker_name) {
    auto deadline = [](int seconds) {
      return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
    };
    while (!stop_polling_.load()) {
      v1::PollTaskRequest poll;
      poll.set_activity(activity);
      poll.set_worker_name(worker_name);
      poll.set_wait_seconds(2);
      v1::PollTaskResponse task;
      grpc::ClientContext ctx;
      ctx.set_deadline(deadline(10));
      if (!stub->PollTask(&ctx, poll, &task).ok()) {
        for (int i = 0; i < 10 && !stop_polling_.load(); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        continue;
      }
      if (task.task_token().empty()) continue;
      Handler handler;
      {
        std::shared_lock lock(handlers_mutex_);
        handler = activities_[activity];
      }
      Call call;
      call.function = activity;
      call.idempotency_key = task.task_token();
      call.execution_id = task.execution_id();
      call.state_name = task.state_name();
      call.task_token = task.task_token();
      v1::StepflowService::Stub* raw = stub.get();
      call.heartbeat = [raw, token = task.task_token(), &deadline] {
        v1::SendTaskHeartbeatRequest beat;
        beat.set_task_token(token);
        v1::SendTaskResponse ignored;
        grpc::ClientContext hctx;
        hctx.set_deadline(deadline(10));
        return raw->SendTaskHeartbeat(&hctx, beat, &ignored).ok();
      };
      std::string output;
      v1::TaskError error;
      if (auto rejected = Run(handler, task.input_json(), call, &output, &error); rejected) {
        error.set_error(ExceptionName(typeid(CallRejected)));  // no gRPC status to answer with
        error.set_cause(rejected->error_message());
      }
      // The answer, sent again after a transient failure (a few times); an
      // output the server refuses (not JSON, too large) becomes a failure,
      // so the task does not wait for ever.
      auto send = [&](auto rpc, const auto& request) {
        grpc::Status st;
        for (int attempt = 0, pause_ms = 100; attempt < 5; ++attempt, pause_ms *= 2) {
          v1::SendTaskResponse ignored;
          grpc::ClientContext sctx;
          sctx.set_deadline(deadline(10));
          st = (stub.get()->*rpc)(&sctx, request, &ignored);
          if (st.error_code() != grpc::StatusCode::UNAVAILABLE &&
              st.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
        }
        return st;
      };
      if (error.error().empty()) {
        v1::SendTaskSuccessRequest success;
        success.set_task_token(task.task_token());
        success.set_output_json(output);
        grpc::Status st = send(&v1::StepflowService::Stub::SendTaskSuccess, success);
        if (st.error_code() != grpc::StatusCode::INVALID_ARGUMENT &&
            st.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) {
          continue;
        }
        error.set_error("Worker.InvalidOutput");
        error.set_cause("the server refused the output: " + st.error_message());
      }
      v1::SendTaskFailureRequest failure;
      failure.set_task_token(task.task_token());
      failure.set_error(error.error());
      failure.set_cause(error.cause());
      (void)send(&v1::StepflowService::Stub::SendTaskFailure, failure);
    }
  }

  // Called without state_mutex_ held; takes the threads under it, so a
  // PollActivities racing a (signal-driven) Shutdown is safe.
  void StopPolling() {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(state_mutex_);
      stop_polling_.store(true);
      threads.swap(poll_threads_);
    }
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
  }

  const Options options_;
  std::shared_mutex handlers_mutex_;
  std::unordered_map<std::string, Handler> handlers_;
  std::unordered_map<std::string, Handler> activities_;  // guarded by handlers_mutex_
  std::vector<std::thread> poll_threads_;                // set once, under state_mutex_
  std::atomic<bool> stop_polling_{false};

  std::mutex state_mutex_;  // guards state_; server_/pool_ are set before kRunning
  std::condition_variable stopped_;
  State state_ = State::kNew;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<grpc::Server> server_;
};

// ---- Signal handling: handler → pipe → watcher thread → Shutdown(). ----
namespace {

int g_signal_pipe[2] = {-1, -1};

struct SignalState {
  std::mutex mutex;  // held while shutting workers down, and by Track/Untrack
  std::set<Worker*> workers;
  bool signalled = false;
};

SignalState& Signals() {
  static auto* state = new SignalState();  // never destroyed: the watcher may outlive main
  return *state;
}

void OnSignal(int) {
  const int saved = errno;
  const char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(g_signal_pipe[1], &byte, 1);
  errno = saved;
}

void WatchSignals() {
  char byte;
  for (;;) {
    const ssize_t n = ::read(g_signal_pipe[0], &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    SignalState& s = Signals();
    std::lock_guard lock(s.mutex);
    s.signalled = true;
    for (Worker* w : s.workers) w->Shutdown();
  }
}

// Returns true if a signal already arrived (the worker should stop at once).
bool Track(Worker* worker) {
  SignalState& s = Signals();
  std::lock_guard lock(s.mutex);
  s.workers.insert(worker);
  return s.signalled;
}

void Untrack(Worker* worker) {
  SignalState& s = Signals();
  std::lock_guard lock(s.mutex);
  s.workers.erase(worker);
}

}  // namespace

Worker::Worker() : Worker(Options{}) {}
Worker::Worker(Options options) : impl_(std::make_unique<Impl>(options)) {}

Worker::~Worker() {
  Untrack(this);
  impl_->Shutdown();
}

Worker& Worker::Register(std::string name, Handler handler) {
  impl_->Register(std::move(name), std::move(handler));
  return *this;
}

Worker& Worker::RegisterActivity(std::string name, Handler handler) {
  impl_->RegisterActivity(std::move(name), std::move(handler));
  return *this;
}

void Worker::PollActivities(const std::string& server, const std::string& worker_name,
                            int pollers) {
  impl_->PollActivities(server, worker_name, pollers);
  if (Track(this)) impl_->Shutdown();
}

int Worker::Start(const std::string& address) {
  const int port = impl_->Start(address);
  if (Track(this)) impl_->Shutdown();
  return port;
}

void Worker::Wait() { impl_->Wait(); }

void Worker::Shutdown() { impl_->Shutdown(); }

void Worker::InstallSignalHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (::pipe2(g_signal_pipe, O_CLOEXEC) != 0) {
      throw std::runtime_error("stepflow::worker: cannot create the signal pipe");
    }
    std::thread(WatchSignals).detach();
    struct sigaction action = {};
    action.sa_handler = OnSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);
  });
}

}  // namespace stepflow::worker
