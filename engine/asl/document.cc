#include "engine/asl/document.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "engine/asl/reader_util.h"

namespace stepflow::asl {

uint64_t Document::Key(std::string_view pointer) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a
  for (char c : pointer) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

void Document::set_root(Json root) {
  root_ = std::move(root);
  auto by_key = [](const Entry& a, const Entry& b) { return a.key < b.key; };
  // Stable, so that for a key seen twice (a duplicate member) the first
  // position is found.
  std::stable_sort(values_.begin(), values_.end(), by_key);
  std::stable_sort(keys_.begin(), keys_.end(), by_key);
}

const SourcePosition* Document::Lookup(const std::vector<Entry>& entries,
                                       std::string_view pointer) {
  uint64_t key = Key(pointer);
  auto it = std::lower_bound(entries.begin(), entries.end(), key,
                             [](const Entry& e, uint64_t k) { return e.key < k; });
  return it != entries.end() && it->key == key ? &it->pos : nullptr;
}

const SourcePosition* Document::PositionOf(std::string_view pointer) const {
  return Lookup(values_, pointer);
}

const SourcePosition* Document::KeyPositionOf(std::string_view pointer) const {
  const SourcePosition* p = Lookup(keys_, pointer);
  return p ? p : PositionOf(pointer);
}

bool IsValidUtf8(std::string_view text, size_t* bad_offset) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      *bad_offset = i;
      return false;
    }
    if (i + len > n) {
      *bad_offset = i;
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) {
        *bad_offset = i;
        return false;
      }
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    // Reject overlong forms, surrogates and code points past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      *bad_offset = i;
      return false;
    }
    i += len;
  }
  return true;
}

namespace {

bool LooksLikeJson(std::string_view text) {
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' || c == '[';
  }
  return false;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

ParseResult ParseDefinition(std::string_view text, std::string_view filename,
                            const ParseLimits& limits) {
  ParseResult result;
  if (text.size() > limits.max_bytes) {
    result.diagnostics.push_back(internal::MakeError(
        "DEFINITION_TOO_LARGE", "", 0, 0,
        "The definition is " + std::to_string(text.size()) + " bytes; the limit is " +
            std::to_string(limits.max_bytes) + " bytes: split it or move data out of it"));
    return result;
  }
  size_t bad = 0;
  if (!IsValidUtf8(text, &bad)) {
    int line = 1, column = 1;
    for (size_t i = 0; i < bad; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
        ++column;
      }
    }
    result.diagnostics.push_back(
        internal::MakeError("INVALID_ENCODING", "", line, column,
                            "The definition is not valid UTF-8 (bad byte at offset " +
                                std::to_string(bad) + "): save it as UTF-8"));
    return result;
  }
  bool blank = text.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (blank) {
    result.diagnostics.push_back(internal::MakeError(
        "MISSING_DESCRIPTION", "", 0, 0, "The definition is empty: write a state machine"));
    return result;
  }
  bool json;
  if (EndsWith(filename, ".json")) {
    json = true;
  } else if (EndsWith(filename, ".yaml") || EndsWith(filename, ".yml")) {
    json = false;
  } else {
    json = LooksLikeJson(text);
  }
  return json ? ParseJsonText(text, limits) : ParseYamlText(text, limits);
}

namespace internal {

std::optional<Json> ParseNumberToken(std::string_view token) {
  if (token.empty()) return std::nullopt;
  // Validate the JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  size_t i = 0;
  if (token[i] == '-') ++i;
  if (i >= token.size()) return std::nullopt;
  auto digit = [&](size_t k) { return k < token.size() && token[k] >= '0' && token[k] <= '9'; };
  if (token[i] == '0') {
    ++i;
  } else if (digit(i)) {
    while (digit(i)) ++i;
  } else {
    return std::nullopt;
  }
  bool integral = true;
  if (i < token.size() && token[i] == '.') {
    integral = false;
    ++i;
    if (!digit(i)) return std::nullopt;
    while (digit(i)) ++i;
  }
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    integral = false;
    ++i;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) ++i;
    if (!digit(i)) return std::nullopt;
    while (digit(i)) ++i;
  }
  if (i != token.size()) return std::nullopt;
  const char* b = token.data();
  const char* e = token.data() + token.size();
  if (integral) {
    int64_t v;
    if (auto r = std::from_chars(b, e, v); r.ec == std::errc() && r.ptr == e) return Json(v);
    uint64_t u;
    if (auto r = std::from_chars(b, e, u); r.ec == std::errc() && r.ptr == e) return Json(u);
  }
  double d;
  auto r = std::from_chars(b, e, d);
  if (r.ptr != e || !std::isfinite(d)) return std::nullopt;
  return Json(d);
}

Diagnostic MakeError(std::string code, std::string pointer, int line, int column,
                     std::string message) {
  Diagnostic d;
  d.severity = Severity::kError;
  d.code = std::move(code);
  d.pointer = std::move(pointer);
  d.line = line;
  d.column = column;
  d.message = std::move(message);
  return d;
}

}  // namespace internal

}  // namespace stepflow::asl
