// The `stepflow` command.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "engine/cli/client.h"
#include "engine/cli/client_api.h"
#include "engine/cli/commands.h"
#include "engine/cli/server_command.h"
#include "engine/cli/usage.h"

namespace {

// The first of `names` given on the command line of `cmd` ("" = none).
std::string FirstGiven(CLI::App* cmd, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (cmd->get_option(name)->count() > 0) return name;
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"stepflow: a durable Amazon States Language workflow engine"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "stepflow 0.1.0");

  std::string validate_file;
  bool validate_json = false;
  auto* validate =
      app.add_subcommand("validate", "Check a definition (JSON or YAML) and report every problem");
  validate->add_option("FILE", validate_file, "definition file, or - for standard input")
      ->required();
  validate->add_flag("--json", validate_json, "print {\"valid\":…,\"diagnostics\":[…]}");

  std::string graph_file, graph_format = "dot";
  auto* graph = app.add_subcommand("graph", "Draw a definition as Graphviz DOT or Mermaid");
  graph->add_option("FILE", graph_file, "definition file, or - for standard input")->required();
  graph->add_option("--format", graph_format, "dot (default) or mermaid");

  // Options of the verbs that run or read executions (embedded mode).
  stepflow::cli::EngineOptions engine;
  // run and resume: always embedded. The exec and machine verbs: embedded
  // when --db (or another engine flag) is given, else through a server.
  auto add_db = [&](CLI::App* cmd, bool always_embedded = false) {
    cmd->add_option("--db", engine.db,
                    always_embedded
                        ? "database file (default ./stepflow.db; :memory: keeps nothing)"
                        : "work on this database file in this process, without a server");
  };
  auto add_engine = [&](CLI::App* cmd, bool always_embedded = false) {
    add_db(cmd, always_embedded);
    cmd->add_option("--functions", engine.functions,
                    "functions file applied to the catalog (YAML: functions: {NAME: HOST:PORT}, "
                    "integrations: {SERVICE:ACTION: NAME})");
    cmd->add_option("--functions-dir", engine.functions_dir,
                    "deploy every sub-folder of DIR as the function named after it (Python or "
                    "Node, with requirements.txt / package.json) before running");
    cmd->add_option("--data-dir", engine.data_dir,
                    "where deployed functions' code and environments are kept (default DB.d)");
    cmd->add_flag("--skip-waits", engine.skip_waits,
                  "skip time forward whenever no Task is in flight (Wait, back-off, timeouts)");
    cmd->add_option("--durability", engine.durability, "full (default) or normal")
        ->check(CLI::IsMember({"full", "normal"}));
    cmd->add_option("--max-history-events", engine.max_history_events,
                    "history events per execution before it fails (default 25000)")
        ->check(CLI::PositiveNumber);
  };
  // Options of the verbs that talk to a server.
  stepflow::cli::ClientOptions client;
  std::string server_flag;
  auto add_server = [&](CLI::App* cmd) {
    cmd->add_option(
        "--server", server_flag,
        "the server's gRPC address HOST:PORT (default: $STEPFLOW_SERVER, else 127.0.0.1:7233)");
  };
  auto add_client = [&](CLI::App* cmd, const char* json_help = "print JSON") {
    add_server(cmd);
    cmd->add_flag("--json", client.json, json_help);
  };

  std::string run_file, run_input, run_input_file, run_name;
  auto* run =
      app.add_subcommand("run", "Run one execution of a definition to its end, in this process");
  run->add_option("FILE", run_file, "definition file (JSON or YAML), or - for standard input")
      ->required();
  auto* run_input_opt = run->add_option("--input", run_input, "execution input (JSON text)");
  auto* run_input_file_opt =
      run->add_option("--input-file", run_input_file, "file with the execution input");
  run_input_opt->excludes(run_input_file_opt);
  run->add_option("--name", run_name, "execution name (default: a new UUID)");
  add_engine(run, /*always_embedded=*/true);
  run->add_flag("--json", engine.json, "print one JSON result line");

  auto* resume =
      app.add_subcommand("resume", "Run every unfinished execution in the database to its end");
  add_engine(resume, /*always_embedded=*/true);
  resume->add_flag("--json", engine.json, "print one JSON result line per execution");

  stepflow::cli::ServerOptions server_options;
  auto* server = app.add_subcommand("server", "Serve the control-plane API and run executions");
  server->add_option("--db", server_options.db, "database file (default ./stepflow.db)");
  server->add_option("--listen", server_options.listen,
                     "address to listen on, HOST:PORT (default 127.0.0.1:7233; port 0 = any)");
  server->add_option("--functions-dir", server_options.functions_dir,
                     "deploy every sub-folder of DIR as the function named after it at start");
  server->add_option("--data-dir", server_options.data_dir,
                     "where deployed functions' code and environments are kept (default DB.d)");
  server->add_option("--functions", server_options.functions,
                     "functions file applied to the catalog (YAML: functions: {NAME: HOST:PORT}, "
                    "integrations: {SERVICE:ACTION: NAME})");
  server->add_option("--durability", server_options.durability, "full (default) or normal")
      ->check(CLI::IsMember({"full", "normal"}));
  server
      ->add_option("--max-history-events", server_options.max_history_events,
                   "history events per execution before it fails (default 25000)")
      ->check(CLI::PositiveNumber);
  server->add_option("--trigger-grace", server_options.trigger_grace_seconds,
                     "seconds a schedule's occurrence may be late and still start as on time; "
                     "later it was missed and its catch-up policy decides (default 60)")
      ->check(CLI::Range(int64_t{1}, int64_t{86400}));
  server->add_option("--http", server_options.http,
                     "address of the HTTP listener (the Step Functions API), HOST:PORT "
                     "(default 127.0.0.1:8083; port 0 = any; off = none)");
  server->add_option("--aws-region", server_options.aws_region,
                     "region in the ARNs of the HTTP API (default: the request's credential "
                     "scope, else us-east-1)");
  server->add_option("--aws-account", server_options.aws_account,
                     "account in the ARNs of the HTTP API (default 123456789012)")
      ->check([](const std::string& v) {
        return v.size() == 12 && v.find_first_not_of("0123456789") == std::string::npos
                   ? std::string()
                   : std::string("an account is 12 digits");
      });
  server->add_option("--console-dir", server_options.console_dir,
                     "serve the web console's assets from DIR instead of the ones built in "
                     "(for working on the console)");
  server->add_flag("--allow-unauthenticated", server_options.allow_unauthenticated,
                   "listen on addresses other than loopback although the APIs have no "
                   "authentication yet (anyone who reaches them can deploy code and start work)");
  server->add_flag("--skip-waits", server_options.skip_waits,
                   "skip time forward whenever no Task is in flight (for tests)");
  server
      ->add_option("--log-level", server_options.log_level,
                   "trace, debug, info (default), warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  server
      ->add_option("--log-format", server_options.log_format,
                   "text (default) or json (one JSON object per line); every execution's start "
                   "and end are logged at info, each step at debug")
      ->check(CLI::IsMember({"text", "json"}));

  // ------------------------------------------------------------ exec verbs
  auto* exec = app.add_subcommand(
      "exec",
      "Start, inspect, stop and redrive executions (--server ADDR, $STEPFLOW_SERVER or "
      "127.0.0.1:7233; --db FILE: the engine in this process)");
  exec->require_subcommand(1);
  std::string exec_id, list_machine, list_status, next_token;
  int32_t max_results = 0;
  bool history_reverse = false, history_follow = false, history_logs = false, wait = false;

  stepflow::cli::StartArgs start_args;
  std::string start_input, start_input_file;
  auto* start = exec->add_subcommand(
      "start", "Start an execution (with --db: runs it here to its end and prints its result)");
  start->add_option("MACHINE", start_args.machine, "state machine name")->required();
  auto* start_input_opt = start->add_option("--input", start_input, "execution input (JSON text)");
  auto* start_input_file_opt = start->add_option(
      "--input-file", start_input_file, "file with the execution input (- for standard input)");
  start_input_opt->excludes(start_input_file_opt);
  start->add_option("--name", start_args.name, "execution name (default: a new UUID)");
  start->add_option("--version", start_args.version, "state machine version (default: newest)")
      ->check(CLI::PositiveNumber);
  start->add_flag("--wait", start_args.wait,
                  "wait for the execution to end and print its result as `run` does");
  add_engine(start);
  add_client(start, "print JSON (with --wait: the result line of `run --json`)");

  auto* describe = exec->add_subcommand("describe", "Show one execution");
  describe->add_option("ID", exec_id, "execution id")->required();
  add_db(describe);
  add_server(describe);
  describe->add_flag("--json", engine.json, "print JSON");

  auto* history = exec->add_subcommand("history", "Show an execution's history events");
  history->add_option("ID", exec_id, "execution id")->required();
  add_db(history);
  add_server(history);
  history->add_flag("--json", engine.json,
                    "print a JSON array of events (with --follow: one JSON event per line)");
  history->add_flag("--reverse", history_reverse, "newest event first");
  history->add_flag("--logs", history_logs,
                    "show what deployed functions wrote during each Task's call");
  history->add_flag("--follow", history_follow,
                    "keep printing events as they happen until the execution ends");
  history->add_option("--max-results", max_results, "print one page of N events")
      ->check(CLI::PositiveNumber);
  history->add_option("--next-token", next_token, "continue after an earlier page");

  bool oldest_first = false;
  auto* list = exec->add_subcommand("list", "List executions, newest first");
  add_db(list);
  add_server(list);
  list->add_option("--machine", list_machine, "only this state machine");
  list->add_option("--status", list_status, "only this status (RUNNING, SUCCEEDED, FAILED, ...)");
  list->add_option("--max-results", max_results, "print one page of N executions")
      ->check(CLI::PositiveNumber);
  list->add_option("--next-token", next_token, "continue after an earlier page");
  list->add_flag("--oldest-first", oldest_first, "oldest first");
  list->add_flag("--json", engine.json, "print JSON");

  std::string stop_error;
  std::string stop_cause;
  auto* stop = exec->add_subcommand("stop", "Stop a running execution (ABORTED)");
  stop->add_option("ID", exec_id, "execution id")->required();
  stop->add_option("--error", stop_error, "error name recorded in ExecutionAborted");
  auto* stop_cause_opt = stop->add_option("--cause", stop_cause, "cause recorded with it");
  add_db(stop);
  add_client(stop);

  auto* redrive = exec->add_subcommand(
      "redrive", "Redrive a FAILED, TIMED_OUT or ABORTED execution (embedded: runs it to its end)");
  redrive->add_option("ID", exec_id, "execution id")->required();
  add_engine(redrive);
  add_server(redrive);
  redrive->add_flag("--wait", wait,
                    "with a server: wait for the end and print the result as `run` does");
  redrive->add_flag("--json", engine.json, "print one JSON result line");

  // --------------------------------------------------------- machine verbs
  auto* machine = app.add_subcommand(
      "machine", "Manage state machines (on the server, or with --db in a database file)");
  machine->require_subcommand(1);
  std::string machine_name, machine_file;
  int64_t machine_version = 0;
  bool machine_purge = false;
  auto* machine_create = machine->add_subcommand("create", "Store a new state machine");
  auto* machine_update =
      machine->add_subcommand("update", "Store a new version of a state machine");
  for (auto* cmd : {machine_create, machine_update}) {
    cmd->add_option("NAME", machine_name, "state machine name")->required();
    cmd->add_option("FILE", machine_file, "definition file (JSON or YAML), or - for standard input")
        ->required();
    add_db(cmd);
    add_client(cmd);
  }
  auto* machine_describe = machine->add_subcommand("describe", "Show a state machine version");
  machine_describe->add_option("NAME", machine_name, "state machine name")->required();
  machine_describe->add_option("--version", machine_version, "version (default: newest)")
      ->check(CLI::PositiveNumber);
  add_db(machine_describe);
  add_client(machine_describe);
  auto* machine_list = machine->add_subcommand("list", "List state machines");
  add_db(machine_list);
  add_client(machine_list);
  auto* machine_delete = machine->add_subcommand(
      "delete", "Delete a state machine (its closed executions stay readable unless --purge)");
  machine_delete->add_option("NAME", machine_name, "state machine name")->required();
  machine_delete->add_flag("--purge", machine_purge,
                           "also delete its executions and their history");
  add_db(machine_delete);
  add_client(machine_delete);

  // ------------------------------------------------------- functions verbs
  auto* functions = app.add_subcommand("functions", "Manage the function catalog");
  functions->require_subcommand(1);
  std::string function_name, function_endpoint;
  auto* functions_register =
      functions->add_subcommand("register", "Map a function name to a FunctionService endpoint");
  functions_register->add_option("NAME", function_name, "function name")->required();
  functions_register
      ->add_option("ENDPOINT", function_endpoint, "HOST:PORT or unix:/path of the worker")
      ->required();
  add_client(functions_register);
  auto* functions_list = functions->add_subcommand("list", "List registered functions");
  add_client(functions_list);
  auto* functions_remove =
      functions->add_subcommand("remove", "Remove a function with its versions and aliases");
  functions_remove->add_option("NAME", function_name, "function name")->required();
  add_client(functions_remove);
  std::string function_alias, integration, mapped_function;
  int64_t alias_version = 0;
  auto* functions_alias =
      functions->add_subcommand("alias", "Point an alias (NAME:ALIAS) at a version");
  functions_alias->add_option("NAME", function_name, "function name")->required();
  functions_alias->add_option("ALIAS", function_alias, "alias name, like prod")->required();
  functions_alias->add_option("VERSION", alias_version, "version number")
      ->required()
      ->check(CLI::PositiveNumber);
  add_client(functions_alias);
  auto* functions_unalias = functions->add_subcommand("unalias", "Remove an alias");
  functions_unalias->add_option("NAME", function_name, "function name")->required();
  functions_unalias->add_option("ALIAS", function_alias, "alias name")->required();
  add_client(functions_unalias);
  auto* functions_map = functions->add_subcommand(
      "map", "Run a service integration (arn:aws:states:::SERVICE:ACTION) with a function");
  functions_map->add_option("INTEGRATION", integration, "SERVICE:ACTION, like sns:publish")
      ->required();
  functions_map->add_option("FUNCTION", mapped_function, "NAME[:VERSION|:ALIAS]")->required();
  add_client(functions_map);
  auto* functions_unmap = functions->add_subcommand("unmap", "Remove an integration's mapping");
  functions_unmap->add_option("INTEGRATION", integration, "SERVICE:ACTION")->required();
  add_client(functions_unmap);
  auto* functions_integrations =
      functions->add_subcommand("integrations", "List the mapped service integrations");
  add_client(functions_integrations);

  std::string deploy_dir, invoke_payload = "{}", logs_execution;
  std::vector<std::string> deploy_env;
  stepflow::cli::DeployFlags deploy;
  int64_t invoke_timeout = 0;
  bool logs_follow = false;
  auto* functions_deploy = functions->add_subcommand(
      "deploy", "Deploy a Python or Node function from a folder as a new version");
  functions_deploy->add_option("NAME", function_name, "function name")->required();
  functions_deploy->add_option("DIR", deploy_dir, "the function's folder")->required();
  functions_deploy->add_option("--runtime", deploy.runtime, "python or node (default: told from the files)")
      ->check(CLI::IsMember({"python", "node"}));
  functions_deploy->add_option("--handler", deploy.handler,
                               "MODULE.FUNCTION (default handler.handler, or index.handler for node)");
  functions_deploy->add_option("--timeout", deploy.timeout, "seconds a call may take (default 60)");
  functions_deploy->add_option("--memory-mb", deploy.memory_mb, "memory of an instance (default 512)");
  functions_deploy->add_option("--max-instances", deploy.max_instances,
                               "instances running at once (default 8)");
  functions_deploy->add_option("--min-instances", deploy.min_instances,
                               "instances kept when idle (default 0)");
  functions_deploy->add_option("--keep-warm", deploy.keep_warm,
                               "seconds an idle instance is kept (default 60)");
  functions_deploy->add_option("--env", deploy_env, "KEY=VALUE for the handler (repeatable)");
  functions_deploy->add_flag("--no-network", deploy.no_network, "instances have no network");
  functions_deploy->add_flag("--no-sandbox", deploy.no_sandbox, "instances run without bubblewrap");
  functions_deploy->add_option("--mount", deploy.mounts,
                               "a host folder the sandbox shows at the same path: PATH (read-write) "
                               "or PATH:ro (repeatable)");
  add_client(functions_deploy);
  auto* functions_describe =
      functions->add_subcommand("describe", "Show a function's versions, settings and instances");
  functions_describe->add_option("NAME", function_name, "function name")->required();
  add_client(functions_describe);
  auto* functions_delete =
      functions->add_subcommand("delete", "Delete a function with its versions and aliases");
  functions_delete->add_option("NAME", function_name, "function name")->required();
  add_client(functions_delete);
  auto* functions_invoke =
      functions->add_subcommand("invoke", "Call a function once and print its result");
  functions_invoke->add_option("FUNCTION", function_name, "NAME[:VERSION|:ALIAS]")->required();
  functions_invoke->add_option("--payload", invoke_payload, "the event (JSON text, default {})");
  functions_invoke->add_option("--timeout", invoke_timeout, "seconds to wait (default: the function's)");
  add_client(functions_invoke);
  auto* functions_logs =
      functions->add_subcommand("logs", "Show what a deployed function wrote during its calls");
  functions_logs->add_option("NAME", function_name, "function name")->required();
  functions_logs->add_option("--execution", logs_execution, "only the calls of this execution");
  functions_logs->add_flag("--follow", logs_follow, "keep printing new output until interrupted");
  add_client(functions_logs);

  // --------------------------------------------------------- trigger verbs
  auto* trigger = app.add_subcommand("trigger", "Schedules and webhooks that start executions");
  trigger->require_subcommand(1);
  std::string trigger_name, trigger_file, trigger_from, trigger_to, trigger_input;
  stepflow::cli::TriggerFlags trigger_flags;
  int trigger_occurrences = 10;
  auto* trigger_create = trigger->add_subcommand(
      "create", "Create a schedule (--schedule) or webhook (--webhook) trigger");
  trigger_create->add_option("NAME", trigger_name, "trigger name (1-56 of A-Z a-z 0-9 . _ -)")
      ->required();
  trigger_create->add_option("--machine", trigger_flags.machine, "MACHINE[:VERSION] to start")
      ->required();
  trigger_create->add_option("--schedule", trigger_flags.schedule,
                             "cron(M H DOM MON DOW Y), rate(N unit) or at(yyyy-mm-ddThh:mm:ss)");
  trigger_create->add_flag("--webhook", trigger_flags.webhook, "POST /hooks/NAME starts it");
  trigger_create->add_option("--timezone", trigger_flags.timezone, "IANA time zone (default UTC)");
  trigger_create->add_option("--start", trigger_flags.start, "RFC 3339: no occurrence before");
  trigger_create->add_option("--end", trigger_flags.end, "RFC 3339: no occurrence from then on");
  trigger_create->add_option("--jitter", trigger_flags.jitter,
                             "seconds: each occurrence fires up to this much later (deterministic)");
  auto* trigger_input_opt = trigger_create->add_option(
      "--input", trigger_flags.input, "input template (JSON; \"{% expr %}\" strings are JSONata)");
  trigger_create->add_option("--overlap", trigger_flags.overlap,
                             "skip (default), buffer-one, buffer-all, cancel-other, allow-all");
  trigger_create->add_option("--catchup", trigger_flags.catchup,
                             "after downtime: none, latest (default), all");
  trigger_create->add_option("--catchup-window", trigger_flags.catchup_window,
                             "seconds back that catch-up looks (default 86400)");
  trigger_create->add_option("--catchup-max", trigger_flags.catchup_max,
                             "catch-up all: at most this many runs (default 100)");
  trigger_create->add_option("--remaining", trigger_flags.remaining,
                             "scheduled runs left; then the trigger stops firing");
  trigger_create->add_option("--auth", trigger_flags.auth, "webhook: hmac, bearer or none")
      ->check(CLI::IsMember({"hmac", "bearer", "none"}));
  trigger_create->add_option("--secret", trigger_flags.secret,
                             "webhook: the HMAC secret or the bearer token");
  trigger_create->add_option("--tolerance", trigger_flags.tolerance,
                             "webhook hmac: seconds a signature's timestamp may be off (default 300)");
  trigger_create->add_flag("--paused", trigger_flags.paused, "create it paused");
  add_client(trigger_create);
  auto* trigger_apply =
      trigger->add_subcommand("apply", "Create or replace a trigger from a YAML or JSON file");
  trigger_apply->add_option("FILE", trigger_file, "the trigger's description")->required();
  add_client(trigger_apply);
  auto* trigger_list = trigger->add_subcommand("list", "List triggers");
  add_client(trigger_list);
  auto* trigger_describe = trigger->add_subcommand(
      "describe", "Show a trigger, its next fire times and its latest occurrences");
  trigger_describe->add_option("NAME", trigger_name, "trigger name")->required();
  trigger_describe->add_option("--occurrences", trigger_occurrences,
                               "how many of the latest occurrences (default 10, -1 all)");
  add_client(trigger_describe);
  auto* trigger_pause = trigger->add_subcommand("pause", "Stop a trigger firing");
  trigger_pause->add_option("NAME", trigger_name, "trigger name")->required();
  add_client(trigger_pause);
  auto* trigger_unpause =
      trigger->add_subcommand("unpause", "Fire again from now on (nothing missed is started)");
  trigger_unpause->add_option("NAME", trigger_name, "trigger name")->required();
  add_client(trigger_unpause);
  auto* trigger_run = trigger->add_subcommand("run", "Start an execution of a trigger now");
  trigger_run->add_option("NAME", trigger_name, "trigger name")->required();
  auto* trigger_run_input =
      trigger_run->add_option("--input", trigger_input, "the input as is (JSON)");
  add_client(trigger_run);
  auto* trigger_backfill = trigger->add_subcommand(
      "backfill", "Start a schedule's occurrences of a past range (safe to repeat)");
  trigger_backfill->add_option("NAME", trigger_name, "trigger name")->required();
  trigger_backfill->add_option("--from", trigger_from, "RFC 3339 or Unix seconds (inclusive)")
      ->required();
  trigger_backfill->add_option("--to", trigger_to, "RFC 3339 or Unix seconds (exclusive)")
      ->required();
  add_client(trigger_backfill);
  auto* trigger_delete = trigger->add_subcommand("delete", "Delete a trigger and its occurrences");
  trigger_delete->add_option("NAME", trigger_name, "trigger name")->required();
  add_client(trigger_delete);

  // ------------------------------------------------------------ task verbs
  auto* task = app.add_subcommand("task", "Work on activity and callback tasks");
  task->require_subcommand(1);
  std::string task_activity, task_worker, task_token, task_output = "{}", task_error, task_cause;
  int32_t task_wait_seconds = 0;
  auto* task_poll = task->add_subcommand("poll", "Wait for a task of an activity");
  task_poll->add_option("ACTIVITY", task_activity, "activity name or ARN")->required();
  task_poll->add_option("--worker", task_worker, "worker name recorded in ActivityStarted");
  task_poll->add_option("--wait-seconds", task_wait_seconds, "long-poll bound (default 60)")
      ->check(CLI::NonNegativeNumber);
  add_client(task_poll, "accepted for symmetry: the task is always printed as JSON");
  auto* task_success = task->add_subcommand("success", "Complete a task with its output");
  task_success->add_option("TOKEN", task_token, "task token")->required();
  task_success->add_option("--output", task_output, "task output (JSON text, default {})");
  add_client(task_success);
  auto* task_failure = task->add_subcommand("failure", "Fail a task");
  task_failure->add_option("TOKEN", task_token, "task token")->required();
  task_failure->add_option("--error", task_error, "error name Retry/Catch match on");
  task_failure->add_option("--cause", task_cause, "cause for people");
  add_client(task_failure);
  auto* task_heartbeat = task->add_subcommand("heartbeat", "Report that a task is still worked on");
  task_heartbeat->add_option("TOKEN", task_token, "task token")->required();
  add_client(task_heartbeat);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return stepflow::cli::ReportParseError(app, e, std::cerr);
  }

  if (validate->parsed()) {
    return stepflow::cli::ValidateCommand(validate_file, validate_json, std::cout, std::cerr);
  }
  if (graph->parsed()) {
    return stepflow::cli::GraphCommand(graph_file, graph_format, std::cout, std::cerr);
  }
  using namespace stepflow::cli;
  if (run->parsed()) {
    return RunCommand(run_file, run_input_opt->count() ? &run_input : nullptr,
                      run_input_file_opt->count() ? &run_input_file : nullptr, run_name, engine,
                      std::cout, std::cerr);
  }
  if (resume->parsed()) return ResumeCommand(engine, std::cout, std::cerr);
  if (server->parsed()) return ServerCommand(server_options, std::cout, std::cerr);

  // One --json flag whichever verb it was given to.
  client.json = client.json || engine.json;
  engine.json = client.json;
  const bool json = client.json;

  // The exec and machine verbs, written once against an ApiClient: a server
  // (--server, $STEPFLOW_SERVER, else 127.0.0.1:7233) or, with --db (or
  // another flag of the engine), the engine in this process.
  struct ApiVerb {
    CLI::App* cmd;
    bool runs_executions;  // takes the engine's flags (--functions, --skip-waits, ...)
    LocalAccess access;
  };
  const ApiVerb api_verbs[] = {
      {start, true, LocalAccess::kWrite},
      {describe, false, LocalAccess::kRead},
      {history, false, LocalAccess::kRead},
      {list, false, LocalAccess::kRead},
      {stop, false, LocalAccess::kStop},
      {redrive, true, LocalAccess::kWrite},
      {machine_create, false, LocalAccess::kCreate},
      {machine_update, false, LocalAccess::kCreate},
      {machine_describe, false, LocalAccess::kRead},
      {machine_list, false, LocalAccess::kRead},
      {machine_delete, false, LocalAccess::kWrite},
  };
  for (const ApiVerb& v : api_verbs) {
    CLI::App* cmd = v.cmd;
    if (!cmd->parsed()) continue;
    const std::string verb = cmd->get_parent()->get_name() + " " + cmd->get_name();
    const std::string embedded_flag =
        v.runs_executions
            ? FirstGiven(cmd, {"--db", "--functions", "--functions-dir", "--data-dir",
                               "--skip-waits", "--durability", "--max-history-events"})
            : FirstGiven(cmd, {"--db"});
    if (!ChooseServer(verb, server_flag, embedded_flag, /*has_embedded_mode=*/true,
                      std::getenv(kServerEnv), &client.server, std::cerr, &client.default_server)) {
      return 2;
    }
    client.has_embedded_mode = true;
    std::unique_ptr<ApiClient> api;
    if (client.server.empty()) {
      api = OpenLocal(verb, engine, v.access, std::cerr);
      if (!api) return 2;
    } else {
      api = ConnectRemote(verb, client, std::cerr);
    }
    if (cmd == start) {
      if (start_input_opt->count()) start_args.input = start_input;
      if (start_input_file_opt->count()) start_args.input_file = start_input_file;
      return StartVerb(*api, start_args, json, std::cout);
    }
    if (cmd == describe) return DescribeVerb(*api, exec_id, json, std::cout);
    if (cmd == history) {
      HistoryArgs args;
      args.id = exec_id;
      args.reverse = history_reverse;
      args.follow = history_follow;
      args.max_results = max_results;
      args.next_token = next_token;
      args.logs = history_logs;
      return HistoryVerb(*api, args, json, std::cout);
    }
    if (cmd == list) {
      ListArgs args{list_machine, list_status, max_results, next_token, oldest_first};
      return ListVerb(*api, args, json, std::cout);
    }
    if (cmd == stop) {
      std::optional<std::string> cause;
      if (stop_cause_opt->count()) cause = stop_cause;
      return StopVerb(*api, exec_id, stop_error, cause, json, std::cout);
    }
    if (cmd == redrive) return RedriveVerb(*api, exec_id, wait, json, std::cout);
    if (cmd == machine_create || cmd == machine_update) {
      return MachinePutVerb(*api, machine_name, machine_file, cmd == machine_update, json,
                            std::cout);
    }
    if (cmd == machine_describe) {
      return MachineDescribeVerb(*api, machine_name, machine_version, json, std::cout);
    }
    if (cmd == machine_list) return MachineListVerb(*api, json, std::cout);
    return MachineDeleteVerb(*api, machine_name, machine_purge, json, std::cout);
  }

  // The verbs that exist only with a server.
  CLI::App* server_verbs[] = {
      functions_register, functions_list,     functions_remove, functions_alias,
      functions_unalias,  functions_map,      functions_unmap,  functions_integrations,
      functions_deploy,   functions_describe, functions_delete, functions_invoke,
      functions_logs,     task_poll,          task_success,     task_failure,
      task_heartbeat,     trigger_create,     trigger_apply,    trigger_list,
      trigger_describe,   trigger_pause,      trigger_unpause,  trigger_run,
      trigger_backfill,   trigger_delete};
  for (CLI::App* cmd : server_verbs) {
    if (!cmd->parsed()) continue;
    const std::string verb = cmd->get_parent()->get_name() + " " + cmd->get_name();
    if (!ChooseServer(verb, server_flag, "", /*has_embedded_mode=*/false, std::getenv(kServerEnv),
                      &client.server, std::cerr, &client.default_server)) {
      return 2;
    }
    break;
  }
  if (trigger_create->parsed()) {
    trigger_flags.has_input = trigger_input_opt->count() > 0;
    return TriggerCreateCommand(trigger_name, trigger_flags, client, std::cout, std::cerr);
  }
  if (trigger_apply->parsed()) return TriggerApplyCommand(trigger_file, client, std::cout, std::cerr);
  if (trigger_list->parsed()) return TriggerListCommand(client, std::cout, std::cerr);
  if (trigger_describe->parsed()) {
    return TriggerDescribeCommand(trigger_name, trigger_occurrences, client, std::cout, std::cerr);
  }
  if (trigger_pause->parsed() || trigger_unpause->parsed()) {
    return TriggerPauseCommand(trigger_name, trigger_pause->parsed(), client, std::cout, std::cerr);
  }
  if (trigger_run->parsed()) {
    return TriggerRunCommand(trigger_name, trigger_run_input->count() ? &trigger_input : nullptr,
                             client, std::cout, std::cerr);
  }
  if (trigger_backfill->parsed()) {
    return TriggerBackfillCommand(trigger_name, trigger_from, trigger_to, client, std::cout,
                                  std::cerr);
  }
  if (trigger_delete->parsed()) return TriggerDeleteCommand(trigger_name, client, std::cout, std::cerr);
  if (functions_register->parsed()) {
    return FunctionsRegisterCommand(function_name, function_endpoint, client, std::cout, std::cerr);
  }
  if (functions_list->parsed()) return FunctionsListCommand(client, std::cout, std::cerr);
  if (functions_deploy->parsed()) {
    for (const std::string& kv : deploy_env) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "stepflow functions deploy: --env " << kv << ": expected KEY=VALUE\n";
        return 2;
      }
      deploy.env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    return FunctionsDeployCommand(function_name, deploy_dir, deploy, client, std::cout, std::cerr);
  }
  if (functions_describe->parsed()) {
    return FunctionsDescribeCommand(function_name, client, std::cout, std::cerr);
  }
  if (functions_delete->parsed()) {
    return FunctionsDeleteCommand(function_name, client, std::cout, std::cerr);
  }
  if (functions_invoke->parsed()) {
    return FunctionsInvokeCommand(function_name, invoke_payload, invoke_timeout, client, std::cout,
                                  std::cerr);
  }
  if (functions_logs->parsed()) {
    return FunctionsLogsCommand(function_name, logs_execution, logs_follow, client, std::cout,
                                std::cerr);
  }
  if (functions_remove->parsed()) {
    return FunctionsRemoveCommand(function_name, client, std::cout, std::cerr);
  }
  if (functions_alias->parsed()) {
    return FunctionsAliasCommand(function_name, function_alias, alias_version, client, std::cout,
                                 std::cerr);
  }
  if (functions_unalias->parsed()) {
    return FunctionsUnaliasCommand(function_name, function_alias, client, std::cout, std::cerr);
  }
  if (functions_map->parsed()) {
    return FunctionsMapCommand(integration, mapped_function, client, std::cout, std::cerr);
  }
  if (functions_unmap->parsed()) {
    return FunctionsUnmapCommand(integration, client, std::cout, std::cerr);
  }
  if (functions_integrations->parsed()) {
    return FunctionsIntegrationsCommand(client, std::cout, std::cerr);
  }
  if (task_poll->parsed()) {
    return TaskPollCommand(task_activity, task_worker, task_wait_seconds, client, std::cout,
                           std::cerr);
  }
  if (task_success->parsed()) {
    return TaskSuccessCommand(task_token, task_output, client, std::cout, std::cerr);
  }
  if (task_failure->parsed()) {
    return TaskFailureCommand(task_token, task_error, task_cause, client, std::cout, std::cerr);
  }
  if (task_heartbeat->parsed())
    return TaskHeartbeatCommand(task_token, client, std::cout, std::cerr);
  return 2;
}
