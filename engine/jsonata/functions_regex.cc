// $match, $replace, $split and $contains, and calling a regex as a function
// (ApplyRegex). A "matcher" is a regex or any function that follows
// jsonata-js's protocol: called with a string it returns undefined or
// {match, start, end, groups, next}, where start/end count UTF-16 units and
// next() returns the following match the same way.
//
// With a regex the functions walk the matches directly over byte offsets;
// with any other matcher they go through the protocol. Both follow
// jsonata-js's order of calls exactly, including asking for the next match
// after the last one a limit lets through (which is when a regex that
// matches the empty string raises D1004).
#include <cmath>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/jsonata/error.h"
#include "engine/jsonata/function.h"
#include "engine/jsonata/regex.h"

namespace stepflow::jsonata {
namespace {

// Results past this many bytes raise U1001 instead of exhausting memory.
constexpr size_t kMaxResultBytes = size_t{1} << 28;

Value Arg(std::span<const Value> args, size_t i) { return i < args.size() ? args[i] : Value(); }

[[noreturn]] void Raise(CallContext& ctx, const char* code, std::string_view fn, Value value = {},
                        int index = 0) {
  Error e(code, ctx.Position(), std::string(fn));
  e.value = std::move(value);
  e.index = index;
  e.Fill();
  throw e;
}

void CheckSize(CallContext& ctx, const std::string& s) {
  if (s.size() <= kMaxResultBytes) return;
  Error e("U1001", ctx.Position(), "replace");
  e.message = "The result of $replace exceeds the size limit";
  throw e;
}

// JavaScript truthiness (not JSONata's $boolean): what `if (result)` sees.
bool JsTruthy(const Value& v) {
  switch (v.type()) {
    case Value::Type::kUndefined:
    case Value::Type::kNull: return false;
    case Value::Type::kBoolean: return v.boolean();
    case Value::Type::kNumber: return v.number() != 0 && !std::isnan(v.number());
    case Value::Type::kString: return !v.str().empty();
    default: return true;
  }
}

// JavaScript's String(v), as `re.exec(v)` and string concatenation coerce.
void AppendJsString(std::string& out, const Value& v, int depth) {
  switch (v.type()) {
    case Value::Type::kUndefined: out += "undefined"; break;
    case Value::Type::kNull: out += "null"; break;
    case Value::Type::kBoolean: out += v.boolean() ? "true" : "false"; break;
    case Value::Type::kNumber: out += NumberToString(v.number()); break;
    case Value::Type::kString: out += v.str(); break;
    case Value::Type::kObject: out += "[object Object]"; break;
    case Value::Type::kFunction: break;
    case Value::Type::kArray:
      if (depth > 32) break;
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out += ',';
        Value item = v.at(i);
        if (!item.IsUndefined() && !item.IsNull()) AppendJsString(out, item, depth + 1);
      }
      break;
  }
}

std::string JsString(const Value& v) {
  std::string out;
  AppendJsString(out, v, 0);
  return out;
}

// A byte offset in a subject with its UTF-16 offset, from which later
// offsets are counted without rescanning the text before it.
struct Anchor {
  size_t byte = 0;
  size_t units = 0;
  size_t UnitsAt(std::string_view s, size_t b) const {
    return units + Utf16Length(s.substr(byte, b - byte));
  }
  // Moves to byte `b` (at or after this one) and returns its UTF-16 offset.
  size_t Advance(std::string_view s, size_t b) {
    units = UnitsAt(s, b);
    byte = b;
    return units;
  }
};

// The match after one ending at byte `end`, as jsonata-js's `next` finds it:
// none once the end of the subject is reached, D1004 for an empty match.
std::optional<Regex::Match> NextMatch(CallContext& ctx, const Regex& re, std::string_view s,
                                      size_t end, std::string_view fn) {
  if (end >= s.size()) return std::nullopt;
  std::optional<Regex::Match> m = re.Exec(s, end);
  if (m && m->start == m->end) Raise(ctx, "D1004", fn, Value::String(re.pattern()));
  return m;
}

Value GroupsArray(std::string_view s, const Regex::Match& m) {
  std::vector<Value> groups;
  groups.reserve(m.groups.size());
  for (const auto& g : m.groups) {
    groups.push_back(g ? Value::String(s.substr(g->first, g->second - g->first)) : Value());
  }
  return Value::NewArray(std::move(groups));
}

Value MatchObject(const std::shared_ptr<Regex>& re, const std::shared_ptr<const std::string>& subject,
                  const Regex::Match& m, Anchor anchor);

// The `next` of a match object made by a regex: the match after byte `end_`.
class RegexNext : public ClosureFunction {
 public:
  RegexNext(std::shared_ptr<Regex> re, std::shared_ptr<const std::string> subject, Anchor end)
      : re_(std::move(re)), subject_(std::move(subject)), end_(end) {}

  Value Call(CallContext& ctx, std::span<const Value>) const override {
    std::optional<Regex::Match> m = NextMatch(ctx, *re_, *subject_, end_.byte, "");
    if (!m) return {};
    return MatchObject(re_, subject_, *m, end_);
  }

 private:
  std::shared_ptr<Regex> re_;
  std::shared_ptr<const std::string> subject_;
  Anchor end_;
};

// {match, start, end, groups, next} for `m`, which lies after `anchor`.
Value MatchObject(const std::shared_ptr<Regex>& re, const std::shared_ptr<const std::string>& subject,
                  const Regex::Match& m, Anchor anchor) {
  std::string_view s = *subject;
  Anchor start{m.start, anchor.UnitsAt(s, m.start)};
  Anchor end{m.end, start.UnitsAt(s, m.end)};
  Value obj = Value::NewObject();
  Object& o = obj.MutableObject();
  o.Set("match", Value::String(s.substr(m.start, m.end - m.start)));
  o.Set("start", Value::Number(static_cast<double>(start.units)));
  o.Set("end", Value::Number(static_cast<double>(end.units)));
  o.Set("groups", GroupsArray(s, m));
  o.Set("next", Value::FromFunction(std::make_shared<RegexNext>(re, subject, end)));
  return obj;
}

std::shared_ptr<Regex> RegexOf(const Value& v) {
  if (!v.IsFunction() || v.function()->kind() != Function::Kind::kRegex) return nullptr;
  return std::static_pointer_cast<Regex>(v.function());
}

Value CallFunction(CallContext& ctx, const Value& fn, std::vector<Value> args) {
  if (fn.IsFunction()) {
    const Function& f = *fn.function();
    if (f.kind() == Function::Kind::kClosure) {
      return static_cast<const ClosureFunction&>(f).Call(ctx, args);
    }
    if (f.kind() == Function::Kind::kRegex) {
      return ApplyRegex(ctx, RegexOf(fn), args.empty() ? Value() : args[0],
                        args.size() > 1 ? args[1] : Value());
    }
  }
  return ctx.Apply(fn, std::move(args));
}

// jsonata-js's evaluateMatcher: calls the matcher and checks the shape of
// what it returns.
Value EvaluateMatcher(CallContext& ctx, const Value& matcher, const Value& arg,
                      std::string_view fn) {
  if (!matcher.IsFunction()) Raise(ctx, "T1010", fn);
  Value result = CallFunction(ctx, matcher, {arg});
  if (JsTruthy(result)) {
    bool ok = result.IsObject() &&
              (result.Get("start").IsNumber() || result.Get("groups").IsArray() ||
               result.Get("next").IsFunction());
    if (!ok) Raise(ctx, "T1010", fn);
  }
  return result;
}

// A matcher function finds at most one match per position; one that keeps
// returning matches beyond a few per UTF-16 unit of the subject would only
// grow the result until the time limit, so it stops with U1001.
double MatcherCap(std::string_view s) { return 4.0 * static_cast<double>(Utf16Length(s) + 1) + 1024; }

void CheckMatcherCount(CallContext& ctx, double count, double cap, std::string_view fn) {
  ctx.CheckTimeLimit();
  if (count <= cap) return;
  Error e("U1001", ctx.Position(), std::string(fn));
  e.message = "The matcher function returned more matches than its string has positions";
  throw e;
}

Value Field(const Value& obj, std::string_view key) {
  return obj.IsObject() ? obj.Get(key) : Value();
}

// A position field of a match object as JavaScript reads it: undefined
// stays undefined (substring's end then means the end of the text), a
// non-number is NaN.
std::optional<double> PositionField(const Value& obj, std::string_view key) {
  Value v = Field(obj, key);
  if (v.IsUndefined()) return std::nullopt;
  return v.IsNumber() ? v.number() : NAN;
}

// String.prototype.substring over UTF-16 units; an undefined `end` is the
// end of the text, an undefined `start` 0.
std::string_view JsSubstring(std::string_view s, std::optional<double> start,
                             std::optional<double> end) {
  double len = static_cast<double>(Utf16Length(s));
  auto clamp = [&](double x) {
    if (std::isnan(x)) return 0.0;
    return std::min(std::max(std::trunc(x), 0.0), len);
  };
  double a = start ? clamp(*start) : 0, b = end ? clamp(*end) : len;
  if (a > b) std::swap(a, b);
  size_t from = ByteOffsetOfUtf16(s, static_cast<size_t>(a));
  size_t to = ByteOffsetOfUtf16(s, static_cast<size_t>(b));
  return s.substr(from, to - from);
}

// parseInt(text, 10): leading white space, a sign, then digits.
std::optional<long long> JsParseInt(std::string_view t) {
  size_t i = 0;
  while (i < t.size() && (t[i] == ' ' || (t[i] >= '\t' && t[i] <= '\r'))) ++i;
  bool negative = false;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) negative = t[i++] == '-';
  if (i >= t.size() || t[i] < '0' || t[i] > '9') return std::nullopt;
  long long v = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9' && v < 1'000'000'000) v = v * 10 + (t[i++] - '0');
  return negative ? -v : v;
}

size_t DecimalLength(long long v) { return std::to_string(v).size(); }

// The replacement text for one match: $$ is "$", $0 the match, $n group n
// (with jsonata-js's rule for how many digits n may take), other $ literal.
void Substitute(std::string_view rep, std::string_view match,
                const std::vector<std::optional<std::string_view>>& groups, std::string& out) {
  size_t position = 0;
  size_t index = rep.find('$');
  while (index != std::string_view::npos && position < rep.size()) {
    out += rep.substr(position, index - position);
    position = index + 1;
    char dollar = position < rep.size() ? rep[position] : '\0';
    if (dollar == '$') {
      out += '$';
      ++position;
    } else if (dollar == '0') {
      out += match;
      ++position;
    } else {
      size_t n = groups.size();
      size_t max_digits =
          n == 0 ? 1
                 : static_cast<size_t>(std::floor(std::log(static_cast<double>(n)) *
                                                  0.4342944819032518)) + 1;
      std::optional<long long> k = JsParseInt(rep.substr(position, max_digits));
      if (max_digits > 1 && k && *k > static_cast<long long>(n)) {
        k = JsParseInt(rep.substr(position, max_digits - 1));
      }
      if (k) {
        if (n > 0 && *k >= 1 && *k <= static_cast<long long>(n) && groups[*k - 1]) {
          out += *groups[*k - 1];
        }
        position = std::min(rep.size(), position + DecimalLength(*k));
      } else {
        out += '$';
      }
    }
    index = rep.find('$', position);
  }
  if (position < rep.size()) out += rep.substr(position);
}

std::vector<std::optional<std::string_view>> GroupViews(std::string_view s, const Regex::Match& m) {
  std::vector<std::optional<std::string_view>> out;
  out.reserve(m.groups.size());
  for (const auto& g : m.groups) {
    if (g) {
      out.emplace_back(s.substr(g->first, g->second - g->first));
    } else {
      out.emplace_back();
    }
  }
  return out;
}

bool UnderLimit(const Value& limit, double count) {
  return limit.IsUndefined() || count < limit.number();
}

// ---- $match ----

Value MatchFn(CallContext& ctx, std::span<const Value> args) {
  const Value str = Arg(args, 0), matcher = Arg(args, 1), limit = Arg(args, 2);
  if (!str.IsString()) return {};
  if (limit.IsNumber() && limit.number() < 0) Raise(ctx, "D3040", "match", limit, 3);
  Value result = Value::NewArray();
  Array& items = result.MutableArray();
  items.sequence = true;
  if (!limit.IsUndefined() && !(limit.number() > 0)) return result;
  double count = 0;
  if (auto re = RegexOf(matcher)) {
    std::string_view s = str.str();
    Anchor at;
    std::optional<Regex::Match> m = re->Exec(s, 0);
    while (m && UnderLimit(limit, count)) {
      Value obj = Value::NewObject();
      Object& o = obj.MutableObject();
      o.Set("match", Value::String(s.substr(m->start, m->end - m->start)));
      o.Set("index", Value::Number(static_cast<double>(at.Advance(s, m->start))));
      o.Set("groups", GroupsArray(s, *m));
      items.items.push_back(std::move(obj));
      m = NextMatch(ctx, *re, s, m->end, "match");
      ++count;
      ctx.CheckTimeLimit();
    }
    return result;
  }
  Value m = EvaluateMatcher(ctx, matcher, str, "match");
  const double cap = MatcherCap(str.str());
  while (!m.IsUndefined() && UnderLimit(limit, count)) {
    Value obj = Value::NewObject();
    Object& o = obj.MutableObject();
    for (auto [from, to] : {std::pair<const char*, const char*>{"match", "match"},
                            {"start", "index"}, {"groups", "groups"}}) {
      Value v = Field(m, from);
      if (!v.IsUndefined()) o.Set(to, std::move(v));
    }
    items.items.push_back(std::move(obj));
    m = EvaluateMatcher(ctx, Field(m, "next"), Value(), "match");
    ++count;
    CheckMatcherCount(ctx, count, cap, "match");
  }
  return result;
}

// ---- $contains ----

Value ContainsFn(CallContext& ctx, std::span<const Value> args) {
  const Value str = Arg(args, 0), token = Arg(args, 1);
  if (!str.IsString()) return {};
  if (token.IsString()) return Value::Boolean(str.str().find(token.str()) != std::string_view::npos);
  if (auto re = RegexOf(token)) return Value::Boolean(re->Exec(str.str(), 0).has_value());
  return Value::Boolean(!EvaluateMatcher(ctx, token, str, "contains").IsUndefined());
}

// ---- $replace ----

// The text a replacement (string or function) gives for one match object.
void AppendReplacement(CallContext& ctx, const Value& replacement, const Value& match_obj,
                       std::string_view match_text,
                       const std::vector<std::optional<std::string_view>>& groups,
                       std::string& out) {
  if (replacement.IsString()) {
    Substitute(replacement.str(), match_text, groups, out);
    return;
  }
  Value r = CallFunction(ctx, replacement, {match_obj});
  if (!r.IsString()) Raise(ctx, "D3012", "replace", r);
  out += r.str();
}

Value ReplaceFn(CallContext& ctx, std::span<const Value> args) {
  const Value str = Arg(args, 0), pattern = Arg(args, 1), replacement = Arg(args, 2),
              limit = Arg(args, 3);
  if (!str.IsString()) return {};
  if (pattern.IsString() && pattern.str().empty()) Raise(ctx, "D3010", "replace", pattern, 2);
  if (limit.IsNumber() && limit.number() < 0) Raise(ctx, "D3011", "replace", limit, 4);
  if (!limit.IsUndefined() && !(limit.number() > 0)) return str;
  std::string_view s = str.str();
  std::string out;
  double count = 0;

  if (pattern.IsString()) {
    // A plain string pattern is replaced by the replacement as it is. (With
    // a function as replacement jsonata-js would paste the function's
    // source text; here the function gets a match object instead.)
    std::string_view p = pattern.str();
    size_t position = 0;
    Anchor at;
    size_t index = s.find(p);
    while (index != std::string_view::npos && UnderLimit(limit, count)) {
      out += s.substr(position, index - position);
      if (replacement.IsString()) {
        out += replacement.str();
      } else {
        Value obj = Value::NewObject();
        Object& o = obj.MutableObject();
        o.Set("match", pattern);
        o.Set("start", Value::Number(static_cast<double>(at.Advance(s, index))));
        o.Set("end", Value::Number(static_cast<double>(at.Advance(s, index + p.size()))));
        o.Set("groups", Value::NewArray());
        AppendReplacement(ctx, replacement, obj, p, {}, out);
      }
      CheckSize(ctx, out);
      position = index + p.size();
      ++count;
      index = s.find(p, position);
    }
    out += s.substr(position);
    return Value::String(std::move(out));
  }

  if (auto re = RegexOf(pattern)) {
    std::optional<Regex::Match> m = re->Exec(s, 0);
    if (!m) return str;
    // The subject is copied only when a function replacement needs match objects.
    std::shared_ptr<const std::string> subject;
    Anchor anchor;
    size_t position = 0;
    while (m && UnderLimit(limit, count)) {
      out += s.substr(position, m->start - position);
      std::string_view text = s.substr(m->start, m->end - m->start);
      Value obj;
      if (!replacement.IsString()) {
        if (!subject) subject = std::make_shared<const std::string>(s);
        obj = MatchObject(re, subject, *m, anchor);
        anchor = Anchor{m->end, static_cast<size_t>(Field(obj, "end").number())};
      }
      AppendReplacement(ctx, replacement, obj, text, GroupViews(s, *m), out);
      CheckSize(ctx, out);
      position = m->end;
      ++count;
      m = NextMatch(ctx, *re, s, m->end, "replace");
      ctx.CheckTimeLimit();
    }
    out += s.substr(position);
    return Value::String(std::move(out));
  }

  Value m = EvaluateMatcher(ctx, pattern, str, "replace");
  const double cap = MatcherCap(s);
  if (m.IsUndefined()) return str;
  double position = 0;
  while (!m.IsUndefined() && UnderLimit(limit, count)) {
    std::optional<double> start = PositionField(m, "start");
    out += JsSubstring(s, position, start);
    Value text = Field(m, "match");
    std::string text_storage = JsString(text);
    std::vector<std::string> group_storage;
    std::vector<std::optional<std::string_view>> groups;
    Value g = Field(m, "groups");
    if (g.IsArray()) {
      group_storage.reserve(g.size());
      for (size_t i = 0; i < g.size(); ++i) {
        Value item = g.at(i);
        group_storage.push_back(item.IsUndefined() ? std::string() : JsString(item));
      }
      for (size_t i = 0; i < g.size(); ++i) {
        if (g.at(i).IsUndefined()) {
          groups.emplace_back();
        } else {
          groups.emplace_back(group_storage[i]);
        }
      }
    }
    AppendReplacement(ctx, replacement, m, text_storage, groups, out);
    CheckSize(ctx, out);
    position = (start ? *start : NAN) +
               (text.IsString() ? static_cast<double>(Utf16Length(text.str())) : NAN);
    ++count;
    m = EvaluateMatcher(ctx, Field(m, "next"), Value(), "replace");
    CheckMatcherCount(ctx, count, cap, "replace");
  }
  out += JsSubstring(s, position, std::nullopt);
  return Value::String(std::move(out));
}

// ---- $split ----

// String.prototype.split with a string separator (an empty one splits into
// code points) and ToUint32 of the limit.
Value SplitByString(std::string_view s, std::string_view sep, const Value& limit) {
  double lim = 4294967295.0;
  if (!limit.IsUndefined()) {
    double l = limit.number();
    lim = std::isfinite(l) ? std::fmod(std::trunc(l), 4294967296.0) : 0;
    if (lim < 0) lim += 4294967296.0;
  }
  std::vector<Value> parts;
  if (lim == 0) return Value::NewArray();
  if (sep.empty()) {
    for (size_t i = 0; i < s.size() && parts.size() < lim;) {
      size_t next = ByteOffsetOfCodePoint(s.substr(i), 1);
      parts.push_back(Value::String(s.substr(i, next)));
      i += next;
    }
    return Value::NewArray(std::move(parts));
  }
  size_t position = 0;
  for (;;) {
    size_t index = s.find(sep, position);
    if (index == std::string_view::npos) break;
    parts.push_back(Value::String(s.substr(position, index - position)));
    if (parts.size() >= lim) return Value::NewArray(std::move(parts));
    position = index + sep.size();
  }
  parts.push_back(Value::String(s.substr(position)));
  return Value::NewArray(std::move(parts));
}

Value SplitFn(CallContext& ctx, std::span<const Value> args) {
  const Value str = Arg(args, 0), separator = Arg(args, 1), limit = Arg(args, 2);
  if (!str.IsString()) return {};
  if (limit.IsNumber() && limit.number() < 0) Raise(ctx, "D3020", "split", limit, 3);
  if (!limit.IsUndefined() && !(limit.number() > 0)) return Value::NewArray();
  std::string_view s = str.str();
  if (separator.IsString()) return SplitByString(s, separator.str(), limit);

  std::vector<Value> parts;
  double count = 0;
  if (auto re = RegexOf(separator)) {
    std::optional<Regex::Match> m = re->Exec(s, 0);
    if (!m) return Value::NewArray({str});
    size_t start = 0;
    while (m && UnderLimit(limit, count)) {
      parts.push_back(Value::String(s.substr(start, m->start - start)));
      start = m->end;
      m = NextMatch(ctx, *re, s, m->end, "split");
      ++count;
      ctx.CheckTimeLimit();
    }
    if (UnderLimit(limit, count)) parts.push_back(Value::String(s.substr(start)));
    return Value::NewArray(std::move(parts));
  }

  Value m = EvaluateMatcher(ctx, separator, str, "split");
  const double cap = MatcherCap(s);
  if (m.IsUndefined()) return Value::NewArray({str});
  std::optional<double> start = 0;
  while (!m.IsUndefined() && UnderLimit(limit, count)) {
    parts.push_back(Value::String(JsSubstring(s, start, PositionField(m, "start"))));
    start = PositionField(m, "end");
    m = EvaluateMatcher(ctx, Field(m, "next"), Value(), "split");
    ++count;
    CheckMatcherCount(ctx, count, cap, "split");
  }
  if (UnderLimit(limit, count)) parts.push_back(Value::String(JsSubstring(s, start, std::nullopt)));
  return Value::NewArray(std::move(parts));
}

constexpr BuiltinSpec kRegexFunctions[] = {
    {"match", "<s-f<s:o>n?:a<o>>", MatchFn},
    {"contains", "<s-(sf):b>", ContainsFn},
    {"replace", "<s-(sf)(sf)n?:s>", ReplaceFn},
    {"split", "<s-(sf)n?:a<s>>", SplitFn},
};

}  // namespace

Value ApplyRegex(CallContext& ctx, const std::shared_ptr<Regex>& re, const Value& subject) {
  return ApplyRegex(ctx, re, subject, Value());
}

Value ApplyRegex(CallContext&, const std::shared_ptr<Regex>& re, const Value& subject,
                 const Value& from_index) {
  auto s = std::make_shared<const std::string>(subject.IsString() ? std::string(subject.str())
                                                                  : JsString(subject));
  // re.lastIndex = fromIndex || 0
  size_t from = 0;
  if (from_index.IsNumber() && from_index.number() > 0) {
    double units = std::trunc(from_index.number());
    if (units > static_cast<double>(Utf16Length(*s))) return {};
    from = ByteOffsetOfUtf16(*s, static_cast<size_t>(units));
  }
  std::optional<Regex::Match> m = re->Exec(*s, from);
  if (!m) return {};
  return MatchObject(re, s, *m, Anchor{});
}

std::span<const BuiltinSpec> RegexFunctions() { return kRegexFunctions; }

}  // namespace stepflow::jsonata
