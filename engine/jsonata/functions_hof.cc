// Higher-order built-ins: $map, $filter, $single, $reduce, $sift, $each.
//
// The function argument receives (value, index-or-key, whole) only as far
// as its arity reaches, as jsonata-js's hofFuncArgs does; the whole array or
// object is passed by reference, never copied per call.
#include <string>
#include <vector>

#include "engine/jsonata/functions_array.h"

namespace stepflow::jsonata::array_internal {
namespace {

std::vector<Value> HofArgs(int arity, Value value, Value position, const Value& whole) {
  std::vector<Value> args;
  args.reserve(3);
  args.push_back(std::move(value));
  if (arity >= 2) args.push_back(std::move(position));
  if (arity >= 3) args.push_back(whole);
  return args;
}

// Built-ins receive their arguments checked against the signature, but a
// missing optional function must still fail as a call of a non-function.
void RequireFunction(CallContext& ctx, const Value& fn) {
  if (!fn.IsFunction()) Throw("T1006", ctx.Position());
}

Value Map(CallContext& ctx, std::span<const Value> args) {
  Value arr = AsArray(Arg(args, 0));
  Value fn = Arg(args, 1);
  if (arr.IsUndefined()) return {};
  RequireFunction(ctx, fn);
  int arity = ctx.Arity(fn);
  Value out = NewSequence();
  std::vector<Value>& results = out.MutableArray().items;
  for (size_t i = 0; i < arr.size(); ++i) {
    Value r = ctx.Apply(fn, HofArgs(arity, arr.at(i), Value::Number(static_cast<double>(i)), arr));
    if (!r.IsUndefined()) results.push_back(std::move(r));
  }
  return out;
}

Value Filter(CallContext& ctx, std::span<const Value> args) {
  Value arr = AsArray(Arg(args, 0));
  Value fn = Arg(args, 1);
  if (arr.IsUndefined()) return {};
  RequireFunction(ctx, fn);
  int arity = ctx.Arity(fn);
  Value out = NewSequence();
  std::vector<Value>& results = out.MutableArray().items;
  for (size_t i = 0; i < arr.size(); ++i) {
    Value entry = arr.at(i);
    if (ToBoolean(ctx.Apply(fn, HofArgs(arity, entry, Value::Number(static_cast<double>(i)), arr)))) {
      results.push_back(std::move(entry));
    }
  }
  return out;
}

Value Single(CallContext& ctx, std::span<const Value> args) {
  Value arr = AsArray(Arg(args, 0));
  Value fn = Arg(args, 1);
  if (arr.IsUndefined()) return {};
  bool has_predicate = !fn.IsUndefined();
  int arity = has_predicate ? ctx.Arity(fn) : 0;
  bool found = false;
  Value result;
  for (size_t i = 0; i < arr.size(); ++i) {
    Value entry = arr.at(i);
    bool matches = true;
    if (has_predicate) {
      matches = ToBoolean(
          ctx.Apply(fn, HofArgs(arity, entry, Value::Number(static_cast<double>(i)), arr)));
    }
    if (!matches) continue;
    if (found) Raise(ctx, "D3138", static_cast<int>(i));
    result = std::move(entry);
    found = true;
  }
  if (!found) Raise(ctx, "D3139");
  return result;
}

Value Reduce(CallContext& ctx, std::span<const Value> args) {
  Value seq = AsArray(Arg(args, 0));
  Value fn = Arg(args, 1);
  Value init = Arg(args, 2);
  if (seq.IsUndefined()) return {};
  RequireFunction(ctx, fn);
  int arity = ctx.Arity(fn);
  if (arity < 2) Raise(ctx, "D3050", 1);
  Value result;
  size_t index = 0;
  if (init.IsUndefined() && seq.size() > 0) {
    result = seq.at(0);
    index = 1;
  } else {
    result = std::move(init);
  }
  for (; index < seq.size(); ++index) {
    std::vector<Value> call_args;
    call_args.reserve(4);
    call_args.push_back(std::move(result));
    call_args.push_back(seq.at(index));
    if (arity >= 3) call_args.push_back(Value::Number(static_cast<double>(index)));
    if (arity >= 4) call_args.push_back(seq);
    result = ctx.Apply(fn, std::move(call_args));
  }
  return result;
}

Value Sift(CallContext& ctx, std::span<const Value> args) {
  Value obj = Arg(args, 0);
  Value fn = Arg(args, 1);
  if (!obj.IsObject() || obj.ObjectSize() == 0) return {};
  RequireFunction(ctx, fn);
  int arity = ctx.Arity(fn);
  Value out = Value::NewObject();
  Object& kept = out.MutableObject();
  obj.ForEachMember([&](std::string_view k, const Value& v) {
    if (ToBoolean(ctx.Apply(fn, HofArgs(arity, v, Value::String(k), obj)))) {
      kept.Set(std::string(k), v);
    }
  });
  if (kept.size() == 0) return {};
  return out;
}

Value Each(CallContext& ctx, std::span<const Value> args) {
  Value obj = Arg(args, 0);
  Value fn = Arg(args, 1);
  Value out = NewSequence();
  if (!obj.IsObject() || obj.ObjectSize() == 0) return out;
  RequireFunction(ctx, fn);
  int arity = ctx.Arity(fn);
  std::vector<Value>& results = out.MutableArray().items;
  obj.ForEachMember([&](std::string_view k, const Value& v) {
    Value r = ctx.Apply(fn, HofArgs(arity, v, Value::String(k), obj));
    if (!r.IsUndefined()) results.push_back(std::move(r));
  });
  return out;
}

constexpr BuiltinSpec kHofFunctions[] = {
    {"map", "<af>", Map},
    {"filter", "<af>", Filter},
    {"single", "<af?>", Single},
    {"reduce", "<afj?:j>", Reduce},
    {"sift", "<o-f?:o>", Sift},
    {"each", "<o-f:a>", Each},
};

}  // namespace

std::span<const BuiltinSpec> HofFunctions() { return kHofFunctions; }

}  // namespace stepflow::jsonata::array_internal
