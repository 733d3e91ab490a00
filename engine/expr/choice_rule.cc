#include "engine/expr/choice_rule.h"

#include <array>
#include <cstdint>
#include <string_view>

#include "engine/expr/timestamp.h"

namespace stepflow::expr {
namespace {

// What a comparison operator tests: the operand type it needs at compile
// time and the value type it accepts at evaluation time.
enum class Family { kString, kStringMatches, kNumeric, kBoolean, kTimestamp, kIs };
enum class Cmp { kEq, kLt, kGt, kLe, kGe };
enum class IsTest { kNone, kNull, kPresent, kNumeric, kString, kBoolean, kTimestamp };

struct OpInfo {
  std::string_view name;
  Family family;
  Cmp cmp = Cmp::kEq;
  bool path = false;
  IsTest is = IsTest::kNone;
};

constexpr std::array<OpInfo, 39> kOps = {{
    {"StringEquals", Family::kString, Cmp::kEq},
    {"StringEqualsPath", Family::kString, Cmp::kEq, true},
    {"StringLessThan", Family::kString, Cmp::kLt},
    {"StringLessThanPath", Family::kString, Cmp::kLt, true},
    {"StringGreaterThan", Family::kString, Cmp::kGt},
    {"StringGreaterThanPath", Family::kString, Cmp::kGt, true},
    {"StringLessThanEquals", Family::kString, Cmp::kLe},
    {"StringLessThanEqualsPath", Family::kString, Cmp::kLe, true},
    {"StringGreaterThanEquals", Family::kString, Cmp::kGe},
    {"StringGreaterThanEqualsPath", Family::kString, Cmp::kGe, true},
    {"StringMatches", Family::kStringMatches},
    {"NumericEquals", Family::kNumeric, Cmp::kEq},
    {"NumericEqualsPath", Family::kNumeric, Cmp::kEq, true},
    {"NumericLessThan", Family::kNumeric, Cmp::kLt},
    {"NumericLessThanPath", Family::kNumeric, Cmp::kLt, true},
    {"NumericGreaterThan", Family::kNumeric, Cmp::kGt},
    {"NumericGreaterThanPath", Family::kNumeric, Cmp::kGt, true},
    {"NumericLessThanEquals", Family::kNumeric, Cmp::kLe},
    {"NumericLessThanEqualsPath", Family::kNumeric, Cmp::kLe, true},
    {"NumericGreaterThanEquals", Family::kNumeric, Cmp::kGe},
    {"NumericGreaterThanEqualsPath", Family::kNumeric, Cmp::kGe, true},
    {"BooleanEquals", Family::kBoolean, Cmp::kEq},
    {"BooleanEqualsPath", Family::kBoolean, Cmp::kEq, true},
    {"TimestampEquals", Family::kTimestamp, Cmp::kEq},
    {"TimestampEqualsPath", Family::kTimestamp, Cmp::kEq, true},
    {"TimestampLessThan", Family::kTimestamp, Cmp::kLt},
    {"TimestampLessThanPath", Family::kTimestamp, Cmp::kLt, true},
    {"TimestampGreaterThan", Family::kTimestamp, Cmp::kGt},
    {"TimestampGreaterThanPath", Family::kTimestamp, Cmp::kGt, true},
    {"TimestampLessThanEquals", Family::kTimestamp, Cmp::kLe},
    {"TimestampLessThanEqualsPath", Family::kTimestamp, Cmp::kLe, true},
    {"TimestampGreaterThanEquals", Family::kTimestamp, Cmp::kGe},
    {"TimestampGreaterThanEqualsPath", Family::kTimestamp, Cmp::kGe, true},
    {"IsNull", Family::kIs, Cmp::kEq, false, IsTest::kNull},
    {"IsPresent", Family::kIs, Cmp::kEq, false, IsTest::kPresent},
    {"IsNumeric", Family::kIs, Cmp::kEq, false, IsTest::kNumeric},
    {"IsString", Family::kIs, Cmp::kEq, false, IsTest::kString},
    {"IsBoolean", Family::kIs, Cmp::kEq, false, IsTest::kBoolean},
    {"IsTimestamp", Family::kIs, Cmp::kEq, false, IsTest::kTimestamp},
}};

const OpInfo* FindOp(std::string_view name) {
  for (const OpInfo& op : kOps) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

template <typename T>
bool Compare(const T& a, const T& b, Cmp cmp) {
  switch (cmp) {
    case Cmp::kEq: return a == b;
    case Cmp::kLt: return a < b;
    case Cmp::kGt: return a > b;
    case Cmp::kLe: return a <= b;
    case Cmp::kGe: return a >= b;
  }
  return false;
}

Status InvalidPath(const Path& path) {
  return Status::AslError("States.Runtime",
                          "Invalid path '" + path.text() +
                              "': The choice state's condition path references an invalid value.");
}

// The node `path` selects, or nullptr when it selects nothing. Indefinite
// paths always select (an array of their matches, possibly empty); their
// value is kept in `storage`.
Result<const Json*> Resolve(const Path& path, const Json& input, const EvalContext& ctx,
                            Json* storage) {
  if (path.is_definite()) return path.Find(input, ctx);
  Result<Json> r = path.Evaluate(input, ctx);
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kNotFound) return static_cast<const Json*>(nullptr);
    return r.status();
  }
  *storage = std::move(r).value();
  return static_cast<const Json*>(storage);
}

// Decodes the UTF-8 code point at s[*i] and advances *i (a stray byte
// counts as itself).
uint32_t NextCodePoint(std::string_view s, size_t* i) {
  unsigned char c = s[*i];
  size_t len = c < 0x80               ? 1
               : (c & 0xE0) == 0xC0   ? 2
               : (c & 0xF0) == 0xE0   ? 3
               : (c & 0xF8) == 0xF0   ? 4
                                      : 1;
  if (*i + len > s.size()) len = 1;
  uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
  for (size_t k = 1; k < len; ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[*i + k]) & 0x3F);
  }
  *i += len;
  return cp;
}

// The first UTF-16 code unit of a code point.
uint32_t LeadingUtf16Unit(uint32_t cp) {
  return cp >= 0x10000 ? 0xD800 + ((cp - 0x10000) >> 10) : cp;
}

// Java's String.compareTo, which the AWS docs name as the rule for string
// comparisons: UTF-16 code unit order. It differs from code point (and
// UTF-8 byte) order only between U+E000..U+FFFF and characters beyond
// U+FFFF, whose surrogates (0xD800..) sort lower. Negative, 0 or positive.
int JavaCompare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    uint32_t x = NextCodePoint(a, &i), y = NextCodePoint(b, &j);
    if (x == y) continue;
    uint32_t ux = LeadingUtf16Unit(x), uy = LeadingUtf16Unit(y);
    if (ux != uy) return ux < uy ? -1 : 1;
    return x < y ? -1 : 1;  // same high surrogate: low surrogates follow code points
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

bool IsTimestampString(const Json& v) {
  return v.is_string() && Timestamp::Parse(v.get_ref<const std::string&>()).has_value();
}

// Checks the literal operand of `op` at compile time.
Status CheckOperand(const OpInfo& op, const Json& operand) {
  const std::string name(op.name);
  if (op.path) {
    if (!operand.is_string()) {
      return Status::InvalidArgument(name + " needs a path string, got " +
                                     std::string(JsonTypeName(operand)));
    }
    return Status::Ok();  // parsed by the caller
  }
  switch (op.family) {
    case Family::kString:
      if (!operand.is_string()) break;
      return Status::Ok();
    case Family::kStringMatches:
      if (!operand.is_string()) break;
      if (!IsValidStringMatchesPattern(operand.get_ref<const std::string&>())) {
        return Status::InvalidArgument(
            "StringMatches pattern " + DumpCompact(operand) +
            " is invalid: a backslash may only escape '*' or '\\'");
      }
      return Status::Ok();
    case Family::kNumeric:
      if (!operand.is_number()) break;
      return Status::Ok();
    case Family::kBoolean:
    case Family::kIs:
      if (!operand.is_boolean()) break;
      return Status::Ok();
    case Family::kTimestamp:
      if (!operand.is_string()) break;
      if (!IsTimestampString(operand)) {
        return Status::InvalidArgument(name + " needs an RFC 3339 timestamp, got " +
                                       DumpCompact(operand));
      }
      return Status::Ok();
  }
  static constexpr std::string_view kWants[] = {"a string", "a string", "a number",
                                                "a boolean", "a timestamp string", "a boolean"};
  return Status::InvalidArgument(name + " needs " +
                                 std::string(kWants[static_cast<int>(op.family)]) + ", got " +
                                 std::string(JsonTypeName(operand)));
}

Status Prefixed(const std::string& where, const Status& s) {
  return Status(s.code(), where + ": " + s.message());
}

}  // namespace

const std::vector<std::string>& ChoiceRule::ComparisonOperators() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const OpInfo& op : kOps) names.emplace_back(op.name);
    return names;
  }();
  return kNames;
}

bool ChoiceRule::IsPathOperator(std::string_view op) {
  const OpInfo* info = FindOp(op);
  return info != nullptr && info->path;
}

Result<ChoiceRule> ChoiceRule::Compile(const Json& rule) {
  if (!rule.is_object()) {
    return Status::InvalidArgument("a Choice rule must be an object, got " +
                                   std::string(JsonTypeName(rule)));
  }
  std::vector<std::string> bool_ops;  // And / Or / Not
  std::vector<std::string> data_ops;
  for (const auto& [key, value] : rule.items()) {
    if (key == "And" || key == "Or" || key == "Not") {
      bool_ops.push_back(key);
    } else if (FindOp(key) != nullptr) {
      data_ops.push_back(key);
    } else if (key != "Variable" && key != "Next" && key != "Assign" && key != "Comment") {
      return Status::InvalidArgument("unknown field '" + key + "' in a Choice rule");
    }
  }
  const bool has_variable = rule.contains("Variable");

  ChoiceRule out;
  if (!bool_ops.empty()) {
    if (bool_ops.size() > 1 || !data_ops.empty() || has_variable) {
      return Status::InvalidArgument(
          "a Choice rule must be exactly one of And, Or, Not or a Variable with one "
          "comparison operator");
    }
    const std::string& op = bool_ops.front();
    const Json& body = rule.at(op);
    if (op == "Not") {
      if (!body.is_object()) {
        return Status::InvalidArgument("Not needs one rule object, got " +
                                       std::string(JsonTypeName(body)));
      }
      out.kind_ = Kind::kNot;
      auto child = Compile(body);
      if (!child.ok()) return Prefixed("Not", child.status());
      out.children_.push_back(std::move(child).value());
      return out;
    }
    if (!body.is_array() || body.empty()) {
      return Status::InvalidArgument(op + " needs a non-empty array of rules");
    }
    out.kind_ = op == "And" ? Kind::kAnd : Kind::kOr;
    out.children_.reserve(body.size());
    for (size_t i = 0; i < body.size(); ++i) {
      auto child = Compile(body[i]);
      if (!child.ok()) return Prefixed(op + "[" + std::to_string(i) + "]", child.status());
      out.children_.push_back(std::move(child).value());
    }
    return out;
  }

  if (!has_variable) {
    if (data_ops.empty()) {
      return Status::InvalidArgument(
          "a Choice rule needs And, Or, Not or a Variable with a comparison operator");
    }
    return Status::InvalidArgument("comparison operator " + data_ops.front() +
                                   " needs a Variable");
  }
  const Json& variable = rule.at("Variable");
  if (!variable.is_string()) {
    return Status::InvalidArgument("Variable must be a path string, got " +
                                   std::string(JsonTypeName(variable)));
  }
  auto path = Path::Parse(variable.get_ref<const std::string&>());
  if (!path.ok()) return Prefixed("Variable", path.status());
  if (data_ops.size() != 1) {
    if (data_ops.empty()) {
      return Status::InvalidArgument("a Choice rule with a Variable needs a comparison operator");
    }
    std::string names;
    for (const std::string& n : data_ops) names += (names.empty() ? "" : ", ") + n;
    return Status::InvalidArgument(
        "a Choice rule must have exactly one comparison operator, found " + names);
  }

  const OpInfo& op = *FindOp(data_ops.front());
  const Json& operand = rule.at(data_ops.front());
  STEPFLOW_RETURN_IF_ERROR(CheckOperand(op, operand));
  if (op.path) {
    auto operand_path = Path::Parse(operand.get_ref<const std::string&>());
    if (!operand_path.ok()) return Prefixed(std::string(op.name), operand_path.status());
    out.operand_path_ = std::move(operand_path).value();
  }
  out.kind_ = Kind::kDataTest;
  out.op_ = std::string(op.name);
  out.operand_ = operand;
  out.variable_ = std::move(path).value();
  return out;
}

Result<bool> ChoiceRule::Evaluate(const Json& input, const EvalContext& ctx) const {
  switch (kind_) {
    case Kind::kAnd:
      for (const ChoiceRule& child : children_) {
        STEPFLOW_ASSIGN_OR_RETURN(bool v, child.Evaluate(input, ctx));
        if (!v) return false;
      }
      return true;
    case Kind::kOr:
      for (const ChoiceRule& child : children_) {
        STEPFLOW_ASSIGN_OR_RETURN(bool v, child.Evaluate(input, ctx));
        if (v) return true;
      }
      return false;
    case Kind::kNot: {
      STEPFLOW_ASSIGN_OR_RETURN(bool v, children_.front().Evaluate(input, ctx));
      return !v;
    }
    case Kind::kDataTest:
      break;
  }

  const OpInfo& op = *FindOp(op_);
  Json value_storage;
  STEPFLOW_ASSIGN_OR_RETURN(const Json* value,
                            Resolve(variable_, input, ctx, &value_storage));
  if (op.is == IsTest::kPresent) return (value != nullptr) == operand_.get<bool>();
  if (value == nullptr) return InvalidPath(variable_);

  if (op.family == Family::kIs) {
    bool holds = false;
    switch (op.is) {
      case IsTest::kNull: holds = value->is_null(); break;
      case IsTest::kNumeric: holds = value->is_number(); break;
      case IsTest::kString: holds = value->is_string(); break;
      case IsTest::kBoolean: holds = value->is_boolean(); break;
      case IsTest::kTimestamp: holds = IsTimestampString(*value); break;
      case IsTest::kPresent:
      case IsTest::kNone: break;
    }
    return holds == operand_.get<bool>();
  }

  const Json* rhs = &operand_;
  Json rhs_storage;
  if (operand_path_) {
    STEPFLOW_ASSIGN_OR_RETURN(rhs, Resolve(*operand_path_, input, ctx, &rhs_storage));
    if (rhs == nullptr) return InvalidPath(*operand_path_);
  }

  // A value of the wrong type is simply not a match.
  switch (op.family) {
    case Family::kString:
      if (!value->is_string() || !rhs->is_string()) return false;
      return Compare(JavaCompare(value->get_ref<const std::string&>(),
                                 rhs->get_ref<const std::string&>()),
                     0, op.cmp);
    case Family::kStringMatches:
      if (!value->is_string()) return false;
      return StringMatches(value->get_ref<const std::string&>(),
                           rhs->get_ref<const std::string&>());
    case Family::kNumeric:
      if (!value->is_number() || !rhs->is_number()) return false;
      return Compare(value->get<double>(), rhs->get<double>(), op.cmp);
    case Family::kBoolean:
      if (!value->is_boolean() || !rhs->is_boolean()) return false;
      return value->get<bool>() == rhs->get<bool>();
    case Family::kTimestamp: {
      if (!value->is_string() || !rhs->is_string()) return false;
      auto a = Timestamp::Parse(value->get_ref<const std::string&>());
      auto b = Timestamp::Parse(rhs->get_ref<const std::string&>());
      if (!a || !b) return false;
      return Compare(*a, *b, op.cmp);
    }
    case Family::kIs:
      break;
  }
  return false;
}

std::string ChoiceRule::Describe() const {
  switch (kind_) {
    case Kind::kAnd:
    case Kind::kOr: {
      size_t n = children_.size();
      return std::string(kind_ == Kind::kAnd ? "And(" : "Or(") + std::to_string(n) +
             (n == 1 ? " rule)" : " rules)");
    }
    case Kind::kNot:
      return "Not(" + children_.front().Describe() + ")";
    case Kind::kDataTest:
      break;
  }
  // Path operands print bare, like Variable; literals print as JSON.
  std::string operand = operand_path_ ? operand_path_->text() : DumpCompact(operand_);
  return variable_.text() + " " + op_ + " " + operand;
}

bool IsValidStringMatchesPattern(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '\\') continue;
    if (i + 1 >= pattern.size()) return false;
    if (pattern[i + 1] != '*' && pattern[i + 1] != '\\') return false;
    ++i;
  }
  return true;
}

// Greedy glob with a single backtrack point (the last '*' seen): O(n·m) in
// the worst case, linear for typical patterns, no recursion. Works on UTF-8
// bytes, which is equivalent to code points because a literal never starts
// on a continuation byte.
bool StringMatches(std::string_view text, std::string_view pattern) {
  if (!IsValidStringMatchesPattern(pattern)) return false;
  size_t t = 0, p = 0;
  size_t star_p = std::string_view::npos;  // pattern index just after the last '*'
  size_t star_t = 0;                       // text index that '*' is matched up to
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = ++p;
      star_t = t;
      continue;
    }
    if (p < pattern.size()) {
      size_t width = pattern[p] == '\\' ? 2 : 1;
      char literal = pattern[p + width - 1];
      if (literal == text[t]) {
        p += width;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace stepflow::expr
