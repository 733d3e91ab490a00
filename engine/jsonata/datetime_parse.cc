// $toMillis with a picture: jsonata-js 2.0.6 turns the picture into one
// anchored, case-insensitive regular expression with a group per part,
// reads each group back, then fills in the date. The expression's pieces
// are few (literals, digit runs, letter runs, an alternation of number
// words), so they are matched here directly, backtracking in the order a
// JavaScript RegExp would so the groups split the text the same way.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/jsonata/datetime_picture.h"
#include "engine/jsonata/error.h"

namespace stepflow::jsonata::datetime {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int64_t kUnbounded = -1;

constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};
constexpr const char* kDays[] = {"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
// Looked up in a plain JavaScript object, these names find
// Object.prototype's methods: defined, truthy, not numbers.
constexpr std::u32string_view kPrototypeNames[] = {U"constructor",   U"hasOwnProperty",
                                                   U"isPrototypeOf", U"propertyIsEnumerable",
                                                   U"toString",      U"valueOf",
                                                   U"toLocaleString"};

enum class CharClass { kDigit, kAlpha, kRoman, kSign, kAny, kNothing };

struct Elem {
  enum Kind { kLiteral, kRepeat, kOrdinalSuffix, kWords } kind = kLiteral;
  std::u32string text;  // kLiteral
  CharClass cls = CharClass::kDigit;
  int64_t min = 1, max = 1;  // kRepeat; max kUnbounded = no limit
};

// A value read from the text: a number, undefined, or (a prototype method
// or the "am"/"pm" of the current time) something truthy that is no number.
struct Comp {
  enum Kind { kUndefined, kNumber, kOther } kind = kUndefined;
  double n = kNaN;
  bool Truthy() const { return kind == kOther || (kind == kNumber && n != 0 && !std::isnan(n)); }
};

struct PartMatcher {
  enum Parse { kNone, kInteger, kZone, kNames } parse = kNone;
  std::vector<Elem> elems;
  char32_t component = 0;
  IntegerFormat format;                     // kInteger
  std::optional<char32_t> separator;        // kZone
  std::map<std::u32string, double> names;   // kNames
};

char32_t Fold(char32_t c) {
  if (c >= U'a' && c <= U'z') return c - 32;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7) || (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) ||
      (c >= 0x430 && c <= 0x44F)) {
    return c - 32;
  }
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  return c;
}

bool MatchesAt(std::u32string_view text, size_t p, std::u32string_view literal) {
  if (literal.size() > text.size() - p) return false;
  for (size_t i = 0; i < literal.size(); ++i) {
    if (Fold(text[p + i]) != Fold(literal[i])) return false;
  }
  return true;
}

bool InClass(CharClass cls, char32_t c) {
  switch (cls) {
    case CharClass::kDigit:
      return c >= U'0' && c <= U'9';
    case CharClass::kAlpha:
      return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
    case CharClass::kRoman:
      return std::u32string_view(U"MDCLXVImdclxvi").find(c) != std::u32string_view::npos;
    case CharClass::kSign:
      return c == U'+' || c == U'-';
    case CharClass::kAny:
      return c != U'\n' && c != U'\r' && c != 0x2028 && c != 0x2029;
    case CharClass::kNothing:
      return false;
  }
  return false;
}

Elem Literal(std::u32string text) { return Elem{Elem::kLiteral, std::move(text), CharClass::kDigit, 1, 1}; }
Elem Repeat(CharClass cls, int64_t min, int64_t max) { return Elem{Elem::kRepeat, {}, cls, min, max}; }

int64_t ClampCount(double n) { return n > 4e18 ? int64_t{4000000000000000000} : static_cast<int64_t>(n); }

// `[0-9]{a,b}` as jsonata-js writes it; a quantifier that is no valid one
// ("{-1,2}") is, in a JavaScript RegExp without the u flag, literal text.
void AddDigits(std::vector<Elem>& elems, const IntegerFormat& f) {
  if (!(f.n > 0)) {
    elems.push_back(Repeat(CharClass::kDigit, 1, kUnbounded));
    return;
  }
  double lo = f.optional_digits == 0 ? f.n : f.n - f.optional_digits;
  std::string lo_text = JsNumberText(lo);
  std::string hi_text = JsNumberText(f.n);
  std::string quantifier = "{" + lo_text + (f.optional_digits == 0 ? "" : "," + hi_text) + "}";
  auto plain = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (plain(lo_text) && plain(hi_text)) {
    elems.push_back(Repeat(CharClass::kDigit, ClampCount(lo), ClampCount(f.n)));
  } else {
    elems.push_back(Repeat(CharClass::kDigit, 1, 1));
    elems.push_back(Literal(std::u32string(quantifier.begin(), quantifier.end())));
  }
}

PartMatcher IntegerMatcher(const PicturePart& part) {
  PartMatcher m;
  m.parse = PartMatcher::kInteger;
  m.format = *part.integer_format;
  m.format.n = part.n;
  switch (m.format.primary) {
    case Primary::kLetters:
      m.elems.push_back(Repeat(CharClass::kAlpha, 1, kUnbounded));
      break;
    case Primary::kRoman:
      m.elems.push_back(Repeat(CharClass::kRoman, 1, kUnbounded));
      break;
    case Primary::kWords:
      m.elems.push_back(Elem{Elem::kWords, {}, CharClass::kDigit, 1, kUnbounded});
      break;
    case Primary::kDecimal:
      AddDigits(m.elems, m.format);
      if (m.format.ordinal) m.elems.push_back(Elem{Elem::kOrdinalSuffix, {}, CharClass::kDigit, 1, 1});
      break;
    case Primary::kSequence:
      Throw("D3130", -1, {}, Value::String(ToUtf8(m.format.token)));
  }
  return m;
}

PartMatcher ZoneMatcher(const PicturePart& part) {
  PartMatcher m;
  m.parse = PartMatcher::kZone;
  const IntegerFormat& f = *part.integer_format;
  if (f.regular) m.separator = f.separators[0].character[0];
  if (part.component == U'z') m.elems.push_back(Literal(U"GMT"));
  m.elems.push_back(Repeat(CharClass::kSign, 1, 1));
  m.elems.push_back(Repeat(CharClass::kDigit, 1, kUnbounded));
  if (m.separator) {
    // The separator goes into the expression unescaped.
    char32_t sep = *m.separator;
    if (sep == U'.') {
      m.elems.push_back(Repeat(CharClass::kAny, 1, 1));
    } else if (sep == U'$' || sep == U'^') {
      m.elems.push_back(Repeat(CharClass::kNothing, 1, 1));
    } else {
      m.elems.push_back(Literal(std::u32string(1, sep)));
    }
    m.elems.push_back(Repeat(CharClass::kDigit, 1, kUnbounded));
  }
  return m;
}

PartMatcher NamesMatcher(const PicturePart& part) {
  PartMatcher m;
  m.parse = PartMatcher::kNames;
  m.elems.push_back(Repeat(CharClass::kAlpha, 1, kUnbounded));
  bool truncate = part.width && part.width->max && *part.width->max != 0 && !std::isnan(*part.width->max);
  auto key = [&](const char* name) {
    std::u32string k(name, name + std::char_traits<char>::length(name));
    if (truncate) k = k.substr(0, static_cast<size_t>(std::clamp(*part.width->max, 0.0, 1e9)));
    return k;
  };
  if (part.component == U'M' || part.component == U'x') {
    for (int i = 0; i < 12; ++i) m.names[key(kMonths[i])] = i + 1;
  } else if (part.component == U'F') {
    for (int i = 1; i < 8; ++i) m.names[key(kDays[i])] = i;
  } else if (part.component == U'P') {
    m.names = {{U"am", 0}, {U"AM", 0}, {U"pm", 1}, {U"PM", 1}};
  } else {
    Throw("D3133", -1, {}, Value::String(ToUtf8(std::u32string(1, part.component))));
  }
  return m;
}

std::vector<PartMatcher> Matchers(const std::vector<PicturePart>& parts) {
  std::vector<PartMatcher> matchers;
  for (const PicturePart& part : parts) {
    PartMatcher m;
    if (part.literal) {
      m.elems.push_back(Literal(part.text));
    } else if (part.component == U'Z' || part.component == U'z') {
      m = ZoneMatcher(part);
    } else if (part.integer_format) {
      m = IntegerMatcher(part);
    } else {
      m = NamesMatcher(part);
    }
    m.component = part.component;
    matchers.push_back(std::move(m));
  }
  return matchers;
}

// ---- matching ----

class Matcher {
 public:
  Matcher(const std::vector<PartMatcher>& parts, std::u32string_view text,
          const std::function<void()>& check_time)
      : text_(text), check_time_(check_time) {
    for (const PartMatcher& part : parts) {
      part_start_.push_back(elems_.size());
      for (const Elem& e : part.elems) elems_.push_back(&e);
    }
    words_ = &NumberWords();
  }

  // The text of each part, or nullopt when the whole text does not match.
  std::optional<std::vector<std::u32string_view>> Run() {
    size_t positions = text_.size() + 1;
    failed_.assign((elems_.size() + 1) * 2 * positions, false);
    std::vector<Frame> stack{{0, 0, false, 0, false}};
    uint64_t steps = 0;
    while (!stack.empty()) {
      if ((++steps & 0xFFF) == 0 && check_time_) check_time_();
      Frame& top = stack.back();
      if (top.e == elems_.size()) {
        if (top.p == text_.size()) return Groups(stack);
        failed_[Key(top)] = true;
        stack.pop_back();
        continue;
      }
      Frame next{};
      if (!Advance(top, next)) {
        failed_[Key(top)] = true;
        stack.pop_back();
        continue;
      }
      if (!failed_[Key(next)]) stack.push_back(next);
    }
    return std::nullopt;
  }

 private:
  struct Frame {
    size_t e;       // element
    size_t p;       // position in the text
    bool iterated;  // a words loop has matched once
    int64_t cursor;
    bool started;
  };

  size_t Key(const Frame& f) const { return ((f.e * 2) + (f.iterated ? 1 : 0)) * (text_.size() + 1) + f.p; }

  // The next way (in RegExp backtracking order) the element at `f` can
  // match, as the state it leads to.
  bool Advance(Frame& f, Frame& next) {
    const Elem& elem = *elems_[f.e];
    size_t rest = text_.size() - f.p;
    switch (elem.kind) {
      case Elem::kLiteral:
        if (f.started) return false;
        f.started = true;
        if (!MatchesAt(text_, f.p, elem.text)) return false;
        next = {f.e + 1, f.p + elem.text.size(), false, 0, false};
        return true;
      case Elem::kRepeat: {
        if (!f.started) {
          f.started = true;
          int64_t run = 0;
          while (static_cast<size_t>(run) < rest && (elem.max == kUnbounded || run < elem.max) &&
                 InClass(elem.cls, text_[f.p + run])) {
            ++run;
          }
          f.cursor = run;
        }
        if (f.cursor < elem.min) return false;
        next = {f.e + 1, f.p + static_cast<size_t>(f.cursor), false, 0, false};
        --f.cursor;
        return true;
      }
      case Elem::kOrdinalSuffix: {
        static constexpr std::u32string_view kSuffixes[] = {U"th", U"st", U"nd", U"rd"};
        while (f.cursor < 4) {
          std::u32string_view suffix = kSuffixes[f.cursor++];
          if (MatchesAt(text_, f.p, suffix)) {
            next = {f.e + 1, f.p + suffix.size(), false, 0, false};
            return true;
          }
        }
        return false;
      }
      case Elem::kWords: {
        // (?:word|...|and|[\-, ])+ : each alternative in order, looping
        // greedily; leaving the loop is the last choice once inside it.
        int64_t words = static_cast<int64_t>(words_->size());
        while (f.cursor <= words + 2) {
          int64_t i = f.cursor++;
          size_t len = 0;
          if (i < words) {
            if (MatchesAt(text_, f.p, (*words_)[i])) len = (*words_)[i].size();
          } else if (i == words) {
            if (MatchesAt(text_, f.p, U"and")) len = 3;
          } else if (i == words + 1) {
            if (rest > 0 && (text_[f.p] == U'-' || text_[f.p] == U',' || text_[f.p] == U' ')) len = 1;
          } else if (f.iterated) {
            next = {f.e + 1, f.p, false, 0, false};
            return true;
          }
          if (len > 0) {
            next = {f.e, f.p + len, true, 0, false};
            return true;
          }
        }
        return false;
      }
    }
    return false;
  }

  std::vector<std::u32string_view> Groups(const std::vector<Frame>& path) const {
    std::vector<size_t> starts;
    size_t part = 0;
    for (const Frame& f : path) {
      while (part < part_start_.size() && f.e >= part_start_[part]) {
        starts.push_back(f.p);
        ++part;
      }
    }
    std::vector<std::u32string_view> groups;
    for (size_t i = 0; i < starts.size(); ++i) {
      size_t end = i + 1 < starts.size() ? starts[i + 1] : text_.size();
      groups.push_back(text_.substr(starts[i], end - starts[i]));
    }
    return groups;
  }

  std::u32string_view text_;
  const std::function<void()>& check_time_;
  std::vector<const Elem*> elems_;
  std::vector<size_t> part_start_;
  const std::vector<std::u32string>* words_;
  std::vector<bool> failed_;
};

// ---- reading the groups ----

double ParseZone(std::u32string_view value, const PartMatcher& m) {
  if (m.component == U'z') value = value.substr(std::min<size_t>(3, value.size()));
  double hours = 0;
  double minutes = 0;
  if (m.separator) {
    size_t i = value.find(*m.separator);
    hours = JsParseInt(value.substr(0, i == std::u32string_view::npos ? 0 : i));
    minutes = JsParseInt(value.substr(i == std::u32string_view::npos ? 0 : i + 1));
  } else if (value.size() <= 3) {
    hours = JsParseInt(value);
  } else {
    hours = JsParseInt(value.substr(0, 3));
    minutes = JsParseInt(value.substr(3));
  }
  return hours * 60 + minutes;
}

Comp ReadGroup(std::u32string_view value, const PartMatcher& m) {
  switch (m.parse) {
    case PartMatcher::kInteger:
      return {Comp::kNumber, ParseIntegerWith(value, m.format)};
    case PartMatcher::kZone:
      return {Comp::kNumber, ParseZone(value, m)};
    case PartMatcher::kNames: {
      auto it = m.names.find(std::u32string(value));
      if (it != m.names.end()) return {Comp::kNumber, it->second};
      for (std::u32string_view name : kPrototypeNames) {
        if (value == name) return {Comp::kOther, kNaN};
      }
      return {};
    }
    case PartMatcher::kNone:
      break;
  }
  return {};
}

Comp FromFragment(const Fragment& f) {
  switch (f.kind) {
    case Fragment::kNumber:
      return {Comp::kNumber, f.n};
    case Fragment::kString:
      return {Comp::kOther, kNaN};
    case Fragment::kUndefined:
      break;
  }
  return {};
}

}  // namespace

std::optional<double> ParseDateTime(std::u32string_view timestamp, std::u32string_view picture,
                                    double now_millis, const std::function<void()>& check_time) {
  std::vector<PicturePart> parts = AnalyseDateTimePicture(picture);
  std::vector<PartMatcher> matchers = Matchers(parts);
  std::optional<std::vector<std::u32string_view>> groups =
      Matcher(matchers, timestamp, check_time).Run();
  if (!groups) return std::nullopt;

  std::map<char32_t, Comp> components;
  bool any = false;
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (matchers[i].parse == PartMatcher::kNone) continue;
    components[matchers[i].component] = ReadGroup((*groups)[i], matchers[i]);
    any = true;
  }
  if (!any) return std::nullopt;

  // Which of the date forms {Y M D}, {Y d}, {X x w F}, {X W F} and time
  // forms {H m s f}, {P h m s f} the components make: a form fits when
  // no component outside it is set and one inside it is.
  auto mask_of = [&components](std::u32string_view order) {
    int mask = 0;
    for (char32_t c : order) {
      auto it = components.find(c);
      mask = (mask << 1) | (it != components.end() && it->second.Truthy() ? 1 : 0);
    }
    return mask;
  };
  auto is_type = [](int type, int mask) { return (~type & mask) == 0 && (type & mask) != 0; };
  int date_mask = mask_of(U"YXMxWwdD");
  bool date_a = is_type(161, date_mask);
  bool date_b = !date_a && is_type(130, date_mask);
  bool date_c = is_type(84, date_mask);
  bool date_d = !date_c && is_type(72, date_mask);
  int time_mask = mask_of(U"PHhmsf");
  bool time_a = is_type(23, time_mask);
  bool time_b = !time_a && is_type(47, time_mask);

  // From the most significant component to the least: those before the
  // first given one come from now, those after the last given one are
  // their minimum, and a gap in between is an error.
  std::u32string order = date_b ? U"YD" : date_c ? U"XxwF" : date_d ? U"XWF" : U"YMD";
  order += time_b ? U"Phmsf" : U"Hmsf";
  bool start_specified = false;
  bool end_specified = false;
  for (char32_t c : order) {
    Comp& comp = components[c];
    if (comp.kind == Comp::kUndefined) {
      if (start_specified) {
        comp = {Comp::kNumber, (c == U'M' || c == U'D' || c == U'd') ? 1.0 : 0.0};
        end_specified = true;
      } else {
        comp = FromFragment(DateFragment(now_millis, c));
      }
    } else {
      start_specified = true;
      if (end_specified) Throw("D3136");
    }
  }

  auto number = [&components](char32_t c) {
    const Comp& comp = components[c];
    return comp.kind == Comp::kNumber ? comp.n : kNaN;
  };
  double month = components[U'M'].kind == Comp::kNumber && number(U'M') > 0 ? number(U'M') - 1 : 0;
  double day = number(U'D');
  if (date_b) {
    double first_jan = DateUtc(number(U'Y'), 0);
    double offset = (number(U'd') - 1) * kMillisPerDay;
    DateFields derived = FieldsOf(TimeClip(first_jan + offset));
    month = derived.month;
    day = derived.day;
  }
  if (date_c || date_d) Throw("D3136");  // week dates: not supported by jsonata-js either
  double hours = number(U'H');
  if (time_b) {
    hours = number(U'h') == 12 ? 0 : number(U'h');
    const Comp& p = components[U'P'];
    if (p.kind == Comp::kNumber && p.n == 1) hours += 12;
  }
  double millis = DateUtc(number(U'Y'), month, day, hours, number(U'm'), number(U's'), number(U'f'));
  const Comp& zone = components[U'Z'].Truthy() ? components[U'Z'] : components[U'z'];
  if (zone.Truthy()) millis -= zone.n * 60 * 1000;
  return millis;
}

}  // namespace stepflow::jsonata::datetime
