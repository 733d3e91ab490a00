// Internal to the regex engine (regex.cc, regex_compile.cc, regex_match.cc):
// the compiled program a Regex runs, the limits that bound it, and the
// Unicode helpers both halves share.
//
// A pattern compiles to a list of instructions for a backtracking machine:
// the machine keeps a position, a program counter and an explicit stack of
// choice points and undo records, so neither the pattern nor the subject
// ever grows the native stack. Registers hold capture positions, loop
// counters and loop start positions; every write to a register pushes an
// undo record, which is how backtracking restores them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stepflow::jsonata::regex_internal {

// Patterns longer than this (bytes) are refused at compile time.
inline constexpr size_t kMaxPatternBytes = 64 * 1024;
// Groups, lookarounds and classes nested deeper than this are refused
// (the parser and the compiler recurse once per level).
inline constexpr int kMaxNesting = 200;
// One Exec may execute this many instructions (summed over every start
// position it tries) before it raises U1001. About a tenth of a second.
inline constexpr uint64_t kMaxSteps = 10'000'000;
// One Exec may hold this many backtrack entries (16 bytes each: 32 MiB).
inline constexpr size_t kMaxBacktrackEntries = 2 * 1024 * 1024;

inline constexpr uint32_t kInfinite = UINT32_MAX;
inline constexpr uint32_t kNoReg = UINT32_MAX;

enum class Op : uint8_t {
  kChar,        // a = code point (canonical when the program folds case)
  kAny,         // any code point but a line terminator
  kClass,       // a = index into Program::classes
  kLineStart,   // ^
  kLineEnd,     // $
  kWordBoundary,     // \b
  kNotWordBoundary,  // \B
  kBackref,     // a = group number
  kSplit,       // try x first, then y
  kJmp,         // go to x
  kSave,        // register a := position
  kClear,       // registers [a, b) := unset (captures of a repeated atom)
  kSetZero,     // register a := 0 (a loop counter)
  kRepeat,      // loop head: counter a, bounds min/max, greedy; x = exit
  kRepeatEnd,   // counter a += 1 and go to x; fails when the iteration
                // matched nothing past the minimum (b = its start register)
  kCheckProgress,  // fail when position == register a (empty iteration)
  kLookStart,   // negative?; x = where to continue after the lookaround
  kLookEnd,     // the lookaround's body matched
  kMatch,
};

struct Inst {
  Op op;
  bool backward = false;  // consuming ops and backrefs inside a lookbehind
  bool greedy = true;     // kRepeat
  bool negative = false;  // kLookStart
  uint32_t a = 0;
  uint32_t b = 0;
  uint32_t x = 0;
  uint32_t y = 0;
  uint32_t min = 0;
  uint32_t max = 0;
};

// A set of code points as sorted, disjoint, non-adjacent ranges.
struct CharClass {
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  bool negated = false;
  bool Contains(uint32_t c) const;
};

struct Program {
  std::vector<Inst> insts;
  std::vector<CharClass> classes;
  uint32_t group_count = 0;  // capturing groups, not counting the whole match
  uint32_t reg_count = 0;    // 2 * (group_count + 1) capture slots, then loop registers
  bool ignore_case = false;
  bool multiline = false;
  // Search hints: the match can only start at 0 (^ without m), or only
  // where the subject has `first_bytes` (a literal the match begins with).
  bool anchored = false;
  std::string first_bytes;
};

// Compiles `pattern` (UTF-8) into `out`; on a bad pattern returns false and
// sets `error` to the reason (regex_compile.cc).
bool CompilePattern(std::string_view pattern, bool ignore_case, bool multiline, Program& out,
                    std::string& error);

// Finds the first match starting at or after byte `from` (regex_match.cc):
// `captures` gets 2 * (group_count + 1) byte offsets (start, end pairs; -1
// for a group that took no part) and `match_end` the end of the match.
// Throws Error U1001 past kMaxSteps or kMaxBacktrackEntries.
bool Search(const Program& p, std::string_view subject, size_t from,
            std::vector<int64_t>& captures, size_t* match_end);

// ECMAScript's Canonicalize for non-unicode patterns with the i flag: the
// simple uppercase of c, or c itself when that uppercase is several
// characters or when it would turn a non-ASCII character into ASCII
// (regex_match.cc).
uint32_t Canonicalize(uint32_t c);
// Calls f(x) for every code point x != c with Canonicalize(x) == c.
template <typename F>
void ForEachCaseVariant(uint32_t canonical, F&& f);
// The code points whose uppercase is `upper` (with the exclusions above).
std::pair<const uint32_t*, const uint32_t*> LowercasesOf(uint32_t upper);

template <typename F>
void ForEachCaseVariant(uint32_t canonical, F&& f) {
  auto [b, e] = LowercasesOf(canonical);
  for (const uint32_t* p = b; p != e; ++p) f(*p);
}

inline bool IsLineTerminator(uint32_t c) {
  return c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029;
}
inline bool IsWordChar(uint32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// UTF-8 decoding that never fails: a malformed byte reads as U+FFFD, one
// byte long. `i` < s.size() for DecodeAt, 0 < `i` <= s.size() for DecodeBefore.
uint32_t DecodeAt(std::string_view s, size_t i, size_t* len);
uint32_t DecodeBefore(std::string_view s, size_t i, size_t* len);

}  // namespace stepflow::jsonata::regex_internal
