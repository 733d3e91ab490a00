// Numeric built-ins: $number, $abs, $floor, $ceil, $round, $power, $sqrt,
// $random, $sum, $max, $min, $average, $formatNumber, $formatBase.
#include <cmath>
#include <span>
#include <string>
#include <string_view>

#include "engine/jsonata/function.h"
#include "engine/jsonata/number_format.h"

namespace stepflow::jsonata {

namespace {

const Value& Arg(std::span<const Value> args, size_t i) {
  static const Value kUndefined;
  return i < args.size() ? args[i] : kUndefined;
}

[[noreturn]] void Raise(CallContext& ctx, const char* code, const Value& value, int index = 0,
                        const Value& value2 = {}) {
  Error e(code, ctx.Position());
  e.value = value;
  e.value2 = value2;
  e.index = index;
  e.Fill();
  throw e;
}

// jsonata-js's test for a numeric string: /^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/.
bool IsDecimalLiteral(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (!digits()) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

// jsonata-js 2.0.6's /^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$/: by
// the regex's precedence, a hex literal at the start, an octal one anywhere
// or a binary one at the end.
bool LooksLikeRadixLiteral(std::string_view s) {
  auto run = [&](size_t from, auto is_digit) {
    size_t i = from;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i - from;
  };
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  auto oct = [](char c) { return c >= '0' && c <= '7'; };
  auto bin = [](char c) { return c == '0' || c == '1'; };
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && run(2, hex) > 0) return true;
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    if (s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O') && run(i + 2, oct) > 0) return true;
    if (s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B') && run(i + 2, bin) == s.size() - i - 2) {
      return true;
    }
  }
  return false;
}

Value NumberFn(CallContext& ctx, std::span<const Value> args) {
  const Value& arg = Arg(args, 0);
  switch (arg.type()) {
    case Value::Type::kUndefined:
      return {};
    case Value::Type::kNumber:
      return arg;
    case Value::Type::kBoolean:
      return Value::Number(arg.boolean() ? 1 : 0);
    case Value::Type::kString: {
      std::string_view s = arg.str();
      if (IsDecimalLiteral(s)) {
        double n = JsStringToNumber(s);
        if (std::isfinite(n)) return Value::Number(n);
      }
      if (LooksLikeRadixLiteral(s)) return Value::Number(JsStringToNumber(s));
      break;
    }
    default:
      break;
  }
  Raise(ctx, "D3030", arg, 1);
}

Value AbsFn(CallContext&, std::span<const Value> args) {
  const Value& arg = Arg(args, 0);
  if (!arg.IsNumber()) return {};
  return Value::Number(std::fabs(arg.number()));
}

Value FloorFn(CallContext&, std::span<const Value> args) {
  const Value& arg = Arg(args, 0);
  if (!arg.IsNumber()) return {};
  return Value::Number(std::floor(arg.number()));
}

Value CeilFn(CallContext&, std::span<const Value> args) {
  const Value& arg = Arg(args, 0);
  if (!arg.IsNumber()) return {};
  return Value::Number(std::ceil(arg.number()));
}

Value RoundFn(CallContext&, std::span<const Value> args) {
  const Value& arg = Arg(args, 0);
  if (!arg.IsNumber()) return {};
  const Value& precision = Arg(args, 1);
  return Value::Number(RoundHalfEven(arg.number(), precision.IsNumber() ? precision.number() : 0,
                                     precision.IsNumber()));
}

// Math.pow, which differs from std::pow where the result is 1 in C.
double JsPow(double base, double exp) {
  if (std::isnan(exp)) return NAN;
  if (std::isinf(exp) && std::fabs(base) == 1) return NAN;
  return std::pow(base, exp);
}

Value PowerFn(CallContext& ctx, std::span<const Value> args) {
  const Value& base = Arg(args, 0);
  if (!base.IsNumber()) return {};
  const Value& exp = Arg(args, 1);
  double result = JsPow(base.number(), exp.IsNumber() ? exp.number() : NAN);
  if (!std::isfinite(result)) Raise(ctx, "D3061", base, 1, exp);
  return Value::Number(result);
}

Value SqrtFn(CallContext& ctx, std::span<const Value> args) {
  const Value& arg = Arg(args, 0);
  if (!arg.IsNumber()) return {};
  if (arg.number() < 0) Raise(ctx, "D3060", arg, 1);
  return Value::Number(std::sqrt(arg.number()));
}

Value RandomFn(CallContext& ctx, std::span<const Value>) { return Value::Number(ctx.Random()); }

// Calls f(double) for each number of an `a<n>` argument (a lone number
// counts as a one-item array). Returns false when the argument is undefined.
template <typename F>
bool ForEachNumber(const Value& arg, F&& f) {
  if (arg.IsUndefined()) return false;
  if (arg.IsNumber()) {
    f(arg.number());
    return true;
  }
  if (!arg.IsArray()) return false;
  for (size_t i = 0; i < arg.size(); ++i) {
    Value item = arg.at(i);
    f(item.IsNumber() ? item.number() : NAN);
  }
  return true;
}

size_t CountOf(const Value& arg) { return arg.IsArray() ? arg.size() : (arg.IsNumber() ? 1 : 0); }

Value SumFn(CallContext&, std::span<const Value> args) {
  double total = 0;
  if (!ForEachNumber(Arg(args, 0), [&](double n) { total += n; })) return {};
  return Value::Number(total);
}

// Math.max / Math.min: any NaN makes the result NaN.
Value MaxFn(CallContext&, std::span<const Value> args) {
  const Value& arg = Arg(args, 0);
  if (CountOf(arg) == 0) return {};
  double best = -INFINITY;
  ForEachNumber(arg, [&](double n) { best = (std::isnan(n) || std::isnan(best)) ? NAN : std::fmax(best, n); });
  return Value::Number(best);
}

Value MinFn(CallContext&, std::span<const Value> args) {
  const Value& arg = Arg(args, 0);
  if (CountOf(arg) == 0) return {};
  double best = INFINITY;
  ForEachNumber(arg, [&](double n) { best = (std::isnan(n) || std::isnan(best)) ? NAN : std::fmin(best, n); });
  return Value::Number(best);
}

Value AverageFn(CallContext&, std::span<const Value> args) {
  const Value& arg = Arg(args, 0);
  size_t count = CountOf(arg);
  if (count == 0) return {};
  double total = 0;
  ForEachNumber(arg, [&](double n) { total += n; });
  return Value::Number(total / static_cast<double>(count));
}

Value FormatNumberFn(CallContext& ctx, std::span<const Value> args) {
  const Value& value = Arg(args, 0);
  if (!value.IsNumber()) return {};
  std::string_view picture = Arg(args, 1).IsString() ? Arg(args, 1).str() : std::string_view();
  try {
    return Value::String(FormatNumber(value.number(), picture, Arg(args, 2)));
  } catch (Error& e) {
    if (e.position < 0) e.position = ctx.Position();
    throw;
  }
}

Value FormatBaseFn(CallContext& ctx, std::span<const Value> args) {
  const Value& value = Arg(args, 0);
  if (!value.IsNumber()) return {};
  double n = RoundHalfEven(value.number(), 0, false);
  double radix = 10;
  if (Arg(args, 1).IsNumber()) radix = RoundHalfEven(Arg(args, 1).number(), 0, false);
  if (!(radix >= 2 && radix <= 36)) Raise(ctx, "D3100", Value::Number(radix));
  return Value::String(NumberToRadixString(n, static_cast<int>(radix)));
}

constexpr BuiltinSpec kNumericFunctions[] = {
    {"sum", "<a<n>:n>", SumFn},
    {"max", "<a<n>:n>", MaxFn},
    {"min", "<a<n>:n>", MinFn},
    {"average", "<a<n>:n>", AverageFn},
    {"formatNumber", "<n-so?:s>", FormatNumberFn},
    {"formatBase", "<n-n?:s>", FormatBaseFn},
    {"number", "<(nsb)-:n>", NumberFn},
    {"floor", "<n-:n>", FloorFn},
    {"ceil", "<n-:n>", CeilFn},
    {"round", "<n-n?:n>", RoundFn},
    {"abs", "<n-:n>", AbsFn},
    {"sqrt", "<n-:n>", SqrtFn},
    {"power", "<n-n:n>", PowerFn},
    {"random", "<:n>", RandomFn},
};

}  // namespace

std::span<const BuiltinSpec> NumericFunctions() { return kNumericFunctions; }

}  // namespace stepflow::jsonata
