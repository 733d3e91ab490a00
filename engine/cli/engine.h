// An engine in this process (the embedded verbs and `stepflow server`):
// the store, the function registry, the invoker and the executor, plus the
// advisory lock that keeps two engines from running the same executions.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "engine/cli/commands.h"
#include "engine/rpc/function_registry.h"
#include "engine/rpc/grpc_invoker.h"
#include "engine/runtime/executor.h"
#include "engine/store/store.h"

namespace stepflow::cli {

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

  // False with a message in *error when another process holds it the
  // incompatible way (or the lock file cannot be opened).
  bool Acquire(const std::string& db, bool exclusive, std::string* error);

 private:
  int fd_ = -1;
};

struct Engine {
  DatabaseLock lock;  // first: released last
  std::unique_ptr<store::Store> store;
  std::unique_ptr<runtime::Clock> clock;
  std::shared_ptr<rpc::FunctionRegistry> registry;
  std::unique_ptr<rpc::GrpcInvoker> invoker;
  std::unique_ptr<runtime::Executor> executor;
};

// Opens the store and the function registry; on failure prints why and
// returns false (the caller exits with 2). `exclusive`: the lock alone
// (resume, server); `callbacks`: activities and .waitForTaskToken allowed.
bool OpenEngine(const char* verb, const EngineOptions& o, Engine* e, std::ostream& err,
                bool exclusive = false, bool callbacks = false);

}  // namespace stepflow::cli
