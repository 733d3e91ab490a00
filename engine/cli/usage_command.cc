#include <CLI/CLI.hpp>
#include <algorithm>
#include <ostream>

#include "engine/cli/usage.h"

namespace stepflow::cli {

size_t EditDistance(const std::string& a, const std::string& b) {
  // Optimal string alignment: Levenshtein plus swaps of neighbours.
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string Closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::string::npos;
  for (const std::string& c : candidates) {
    const size_t distance = EditDistance(word, c);
    if (distance < best_distance) {
      best = c;
      best_distance = distance;
    }
  }
  // "--" counts as part of the word but not as a sign of its meaning.
  const size_t letters = word.size() - std::min<size_t>(word.find_first_not_of('-'), word.size());
  const size_t allowed = std::max<size_t>(2, letters / 3);
  return best_distance <= allowed && best_distance < letters ? best : "";
}

namespace {

// "stepflow exec list": the command line up to `cmd`.
std::string CommandPath(const CLI::App* cmd) {
  std::string path;
  for (const CLI::App* a = cmd; a != nullptr; a = a->get_parent()) {
    path = (a->get_parent() == nullptr ? std::string("stepflow") : a->get_name()) +
           (path.empty() ? "" : " " + path);
  }
  return path;
}

std::vector<std::string> OptionNames(const CLI::App* cmd) {
  std::vector<std::string> names = {"--help"};
  for (const CLI::Option* opt : cmd->get_options()) {
    for (const std::string& l : opt->get_lnames()) names.push_back("--" + l);
    for (const std::string& s : opt->get_snames()) names.push_back("-" + s);
  }
  return names;
}

std::vector<std::string> SubcommandNames(const CLI::App* cmd) {
  std::vector<std::string> names;
  for (const CLI::App* sub : cmd->get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

}  // namespace

int ReportParseError(CLI::App& app, const CLI::ParseError& error, std::ostream& err) {
  // The command the error is about: the last subcommand given.
  CLI::App* cmd = &app;
  for (;;) {
    CLI::App* next = nullptr;
    for (CLI::App* sub : cmd->get_subcommands()) next = sub;
    if (next == nullptr) break;
    cmd = next;
  }
  const std::string path = CommandPath(cmd);
  const std::string help = "Run '" + path + " --help' for more information.\n";
  const std::vector<std::string> extras = cmd->remaining();
  const std::vector<std::string> subcommands = SubcommandNames(cmd);

  // A word where a command was expected.
  if (!subcommands.empty() && !extras.empty() && extras.front().rfind("-", 0) != 0) {
    const std::string& word = extras.front();
    err << path << ": unknown command '" << word << "'";
    if (std::string near = Closest(word, subcommands); !near.empty()) {
      err << " (did you mean '" << near << "'?)";
    }
    err << "; the commands are: " << Join(subcommands) << "\n" << help;
    return 2;
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr && !extras.empty()) {
    const std::vector<std::string> options = OptionNames(cmd);
    for (const std::string& extra : extras) {
      if (extra.rfind("-", 0) == 0 && extra.size() > 1) {
        const std::string name = extra.substr(0, extra.find('='));
        err << path << ": unknown option " << name;
        if (std::string near = Closest(name, options); !near.empty()) {
          err << " (did you mean " << near << "?)";
        }
        err << "\n";
      } else {
        err << path << ": unexpected argument '" << extra << "'\n";
      }
    }
    err << help;
    return 2;
  }
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr && !subcommands.empty() &&
      extras.empty() && cmd->get_subcommands().empty()) {
    err << path << ": a command is needed: " << Join(subcommands) << "\n" << help;
    return 2;
  }
  err << path << ": " << error.what() << "\n" << help;
  return 2;
}

}  // namespace stepflow::cli
