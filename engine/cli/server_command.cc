// `stepflow server`: the engine plus the control plane over gRPC.
//
// Start-up: open the database (locked alone: the server runs every RUNNING
// execution), load the function registry, resume unfinished executions,
// then listen. SIGTERM/SIGINT: new calls get UNAVAILABLE, the executor
// commits what it decided and stops, calls in flight get a short grace —
// executions still running stay RUNNING, checkpointed for the next start.
#include "engine/cli/server_command.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "engine/cli/format_log.h"
#include "engine/console/console.h"
#include "engine/host/engine.h"
#include "engine/http/aws_api.h"
#include "engine/http/hooks.h"
#include "engine/http/trigger_api.h"
#include "engine/http/server.h"
#include "engine/rpc/control_plane.h"
#include "engine/triggers/scheduler.h"

namespace stepflow::cli {
namespace {

// The HTTP listener's routes: POST / is the Step Functions API, GET of a
// page, an asset or /api/... the console (docs/console.md).
http::Handler Routes(http::AwsApi* aws, http::Hooks* hooks, http::TriggerApi* triggers,
                     console::Console* console, bool loopback_only) {
  return [aws, hooks, triggers, console, loopback_only](http::Request&& request,
                                                        http::Reply reply) {
    const std::string path = request.target.substr(0, request.target.find('?'));
    // A page of another site reaching 127.0.0.1 through a name of its own
    // (DNS rebinding) would be same-origin there: a browser's request (any
    // GET, or one with Origin or Sec-Fetch-Site) must name loopback. SDKs
    // may send other names (StartSyncExecution's "sync-" host prefix).
    const bool browser = request.method == "GET" || request.method == "HEAD" ||
                         !request.Header("origin").empty() ||
                         !request.Header("sec-fetch-site").empty();
    if (loopback_only && browser && !console::LoopbackHost(request)) {
      http::Response r;
      r.status = 403;
      r.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                   {"x-amzn-RequestId", runtime::NewUuid()}};
      r.body = "this server answers requests for localhost, 127.0.0.1 or [::1] only\n";
      return reply(std::move(r));
    }
    if (request.method != "GET" && request.method != "HEAD" && console::CrossSite(request)) {
      // A page of another site (a form, a fetch) may not act on this server.
      http::Response r;
      r.status = 403;
      r.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                   {"x-amzn-RequestId", runtime::NewUuid()}};
      r.body = R"({"__type":"AccessDeniedException","message":"cross-site requests are refused: )"
               R"(the request's Origin or Sec-Fetch-Site names another site"})";
      return reply(std::move(r));
    }
    if (path == "/" && request.method == "POST") return aws->Handle(std::move(request), reply);
    if (http::Hooks::Matches(path)) return hooks->Handle(std::move(request), reply);
    // Every answer names its request, as the Step Functions API's do.
    http::Reply named = [reply](http::Response response) {
      response.headers.emplace_back("x-amzn-RequestId", runtime::NewUuid());
      reply(std::move(response));
    };
    if (http::TriggerApi::Matches(request)) return triggers->Handle(std::move(request), named);
    if (console->Handle(request, named)) return;
    http::Response r;
    r.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                 {"x-amzn-RequestId", runtime::NewUuid()}};
    r.status = path == "/" ? 405 : 404;
    r.body = path == "/" ? "use POST / for the Step Functions API, GET / for the console\n"
                         : "no such page: " + path + "\n";
    reply(std::move(r));
  };
}

// Tells the console which executions committed steps (its live streams).
class CommitWatch final : public ForwardingStore {
 public:
  CommitWatch(std::unique_ptr<store::Store> inner,
              std::shared_ptr<std::atomic<console::Console*>> console)
      : ForwardingStore(std::move(inner)), console_(std::move(console)) {}

  Status Commit(const std::vector<store::StepCommit>& steps) override {
    Status st = ForwardingStore::Commit(steps);
    console::Console* console = console_->load();
    if (st.ok() && console != nullptr) {
      for (const store::StepCommit& step : steps) console->Committed(step.execution.id);
    }
    return st;
  }

 private:
  std::shared_ptr<std::atomic<console::Console*>> console_;
};

// The address's host, for the loopback check.
bool Loopback(const std::string& address) {
  std::string host, port;
  if (!http::SplitHostPort(address, &host, &port)) return false;
  return http::IsLoopbackHost(host);
}

}  // namespace

int ServerCommand(const ServerOptions& options, std::ostream& out, std::ostream& err) {
  auto level = spdlog::level::from_str(options.log_level);
  if (level == spdlog::level::off && options.log_level != "off") {
    err << "stepflow server: --log-level must be trace, debug, info, warn, error or off\n";
    return 2;
  }
  if (options.log_format != "text" && options.log_format != "json") {
    err << "stepflow server: --log-format must be text or json\n";
    return 2;
  }
  auto log = MakeServerLogger(options.log_level, options.log_format);
  // Whatever way this returns, what is queued is written.
  struct LogFlush {
    ~LogFlush() { StopServerLogger(); }
  } log_flush;

  // Signals are taken by sigwait below: block them before any thread starts,
  // so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const bool http_on = options.http != "off";
  for (const std::string& address : {options.listen, http_on ? options.http : std::string()}) {
    if (address.empty() || Loopback(address) || options.allow_unauthenticated) continue;
    err << "stepflow server: refusing to listen on " << address
        << ": the APIs have no authentication yet, so anyone who reaches them can deploy code "
           "and start work; listen on loopback (127.0.0.1) or pass --allow-unauthenticated\n";
    return 2;
  }

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
  // Every execution's start and end (info) and steps (debug), as committed.
  auto console_slot = std::make_shared<std::atomic<console::Console*>>(nullptr);
  config.wrap_store = [log, console_slot](
                          std::unique_ptr<store::Store> opened) -> std::unique_ptr<store::Store> {
    return std::make_unique<CommitWatch>(
        std::make_unique<ExecutionLogStore>(std::move(opened), log), console_slot);
  };
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
  // Schedules fire from now on (and catch up on what fell due while the
  // server was down, as each trigger's policy says).
  triggers::SchedulerOptions scheduler_options;
  scheduler_options.grace_ms = options.trigger_grace_seconds * 1000;
  scheduler_options.log = [log](const std::string& message) { log->warn("{}", message); };
  triggers::Scheduler scheduler(engine.store.get(), engine.executor.get(),
                                engine.executor->clock(), scheduler_options);
  plane.api()->SetTriggerListener([&scheduler](const std::string& name) { scheduler.Reload(name); });
  if (Status st = scheduler.Start(); !st.ok()) {
    log->error("the trigger scheduler cannot start: {}", st.message());
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
  // The Step Functions HTTP API, over the same core as the gRPC service.
  http::AwsOptions aws_options;
  aws_options.region = options.aws_region;
  aws_options.account = options.aws_account;
  http::AwsApi aws(plane.api(), aws_options);
  http::HooksOptions hooks_options;
  hooks_options.region = options.aws_region.empty() ? "us-east-1" : options.aws_region;
  hooks_options.account = options.aws_account;
  http::Hooks hooks(plane.api(), hooks_options);
  http::TriggerApi trigger_api(plane.api());
  console::ConsoleOptions console_options;
  console_options.assets_dir = options.console_dir;
  console_options.region = options.aws_region.empty() ? "us-east-1" : options.aws_region;
  console_options.account = options.aws_account;
  console_options.local = engine.local.get();
  console_options.plane = plane.api();
  console::Console console(engine.store.get(), console_options);
  console_slot->store(&console);
  std::unique_ptr<http::Server> http_server;
  if (http_on) {
    auto started =
        http::Server::Start(options.http, Routes(&aws, &hooks, &trigger_api, &console,
                                                 Loopback(options.http)));
    if (!started.ok()) {
      err << "stepflow server: --http: " << started.status().message() << "\n";
      console_slot->store(nullptr);
      plane.BeginShutdown();
      engine.executor->Shutdown();
      loop.join();
      (*server)->Shutdown(std::chrono::milliseconds(0));
      return 2;
    }
    http_server = std::move(*started);
  }
  std::string host = options.listen.substr(0, options.listen.rfind(':'));
  out << "stepflow server listening on " << host << ":" << (*server)->port() << std::endl;
  if (http_server) {
    std::string http_host = options.http.substr(0, options.http.rfind(':'));
    out << "stepflow http listening on " << http_host << ":" << http_server->port() << std::endl;
    log->info("the console and the Step Functions API are on http://{}:{}", http_host,
              http_server->port());
  }
  if (options.allow_unauthenticated &&
      (!Loopback(options.listen) || (http_on && !Loopback(options.http)))) {
    log->warn("LISTENING BEYOND LOOPBACK WITHOUT AUTHENTICATION (--allow-unauthenticated): "
              "anyone who reaches {} can deploy code and start work",
              http_on ? options.listen + " and " + options.http : options.listen);
  }
  log->info("listening on {}:{} (database {}, {} execution(s) resumed)", host, (*server)->port(),
            options.db.empty() ? "./stepflow.db" : options.db, resumed->size());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  log->info("{}: shutting down", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  // New calls get UNAVAILABLE; the engine commits what it decided and stops
  // (calls waiting for a commit are answered by it); then the API closes,
  // giving calls still in flight a moment (gRPC also waits for idle
  // connections: that grace no longer moves any execution).
  scheduler.Stop();
  plane.BeginShutdown();
  engine.executor->Shutdown();
  loop.join();
  aws.Drain();  // long polls and sync starts return (the core is draining)
  hooks.Drain();
  // The listener first (no new request reaches the console), then the
  // console's readers and live streams.
  if (http_server) http_server->Shutdown();
  console_slot->store(nullptr);
  console.Shutdown();
  (*server)->Shutdown(std::chrono::seconds(1));
  log->info("stopped; unfinished executions are checkpointed");
  return loop_status.ok() ? 0 : 1;
}

}  // namespace stepflow::cli
