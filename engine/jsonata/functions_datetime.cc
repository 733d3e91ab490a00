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
// undefined; report it as the signature mismatch it is.
std::u32string RequiredString(CallContext& ctx, const Value& v, int index, const char* function) {
  if (!v.IsString()) {
    Error e("T0410", ctx.Position(), function);
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

// The errors of the pictures carry no position; a built-in's errors are
// reported at its call, naming it, as jsonata-js does.
template <Value (*Body)(CallContext&, std::span<const Value>), const char* kName>
Value Reported(CallContext& ctx, std::span<const Value> args) {
  try {
    return Body(ctx, args);
  } catch (Error& e) {
    if (e.position < 0) e.position = ctx.Position();
    if (e.token.empty()) e.token = kName;
    throw;
  }
}

std::string FromMillisText(double millis, const std::optional<std::u32string>& picture,
                           const std::optional<std::u32string>& timezone) {
  return datetime::FormatDateTime(millis, picture ? &*picture : nullptr, timezone ? &*timezone : nullptr);
}

constexpr char kFormatInteger[] = "formatInteger";
Value FormatIntegerBody(CallContext& ctx, std::span<const Value> args) {
  Value value = Arg(args, 0);
  if (value.IsUndefined()) return {};
  std::u32string picture = RequiredString(ctx, Arg(args, 1), 2, kFormatInteger);
  return Value::String(datetime::FormatInteger(value.number(), picture));
}

constexpr char kParseInteger[] = "parseInteger";
Value ParseIntegerBody(CallContext& ctx, std::span<const Value> args) {
  Value value = Arg(args, 0);
  if (value.IsUndefined()) return {};
  std::u32string picture = RequiredString(ctx, Arg(args, 1), 2, kParseInteger);
  return Value::Number(datetime::ParseInteger(datetime::ToCodePoints(value.str()), picture));
}

constexpr char kNow[] = "now";
Value NowBody(CallContext& ctx, std::span<const Value> args) {
  double now = static_cast<double>(ctx.NowMillis());
  return Value::String(FromMillisText(now, OptionalString(Arg(args, 0)), OptionalString(Arg(args, 1))));
}

constexpr char kMillis[] = "millis";
Value MillisBody(CallContext& ctx, std::span<const Value>) {
  return Value::Number(static_cast<double>(ctx.NowMillis()));
}

constexpr char kFromMillis[] = "fromMillis";
Value FromMillisBody(CallContext&, std::span<const Value> args) {
  Value millis = Arg(args, 0);
  if (millis.IsUndefined()) return {};
  return Value::String(
      FromMillisText(millis.number(), OptionalString(Arg(args, 1)), OptionalString(Arg(args, 2))));
}

constexpr char kToMillis[] = "toMillis";
Value ToMillisBody(CallContext& ctx, std::span<const Value> args) {
  Value timestamp = Arg(args, 0);
  if (timestamp.IsUndefined()) return {};
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
    {"formatInteger", "<n-s:s>", &Reported<FormatIntegerBody, kFormatInteger>},
    {"parseInteger", "<s-s:n>", &Reported<ParseIntegerBody, kParseInteger>},
    {"now", "<s?s?:s>", &Reported<NowBody, kNow>},
    {"millis", "<:n>", &Reported<MillisBody, kMillis>},
    {"fromMillis", "<n-s?s?:s>", &Reported<FromMillisBody, kFromMillis>},
    {"toMillis", "<s-s?:n>", &Reported<ToMillisBody, kToMillis>},
};

}  // namespace

std::span<const BuiltinSpec> DateTimeFunctions() { return kDateTimeFunctions; }

}  // namespace stepflow::jsonata
