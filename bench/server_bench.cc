// The control plane through real processes (issue: server benchmark): a real
// `stepflow server` on a database in DIR, driven over loopback with the
// generated gRPC C++ stub, as any client would.
//
//   1. latency: StartExecution → first Task invocation (p50/p99 over 500
//      sequential starts). The Task's function is a FunctionService served
//      inside this program and registered with RegisterFunction, so the time
//      the call arrives and the time the start was sent come from one
//      steady clock. Also the StartExecution RPC itself (it answers once
//      ExecutionStarted is durable), and, against the real
//      stepflow_test_worker, start → ExecutionSucceeded seen on a history
//      follow stream.
//   2. starts: executions started per second by one client process (one
//      channel, N async StartExecution calls outstanding on a completion
//      queue), for a one-Pass machine and a one-hour Wait (executions stay
//      RUNNING), at concurrency 1, 16, 64, 256, durability full; then
//      normal at the best concurrency. CPU used by the server and by the
//      client per start is shown too.
//   3. history: a ~25,000-event execution (a Map of Pass iterations, item
//      count calibrated to stay under the 25,000-event limit) read with
//      GetExecutionHistory: first page and last event, events/s; and with
//      follow=true opened right after StartExecution.
//
// Usage: stepflow_server_bench [DIR]    (default /tmp)
//   STEPFLOW_BENCH_ONLY=latency|starts|history   one part
//   STEPFLOW_BENCH_STARTS=N                      starts per point (20,000)
//   STEPFLOW_BENCH_CONCURRENCY=N                 only this concurrency (for perf)
// Every server gets a fresh database in DIR, removed afterwards. Every wait is
// bounded; the server and worker processes are stopped at exit, killed on
// failure paths and on SIGINT/SIGTERM.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "stepflow/v1/function.grpc.pb.h"
#include "stepflow/v1/service.grpc.pb.h"
#include "tests/support/process.h"

#ifndef STEPFLOW_BINARY
#error "STEPFLOW_BINARY (the stepflow program) must be defined by the build"
#endif
#ifndef STEPFLOW_TEST_WORKER
#error "STEPFLOW_TEST_WORKER (stepflow_test_worker) must be defined by the build"
#endif

namespace pb = stepflow::v1;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

[[noreturn]] void Fail(const std::string& message) { throw std::runtime_error(message); }

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5)];
}

double Median(std::vector<double> v) { return Percentile(std::move(v), 0.5); }

// ------------------------------------------------------------ child processes

// Children alive now, for the signal handler: killed when the bench is
// interrupted or crashes (normal and failure paths stop them in destructors).
std::atomic<pid_t> g_children[8];
// The files of the current server's database, removed by the handler too
// (one server at a time; filled before the server starts).
char g_db_files[4][512];
std::atomic<bool> g_db_set{false};

void KillChildrenAndDie(int sig) {
  for (auto& c : g_children) {
    pid_t pid = c.load();
    if (pid > 0) ::kill(pid, SIGKILL);
  }
  if (g_db_set.load()) {
    for (auto& f : g_db_files) ::unlink(f);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void InstallSignalHandlers() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS}) {
    struct sigaction sa {};
    sa.sa_handler = KillChildrenAndDie;
    sa.sa_flags = SA_RESETHAND;
    sigaction(sig, &sa, nullptr);
  }
}

// A child process registered for the signal handler; stopped (SIGTERM, then
// SIGKILL) on destruction.
class Child {
 public:
  explicit Child(std::vector<std::string> argv) : process_(std::move(argv)) {
    for (auto& c : g_children) {
      pid_t none = 0;
      if (c.compare_exchange_strong(none, process_.pid())) {
        slot_ = &c;
        break;
      }
    }
  }
  ~Child() { Stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  stepflow::testing::Process& process() { return process_; }
  pid_t pid() const { return process_.pid(); }

  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    try {
      process_.Stop(5s);
    } catch (const std::exception&) {
    }
    if (slot_) slot_->store(0);
  }

  // user + system CPU seconds of the child so far (/proc/PID/stat).
  double CpuSeconds() const {
    std::ifstream in("/proc/" + std::to_string(process_.pid()) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t close = text.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(text.substr(close + 2));
    std::string f;
    long long utime = 0, stime = 0;
    // Fields after "(comm)": state is field 3; utime 14, stime 15.
    for (int i = 3; i <= 15 && fields >> f; ++i) {
      if (i == 14) utime = std::stoll(f);
      if (i == 15) stime = std::stoll(f);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

 private:
  stepflow::testing::Process process_;
  std::atomic<pid_t>* slot_ = nullptr;
  bool stopped_ = false;
};

double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// A `stepflow server` on a fresh database DIR/stepflow-server-bench-<tag>.db
// and a channel to it. The database files are removed on destruction.
class Server {
 public:
  Server(const std::string& dir, const std::string& tag, const std::string& durability)
      : db_(dir + "/stepflow-server-bench-" + std::to_string(getpid()) + "-" + tag + ".db") {
    child_ = std::make_unique<Child>(
        std::vector<std::string>{STEPFLOW_BINARY, "server", "--db", db_.path, "--listen",
                                 "127.0.0.1:0", "--http", "127.0.0.1:0", "--durability", durability,
                                 "--log-level", "warn"});
    const std::string prefix = "stepflow server listening on ";
    const auto deadline = Clock::now() + 30s;
    while (true) {
      auto line = child_->process().ReadLine(std::chrono::duration_cast<std::chrono::milliseconds>(
          std::max<Clock::duration>(deadline - Clock::now(), 0ms)));
      if (!line)
        Fail("stepflow server exited or did not say it was listening within 30 s (db " + db_.path +
             ")");
      if (line->rfind(prefix, 0) == 0) {
        address_ = line->substr(prefix.size());
        break;
      }
    }
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    channel_ = grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args);
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() + 10s)) {
      Fail("cannot connect to the server at " + address_);
    }
    stub_ = pb::StepflowService::NewStub(channel_);
  }
  ~Server() {
    stub_.reset();
    channel_.reset();
    child_.reset();  // SIGTERM, then SIGKILL after 5 s; then db_ removes the files
  }

  pb::StepflowService::Stub& stub() { return *stub_; }
  Child& child() { return *child_; }
  const std::string& address() const { return address_; }

  void CreateMachine(const std::string& name, const std::string& definition) {
    pb::CreateStateMachineRequest req;
    req.set_name(name);
    req.set_definition(definition);
    pb::StateMachineVersionRef resp;
    Check(stub_->CreateStateMachine(Context(10s).get(), req, &resp), "CreateStateMachine " + name);
  }

  void RegisterFunction(const std::string& name, const std::string& endpoint) {
    pb::RegisterFunctionRequest req;
    req.set_name(name);
    req.set_endpoint(endpoint);
    pb::RegisterFunctionResponse resp;
    Check(stub_->RegisterFunction(Context(10s).get(), req, &resp), "RegisterFunction " + name);
  }

  pb::StartExecutionResponse Start(const std::string& machine, const std::string& name,
                                   const std::string& input = "{}") {
    pb::StartExecutionRequest req;
    req.set_state_machine(machine);
    req.set_name(name);
    req.set_input_json(input);
    pb::StartExecutionResponse resp;
    Check(stub_->StartExecution(Context(30s).get(), req, &resp), "StartExecution " + machine);
    return resp;
  }

  pb::Execution Describe(const std::string& id) {
    pb::DescribeExecutionRequest req;
    req.set_execution_id(id);
    pb::Execution resp;
    Check(stub_->DescribeExecution(Context(10s).get(), req, &resp), "DescribeExecution " + id);
    return resp;
  }

  // Polls until the execution is no longer RUNNING; fails after `timeout`.
  pb::Execution WaitClosed(const std::string& id, Clock::duration timeout,
                           Clock::duration poll = 200us) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
      pb::Execution e = Describe(id);
      if (e.status() != "RUNNING") return e;
      if (Clock::now() > deadline) Fail("execution " + id + " still RUNNING after the timeout");
      std::this_thread::sleep_for(poll);
    }
  }

  static std::unique_ptr<grpc::ClientContext> Context(Clock::duration timeout) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::duration_cast<std::chrono::system_clock::duration>(timeout));
    return ctx;
  }

  static void Check(const grpc::Status& st, const std::string& what) {
    if (!st.ok()) Fail(what + ": " + std::to_string(st.error_code()) + " " + st.error_message());
  }

 private:
  // The database files: removed before the server starts and after it has
  // stopped (destroyed after child_, also when the constructor fails), and
  // published for the signal handler meanwhile.
  struct DbFiles {
    explicit DbFiles(std::string p) : path(std::move(p)) {
      Remove();
      const char* suffixes[4] = {"", "-wal", "-shm", "-lock"};
      for (int i = 0; i < 4; ++i) {
        std::snprintf(g_db_files[i], sizeof g_db_files[i], "%s%s", path.c_str(), suffixes[i]);
      }
      g_db_set.store(true);
    }
    ~DbFiles() {
      Remove();
      g_db_set.store(false);
    }
    void Remove() const {
      std::error_code ec;
      for (const char* s : {"", "-wal", "-shm", "-lock", "-journal"}) {
        std::filesystem::remove(path + s, ec);
      }
    }
    std::string path;
  };

  DbFiles db_;
  std::unique_ptr<Child> child_;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::StepflowService::Stub> stub_;
};

// ------------------------------------------- an in-process FunctionService

// Answers every Invoke with its input and records, per execution id, when
// the first call arrived (steady clock, taken first thing in the handler).
class ArrivalService final : public pb::FunctionService::Service {
 public:
  grpc::Status Invoke(grpc::ServerContext*, const pb::InvokeRequest* req,
                      pb::InvokeResponse* resp) override {
    const auto now = Clock::now();
    {
      std::lock_guard lock(mu_);
      arrivals_.try_emplace(req->execution_id(), now);
    }
    cv_.notify_all();
    resp->set_output_json(req->input_json());
    return grpc::Status::OK;
  }

  // The arrival time of `execution_id`'s first call; fails after `timeout`.
  Clock::time_point WaitFor(const std::string& execution_id, Clock::duration timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return arrivals_.count(execution_id) > 0; })) {
      Fail("no Invoke arrived for " + execution_id);
    }
    return arrivals_[execution_id];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Clock::time_point> arrivals_;
};

class FunctionServer {
 public:
  FunctionServer() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0) Fail("cannot start the in-process FunctionService");
  }
  ~FunctionServer() { server_->Shutdown(std::chrono::system_clock::now() + 1s); }
  ArrivalService& service() { return service_; }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  ArrivalService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// ------------------------------------------------------------------ part 1

const char* kOneTask =
    R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"%s","End":true}}})";

std::string OneTask(const std::string& function) {
  char buf[256];
  std::snprintf(buf, sizeof buf, kOneTask, function.c_str());
  return buf;
}

void Latency(const std::string& dir) {
  std::printf("\n== StartExecution -> first Task invocation (sequential, durability full) ==\n");
  std::printf("   STEPFLOW_BENCH_ONLY=latency build/bench/stepflow_server_bench %s\n", dir.c_str());
  Server server(dir, "latency", "full");
  FunctionServer functions;
  server.RegisterFunction("bench_echo", functions.endpoint());
  server.CreateMachine("latency", OneTask("bench_echo"));

  const int warmup = 20, n = 500;
  std::vector<double> to_invoke, start_rpc;
  for (int i = 0; i < warmup + n; ++i) {
    const std::string name = "lat-" + std::to_string(i);
    const std::string id = "latency:" + name;
    const auto sent = Clock::now();
    pb::StartExecutionResponse resp = server.Start("latency", name, R"({"i":1})");
    const auto answered = Clock::now();
    if (resp.execution_id() != id) Fail("unexpected execution id " + resp.execution_id());
    const auto arrived = functions.service().WaitFor(id, 10s);
    // The next start begins once this execution has closed, so each sample
    // is one execution alone in the engine.
    pb::Execution done = server.WaitClosed(id, 10s);
    if (done.status() != "SUCCEEDED") Fail(id + " ended " + done.status());
    if (i < warmup) continue;
    to_invoke.push_back(Ms(arrived - sent));
    start_rpc.push_back(Ms(answered - sent));
  }
  std::printf("StartExecution RPC (ExecutionStarted durable)   p50 %7.3f ms  p99 %7.3f ms\n",
              Percentile(start_rpc, 0.5), Percentile(start_rpc, 0.99));
  std::printf("StartExecution -> Invoke arrives (%d starts)   p50 %7.3f ms  p99 %7.3f ms\n", n,
              Percentile(to_invoke, 0.5), Percentile(to_invoke, 0.99));

  // End to end through the real test worker: start → ExecutionSucceeded
  // received on a follow stream opened once the start has answered.
  Child worker({STEPFLOW_TEST_WORKER, "--port", "0", "--listen", "127.0.0.1"});
  auto port = worker.process().ReadPortLine(10s);
  if (!port) Fail("stepflow_test_worker did not print its port");
  server.RegisterFunction("echo", "127.0.0.1:" + std::to_string(*port));
  server.CreateMachine("e2e", OneTask("echo"));
  const int e2e_n = 200;
  std::vector<double> e2e;
  for (int i = 0; i < warmup + e2e_n; ++i) {
    const auto sent = Clock::now();
    pb::StartExecutionResponse resp = server.Start("e2e", "e2e-" + std::to_string(i), "{}");
    pb::GetExecutionHistoryRequest req;
    req.set_execution_id(resp.execution_id());
    req.set_follow(true);
    auto ctx = Server::Context(30s);
    auto reader = server.stub().GetExecutionHistory(ctx.get(), req);
    pb::HistoryPage page;
    std::string last;
    Clock::time_point last_at = sent;
    while (reader->Read(&page)) {
      if (page.events_size() > 0) {
        last = page.events(page.events_size() - 1).type();
        last_at = Clock::now();
      }
    }
    Server::Check(reader->Finish(), "GetExecutionHistory follow");
    if (last != "ExecutionSucceeded") Fail(resp.execution_id() + ": last event " + last);
    if (i >= warmup) e2e.push_back(Ms(last_at - sent));
  }
  std::printf("start -> ExecutionSucceeded on a follow stream   p50 %7.3f ms  p99 %7.3f ms\n",
              Percentile(e2e, 0.5), Percentile(e2e, 0.99));
  std::printf("  (one echo Task on stepflow_test_worker, %d executions)\n", e2e_n);
}

// ------------------------------------------------------------------ part 2

struct StartsResult {
  int done = 0;
  int errors = 0;
  std::string first_error;
  double seconds = 0;
  double server_cpu = 0;  // seconds
  double client_cpu = 0;
  std::vector<double> latency_ms;
  double rate() const { return seconds > 0 ? done / seconds : 0; }
};

struct AsyncStart {
  grpc::ClientContext ctx;
  pb::StartExecutionRequest req;
  pb::StartExecutionResponse resp;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<pb::StartExecutionResponse>> reader;
  Clock::time_point sent;
};

// `total` starts of `machine` with `concurrency` calls outstanding on one
// channel; stops early after `max_time` (the rate counts what was done).
StartsResult RunStarts(Server& server, const std::string& machine, int concurrency, int total,
                       Clock::duration max_time) {
  grpc::CompletionQueue cq;
  StartsResult r;
  int issued = 0, outstanding = 0;
  const auto begin = Clock::now();
  const auto stop_issuing = begin + max_time;
  auto issue = [&] {
    auto* c = new AsyncStart;
    c->ctx.set_deadline(std::chrono::system_clock::now() + 60s);
    c->req.set_state_machine(machine);
    c->req.set_input_json("{}");
    c->sent = Clock::now();
    c->reader = server.stub().PrepareAsyncStartExecution(&c->ctx, c->req, &cq);
    c->reader->StartCall();
    c->reader->Finish(&c->resp, &c->status, c);
    ++issued;
    ++outstanding;
  };
  const double server_cpu0 = server.child().CpuSeconds(), client_cpu0 = SelfCpuSeconds();
  for (int i = 0; i < concurrency && issued < total; ++i) issue();
  while (outstanding > 0) {
    void* tag = nullptr;
    bool ok = false;
    // Deadlines bound every call, so Next returns; the extra bound is a guard.
    auto st = cq.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + 90s);
    if (st != grpc::CompletionQueue::GOT_EVENT) Fail("the completion queue stalled");
    std::unique_ptr<AsyncStart> c(static_cast<AsyncStart*>(tag));
    --outstanding;
    if (ok && c->status.ok()) {
      ++r.done;
      r.latency_ms.push_back(Ms(Clock::now() - c->sent));
    } else {
      if (r.errors++ == 0) {
        r.first_error = std::to_string(c->status.error_code()) + " " + c->status.error_message();
      }
    }
    if (issued < total && Clock::now() < stop_issuing && r.errors < 100) issue();
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  r.server_cpu = server.child().CpuSeconds() - server_cpu0;
  r.client_cpu = SelfCpuSeconds() - client_cpu0;
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  return r;
}

const char* kPassMachine = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";
const char* kWaitMachine =
    R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}})";

StartsResult StartsPoint(const std::string& dir, const std::string& durability,
                         const std::string& machine, int concurrency, int total) {
  Server server(dir, "starts", durability);
  server.CreateMachine("pass", kPassMachine);
  server.CreateMachine("wait", kWaitMachine);
  // Warm-up: the channel, the server's threads, SQLite's cache.
  StartsResult warm = RunStarts(server, machine, concurrency, std::min(total, 500), 30s);
  if (warm.errors > 0) Fail("warm-up StartExecution failed: " + warm.first_error);
  StartsResult r = RunStarts(server, machine, concurrency, total, 60s);
  if (r.errors > 0)
    Fail("StartExecution failed " + std::to_string(r.errors) + " times; first: " + r.first_error);
  if (machine == "pass") {
    // Every Pass execution closes in the step that starts it: check one.
    pb::ListExecutionsRequest req;
    req.set_state_machine("pass");
    req.set_status("RUNNING");
    req.set_max_results(10);
    pb::ListExecutionsResponse resp;
    // Give the last commits a moment: a Pass execution is one step.
    std::this_thread::sleep_for(50ms);
    Server::Check(server.stub().ListExecutions(Server::Context(10s).get(), req, &resp),
                  "ListExecutions");
    if (resp.executions_size() > 0) Fail("Pass executions still RUNNING after the run");
  }
  return r;
}

void PrintStarts(const std::string& label, const StartsResult& r) {
  std::printf(
      "%-34s %8.0f starts/s  p50 %6.2f ms  p99 %6.2f ms  cpu/start srv %5.0f us cli %4.0f us\n",
      label.c_str(), r.rate(), Percentile(r.latency_ms, 0.5), Percentile(r.latency_ms, 0.99),
      r.server_cpu / r.done * 1e6, r.client_cpu / r.done * 1e6);
  std::fflush(stdout);
}

void Starts(const std::string& dir, int total, const std::vector<int>& levels) {
  std::printf("\n== executions started/s, one client (one channel, N async calls) ==\n");
  std::printf("   STEPFLOW_BENCH_ONLY=starts build/bench/stepflow_server_bench %s\n", dir.c_str());
  std::printf(
      "   %d starts per point (after 500 untimed), fresh database each; target >= 5,000/s "
      "durable\n",
      total);
  std::map<std::string, std::pair<int, double>> best;  // machine → (concurrency, rate)
  for (const std::string machine : {"pass", "wait"}) {
    for (int concurrency : levels) {
      StartsResult r = StartsPoint(dir, "full", machine, concurrency, total);
      PrintStarts(machine + (machine == "pass" ? " (1 Pass)" : " (Wait 1 h)") +
                      ", full, concurrency " + std::to_string(concurrency),
                  r);
      if (r.rate() > best[machine].second) best[machine] = {concurrency, r.rate()};
    }
  }
  for (const std::string machine : {"pass", "wait"}) {
    int concurrency = best[machine].first;
    StartsResult r = StartsPoint(dir, "normal", machine, concurrency, total);
    PrintStarts(machine + (machine == "pass" ? " (1 Pass)" : " (Wait 1 h)") +
                    ", NORMAL, concurrency " + std::to_string(concurrency),
                r);
  }
}

// ------------------------------------------------------------------ part 3

const char* kMapMachine = R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
  "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})";

std::string Items(int n) {
  std::string s = R"({"items":[)";
  for (int i = 0; i < n; ++i) {
    if (i) s += ',';
    s += std::to_string(i);
  }
  return s + "]}";
}

struct HistoryRead {
  int64_t events = 0;
  int pages = 0;
  int64_t bytes = 0;
  std::string last_type;
  double first_ms = 0;  // from the call (or `since`) to the first page
  double last_ms = 0;   // to the page holding the last event
};

HistoryRead ReadHistory(Server& server, const std::string& id, bool follow,
                        Clock::time_point since) {
  pb::GetExecutionHistoryRequest req;
  req.set_execution_id(id);
  req.set_follow(follow);
  auto ctx = Server::Context(60s);
  auto reader = server.stub().GetExecutionHistory(ctx.get(), req);
  pb::HistoryPage page;
  HistoryRead r;
  while (reader->Read(&page)) {
    if (page.events_size() == 0) continue;
    const auto now = Clock::now();
    if (r.pages++ == 0) r.first_ms = Ms(now - since);
    r.last_ms = Ms(now - since);
    r.events += page.events_size();
    r.bytes += static_cast<int64_t>(page.ByteSizeLong());
    r.last_type = page.events(page.events_size() - 1).type();
  }
  Server::Check(reader->Finish(), "GetExecutionHistory " + id);
  return r;
}

// Runs the Map machine over `items` items to the end; returns the event count.
int64_t RunMap(Server& server, const std::string& name, int items) {
  pb::StartExecutionResponse s = server.Start("history", name, Items(items));
  pb::Execution e = server.WaitClosed(s.execution_id(), 120s, 2ms);
  if (e.status() != "SUCCEEDED") {
    Fail(s.execution_id() + " ended " + e.status() + ": " + e.error() + " " + e.cause());
  }
  return ReadHistory(server, s.execution_id(), false, Clock::now()).events;
}

void History(const std::string& dir) {
  std::printf("\n== GetExecutionHistory of a ~25,000-event execution (durability full) ==\n");
  std::printf("   STEPFLOW_BENCH_ONLY=history build/bench/stepflow_server_bench %s\n", dir.c_str());
  Server server(dir, "history", "full");
  server.CreateMachine("history", kMapMachine);
  // Calibrate: events = fixed + per_item * items.
  const int64_t e10 = RunMap(server, "cal-10", 10), e20 = RunMap(server, "cal-20", 20);
  const int64_t per_item = (e20 - e10) / 10, fixed = e10 - 10 * per_item;
  if (per_item <= 0) Fail("calibration failed");
  const int items = static_cast<int>((25'000 - fixed) / per_item);
  std::printf("Map of Pass iterations: %lld events per item + %lld; %d items\n",
              static_cast<long long>(per_item), static_cast<long long>(fixed), items);

  const std::string input = Items(items);
  auto t0 = Clock::now();
  pb::StartExecutionResponse s = server.Start("history", "big", input);
  pb::Execution e = server.WaitClosed(s.execution_id(), 120s, 2ms);
  const double run_ms = Ms(Clock::now() - t0);
  if (e.status() != "SUCCEEDED") Fail("the 25,000-event execution ended " + e.status());

  std::vector<double> first, last, rate;
  HistoryRead r;
  for (int round = 0; round < 6; ++round) {
    auto start = Clock::now();
    r = ReadHistory(server, s.execution_id(), false, start);
    if (round == 0) continue;  // warm-up (page cache, the server's statement cache)
    first.push_back(r.first_ms);
    last.push_back(r.last_ms);
    rate.push_back(r.events / (r.last_ms / 1000));
  }
  if (r.last_type != "ExecutionSucceeded") Fail("the history ends with " + r.last_type);
  std::printf(
      "execution: %lld events, %d pages, %.1f MB of pages; status %s, ran %.0f ms "
      "(start to SUCCEEDED seen by polling)\n",
      static_cast<long long>(r.events), r.pages, r.bytes / 1e6, e.status().c_str(), run_ms);
  std::printf("history (no follow): first page %7.1f ms   last event %7.1f ms   %9.0f events/s\n",
              Median(first), Median(last), Median(rate));

  std::vector<double> f_first, f_last;
  HistoryRead fr;
  for (int round = 0; round < 3; ++round) {
    auto start = Clock::now();
    pb::StartExecutionResponse fs =
        server.Start("history", "follow-" + std::to_string(round), input);
    fr = ReadHistory(server, fs.execution_id(), true, start);
    if (fr.last_type != "ExecutionSucceeded") Fail("the follow stream ended with " + fr.last_type);
    f_first.push_back(fr.first_ms);
    f_last.push_back(fr.last_ms);
  }
  std::printf(
      "history (follow, from StartExecution): first page %7.1f ms   last event %7.1f ms"
      "   (%lld events, %d pages)\n",
      Median(f_first), Median(f_last), static_cast<long long>(fr.events), fr.pages);
}

}  // namespace

int main(int argc, char** argv) {
  InstallSignalHandlers();
  std::string dir = argc > 1 ? argv[1] : "/tmp";
  const char* only = std::getenv("STEPFLOW_BENCH_ONLY");  // latency | starts | history
  const std::string part = only ? only : "";
  if (!part.empty() && part != "latency" && part != "starts" && part != "history") {
    std::fprintf(stderr, "STEPFLOW_BENCH_ONLY must be latency, starts or history\n");
    return 2;
  }
  int total = 20'000;
  if (const char* n = std::getenv("STEPFLOW_BENCH_STARTS")) total = std::max(100, std::atoi(n));
  std::vector<int> levels = {1, 16, 64, 256};
  if (const char* c = std::getenv("STEPFLOW_BENCH_CONCURRENCY")) {
    levels = {std::clamp(std::atoi(c), 1, 4096)};
  }
  try {
    if (part.empty() || part == "latency") Latency(dir);
    if (part.empty() || part == "starts") Starts(dir, total, levels);
    if (part.empty() || part == "history") History(dir);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "stepflow_server_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
