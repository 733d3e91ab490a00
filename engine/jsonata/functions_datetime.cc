// Date/time built-ins: $now, $millis, $fromMillis, $toMillis, $formatInteger,
// $parseInteger. The pictures live in datetime_*.cc (datetime_picture.h).
#include <cmath>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "engine/jsonata/datetime_picture.h"
#include "engine/jsonata/error.h"
#include "engine/jsonata/function.h"

namespace stepflow::jsonata {
namespace {

Value Arg(std::span<const Value> args, size_t i) { return i < args.size() ? args[i] : Value(); }

// jsonata-js fails with a TypeError when a mandatory string argument is
// undefined; report it as the signature mismatch it is. (The evaluator adds
// the position and the function's name, as for every built-in's error.)
std::u32string RequiredString(const Value& v, int index) {
  if (!v.IsString()) {
    Error e("T0410");
    e.index = index;
    e.value = v;
    e.Fill();
    throw e;
  }
  return datetime::ToCodePoints(v.str());
}

std::optional<std::u32string> OptionalString(const Value& v) {
  if (!v.IsString()) return std::nullopt;
  return datetime::ToCodePoints(v.str());
}

std::string FromMillisText(double millis, const std::optional<std::u32string>& picture,
                           const std::optional<std::u32string>& timezone) {
  return datetime::FormatDateTime(millis, picture ? &*picture : nullptr, timezone ? &*timezone : nullptr);
}

Value FormatIntegerBody(CallContext&, std::span<const Value> args) {
  Value value = Arg(args, 0);
  if (!value.IsNumber()) return {};  // undefined (the signature admits nothing else)
  std::u32string picture = RequiredString(Arg(args, 1), 2);
  return Value::String(datetime::FormatInteger(value.number(), picture));
}

Value ParseIntegerBody(CallContext&, std::span<const Value> args) {
  Value value = Arg(args, 0);
  if (!value.IsString()) return {};
  std::u32string picture = RequiredString(Arg(args, 1), 2);
  return Value::Number(datetime::ParseInteger(datetime::ToCodePoints(value.str()), picture));
}

Value NowBody(CallContext& ctx, std::span<const Value> args) {
  double now = static_cast<double>(ctx.NowMillis());
  return Value::String(FromMillisText(now, OptionalString(Arg(args, 0)), OptionalString(Arg(args, 1))));
}

Value MillisBody(CallContext& ctx, std::span<const Value>) {
  return Value::Number(static_cast<double>(ctx.NowMillis()));
}

Value FromMillisBody(CallContext&, std::span<const Value> args) {
  Value millis = Arg(args, 0);
  if (!millis.IsNumber()) return {};
  return Value::String(
      FromMillisText(millis.number(), OptionalString(Arg(args, 1)), OptionalString(Arg(args, 2))));
}

Value ToMillisBody(CallContext& ctx, std::span<const Value> args) {
  Value timestamp = Arg(args, 0);
  if (!timestamp.IsString()) return {};
  Value picture = Arg(args, 1);
  if (!picture.IsString()) return Value::Number(datetime::ParseIso8601(timestamp.str()));
  std::function<void()> check_time = [&ctx] { ctx.CheckTimeLimit(); };
  std::optional<double> millis =
      datetime::ParseDateTime(datetime::ToCodePoints(timestamp.str()), datetime::ToCodePoints(picture.str()),
                              static_cast<double>(ctx.NowMillis()), check_time);
  if (!millis) return {};
  return Value::Number(*millis);
}

// Signatures as jsonata-js 2.0.6 registers them.
constexpr BuiltinSpec kDateTimeFunctions[] = {
    {"formatInteger", "<n-s:s>", &FormatIntegerBody},
    {"parseInteger", "<s-s:n>", &ParseIntegerBody},
    {"now", "<s?s?:s>", &NowBody},
    {"millis", "<:n>", &MillisBody},
    {"fromMillis", "<n-s?s?:s>", &FromMillisBody},
    {"toMillis", "<s-s?:n>", &ToMillisBody},
};

}  // namespace

std::span<const BuiltinSpec> DateTimeFunctions() { return kDateTimeFunctions; }

}  // namespace stepflow::jsonata
