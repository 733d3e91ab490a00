// Usage errors of the `stepflow` command line, said so a user can act on
// them: an unknown option or command names the closest one that exists
// ("unknown option --sever (did you mean --server?)"). CLI11 has no such
// suggestion; its errors are caught in main and handed here.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace stepflow::cli {

// Prints the error for `error` (thrown by app.parse) on `err` and returns
// the exit code (2, or CLI11's own for --help and the like).
int ReportParseError(CLI::App& app, const CLI::ParseError& error, std::ostream& err);

// The edit distance between two words (insertions, deletions,
// substitutions and swaps of neighbours each count 1).
size_t EditDistance(const std::string& a, const std::string& b);

// The candidate closest to `word`, when it is close enough to be a typo of
// it (a distance of at most 2, or a third of the word's length); "" else.
std::string Closest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace stepflow::cli
