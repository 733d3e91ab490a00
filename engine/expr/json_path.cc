#include "engine/expr/json_path.h"

#include <cctype>
#include <cmath>
#include <random>
#include <variant>

namespace stepflow::expr {

// ---------------------------------------------------------------------------
// EvalContext / VariableScope

const Json* VariableScope::Find(std::string_view name) const {
  for (const VariableScope* s = this; s != nullptr; s = s->parent) {
    if (s->vars == nullptr || !s->vars->is_object()) continue;
    const auto& obj = s->vars->get_ref<const Json::object_t&>();
    auto it = obj.find(name);
    if (it != obj.end()) return &it->second;
  }
  return nullptr;
}

uint64_t EvalContext::NextRandom() const {
  if (random) return random();
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

// ---------------------------------------------------------------------------
// Syntax tree

namespace {

constexpr size_t kMaxPathLength = 4096;
constexpr int kMaxFilterDepth = 64;

struct FilterExpr;

}  // namespace

struct PathSegment {
  enum class Kind { kName, kIndex, kWildcard, kSlice, kUnion, kFilter };
  Kind kind = Kind::kName;
  bool descend = false;  // preceded by "..": apply to every descendant too
  std::string name;
  long long index = 0;
  std::optional<long long> start, end;
  long long step = 1;
  std::vector<std::variant<std::string, long long>> members;
  std::shared_ptr<const FilterExpr> filter;
};

struct Path::Rep {
  std::string text_ = "$";
  PathRoot root_ = PathRoot::kInput;
  std::string variable_;
  bool definite_ = true;
  bool reference_ = true;
  std::vector<PathSegment> segments_;
};

namespace {

// A filter operand: a path relative to the current node (@...), an absolute
// path ($...), or a literal.
struct Operand {
  enum class Kind { kRelative, kAbsolute, kLiteral } kind = Kind::kLiteral;
  std::vector<PathSegment> segments;
  Json literal;
};

struct FilterExpr {
  enum class Kind { kOr, kAnd, kNot, kCompare, kExists } kind = Kind::kExists;
  std::vector<std::shared_ptr<const FilterExpr>> children;
  Operand lhs, rhs;
  std::string op;  // == != < <= > >=
};

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
      bool single = (seg.kind == PathSegment::Kind::kName ||
                     seg.kind == PathSegment::Kind::kIndex) && !seg.descend;
      if (!single) path.definite_ = false;
    }
    // A Reference Path uses only '.name', '[n]' and ['name'] steps.
    path.reference_ = path.definite_ &&
                      s_.find_first_of("@,:?*") == std::string_view::npos &&
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

  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0';
  }
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
          if (pos_ == begin) return Error("has an empty name at character " + std::to_string(begin + 1));
          seg.name = std::string(s_.substr(begin, pos_ - begin));
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
    return c == ' ' || c == ')' || c == '=' || c == '!' || c == '<' || c == '>' ||
           c == '&' || c == '|' || c == ']' || c == '\t';
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
      if (Peek() != '(') return Error("expects '(' after '?' at character " + std::to_string(pos_ + 1));
      ++pos_;
      auto expr = ParseOr(0);
      if (!expr.ok()) return expr.status();
      SkipSpaces();
      if (Peek() != ')') return Error("expects ')' to close the filter at character " + std::to_string(pos_ + 1));
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

  Result<ExprPtr> ParseOr(int depth) {
    if (depth > kMaxFilterDepth) return Error("nests filters too deeply");
    auto lhs = ParseAnd(depth);
    if (!lhs.ok()) return lhs;
    SkipSpaces();
    if (!(Peek() == '|' && Peek(1) == '|')) return lhs;
    auto node = std::make_shared<FilterExpr>();
    node->kind = FilterExpr::Kind::kOr;
    node->children.push_back(std::move(lhs).value());
    while (Peek() == '|' && Peek(1) == '|') {
      pos_ += 2;
      auto rhs = ParseAnd(depth);
      if (!rhs.ok()) return rhs;
      node->children.push_back(std::move(rhs).value());
      SkipSpaces();
    }
    return ExprPtr(node);
  }

  Result<ExprPtr> ParseAnd(int depth) {
    auto lhs = ParseUnary(depth);
    if (!lhs.ok()) return lhs;
    SkipSpaces();
    if (!(Peek() == '&' && Peek(1) == '&')) return lhs;
    auto node = std::make_shared<FilterExpr>();
    node->kind = FilterExpr::Kind::kAnd;
    node->children.push_back(std::move(lhs).value());
    while (Peek() == '&' && Peek(1) == '&') {
      pos_ += 2;
      auto rhs = ParseUnary(depth);
      if (!rhs.ok()) return rhs;
      node->children.push_back(std::move(rhs).value());
      SkipSpaces();
    }
    return ExprPtr(node);
  }

  Result<ExprPtr> ParseUnary(int depth) {
    SkipSpaces();
    if (Peek() == '!' && Peek(1) != '=') {
      ++pos_;
      auto inner = ParseUnary(depth + 1);
      if (!inner.ok()) return inner;
      auto node = std::make_shared<FilterExpr>();
      node->kind = FilterExpr::Kind::kNot;
      node->children.push_back(std::move(inner).value());
      return ExprPtr(node);
    }
    if (Peek() == '(') {
      ++pos_;
      auto inner = ParseOr(depth + 1);
      if (!inner.ok()) return inner;
      SkipSpaces();
      if (Peek() != ')') return Error("expects ')' at character " + std::to_string(pos_ + 1));
      ++pos_;
      return inner;
    }
    auto lhs = ParseOperand();
    if (!lhs.ok()) return lhs.status();
    SkipSpaces();
    auto node = std::make_shared<FilterExpr>();
    node->lhs = std::move(lhs).value();
    std::string op;
    for (const char* candidate : {"==", "!=", "<=", ">=", "<", ">"}) {
      if (s_.substr(pos_).starts_with(candidate)) {
        op = candidate;
        break;
      }
    }
    if (op.empty()) {
      node->kind = FilterExpr::Kind::kExists;
      return ExprPtr(node);
    }
    pos_ += op.size();
    SkipSpaces();
    auto rhs = ParseOperand();
    if (!rhs.ok()) return rhs.status();
    node->kind = FilterExpr::Kind::kCompare;
    node->op = op;
    node->rhs = std::move(rhs).value();
    return ExprPtr(node);
  }

  Result<Operand> ParseOperand() {
    SkipSpaces();
    Operand operand;
    char c = Peek();
    if (c == '@' || c == '$') {
      operand.kind = c == '@' ? Operand::Kind::kRelative : Operand::Kind::kAbsolute;
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
    for (auto [word, value] : {std::pair<const char*, Json>{"true", true},
                               {"false", false}, {"null", nullptr}}) {
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
};

// ---------------------------------------------------------------------------
// Evaluation

namespace {

using Nodes = std::vector<const Json*>;

const Json* Child(const Json& node, const std::string& name) {
  if (!node.is_object()) return nullptr;
  const auto& obj = node.get_ref<const Json::object_t&>();
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &it->second;
}

const Json* Element(const Json& node, long long index) {
  if (!node.is_array()) return nullptr;
  long long size = static_cast<long long>(node.size());
  if (index < 0) index += size;
  if (index < 0 || index >= size) return nullptr;
  return &node[static_cast<size_t>(index)];
}

void CollectDescendants(const Json* node, Nodes* out) {
  out->push_back(node);
  if (node->is_object()) {
    for (const auto& [k, v] : node->items()) CollectDescendants(&v, out);
  } else if (node->is_array()) {
    for (const auto& v : *node) CollectDescendants(&v, out);
  }
}

void ApplySegments(const std::vector<PathSegment>& segs, const Json* root, Nodes* nodes,
                   const Json& document_root);

// Resolves a filter operand against the current node: the value, or
// nullptr when a path selects nothing.
std::optional<Json> OperandValue(const Operand& operand, const Json& current,
                                 const Json& document_root) {
  if (operand.kind == Operand::Kind::kLiteral) return operand.literal;
  const Json& start = operand.kind == Operand::Kind::kRelative ? current : document_root;
  Nodes nodes{&start};
  ApplySegments(operand.segments, &start, &nodes, document_root);
  if (nodes.empty()) return std::nullopt;
  return *nodes.front();
}

bool CompareValues(const Json& a, const std::string& op, const Json& b) {
  if (op == "==") return a.is_number() && b.is_number() ? a.get<double>() == b.get<double>() : a == b;
  if (op == "!=") return !CompareValues(a, "==", b);
  int cmp;
  if (a.is_number() && b.is_number()) {
    double x = a.get<double>(), y = b.get<double>();
    cmp = x < y ? -1 : (x > y ? 1 : 0);
  } else if (a.is_string() && b.is_string()) {
    cmp = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
  } else {
    return false;  // ordering across types is never true
  }
  if (op == "<") return cmp < 0;
  if (op == "<=") return cmp <= 0;
  if (op == ">") return cmp > 0;
  return cmp >= 0;
}

bool Truthy(const Json& v) {
  if (v.is_boolean()) return v.get<bool>();
  return !v.is_null();
}

bool EvalFilter(const FilterExpr& expr, const Json& current, const Json& document_root) {
  switch (expr.kind) {
    case FilterExpr::Kind::kOr:
      for (const auto& c : expr.children) {
        if (EvalFilter(*c, current, document_root)) return true;
      }
      return false;
    case FilterExpr::Kind::kAnd:
      for (const auto& c : expr.children) {
        if (!EvalFilter(*c, current, document_root)) return false;
      }
      return true;
    case FilterExpr::Kind::kNot:
      return !EvalFilter(*expr.children[0], current, document_root);
    case FilterExpr::Kind::kExists: {
      auto v = OperandValue(expr.lhs, current, document_root);
      if (expr.lhs.kind == Operand::Kind::kLiteral) return v && Truthy(*v);
      return v.has_value();
    }
    case FilterExpr::Kind::kCompare: {
      auto a = OperandValue(expr.lhs, current, document_root);
      auto b = OperandValue(expr.rhs, current, document_root);
      if (!a || !b) return false;
      return CompareValues(*a, expr.op, *b);
    }
  }
  return false;
}

void ApplySlice(const PathSegment& seg, const Json& node, Nodes* out) {
  if (!node.is_array()) return;
  long long n = static_cast<long long>(node.size());
  long long step = seg.step;
  auto clamp = [n](long long v, long long lo, long long hi) {
    if (v < 0) v += n;
    return std::max(lo, std::min(v, hi));
  };
  if (step > 0) {
    long long start = seg.start ? clamp(*seg.start, 0, n) : 0;
    long long end = seg.end ? clamp(*seg.end, 0, n) : n;
    for (long long i = start; i < end; i += step) out->push_back(&node[static_cast<size_t>(i)]);
  } else {
    long long start = seg.start ? clamp(*seg.start, -1, n - 1) : n - 1;
    long long end = seg.end ? clamp(*seg.end, -1, n - 1) : -1;
    for (long long i = start; i > end; i += step) out->push_back(&node[static_cast<size_t>(i)]);
  }
}

void ApplySelector(const PathSegment& seg, const Json& node, Nodes* out,
                   const Json& document_root) {
  switch (seg.kind) {
    case PathSegment::Kind::kName:
      if (const Json* c = Child(node, seg.name)) out->push_back(c);
      break;
    case PathSegment::Kind::kIndex:
      if (const Json* c = Element(node, seg.index)) out->push_back(c);
      break;
    case PathSegment::Kind::kWildcard:
      if (node.is_object() || node.is_array()) {
        for (const auto& v : node) out->push_back(&v);
      }
      break;
    case PathSegment::Kind::kSlice:
      ApplySlice(seg, node, out);
      break;
    case PathSegment::Kind::kUnion:
      for (const auto& m : seg.members) {
        const Json* c = std::holds_alternative<std::string>(m)
                            ? Child(node, std::get<std::string>(m))
                            : Element(node, std::get<long long>(m));
        if (c) out->push_back(c);
      }
      break;
    case PathSegment::Kind::kFilter:
      if (node.is_array()) {
        for (const auto& v : node) {
          if (EvalFilter(*seg.filter, v, document_root)) out->push_back(&v);
        }
      } else if (node.is_object()) {
        for (const auto& v : node) {
          if (EvalFilter(*seg.filter, v, document_root)) out->push_back(&v);
        }
      }
      break;
  }
}

void ApplySegments(const std::vector<PathSegment>& segs, const Json* /*root*/, Nodes* nodes,
                   const Json& document_root) {
  Nodes next;
  for (const auto& seg : segs) {
    next.clear();
    for (const Json* node : *nodes) {
      if (seg.descend) {
        Nodes all;
        CollectDescendants(node, &all);
        for (const Json* d : all) ApplySelector(seg, *d, &next, document_root);
      } else {
        ApplySelector(seg, *node, &next, document_root);
      }
    }
    nodes->swap(next);
    if (nodes->empty()) return;
  }
}

const Json& EmptyObject() {
  static const Json kEmpty = Json::object();
  return kEmpty;
}

}  // namespace

// ---------------------------------------------------------------------------
// Path

Path::Path() {
  static const auto kRoot = std::make_shared<const Rep>();
  rep_ = kRoot;
}
Path::~Path() = default;
Path::Path(const Path&) = default;
Path::Path(Path&&) noexcept = default;
Path& Path::operator=(const Path&) = default;
Path& Path::operator=(Path&&) noexcept = default;

Result<Path> Path::Parse(std::string_view text) { return PathParser(text).Parse(); }

bool Path::is_root_only() const { return rep_->segments_.empty(); }
const std::string& Path::text() const { return rep_->text_; }
PathRoot Path::root() const { return rep_->root_; }
const std::string& Path::variable() const { return rep_->variable_; }
bool Path::is_definite() const { return rep_->definite_; }
bool Path::is_reference_path() const { return rep_->reference_; }

const Json* Path::Find(const Json& input, const EvalContext& ctx) const {
  const Json* node = nullptr;
  switch (rep_->root_) {
    case PathRoot::kInput: node = &input; break;
    case PathRoot::kContext: node = ctx.context ? ctx.context : &EmptyObject(); break;
    case PathRoot::kVariable:
      node = ctx.variables ? ctx.variables->Find(rep_->variable_) : nullptr;
      break;
  }
  for (const auto& seg : rep_->segments_) {
    if (node == nullptr) return nullptr;
    if (seg.kind == PathSegment::Kind::kName) {
      node = Child(*node, seg.name);
    } else if (seg.kind == PathSegment::Kind::kIndex) {
      node = Element(*node, seg.index);
    } else {
      return nullptr;  // not a definite path
    }
  }
  return node;
}

Result<Json> Path::Evaluate(const Json& input, const EvalContext& ctx) const {
  if (rep_->definite_) {
    if (const Json* node = Find(input, ctx)) return *node;
    if (rep_->root_ == PathRoot::kVariable &&
        (ctx.variables == nullptr || ctx.variables->Find(rep_->variable_) == nullptr)) {
      return Status::NotFound("The variable '" + rep_->variable_ + "' is not assigned");
    }
    return Status::NotFound("The JSONPath '" + rep_->text_ + "' could not be found in the input");
  }
  const Json* root = nullptr;
  switch (rep_->root_) {
    case PathRoot::kInput: root = &input; break;
    case PathRoot::kContext: root = ctx.context ? ctx.context : &EmptyObject(); break;
    case PathRoot::kVariable:
      root = ctx.variables ? ctx.variables->Find(rep_->variable_) : nullptr;
      if (root == nullptr) return Status::NotFound("The variable '" + rep_->variable_ + "' is not assigned");
      break;
  }
  Nodes nodes{root};
  ApplySegments(rep_->segments_, root, &nodes, *root);
  Json out = Json::array();
  for (const Json* n : nodes) out.push_back(*n);
  return out;
}

std::vector<Path::Step> Path::ReferenceSteps() const {
  std::vector<Step> steps;
  steps.reserve(rep_->segments_.size());
  for (const auto& seg : rep_->segments_) {
    Step step;
    if (seg.kind == PathSegment::Kind::kIndex) {
      step.is_index = true;
      step.index = seg.index;
    } else {
      step.name = seg.name;
    }
    steps.push_back(std::move(step));
  }
  return steps;
}

}  // namespace stepflow::expr
