// Object, boolean and type built-ins: $keys, $lookup, $spread, $merge,
// $exists, $boolean, $not, $type, $assert, $error.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/jsonata/functions_array.h"

namespace stepflow::jsonata::array_internal {
namespace {

// Visits the non-array values inside `v` in document order, descending into
// nested arrays with an explicit stack (values may nest arbitrarily deep).
template <typename F>
void ForEachLeaf(const Value& v, F&& f) {
  if (!v.IsArray()) {
    f(v);
    return;
  }
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
    } else {
      f(item);
    }
  }
}

// JavaScript's property order, which objects built here follow: keys that
// are array indices ("0", "17") first in numeric order, then the others in
// insertion order.
bool IsArrayIndexKey(std::string_view k) {
  if (k.empty() || k.size() > 10 || (k.size() > 1 && k[0] == '0')) return false;
  uint64_t n = 0;
  for (char c : k) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n < 4294967295ull;
}

// The positions of `keys` in JavaScript's order.
std::vector<size_t> JsKeyOrder(const std::vector<std::string_view>& keys) {
  std::vector<std::pair<uint64_t, size_t>> numeric;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (IsArrayIndexKey(keys[i])) numeric.emplace_back(std::stoull(std::string(keys[i])), i);
  }
  std::sort(numeric.begin(), numeric.end());
  std::vector<size_t> order;
  order.reserve(keys.size());
  for (const auto& entry : numeric) order.push_back(entry.second);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!IsArrayIndexKey(keys[i])) order.push_back(i);
  }
  return order;
}

Value Keys(CallContext&, std::span<const Value> args) {
  Value arg = Arg(args, 0);
  Value out = NewSequence();
  std::vector<Value>& keys = out.MutableArray().items;
  if (arg.IsObject()) {
    arg.ForEachMember([&](std::string_view k, const Value&) { keys.push_back(Value::String(k)); });
  } else if (arg.IsArray()) {
    // The union of the keys of every object in (nested) arrays, in order of
    // first appearance.
    std::unordered_set<std::string> seen;
    std::vector<std::string> found;
    ForEachLeaf(arg, [&](const Value& item) {
      if (!item.IsObject()) return;
      item.ForEachMember([&](std::string_view k, const Value&) {
        if (seen.emplace(k).second) found.emplace_back(k);
      });
    });
    // jsonata-js gathers them as the keys of an object.
    std::vector<std::string_view> views(found.begin(), found.end());
    for (size_t i : JsKeyOrder(views)) keys.push_back(Value::String(found[i]));
  }
  return out;
}

Value Lookup(CallContext&, std::span<const Value> args) {
  Value input = Arg(args, 0);
  Value key_arg = Arg(args, 1);
  // An undefined key reads the property "undefined", as JavaScript does.
  std::string key = key_arg.IsString() ? std::string(key_arg.str()) : "undefined";
  if (input.IsObject()) return input.Get(key);
  if (!input.IsArray()) return {};
  // Over (nested) arrays: the values found, arrays among them spread one
  // level, as a sequence.
  Value out = NewSequence();
  std::vector<Value>& results = out.MutableArray().items;
  ForEachLeaf(input, [&](const Value& item) {
    if (!item.IsObject()) return;
    Value found = item.Get(key);
    if (found.IsArray()) {
      for (size_t i = 0; i < found.size(); ++i) results.push_back(found.at(i));
    } else if (!found.IsUndefined()) {
      results.push_back(std::move(found));
    }
  });
  return out;
}

void SpreadObject(const Value& obj, std::vector<Value>& out) {
  obj.ForEachMember([&](std::string_view k, const Value& v) {
    Value single = Value::NewObject();
    single.MutableObject().Set(std::string(k), v);
    out.push_back(std::move(single));
  });
}

Value Spread(CallContext&, std::span<const Value> args) {
  Value arg = Arg(args, 0);
  if (arg.IsObject()) {
    Value out = NewSequence();
    SpreadObject(arg, out.MutableArray().items);
    return out;
  }
  if (!arg.IsArray()) return arg;
  // jsonata-js appends each item's spread to an empty sequence with
  // Array.concat, so any item at all leaves a plain array.
  Value out = arg.size() == 0 ? NewSequence() : Value::NewArray();
  std::vector<Value>& results = out.MutableArray().items;
  ForEachLeaf(arg, [&](const Value& item) {
    if (item.IsObject()) {
      SpreadObject(item, results);
    } else {
      results.push_back(item);
    }
  });
  return out;
}

Value Merge(CallContext&, std::span<const Value> args) {
  Value arr = Arg(args, 0);
  if (arr.IsUndefined()) return {};
  Value out = Value::NewObject();
  Object& merged = out.MutableObject();
  auto add = [&](const Value& obj) {
    if (!obj.IsObject()) return;
    obj.ForEachMember([&](std::string_view k, const Value& v) { merged.Set(std::string(k), v); });
  };
  if (arr.IsArray()) {
    for (size_t i = 0; i < arr.size(); ++i) add(arr.at(i));
  } else {
    add(arr);
  }
  std::vector<std::string_view> keys;
  bool any_index = false;
  for (const auto& member : merged.items()) {
    keys.push_back(member.first);
    any_index = any_index || IsArrayIndexKey(member.first);
  }
  if (!any_index) return out;
  Value ordered = Value::NewObject();
  Object& target = ordered.MutableObject();
  for (size_t i : JsKeyOrder(keys)) target.Set(merged.items()[i].first, merged.items()[i].second);
  return ordered;
}

Value Exists(CallContext&, std::span<const Value> args) {
  return Value::Boolean(!Arg(args, 0).IsUndefined());
}

Value BooleanFn(CallContext&, std::span<const Value> args) {
  Value arg = Arg(args, 0);
  if (arg.IsUndefined()) return {};
  return Value::Boolean(ToBoolean(arg));
}

Value Not(CallContext&, std::span<const Value> args) {
  Value arg = Arg(args, 0);
  if (arg.IsUndefined()) return {};
  return Value::Boolean(!ToBoolean(arg));
}

Value Type(CallContext&, std::span<const Value> args) {
  Value v = Arg(args, 0);
  switch (v.type()) {
    case Value::Type::kUndefined:
      return {};
    case Value::Type::kNull:
      return Value::String("null");
    case Value::Type::kNumber:
      if (std::isinf(v.number())) Throw("D1001", -1, {}, v);
      // jsonata-js: NaN fails isNumeric and falls through to 'object'.
      return Value::String(std::isnan(v.number()) ? "object" : "number");
    case Value::Type::kString:
      return Value::String("string");
    case Value::Type::kBoolean:
      return Value::String("boolean");
    case Value::Type::kArray:
      return Value::String("array");
    case Value::Type::kFunction:
      return Value::String("function");
    case Value::Type::kObject:
      return Value::String("object");
  }
  return {};
}

// `message || default`: an absent or empty message gives the default.
std::string MessageOr(const Value& message, const char* fallback) {
  if (message.IsString() && !message.str().empty()) return std::string(message.str());
  return fallback;
}

Value Assert(CallContext& ctx, std::span<const Value> args) {
  Value condition = Arg(args, 0);
  if (!(condition.IsBoolean() && condition.boolean())) {
    Raise(ctx, "D3141", 0, MessageOr(Arg(args, 1), "$assert() statement failed"));
  }
  return {};
}

Value ErrorFn(CallContext& ctx, std::span<const Value> args) {
  Raise(ctx, "D3137", 0, MessageOr(Arg(args, 0), "$error() function evaluated"));
}

constexpr BuiltinSpec kObjectFunctions[] = {
    {"keys", "<x-:a<s>>", Keys},
    {"lookup", "<x-s:x>", Lookup},
    {"spread", "<x-:a<o>>", Spread},
    {"merge", "<a<o>:o>", Merge},
    {"exists", "<x:b>", Exists},
    {"boolean", "<x-:b>", BooleanFn},
    {"not", "<x-:b>", Not},
    {"type", "<x:s>", Type},
    {"assert", "<bs?:x>", Assert},
    {"error", "<s?:x>", ErrorFn},
};

}  // namespace

std::span<const BuiltinSpec> ObjectFunctions() { return kObjectFunctions; }

}  // namespace stepflow::jsonata::array_internal
