// Array built-ins ($count, $append, $sort, $reverse, $shuffle, $distinct,
// $zip) and the registration of the whole array/object/higher-order family
// (the object and higher-order ones live in functions_object.cc and
// functions_hof.cc).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/jsonata/functions_array.h"

namespace stepflow::jsonata {
namespace array_internal {

Value NewSequence() {
  Value v = Value::NewArray();
  v.MutableArray().sequence = true;
  return v;
}

void Raise(CallContext& ctx, const char* code, int index, std::string message) {
  Error e(code, ctx.Position());
  e.index = index;
  e.message = std::move(message);
  e.Fill();
  throw e;
}

namespace {

// jsonata-js's isNumeric: NaN is not a number, an infinity is D1001.
bool IsNumeric(const Value& v) {
  if (!v.IsNumber()) return false;
  double n = v.number();
  if (std::isnan(n)) return false;
  if (std::isinf(n)) Throw("D1001", -1, {}, v);
  return true;
}

std::vector<Value> Items(const Value& array) {
  std::vector<Value> items;
  items.reserve(array.size());
  for (size_t i = 0; i < array.size(); ++i) items.push_back(array.at(i));
  return items;
}

// ---- $count, $append, $reverse, $zip ----

Value Count(CallContext&, std::span<const Value> args) {
  Value arr = AsArray(Arg(args, 0));
  if (arr.IsUndefined()) return Value::Number(0);
  return Value::Number(static_cast<double>(arr.size()));
}

Value Append(CallContext&, std::span<const Value> args) {
  Value a = Arg(args, 0);
  Value b = Arg(args, 1);
  if (a.IsUndefined()) return b;
  if (b.IsUndefined()) return a;
  // Array.prototype.concat: a plain array, the second argument spread in
  // when it is an array.
  Value out = Value::NewArray();
  std::vector<Value>& items = out.MutableArray().items;
  items.reserve((a.IsArray() ? a.size() : 1) + (b.IsArray() ? b.size() : 1));
  for (const Value* part : {&a, &b}) {
    if (const Array* owned = part->array()) {
      items.insert(items.end(), owned->items.begin(), owned->items.end());
    } else if (part->IsArray()) {
      for (size_t i = 0; i < part->size(); ++i) items.push_back(part->at(i));
    } else {
      items.push_back(*part);
    }
  }
  return out;
}

Value Reverse(CallContext&, std::span<const Value> args) {
  Value arr = AsArray(Arg(args, 0));
  if (!arr.IsArray() || arr.size() <= 1) return arr;
  std::vector<Value> items = Items(arr);
  std::reverse(items.begin(), items.end());
  return Value::NewArray(std::move(items));
}

Value Zip(CallContext&, std::span<const Value> args) {
  size_t length = args.empty() ? 0 : SIZE_MAX;
  for (const Value& arg : args) length = std::min(length, arg.IsArray() ? arg.size() : size_t{0});
  Value out = Value::NewArray();
  std::vector<Value>& tuples = out.MutableArray().items;
  tuples.reserve(length);
  for (size_t i = 0; i < length; ++i) {
    std::vector<Value> tuple;
    tuple.reserve(args.size());
    for (const Value& arg : args) tuple.push_back(arg.at(i));
    tuples.push_back(Value::NewArray(std::move(tuple)));
  }
  return out;
}

// ---- $shuffle ----

Value Shuffle(CallContext& ctx, std::span<const Value> args) {
  Value arr = AsArray(Arg(args, 0));
  if (!arr.IsArray() || arr.size() <= 1) return arr;
  // The inside-out Fisher-Yates shuffle, as jsonata-js draws it.
  size_t n = arr.size();
  std::vector<Value> result(n);
  for (size_t i = 0; i < n; ++i) {
    double r = ctx.Random();
    size_t j = static_cast<size_t>(std::floor(r * static_cast<double>(i + 1)));
    if (j > i) j = i;  // a Random() outside [0,1) must not index past i
    if (i != j) result[i] = result[j];
    result[j] = arr.at(i);
  }
  return Value::NewArray(std::move(result));
}

// ---- $distinct ----

// A hashable identity for values whose deep equality is plain equality
// (strict equality in jsonata-js); nullopt for arrays, objects, functions.
std::optional<std::string> ScalarKey(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      return std::string("l");
    case Value::Type::kBoolean:
      return std::string(v.boolean() ? "t" : "f");
    case Value::Type::kNumber: {
      double n = v.number();
      if (n == 0) n = 0;  // -0 === 0
      std::string key(1 + sizeof n, 'n');
      std::memcpy(key.data() + 1, &n, sizeof n);
      return key;
    }
    case Value::Type::kString: {
      std::string key("s");
      key.append(v.str());
      return key;
    }
    default:
      return std::nullopt;
  }
}

Value Distinct(CallContext& ctx, std::span<const Value> args) {
  Value arr = Arg(args, 0);
  if (!arr.IsArray() || arr.size() <= 1) return arr;
  const Array* flags = arr.array();
  Value out = (flags != nullptr && flags->sequence) ? NewSequence() : Value::NewArray();
  std::vector<Value>& results = out.MutableArray().items;
  // Scalars are found by hash; arrays, objects and functions are compared
  // with every earlier one of their kind (NaN never reaches here).
  std::unordered_set<std::string> seen_scalars;
  std::vector<Value> seen_structured;
  size_t comparisons = 0;
  for (size_t i = 0; i < arr.size(); ++i) {
    Value v = arr.at(i);
    if (std::optional<std::string> key = ScalarKey(v)) {
      if (seen_scalars.insert(std::move(*key)).second) results.push_back(std::move(v));
      continue;
    }
    bool found = false;
    for (const Value& prior : seen_structured) {
      if (++comparisons % 4096 == 0) ctx.CheckTimeLimit();
      if (DeepEqual(v, prior)) {
        found = true;
        break;
      }
    }
    if (!found) {
      seen_structured.push_back(v);
      results.push_back(std::move(v));
    }
  }
  return out;
}

// ---- $sort ----

// JavaScript's `<` on strings: UTF-16 code unit order, which differs from
// code point order only where a surrogate pair meets U+E000..U+FFFF.
int CompareUtf16(std::string_view a, std::string_view b) {
  size_t i = 0;
  size_t n = std::min(a.size(), b.size());
  while (i < n && a[i] == b[i]) ++i;
  if (i == n) return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
  // Back up to the start of the differing code point.
  while (i > 0 && (static_cast<unsigned char>(a[i]) & 0xC0) == 0x80) --i;
  auto decode = [](std::string_view s, size_t at) -> uint32_t {
    auto byte = [&](size_t k) -> uint32_t {
      return at + k < s.size() ? static_cast<unsigned char>(s[at + k]) : 0;
    };
    uint32_t c = byte(0);
    if (c < 0x80) return c;
    if (c < 0xE0) return ((c & 0x1F) << 6) | (byte(1) & 0x3F);
    if (c < 0xF0) return ((c & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
    return ((c & 0x07) << 18) | ((byte(1) & 0x3F) << 12) | ((byte(2) & 0x3F) << 6) |
           (byte(3) & 0x3F);
  };
  auto first_unit = [](uint32_t cp) -> uint32_t {
    return cp < 0x10000 ? cp : 0xD800 + ((cp - 0x10000) >> 10);
  };
  uint32_t ca = decode(a, i);
  uint32_t cb = decode(b, i);
  uint32_t ua = first_unit(ca);
  uint32_t ub = first_unit(cb);
  if (ua == ub) {  // both supplementary, same high surrogate: code point order
    ua = ca;
    ub = cb;
  }
  return ua < ub ? -1 : 1;
}

// JavaScript truthiness, which is what decides a comparator's answer.
bool JsTruthy(const Value& v) {
  switch (v.type()) {
    case Value::Type::kUndefined:
    case Value::Type::kNull:
      return false;
    case Value::Type::kBoolean:
      return v.boolean();
    case Value::Type::kNumber:
      return v.number() != 0 && !std::isnan(v.number());
    case Value::Type::kString:
      return !v.str().empty();
    default:
      return true;
  }
}

// jsonata-js's top-down merge sort, kept call for call: the same halves
// (the left one floor(n/2) long) and the same comparator calls, so an
// inconsistent comparator gives the same order as in jsonata-js. `swap(l, r)`
// true puts r first. Items move between two buffers; nothing is copied
// per comparison.
class MergeSorter {
 public:
  template <typename Swap>
  static void Sort(std::vector<Value>& items, Swap&& swap) {
    std::vector<Value> scratch(items.size());
    SortRange(items, scratch, 0, items.size(), swap);
  }

 private:
  template <typename Swap>
  static void SortRange(std::vector<Value>& items, std::vector<Value>& scratch, size_t lo,
                        size_t hi, Swap& swap) {
    if (hi - lo <= 1) return;
    size_t mid = lo + (hi - lo) / 2;
    SortRange(items, scratch, lo, mid, swap);
    SortRange(items, scratch, mid, hi, swap);
    size_t l = lo;
    size_t r = mid;
    size_t out = lo;
    while (l < mid && r < hi) {
      if (swap(items[l], items[r])) {
        scratch[out++] = std::move(items[r++]);
      } else {
        scratch[out++] = std::move(items[l++]);
      }
    }
    while (l < mid) scratch[out++] = std::move(items[l++]);
    while (r < hi) scratch[out++] = std::move(items[r++]);
    for (size_t k = lo; k < hi; ++k) items[k] = std::move(scratch[k]);
  }
};

Value Sort(CallContext& ctx, std::span<const Value> args) {
  Value arr = AsArray(Arg(args, 0));
  Value comparator = Arg(args, 1);
  if (!arr.IsArray() || arr.size() <= 1) return arr;
  std::vector<Value> items = Items(arr);
  if (comparator.IsUndefined()) {
    bool all_numbers = true;
    bool all_strings = true;
    for (const Value& v : items) {
      if (!IsNumeric(v)) all_numbers = false;
      if (!v.IsString()) all_strings = false;
    }
    if (!all_numbers && !all_strings) Raise(ctx, "D3070", 1);
    size_t steps = 0;
    auto greater = [&](const Value& l, const Value& r) {
      if (++steps % 4096 == 0) ctx.CheckTimeLimit();
      if (all_numbers) return l.number() > r.number();
      return CompareUtf16(l.str(), r.str()) > 0;
    };
    MergeSorter::Sort(items, greater);
  } else {
    auto swap = [&](const Value& l, const Value& r) {
      return JsTruthy(ctx.Apply(comparator, {l, r}));
    };
    MergeSorter::Sort(items, swap);
  }
  return Value::NewArray(std::move(items));
}

constexpr BuiltinSpec kArrayFunctions[] = {
    {"count", "<a:n>", Count},
    {"append", "<xx:a>", Append},
    {"sort", "<af?:a>", Sort},
    {"reverse", "<a:a>", Reverse},
    {"shuffle", "<a:a>", Shuffle},
    {"distinct", "<x:x>", Distinct},
    {"zip", "<a+>", Zip},
};

}  // namespace
}  // namespace array_internal

std::span<const BuiltinSpec> ArrayFunctions() {
  static const std::vector<BuiltinSpec> all = [] {
    std::vector<BuiltinSpec> specs(std::begin(array_internal::kArrayFunctions),
                                   std::end(array_internal::kArrayFunctions));
    for (auto list : {array_internal::ObjectFunctions(), array_internal::HofFunctions()}) {
      specs.insert(specs.end(), list.begin(), list.end());
    }
    return specs;
  }();
  return all;
}

}  // namespace stepflow::jsonata
