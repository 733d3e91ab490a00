#include "engine/jsonata/signature.h"

#include <array>
#include <limits>

#include "engine/jsonata/error.h"
#include "engine/jsonata/function.h"

namespace stepflow::jsonata {
namespace {

constexpr std::string_view kSymbols = "asnblfom";
constexpr uint16_t kAny = 0xFF;                              // [asnblfom]
constexpr uint16_t kJson = kAny & ~(1u << 5);                // [asnblom]
constexpr uint16_t kMissing = 1u << 7;                       // m

uint16_t Bit(char symbol) {
  size_t i = kSymbols.find(symbol);
  return i == std::string_view::npos ? 0 : static_cast<uint16_t>(1u << i);
}

size_t FindClosing(std::string_view s, size_t start, char open, char close) {
  int depth = 1;
  size_t pos = start;
  while (pos < s.size()) {
    ++pos;
    if (pos >= s.size()) break;
    if (s[pos] == close) {
      if (--depth == 0) break;
    } else if (s[pos] == open) {
      ++depth;
    }
  }
  return pos;
}

std::string_view PluralOf(std::string_view subtype) {
  if (subtype == "a") return "arrays";
  if (subtype == "b") return "booleans";
  if (subtype == "f") return "functions";
  if (subtype == "n") return "numbers";
  if (subtype == "o") return "objects";
  if (subtype == "s") return "strings";
  return {};
}

// Inline storage for the few per-parameter counters of a match.
template <typename T, size_t N>
class SmallArray {
 public:
  explicit SmallArray(size_t n) {
    if (n > N) heap_.resize(n);
    data_ = n > N ? heap_.data() : inline_.data();
  }
  T& operator[](size_t i) { return data_[i]; }

 private:
  std::array<T, N> inline_{};
  std::vector<T> heap_;
  T* data_;
};

}  // namespace

char Signature::SymbolOf(const Value& v) {
  switch (v.type()) {
    case Value::Type::kFunction: return 'f';
    case Value::Type::kString: return 's';
    case Value::Type::kNumber: return 'n';
    case Value::Type::kBoolean: return 'b';
    case Value::Type::kNull: return 'l';
    case Value::Type::kArray: return 'a';
    case Value::Type::kObject: return 'o';
    case Value::Type::kUndefined: return 'm';
  }
  return 'm';
}

std::shared_ptr<const Signature> Signature::Parse(std::string_view text) {
  auto sig = std::make_shared<Signature>();
  sig->definition_ = std::string(text);
  std::vector<Param>& params = sig->params_;
  // Modifiers apply to the last parameter pushed; before the first one
  // jsonata-js modifies a parameter that is never used.
  Param orphan;
  auto prev = [&]() -> Param& { return params.empty() ? orphan : params.back(); };
  auto type_name = [](const Param& p) -> std::string {
    return p.type == '(' ? "(" + p.subtype + ")" : std::string(1, p.type);
  };
  size_t position = 1;
  while (position < text.size()) {
    char symbol = text[position];
    if (symbol == ':') break;
    switch (symbol) {
      case 's':
      case 'n':
      case 'b':
      case 'l':
      case 'o': {
        Param p;
        p.type = symbol;
        p.mask = Bit(symbol) | kMissing;
        params.push_back(std::move(p));
        break;
      }
      case 'a':
      case 'x': {
        Param p;
        p.type = symbol;
        p.mask = kAny;
        params.push_back(std::move(p));
        break;
      }
      case 'f': {
        Param p;
        p.type = 'f';
        p.mask = Bit('f');
        params.push_back(std::move(p));
        break;
      }
      case 'j': {
        Param p;
        p.type = 'j';
        p.mask = kJson;
        params.push_back(std::move(p));
        break;
      }
      case '-': {
        Param& p = prev();
        p.context = true;
        p.context_mask = p.mask;
        if (p.optional || p.one_or_more) {
          p.lazy = true;
        } else {
          p.optional = true;
        }
        break;
      }
      case '?':
      case '+': {
        Param& p = prev();
        if (p.optional || p.one_or_more) {
          // A second quantifier: '?' makes the first lazy; JavaScript rejects
          // '+' there, which we read as one-or-more.
          if (symbol == '?') {
            p.lazy = true;
          } else {
            p.optional = false;
            p.one_or_more = true;
          }
        } else if (symbol == '?') {
          p.optional = true;
        } else {
          p.one_or_more = true;
        }
        break;
      }
      case '(': {
        size_t end = FindClosing(text, position, '(', ')');
        std::string_view choice = text.substr(position + 1, end - position - 1);
        if (choice.find('<') != std::string_view::npos) {
          Error e("S0402", static_cast<int>(position));
          e.value = Value::String(choice);
          e.Fill();
          throw e;
        }
        Param p;
        p.type = '(';
        p.mask = kMissing;
        for (char c : choice) p.mask |= Bit(c);
        p.subtype = std::string(choice);  // kept for messages only
        params.push_back(std::move(p));
        position = end;
        break;
      }
      case '<': {
        Param& p = prev();
        if (p.type == 'a' || p.type == 'f') {
          size_t end = FindClosing(text, position, '<', '>');
          p.subtype = std::string(text.substr(position + 1, end - position - 1));
          position = end;
        } else {
          Error e("S0401", static_cast<int>(position));
          e.value = Value::String(type_name(p));
          e.Fill();
          throw e;
        }
        break;
      }
      default:
        break;
    }
    ++position;
  }
  // A choice's text is not a subtype.
  for (Param& p : params) {
    if (p.type == '(') p.subtype.clear();
  }
  return sig;
}

long Signature::Match(std::string_view syms, size_t count, bool anchored,
                      std::vector<uint32_t>* counts) const {
  const size_t n = syms.size();
  SmallArray<uint32_t, 12> start(count), cur(count), avail(count);
  // Memo of (parameter, position) pairs from which the rest cannot match,
  // so that patterns with many `+`/`?` stay polynomial.
  const size_t states = (count + 1) * (n + 1);
  uint64_t small_memo = 0;
  std::vector<bool> big_memo;
  if (states > 64) big_memo.assign(states, false);
  auto failed = [&](size_t i, size_t pos) {
    size_t k = i * (n + 1) + pos;
    return states > 64 ? static_cast<bool>(big_memo[k]) : ((small_memo >> k) & 1u) != 0;
  };
  auto mark = [&](size_t i, size_t pos) {
    size_t k = i * (n + 1) + pos;
    if (states > 64) {
      big_memo[k] = true;
    } else {
      small_memo |= uint64_t{1} << k;
    }
  };

  size_t i = 0;
  size_t pos = 0;
  while (true) {
    bool advance = false;
    if (i == count) {
      if (!anchored || pos == n) {
        if (counts != nullptr) {
          counts->resize(count);
          for (size_t k = 0; k < count; ++k) (*counts)[k] = cur[k];
        }
        return static_cast<long>(pos);
      }
    } else if (!failed(i, pos)) {
      const Param& p = params_[i];
      const size_t min = p.optional ? 0 : 1;
      const size_t max = p.one_or_more ? std::numeric_limits<size_t>::max() : 1;
      size_t k = 0;
      while (pos + k < n && k < max && (p.mask & Bit(syms[pos + k])) != 0) ++k;
      if (k >= min) {
        start[i] = static_cast<uint32_t>(pos);
        avail[i] = static_cast<uint32_t>(k);
        cur[i] = static_cast<uint32_t>(p.lazy ? min : k);
        pos += cur[i];
        ++i;
        advance = true;
      } else {
        mark(i, pos);
      }
    }
    if (advance) continue;
    // Backtrack to the latest parameter with an untried alternative.
    while (true) {
      if (i == 0) return -1;
      --i;
      const Param& p = params_[i];
      const uint32_t min = p.optional ? 0 : 1;
      if (p.lazy ? cur[i] < avail[i] : cur[i] > min) {
        cur[i] = p.lazy ? cur[i] + 1 : cur[i] - 1;
        pos = start[i] + cur[i];
        ++i;
        break;
      }
      mark(i, start[i]);
    }
  }
}

void Signature::ThrowMismatch(std::span<const Value> args, std::string_view syms) const {
  size_t good_to = 0;
  for (size_t k = 0; k < params_.size(); ++k) {
    long end = Match(syms, k + 1, false, nullptr);
    if (end < 0) break;
    good_to = static_cast<size_t>(end);
    if (k + 1 == params_.size()) break;
  }
  Error e("T0410");
  e.value = good_to < args.size() ? args[good_to] : Value();
  e.index = static_cast<int>(good_to + 1);
  e.Fill();
  throw e;
}

std::vector<Value> Signature::Validate(std::span<const Value> args, const Value& context) const {
  std::string syms;
  syms.reserve(args.size());
  for (const Value& a : args) syms.push_back(SymbolOf(a));
  std::vector<uint32_t> counts;
  if (Match(syms, params_.size(), true, &counts) < 0) ThrowMismatch(args, syms);

  std::vector<Value> out;
  out.reserve(params_.size());
  size_t arg_index = 0;
  size_t pos = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Param& p = params_[i];
    const size_t taken = counts[i];
    std::string_view match(syms.data() + pos, taken);
    pos += taken;
    if (taken == 0) {
      if (p.context) {
        if ((p.context_mask & Bit(SymbolOf(context))) == 0) {
          Error e("T0411");
          e.value = context;
          e.index = static_cast<int>(arg_index + 1);
          e.Fill();
          throw e;
        }
        out.push_back(context);
      } else {
        out.push_back(arg_index < args.size() ? args[arg_index] : Value());
        ++arg_index;
      }
      continue;
    }
    for (char single : match) {
      if (p.type != 'a') {
        // (jsonata-js 2.0.6 passes the first argument of a `+` run once per
        // argument; no suite case depends on that, so each gets its own.)
        out.push_back(arg_index < args.size() ? args[arg_index] : Value());
        ++arg_index;
        continue;
      }
      if (single == 'm') {
        out.emplace_back();
        ++arg_index;
        continue;
      }
      Value arg = args[arg_index];
      bool ok = true;
      if (!p.subtype.empty()) {
        if (single != 'a') {
          ok = match == p.subtype;
        } else if (arg.size() > 0) {
          char item_type = SymbolOf(arg.at(0));
          if (item_type != p.subtype[0]) {
            ok = false;
          } else {
            for (size_t k = 1; k < arg.size() && ok; ++k) ok = SymbolOf(arg.at(k)) == item_type;
          }
        }
      }
      if (!ok) {
        Error e("T0412");
        e.value = arg;
        e.index = static_cast<int>(arg_index + 1);
        std::string_view plural = PluralOf(p.subtype);
        if (!plural.empty()) e.value2 = Value::String(plural);
        e.Fill();
        throw e;
      }
      if (single != 'a') arg = Value::NewArray({std::move(arg)});
      out.push_back(std::move(arg));
      ++arg_index;
    }
  }
  return out;
}

}  // namespace stepflow::jsonata
