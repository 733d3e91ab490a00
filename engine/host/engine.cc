#include "engine/host/engine.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
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

std::string DataDir(const EngineConfig& c) {
  // Absolute: instances run in other folders (and sandboxes bind it by path).
  if (!c.data_dir.empty()) return std::filesystem::absolute(c.data_dir).lexically_normal().string();
  if (c.db != ":memory:") return std::filesystem::absolute(c.db + ".d").lexically_normal().string();
  const char* cache = std::getenv("XDG_CACHE_HOME");
  if (cache && *cache) return std::string(cache) + "/stepflow";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.cache/stepflow";
}

Result<std::vector<std::string>> DeployFolder(functions::Deployer& deployer, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::InvalidArgument("--functions-dir " + dir + " is not a folder");
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory(ec) && name[0] != '.' && name != "node_modules" && name != "__pycache__") {
      folders.push_back(entry.path());
    }
  }
  std::sort(folders.begin(), folders.end());
  std::vector<std::string> lines;
  for (const fs::path& folder : folders) {
    functions::DeployRequest request;
    request.name = folder.filename().string();
    STEPFLOW_ASSIGN_OR_RETURN(request.files, functions::ReadFunctionFolder(folder.string()));
    Result<functions::DeployResult> r = deployer.Deploy(std::move(request));
    if (!r.ok()) {
      return Status(r.status().code(), "deploying " + folder.string() + ": " + r.status().message());
    }
    std::string line = r->version.name + ": version " + std::to_string(r->version.version) + " (" +
                       r->config.runtime;
    if (r->version.unchanged) {
      line += ", unchanged";
    } else if (r->environment_reused) {
      line += ", environment reused";
    } else {
      line += ", environment built in " + std::to_string(r->environment_build_ms) + " ms";
    }
    lines.push_back(line + ")");
  }
  return lines;
}

Result<std::unique_ptr<Engine>> BuildEngine(const EngineConfig& c) {
  if (c.durability != "full" && c.durability != "normal") {
    return Status::InvalidArgument("--durability must be full or normal");
  }
  auto e = std::make_unique<Engine>();
  if (c.db == ":memory:") {
    e->store = store::NewMemoryStore();
  } else {
    if (c.create) {
      // A new database in a folder that does not exist yet: the folder too.
      std::error_code ec;
      const auto parent = std::filesystem::absolute(c.db).parent_path();
      if (!std::filesystem::exists(parent, ec)) std::filesystem::create_directories(parent, ec);
    }
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
  if (c.wrap_store) e->store = c.wrap_store(std::move(e->store));
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
  const std::string data_dir = DataDir(c);
  e->environments = std::make_unique<functions::Environments>(data_dir);
  functions::LocalInvoker::Options lo;
  lo.data_dir = data_dir;
  lo.store = e->store.get();
  e->local = std::make_unique<functions::LocalInvoker>(lo);
  runtime::Clock* clock = e->clock.get();
  e->deployer = std::make_unique<functions::Deployer>(e->store.get(), e->catalog.get(), e->local.get(),
                                                      e->environments.get(),
                                                      [clock] { return clock->NowMs(); });
  if (!c.functions_dir.empty()) {
    STEPFLOW_ASSIGN_OR_RETURN(e->deployed, DeployFolder(*e->deployer, c.functions_dir));
  }
  e->invoker = std::make_unique<functions::RoutingInvoker>(e->catalog.get(), e->grpc.get(),
                                                           e->local.get());
  runtime::ExecutorOptions eo;
  eo.limits.max_history_events = c.max_history_events;
  eo.limits.callbacks = c.server;
  functions::Catalog* catalog = e->catalog.get();
  eo.check_definition = [catalog](const graph::Graph& g) {
    return functions::CheckResources(g, catalog);
  };
  eo.on_held = c.on_held;
  functions::RoutingInvoker* routing = e->invoker.get();
  eo.limits.pin_function = [routing](const std::string& fn) { return routing->PinnedVersion(fn); };
  eo.limits.warm_function = [routing](const std::string& fn) { routing->Warm(fn); };
  e->executor = std::make_unique<runtime::Executor>(e->store.get(), e->invoker.get(),
                                                    e->clock.get(), std::move(eo));
  return e;
}

}  // namespace stepflow::host
