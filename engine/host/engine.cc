#include "engine/host/engine.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engine/functions/resource_check.h"
#include "engine/store/memory_store.h"
#include "engine/store/sqlite_store.h"

namespace stepflow::host {

DatabaseLock::~DatabaseLock() {
  if (fd_ >= 0) ::close(fd_);
}

Status DatabaseLock::Acquire(const std::string& db, bool exclusive) {
  const std::string path = db + "-lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    return Status::FailedPrecondition("cannot open lock file " + path + ": " +
                                      std::strerror(errno));
  }
  if (::flock(fd_, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0) return Status::Ok();
  return Status::FailedPrecondition(
      exclusive ? "other stepflow processes are running executions of " + db +
                      "; resuming or serving it now would run them twice. Wait for them to end "
                      "(or stop them), then try again"
                : db + " is being resumed or served by another stepflow process; try again when "
                       "it has finished (or start executions through the server)");
}

Result<std::unique_ptr<Engine>> BuildEngine(const EngineConfig& c) {
  if (c.durability != "full" && c.durability != "normal") {
    return Status::InvalidArgument("--durability must be full or normal");
  }
  auto e = std::make_unique<Engine>();
  if (c.db == ":memory:") {
    e->store = store::NewMemoryStore();
  } else {
    if (!c.create && !std::filesystem::exists(c.db)) {
      return Status::NotFound("no database at " + c.db +
                              " (executions are kept where `stepflow run --db` put them)");
    }
    store::SqliteOptions so;
    so.durability = c.durability == "normal" ? store::SqliteOptions::Durability::kNormal
                                             : store::SqliteOptions::Durability::kFull;
    STEPFLOW_ASSIGN_OR_RETURN(e->store, store::OpenSqliteStore(c.db, so));
    // Locked before anything is read from the database.
    STEPFLOW_RETURN_IF_ERROR(e->lock.Acquire(c.db, c.exclusive));
  }
  if (c.skip_waits) {
    e->clock = std::make_unique<runtime::SkippingClock>();
  } else {
    e->clock = std::make_unique<runtime::SystemClock>();
  }
  e->catalog = std::make_unique<functions::Catalog>(e->store.get());
  STEPFLOW_RETURN_IF_ERROR(e->catalog->Load());
  if (!c.functions_file.empty()) {
    STEPFLOW_ASSIGN_OR_RETURN(functions::CatalogFile file,
                              functions::LoadCatalogFile(c.functions_file));
    STEPFLOW_RETURN_IF_ERROR(e->catalog->Apply(file, e->clock->NowMs()));
  }
  e->grpc = std::make_unique<rpc::GrpcInvoker>();
  e->invoker = std::make_unique<functions::RoutingInvoker>(e->catalog.get(), e->grpc.get());
  runtime::ExecutorOptions eo;
  eo.limits.max_history_events = c.max_history_events;
  eo.limits.callbacks = c.server;
  functions::Catalog* catalog = e->catalog.get();
  eo.check_definition = [catalog](const graph::Graph& g) {
    return functions::CheckResources(g, catalog);
  };
  eo.on_held = c.on_held;
  e->executor = std::make_unique<runtime::Executor>(e->store.get(), e->invoker.get(),
                                                    e->clock.get(), std::move(eo));
  return e;
}

}  // namespace stepflow::host
