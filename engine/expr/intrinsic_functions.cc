#include "engine/expr/intrinsic_functions.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "engine/common/hash.h"

namespace stepflow::expr {
namespace {

constexpr size_t kMaxInputChars = 10000;  // Base64Encode/Decode and Hash
constexpr int64_t kMaxRangeItems = 1000;
// Integers beyond ±(2^53 − 1) are not exact as JSON numbers; refuse them
// rather than compute with silently rounded values.
constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

// in a cause.
std::string Show(const Json& v) {
  std::string s = DumpCompact(v);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

// Length in UTF-16 code units, which is how AWS (a Java service) counts the
// characters of its 10,000-character limits.
size_t Utf16Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
    if (c >= 0xF0) ++n;  // outside the BMP: a surrogate pair
  }
  return n;
}

// Byte length of the UTF-8 sequence starting at s[i] (1 for a stray byte).
size_t CodePointLength(std::string_view s, size_t i) {
  unsigned char c = s[i];
  size_t len = c < 0x80                ? 1
               : (c & 0xE0) == 0xC0    ? 2
               : (c & 0xF0) == 0xE0    ? 3
               : (c & 0xF8) == 0xF0    ? 4
                                       : 1;
  return std::min(len, s.size() - i);
}

// Replaces invalid UTF-8 by U+FFFD, as Java's new String(bytes, UTF_8) does,
// so decoded bytes can always travel as a JSON string.
std::string SanitizeUtf8(std::string_view s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t k = 1;
    for (; k < len && i + k < s.size(); ++k) {
      unsigned char d = s[i + k];
      if ((d & 0xC0) != 0x80) break;
      cp = (cp << 6) | (d & 0x3F);
    }
    if (k < len || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      out += kReplacement;
      i += k;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

uint64_t SplitMix64(uint64_t state) {
  uint64_t z = state + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// How States.Format writes a value. AWS renders its Java form: strings
// without quotes, numbers, booleans and null as JSON writes them (1.0 stays
// "1.0", like Java's Double.toString), objects as Java's Map.toString
// ("{a=1, b=[x, y]}") and arrays as List.toString ("[1, x]"), nested
// strings unquoted. (The ASL spec forbids arrays and objects here, but AWS
// accepts them; LocalStack's snapshots recorded against AWS show the form.)
void AppendFormatted(const Json& v, std::string* out) {
  if (v.is_string()) {
    *out += v.get_ref<const std::string&>();
  } else if (v.is_object()) {
    *out += '{';
    bool first = true;
    for (const auto& [key, value] : v.items()) {
      if (!first) *out += ", ";
      first = false;
      *out += key;
      *out += '=';
      AppendFormatted(value, out);
    }
    *out += '}';
  } else if (v.is_array()) {
    *out += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i > 0) *out += ", ";
      AppendFormatted(v[i], out);
    }
    *out += ']';
  } else {
    *out += DumpCompact(v);
  }
}

// One evaluation of a call: its evaluated argument values and helpers that
// check them, every failure naming the function.
struct Invocation {
  const IntrinsicCall& call;
  std::vector<Json>& args;
  const EvalContext& ctx;

  Status Fail(const std::string& what) const {
    return Status::AslError("States.IntrinsicFailure", call.name() + ": " + what);
  }

  Result<const Json*> Typed(size_t i, const std::string& what, bool (Json::*is)() const noexcept,
                            std::string_view type) const {
    const Json& v = args[i];
    if (!(v.*is)()) {
      return Fail(what + " must be " + std::string(type) + ", got " + std::string(JsonTypeName(v)) +
                  " " + Show(v));
    }
    return &v;
  }
  Result<const std::string*> String(size_t i, const std::string& what) const {
    STEPFLOW_ASSIGN_OR_RETURN(const Json* v, Typed(i, what, &Json::is_string, "a string"));
    return &v->get_ref<const std::string&>();
  }
  Result<const Json*> Array(size_t i, const std::string& what) const {
    return Typed(i, what, &Json::is_array, "an array");
  }
  Result<const Json*> Object(size_t i, const std::string& what) const {
    return Typed(i, what, &Json::is_object, "an object");
  }

  Result<int64_t> CheckRange(const std::string& what, double d) const {
    if (!(std::fabs(d) <= static_cast<double>(kMaxSafeInteger))) {
      return Fail(what + " is out of range: " + Show(Json(d)));
    }
    return static_cast<int64_t>(d);
  }

  // An integral number (1 and 1.0 both qualify).
  Result<int64_t> Integer(size_t i, const std::string& what) const {
    STEPFLOW_ASSIGN_OR_RETURN(const Json* v, Typed(i, what, &Json::is_number, "an integer"));
    if (!IsIntegral(*v)) return Fail(what + " must be an integer, got " + Show(*v));
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(kMaxSafeInteger)) {
      return Fail(what + " is out of range: " + Show(*v));
    }
    return CheckRange(what, v->get<double>());
  }

  // Any number, rounded to the nearest integer with halves rounded up
  // (Java's Math.round), which is what AWS documents for MathAdd/MathRandom.
  Result<int64_t> RoundedInteger(size_t i, const std::string& what) const {
    STEPFLOW_ASSIGN_OR_RETURN(const Json* v, Typed(i, what, &Json::is_number, "a number"));
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(kMaxSafeInteger)) {
      return Fail(what + " is out of range: " + Show(*v));
    }
    if (v->is_number_integer()) {
      return CheckRange(what, static_cast<double>(v->get<int64_t>()));
    }
    return CheckRange(what, std::floor(v->get<double>() + 0.5));
  }

  Status CheckLength(const std::string& what, std::string_view s) const {
    size_t n = Utf16Length(s);
    if (n > kMaxInputChars) {
      return Fail(what + " has " + std::to_string(n) + " characters; at most " +
                  std::to_string(kMaxInputChars) + " are allowed");
    }
    return Status::Ok();
  }
};

Result<Json> Format(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(const std::string* tpl, in.String(0, "the template (first argument)"));
  // A quoted template keeps its escapes in Arg::raw: an escaped \{ or \} is a
  // brace, never half of a placeholder. A template from a path or a nested
  // call has no escapes.
  const IntrinsicCall::Arg& first = in.call.args()[0];
  const bool quoted = first.kind == IntrinsicCall::Arg::Kind::kLiteral;
  std::string_view src = quoted ? std::string_view(first.raw) : std::string_view(*tpl);
  std::vector<std::string> pieces(1);
  for (size_t i = 0; i < src.size(); ++i) {
    if (quoted && src[i] == '\\' && i + 1 < src.size()) {
      pieces.back() += src[++i];
    } else if (src[i] == '{' && i + 1 < src.size() && src[i + 1] == '}') {
      pieces.emplace_back();
      ++i;
    } else {
      pieces.back() += src[i];
    }
  }
  const size_t placeholders = pieces.size() - 1;
  const size_t values = in.args.size() - 1;
  if (placeholders != values) {
    return in.Fail("the template has " + std::to_string(placeholders) + " {} placeholder(s) but " +
                   std::to_string(values) + " value(s) were given");
  }
  std::string out = pieces[0];
  for (size_t k = 0; k < values; ++k) {
    AppendFormatted(in.args[k + 1], &out);
    out += pieces[k + 1];
  }
  return Json(std::move(out));
}

Result<Json> StringToJson(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(const std::string* s, in.String(0, "the argument"));
  // AWS returns null for an empty or blank string rather than failing.
  if (s->find_first_not_of(" \t\n\r") == std::string::npos) return Json(nullptr);
  if (JsonNestingDepth(*s) > kMaxJsonDepth) {
    return in.Fail("the argument nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  Json value = Json::parse(*s, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return in.Fail("the argument is not valid JSON: " + Show(Json(*s)));
  return value;
}

Result<Json> JsonToString(const Invocation& in) { return Json(DumpCompact(in.args[0])); }

Result<Json> MakeArray(const Invocation& in) {
  Json out = Json::array();
  for (Json& v : in.args) out.push_back(std::move(v));
  return out;
}

Result<Json> ArrayPartition(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(const Json* arr, in.Array(0, "the first argument"));
  STEPFLOW_ASSIGN_OR_RETURN(int64_t size, in.Integer(1, "the chunk size"));
  if (size <= 0) {
    return in.Fail("the chunk size must be a positive integer, got " + std::to_string(size));
  }
  Json out = Json::array();
  for (size_t i = 0; i < arr->size(); i += static_cast<size_t>(size)) {
    size_t end = std::min(arr->size(), i + static_cast<size_t>(size));
    out.push_back(Json(arr->begin() + static_cast<std::ptrdiff_t>(i),
                       arr->begin() + static_cast<std::ptrdiff_t>(end)));
  }
  return out;
}

Result<Json> ArrayContains(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(const Json* arr, in.Array(0, "the first argument"));
  const Json& needle = in.args[1];
  return Json(std::any_of(arr->begin(), arr->end(), [&](const Json& v) { return v == needle; }));
}

Result<Json> ArrayRange(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(int64_t first, in.Integer(0, "the first element"));
  STEPFLOW_ASSIGN_OR_RETURN(int64_t last, in.Integer(1, "the last element"));
  STEPFLOW_ASSIGN_OR_RETURN(int64_t step, in.Integer(2, "the step"));
  if (step == 0) return in.Fail("the step must not be 0");
  // |first|, |last| ≤ 2^53, so the differences cannot overflow.
  int64_t count = 0;
  if (step > 0 && first <= last) count = (last - first) / step + 1;
  if (step < 0 && first >= last) count = (first - last) / -step + 1;
  if (count > kMaxRangeItems) {
    return in.Fail("the range has " + std::to_string(count) + " elements; at most " +
                   std::to_string(kMaxRangeItems) + " are allowed");
  }
  Json out = Json::array();
  for (int64_t i = 0; i < count; ++i) out.push_back(first + i * step);
  return out;
}

Result<Json> ArrayGetItem(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(const Json* arr, in.Array(0, "the first argument"));
  STEPFLOW_ASSIGN_OR_RETURN(int64_t index, in.Integer(1, "the index"));
  if (index < 0 || static_cast<uint64_t>(index) >= arr->size()) {
    return in.Fail("index " + std::to_string(index) + " is out of range for an array of " +
                   std::to_string(arr->size()) + " element(s)");
  }
  return (*arr)[static_cast<size_t>(index)];
}

Result<Json> ArrayLength(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(const Json* arr, in.Array(0, "the argument"));
  return Json(arr->size());
}

Result<Json> ArrayUnique(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(const Json* arr, in.Array(0, "the argument"));
  // Json's ordering treats 1 and 1.0 (and objects differing only so) as
  // equivalent, exactly as its == does, so the set detects deep equality.
  std::set<Json> seen;
  Json out = Json::array();
  for (const Json& v : *arr) {
    if (seen.insert(v).second) out.push_back(v);
  }
  return out;
}

Result<Json> Base64EncodeFn(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(const std::string* s, in.String(0, "the argument"));
  STEPFLOW_RETURN_IF_ERROR(in.CheckLength("the argument", *s));
  return Json(Base64Encode(*s));
}

Result<Json> Base64DecodeFn(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(const std::string* s, in.String(0, "the argument"));
  STEPFLOW_RETURN_IF_ERROR(in.CheckLength("the argument", *s));
  std::string padded = *s;
  // Like Java's decoder, accept input whose '=' padding was left off.
  if (padded.size() % 4 == 2) padded += "==";
  if (padded.size() % 4 == 3) padded += "=";
  std::optional<std::string> bytes = Base64Decode(padded);
  if (!bytes) return in.Fail("the argument is not valid base64: " + Show(Json(*s)));
  return Json(SanitizeUtf8(*bytes));
}

Result<Json> Hash(const Invocation& in) {
  const Json& data = in.args[0];
  std::string text = data.is_string() ? data.get<std::string>() : DumpCompact(data);
  STEPFLOW_ASSIGN_OR_RETURN(const std::string* alg,
                            in.String(1, "the algorithm (second argument)"));
  STEPFLOW_RETURN_IF_ERROR(in.CheckLength("the data", text));
  std::optional<std::string> digest = HexDigest(*alg, text);
  if (!digest) {
    return in.Fail("unknown algorithm " + Show(Json(*alg)) +
                   "; use MD5, SHA-1, SHA-256, SHA-384 or SHA-512");
  }
  return Json(std::move(*digest));
}

Result<Json> JsonMerge(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(const Json* a, in.Object(0, "the first argument"));
  STEPFLOW_ASSIGN_OR_RETURN(const Json* b, in.Object(1, "the second argument"));
  STEPFLOW_ASSIGN_OR_RETURN(const Json* deep, in.Typed(2, "the deep-merge flag (third argument)",
                                                       &Json::is_boolean, "a boolean"));
  if (deep->get<bool>()) {
    return in.Fail("deep merging is not supported; the third argument must be false");
  }
  Json out = *a;
  for (auto it = b->begin(); it != b->end(); ++it) out[it.key()] = it.value();
  return out;
}

Result<Json> MathRandom(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(int64_t start, in.RoundedInteger(0, "the start"));
  STEPFLOW_ASSIGN_OR_RETURN(int64_t end, in.RoundedInteger(1, "the end"));
  if (start > end) {
    return in.Fail("the start (" + std::to_string(start) + ") is greater than the end (" +
                   std::to_string(end) + ")");
  }
  uint64_t r;
  if (in.args.size() == 3) {
    STEPFLOW_ASSIGN_OR_RETURN(int64_t seed, in.RoundedInteger(2, "the seed"));
    r = SplitMix64(static_cast<uint64_t>(seed));
  } else {
    r = in.ctx.NextRandom();
  }
  // Map r onto [start, end] by a 64×64→128-bit multiply: portable, unlike
  // std::uniform_int_distribution, so a seed gives the same value anywhere.
  const uint64_t span = static_cast<uint64_t>(end - start) + 1;
  const auto offset = static_cast<uint64_t>((static_cast<unsigned __int128>(r) * span) >> 64);
  return Json(start + static_cast<int64_t>(offset));
}

Result<Json> MathAdd(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(int64_t a, in.RoundedInteger(0, "the first argument"));
  STEPFLOW_ASSIGN_OR_RETURN(int64_t b, in.RoundedInteger(1, "the second argument"));
  return Json(a + b);
}

Result<Json> StringSplit(const Invocation& in) {
  STEPFLOW_ASSIGN_OR_RETURN(const std::string* s, in.String(0, "the first argument"));
  STEPFLOW_ASSIGN_OR_RETURN(const std::string* delims,
                            in.String(1, "the delimiters (second argument)"));
  std::vector<std::string_view> separators;
  for (size_t i = 0; i < delims->size();) {
    size_t len = CodePointLength(*delims, i);
    separators.push_back(std::string_view(*delims).substr(i, len));
    i += len;
  }
  Json out = Json::array();
  std::string piece;
  for (size_t i = 0; i < s->size();) {
    size_t len = CodePointLength(*s, i);
    std::string_view cp = std::string_view(*s).substr(i, len);
    if (std::find(separators.begin(), separators.end(), cp) != separators.end()) {
      if (!piece.empty()) out.push_back(std::move(piece));
      piece.clear();
    } else {
      piece.append(cp);
    }
    i += len;
  }
  if (!piece.empty()) out.push_back(std::move(piece));
  return out;
}

Result<Json> Uuid(const Invocation& in) {
  uint8_t bytes[16];
  for (int half = 0; half < 2; ++half) {
    uint64_t r = in.ctx.NextRandom();
    for (int k = 0; k < 8; ++k) bytes[half * 8 + k] = static_cast<uint8_t>(r >> (56 - 8 * k));
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int k = 0; k < 16; ++k) {
    if (k == 4 || k == 6 || k == 8 || k == 10) out += '-';
    out += kHex[bytes[k] >> 4];
    out += kHex[bytes[k] & 0x0F];
  }
  return Json(std::move(out));
}

using Implementation = Result<Json> (*)(const Invocation&);

// Adapts a function body to the IntrinsicImplementation signature.
template <Implementation kFn>
Result<Json> Call(const IntrinsicCall& call, std::vector<Json>& args, const EvalContext& ctx) {
  return kFn(Invocation{call, args, ctx});
}

const std::pair<std::string_view, internal::IntrinsicImplementation> kTable[] = {
    {"States.Format", Call<Format>},
    {"States.StringToJson", Call<StringToJson>},
    {"States.JsonToString", Call<JsonToString>},
    {"States.Array", Call<MakeArray>},
    {"States.ArrayPartition", Call<ArrayPartition>},
    {"States.ArrayContains", Call<ArrayContains>},
    {"States.ArrayRange", Call<ArrayRange>},
    {"States.ArrayGetItem", Call<ArrayGetItem>},
    {"States.ArrayLength", Call<ArrayLength>},
    {"States.ArrayUnique", Call<ArrayUnique>},
    {"States.Base64Encode", Call<Base64EncodeFn>},
    {"States.Base64Decode", Call<Base64DecodeFn>},
    {"States.Hash", Call<Hash>},
    {"States.JsonMerge", Call<JsonMerge>},
    {"States.MathRandom", Call<MathRandom>},
    {"States.MathAdd", Call<MathAdd>},
    {"States.StringSplit", Call<StringSplit>},
    {"States.UUID", Call<Uuid>},
};

}  // namespace

namespace internal {

IntrinsicImplementation FindIntrinsicImplementation(std::string_view name) {
  for (const auto& [n, fn] : kTable) {
    if (n == name) return fn;
  }
  return nullptr;
}

}  // namespace internal
}  // namespace stepflow::expr
