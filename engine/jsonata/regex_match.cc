// The backtracking machine that runs a Program, and the Unicode helpers it
// shares with the compiler (UTF-8 decoding, case canonicalization).
#include <algorithm>
#include <cstring>

#include "engine/jsonata/error.h"
#include "engine/jsonata/regex_program.h"

namespace stepflow::jsonata::regex_internal {
namespace {

// Simple lowercase -> uppercase mappings (toUpperCase of one character
// giving one character), outside ASCII and the BMP's astral planes: code
// points lo, lo + stride, ... hi map to c + delta. Characters whose
// uppercase is several characters (ß, ŉ, the Greek iota forms) and
// mappings into ASCII (ı, ſ) are left out, as Canonicalize ignores them.
struct CaseRange {
  uint32_t lo, hi;
  int32_t delta;
  uint32_t stride;
};

constexpr CaseRange kCaseRanges[] = {
    {0x61, 0x7A, -32, 1},       {0xB5, 0xB5, 0x39C - 0xB5, 1}, {0xE0, 0xF6, -32, 1},
    {0xF8, 0xFE, -32, 1},       {0xFF, 0xFF, 0x178 - 0xFF, 1}, {0x101, 0x12F, -1, 2},
    {0x133, 0x137, -1, 2},      {0x13A, 0x148, -1, 2},         {0x14B, 0x177, -1, 2},
    {0x17A, 0x17E, -1, 2},      {0x180, 0x180, 0x243 - 0x180, 1}, {0x183, 0x185, -1, 2},
    {0x188, 0x188, -1, 1},      {0x18C, 0x18C, -1, 1},         {0x192, 0x192, -1, 1},
    {0x195, 0x195, 0x1F6 - 0x195, 1}, {0x199, 0x199, -1, 1},   {0x19A, 0x19A, 0x23D - 0x19A, 1},
    {0x19E, 0x19E, 0x220 - 0x19E, 1}, {0x1A1, 0x1A5, -1, 2},   {0x1A8, 0x1A8, -1, 1},
    {0x1AD, 0x1AD, -1, 1},      {0x1B0, 0x1B0, -1, 1},         {0x1B4, 0x1B6, -1, 2},
    {0x1B9, 0x1B9, -1, 1},      {0x1BD, 0x1BD, -1, 1},         {0x1BF, 0x1BF, 0x1F7 - 0x1BF, 1},
    {0x1C5, 0x1C5, -1, 1},      {0x1C6, 0x1C6, -2, 1},         {0x1C8, 0x1C8, -1, 1},
    {0x1C9, 0x1C9, -2, 1},      {0x1CB, 0x1CB, -1, 1},         {0x1CC, 0x1CC, -2, 1},
    {0x1CE, 0x1DC, -1, 2},      {0x1DD, 0x1DD, 0x18E - 0x1DD, 1}, {0x1DF, 0x1EF, -1, 2},
    {0x1F2, 0x1F2, -1, 1},      {0x1F3, 0x1F3, -2, 1},         {0x1F5, 0x1F5, -1, 1},
    {0x1F9, 0x21F, -1, 2},      {0x223, 0x233, -1, 2},         {0x23C, 0x23C, -1, 1},
    {0x23F, 0x240, 0x2C7E - 0x23F, 1}, {0x242, 0x242, -1, 1},  {0x247, 0x24F, -1, 2},
    {0x250, 0x250, 0x2C6F - 0x250, 1}, {0x251, 0x251, 0x2C6D - 0x251, 1},
    {0x252, 0x252, 0x2C70 - 0x252, 1}, {0x253, 0x253, 0x181 - 0x253, 1},
    {0x254, 0x254, 0x186 - 0x254, 1}, {0x256, 0x257, 0x189 - 0x256, 1},
    {0x259, 0x259, 0x18F - 0x259, 1}, {0x25B, 0x25B, 0x190 - 0x25B, 1},
    {0x25C, 0x25C, 0xA7AB - 0x25C, 1}, {0x260, 0x260, 0x193 - 0x260, 1},
    {0x261, 0x261, 0xA7AC - 0x261, 1}, {0x263, 0x263, 0x194 - 0x263, 1},
    {0x265, 0x265, 0xA78D - 0x265, 1}, {0x266, 0x266, 0xA7AA - 0x266, 1},
    {0x268, 0x268, 0x197 - 0x268, 1}, {0x269, 0x269, 0x196 - 0x269, 1},
    {0x26A, 0x26A, 0xA7AE - 0x26A, 1}, {0x26B, 0x26B, 0x2C62 - 0x26B, 1},
    {0x26C, 0x26C, 0xA7AD - 0x26C, 1}, {0x26F, 0x26F, 0x19C - 0x26F, 1},
    {0x271, 0x271, 0x2C6E - 0x271, 1}, {0x272, 0x272, 0x19D - 0x272, 1},
    {0x275, 0x275, 0x19F - 0x275, 1}, {0x27D, 0x27D, 0x2C64 - 0x27D, 1},
    {0x280, 0x280, 0x1A6 - 0x280, 1}, {0x282, 0x282, 0xA7C5 - 0x282, 1},
    {0x283, 0x283, 0x1A9 - 0x283, 1}, {0x287, 0x287, 0xA7B1 - 0x287, 1},
    {0x288, 0x288, 0x1AE - 0x288, 1}, {0x289, 0x289, 0x244 - 0x289, 1},
    {0x28A, 0x28B, 0x1B1 - 0x28A, 1}, {0x28C, 0x28C, 0x245 - 0x28C, 1},
    {0x292, 0x292, 0x1B7 - 0x292, 1}, {0x29D, 0x29D, 0xA7B2 - 0x29D, 1},
    {0x29E, 0x29E, 0xA7B0 - 0x29E, 1}, {0x19B, 0x19B, 0xA7DC - 0x19B, 1},
    {0x264, 0x264, 0xA7CB - 0x264, 1}, {0x345, 0x345, 0x399 - 0x345, 1},
    // Greek and Coptic
    {0x371, 0x373, -1, 2},      {0x377, 0x377, -1, 1},         {0x37B, 0x37D, 130, 1},
    {0x3AC, 0x3AC, -38, 1},     {0x3AD, 0x3AF, -37, 1},        {0x3B1, 0x3C1, -32, 1},
    {0x3C2, 0x3C2, -31, 1},     {0x3C3, 0x3CB, -32, 1},        {0x3CC, 0x3CC, -64, 1},
    {0x3CD, 0x3CE, -63, 1},     {0x3D0, 0x3D0, -62, 1},        {0x3D1, 0x3D1, -57, 1},
    {0x3D5, 0x3D5, -47, 1},     {0x3D6, 0x3D6, -54, 1},        {0x3D7, 0x3D7, -8, 1},
    {0x3D9, 0x3EF, -1, 2},      {0x3F0, 0x3F0, -86, 1},        {0x3F1, 0x3F1, -80, 1},
    {0x3F2, 0x3F2, 7, 1},       {0x3F3, 0x3F3, -116, 1},       {0x3F5, 0x3F5, -96, 1},
    {0x3F8, 0x3F8, -1, 1},      {0x3FB, 0x3FB, -1, 1},
    // Cyrillic, Armenian, Georgian, Cherokee
    {0x430, 0x44F, -32, 1},     {0x450, 0x45F, -80, 1},        {0x461, 0x481, -1, 2},
    {0x48B, 0x4BF, -1, 2},      {0x4C2, 0x4CE, -1, 2},         {0x4CF, 0x4CF, -15, 1},
    {0x4D1, 0x52F, -1, 2},      {0x561, 0x586, -48, 1},        {0x10D0, 0x10FA, 3008, 1},
    {0x10FD, 0x10FF, 3008, 1},  {0x13F8, 0x13FD, -8, 1},
    {0x1D79, 0x1D79, 0xA77D - 0x1D79, 1}, {0x1D7D, 0x1D7D, 0x2C63 - 0x1D7D, 1},
    {0x1D8E, 0x1D8E, 0xA7C6 - 0x1D8E, 1},
    // Cyrillic Extended-C (variant forms of older letters)
    {0x1C80, 0x1C80, 0x412 - 0x1C80, 1}, {0x1C81, 0x1C81, 0x414 - 0x1C81, 1},
    {0x1C82, 0x1C82, 0x41E - 0x1C82, 1}, {0x1C83, 0x1C84, 0x421 - 0x1C83, 1},
    {0x1C85, 0x1C85, 0x422 - 0x1C85, 1}, {0x1C86, 0x1C86, 0x42A - 0x1C86, 1},
    {0x1C87, 0x1C87, 0x462 - 0x1C87, 1}, {0x1C88, 0x1C88, 0xA64A - 0x1C88, 1},
    {0x1C8A, 0x1C8A, -1, 1},
    // Latin Extended Additional, Greek Extended
    {0x1E01, 0x1E95, -1, 2},    {0x1E9B, 0x1E9B, -59, 1},      {0x1EA1, 0x1EFF, -1, 2},
    {0x1F00, 0x1F07, 8, 1},     {0x1F10, 0x1F15, 8, 1},        {0x1F20, 0x1F27, 8, 1},
    {0x1F30, 0x1F37, 8, 1},     {0x1F40, 0x1F45, 8, 1},        {0x1F51, 0x1F57, 8, 2},
    {0x1F60, 0x1F67, 8, 1},     {0x1F70, 0x1F71, 74, 1},       {0x1F72, 0x1F75, 86, 1},
    {0x1F76, 0x1F77, 100, 1},   {0x1F78, 0x1F79, 128, 1},      {0x1F7A, 0x1F7B, 112, 1},
    {0x1F7C, 0x1F7D, 126, 1},   {0x1FB0, 0x1FB1, 8, 1},        {0x1FBE, 0x1FBE, 0x399 - 0x1FBE, 1},
    {0x1FD0, 0x1FD1, 8, 1},     {0x1FE0, 0x1FE1, 8, 1},        {0x1FE5, 0x1FE5, 7, 1},
    // Letterlike, number forms, enclosed, Glagolitic, Latin Extended-C, Coptic
    {0x214E, 0x214E, -28, 1},   {0x2170, 0x217F, -16, 1},      {0x2184, 0x2184, -1, 1},
    {0x24D0, 0x24E9, -26, 1},   {0x2C30, 0x2C5F, -48, 1},      {0x2C61, 0x2C61, -1, 1},
    {0x2C65, 0x2C65, 0x23A - 0x2C65, 1}, {0x2C66, 0x2C66, 0x23E - 0x2C66, 1},
    {0x2C68, 0x2C6C, -1, 2},    {0x2C73, 0x2C73, -1, 1},       {0x2C76, 0x2C76, -1, 1},
    {0x2C81, 0x2CE3, -1, 2},    {0x2CEC, 0x2CEE, -1, 2},       {0x2CF3, 0x2CF3, -1, 1},
    {0x2D00, 0x2D25, -7264, 1}, {0x2D27, 0x2D27, -7264, 1},    {0x2D2D, 0x2D2D, -7264, 1},
    // Cyrillic Extended-B, Latin Extended-D, Cherokee supplement, fullwidth
    {0xA641, 0xA66D, -1, 2},    {0xA681, 0xA69B, -1, 2},       {0xA723, 0xA72F, -1, 2},
    {0xA733, 0xA76F, -1, 2},    {0xA77A, 0xA77C, -1, 2},       {0xA77F, 0xA787, -1, 2},
    {0xA78C, 0xA78C, -1, 1},    {0xA791, 0xA793, -1, 2},       {0xA794, 0xA794, 48, 1},
    {0xA797, 0xA7A9, -1, 2},    {0xA7B5, 0xA7C3, -1, 2},       {0xA7C8, 0xA7CA, -1, 2},
    {0xA7CD, 0xA7CF, -1, 2},    {0xA7D1, 0xA7D5, -1, 2},       {0xA7D7, 0xA7DB, -1, 2},       {0xA7F6, 0xA7F6, -1, 1},
    {0xAB53, 0xAB53, -928, 1},  {0xAB70, 0xABBF, -38864, 1},   {0xFF41, 0xFF5A, -32, 1},
};

struct CaseTables {
  std::vector<std::pair<uint32_t, uint32_t>> to_upper;  // (lower, upper) by lower
  std::vector<uint32_t> uppers;                         // sorted
  std::vector<uint32_t> lowers;                         // lowers[i] maps to uppers[i]
};

const CaseTables& Tables() {
  static const CaseTables tables = [] {
    CaseTables t;
    std::vector<std::pair<uint32_t, uint32_t>> by_upper;
    for (const CaseRange& r : kCaseRanges) {
      for (uint32_t c = r.lo; c <= r.hi; c += r.stride) {
        uint32_t u = static_cast<uint32_t>(static_cast<int64_t>(c) + r.delta);
        t.to_upper.emplace_back(c, u);
        by_upper.emplace_back(u, c);
      }
    }
    std::sort(t.to_upper.begin(), t.to_upper.end());
    std::sort(by_upper.begin(), by_upper.end());
    for (const auto& [u, l] : by_upper) {
      t.uppers.push_back(u);
      t.lowers.push_back(l);
    }
    return t;
  }();
  return tables;
}

}  // namespace

uint32_t Canonicalize(uint32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  const auto& up = Tables().to_upper;
  auto it = std::lower_bound(up.begin(), up.end(), std::make_pair(c, uint32_t{0}));
  if (it != up.end() && it->first == c) return it->second;
  return c;
}

std::pair<const uint32_t*, const uint32_t*> LowercasesOf(uint32_t upper) {
  const CaseTables& t = Tables();
  auto [b, e] = std::equal_range(t.uppers.begin(), t.uppers.end(), upper);
  const uint32_t* base = t.lowers.data();
  return {base + (b - t.uppers.begin()), base + (e - t.uppers.begin())};
}

bool CharClass::Contains(uint32_t c) const {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), c,
                             [](uint32_t v, const std::pair<uint32_t, uint32_t>& r) {
                               return v < r.first;
                             });
  if (it == ranges.begin()) return false;
  --it;
  return c <= it->second;
}

uint32_t DecodeAt(std::string_view s, size_t i, size_t* len) {
  unsigned char b0 = static_cast<unsigned char>(s[i]);
  *len = 1;
  if (b0 < 0x80) return b0;
  size_t need;
  uint32_t cp, min;
  if ((b0 & 0xE0) == 0xC0) {
    need = 1, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    need = 2, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    need = 3, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0xFFFD;
  }
  if (i + need >= s.size()) return 0xFFFD;
  for (size_t k = 1; k <= need; ++k) {
    unsigned char b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF) return 0xFFFD;
  *len = need + 1;
  return cp;
}

uint32_t DecodeBefore(std::string_view s, size_t i, size_t* len) {
  unsigned char last = static_cast<unsigned char>(s[i - 1]);
  *len = 1;
  if (last < 0x80) return last;
  size_t j = i - 1;
  for (int k = 0; k < 3 && j > 0 && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80; ++k) --j;
  size_t l;
  uint32_t cp = DecodeAt(s, j, &l);
  if (j + l != i) return 0xFFFD;
  *len = l;
  return cp;
}

namespace {

[[noreturn]] void ThrowLimit(const char* what) {
  Error e("U1001");
  e.message = std::string("Regular expression matching exceeded its ") + what;
  throw e;
}

struct Frame {
  enum Kind : uint8_t { kChoice, kUndo, kLookMark };
  Kind kind;
  bool negative;
  uint32_t pc;    // kChoice/kLookMark: where to resume; kUndo: the register
  int64_t value;  // kChoice/kLookMark: position; kUndo: the register's old value
};

class Machine {
 public:
  Machine(const Program& p, std::string_view s) : p_(p), s_(s) {}

  // Tries a match starting exactly at `start`; on success regs() holds the
  // captures and end() the end of the match.
  bool RunAt(size_t start);
  const std::vector<int64_t>& regs() const { return regs_; }
  size_t end() const { return end_; }

 private:
  void Push(Frame::Kind kind, uint32_t pc, int64_t value, bool negative = false) {
    if (stack_.size() >= kMaxBacktrackEntries) ThrowLimit("memory limit");
    stack_.push_back(Frame{kind, negative, pc, value});
  }
  void SetReg(uint32_t r, int64_t v) {
    Push(Frame::kUndo, r, regs_[r]);
    regs_[r] = v;
  }
  void Step(uint64_t n = 1) {
    steps_ += n;
    if (steps_ > kMaxSteps) ThrowLimit("step limit");
  }
  // Reads the character after (or before, going backward) `sp`.
  bool Read(bool backward, size_t& sp, uint32_t& c) const {
    size_t len;
    if (!backward) {
      if (sp >= s_.size()) return false;
      unsigned char b = static_cast<unsigned char>(s_[sp]);
      if (b < 0x80) {
        c = b;
        ++sp;
        return true;
      }
      c = DecodeAt(s_, sp, &len);
      sp += len;
    } else {
      if (sp == 0) return false;
      c = DecodeBefore(s_, sp, &len);
      sp -= len;
    }
    return true;
  }
  bool InClass(const CharClass& cls, uint32_t c) const;
  bool Backref(const Inst& in, size_t& sp);
  bool Backtrack(uint32_t& pc, size_t& sp);

  const Program& p_;
  std::string_view s_;
  std::vector<int64_t> regs_;
  std::vector<Frame> stack_;
  std::vector<size_t> marks_;  // stack indexes of the open lookarounds' marks
  uint64_t steps_ = 0;
  size_t end_ = 0;
};

bool Machine::InClass(const CharClass& cls, uint32_t c) const {
  bool found = cls.Contains(c);
  if (!found && p_.ignore_case) {
    // ECMAScript: some member canonicalizes to the same as c.
    uint32_t canon = Canonicalize(c);
    found = canon != c && cls.Contains(canon);
    auto [b, e] = LowercasesOf(canon);
    for (const uint32_t* l = b; !found && l != e; ++l) found = *l != c && cls.Contains(*l);
  }
  return found != cls.negated;
}

bool Machine::Backref(const Inst& in, size_t& sp) {
  int64_t st = regs_[2 * in.a], en = regs_[2 * in.a + 1];
  if (st < 0 || en < 0 || en <= st) return true;  // an unset group matches empty
  size_t len = static_cast<size_t>(en - st);
  Step(len / 8);
  std::string_view group = s_.substr(static_cast<size_t>(st), len);
  if (!p_.ignore_case) {
    if (!in.backward) {
      if (s_.size() - sp < len || s_.compare(sp, len, group) != 0) return false;
      sp += len;
    } else {
      if (sp < len || s_.compare(sp - len, len, group) != 0) return false;
      sp -= len;
    }
    return true;
  }
  size_t g = in.backward ? len : 0;
  size_t pos = sp;
  while (in.backward ? g > 0 : g < len) {
    uint32_t a, b;
    size_t gl;
    if (!in.backward) {
      a = DecodeAt(group, g, &gl);
      g += gl;
    } else {
      a = DecodeBefore(group, g, &gl);
      g -= gl;
    }
    if (!Read(in.backward, pos, b) || Canonicalize(a) != Canonicalize(b)) return false;
  }
  sp = pos;
  return true;
}

bool Machine::Backtrack(uint32_t& pc, size_t& sp) {
  while (!stack_.empty()) {
    Frame f = stack_.back();
    stack_.pop_back();
    switch (f.kind) {
      case Frame::kUndo:
        regs_[f.pc] = f.value;
        break;
      case Frame::kChoice:
        pc = f.pc;
        sp = static_cast<size_t>(f.value);
        return true;
      case Frame::kLookMark:
        // The lookaround's body found no match.
        marks_.pop_back();
        if (f.negative) {
          pc = f.pc;
          sp = static_cast<size_t>(f.value);
          return true;
        }
        break;
    }
  }
  return false;
}

bool Machine::RunAt(size_t start) {
  regs_.assign(p_.reg_count, -1);
  stack_.clear();
  marks_.clear();
  uint32_t pc = 0;
  size_t sp = start;
  const size_t n = s_.size();
  for (;;) {
    Step();
    const Inst& in = p_.insts[pc];
    bool ok = true;
    switch (in.op) {
      case Op::kChar: {
        size_t np = sp;
        uint32_t c;
        ok = Read(in.backward, np, c) && (p_.ignore_case ? Canonicalize(c) : c) == in.a;
        if (ok) sp = np, ++pc;
        break;
      }
      case Op::kAny: {
        size_t np = sp;
        uint32_t c;
        ok = Read(in.backward, np, c) && !IsLineTerminator(c);
        if (ok) sp = np, ++pc;
        break;
      }
      case Op::kClass: {
        size_t np = sp;
        uint32_t c;
        ok = Read(in.backward, np, c) && InClass(p_.classes[in.a], c);
        if (ok) sp = np, ++pc;
        break;
      }
      case Op::kLineStart: {
        size_t len;
        ok = sp == 0 || (p_.multiline && IsLineTerminator(DecodeBefore(s_, sp, &len)));
        ++pc;
        break;
      }
      case Op::kLineEnd: {
        size_t len;
        ok = sp == n || (p_.multiline && IsLineTerminator(DecodeAt(s_, sp, &len)));
        ++pc;
        break;
      }
      case Op::kWordBoundary:
      case Op::kNotWordBoundary: {
        size_t len;
        bool before = sp > 0 && IsWordChar(DecodeBefore(s_, sp, &len));
        bool after = sp < n && IsWordChar(DecodeAt(s_, sp, &len));
        ok = (before != after) == (in.op == Op::kWordBoundary);
        ++pc;
        break;
      }
      case Op::kBackref:
        ok = Backref(in, sp);
        ++pc;
        break;
      case Op::kSplit:
        Push(Frame::kChoice, in.y, static_cast<int64_t>(sp));
        pc = in.x;
        break;
      case Op::kJmp:
        pc = in.x;
        break;
      case Op::kSave:
        SetReg(in.a, static_cast<int64_t>(sp));
        ++pc;
        break;
      case Op::kClear:
        for (uint32_t r = in.a; r < in.b; ++r) {
          if (regs_[r] != -1) SetReg(r, -1);
        }
        ++pc;
        break;
      case Op::kSetZero:
        SetReg(in.a, 0);
        ++pc;
        break;
      case Op::kRepeat: {
        auto count = static_cast<uint64_t>(regs_[in.a]);
        if (count < in.min) {
          ++pc;
        } else if (in.max != kInfinite && count >= in.max) {
          pc = in.x;
        } else if (in.greedy) {
          Push(Frame::kChoice, in.x, static_cast<int64_t>(sp));
          ++pc;
        } else {
          Push(Frame::kChoice, pc + 1, static_cast<int64_t>(sp));
          pc = in.x;
        }
        break;
      }
      case Op::kRepeatEnd: {
        int64_t count = regs_[in.a];
        if (in.b != kNoReg && count >= static_cast<int64_t>(in.min) &&
            regs_[in.b] == static_cast<int64_t>(sp)) {
          ok = false;
          break;
        }
        SetReg(in.a, count + 1);
        pc = in.x;
        break;
      }
      case Op::kCheckProgress:
        ok = regs_[in.a] != static_cast<int64_t>(sp);
        ++pc;
        break;
      case Op::kLookStart:
        Push(Frame::kLookMark, in.x, static_cast<int64_t>(sp), in.negative);
        marks_.push_back(stack_.size() - 1);
        ++pc;
        break;
      case Op::kLookEnd: {
        size_t mark_at = marks_.back();
        marks_.pop_back();
        Frame mark = stack_[mark_at];
        if (!mark.negative) {
          // Succeeded: drop the body's choice points (a lookaround is not
          // re-entered on backtracking) but keep its undo records, so the
          // captures it set are undone if the match backtracks past it.
          size_t w = mark_at;
          for (size_t r = mark_at + 1; r < stack_.size(); ++r) {
            if (stack_[r].kind == Frame::kUndo) stack_[w++] = stack_[r];
          }
          stack_.resize(w);
          sp = static_cast<size_t>(mark.value);
          pc = mark.pc;
        } else {
          // A negative lookaround whose body matched fails as a whole.
          while (stack_.size() > mark_at) {
            const Frame& f = stack_.back();
            if (f.kind == Frame::kUndo) regs_[f.pc] = f.value;
            stack_.pop_back();
          }
          ok = false;
        }
        break;
      }
      case Op::kMatch:
        end_ = sp;
        return true;
    }
    if (!ok && !Backtrack(pc, sp)) return false;
  }
}

}  // namespace

bool Search(const Program& p, std::string_view subject, size_t from,
            std::vector<int64_t>& captures, size_t* match_end) {
  if (from > subject.size()) return false;
  if (p.anchored && from > 0) return false;
  Machine m(p, subject);
  size_t start = from;
  for (;;) {
    if (!p.first_bytes.empty()) {
      size_t found = subject.find(p.first_bytes, start);
      if (found == std::string_view::npos) return false;
      start = found;
    }
    if (m.RunAt(start)) {
      captures = m.regs();
      captures.resize(2 * (p.group_count + 1));
      captures[0] = static_cast<int64_t>(start);
      captures[1] = static_cast<int64_t>(m.end());
      *match_end = m.end();
      return true;
    }
    if (p.anchored || start >= subject.size()) return false;
    size_t len;
    DecodeAt(subject, start, &len);
    start += len;
  }
}

}  // namespace stepflow::jsonata::regex_internal
