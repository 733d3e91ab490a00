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
  return 2;
}
