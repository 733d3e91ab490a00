// The `stepflow` command.
#include <CLI/CLI.hpp>
#include <iostream>

#include "engine/cli/commands.h"

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
  auto add_db = [&](CLI::App* cmd) {
    cmd->add_option("--db", engine.db,
                    "database file (default ./stepflow.db; :memory: keeps nothing)");
  };
  auto add_engine = [&](CLI::App* cmd) {
    add_db(cmd);
    cmd->add_option("--functions", engine.functions,
                    "function registry (YAML: functions: {name: host:port})");
    cmd->add_flag("--skip-waits", engine.skip_waits,
                  "skip time forward whenever no Task is in flight (Wait, back-off, timeouts)");
    cmd->add_option("--durability", engine.durability, "full (default) or normal")
        ->check(CLI::IsMember({"full", "normal"}));
    cmd->add_option("--max-history-events", engine.max_history_events,
                    "history events per execution before it fails (default 25000)")
        ->check(CLI::PositiveNumber);
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
  add_engine(run);
  run->add_flag("--json", engine.json, "print one JSON result line");

  auto* resume =
      app.add_subcommand("resume", "Run every unfinished execution in the database to its end");
  add_engine(resume);
  resume->add_flag("--json", engine.json, "print one JSON result line per execution");

  auto* exec = app.add_subcommand("exec", "Inspect and redrive executions");
  exec->require_subcommand(1);
  std::string exec_id, list_machine, list_status;
  bool history_reverse = false;
  auto* describe = exec->add_subcommand("describe", "Show one execution");
  describe->add_option("ID", exec_id, "execution id")->required();
  add_db(describe);
  describe->add_flag("--json", engine.json, "print JSON");
  auto* history = exec->add_subcommand("history", "Show an execution's history events");
  history->add_option("ID", exec_id, "execution id")->required();
  add_db(history);
  history->add_flag("--json", engine.json, "print a JSON array of events");
  history->add_flag("--reverse", history_reverse, "newest event first");
  auto* list = exec->add_subcommand("list", "List executions");
  add_db(list);
  list->add_option("--machine", list_machine, "only this state machine");
  list->add_option("--status", list_status, "only this status (RUNNING, SUCCEEDED, FAILED, ...)");
  list->add_flag("--json", engine.json, "print JSON");
  auto* redrive = exec->add_subcommand(
      "redrive", "Redrive a FAILED, TIMED_OUT or ABORTED execution and run it to its end");
  redrive->add_option("ID", exec_id, "execution id")->required();
  add_engine(redrive);
  redrive->add_flag("--json", engine.json, "print one JSON result line");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
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
  if (describe->parsed()) return ExecDescribeCommand(exec_id, engine, std::cout, std::cerr);
  if (history->parsed()) {
    return ExecHistoryCommand(exec_id, engine, history_reverse, std::cout, std::cerr);
  }
  if (list->parsed())
    return ExecListCommand(list_machine, list_status, engine, std::cout, std::cerr);
  if (redrive->parsed()) return ExecRedriveCommand(exec_id, engine, std::cout, std::cerr);
  return 2;
}
