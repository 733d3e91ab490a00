// Regular expressions with ECMAScript (JavaScript RegExp) semantics, as
// jsonata-js hands them to $match, $replace, $split and $contains: the
// syntax of /.../ literals, flags i and m, backtracking with JavaScript's
// rules (lazy and greedy quantifiers, groups, backreferences, lookahead,
// lookbehind, classes, \d\w\s\b, unicode escapes), matching over the code
// points of UTF-8 text.
//
// Matching is bounded: every match counts its backtracking steps and
// raises U1001 past a budget, so a pathological
// pattern ends with an error instead of hanging, and recursion never grows
// the native stack without bound.
//
// Thread-safety: a compiled Regex is immutable and may match on several
// threads at once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/jsonata/function.h"

namespace stepflow::jsonata {

class Regex : public Function {
 public:
  struct Match {
    size_t start = 0;  // byte offsets into the subject
    size_t end = 0;
    // Capture groups 1..n: byte ranges, nullopt when the group did not take part.
    std::vector<std::optional<std::pair<size_t, size_t>>> groups;
  };

  // Compiles `pattern` with `flags` ("", "i", "m", "im"). Throws Error S0302
  // (unterminated literal, raised by the parser) / D2001-style codes are the
  // parser's; here a bad pattern throws Error{"S0303"} with the reason.
  static std::shared_ptr<Regex> Compile(std::string_view pattern, std::string_view flags);

  // The first match starting at or after byte offset `from` (a code point
  // boundary) in `subject`, or nullopt.
  std::optional<Match> Exec(std::string_view subject, size_t from) const;

  const std::string& pattern() const { return pattern_; }
  const std::string& flags() const { return flags_; }

  Regex() : Function(Kind::kRegex) {}
  ~Regex() override;

 private:
  struct Program;
  std::string pattern_;
  std::string flags_;
  std::shared_ptr<const Program> program_;
};

// Calling a regex as a function, `/ab/(str)` or inside $match: the match
// object {match, start, end, groups} jsonata-js's matcher returns, with a `next`
// function for the following match; undefined when nothing matches
// (functions_regex.cc).
Value ApplyRegex(CallContext& ctx, const std::shared_ptr<Regex>& re, const Value& subject);
// The same with jsonata-js's second parameter: the search starts at UTF-16
// offset `from_index` when that is a positive number (as when $map/$filter
// pass an item's index to a regex used as their function); past the end of
// the subject nothing matches.
Value ApplyRegex(CallContext& ctx, const std::shared_ptr<Regex>& re, const Value& subject,
                 const Value& from_index);

}  // namespace stepflow::jsonata
