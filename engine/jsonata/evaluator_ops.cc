// Operators (arithmetic, comparison, boolean, &, .., in, unary - and the
// array/object constructors), equality and truthiness, and the transform
// operator with $clone.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "engine/jsonata/evaluator.h"

namespace stepflow::jsonata {

namespace {
// The longest string `&` builds (64 MiB).
constexpr size_t kMaxConcatBytes = size_t{1} << 26;
}  // namespace

using detail::IsNumeric;
using detail::NewSequence;

namespace {

bool Boolize(const Value& v) { return !v.IsUndefined() && ToBoolean(v); }

Value Arithmetic(BinaryOp op, const Value& lhs, const Value& rhs) {
  if (!lhs.IsUndefined() && !IsNumeric(lhs)) Throw("T2001", -1, {}, lhs);
  if (!rhs.IsUndefined() && !IsNumeric(rhs)) Throw("T2002", -1, {}, rhs);
  if (lhs.IsUndefined() || rhs.IsUndefined()) return {};
  double a = lhs.number();
  double b = rhs.number();
  switch (op) {
    case BinaryOp::kAdd: return Value::Number(a + b);
    case BinaryOp::kSubtract: return Value::Number(a - b);
    case BinaryOp::kMultiply: return Value::Number(a * b);
    case BinaryOp::kDivide: return Value::Number(a / b);
    case BinaryOp::kModulo: return Value::Number(std::fmod(a, b));
    default: return {};
  }
}

Value Comparison(BinaryOp op, const Value& lhs, const Value& rhs) {
  bool l_comparable = lhs.IsUndefined() || lhs.IsString() || lhs.IsNumber();
  bool r_comparable = rhs.IsUndefined() || rhs.IsString() || rhs.IsNumber();
  if (!l_comparable || !r_comparable) {
    bool l_value = lhs.IsString() || lhs.IsNumber();
    Throw("T2010", -1, {}, !l_value ? lhs : rhs);
  }
  if (lhs.IsUndefined() || rhs.IsUndefined()) return {};
  if (lhs.type() != rhs.type()) Throw("T2009", -1, {}, lhs, rhs);
  int c;
  bool unordered = false;
  if (lhs.IsNumber()) {
    double a = lhs.number();
    double b = rhs.number();
    unordered = std::isnan(a) || std::isnan(b);
    c = a < b ? -1 : (a > b ? 1 : 0);
  } else {
    c = detail::CompareStringsJs(lhs.str(), rhs.str());
  }
  if (unordered) return Value::Boolean(false);
  switch (op) {
    case BinaryOp::kLess: return Value::Boolean(c < 0);
    case BinaryOp::kLessEqual: return Value::Boolean(c <= 0);
    case BinaryOp::kGreater: return Value::Boolean(c > 0);
    case BinaryOp::kGreaterEqual: return Value::Boolean(c >= 0);
    default: return {};
  }
}

bool IsInteger(const Value& v) {
  return v.IsNumber() && std::isfinite(v.number()) && std::trunc(v.number()) == v.number();
}

Value Range(const Value& lhs, const Value& rhs) {
  if (!lhs.IsUndefined() && !IsInteger(lhs)) Throw("T2003", -1, {}, lhs);
  if (!rhs.IsUndefined() && !IsInteger(rhs)) Throw("T2004", -1, {}, rhs);
  if (lhs.IsUndefined() || rhs.IsUndefined()) return {};
  double a = lhs.number();
  double b = rhs.number();
  if (a > b) return {};
  double size = b - a + 1;
  if (size > 1e7) Throw("D2014", -1, {}, Value::Number(size));
  Value out = NewSequence();
  std::vector<Value>& items = out.MutableArray().items;
  size_t n = static_cast<size_t>(size);
  items.reserve(n);
  for (size_t i = 0; i < n; ++i) items.push_back(Value::Number(a + static_cast<double>(i)));
  return out;
}

// JavaScript's `===`: values for primitives, identity for the rest.
bool StrictEqual(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Value::Type::kUndefined:
    case Value::Type::kNull:
      return true;
    case Value::Type::kBoolean:
      return a.boolean() == b.boolean();
    case Value::Type::kNumber:
      return a.number() == b.number();
    case Value::Type::kString:
      return a.str() == b.str();
    default:
      return ValueAccess::Identity(a) == ValueAccess::Identity(b);
  }
}

Value Includes(const Value& lhs, const Value& rhs) {
  if (lhs.IsUndefined() || rhs.IsUndefined()) return Value::Boolean(false);
  if (!rhs.IsArray()) return Value::Boolean(StrictEqual(rhs, lhs));
  size_t n = rhs.size();
  for (size_t i = 0; i < n; ++i) {
    if (StrictEqual(rhs.at(i), lhs)) return Value::Boolean(true);
  }
  return Value::Boolean(false);
}

}  // namespace

Value Evaluator::EvalBinary(const Node& expr, const Value& input, Frame* env) {
  Value lhs = Eval(*expr.lhs, input, env);
  const BinaryOp op = expr.op;
  try {
    if (op == BinaryOp::kAnd) {
      return Value::Boolean(Boolize(lhs) && Boolize(Eval(*expr.rhs, input, env)));
    }
    if (op == BinaryOp::kOr) {
      return Value::Boolean(Boolize(lhs) || Boolize(Eval(*expr.rhs, input, env)));
    }
  } catch (Error& e) {
    e.position = expr.position;
    e.token = expr.value;
    throw;
  }

  Value rhs = Eval(*expr.rhs, input, env);
  try {
    switch (op) {
      case BinaryOp::kAdd:
      case BinaryOp::kSubtract:
      case BinaryOp::kMultiply:
      case BinaryOp::kDivide:
      case BinaryOp::kModulo:
        return Arithmetic(op, lhs, rhs);
      case BinaryOp::kEqual:
        if (lhs.IsUndefined() || rhs.IsUndefined()) return Value::Boolean(false);
        return Value::Boolean(DeepEqual(lhs, rhs));
      case BinaryOp::kNotEqual:
        if (lhs.IsUndefined() || rhs.IsUndefined()) return Value::Boolean(false);
        return Value::Boolean(!DeepEqual(lhs, rhs));
      case BinaryOp::kLess:
      case BinaryOp::kLessEqual:
      case BinaryOp::kGreater:
      case BinaryOp::kGreaterEqual:
        return Comparison(op, lhs, rhs);
      case BinaryOp::kConcat: {
        std::string s = lhs.IsUndefined() ? std::string() : Stringify(lhs);
        if (!rhs.IsUndefined()) {
          std::string r = Stringify(rhs);
          // A runaway result (a recursion concatenating its own results grows
          // them like Fibonacci numbers) ends with U1001 before it takes the
          // machine's memory; Step Functions' payloads stop at 256 KiB anyway.
          if (s.size() + r.size() > kMaxConcatBytes) Throw("U1001");
          s += r;
        }
        return Value::String(std::move(s));
      }
      case BinaryOp::kRange:
        return Range(lhs, rhs);
      case BinaryOp::kIn:
        return Includes(lhs, rhs);
      default:
        return {};
    }
  } catch (Error& e) {
    e.position = expr.position;
    e.token = expr.value;
    throw;
  }
}

namespace {
constexpr size_t kMaxConstructedItems = 10'000'000;  // the range operator's limit too
}  // namespace

Value Evaluator::EvalUnary(const Node& expr, const Value& input, Frame* env) {
  if (expr.value == "-") {
    Value v = Eval(*expr.expression, input, env);
    if (v.IsUndefined()) return {};
    if (IsNumeric(v)) return Value::Number(-v.number());
    Throw("D1002", expr.position, expr.value, v);
  }
  if (expr.value == "[") {
    Value out = Value::NewArray();
    std::vector<Value>& items = out.MutableArray().items;
    for (const NodePtr& item : expr.expressions) {
      Value v = Eval(*item, input, env);
      if (v.IsUndefined()) continue;
      if (item->type == NodeType::kUnary && item->value == "[") {
        items.push_back(std::move(v));
      } else if (v.IsArray()) {
        if (items.empty() && v.array() != nullptr && ValueAccess::IsUnique(v)) {
          items = std::move(v.MutableArray().items);  // a fresh sequence: take its items
        } else if (const Array* a = v.array()) {
          items.insert(items.end(), a->items.begin(), a->items.end());
        } else {
          size_t n = v.size();
          detail::ReserveFor(items, n);
          for (size_t i = 0; i < n; ++i) items.push_back(v.at(i));
        }
      } else {
        items.push_back(std::move(v));
      }
      // A constructor can double its input each call ([$s, $s] in a
      // recursion): bound what one array may hold, and look at the clock
      // once arrays get large, so memory cannot run away between checks.
      if (items.size() > kMaxConstructedItems) {
        Error e("U1001");
        e.message = "Evaluation exceeded its memory limit: an array of more than 10,000,000 items";
        throw e;
      }
      if (items.size() > 65536) CheckClock();
    }
    if (expr.consarray) out.MutableArray().cons = true;
    return out;
  }
  if (expr.value == "{") return EvalGroup(expr.pairs, expr.position, input, env);
  return {};
}

// ---- equality and truthiness ----

bool DeepEqual(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Value::Type::kUndefined:
    case Value::Type::kNull:
      return true;
    case Value::Type::kBoolean:
      return a.boolean() == b.boolean();
    case Value::Type::kNumber:
      return a.number() == b.number();
    case Value::Type::kString:
      return a.str() == b.str();
    case Value::Type::kFunction:
      return ValueAccess::Identity(a) == ValueAccess::Identity(b);
    case Value::Type::kArray: {
      if (ValueAccess::Identity(a) == ValueAccess::Identity(b)) return true;
      size_t n = a.size();
      if (n != b.size()) return false;
      detail::CheckNativeStack();
      for (size_t i = 0; i < n; ++i) {
        if (!DeepEqual(a.at(i), b.at(i))) return false;
      }
      return true;
    }
    case Value::Type::kObject: {
      if (ValueAccess::Identity(a) == ValueAccess::Identity(b)) return true;
      if (a.ObjectSize() != b.ObjectSize()) return false;
      detail::CheckNativeStack();
      bool equal = true;
      a.ForEachMember([&](std::string_view k, const Value& v) {
        if (!equal) return;
        if (!b.Has(k) || !DeepEqual(v, b.Get(k))) equal = false;
      });
      return equal;
    }
  }
  return false;
}

namespace {

// The truth of one non-array value.
bool ScalarBoolean(const Value& v) {
  switch (v.type()) {
    case Value::Type::kString:
      return !v.str().empty();
    case Value::Type::kNumber:
      return IsNumeric(v) && v.number() != 0;
    case Value::Type::kObject:
      return v.ObjectSize() > 0;
    case Value::Type::kBoolean:
      return v.boolean();
    case Value::Type::kFunction:
      // jsonata-js's lambdas and built-ins are non-empty objects; a regex and
      // a built-in's closure are plain JavaScript functions.
      return v.function()->kind() != Function::Kind::kRegex &&
             v.function()->kind() != Function::Kind::kClosure;
    default:  // null, undefined
      return false;
  }
}

}  // namespace

bool ToBoolean(const Value& v) {
  if (!v.IsArray()) return ScalarBoolean(v);
  // An array is true when any of its items is (a singleton's truth is its
  // item's, an empty array is false): a search over the leaves with an
  // explicit stack, since arrays may nest arbitrarily deep.
  struct Frame {
    Value array;
    size_t next;
  };
  std::vector<Frame> stack{{v, 0}};
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next == top.array.size()) {
      stack.pop_back();
      continue;
    }
    Value item = top.array.at(top.next++);
    if (item.IsArray()) {
      stack.push_back({std::move(item), 0});
    } else if (ScalarBoolean(item)) {
      return true;
    }
  }
  return false;
}

// ---- $clone and the transform operator ----

namespace detail {

namespace {

// Number(x.toPrecision(15)): x itself when its shortest form already has at
// most 15 significant digits (the usual case, found without printf).
double RoundTo15(double x) {
  if (std::trunc(x) == x && std::fabs(x) < 1e15) return x;
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  if (ec == std::errc()) {
    int digits = 0;
    bool leading = true;
    for (const char* p = buf; p < end && *p != 'e'; ++p) {
      if (*p < '0' || *p > '9') continue;
      if (leading && *p == '0') continue;
      leading = false;
      ++digits;
    }
    if (digits <= 15) return x;
  }
  std::snprintf(buf, sizeof buf, "%.14e", x);
  return std::strtod(buf, nullptr);
}

}  // namespace

Value CloneValue(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNumber:
      if (std::isnan(v.number())) return Value::Null();
      if (std::isinf(v.number())) Throw("D1001", -1, {}, v);
      return Value::Number(RoundTo15(v.number()));
    case Value::Type::kFunction:
      return Value::String("");
    case Value::Type::kArray: {
      CheckNativeStack();
      const Array* a = v.array();
      if (a != nullptr && a->outer_wrapper && !a->items.empty()) return CloneValue(a->items[0]);
      Value out = Value::NewArray();
      std::vector<Value>& items = out.MutableArray().items;
      size_t n = v.size();
      items.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        Value item = v.at(i);
        items.push_back(item.IsUndefined() ? Value::Null() : CloneValue(item));
      }
      return out;
    }
    case Value::Type::kObject: {
      CheckNativeStack();
      Value out = Value::NewObject();
      Object& o = out.MutableObject();
      v.ForEachMember([&](std::string_view k, const Value& m) {
        if (!m.IsUndefined()) o.Set(std::string(k), CloneValue(m));
      });
      return out;
    }
    default:
      return v;
  }
}

}  // namespace detail

namespace {

// True when `v` holds the object `target` somewhere inside (owned parts only:
// borrowed data cannot hold values the evaluator made).
bool Contains(const Value& v, const void* target) {
  std::vector<const Value*> stack{&v};
  while (!stack.empty()) {
    const Value* x = stack.back();
    stack.pop_back();
    if (ValueAccess::Identity(*x) == target) return true;
    if (const Array* a = x->array()) {
      for (const Value& item : a->items) stack.push_back(&item);
    } else if (const Object* o = x->object()) {
      for (const auto& m : o->items()) stack.push_back(&m.second);
    }
  }
  return false;
}

}  // namespace

Value Evaluator::ApplyTransform(const LambdaFn& fn, const Value& obj) {
  if (obj.IsUndefined()) return {};
  const Node& expr = *fn.node;
  Frame* env = fn.env.get();
  Value clone_fn = LookupVariable("clone", env);
  if (!clone_fn.IsFunction()) Throw("T2013", expr.position);
  Value result = ApplyFunction(clone_fn, {obj}, Value::Null(), CallSite{});
  Value matches = Eval(*expr.pattern, result, env);
  if (matches.IsUndefined()) return result;
  std::vector<Value> list;
  if (matches.IsArray()) {
    size_t n = matches.size();
    list.reserve(n);
    for (size_t i = 0; i < n; ++i) list.push_back(matches.at(i));
  } else {
    list.push_back(std::move(matches));
  }
  for (Value& match : list) {
    Value update = Eval(*expr.update, match, env);
    if (!update.IsUndefined()) {
      if (!update.IsObject()) Throw("T2011", expr.update->position, {}, update);
      // Only objects the evaluator owns can change: the clone's (borrowed
      // input data reached through $$ stays as it is).
      if (match.object() != nullptr) {
        const void* self = ValueAccess::Identity(match);
        update.ForEachMember([&](std::string_view k, const Value& v) {
          // An update holding the matched object itself would make a cycle.
          Value value = Contains(v, self) ? detail::CloneValue(v) : v;
          match.MutableObject().Set(std::string(k), std::move(value));
        });
      }
    }
    if (expr.delete_branch) {
      Value deletions = Eval(*expr.delete_branch, match, env);
      if (!deletions.IsUndefined()) {
        Value list_value = deletions.IsArray() ? deletions : Value::NewArray({deletions});
        size_t n = list_value.size();
        for (size_t i = 0; i < n; ++i) {
          if (!list_value.at(i).IsString()) {
            Throw("T2012", expr.delete_branch->position, {}, deletions);
          }
        }
        if (match.object() != nullptr) {
          for (size_t i = 0; i < n; ++i) match.MutableObject().Erase(list_value.at(i).str());
        }
      }
    }
  }
  return result;
}

}  // namespace stepflow::jsonata
