// stepflow_test_worker: a FunctionService (ARCHITECTURE §5) with scripted
// functions, used by the engine's runtime, conformance and crash tests.
//
//   stepflow_test_worker [--port N] [--listen HOST] [--log FILE] [--state-dir DIR]
//
// Listens on HOST (default 127.0.0.1) port N (default 0: chosen by the OS),
// then prints exactly "PORT <n>\n" on stdout and flushes. Exits 0 after
// SIGTERM/SIGINT (pending `sleep` calls are answered at once), 2 on bad
// arguments, 1 when it cannot listen.
//
// Every call first appends one JSON line to --log, written with one write(2)
// on an O_APPEND descriptor (so it survives a kill -9 of the engine or the
// worker): {"function","idempotency_key","execution_id","state_name",
// "state_path","attempt","task_token","function_version","input"}; "input" is the parsed
// input_json, or the raw text when it is not JSON. A call the engine cancels
// adds {"cancelled": IDEMPOTENCY_KEY} as soon as gRPC reports it.
//
// Functions (InvokeRequest.function); "input" below is the parsed input_json:
//   echo             output = input_json unchanged
//   add              {"a":x,"b":y} → x+y
//   fail             error input.error ("Worker.Failed"), cause input.cause
//                    ("failed on purpose")
//   fail_times       the k-th call for a key, k <= input.times, fails with
//                    error input.error ("Worker.Flaky"), cause "attempt k"; later
//                    calls return input.result if present, else input_json.
//                    key = input.key, else execution_id + "|" + state_path.
//                    Counters live in --state-dir (one file per key) or memory.
//   fail_until_flag  error "Worker.NotReady" until the file input.flag exists,
//                    then output = input_json
//   sleep            answers input.ms milliseconds later with input_json; never
//                    blocks other calls (a timer thread finishes the RPC)
//   bad_json         output_json = "this is {not json"
//   crash            _exit(3) without answering (after logging the call)
//   big              output = a JSON string of input.bytes 'x' characters
//                    (the output text is input.bytes + 2 bytes long)
//   count            {"calls": n}: n = calls (of any function) this worker
//                    has seen with this execution_id, this one included
//   anything else    error "Worker.UnknownFunction", "no function named X"
// Malformed input for add/big/sleep/fail_times gives error "Worker.BadInput".
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "engine/common/hash.h"
#include "stepflow/v1/function.grpc.pb.h"

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace v1 = stepflow::v1;

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Runs callbacks at their due time on one thread. After Drain(), every
// pending and every later callback runs immediately.
class TimerQueue {
 public:
  TimerQueue() : thread_([this] { Run(); }) {}
  ~TimerQueue() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
      draining_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  void After(std::chrono::milliseconds delay, std::function<void()> fn) {
    {
      std::lock_guard lock(mutex_);
      if (!draining_) {
        due_.emplace(Clock::now() + delay, std::move(fn));
        wake_.notify_all();
        return;
      }
    }
    fn();
  }

  void Drain() {
    {
      std::lock_guard lock(mutex_);
      draining_ = true;
    }
    wake_.notify_all();
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (!due_.empty() && (draining_ || due_.begin()->first <= Clock::now())) {
        auto fn = std::move(due_.begin()->second);
        due_.erase(due_.begin());
        lock.unlock();
        fn();
        lock.lock();
        continue;
      }
      if (stop_ && due_.empty()) return;
      if (due_.empty()) {
        wake_.wait(lock);
      } else {
        wake_.wait_until(lock, due_.begin()->first);
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<Clock::time_point, std::function<void()>> due_;
  bool draining_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: started after the members above exist
};

struct Options {
  int port = 0;
  std::string listen = "127.0.0.1";
  std::string log_path;
  std::string state_dir;
};

// The scripted functions. Handle() either fills `response` and returns true
// (answer now) or arranges for `finish` to be called later and returns false.
class Worker {
 public:
  Worker(Options options, TimerQueue* timers) : options_(std::move(options)), timers_(timers) {
    if (!options_.log_path.empty()) {
      log_fd_ = ::open(options_.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (log_fd_ < 0) {
        throw std::runtime_error("cannot open log '" + options_.log_path +
                                 "': " + std::strerror(errno));
      }
    }
    if (!options_.state_dir.empty()) std::filesystem::create_directories(options_.state_dir);
  }
  ~Worker() {
    if (log_fd_ >= 0) ::close(log_fd_);
  }

  bool Handle(const v1::InvokeRequest& request, v1::InvokeResponse* response,
              const std::function<void()>& finish) {
    const Json input = Json::parse(request.input_json(), nullptr, /*allow_exceptions=*/false);
    const int64_t calls = LogCall(request, input);
    const std::string& fn = request.function();
    const Json args = input.is_object() ? input : Json::object();

    if (fn == "echo") {
      response->set_output_json(request.input_json());
    } else if (fn == "add") {
      const Json& a = args.contains("a") ? args["a"] : Json();
      const Json& b = args.contains("b") ? args["b"] : Json();
      if (!a.is_number() || !b.is_number()) {
        return Error(response, "Worker.BadInput", "add needs numbers a and b");
      }
      if (a.is_number_integer() && b.is_number_integer()) {
        response->set_output_json(Dump(a.get<int64_t>() + b.get<int64_t>()));
      } else {
        response->set_output_json(Dump(a.get<double>() + b.get<double>()));
      }
    } else if (fn == "fail") {
      return Error(response, StringOr(args, "error", "Worker.Failed"),
                   StringOr(args, "cause", "failed on purpose"));
    } else if (fn == "fail_times") {
      return FailTimes(request, args, response);
    } else if (fn == "fail_until_flag") {
      const std::string flag = StringOr(args, "flag", "");
      if (flag.empty() || !std::filesystem::exists(flag)) {
        return Error(response, "Worker.NotReady", "flag file '" + flag + "' does not exist");
      }
      response->set_output_json(request.input_json());
    } else if (fn == "sleep") {
      if (!args.contains("ms") || !args["ms"].is_number() || args["ms"].get<double>() < 0) {
        return Error(response, "Worker.BadInput", "sleep needs a number ms >= 0");
      }
      response->set_output_json(request.input_json());
      timers_->After(std::chrono::milliseconds(args["ms"].get<int64_t>()), finish);
      return false;
    } else if (fn == "bad_json") {
      response->set_output_json("this is {not json");
    } else if (fn == "crash") {
      ::_exit(3);
    } else if (fn == "big") {
      if (!args.contains("bytes") || !args["bytes"].is_number_unsigned()) {
        return Error(response, "Worker.BadInput", "big needs an integer bytes >= 0");
      }
      std::string out = "\"";
      out.append(args["bytes"].get<size_t>(), 'x');
      out += '"';
      response->set_output_json(std::move(out));
    } else if (fn == "count") {
      response->set_output_json(Dump(Json{{"calls", calls}}));
    } else {
      return Error(response, "Worker.UnknownFunction", "no function named " + fn);
    }
    return true;
  }

 private:
  static bool Error(v1::InvokeResponse* response, const std::string& error,
                    const std::string& cause) {
    response->mutable_error()->set_error(error);
    response->mutable_error()->set_cause(cause);
    return true;
  }

  static std::string StringOr(const Json& args, const char* key, const std::string& fallback) {
    auto it = args.find(key);
    if (it == args.end() || !it->is_string()) return fallback;
    return it->get<std::string>();
  }

  // Logs the call; returns how many calls this execution_id has made.
  int64_t LogCall(const v1::InvokeRequest& request, const Json& input) {
    Json line = {
        {"function", request.function()},
        {"idempotency_key", request.idempotency_key()},
        {"execution_id", request.execution_id()},
        {"state_name", request.state_name()},
        {"state_path", request.state_path()},
        {"attempt", request.attempt()},
        {"task_token", request.task_token()},
        {"function_version", request.function_version()},
        {"input", input.is_discarded() ? Json(request.input_json()) : input},
    };
    WriteLog(line);
    std::lock_guard lock(mutex_);
    return ++calls_by_execution_[request.execution_id()];
  }

 public:
  // A call the engine cancelled (a stop, a timeout): {"cancelled": KEY}.
  void LogCancel(const std::string& idempotency_key) {
    WriteLog(Json{{"cancelled", idempotency_key}});
  }

 private:
  void WriteLog(const Json& line) {
    std::string text = Dump(line) + "\n";
    std::lock_guard lock(mutex_);
    if (log_fd_ >= 0) {
      size_t written = 0;
      while (written < text.size()) {
        ssize_t n = ::write(log_fd_, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        written += static_cast<size_t>(n);
      }
    }
  }

  bool FailTimes(const v1::InvokeRequest& request, const Json& args, v1::InvokeResponse* response) {
    if (!args.contains("times") || !args["times"].is_number_integer()) {
      return Error(response, "Worker.BadInput", "fail_times needs an integer times");
    }
    const int64_t times = args["times"].get<int64_t>();
    const std::string key =
        StringOr(args, "key", request.execution_id() + "|" + request.state_path());
    const int64_t k = NextCount(key);
    if (k <= times) {
      return Error(response, StringOr(args, "error", "Worker.Flaky"),
                   "attempt " + std::to_string(k));
    }
    response->set_output_json(args.contains("result") ? Dump(args["result"])
                                                      : request.input_json());
    return true;
  }

  int64_t NextCount(const std::string& key) {
    std::lock_guard lock(mutex_);
    if (options_.state_dir.empty()) return ++fail_counts_[key];
    const std::filesystem::path file =
        std::filesystem::path(options_.state_dir) / ("fail_times-" + stepflow::Sha256Hex(key));
    int64_t count = 0;
    {
      std::ifstream in(file);
      in >> count;
    }
    ++count;
    const std::filesystem::path tmp = file.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << count << "\n";
    }
    std::filesystem::rename(tmp, file);
    return count;
  }

  const Options options_;
  TimerQueue* const timers_;
  int log_fd_ = -1;
  std::mutex mutex_;  // guards the log writes, the counters and the state files
  std::unordered_map<std::string, int64_t> calls_by_execution_;
  std::unordered_map<std::string, int64_t> fail_counts_;
};

class FunctionServiceImpl final : public v1::FunctionService::CallbackService {
 public:
  explicit FunctionServiceImpl(Worker* worker) : worker_(worker) {}

  // Logs a cancellation as soon as gRPC reports it; deletes itself when done.
  class Reactor final : public grpc::ServerUnaryReactor {
   public:
    Reactor(Worker* worker, std::string key) : worker_(worker), key_(std::move(key)) {}
    void OnCancel() override { worker_->LogCancel(key_); }
    void OnDone() override { delete this; }

   private:
    Worker* worker_;
    std::string key_;
  };

  grpc::ServerUnaryReactor* Invoke(grpc::CallbackServerContext*,
                                   const v1::InvokeRequest* request,
                                   v1::InvokeResponse* response) override {
    grpc::ServerUnaryReactor* reactor = new Reactor(worker_, request->idempotency_key());
    auto finish = [reactor] { reactor->Finish(grpc::Status::OK); };
    try {
      if (worker_->Handle(*request, response, finish)) finish();
    } catch (const std::exception& e) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INTERNAL, e.what()));
    }
    return reactor;
  }

 private:
  Worker* worker_;
};

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "stepflow_test_worker: " << problem << "\n"
            << "usage: stepflow_test_worker [--port N] [--listen HOST] [--log FILE] "
               "[--state-dir DIR]\n";
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--port") {
      const std::string v = value();
      char* end = nullptr;
      const long port = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || port < 0 || port > 65535) Usage("bad port '" + v + "'");
      options.port = static_cast<int>(port);
    } else if (arg == "--listen") {
      options.listen = value();
    } else if (arg == "--log") {
      options.log_path = value();
    } else if (arg == "--state-dir") {
      options.state_dir = value();
    } else if (arg == "--help" || arg == "-h") {
      Usage("help");
    } else {
      Usage("unknown argument '" + arg + "'");
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseArgs(argc, argv);

  // Block the shutdown signals in every thread; main waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  try {
    TimerQueue timers;
    Worker worker(options, &timers);
    FunctionServiceImpl service(&worker);

    std::string host = options.listen;
    if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort(host + ":" + std::to_string(options.port),
                             grpc::InsecureServerCredentials(), &port);
    builder.SetMaxReceiveMessageSize(64 << 20);
    builder.RegisterService(&service);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (server == nullptr || port == 0) {
      std::cerr << "stepflow_test_worker: cannot listen on " << host << ":" << options.port << "\n";
      return 1;
    }
    std::cout << "PORT " << port << "\n" << std::flush;

    int signal_number = 0;
    sigwait(&signals, &signal_number);
    timers.Drain();  // answer pending sleeps so Shutdown does not wait for them
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server->Wait();
  } catch (const std::exception& e) {
    std::cerr << "stepflow_test_worker: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
