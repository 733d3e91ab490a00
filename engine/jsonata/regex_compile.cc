// Pattern syntax -> Program. The grammar is ECMAScript's for patterns
// without the u flag, including the web-compatibility rules of Annex B that
// JavaScript engines apply there (a lone `{`, `}` or `]` is a literal,
// `\8` is "8", `\12` is an octal escape when there are fewer than twelve
// groups, `[\d-z]` is a union, a lookahead may be quantified). One
// extension: `\u{1F600}` names a code point, since matching is over code
// points rather than UTF-16 units.
#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "engine/jsonata/regex_program.h"

namespace stepflow::jsonata::regex_internal {
namespace {

struct Node {
  enum class Kind {
    kEmpty,
    kChar,
    kAny,
    kClass,
    kSeq,
    kAlt,
    kGroup,
    kRepeat,
    kLineStart,
    kLineEnd,
    kWordBoundary,
    kNotWordBoundary,
    kBackref,
    kLook,
  };
  explicit Node(Kind k) : kind(k) {}
  Kind kind;
  uint32_t value = 0;  // code point, class index, group number
  uint32_t min = 0;
  uint32_t max = 0;
  bool greedy = true;
  bool negative = false;
  bool behind = false;
  bool nullable = false;      // can match the empty string
  uint32_t first_group = 0;   // kRepeat: groups [first_group, end_group) lie inside
  uint32_t end_group = 0;
  std::vector<std::unique_ptr<Node>> kids;
};
using NodePtr = std::unique_ptr<Node>;

NodePtr MakeNode(Node::Kind k, bool nullable) {
  auto n = std::make_unique<Node>(k);
  n->nullable = nullable;
  return n;
}

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

void Normalize(Ranges& r) {
  std::sort(r.begin(), r.end());
  Ranges out;
  for (const auto& [lo, hi] : r) {
    if (!out.empty() && lo <= out.back().second + 1) {
      out.back().second = std::max(out.back().second, hi);
    } else {
      out.emplace_back(lo, hi);
    }
  }
  r = std::move(out);
}

Ranges Complement(Ranges r) {
  Normalize(r);
  Ranges out;
  uint32_t next = 0;
  for (const auto& [lo, hi] : r) {
    if (lo > next) out.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= 0x10FFFF) out.emplace_back(next, 0x10FFFF);
  return out;
}

Ranges DigitRanges() { return {{'0', '9'}}; }
Ranges WordRanges() { return {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}}; }
Ranges SpaceRanges() {
  return {{0x09, 0x0D}, {0x20, 0x20},     {0xA0, 0xA0},     {0x1680, 0x1680},
          {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F},
          {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
}

bool IsHex(uint32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
uint32_t HexValue(uint32_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
bool IsDigit(uint32_t c) { return c >= '0' && c <= '9'; }
bool IsOctal(uint32_t c) { return c >= '0' && c <= '7'; }
bool IsAsciiLetter(uint32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsNameChar(uint32_t c, bool first) {
  if (c == '$' || c == '_' || IsAsciiLetter(c) || c >= 0x80) return true;
  return !first && IsDigit(c);
}

void AppendUtf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

struct ParseError {
  std::string reason;
};

class Parser {
 public:
  Parser(std::vector<uint32_t> cps, Program& program)
      : cps_(std::move(cps)), program_(program) {}

  NodePtr Parse() {
    Prescan();
    NodePtr root = ParseDisjunction(0);
    if (pos_ < cps_.size()) Fail("Unmatched ')'");
    return root;
  }

  uint32_t group_count() const { return group_count_; }

 private:
  [[noreturn]] void Fail(std::string reason) { throw ParseError{std::move(reason)}; }
  bool AtEnd() const { return pos_ >= cps_.size(); }
  uint32_t Peek(size_t ahead = 0) const {
    return pos_ + ahead < cps_.size() ? cps_[pos_ + ahead] : UINT32_MAX;
  }

  // Counts the capturing groups and collects group names before parsing,
  // since `\2` and `\k<name>` may refer forward.
  void Prescan() {
    bool in_class = false;
    uint32_t count = 0;
    for (size_t i = 0; i < cps_.size(); ++i) {
      uint32_t c = cps_[i];
      if (c == '\\') {
        ++i;
      } else if (in_class) {
        if (c == ']') in_class = false;
      } else if (c == '[') {
        in_class = true;
      } else if (c == '(') {
        if (i + 1 < cps_.size() && cps_[i + 1] == '?') {
          if (i + 2 < cps_.size() && cps_[i + 2] == '<' && i + 3 < cps_.size() &&
              cps_[i + 3] != '=' && cps_[i + 3] != '!') {
            ++count;
            std::string name;
            for (size_t j = i + 3; j < cps_.size() && cps_[j] != '>'; ++j) AppendUtf8(name, cps_[j]);
            if (!names_.emplace(name, count).second) Fail("Duplicate capture group name");
          }
        } else {
          ++count;
        }
      }
    }
    total_groups_ = count;
  }

  NodePtr ParseDisjunction(int depth) {
    if (depth > kMaxNesting) Fail("Pattern nested too deeply");
    NodePtr first = ParseAlternative(depth);
    if (Peek() != '|') return first;
    auto alt = MakeNode(Node::Kind::kAlt, first->nullable);
    alt->kids.push_back(std::move(first));
    while (Peek() == '|') {
      ++pos_;
      NodePtr next = ParseAlternative(depth);
      alt->nullable = alt->nullable || next->nullable;
      alt->kids.push_back(std::move(next));
    }
    return alt;
  }

  NodePtr ParseAlternative(int depth) {
    auto seq = MakeNode(Node::Kind::kSeq, true);
    while (!AtEnd() && Peek() != '|' && Peek() != ')') {
      NodePtr term = ParseTerm(depth);
      if (!term) continue;
      seq->nullable = seq->nullable && term->nullable;
      seq->kids.push_back(std::move(term));
    }
    if (seq->kids.size() == 1) return std::move(seq->kids[0]);
    if (seq->kids.empty()) return MakeNode(Node::Kind::kEmpty, true);
    return seq;
  }

  NodePtr ParseTerm(int depth) {
    uint32_t c = Peek();
    uint32_t groups_before = group_count_;
    NodePtr atom;
    bool quantifiable = true;
    switch (c) {
      case '^':
        ++pos_;
        atom = MakeNode(Node::Kind::kLineStart, true);
        quantifiable = false;
        break;
      case '$':
        ++pos_;
        atom = MakeNode(Node::Kind::kLineEnd, true);
        quantifiable = false;
        break;
      case '(':
        atom = ParseGroup(depth, &quantifiable);
        break;
      case '[':
        atom = ParseClass();
        break;
      case '.':
        ++pos_;
        atom = MakeNode(Node::Kind::kAny, false);
        break;
      case '*':
      case '+':
      case '?':
        Fail("Nothing to repeat");
      case '{': {
        size_t save = pos_;
        uint32_t lo, hi;
        if (ParseBraces(&lo, &hi)) Fail("Nothing to repeat");
        pos_ = save + 1;
        atom = CharNode('{');
        break;
      }
      case '\\':
        atom = ParseAtomEscape(&quantifiable);
        break;
      default:
        ++pos_;
        atom = CharNode(c);
        break;
    }
    return ParseQuantifier(std::move(atom), quantifiable, groups_before);
  }

  NodePtr CharNode(uint32_t c) {
    auto n = MakeNode(Node::Kind::kChar, false);
    n->value = c;
    return n;
  }

  // {n}, {n,}, {n,m} at pos_; on success leaves pos_ after '}'. Bounds past
  // 2^32-2 are clamped (they behave as unbounded anyway).
  bool ParseBraces(uint32_t* lo, uint32_t* hi) {
    size_t p = pos_;
    if (Peek() != '{') return false;
    ++p;
    auto read_int = [&](uint32_t* out) {
      if (p >= cps_.size() || !IsDigit(cps_[p])) return false;
      uint64_t v = 0;
      while (p < cps_.size() && IsDigit(cps_[p])) {
        v = std::min<uint64_t>(v * 10 + (cps_[p] - '0'), kInfinite - 1);
        ++p;
      }
      *out = static_cast<uint32_t>(v);
      return true;
    };
    if (!read_int(lo)) return false;
    *hi = *lo;
    if (p < cps_.size() && cps_[p] == ',') {
      ++p;
      if (p < cps_.size() && cps_[p] == '}') {
        *hi = kInfinite;
      } else if (!read_int(hi)) {
        return false;
      }
    }
    if (p >= cps_.size() || cps_[p] != '}') return false;
    pos_ = p + 1;
    return true;
  }

  NodePtr ParseQuantifier(NodePtr atom, bool quantifiable, uint32_t groups_before) {
    uint32_t min = 0, max = 0;
    uint32_t c = Peek();
    if (c == '*') {
      ++pos_;
      min = 0, max = kInfinite;
    } else if (c == '+') {
      ++pos_;
      min = 1, max = kInfinite;
    } else if (c == '?') {
      ++pos_;
      min = 0, max = 1;
    } else if (c == '{') {
      if (!ParseBraces(&min, &max)) return atom;
      if (min > max) Fail("numbers out of order in {} quantifier");
    } else {
      return atom;
    }
    if (!quantifiable) Fail("Nothing to repeat");
    auto rep = MakeNode(Node::Kind::kRepeat, min == 0 || atom->nullable);
    rep->min = min;
    rep->max = max;
    if (Peek() == '?') {
      ++pos_;
      rep->greedy = false;
    }
    rep->first_group = groups_before + 1;
    rep->end_group = group_count_ + 1;
    rep->kids.push_back(std::move(atom));
    return rep;
  }

  NodePtr ParseGroup(int depth, bool* quantifiable) {
    ++pos_;  // '('
    NodePtr node;
    if (Peek() == '?') {
      uint32_t k = Peek(1);
      if (k == ':') {
        pos_ += 2;
        node = ParseDisjunction(depth + 1);
      } else if (k == '=' || k == '!') {
        pos_ += 2;
        node = MakeNode(Node::Kind::kLook, true);
        node->negative = k == '!';
        node->kids.push_back(ParseDisjunction(depth + 1));
      } else if (k == '<' && (Peek(2) == '=' || Peek(2) == '!')) {
        node = MakeNode(Node::Kind::kLook, true);
        node->negative = Peek(2) == '!';
        node->behind = true;
        pos_ += 3;
        node->kids.push_back(ParseDisjunction(depth + 1));
        *quantifiable = false;
      } else if (k == '<') {
        pos_ += 2;
        if (!IsNameChar(Peek(), true)) Fail("Invalid capture group name");
        while (IsNameChar(Peek(), false)) ++pos_;
        if (Peek() != '>') Fail("Invalid capture group name");
        ++pos_;
        node = CaptureGroup(depth);
      } else {
        Fail("Invalid group");
      }
    } else {
      node = CaptureGroup(depth);
    }
    if (Peek() != ')') Fail("Unterminated group");
    ++pos_;
    return node;
  }

  NodePtr CaptureGroup(int depth) {
    uint32_t number = ++group_count_;
    NodePtr body = ParseDisjunction(depth + 1);
    auto g = MakeNode(Node::Kind::kGroup, body->nullable);
    g->value = number;
    g->kids.push_back(std::move(body));
    return g;
  }

  NodePtr ClassNode(Ranges ranges, bool negated) {
    Normalize(ranges);
    CharClass cls;
    cls.ranges = std::move(ranges);
    cls.negated = negated;
    program_.classes.push_back(std::move(cls));
    auto n = MakeNode(Node::Kind::kClass, false);
    n->value = static_cast<uint32_t>(program_.classes.size() - 1);
    return n;
  }

  // \d \D \s \S \w \W as ranges (negated ones complemented when `in_class`).
  static bool ClassEscape(uint32_t c, Ranges* out, bool* negated) {
    switch (c) {
      case 'd': *out = DigitRanges(); *negated = false; return true;
      case 'D': *out = DigitRanges(); *negated = true; return true;
      case 's': *out = SpaceRanges(); *negated = false; return true;
      case 'S': *out = SpaceRanges(); *negated = true; return true;
      case 'w': *out = WordRanges(); *negated = false; return true;
      case 'W': *out = WordRanges(); *negated = true; return true;
      default: return false;
    }
  }

  NodePtr ParseAtomEscape(bool* quantifiable) {
    ++pos_;  // '\'
    if (AtEnd()) Fail("\\ at end of pattern");
    uint32_t c = Peek();
    if (c == 'b' || c == 'B') {
      ++pos_;
      *quantifiable = false;
      return MakeNode(c == 'b' ? Node::Kind::kWordBoundary : Node::Kind::kNotWordBoundary, true);
    }
    Ranges ranges;
    bool negated;
    if (ClassEscape(c, &ranges, &negated)) {
      ++pos_;
      return ClassNode(std::move(ranges), negated);
    }
    if (c >= '1' && c <= '9') {
      size_t save = pos_;
      uint64_t n = 0;
      while (IsDigit(Peek())) {
        n = std::min<uint64_t>(n * 10 + (Peek() - '0'), UINT32_MAX);
        ++pos_;
      }
      if (n <= total_groups_) {
        auto ref = MakeNode(Node::Kind::kBackref, true);
        ref->value = static_cast<uint32_t>(n);
        return ref;
      }
      pos_ = save;
    }
    if (c == 'k' && !names_.empty()) {
      ++pos_;
      if (Peek() != '<') Fail("Invalid named reference");
      ++pos_;
      std::string name;
      while (!AtEnd() && Peek() != '>') AppendUtf8(name, cps_[pos_++]);
      if (AtEnd()) Fail("Invalid named reference");
      ++pos_;
      auto it = names_.find(name);
      if (it == names_.end()) Fail("Invalid named capture referenced");
      auto ref = MakeNode(Node::Kind::kBackref, true);
      ref->value = it->second;
      return ref;
    }
    return CharNode(CharacterEscape(/*in_class=*/false));
  }

  // The escape after a backslash (pos_ at the character after it) that
  // stands for one character; consumes it and returns the code point.
  uint32_t CharacterEscape(bool in_class) {
    uint32_t c = cps_[pos_++];
    switch (c) {
      case 't': return '\t';
      case 'n': return '\n';
      case 'v': return '\v';
      case 'f': return '\f';
      case 'r': return '\r';
      case 'c': {
        uint32_t l = Peek();
        if (IsAsciiLetter(l) || (in_class && (IsDigit(l) || l == '_'))) {
          ++pos_;
          return l % 32;
        }
        --pos_;  // `\c` without a control letter: the backslash is literal
        return '\\';
      }
      case 'x':
        if (IsHex(Peek()) && IsHex(Peek(1))) {
          uint32_t v = HexValue(Peek()) * 16 + HexValue(Peek(1));
          pos_ += 2;
          return v;
        }
        return 'x';
      case 'u': return UnicodeEscape();
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        // Legacy octal: up to three digits while the value stays <= 0377.
        uint32_t v = c - '0';
        if (IsOctal(Peek())) {
          v = v * 8 + (Peek() - '0');
          ++pos_;
          if (c <= '3' && IsOctal(Peek())) {
            v = v * 8 + (Peek() - '0');
            ++pos_;
          }
        }
        return v;
      }
      default: return c;  // identity escape, including \8 \9
    }
  }

  uint32_t UnicodeEscape() {
    auto hex4 = [&](size_t at, uint32_t* out) {
      if (at + 4 > cps_.size()) return false;
      uint32_t v = 0;
      for (size_t i = at; i < at + 4; ++i) {
        if (!IsHex(cps_[i])) return false;
        v = v * 16 + HexValue(cps_[i]);
      }
      *out = v;
      return true;
    };
    uint32_t v;
    if (hex4(pos_, &v)) {
      pos_ += 4;
      uint32_t low;
      if (v >= 0xD800 && v <= 0xDBFF && Peek() == '\\' && Peek(1) == 'u' && hex4(pos_ + 2, &low) &&
          low >= 0xDC00 && low <= 0xDFFF) {
        pos_ += 6;
        return 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00);
      }
      return v;
    }
    if (Peek() == '{') {
      size_t p = pos_ + 1;
      uint32_t cp = 0;
      while (p < cps_.size() && IsHex(cps_[p]) && cp <= 0x10FFFF) cp = cp * 16 + HexValue(cps_[p++]);
      if (p > pos_ + 1 && p < cps_.size() && cps_[p] == '}' && cp <= 0x10FFFF) {
        pos_ = p + 1;
        return cp;
      }
    }
    return 'u';
  }

  // One class atom: a code point, or a set (\d ...) in `set`.
  bool ClassAtom(uint32_t* cp, Ranges* set) {
    uint32_t c = cps_[pos_];
    if (c != '\\') {
      ++pos_;
      *cp = c;
      return false;
    }
    ++pos_;
    if (AtEnd()) Fail("\\ at end of pattern");
    c = Peek();
    bool negated;
    if (ClassEscape(c, set, &negated)) {
      ++pos_;
      if (negated) *set = Complement(std::move(*set));
      return true;
    }
    if (c == 'b') {
      ++pos_;
      *cp = '\b';
      return false;
    }
    *cp = CharacterEscape(/*in_class=*/true);
    return false;
  }

  NodePtr ParseClass() {
    ++pos_;  // '['
    bool negated = false;
    if (Peek() == '^') {
      negated = true;
      ++pos_;
    }
    Ranges ranges;
    while (true) {
      if (AtEnd()) Fail("Unterminated character class");
      if (Peek() == ']') {
        ++pos_;
        break;
      }
      uint32_t a = 0;
      Ranges set_a;
      bool a_is_set = ClassAtom(&a, &set_a);
      if (Peek() == '-' && Peek(1) != ']' && Peek(1) != UINT32_MAX) {
        ++pos_;
        uint32_t b = 0;
        Ranges set_b;
        bool b_is_set = ClassAtom(&b, &set_b);
        if (a_is_set || b_is_set) {
          // Annex B: a range with a class escape at either end is a union.
          if (a_is_set) ranges.insert(ranges.end(), set_a.begin(), set_a.end()); else ranges.emplace_back(a, a);
          if (b_is_set) ranges.insert(ranges.end(), set_b.begin(), set_b.end()); else ranges.emplace_back(b, b);
          ranges.emplace_back('-', '-');
          continue;
        }
        if (a > b) Fail("Range out of order in character class");
        ranges.emplace_back(a, b);
        continue;
      }
      if (a_is_set) {
        ranges.insert(ranges.end(), set_a.begin(), set_a.end());
      } else {
        ranges.emplace_back(a, a);
      }
    }
    return ClassNode(std::move(ranges), negated);
  }

  std::vector<uint32_t> cps_;
  size_t pos_ = 0;
  Program& program_;
  uint32_t group_count_ = 0;
  uint32_t total_groups_ = 0;
  std::map<std::string, uint32_t> names_;
};

class Emitter {
 public:
  explicit Emitter(Program& p) : p_(p) {}

  void Emit(const Node& n, bool backward) {
    switch (n.kind) {
      case Node::Kind::kEmpty:
        break;
      case Node::Kind::kChar: {
        Inst i{Op::kChar};
        i.a = p_.ignore_case ? Canonicalize(n.value) : n.value;
        i.backward = backward;
        Add(i);
        break;
      }
      case Node::Kind::kAny: {
        Inst i{Op::kAny};
        i.backward = backward;
        Add(i);
        break;
      }
      case Node::Kind::kClass: {
        Inst i{Op::kClass};
        i.a = n.value;
        i.backward = backward;
        Add(i);
        break;
      }
      case Node::Kind::kSeq:
        if (backward) {
          for (auto it = n.kids.rbegin(); it != n.kids.rend(); ++it) Emit(**it, backward);
        } else {
          for (const auto& k : n.kids) Emit(*k, backward);
        }
        break;
      case Node::Kind::kAlt: {
        std::vector<size_t> jumps;
        for (size_t k = 0; k < n.kids.size(); ++k) {
          bool last = k + 1 == n.kids.size();
          size_t split = 0;
          if (!last) split = Add(Inst{Op::kSplit});
          if (!last) p_.insts[split].x = Here();
          Emit(*n.kids[k], backward);
          if (!last) {
            jumps.push_back(Add(Inst{Op::kJmp}));
            p_.insts[split].y = Here();
          }
        }
        for (size_t j : jumps) p_.insts[j].x = Here();
        break;
      }
      case Node::Kind::kGroup: {
        uint32_t open = 2 * n.value, close = 2 * n.value + 1;
        if (backward) std::swap(open, close);
        Inst s{Op::kSave};
        s.a = open;
        Add(s);
        Emit(*n.kids[0], backward);
        s.a = close;
        Add(s);
        break;
      }
      case Node::Kind::kLook: {
        Inst start{Op::kLookStart};
        start.negative = n.negative;
        size_t at = Add(start);
        Emit(*n.kids[0], n.behind);
        Add(Inst{Op::kLookEnd});
        p_.insts[at].x = Here();
        break;
      }
      case Node::Kind::kBackref: {
        Inst i{Op::kBackref};
        i.a = n.value;
        i.backward = backward;
        Add(i);
        break;
      }
      case Node::Kind::kLineStart: Add(Inst{Op::kLineStart}); break;
      case Node::Kind::kLineEnd: Add(Inst{Op::kLineEnd}); break;
      case Node::Kind::kWordBoundary: Add(Inst{Op::kWordBoundary}); break;
      case Node::Kind::kNotWordBoundary: Add(Inst{Op::kNotWordBoundary}); break;
      case Node::Kind::kRepeat: EmitRepeat(n, backward); break;
    }
  }

 private:
  uint32_t Here() const { return static_cast<uint32_t>(p_.insts.size()); }
  size_t Add(Inst i) {
    p_.insts.push_back(i);
    return p_.insts.size() - 1;
  }
  uint32_t NewReg() { return p_.reg_count++; }

  // Resets the captures inside the repeated atom, as each ECMAScript
  // iteration starts with them undefined.
  void EmitClear(const Node& n) {
    if (n.end_group <= n.first_group) return;
    Inst c{Op::kClear};
    c.a = 2 * n.first_group;
    c.b = 2 * n.end_group;
    Add(c);
  }

  // An iteration past the minimum that matches the empty string fails
  // (ECMAScript RepeatMatcher); that is what ends `(a*)*`.
  void EmitRepeat(const Node& n, bool backward) {
    const Node& body = *n.kids[0];
    bool nullable = body.nullable;
    if (n.max == 0) return;
    if (n.min == 0 && (n.max == 1 || n.max == kInfinite)) {
      uint32_t progress = nullable ? NewReg() : kNoReg;
      uint32_t head = Here();
      size_t split = Add(Inst{Op::kSplit});
      uint32_t body_start = Here();
      if (nullable) {
        Inst s{Op::kSave};
        s.a = progress;
        Add(s);
      }
      EmitClear(n);
      Emit(body, backward);
      if (nullable) {
        Inst c{Op::kCheckProgress};
        c.a = progress;
        Add(c);
      }
      if (n.max == kInfinite) {
        Inst j{Op::kJmp};
        j.x = head;
        Add(j);
      }
      SetSplit(split, n.greedy, body_start, Here());
      return;
    }
    if (n.min == 1 && n.max == kInfinite && !nullable) {
      uint32_t head = Here();
      EmitClear(n);
      Emit(body, backward);
      size_t split = Add(Inst{Op::kSplit});
      SetSplit(split, n.greedy, head, Here());
      return;
    }
    uint32_t counter = NewReg();
    uint32_t progress = nullable ? NewReg() : kNoReg;
    Inst zero{Op::kSetZero};
    zero.a = counter;
    Add(zero);
    Inst head{Op::kRepeat};
    head.a = counter;
    head.min = n.min;
    head.max = n.max;
    head.greedy = n.greedy;
    size_t head_at = Add(head);
    if (nullable) {
      Inst s{Op::kSave};
      s.a = progress;
      Add(s);
    }
    EmitClear(n);
    Emit(body, backward);
    Inst end{Op::kRepeatEnd};
    end.a = counter;
    end.b = progress;
    end.min = n.min;
    end.x = static_cast<uint32_t>(head_at);
    Add(end);
    p_.insts[head_at].x = Here();
  }

  void SetSplit(size_t at, bool greedy, uint32_t body, uint32_t exit) {
    p_.insts[at].x = greedy ? body : exit;
    p_.insts[at].y = greedy ? exit : body;
  }

  Program& p_;
};

std::vector<uint32_t> DecodeAll(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t len;
    out.push_back(DecodeAt(s, i, &len));
    i += len;
  }
  return out;
}

// The search hints of Program: a leading ^ (without m), or the literal
// characters every match starts with.
void ComputeHints(const Node& root, Program& p) {
  const Node* first = &root;
  size_t count = 1;
  if (root.kind == Node::Kind::kSeq) {
    first = root.kids.empty() ? nullptr : root.kids[0].get();
    count = root.kids.size();
  }
  if (first == nullptr) return;
  if (first->kind == Node::Kind::kLineStart && !p.multiline) {
    p.anchored = true;
    return;
  }
  if (p.ignore_case) return;
  for (size_t i = 0; i < count; ++i) {
    const Node* n = root.kind == Node::Kind::kSeq ? root.kids[i].get() : &root;
    if (n->kind != Node::Kind::kChar || n->value >= 0xD800) break;  // skip surrogates/astral
    AppendUtf8(p.first_bytes, n->value);
  }
}

}  // namespace

bool CompilePattern(std::string_view pattern, bool ignore_case, bool multiline, Program& out,
                    std::string& error) {
  if (pattern.size() > kMaxPatternBytes) {
    error = "Pattern too large";
    return false;
  }
  out = Program{};
  out.ignore_case = ignore_case;
  out.multiline = multiline;
  try {
    Parser parser(DecodeAll(pattern), out);
    NodePtr root = parser.Parse();
    out.group_count = parser.group_count();
    out.reg_count = 2 * (out.group_count + 1);
    Emitter emitter(out);
    emitter.Emit(*root, /*backward=*/false);
    out.insts.push_back(Inst{Op::kMatch});
    ComputeHints(*root, out);
  } catch (const ParseError& e) {
    error = e.reason;
    return false;
  }
  return true;
}

}  // namespace stepflow::jsonata::regex_internal
