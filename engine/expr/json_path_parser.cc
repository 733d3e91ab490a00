// The JSONPath parser: text → the syntax tree of json_path_internal.h.
#include <cctype>
#include <memory>
#include <string>

#include "engine/expr/json_path.h"
#include "engine/expr/json_path_internal.h"

namespace stepflow::expr {
namespace {

constexpr size_t kMaxPathLength = 4096;
constexpr int kMaxFilterDepth = 64;

}  // namespace

// ---------------------------------------------------------------------------
// Parser

class PathParser {
 public:
  explicit PathParser(std::string_view text) : s_(text) {}

  Result<Path> Parse() {
    auto rep = std::make_shared<Path::Rep>();
    Path::Rep& path = *rep;
    path.text_ = std::string(s_);
    if (s_.size() > kMaxPathLength) {
      return Error("is longer than " + std::to_string(kMaxPathLength) + " characters");
    }
    if (s_.empty() || s_[0] != '$') return Error("must start with '$'");
    pos_ = 1;
    if (Peek() == '$') {
      path.root_ = PathRoot::kContext;
      ++pos_;
    } else if (pos_ < s_.size() && IsVariableStart(s_[pos_])) {
      path.root_ = PathRoot::kVariable;
      size_t begin = pos_;
      while (pos_ < s_.size() && IsVariableChar(s_[pos_])) ++pos_;
      path.variable_ = std::string(s_.substr(begin, pos_ - begin));
    }
    auto segs = ParseSegments(/*in_filter=*/false);
    if (!segs.ok()) return segs.status();
    if (pos_ != s_.size()) return Error(Unexpected());
    path.segments_ = std::move(segs).value();
    for (const auto& seg : path.segments_) {
      bool single =
          (seg.kind == PathSegment::Kind::kName || seg.kind == PathSegment::Kind::kIndex) &&
          !seg.descend;
      if (!single) path.definite_ = false;
    }
    // A Reference Path uses only '.name', '[n]' and ['name'] steps.
    path.reference_ = path.definite_ && s_.find_first_of("@,:?*") == std::string_view::npos &&
                      s_.find("..") == std::string_view::npos;
    for (const auto& seg : path.segments_) {
      if (seg.kind == PathSegment::Kind::kIndex && seg.index < 0) path.reference_ = false;
    }
    Path out;
    out.rep_ = std::move(rep);
    return out;
  }

 private:
  static bool IsVariableStart(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return std::isalpha(u) || c == '_' || u >= 0x80;
  }
  static bool IsVariableChar(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || u >= 0x80;
  }

  char Peek(size_t ahead = 0) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }
  void SkipSpaces() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  std::string Unexpected() const {
    if (pos_ >= s_.size()) return "ends unexpectedly";
    return "has an unexpected '" + std::string(1, s_[pos_]) + "' at character " +
           std::to_string(pos_ + 1);
  }
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("Invalid path '" + std::string(s_) + "': the path " + what);
  }

  // Segments until the end of the text, or (in a filter) until a character
  // that cannot continue a path.
  Result<std::vector<PathSegment>> ParseSegments(bool in_filter) {
    std::vector<PathSegment> segs;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '.') {
        bool descend = Peek(1) == '.';
        pos_ += descend ? 2 : 1;
        if (Peek() == '[' && descend) {
          auto seg = ParseBracket();
          if (!seg.ok()) return seg.status();
          seg->descend = true;
          segs.push_back(std::move(seg).value());
          continue;
        }
        PathSegment seg;
        seg.descend = descend;
        if (Peek() == '*') {
          seg.kind = PathSegment::Kind::kWildcard;
          ++pos_;
        } else {
          size_t begin = pos_;
          while (pos_ < s_.size() && !IsNameStop(s_[pos_], in_filter)) ++pos_;
          if (pos_ == begin)
            return Error("has an empty name at character " + std::to_string(begin + 1));
          seg.name = std::string(s_.substr(begin, pos_ - begin));
          if (seg.name.ends_with("()")) {
            return Error("calls the function '" + seg.name +
                         "': JSONPath functions are not supported in ASL paths");
          }
        }
        segs.push_back(std::move(seg));
      } else if (c == '[') {
        auto seg = ParseBracket();
        if (!seg.ok()) return seg.status();
        segs.push_back(std::move(seg).value());
      } else if (in_filter) {
        break;
      } else {
        return Error(Unexpected());
      }
    }
    return segs;
  }

  static bool IsNameStop(char c, bool in_filter) {
    if (c == '.' || c == '[' || c == ']') return true;
    if (!in_filter) return false;
    return c == ' ' || c == ')' || c == '=' || c == '!' || c == '<' || c == '>' || c == '&' ||
           c == '|' || c == ']' || c == '\t';
  }

  Result<std::string> ParseQuoted() {
    char quote = s_[pos_++];
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
      out += s_[pos_++];
    }
    if (pos_ >= s_.size()) return Error("has an unterminated string");
    ++pos_;
    return out;
  }

  std::optional<long long> ParseInteger() {
    size_t begin = pos_;
    if (Peek() == '-') ++pos_;
    size_t digits = pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    if (pos_ == digits || pos_ - digits > 18) {
      pos_ = begin;
      return std::nullopt;
    }
    return std::stoll(std::string(s_.substr(begin, pos_ - begin)));
  }

  Result<PathSegment> ParseBracket() {
    ++pos_;  // '['
    SkipSpaces();
    PathSegment seg;
    if (Peek() == '*') {
      ++pos_;
      seg.kind = PathSegment::Kind::kWildcard;
    } else if (Peek() == '?') {
      ++pos_;
      SkipSpaces();
      if (Peek() != '(')
        return Error("expects '(' after '?' at character " + std::to_string(pos_ + 1));
      ++pos_;
      auto expr = ParseOr();
      if (!expr.ok()) return expr.status();
      SkipSpaces();
      if (Peek() != ')')
        return Error("expects ')' to close the filter at character " + std::to_string(pos_ + 1));
      ++pos_;
      seg.kind = PathSegment::Kind::kFilter;
      seg.filter = std::move(expr).value();
    } else if (Peek() == ':' || Peek() == '-' || std::isdigit(static_cast<unsigned char>(Peek()))) {
      // Index, union of indices, or slice.
      std::optional<long long> first;
      if (Peek() != ':') {
        first = ParseInteger();
        if (!first) return Error(Unexpected());
      }
      SkipSpaces();
      if (Peek() == ':') {
        seg.kind = PathSegment::Kind::kSlice;
        seg.start = first;
        ++pos_;
        SkipSpaces();
        if (Peek() != ']' && Peek() != ':') {
          seg.end = ParseInteger();
          if (!seg.end) return Error(Unexpected());
        }
        SkipSpaces();
        if (Peek() == ':') {
          ++pos_;
          SkipSpaces();
          if (Peek() != ']') {
            auto step = ParseInteger();
            if (!step) return Error(Unexpected());
            if (*step == 0) return Error("has a slice step of 0");
            seg.step = *step;
          }
        }
      } else if (Peek() == ',') {
        seg.kind = PathSegment::Kind::kUnion;
        seg.members.emplace_back(*first);
        while (Peek() == ',') {
          ++pos_;
          SkipSpaces();
          auto next = ParseInteger();
          if (!next) return Error(Unexpected());
          seg.members.emplace_back(*next);
          SkipSpaces();
        }
      } else {
        seg.kind = PathSegment::Kind::kIndex;
        seg.index = *first;
      }
    } else if (Peek() == '\'' || Peek() == '"') {
      auto name = ParseQuoted();
      if (!name.ok()) return name.status();
      SkipSpaces();
      if (Peek() == ',') {
        seg.kind = PathSegment::Kind::kUnion;
        seg.members.emplace_back(std::move(name).value());
        while (Peek() == ',') {
          ++pos_;
          SkipSpaces();
          if (Peek() != '\'' && Peek() != '"') return Error(Unexpected());
          auto next = ParseQuoted();
          if (!next.ok()) return next.status();
          seg.members.emplace_back(std::move(next).value());
          SkipSpaces();
        }
      } else {
        seg.kind = PathSegment::Kind::kName;
        seg.name = std::move(name).value();
      }
    } else {
      return Error(Unexpected());
    }
    SkipSpaces();
    if (Peek() != ']') return Error(pos_ >= s_.size() ? "is missing a closing ']'" : Unexpected());
    ++pos_;
    return seg;
  }

  using ExprPtr = std::shared_ptr<const FilterExpr>;

  // Filter nesting is counted in depth_, across nested filters inside
  // filter operands too ("[?(@.a[?(...)])]"), so no text overflows the stack.
  struct DepthGuard {
    explicit DepthGuard(int* depth) : depth_(depth) { ++*depth_; }
    ~DepthGuard() { --*depth_; }
    int* depth_;
  };

  Result<ExprPtr> ParseOr() {
    DepthGuard guard(&depth_);
    if (depth_ > kMaxFilterDepth) return Error("nests filters too deeply");
    auto lhs = ParseAnd();
    if (!lhs.ok()) return lhs;
    SkipSpaces();
    if (!(Peek() == '|' && Peek(1) == '|')) return lhs;
    auto node = std::make_shared<FilterExpr>();
    node->kind = FilterExpr::Kind::kOr;
    node->children.push_back(std::move(lhs).value());
    while (Peek() == '|' && Peek(1) == '|') {
      pos_ += 2;
      auto rhs = ParseAnd();
      if (!rhs.ok()) return rhs;
      node->children.push_back(std::move(rhs).value());
      SkipSpaces();
    }
    return ExprPtr(node);
  }

  Result<ExprPtr> ParseAnd() {
    auto lhs = ParseUnary();
    if (!lhs.ok()) return lhs;
    SkipSpaces();
    if (!(Peek() == '&' && Peek(1) == '&')) return lhs;
    auto node = std::make_shared<FilterExpr>();
    node->kind = FilterExpr::Kind::kAnd;
    node->children.push_back(std::move(lhs).value());
    while (Peek() == '&' && Peek(1) == '&') {
      pos_ += 2;
      auto rhs = ParseUnary();
      if (!rhs.ok()) return rhs;
      node->children.push_back(std::move(rhs).value());
      SkipSpaces();
    }
    return ExprPtr(node);
  }

  Result<ExprPtr> ParseUnary() {
    DepthGuard guard(&depth_);
    if (depth_ > kMaxFilterDepth) return Error("nests filters too deeply");
    SkipSpaces();
    if (Peek() == '!' && Peek(1) != '=') {
      ++pos_;
      auto inner = ParseUnary();
      if (!inner.ok()) return inner;
      auto node = std::make_shared<FilterExpr>();
      node->kind = FilterExpr::Kind::kNot;
      node->children.push_back(std::move(inner).value());
      return ExprPtr(node);
    }
    if (Peek() == '(') {
      ++pos_;
      auto inner = ParseOr();
      if (!inner.ok()) return inner;
      SkipSpaces();
      if (Peek() != ')') return Error("expects ')' at character " + std::to_string(pos_ + 1));
      ++pos_;
      return inner;
    }
    auto lhs = ParseFilterOperand();
    if (!lhs.ok()) return lhs.status();
    SkipSpaces();
    auto node = std::make_shared<FilterExpr>();
    node->lhs = std::move(lhs).value();
    std::string op;
    for (const char* candidate : {"==", "!=", "<=", ">=", "=~", "<", ">"}) {
      if (s_.substr(pos_).starts_with(candidate)) {
        op = candidate;
        break;
      }
    }
    if (op.empty()) {
      // Jayway's word operators, followed by a space, '[' or a quote.
      for (const char* candidate : {"nin", "in", "subsetof", "anyof", "noneof", "size", "empty"}) {
        std::string_view word(candidate);
        if (s_.substr(pos_).starts_with(word) && pos_ + word.size() < s_.size() &&
            std::string_view(" [\'\"").find(s_[pos_ + word.size()]) != std::string_view::npos) {
          op = candidate;
          break;
        }
      }
    }
    if (op.empty()) {
      node->kind = FilterExpr::Kind::kExists;
      return ExprPtr(node);
    }
    pos_ += op.size();
    SkipSpaces();
    if (op == "=~") {
      auto regex = ParseRegex();
      if (!regex.ok()) return regex.status();
      node->kind = FilterExpr::Kind::kCompare;
      node->op = op;
      node->regex = std::move(regex).value();
      return ExprPtr(node);
    }
    auto rhs = ParseFilterOperand();
    if (!rhs.ok()) return rhs.status();
    node->kind = FilterExpr::Kind::kCompare;
    node->op = op;
    node->rhs = std::move(rhs).value();
    return ExprPtr(node);
  }

  // A regular expression literal /pattern/flags (flag i: ignore case),
  // matched against the whole string as Jayway does. Patterns are limited to
  // 256 characters.
  Result<std::shared_ptr<const std::regex>> ParseRegex() {
    if (Peek() != '/')
      return Error("expects a /regex/ after '=~' at character " + std::to_string(pos_ + 1));
    ++pos_;
    std::string pattern;
    while (pos_ < s_.size() && s_[pos_] != '/') {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) pattern += s_[pos_++];
      pattern += s_[pos_++];
    }
    if (pos_ >= s_.size()) return Error("has an unterminated /regex/");
    ++pos_;
    auto flags = std::regex::ECMAScript;
    while (pos_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[pos_]))) {
      if (s_[pos_] == 'i') flags |= std::regex::icase;
      ++pos_;
    }
    if (pattern.size() > 256) return Error("has a regular expression longer than 256 characters");
    try {
      return std::make_shared<const std::regex>(pattern, flags);
    } catch (const std::regex_error&) {
      return Error("has an invalid regular expression '" + pattern + "'");
    }
  }

  // An array literal in a filter: ['a', 'b'], [1, 2].
  Result<Json> ParseArrayLiteral() {
    ++pos_;  // '['
    Json out = Json::array();
    SkipSpaces();
    if (Peek() == ']') {
      ++pos_;
      return out;
    }
    while (true) {
      auto item = ParseFilterOperand();
      if (!item.ok()) return item.status();
      if (item->kind != FilterOperand::Kind::kLiteral) {
        return Error("allows only literal values in a filter array at character " +
                     std::to_string(pos_ + 1));
      }
      out.push_back(std::move(item->literal));
      SkipSpaces();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ']') {
        ++pos_;
        return out;
      }
      return Error(Unexpected());
    }
  }

  Result<FilterOperand> ParseFilterOperand() {
    SkipSpaces();
    FilterOperand operand;
    char c = Peek();
    if (c == '[') {
      auto array = ParseArrayLiteral();
      if (!array.ok()) return array.status();
      operand.literal = std::move(array).value();
      return operand;
    }
    if (c == '@' || c == '$') {
      operand.kind = c == '@' ? FilterOperand::Kind::kRelative : FilterOperand::Kind::kAbsolute;
      ++pos_;
      auto segs = ParseSegments(/*in_filter=*/true);
      if (!segs.ok()) return segs.status();
      operand.segments = std::move(segs).value();
      return operand;
    }
    if (c == '\'' || c == '"') {
      auto str = ParseQuoted();
      if (!str.ok()) return str.status();
      operand.literal = std::move(str).value();
      return operand;
    }
    for (auto [word, value] :
         {std::pair<const char*, Json>{"true", true}, {"false", false}, {"null", nullptr}}) {
      if (s_.substr(pos_).starts_with(word)) {
        pos_ += std::string_view(word).size();
        operand.literal = value;
        return operand;
      }
    }
    size_t begin = pos_;
    if (Peek() == '-') ++pos_;
    while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) ||
                                s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E' ||
                                ((s_[pos_] == '+' || s_[pos_] == '-') && pos_ > begin &&
                                 (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E')))) {
      ++pos_;
    }
    if (pos_ == begin) return Error(Unexpected());
    Json number = Json::parse(s_.substr(begin, pos_ - begin), nullptr, false);
    if (!number.is_number()) {
      pos_ = begin;
      return Error("has an invalid number at character " + std::to_string(begin + 1));
    }
    operand.literal = std::move(number);
    return operand;
  }

  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;
};

Result<Path> Path::Parse(std::string_view text) { return PathParser(text).Parse(); }

}  // namespace stepflow::expr
