#include "tests/jsonata/json_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <system_error>

namespace stepflow::jsonata::testkit {
namespace {

constexpr double kMaxSafeInteger = 9007199254740992.0;  // 2^53

void AppendUtf8(uint32_t cp, std::string* out) {
  // Surrogates (D800-DFFF) come out as their 3-byte WTF-8 form on purpose.
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Reader {
 public:
  Reader(std::string_view text, int max_depth) : s_(text), max_depth_(max_depth) {}

  std::optional<Json> Document(std::string* error) {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    Json v;
    if (!ParseValue(&v, 0)) {
      if (error) *error = error_ + " at offset " + std::to_string(pos_);
      return std::nullopt;
    }
    SkipSpace();
    if (pos_ != s_.size()) {
      if (error) *error = "unexpected text after the JSON value at offset " + std::to_string(pos_);
      return std::nullopt;
    }
    return v;
  }

 private:
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return Fail("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool ParseValue(Json* out, int depth) {
    if (depth > max_depth_) return Fail("nesting deeper than " + std::to_string(max_depth_));
    SkipSpace();
    if (pos_ >= s_.size()) return Fail("unexpected end of text");
    char c = s_[pos_];
    switch (c) {
      case '{': return ParseObject(out, depth);
      case '[': return ParseArray(out, depth);
      case '"': {
        std::string str;
        if (!ParseString(&str)) return false;
        *out = std::move(str);
        return true;
      }
      case 't': *out = true; return Literal("true");
      case 'f': *out = false; return Literal("false");
      case 'n': *out = nullptr; return Literal("null");
      default: return ParseNumber(out);
    }
  }

  bool ParseObject(Json* out, int depth) {
    ++pos_;  // '{'
    *out = Json::object();
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') return Fail("expected a member name");
      std::string key;
      if (!ParseString(&key)) return false;
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ':') return Fail("expected ':'");
      ++pos_;
      Json member;
      if (!ParseValue(&member, depth + 1)) return false;
      (*out)[key] = std::move(member);
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or '}'");
    }
  }

  bool ParseArray(Json* out, int depth) {
    ++pos_;  // '['
    *out = Json::array();
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      Json item;
      if (!ParseValue(&item, depth + 1)) return false;
      out->push_back(std::move(item));
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return Fail("expected ',' or ']'");
    }
  }

  bool Hex4(uint32_t* out) {
    if (pos_ + 4 > s_.size()) return Fail("short \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return Fail("bad \\u escape");
    }
    pos_ += 4;
    *out = v;
    return true;
  }

  bool ParseString(std::string* out) {
    ++pos_;  // '"'
    while (true) {
      if (pos_ >= s_.size()) return Fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return Fail("control character in string");
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= s_.size()) return Fail("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          // A high surrogate followed by an escaped low one is a pair; any
          // other surrogate is kept alone (WTF-8).
          if (cp >= 0xD800 && cp <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
            size_t save = pos_;
            pos_ += 2;
            uint32_t low;
            if (Hex4(&low) && low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = save;
            }
          }
          AppendUtf8(cp, out);
          break;
        }
        default: return Fail("bad escape");
      }
    }
  }

  bool ParseNumber(Json* out) {
    size_t start = pos_;
    bool integral = true;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size() || !isdigit(static_cast<unsigned char>(s_[pos_]))) {
      return Fail("unexpected character");
    }
    if (s_[pos_] == '0') {
      ++pos_;
    } else {
      while (pos_ < s_.size() && isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (pos_ >= s_.size() || !isdigit(static_cast<unsigned char>(s_[pos_]))) {
        return Fail("bad number");
      }
      while (pos_ < s_.size() && isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || !isdigit(static_cast<unsigned char>(s_[pos_]))) {
        return Fail("bad number");
      }
      while (pos_ < s_.size() && isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    std::string_view text = s_.substr(start, pos_ - start);
    double d = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec == std::errc::result_out_of_range) {
      // JSON.parse gives ±Infinity or ±0 here; from_chars leaves d alone.
      bool negative = text[0] == '-';
      bool tiny = text.find("e-") != std::string_view::npos ||
                  text.find("E-") != std::string_view::npos;
      d = tiny ? (negative ? -0.0 : 0.0)
               : (negative ? -HUGE_VAL : HUGE_VAL);
    } else if (ec != std::errc() || ptr != text.data() + text.size()) {
      return Fail("bad number");
    }
    if (integral && std::fabs(d) <= kMaxSafeInteger && !(d == 0 && std::signbit(d))) {
      *out = static_cast<int64_t>(d);
    } else {
      *out = d;
    }
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  int max_depth_;
  std::string error_;
};

void AppendEscapedString(std::string_view s, std::string* out) {
  static const char* kHex = "0123456789abcdef";
  auto escape_unit = [&](uint32_t u) {
    out->append("\\u");
    for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(u >> shift) & 0xF]);
  };
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        default:
          if (c < 0x20) escape_unit(c);
          else out->push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (c > 0xF4) len = 0;
    bool ok = len > 0 && i + len <= s.size();
    uint32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok) {
      // Overlong forms and out-of-range code points are not text.
      if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
          cp > 0x10FFFF) {
        ok = false;
      }
    }
    if (!ok) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      escape_unit(cp);
    } else {
      out->append(s.substr(i, len));
    }
    i += len;
  }
  out->push_back('"');
}

void AppendValueTextAt(const Value& v, std::string* out, int depth) {
  if (depth > 1000) {
    out->append("\"<deep>\"");
    return;
  }
  switch (v.type()) {
    case Value::Type::kUndefined: out->append("\"<undefined>\""); return;
    case Value::Type::kNull: out->append("null"); return;
    case Value::Type::kBoolean: out->append(v.boolean() ? "true" : "false"); return;
    case Value::Type::kNumber:
      if (std::isnan(v.number())) out->append("\"<NaN>\"");
      else if (std::isinf(v.number())) out->append(v.number() > 0 ? "\"<Infinity>\"" : "\"<-Infinity>\"");
      else out->append(NumberText(v.number()));
      return;
    case Value::Type::kString: AppendEscapedString(v.str(), out); return;
    case Value::Type::kFunction: out->append("\"<function>\""); return;
    case Value::Type::kArray: {
      out->push_back('[');
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendValueTextAt(v.at(i), out, depth + 1);
      }
      out->push_back(']');
      return;
    }
    case Value::Type::kObject: {
      out->push_back('{');
      bool first = true;
      v.ForEachMember([&](std::string_view key, const Value& member) {
        if (!first) out->push_back(',');
        first = false;
        AppendEscapedString(key, out);
        out->push_back(':');
        AppendValueTextAt(member, out, depth + 1);
      });
      out->push_back('}');
      return;
    }
  }
}

bool NumbersEqual(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  if (a != b) return false;
  return a != 0 || std::signbit(a) == std::signbit(b);
}

double JsonNumber(const Json& j) { return j.get<double>(); }

std::string Where(const std::string& path) { return path.empty() ? "(top)" : path; }

bool ChaiEqualAt(const Value& a, const Json& e, const std::string& path, std::string* where,
                 int depth) {
  auto differ = [&]() {
    if (where) *where = Where(path);
    return false;
  };
  if (depth > 1000) return differ();
  switch (e.type()) {
    case Json::value_t::null: return a.IsNull() ? true : differ();
    case Json::value_t::boolean:
      return a.IsBoolean() && a.boolean() == e.get<bool>() ? true : differ();
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return a.IsNumber() && NumbersEqual(a.number(), JsonNumber(e)) ? true : differ();
    case Json::value_t::string:
      return a.IsString() && a.str() == e.get_ref<const std::string&>() ? true : differ();
    case Json::value_t::array: {
      if (!a.IsArray() || a.size() != e.size()) return differ();
      for (size_t i = 0; i < e.size(); ++i) {
        if (!ChaiEqualAt(a.at(i), e[i], path + "[" + std::to_string(i) + "]", where, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    case Json::value_t::object: {
      if (!a.IsObject() || a.ObjectSize() != e.size()) return differ();
      for (const auto& [key, member] : e.items()) {
        if (!a.Has(key)) {
          if (where) *where = path + "." + key + " (missing)";
          return false;
        }
        if (!ChaiEqualAt(a.Get(key), member, path + "." + key, where, depth + 1)) return false;
      }
      return true;
    }
    default: return differ();
  }
}

bool ChaiJsonEqualAt(const Json& a, const Json& e, const std::string& path, std::string* where,
                     int depth) {
  auto differ = [&]() {
    if (where) *where = Where(path);
    return false;
  };
  if (depth > 1000) return differ();
  if (a.is_number() && e.is_number()) {
    return NumbersEqual(JsonNumber(a), JsonNumber(e)) ? true : differ();
  }
  if (a.type() != e.type()) return differ();
  switch (e.type()) {
    case Json::value_t::array:
      if (a.size() != e.size()) return differ();
      for (size_t i = 0; i < e.size(); ++i) {
        if (!ChaiJsonEqualAt(a[i], e[i], path + "[" + std::to_string(i) + "]", where, depth + 1)) {
          return false;
        }
      }
      return true;
    case Json::value_t::object:
      if (a.size() != e.size()) return differ();
      for (const auto& [key, member] : e.items()) {
        auto it = a.find(key);
        if (it == a.end()) {
          if (where) *where = path + "." + key + " (missing)";
          return false;
        }
        if (!ChaiJsonEqualAt(*it, member, path + "." + key, where, depth + 1)) return false;
      }
      return true;
    default: return a == e ? true : differ();
  }
}

}  // namespace

std::optional<Json> ParseJsonText(std::string_view text, std::string* error, int max_depth) {
  return Reader(text, max_depth).Document(error);
}

void AppendJsonText(const Json& value, std::string* out) {
  // Json is bounded in depth by its producers (ParseJsonText, Value::ToJson).
  switch (value.type()) {
    case Json::value_t::null: out->append("null"); return;
    case Json::value_t::boolean: out->append(value.get<bool>() ? "true" : "false"); return;
    case Json::value_t::number_integer: out->append(std::to_string(value.get<int64_t>())); return;
    case Json::value_t::number_unsigned: out->append(std::to_string(value.get<uint64_t>())); return;
    case Json::value_t::number_float: {
      double d = value.get<double>();
      out->append(std::isfinite(d) ? NumberText(d) : "null");
      return;
    }
    case Json::value_t::string: AppendEscapedString(value.get_ref<const std::string&>(), out); return;
    case Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& item : value) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonText(item, out);
      }
      out->push_back(']');
      return;
    }
    case Json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, member] : value.items()) {
        if (!first) out->push_back(',');
        first = false;
        AppendEscapedString(key, out);
        out->push_back(':');
        AppendJsonText(member, out);
      }
      out->push_back('}');
      return;
    }
    default: out->append("null"); return;
  }
}

std::string JsonText(const Json& value) {
  std::string out;
  AppendJsonText(value, &out);
  return out;
}

void AppendValueText(const Value& value, std::string* out) { AppendValueTextAt(value, out, 0); }

std::string ValueText(const Value& value) {
  std::string out;
  AppendValueText(value, &out);
  return out;
}

bool ChaiDeepEqual(const Value& actual, const Json& expected, std::string* where) {
  return ChaiEqualAt(actual, expected, "", where, 0);
}

bool ChaiDeepEqual(const Json& actual, const Json& expected, std::string* where) {
  return ChaiJsonEqualAt(actual, expected, "", where, 0);
}

std::string NumberText(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, x);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, ptr);
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

}  // namespace stepflow::jsonata::testkit
