// The engine, assembled in one place: the store, the lock that keeps two
// engines from running the same executions, the function catalog (with the
// --functions file applied), the invokers and the executor. `stepflow run`,
// `resume`, `exec redrive`, `stepflow server` and the tests all build it
// here, so every entry point is wired the same way.
//
//   host::EngineConfig config;
//   config.db = "stepflow.db";
//   auto engine = host::BuildEngine(config);      // Result<unique_ptr<Engine>>
//   (*engine)->executor->StartExecution(...);
//
// Errors (Status, message for people): kNotFound for a database that must
// exist and does not; kFailedPrecondition when another process holds the
// lock the incompatible way or the file cannot be opened; kInvalidArgument
// for bad options or a bad --functions file.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "engine/common/status.h"
#include "engine/functions/catalog.h"
#include "engine/functions/deployer.h"
#include "engine/functions/environments.h"
#include "engine/functions/local_invoker.h"
#include "engine/functions/routing_invoker.h"
#include "engine/rpc/grpc_invoker.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/executor.h"
#include "engine/store/store.h"

namespace stepflow::host {

// An advisory lock (flock) on "<db>-lock" for as long as this process runs
// executions of the database. `run` and `exec redrive` share it: each runs
// only its own execution. `resume` and `server` take it alone, since they run
// every RUNNING execution: with another engine still running one of them,
// both would. The kernel drops the lock when the process dies, kill -9 included.
class DatabaseLock {
 public:
  DatabaseLock() = default;
  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;
  ~DatabaseLock();

  // kFailedPrecondition saying why when another process holds it the
  // incompatible way (or the lock file cannot be opened).
  Status Acquire(const std::string& db, bool exclusive);

 private:
  int fd_ = -1;
};

struct EngineConfig {
  std::string db = "stepflow.db";  // a file, or ":memory:" (nothing kept)
  bool create = false;             // a missing file becomes a new database
  bool exclusive = false;          // the lock alone (resume, server)
  bool server = false;             // activities and .waitForTaskToken allowed
  std::string functions_file;      // --functions: applied to the catalog
  // Where deployed functions' code, environments and runtimes live: "" =
  // "<db>.d" beside the database (for ":memory:", ~/.cache/stepflow).
  std::string data_dir;
  // --functions-dir: every sub-folder is deployed as the function named
  // after it (unchanged ones cost a digest, no build).
  std::string functions_dir;
  bool skip_waits = false;
  std::string durability = "full";  // full | normal
  int64_t max_history_events = 25'000;
  // Told when a call re-sent after a restart waits for a missing function.
  std::function<void(const runtime::HeldTask&)> on_held;
  // Wraps the store once it is opened and locked, before anything reads it:
  // a decorator that observes it (the server's execution log watches every
  // commit). Null: the store as opened.
  std::function<std::unique_ptr<store::Store>(std::unique_ptr<store::Store>)> wrap_store;
};

struct Engine {
  DatabaseLock lock;  // first: released last
  std::unique_ptr<store::Store> store;
  std::unique_ptr<runtime::Clock> clock;
  std::unique_ptr<functions::Catalog> catalog;
  std::unique_ptr<rpc::GrpcInvoker> grpc;
  std::unique_ptr<functions::Environments> environments;
  std::unique_ptr<functions::LocalInvoker> local;  // deployed functions' instances
  std::unique_ptr<functions::Deployer> deployer;
  std::unique_ptr<functions::RoutingInvoker> invoker;
  // One line per function deployed from functions_dir ("NAME: version 2 ...").
  std::vector<std::string> deployed;
  std::unique_ptr<runtime::Executor> executor;
};

Result<std::unique_ptr<Engine>> BuildEngine(const EngineConfig& config);

// The data folder `config` means (see EngineConfig::data_dir).
std::string DataDir(const EngineConfig& config);

// Deploys every sub-folder of `dir` (sorted by name) as the function named
// after it; a line per function for people. Stops at the first failure.
Result<std::vector<std::string>> DeployFolder(functions::Deployer& deployer, const std::string& dir);

}  // namespace stepflow::host
