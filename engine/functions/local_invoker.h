// LocalInvoker: runs deployed functions (package.h) in instances beside the
// engine, as a serverless platform runs them.
//
// An instance is one process: the language's bootstrap (runtimes/python,
// runtimes/node, compiled into the binary) with the function's handler
// loaded once. It takes one call at a time over a channel of length-prefixed
// JSON frames (its fds 3 and 4); what it writes to stdout/stderr during a
// call is that call's log. Each function version has a pool:
//
//   - a call goes to an idle instance; when none is idle, a new instance
//     starts (up to max_instances) and the call waits for the first free one;
//   - an instance idle for keep_warm_s stops (min_instances stay);
//   - an instance that dies is replaced by the next call that needs one;
//   - a call past its deadline (the Task's TimeoutSeconds or the function's
//     timeout, the shorter) kills its instance: States.Timeout; an instance
//     over its memory limit (resident memory of its process tree, checked
//     every 50 ms, plus Node's heap limit) is killed: Runtime.OutOfMemory; an
//     instance that exits mid-call: Runtime.ExitError with the exit code or
//     signal and the end of its stderr.
//
// Where bubblewrap works, an instance runs in a sandbox: the code, its
// environment and the bootstrap read-only, a private /tmp, no view of the
// database or of other functions, the network unless the function has none.
//
// One I/O thread serves every instance (poll); `done` runs on it, or on the
// log writer thread for a call that wrote output (after its log is stored,
// so a reader of the history finds it). Thread-safety: every public method
// may be called from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/common/status.h"
#include "engine/functions/environments.h"
#include "engine/functions/package.h"
#include "engine/functions/process.h"
#include "engine/runtime/invoker.h"
#include "engine/store/store.h"

namespace stepflow::functions {

// One deployed version, as the catalog resolves it.
struct DeployedFunction {
  std::string name;
  int64_t version = 0;
  std::string digest;  // the code
  DeployedConfig config;
};

// What a pool holds now (for describe, tests and benchmarks).
struct PoolStats {
  int64_t starting = 0, idle = 0, busy = 0;
  int64_t started_total = 0;  // instances started since the pool was made
  int64_t queued = 0;         // calls waiting for an instance
};

class LocalInvoker {
 public:
  struct Options {
    std::string data_dir;           // DATA: code/, envs/, runtimes/
    store::Store* store = nullptr;  // call logs (may be null: logs dropped)
    // Overrides for tests: how often memory is checked, how long an instance may take to load.
    std::chrono::milliseconds memory_check_interval{50};
    std::chrono::milliseconds start_timeout{30000};
  };
  explicit LocalInvoker(Options options);
  ~LocalInvoker();  // stops every instance; calls in flight end with States.TaskFailed
  LocalInvoker(const LocalInvoker&) = delete;
  LocalInvoker& operator=(const LocalInvoker&) = delete;

  // Starts the call. `request.function_version` is the version's number;
  // `invoked` the reference the Task named (for context.invokedFunctionArn).
  void Invoke(const DeployedFunction& fn, runtime::TaskRequest request,
              std::function<void(runtime::TaskOutcome)> done);
  // The call is not wanted: a queued call ends at once, a running one's
  // instance is killed. `done` is still called once.
  void Cancel(const std::string& idempotency_key);
  // Makes sure an instance of `fn` is idle or starting (no call made).
  void Warm(const DeployedFunction& fn);

  // Starts one instance of `fn`, waits until its handler is loaded, stops
  // it. kFailedPrecondition with the loader's error and output ("Runtime.
  // ImportModuleError: ...") when it does not load.
  Status CheckLoads(const DeployedFunction& fn);

  PoolStats Stats(const std::string& name, int64_t version);
  // Whether instances run in bubblewrap here ("" when they do; else why not).
  const std::string& SandboxUnavailable();
  const std::string& DataDir() const { return options_.data_dir; }
  std::string CodeDir(const std::string& digest) const;

 private:
  struct Call;
  struct Instance;
  struct Pool;
  using Clock = std::chrono::steady_clock;
  using Completion = std::pair<std::function<void(runtime::TaskOutcome)>, runtime::TaskOutcome>;

  void Loop();
  void Wake();
  Pool& PoolFor(const DeployedFunction& fn);  // requires mu_
  // The pool's function, folders, command line and environment for `fn`.
  void Configure(Pool& pool, const DeployedFunction& fn) const;
  // Starts instances the pool needs and hands queued calls to idle ones. Requires mu_.
  void Pump(Pool& pool, std::vector<Completion>& done);
  Status StartInstance(Pool& pool);                                           // requires mu_
  void Send(Pool& pool, Instance& in, std::unique_ptr<Call> call);            // requires mu_
  void OnReadable(Pool& pool, Instance& in, std::vector<Completion>& done);   // requires mu_
  void OnFrame(Pool& pool, Instance& in, const std::string& frame, std::vector<Completion>& done);
  void ReadLogs(Instance& in);
  // Kills the instance's process group and reaps it. Requires mu_.
  void Kill(Instance& in);
  // After the instance ended: its call's outcome, removal. Requires mu_.
  void Reap(Pool& pool, Instance& in, std::vector<Completion>& done);
  void FinishCall(Pool& pool, Instance& in, runtime::TaskOutcome outcome,
                  std::vector<Completion>& done);
  void CheckTimers(std::vector<Completion>& done);  // deadlines, memory, idle; requires mu_
  std::vector<std::string> Command(const Pool& pool) const;
  Environment InstanceEnvironment(const Pool& pool) const;
  // Once, at first use (a process that never runs a deployed function
  // writes nothing): the bootstraps to DATA/runtimes, the sandbox probe.
  void Prepare();
  void WriteBootstraps();
  void ProbeSandbox();
  void LogWriter();
  void RunCompletions(std::vector<Completion>& done);

  const Options options_;
  std::once_flag prepared_;
  std::string bootstrap_dir_;        // set once by Prepare
  std::string sandbox_unavailable_;  // set once by Prepare

  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Pool>> pools_;  // by "NAME:VERSION"; guarded by mu_
  std::map<std::string, Pool*> call_pool_;              // idempotency key -> pool; guarded by mu_
  bool stopping_ = false;                               // guarded by mu_
  int wake_read_ = -1, wake_write_ = -1;
  std::thread loop_;

  // Calls that wrote output: their log is stored, then `done` runs.
  struct PendingLog {
    store::FunctionLog log;
    Completion completion;
  };
  std::mutex log_mu_;
  std::condition_variable log_cv_;
  std::deque<PendingLog> logs_;  // guarded by log_mu_
  bool log_stop_ = false;        // guarded by log_mu_
  std::thread log_writer_;
};

}  // namespace stepflow::functions
