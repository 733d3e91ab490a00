// `stepflow server`: the engine plus the control plane over gRPC.
//
// Start-up: open the database (locked alone: the server runs every RUNNING
// execution), load the function registry, resume unfinished executions,
// then listen. SIGTERM/SIGINT: new calls get UNAVAILABLE, the executor
// commits what it decided and stops, calls in flight get a short grace —
// executions still running stay RUNNING, checkpointed for the next start.
#include "engine/cli/server_command.h"

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <thread>

#include "engine/host/engine.h"
#include "engine/rpc/control_plane.h"

namespace stepflow::cli {

int ServerCommand(const ServerOptions& options, std::ostream& out, std::ostream& err) {
  auto level = spdlog::level::from_str(options.log_level);
  if (level == spdlog::level::off && options.log_level != "off") {
    err << "stepflow server: --log-level must be trace, debug, info, warn, error or off\n";
    return 2;
  }
  auto log = spdlog::stderr_color_mt("stepflow");
  log->set_level(level);
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);

  // Signals are taken by sigwait below: block them before any thread starts,
  // so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  host::EngineConfig config;
  config.db = options.db.empty() ? "stepflow.db" : options.db;
  config.create = true;
  config.exclusive = true;  // the server runs every RUNNING execution
  config.server = true;
  config.functions_file = options.functions;
  config.functions_dir = options.functions_dir;
  config.data_dir = options.data_dir;
  config.durability = options.durability;
  config.max_history_events = options.max_history_events;
  config.skip_waits = options.skip_waits;
  config.on_held = [log](const runtime::HeldTask& h) {
    log->warn("execution {} waits at {}: '{}' cannot be called ({}); it stays RUNNING and "
              "goes on once that is registered",
              h.execution_id, h.state_path, h.function, h.cause);
  };
  auto built = host::BuildEngine(config);
  if (!built.ok()) {
    err << "stepflow server: " << built.status().message() << "\n";
    return 2;
  }
  host::Engine& engine = **built;

  rpc::ControlPlaneOptions plane_options;
  plane_options.deployer = engine.deployer.get();
  plane_options.local = engine.local.get();
  plane_options.invoker = engine.invoker.get();
  rpc::ControlPlane plane(engine.executor.get(), engine.store.get(), engine.catalog.get(),
                          plane_options);
  // One execution that cannot be restored must not keep the others (or the
  // API) down: it is logged and left RUNNING in the database as it is.
  std::vector<std::pair<std::string, Status>> skipped;
  auto resumed = engine.executor->ResumeAll(&skipped);
  if (!resumed.ok()) {
    err << "stepflow server: cannot resume: " << resumed.status().message() << "\n";
    return 2;
  }
  for (const auto& [id, why] : skipped) {
    log->error("execution {} cannot be resumed and is left as it is: {}", id, why.message());
  }
  Status loop_status;
  std::thread loop([&] {
    loop_status = engine.executor->Run();
    if (!loop_status.ok()) {
      log->error("the engine stopped: {}", loop_status.message());
      kill(getpid(), SIGTERM);  // wakes sigwait: shut down the API too
    }
  });
  auto server = rpc::ApiServer::Start(options.listen, &plane);
  if (!server.ok()) {
    err << "stepflow server: " << server.status().message() << "\n";
    engine.executor->Shutdown();
    loop.join();
    return 2;
  }
  // Deployed functions with --min-instances get them now, not at their first call.
  const std::vector<store::FunctionVersion> versions = engine.catalog->List().versions;
  for (size_t i = 0; i < versions.size(); ++i) {
    const store::FunctionVersion& v = versions[i];
    const bool newest = i + 1 == versions.size() || versions[i + 1].name != v.name;  // sorted
    if (!newest || v.kind != "package") continue;
    auto config = functions::DeployedConfig::FromJson(v.config);
    if (config.ok() && config->min_instances > 0) engine.invoker->Warm(v.name);
  }
  std::string host = options.listen.substr(0, options.listen.rfind(':'));
  out << "stepflow server listening on " << host << ":" << (*server)->port() << std::endl;
  log->info("listening on {}:{} (database {}, {} execution(s) resumed)", host, (*server)->port(),
            options.db.empty() ? "./stepflow.db" : options.db, resumed->size());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  log->info("{}: shutting down", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  // New calls get UNAVAILABLE; the engine commits what it decided and stops
  // (calls waiting for a commit are answered by it); then the API closes,
  // giving calls still in flight a moment (gRPC also waits for idle
  // connections: that grace no longer moves any execution).
  plane.BeginShutdown();
  engine.executor->Shutdown();
  loop.join();
  (*server)->Shutdown(std::chrono::seconds(1));
  log->info("stopped; unfinished executions are checkpointed");
  spdlog::drop_all();
  return loop_status.ok() ? 0 : 1;
}

}  // namespace stepflow::cli
