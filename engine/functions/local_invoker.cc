#include "engine/functions/local_invoker.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/common/json_util.h"

#include "engine/common/hash.h"
#include "engine/functions/bootstrap_sources.h"

namespace stepflow::functions {
namespace {

namespace fs = std::filesystem;
using runtime::TaskOutcome;

constexpr size_t kMaxCallLog = 64 * 1024;      // kept per call
constexpr size_t kStderrTail = 2 * 1024;       // kept per instance for Runtime.ExitError
constexpr size_t kMaxOutputBytes = 256 * 1024;  // as the gRPC invoker: States.DataLimitExceeded
constexpr size_t kMaxFrameBytes = 64 * 1024 * 1024;

int64_t EpochMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Frame(const std::string& json) {
  const uint32_t n = static_cast<uint32_t>(json.size());
  std::string out;
  out.reserve(4 + json.size());
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out += json;
  return out;
}

// Takes the complete frames off the front of `buf`; false when a frame
// announces an impossible length.
bool TakeFrames(std::string& buf, std::vector<std::string>& frames) {
  size_t pos = 0;
  while (buf.size() - pos >= 4) {
    const auto* p = reinterpret_cast<const unsigned char*>(buf.data() + pos);
    const size_t n = (size_t{p[0]} << 24) | (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | p[3];
    if (n > kMaxFrameBytes) return false;
    if (buf.size() - pos - 4 < n) break;
    frames.push_back(buf.substr(pos + 4, n));
    pos += 4 + n;
  }
  buf.erase(0, pos);
  return true;
}

// Resident memory of `pid` and its descendants, in KiB.
int64_t TreeRssKb(pid_t pid, int depth = 0) {
  if (depth > 16) return 0;
  int64_t kb = 0;
  {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0) {
        kb = std::atoll(line.c_str() + 6);
        break;
      }
    }
  }
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream children(task.path() / "children");
    pid_t child;
    while (children >> child) kb += TreeRssKb(child, depth + 1);
  }
  return kb;
}

void AppendCapped(std::string& to, const char* data, size_t n, size_t cap, size_t& dropped) {
  const size_t room = to.size() < cap ? cap - to.size() : 0;
  to.append(data, std::min(n, room));
  dropped += n - std::min(n, room);
}

void KeepTail(std::string& tail, const char* data, size_t n) {
  tail.append(data, n);
  if (tail.size() > 2 * kStderrTail) tail.erase(0, tail.size() - kStderrTail);
}

std::string LastLines(const std::string& tail) {
  std::string t = tail.size() > kStderrTail ? tail.substr(tail.size() - kStderrTail) : tail;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

bool IsNodeHeapOom(const std::string& tail) {
  return tail.find("heap out of memory") != std::string::npos ||
         tail.find("Reached heap limit") != std::string::npos;
}

// waitpid for a process that is ending: a short grace, then SIGKILL.
int ReapProcess(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) {
      ::kill(-pid, SIGKILL);  // whatever the handler left behind
      return status;
    }
    ::usleep(1000);
  }
  ::kill(-pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

struct LocalInvoker::Call {
  runtime::TaskRequest request;
  std::function<void(TaskOutcome)> done;
  Clock::time_point deadline;  // the Task's
  Clock::time_point enqueued;
};

struct LocalInvoker::Instance {
  enum class State { kStarting, kIdle, kBusy, kEnded };
  enum class Kill { kNone, kTimeout, kMemory, kCancel, kIdle, kStop };
  Spawned proc;
  State state = State::kStarting;
  Kill killed = Kill::kNone;
  std::string responses;  // bytes read from the channel, not yet a whole frame
  std::string pending_write;
  std::unique_ptr<Call> call;
  int64_t call_id = 0;
  Clock::time_point call_deadline;
  std::string log;  // the current call's output
  size_t log_dropped = 0;
  std::string boot_log;  // output while loading
  size_t boot_dropped = 0;
  std::string stderr_tail;
  std::string init_error;  // "Type: message" from an initError frame
  int64_t rss_kb = 0;      // at the memory kill
  Clock::time_point started, last_used, next_memory_check;
};

struct LocalInvoker::Pool {
  DeployedFunction fn;
  std::string code_dir, env_dir;
  std::vector<std::string> command;
  Environment env;
  std::deque<std::unique_ptr<Call>> queue;
  std::vector<std::unique_ptr<Instance>> instances;
  int64_t started_total = 0;

  int64_t Count(Instance::State s) const {
    return std::count_if(instances.begin(), instances.end(),
                         [&](const auto& in) { return in->state == s; });
  }
  int64_t Live() const { return static_cast<int64_t>(instances.size()) - Count(Instance::State::kEnded); }
};

LocalInvoker::LocalInvoker(Options options) : options_(std::move(options)) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
    wake_read_ = fds[0];
    wake_write_ = fds[1];
  }
  loop_ = std::thread([this] { Loop(); });
  log_writer_ = std::thread([this] { LogWriter(); });
}

LocalInvoker::~LocalInvoker() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  Wake();
  loop_.join();
  {
    std::lock_guard lock(log_mu_);
    log_stop_ = true;
  }
  log_cv_.notify_all();
  log_writer_.join();
  CloseFd(wake_read_);
  CloseFd(wake_write_);
}

void LocalInvoker::Prepare() {
  std::call_once(prepared_, [this] {
    WriteBootstraps();
    ProbeSandbox();
  });
}

const std::string& LocalInvoker::SandboxUnavailable() {
  Prepare();
  return sandbox_unavailable_;
}

void LocalInvoker::WriteBootstraps() {
  const std::string digest =
      Sha256Hex(std::string(kPythonBootstrap) + '\0' + kNodeBootstrap).substr(0, 16);
  bootstrap_dir_ = options_.data_dir + "/runtimes/" + digest;
  std::error_code ec;
  if (fs::exists(bootstrap_dir_ + "/bootstrap.js", ec)) return;
  const std::string tmp = bootstrap_dir_ + ".tmp-" + std::to_string(::getpid());
  fs::create_directories(tmp, ec);
  std::ofstream(tmp + "/bootstrap.py") << kPythonBootstrap;
  std::ofstream(tmp + "/bootstrap.js") << kNodeBootstrap;
  fs::rename(tmp, bootstrap_dir_, ec);
  if (ec) fs::remove_all(tmp, ec);  // another process wrote it first
}

void LocalInvoker::ProbeSandbox() {
  if (FindInPath("bwrap").empty()) {
    sandbox_unavailable_ = "bubblewrap is not installed";
    return;
  }
  Result<CommandResult> r =
      RunCommand({"bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent",
                  "--new-session", "--proc", "/proc", "--dev", "/dev", "true"},
                 "", InheritedEnvironment(), std::chrono::seconds(10), 2048);
  if (!r.ok()) {
    sandbox_unavailable_ = r.status().message();
  } else if (!r->ok()) {
    sandbox_unavailable_ = "bubblewrap cannot create a sandbox here (" + r->Describe() + "): " + r->output;
  }
}

std::string LocalInvoker::CodeDir(const std::string& digest) const {
  return options_.data_dir + "/code/" + digest;
}

std::vector<std::string> LocalInvoker::Command(const Pool& pool) const {
  const DeployedConfig& c = pool.fn.config;
  const std::string interpreter =
      c.runtime == "python" ? pool.env_dir + "/bin/python3" : (FindInPath("node").empty() ? "node" : FindInPath("node"));
  std::vector<std::string> inner;
  if (c.runtime == "python") {
    inner = {interpreter, "-B", bootstrap_dir_ + "/bootstrap.py"};
  } else {
    // V8's heap limit below the instance's: a runaway heap ends as
    // Runtime.OutOfMemory rather than by the resident-memory check.
    inner = {interpreter, "--max-old-space-size=" + std::to_string(std::max<int64_t>(16, c.memory_mb * 9 / 10)),
             bootstrap_dir_ + "/bootstrap.js"};
  }
  if (!c.sandbox || !sandbox_unavailable_.empty()) return inner;

  std::vector<std::string> argv = {"bwrap", "--die-with-parent", "--new-session", "--unshare-all"};
  if (c.network) argv.push_back("--share-net");
  argv.insert(argv.end(), {"--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"});
  std::error_code ec;
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    if (fs::is_symlink(top, ec)) {
      argv.insert(argv.end(), {"--symlink", fs::read_symlink(top, ec).string(), top});
    } else if (fs::exists(top, ec)) {
      argv.insert(argv.end(), {"--ro-bind", top, top});
    }
  }
  argv.insert(argv.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"});
  for (const std::string& text : c.mounts) {
    const Mount m = Mount::Parse(text);
    argv.insert(argv.end(), {m.read_only ? "--ro-bind" : "--bind", m.path, m.path});
  }
  // After the mounts: the code, its environment and the bootstrap are
  // read-only whatever a mount above them says.
  std::vector<std::string> visible = {pool.code_dir, pool.env_dir, bootstrap_dir_};
  // An interpreter installed outside /usr (pyenv, a custom prefix).
  const fs::path real = fs::canonical(interpreter, ec);
  if (!ec && real.string().rfind("/usr/", 0) != 0) visible.push_back(real.parent_path().parent_path().string());
  for (const std::string& dir : visible) {
    if (fs::exists(dir, ec)) argv.insert(argv.end(), {"--ro-bind", dir, dir});
  }
  // Everything else read-only: a write outside /tmp and the mounts fails
  // loudly instead of landing in the sandbox's own root and vanishing.
  argv.insert(argv.end(), {"--remount-ro", "/", "--chdir", pool.code_dir, "--"});
  argv.insert(argv.end(), inner.begin(), inner.end());
  return argv;
}

Environment LocalInvoker::InstanceEnvironment(const Pool& pool) const {
  const DeployedFunction& fn = pool.fn;
  Environment env;
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  if (fn.config.runtime == "python") path = pool.env_dir + "/bin:" + path;
  env["PATH"] = path;
  env["HOME"] = "/tmp";
  env["TMPDIR"] = "/tmp";
  env["LANG"] = "C.UTF-8";
  env["PYTHONDONTWRITEBYTECODE"] = "1";
  env["LAMBDA_TASK_ROOT"] = pool.code_dir;
  env["_HANDLER"] = fn.config.handler;
  env["AWS_LAMBDA_FUNCTION_NAME"] = fn.name;
  env["AWS_LAMBDA_FUNCTION_VERSION"] = std::to_string(fn.version);
  env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = std::to_string(fn.config.memory_mb);
  for (const auto& [k, v] : fn.config.env) env[k] = v;
  env["STEPFLOW_CODE_DIR"] = pool.code_dir;
  env["STEPFLOW_HANDLER"] = fn.config.handler;
  env["STEPFLOW_FUNCTION_NAME"] = fn.name;
  env["STEPFLOW_FUNCTION_VERSION"] = std::to_string(fn.version);
  env["STEPFLOW_MEMORY_MB"] = std::to_string(fn.config.memory_mb);
  return env;
}

void LocalInvoker::Configure(Pool& pool, const DeployedFunction& fn) const {
  pool.fn = fn;
  pool.code_dir = CodeDir(fn.digest);
  pool.env_dir = options_.data_dir + "/envs/" + fn.config.env_key;
  pool.command = Command(pool);
  pool.env = InstanceEnvironment(pool);
}

LocalInvoker::Pool& LocalInvoker::PoolFor(const DeployedFunction& fn) {
  Prepare();
  const std::string key = fn.name + ":" + std::to_string(fn.version);
  auto& slot = pools_[key];
  if (!slot) slot = std::make_unique<Pool>();
  if (slot->fn.digest != fn.digest || slot->fn.config.ToJson() != fn.config.ToJson()) {
    // New, or the function was removed and deployed anew under the same
    // version number: instances of the old code stop. The pool object
    // stays (call_pool_ points at it).
    for (auto& in : slot->instances) {
      if (in->state == Instance::State::kEnded) continue;
      in->killed = Instance::Kill::kStop;
      ::kill(-in->proc.pid, SIGKILL);
      if (in->state == Instance::State::kIdle || in->state == Instance::State::kStarting) {
        in->state = Instance::State::kBusy;  // takes no call until reaped
      }
    }
    Configure(*slot, fn);
  }
  return *slot;
}

void LocalInvoker::Invoke(const DeployedFunction& fn, runtime::TaskRequest request,
                          std::function<void(TaskOutcome)> done) {
  auto call = std::make_unique<Call>();
  call->enqueued = Clock::now();
  call->deadline = call->enqueued + request.timeout;
  call->request = std::move(request);
  call->done = std::move(done);
  std::vector<Completion> completions;
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      completions.emplace_back(std::move(call->done),
                               TaskOutcome::Failure("States.TaskFailed", "the engine is stopping"));
    } else {
      Pool& pool = PoolFor(fn);
      if (!call->request.idempotency_key.empty()) call_pool_[call->request.idempotency_key] = &pool;
      pool.queue.push_back(std::move(call));
      Pump(pool, completions);
    }
  }
  Wake();
  RunCompletions(completions);
}

void LocalInvoker::Warm(const DeployedFunction& fn) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    Pool& pool = PoolFor(fn);
    if (pool.Count(Instance::State::kIdle) + pool.Count(Instance::State::kStarting) > 0) return;
    if (pool.Live() >= pool.fn.config.max_instances) return;
    (void)StartInstance(pool);
  }
  Wake();
}

void LocalInvoker::Cancel(const std::string& key) {
  std::vector<Completion> completions;
  {
    std::lock_guard lock(mu_);
    auto it = call_pool_.find(key);
    if (it == call_pool_.end()) return;
    Pool& pool = *it->second;
    for (auto q = pool.queue.begin(); q != pool.queue.end(); ++q) {
      if ((*q)->request.idempotency_key == key) {
        completions.emplace_back(std::move((*q)->done),
                                 TaskOutcome::Failure("States.TaskFailed", "the call was cancelled"));
        pool.queue.erase(q);
        call_pool_.erase(it);
        break;
      }
    }
    for (auto& in : pool.instances) {
      if (in->call && in->call->request.idempotency_key == key) {
        in->killed = Instance::Kill::kCancel;
        ::kill(-in->proc.pid, SIGKILL);
        FinishCall(pool, *in, TaskOutcome::Failure("States.TaskFailed", "the call was cancelled"),
                   completions);
        break;
      }
    }
  }
  Wake();
  RunCompletions(completions);
}

PoolStats LocalInvoker::Stats(const std::string& name, int64_t version) {
  std::lock_guard lock(mu_);
  PoolStats s;
  auto it = pools_.find(name + ":" + std::to_string(version));
  if (it == pools_.end()) return s;
  const Pool& p = *it->second;
  s.starting = p.Count(Instance::State::kStarting);
  s.idle = p.Count(Instance::State::kIdle);
  s.busy = p.Count(Instance::State::kBusy);
  s.started_total = p.started_total;
  s.queued = static_cast<int64_t>(p.queue.size());
  return s;
}

Status LocalInvoker::StartInstance(Pool& pool) {
  Result<Spawned> spawned = SpawnWithChannel(pool.command, pool.code_dir, pool.env);
  if (!spawned.ok()) return spawned.status();
  auto in = std::make_unique<Instance>();
  in->proc = *spawned;
  in->started = in->last_used = Clock::now();
  pool.instances.push_back(std::move(in));
  ++pool.started_total;
  return Status::Ok();
}

void LocalInvoker::Pump(Pool& pool, std::vector<Completion>& done) {
  for (auto& in : pool.instances) {
    if (pool.queue.empty()) break;
    if (in->state != Instance::State::kIdle) continue;
    std::unique_ptr<Call> call = std::move(pool.queue.front());
    pool.queue.pop_front();
    Send(pool, *in, std::move(call));
  }
  // Every queued call beyond the instances already starting gets one, up to
  // the limit; min_instances stay up.
  int64_t live = pool.Live();
  int64_t uncovered = static_cast<int64_t>(pool.queue.size()) - pool.Count(Instance::State::kStarting);
  while ((uncovered > 0 && live < pool.fn.config.max_instances) ||
         live < pool.fn.config.min_instances) {
    Status st = StartInstance(pool);
    if (!st.ok()) {
      // Nothing can run the queued calls: they fail rather than wait forever.
      if (live == 0) {
        while (!pool.queue.empty()) {
          done.emplace_back(std::move(pool.queue.front()->done),
                            TaskOutcome::Failure("States.TaskFailed",
                                                 "cannot start function " + pool.fn.name + ": " + st.message()));
          call_pool_.erase(pool.queue.front()->request.idempotency_key);
          pool.queue.pop_front();
        }
      }
      return;
    }
    ++live;
    --uncovered;
  }
}

void LocalInvoker::Send(Pool& pool, Instance& in, std::unique_ptr<Call> call) {
  const DeployedFunction& fn = pool.fn;
  const runtime::TaskRequest& r = call->request;
  const auto now = Clock::now();
  in.call_deadline = std::min(call->deadline, now + std::chrono::seconds(fn.config.timeout_s));
  const int64_t deadline_ms =
      EpochMs() + std::chrono::duration_cast<std::chrono::milliseconds>(in.call_deadline - now).count();
  Json context = {
      {"awsRequestId", r.idempotency_key},
      {"functionName", fn.name},
      {"functionVersion", std::to_string(fn.version)},
      {"invokedFunctionArn", "arn:aws:lambda:local:000000000000:function:" + fn.name},
      {"memoryLimitInMB", std::to_string(fn.config.memory_mb)},
      {"executionId", r.execution_id},
      {"stateName", r.state_name},
      {"attempt", r.attempt},
      {"taskToken", r.task_token}};
  in.call_id += 1;
  const std::string event = r.input_json.empty() ? "null" : r.input_json;
  std::string body = "{\"type\":\"invoke\",\"id\":" + std::to_string(in.call_id) +
                     ",\"deadlineMs\":" + std::to_string(deadline_ms) +
                     ",\"context\":" + context.dump() + ",\"event\":" + event + "}";
  in.pending_write += Frame(body);
  in.call = std::move(call);
  in.state = Instance::State::kBusy;
  in.log.clear();
  in.log_dropped = 0;
  in.next_memory_check = now + options_.memory_check_interval;
  // Most requests fit the pipe: written now, no wait for the loop.
  while (!in.pending_write.empty()) {
    const ssize_t n = ::write(in.proc.request_fd, in.pending_write.data(), in.pending_write.size());
    if (n > 0) {
      in.pending_write.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // full (the loop writes the rest) or closed (the loop sees it end)
    }
  }
}

void LocalInvoker::FinishCall(Pool& pool, Instance& in, TaskOutcome outcome,
                              std::vector<Completion>& done) {
  if (!in.call) return;
  std::unique_ptr<Call> call = std::move(in.call);
  call_pool_.erase(call->request.idempotency_key);
  // A killed instance takes no more calls: it stays busy until it is reaped.
  if (in.state == Instance::State::kBusy && in.killed == Instance::Kill::kNone) {
    in.state = Instance::State::kIdle;
  }
  in.last_used = Clock::now();
  if (in.log.empty()) {
    done.emplace_back(std::move(call->done), std::move(outcome));
    return;
  }
  PendingLog entry;
  entry.log.function = pool.fn.name;
  entry.log.version = pool.fn.version;
  entry.log.execution_id = call->request.execution_id;
  entry.log.idempotency_key = call->request.idempotency_key;
  entry.log.created_ms = EpochMs();
  entry.log.text = std::move(in.log);
  if (in.log_dropped > 0) {
    entry.log.text += "\n[" + std::to_string(in.log_dropped) + " more bytes of output dropped]\n";
  }
  in.log.clear();
  entry.completion = {std::move(call->done), std::move(outcome)};
  {
    std::lock_guard lock(log_mu_);
    logs_.push_back(std::move(entry));
  }
  log_cv_.notify_one();
}

void LocalInvoker::ReadLogs(Instance& in) {
  char buf[16384];
  for (int* fd : {&in.proc.stdout_fd, &in.proc.stderr_fd}) {
    while (*fd >= 0) {
      const ssize_t n = ::read(*fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;  // EAGAIN: nothing more now
      if (n == 0) {
        CloseFd(*fd);
        break;
      }
      const size_t size = static_cast<size_t>(n);
      if (fd == &in.proc.stderr_fd) KeepTail(in.stderr_tail, buf, size);
      if (in.call) {
        AppendCapped(in.log, buf, size, kMaxCallLog, in.log_dropped);
      } else {
        AppendCapped(in.boot_log, buf, size, kMaxCallLog, in.boot_dropped);
      }
    }
  }
}

void LocalInvoker::OnFrame(Pool& pool, Instance& in, const std::string& frame,
                           std::vector<Completion>& done) {
  Json j;
  try {
    j = Json::parse(frame);
  } catch (const Json::exception& e) {
    j = Json::object();
  }
  const std::string type = j.is_object() ? j.value("type", "") : "";
  if (type == "ready") {
    if (in.state == Instance::State::kStarting) in.state = Instance::State::kIdle;
    in.last_used = Clock::now();
    return;
  }
  if (type == "initError") {
    in.init_error = j.value("errorType", "Runtime.InitError") + ": " + j.value("errorMessage", "");
    return;
  }
  if (type != "result" || !in.call || j.value("id", int64_t{-1}) != in.call_id) {
    // A bootstrap that breaks the protocol is of no further use.
    in.killed = Instance::Kill::kStop;
    ::kill(-in.proc.pid, SIGKILL);
    FinishCall(pool, in,
               TaskOutcome::Failure("States.TaskFailed", "the function's runtime sent an unexpected message"),
               done);
    return;
  }
  ReadLogs(in);  // the call's output was written before its result
  TaskOutcome outcome;
  if (j.value("ok", false)) {
    std::string output = j.contains("result") ? j["result"].dump() : "null";
    if (output.size() > kMaxOutputBytes) {
      outcome = TaskOutcome::Failure(
          "States.DataLimitExceeded",
          "the function's result is " + std::to_string(output.size()) + " bytes, over the limit of 262144");
    } else {
      outcome = TaskOutcome::Success(std::move(output));
    }
  } else {
    auto text = [&](const char* key, const char* fallback) {
      return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string(fallback);
    };
    outcome = TaskOutcome::Failure(text("errorType", "Error"), text("errorMessage", ""));
  }
  FinishCall(pool, in, std::move(outcome), done);
}

void LocalInvoker::OnReadable(Pool& pool, Instance& in, std::vector<Completion>& done) {
  char buf[65536];
  bool ended = false;
  for (;;) {
    const ssize_t n = ::read(in.proc.response_fd, buf, sizeof buf);
    if (n > 0) {
      in.responses.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    ended = n == 0;
    break;
  }
  std::vector<std::string> frames;
  if (!TakeFrames(in.responses, frames)) {
    in.killed = Instance::Kill::kStop;
    ::kill(-in.proc.pid, SIGKILL);
    ended = true;
  }
  for (const std::string& f : frames) OnFrame(pool, in, f, done);
  if (ended) Reap(pool, in, done);
}

void LocalInvoker::Reap(Pool& pool, Instance& in, std::vector<Completion>& done) {
  if (in.state == Instance::State::kEnded) return;
  const bool was_starting = in.state == Instance::State::kStarting;
  const int status = ReapProcess(in.proc.pid);
  ReadLogs(in);
  in.state = Instance::State::kEnded;
  const std::string how = DescribeWaitStatus(status);
  const std::string tail = LastLines(in.stderr_tail);
  if (in.call) {
    TaskOutcome outcome;
    if (in.killed == Instance::Kill::kMemory || IsNodeHeapOom(in.stderr_tail)) {
      outcome = TaskOutcome::Failure(
          "Runtime.OutOfMemory",
          "the instance of " + pool.fn.name + " used more than its " + std::to_string(pool.fn.config.memory_mb) +
              " MB" + (in.rss_kb > 0 ? " (" + std::to_string(in.rss_kb / 1024) + " MB resident)" : "") +
              " and was stopped");
    } else if (in.killed == Instance::Kill::kStop) {
      outcome = TaskOutcome::Failure("States.TaskFailed", "the instance was stopped mid-call (" + how + ")");
    } else {
      outcome = TaskOutcome::Failure(
          "Runtime.ExitError", "the instance of " + pool.fn.name + " ended mid-call: " + how +
                                   (tail.empty() ? "" : "; its last output:\n" + tail));
    }
    FinishCall(pool, in, std::move(outcome), done);
    in.state = Instance::State::kEnded;
  } else if (was_starting && in.killed == Instance::Kill::kNone && !pool.queue.empty()) {
    // The handler does not load: the call that waited for it learns why
    // (each start that fails answers one call, so none waits forever).
    std::string error = "Runtime.ExitError", cause;
    if (!in.init_error.empty()) {
      const size_t colon = in.init_error.find(": ");
      error = in.init_error.substr(0, colon);
      cause = in.init_error.substr(colon + 2);
    } else {
      cause = "the instance of " + pool.fn.name + " ended while loading: " + how;
    }
    const std::string output = LastLines(in.boot_log);
    if (!output.empty()) cause += "\n" + output;
    std::unique_ptr<Call> call = std::move(pool.queue.front());
    pool.queue.pop_front();
    call_pool_.erase(call->request.idempotency_key);
    done.emplace_back(std::move(call->done), TaskOutcome::Failure(error, cause));
  }
  in.proc.CloseAll();
}

void LocalInvoker::CheckTimers(std::vector<Completion>& done) {
  const auto now = Clock::now();
  for (auto& [key, pool] : pools_) {
    // Queued calls past their Task's deadline.
    for (auto it = pool->queue.begin(); it != pool->queue.end();) {
      if ((*it)->deadline <= now) {
        done.emplace_back(std::move((*it)->done),
                          TaskOutcome::Failure("States.Timeout", "no instance of " + pool->fn.name +
                                                                      " was free before the call's deadline"));
        call_pool_.erase((*it)->request.idempotency_key);
        it = pool->queue.erase(it);
      } else {
        ++it;
      }
    }
    int64_t live = pool->Live();
    for (auto& in : pool->instances) {
      if (in->state == Instance::State::kEnded) continue;
      if (in->state == Instance::State::kBusy && in->call) {
        if (in->call_deadline <= now) {
          in->killed = Instance::Kill::kTimeout;
          ::kill(-in->proc.pid, SIGKILL);
          const auto ran = std::chrono::duration_cast<std::chrono::milliseconds>(now - in->call->enqueued);
          FinishCall(*pool, *in,
                     TaskOutcome::Failure("States.Timeout",
                                          "the call of " + pool->fn.name + " ran past its limit (" +
                                              std::to_string(ran.count()) + " ms; the function's timeout is " +
                                              std::to_string(pool->fn.config.timeout_s) + " s)"),
                     done);
          continue;
        }
        if (in->next_memory_check <= now) {
          in->next_memory_check = now + options_.memory_check_interval;
          const int64_t rss = TreeRssKb(in->proc.pid);
          if (rss > pool->fn.config.memory_mb * 1024) {
            in->rss_kb = rss;
            in->killed = Instance::Kill::kMemory;
            ::kill(-in->proc.pid, SIGKILL);
          }
        }
      } else if (in->state == Instance::State::kStarting && in->killed == Instance::Kill::kNone &&
                 now - in->started > options_.start_timeout) {
        in->init_error = "Runtime.InitError: the handler did not load within " +
                         std::to_string(options_.start_timeout.count() / 1000) + " s";
        ::kill(-in->proc.pid, SIGKILL);
      } else if (in->state == Instance::State::kIdle && live > pool->fn.config.min_instances &&
                 pool->queue.empty() &&
                 now - in->last_used >= std::chrono::seconds(pool->fn.config.keep_warm_s)) {
        in->killed = Instance::Kill::kIdle;
        in->state = Instance::State::kBusy;  // taken: no call goes to it now
        ::kill(-in->proc.pid, SIGKILL);
        --live;
      }
    }
  }
}

void LocalInvoker::Loop() {
  std::vector<pollfd> fds;
  struct Target {
    Pool* pool;
    Instance* in;
    int which;  // 0 response, 1 stdout/stderr, 2 request (writable)
  };
  std::vector<Target> targets;
  for (;;) {
    std::vector<Completion> done;
    int timeout_ms = 1000;
    {
      std::unique_lock lock(mu_);
      if (stopping_) break;
      // Ended instances leave; pools feed their queues (before an idle
      // instance can be stopped for keep-warm), then deadlines and limits.
      for (auto& [key, pool] : pools_) {
        auto& v = pool->instances;
        v.erase(std::remove_if(v.begin(), v.end(),
                               [](const auto& in) {
                                 return in->state == Instance::State::kEnded && in->proc.response_fd < 0;
                               }),
                v.end());
        Pump(*pool, done);
      }
      CheckTimers(done);
      fds.clear();
      targets.clear();
      fds.push_back({wake_read_, POLLIN, 0});
      targets.push_back({nullptr, nullptr, -1});
      const auto now = Clock::now();
      auto next = now + std::chrono::seconds(1);
      for (auto& [key, pool] : pools_) {
        for (auto& in : pool->instances) {
          if (in->proc.response_fd >= 0) {
            fds.push_back({in->proc.response_fd, POLLIN, 0});
            targets.push_back({pool.get(), in.get(), 0});
          }
          for (int fd : {in->proc.stdout_fd, in->proc.stderr_fd}) {
            if (fd < 0) continue;
            fds.push_back({fd, POLLIN, 0});
            targets.push_back({pool.get(), in.get(), 1});
          }
          if (!in->pending_write.empty() && in->proc.request_fd >= 0) {
            fds.push_back({in->proc.request_fd, POLLOUT, 0});
            targets.push_back({pool.get(), in.get(), 2});
          }
          if (in->state == Instance::State::kBusy && in->call) {
            next = std::min({next, in->call_deadline, in->next_memory_check});
          }
          if (in->state == Instance::State::kIdle) {
            next = std::min(next, in->last_used + std::chrono::seconds(pool->fn.config.keep_warm_s));
          }
        }
        for (const auto& call : pool->queue) next = std::min(next, call->deadline);
      }
      timeout_ms = static_cast<int>(std::clamp<int64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count() + 1, 0, 1000));
    }
    RunCompletions(done);
    const int n = ::poll(fds.data(), fds.size(), timeout_ms);
    if (n <= 0) continue;
    std::unique_lock lock(mu_);
    if (fds[0].revents) {
      char drain[256];
      while (::read(wake_read_, drain, sizeof drain) > 0) {
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      Target& t = targets[i];
      if (t.in->state == Instance::State::kEnded) continue;
      if (t.which == 0) {
        OnReadable(*t.pool, *t.in, done);
      } else if (t.which == 1) {
        ReadLogs(*t.in);
      } else {
        const ssize_t w = ::write(t.in->proc.request_fd, t.in->pending_write.data(), t.in->pending_write.size());
        if (w > 0) t.in->pending_write.erase(0, static_cast<size_t>(w));
        if (w < 0 && errno != EAGAIN && errno != EINTR) t.in->pending_write.clear();  // it ended
      }
    }
    lock.unlock();
    RunCompletions(done);
  }
  // Stopping: every instance ends, every call still open fails.
  std::vector<Completion> done;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, pool] : pools_) {
      for (auto& in : pool->instances) {
        if (in->state == Instance::State::kEnded) continue;
        in->killed = Instance::Kill::kStop;
        ::kill(-in->proc.pid, SIGKILL);
        if (in->call) {
          FinishCall(*pool, *in, TaskOutcome::Failure("States.TaskFailed", "the engine is stopping"), done);
        }
        Reap(*pool, *in, done);
      }
      for (auto& call : pool->queue) {
        done.emplace_back(std::move(call->done), TaskOutcome::Failure("States.TaskFailed", "the engine is stopping"));
      }
      pool->queue.clear();
    }
    call_pool_.clear();
  }
  RunCompletions(done);
}

void LocalInvoker::Wake() {
  if (wake_write_ >= 0) {
    const char c = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_write_, &c, 1);
  }
}

void LocalInvoker::RunCompletions(std::vector<Completion>& done) {
  for (auto& [callback, outcome] : done) {
    if (callback) callback(std::move(outcome));
  }
  done.clear();
}

void LocalInvoker::LogWriter() {
  for (;;) {
    std::deque<PendingLog> batch;
    {
      std::unique_lock lock(log_mu_);
      log_cv_.wait(lock, [&] { return log_stop_ || !logs_.empty(); });
      if (logs_.empty() && log_stop_) return;
      batch.swap(logs_);
    }
    if (options_.store) {
      std::vector<store::FunctionLog> rows;
      for (const PendingLog& p : batch) rows.push_back(p.log);
      // A log that cannot be stored is lost; the call's outcome is not.
      (void)options_.store->AppendFunctionLogs(rows);
    }
    std::vector<Completion> done;
    for (PendingLog& p : batch) done.push_back(std::move(p.completion));
    RunCompletions(done);
  }
}

Status LocalInvoker::CheckLoads(const DeployedFunction& fn) {
  Prepare();
  Pool pool;
  Configure(pool, fn);
  STEPFLOW_ASSIGN_OR_RETURN(Spawned proc, SpawnWithChannel(pool.command, pool.code_dir, pool.env));
  Instance in;
  in.proc = proc;
  const auto deadline = Clock::now() + options_.start_timeout;
  std::string verdict;  // "" = loaded
  bool answered = false;
  while (!answered) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      verdict = "Runtime.InitError: the handler did not load within " +
                std::to_string(options_.start_timeout.count() / 1000) + " s";
      break;
    }
    pollfd p[3] = {{in.proc.response_fd, POLLIN, 0}, {in.proc.stdout_fd, POLLIN, 0}, {in.proc.stderr_fd, POLLIN, 0}};
    if (::poll(p, 3, static_cast<int>(std::min<int64_t>(left.count(), 200))) < 0 && errno != EINTR) break;
    ReadLogs(in);
    char buf[4096];
    const ssize_t n = ::read(in.proc.response_fd, buf, sizeof buf);
    if (n > 0) in.responses.append(buf, static_cast<size_t>(n));
    std::vector<std::string> frames;
    TakeFrames(in.responses, frames);
    for (const std::string& f : frames) {
      Json j = Json::parse(f, nullptr, false);
      const std::string type = j.is_object() ? j.value("type", "") : "";
      if (type == "ready") {
        answered = true;
      } else if (type == "initError") {
        verdict = j.value("errorType", "Runtime.InitError") + ": " + j.value("errorMessage", "");
        answered = true;
      }
    }
    if (n == 0 && !answered) {
      verdict = "Runtime.ExitError: the instance ended while loading";
      break;
    }
  }
  ::kill(-in.proc.pid, SIGKILL);
  const int status = ReapProcess(in.proc.pid);
  ReadLogs(in);
  in.proc.CloseAll();
  if (verdict.empty()) return Status::Ok();
  if (verdict.rfind("Runtime.ExitError", 0) == 0) verdict += " (" + DescribeWaitStatus(status) + ")";
  const std::string output = LastLines(in.boot_log);
  return Status::FailedPrecondition("the handler " + fn.config.handler + " does not load: " + verdict +
                                    (output.empty() ? "" : "\n" + output));
}

}  // namespace stepflow::functions
