#include "engine/expr/jsonata_functions.h"

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "engine/common/hash.h"
#include "engine/common/json_util.h"
#include "engine/jsonata/error.h"

namespace stepflow::expr {

namespace {

using jsonata::CallContext;
using jsonata::Value;

// Step Functions' own failures use D3137, the code of $error: its message is
// the text given.
[[noreturn]] void Fail(const CallContext& ctx, const char* function, std::string message) {
  jsonata::Error e("D3137", ctx.Position(), function);
  e.message = std::move(message);
  throw e;
}

// A number argument truncated towards zero, clamped to what int64 holds.
int64_t Truncated(double d) {
  if (std::isnan(d)) return 0;
  d = std::trunc(d);
  if (d >= 9223372036854775807.0) return std::numeric_limits<int64_t>::max();
  if (d <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);
}

Value Partition(CallContext& ctx, std::span<const Value> args) {
  const Value& array = args[0];
  if (!array.IsArray() || array.size() == 0) return {};
  const size_t n = array.size();
  size_t size = n;
  if (args.size() > 1 && args[1].IsNumber()) {
    const int64_t s = Truncated(args[1].number());
    if (s < 0) Fail(ctx, "partition", "Second argument must be zero or greater");
    if (s == 0) return {};
    size = static_cast<uint64_t>(s) < n ? static_cast<size_t>(s) : n;
  }
  std::vector<Value> chunks;
  chunks.reserve((n + size - 1) / size);
  for (size_t i = 0; i < n; i += size) {
    std::vector<Value> chunk;
    chunk.reserve(std::min(size, n - i));
    for (size_t k = i; k < n && k < i + size; ++k) chunk.push_back(array.at(k));
    chunks.push_back(Value::NewArray(std::move(chunk)));
    ctx.CheckTimeLimit();
  }
  return Value::NewArray(std::move(chunks));
}

Value Range(CallContext& ctx, std::span<const Value> args) {
  if (args.size() < 3 || !args[2].IsNumber()) return {};
  if (!args[0].IsNumber() || !args[1].IsNumber()) return {};
  // In long double: int64 bounds and steps near them neither overflow nor
  // lose the count.
  const long double start = static_cast<long double>(Truncated(args[0].number()));
  const long double end = static_cast<long double>(Truncated(args[1].number()));
  const long double step = static_cast<long double>(Truncated(args[2].number()));
  if (step == 0 || (step > 0 && start > end) || (step < 0 && start < end)) return {};
  const long double count = std::floor((end - start) / step) + 1;
  if (count > static_cast<long double>(kMaxRangeItems)) {
    Fail(ctx, "range",
         "Expression evaluation memory limit exceeded: Check for excessive memory usage");
  }
  const auto n = static_cast<size_t>(count);
  if (n == 1) return Value::Number(static_cast<double>(start));
  std::vector<Value> items;
  items.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    items.push_back(Value::Number(static_cast<double>(start + step * static_cast<long double>(i))));
  }
  return Value::NewArray(std::move(items));
}

Value Hash(CallContext& ctx, std::span<const Value> args) {
  if (!args[0].IsString() || args.size() < 2 || !args[1].IsString()) return {};
  std::optional<std::string> digest = HexDigest(args[1].str(), args[0].str());
  if (!digest) {
    Fail(ctx, "hash",
         "Invalid algorithm '" + std::string(args[1].str()) +
             "': use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512");
  }
  return Value::String(std::move(*digest));
}

// java.util.Random(seed).nextDouble(): what Step Functions answers for a seed.
double SeededRandom(int64_t seed) {
  constexpr uint64_t kMultiplier = 0x5DEECE66DULL;
  constexpr uint64_t kMask = (uint64_t{1} << 48) - 1;
  uint64_t state = (static_cast<uint64_t>(seed) ^ kMultiplier) & kMask;
  auto next = [&](int bits) {
    state = (state * kMultiplier + 0xB) & kMask;
    return state >> (48 - bits);
  };
  const uint64_t high = next(26);
  const uint64_t low = next(27);
  return static_cast<double>((high << 27) + low) * 0x1.0p-53;
}

Value Random(CallContext& ctx, std::span<const Value> args) {
  if (!args.empty() && args[0].IsNumber()) {
    return Value::Number(SeededRandom(Truncated(args[0].number())));
  }
  return Value::Number(ctx.Random());
}

Value Uuid(CallContext& ctx, std::span<const Value>) {
  uint8_t bytes[16];
  for (int word = 0; word < 4; ++word) {
    const auto bits = static_cast<uint32_t>(ctx.Random() * 4294967296.0);
    for (int k = 0; k < 4; ++k) bytes[word * 4 + k] = static_cast<uint8_t>(bits >> (24 - 8 * k));
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int k = 0; k < 16; ++k) {
    if (k == 4 || k == 6 || k == 8 || k == 10) out += '-';
    out += kHex[bytes[k] >> 4];
    out += kHex[bytes[k] & 0x0F];
  }
  return Value::String(std::move(out));
}

// An owned JSONata value of `json` (which the evaluation does not keep).
// The depth is bounded by the parse.
Value Owned(const Json& json) {
  switch (json.type()) {
    case Json::value_t::null:
      return Value::Null();
    case Json::value_t::boolean:
      return Value::Boolean(json.get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return Value::Number(json.get<double>());
    case Json::value_t::string:
      return Value::String(json.get_ref<const std::string&>());
    case Json::value_t::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const Json& item : json) items.push_back(Owned(item));
      return Value::NewArray(std::move(items));
    }
    case Json::value_t::object: {
      Value out = Value::NewObject();
      auto& members = out.MutableObject();
      for (const auto& [key, value] : json.items()) members.Set(key, Owned(value));
      return out;
    }
    default:
      return {};
  }
}

bool AllFinite(const Json& json) {
  if (json.is_number_float()) return std::isfinite(json.get<double>());
  if (json.is_structured()) {
    for (const Json& item : json) {
      if (!AllFinite(item)) return false;
    }
  }
  return true;
}

Value Parse(CallContext& ctx, std::span<const Value> args) {
  if (args.empty() || !args[0].IsString()) return {};
  const std::string_view text = args[0].str();
  if (JsonNestingDepth(text) > kMaxJsonDepth) {
    Fail(ctx, "parse",
         "Invalid JSON: it nests more than " + std::to_string(kMaxJsonDepth) + " levels deep");
  }
  // Strict as Step Functions is: one value, no repeated key in an object,
  // no number beyond a double.
  std::vector<std::set<std::string>> keys;
  bool repeated = false;
  auto check = [&](int, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second) repeated = true;
        break;
      default:
        break;
    }
    return true;
  };
  Json parsed = Json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) Fail(ctx, "parse", "Invalid JSON: the text is not one JSON value");
  if (repeated) Fail(ctx, "parse", "Invalid JSON: an object repeats a key");
  if (!AllFinite(parsed)) Fail(ctx, "parse", "Invalid JSON: a number is too large");
  return Owned(parsed);
}

constexpr jsonata::BuiltinSpec kFunctions[] = {
    {"partition", "<an?:a>", Partition}, {"range", "<nnn?:a>", Range}, {"hash", "<ss?:s>", Hash},
    {"random", "<n?:n>", Random},        {"uuid", "<:s>", Uuid},       {"parse", "<s?:j>", Parse},
};

}  // namespace

std::span<const jsonata::BuiltinSpec> StepFunctionsJsonataFunctions() { return kFunctions; }

}  // namespace stepflow::expr
