#include "engine/jsonata/regex.h"

#include "engine/jsonata/error.h"
#include "engine/jsonata/regex_program.h"

namespace stepflow::jsonata {

struct Regex::Program {
  regex_internal::Program code;
};

Regex::~Regex() = default;

std::shared_ptr<Regex> Regex::Compile(std::string_view pattern, std::string_view flags) {
  bool ignore_case = false, multiline = false;
  std::string reason;
  for (char f : flags) {
    bool& flag = f == 'i' ? ignore_case : multiline;
    if ((f != 'i' && f != 'm') || flag) {
      reason = "Invalid flags";
      break;
    }
    flag = true;
  }
  auto program = std::make_shared<Program>();
  if (reason.empty()) {
    regex_internal::CompilePattern(pattern, ignore_case, multiline, program->code, reason);
  }
  if (!reason.empty()) {
    // The message quotes at most kQuoted bytes of the pattern (cut at a
    // code point boundary), as patterns may be up to 64 KiB.
    constexpr size_t kQuoted = 120;
    std::string quoted(pattern.substr(0, kQuoted));
    if (pattern.size() > kQuoted) {
      while (!quoted.empty() && (static_cast<unsigned char>(quoted.back()) & 0xC0) == 0x80) {
        quoted.pop_back();
      }
      if (!quoted.empty() && static_cast<unsigned char>(quoted.back()) >= 0xC0) quoted.pop_back();
      quoted += "...";
    }
    Error e("S0303", -1, quoted);
    e.value = Value::String(quoted);
    e.message = "Invalid regular expression: /" + quoted + "/: " + reason;
    throw e;
  }
  auto re = std::make_shared<Regex>();
  re->pattern_ = std::string(pattern);
  re->flags_ = std::string(flags);
  re->program_ = std::move(program);
  return re;
}

std::optional<Regex::Match> Regex::Exec(std::string_view subject, size_t from) const {
  std::vector<int64_t> caps;
  size_t end = 0;
  if (!regex_internal::Search(program_->code, subject, from, caps, &end)) return std::nullopt;
  Match m;
  m.start = static_cast<size_t>(caps[0]);
  m.end = end;
  m.groups.resize(program_->code.group_count);
  for (uint32_t g = 1; g <= program_->code.group_count; ++g) {
    int64_t s = caps[2 * g], e = caps[2 * g + 1];
    if (s >= 0 && e >= 0) m.groups[g - 1] = std::make_pair(static_cast<size_t>(s), static_cast<size_t>(e));
  }
  return m;
}

}  // namespace stepflow::jsonata
