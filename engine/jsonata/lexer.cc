#include "engine/jsonata/lexer.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

#include "engine/jsonata/error.h"

namespace stepflow::jsonata {
namespace {

bool IsSpace(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'; }

int HexDigit(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string* out, uint32_t cp) {
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

// Builds a string literal's UTF-8 from raw bytes and \u escapes. JavaScript
// strings are UTF-16, so a \uD800-\uDBFF escape followed by a \uDC00-\uDFFF
// escape is one code point; a surrogate left alone becomes U+FFFD (UTF-8
// cannot carry it).
class StringBuilder {
 public:
  void Raw(char c) {
    Flush();
    out_.push_back(c);
  }
  void Unit(uint32_t u) {
    if (u >= 0xDC00 && u <= 0xDFFF && high_ != 0) {
      AppendUtf8(&out_, 0x10000 + ((high_ - 0xD800) << 10) + (u - 0xDC00));
      high_ = 0;
      return;
    }
    Flush();
    if (u >= 0xD800 && u <= 0xDBFF) {
      high_ = u;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      AppendUtf8(&out_, 0xFFFD);
    } else {
      AppendUtf8(&out_, u);
    }
  }
  std::string Take() {
    Flush();
    return std::move(out_);
  }

 private:
  void Flush() {
    if (high_ != 0) AppendUtf8(&out_, 0xFFFD);
    high_ = 0;
  }
  std::string out_;
  uint32_t high_ = 0;
};

}  // namespace

bool IsOperatorChar(int c) {
  switch (c) {
    case '.': case '[': case ']': case '{': case '}': case '(': case ')': case ',':
    case '@': case '#': case ';': case ':': case '?': case '+': case '-': case '*':
    case '/': case '%': case '|': case '=': case '<': case '>': case '^': case '&':
    case '!': case '~':
      return true;
    default:
      return false;
  }
}

int Lexer::Utf16Offset(size_t byte) {
  if (byte > text_.size()) byte = text_.size();
  if (byte < cached_byte_) {
    cached_byte_ = 0;
    cached_utf16_ = 0;
  }
  for (; cached_byte_ < byte; ++cached_byte_) {
    unsigned char c = static_cast<unsigned char>(text_[cached_byte_]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    cached_utf16_ += c >= 0xF0 ? 2 : 1;
  }
  return cached_utf16_;
}

Token Lexer::Make(Token::Kind kind, std::string value) {
  Token t;
  t.kind = kind;
  t.value = std::move(value);
  t.position = Utf16Offset(pos_);
  return t;
}

Token Lexer::Next(bool infix) {
  for (;;) {
    while (pos_ < text_.size() && IsSpace(At(pos_))) ++pos_;
    if (At(pos_) == '/' && At(pos_ + 1) == '*') {
      size_t start = pos_;
      size_t end = text_.find("*/", pos_ + 2);
      if (end == std::string_view::npos) Throw("S0106", Utf16Offset(start));
      pos_ = end + 2;
      continue;
    }
    break;
  }
  if (pos_ >= text_.size()) return Make(Token::Kind::kEnd, "(end)");
  const int c = At(pos_);
  if (!infix && c == '/') {
    ++pos_;
    return ScanRegex();
  }
  static constexpr const char* kDouble[] = {"..", ":=", "!=", ">=", "<=", "**", "~>"};
  for (const char* op : kDouble) {
    if (c == op[0] && At(pos_ + 1) == op[1]) {
      pos_ += 2;
      return Make(Token::Kind::kOperator, op);
    }
  }
  if (IsOperatorChar(c)) {
    ++pos_;
    return Make(Token::Kind::kOperator, std::string(1, static_cast<char>(c)));
  }
  if (c == '"' || c == '\'') return ScanString(static_cast<char>(c));
  Token number;
  if (ScanNumber(&number)) return number;
  if (c == '`') {
    ++pos_;
    size_t end = text_.find('`', pos_);
    if (end == std::string_view::npos) {
      pos_ = text_.size();
      Throw("S0105", Utf16Offset(pos_));
    }
    std::string name(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return Make(Token::Kind::kName, std::move(name));
  }
  size_t i = pos_;
  while (i < text_.size() && !IsSpace(At(i)) && !IsOperatorChar(At(i))) ++i;
  if (c == '$') {
    std::string name(text_.substr(pos_ + 1, i - pos_ - 1));
    pos_ = i;
    return Make(Token::Kind::kVariable, std::move(name));
  }
  std::string name(text_.substr(pos_, i - pos_));
  pos_ = i;
  if (name == "or" || name == "in" || name == "and") return Make(Token::Kind::kOperator, name);
  if (name == "true" || name == "false" || name == "null") {
    Token t = Make(Token::Kind::kValue, name);
    t.literal = name == "null" ? Value::Null() : Value::Boolean(name == "true");
    return t;
  }
  return Make(Token::Kind::kName, std::move(name));
}

Token Lexer::ScanString(char quote) {
  ++pos_;
  StringBuilder s;
  while (pos_ < text_.size()) {
    int c = At(pos_);
    if (c == '\\') {
      ++pos_;
      c = At(pos_);
      switch (c) {
        case '"': case '\\': case '/': s.Raw(static_cast<char>(c)); break;
        case 'b': s.Raw('\b'); break;
        case 'f': s.Raw('\f'); break;
        case 'n': s.Raw('\n'); break;
        case 'r': s.Raw('\r'); break;
        case 't': s.Raw('\t'); break;
        case 'u': {
          // jsonata-js accepts one to four hex digits when the text ends
          // sooner (and then fails with S0101 for the missing quote).
          uint32_t unit = 0;
          int digits = 0;
          for (; digits < 4 && pos_ + 1 + digits < text_.size(); ++digits) {
            int h = HexDigit(At(pos_ + 1 + digits));
            if (h < 0) {
              digits = -1;
              break;
            }
            unit = unit * 16 + static_cast<uint32_t>(h);
          }
          if (digits <= 0) Throw("S0104", Utf16Offset(pos_));
          s.Unit(unit);
          pos_ += 4;
          break;
        }
        default: {
          std::string token;
          if (c >= 0) {
            // The whole code point, as JavaScript's charAt would give (for BMP).
            size_t len = 1;
            while (pos_ + len < text_.size() && (At(pos_ + len) & 0xC0) == 0x80) ++len;
            token = std::string(text_.substr(pos_, len));
          }
          Throw("S0103", Utf16Offset(pos_), token);
        }
      }
    } else if (c == quote) {
      ++pos_;
      Token t = Make(Token::Kind::kString, s.Take());
      t.literal = Value::String(t.value);
      return t;
    } else {
      s.Raw(static_cast<char>(c));
    }
    ++pos_;
  }
  // A \u escape near the end can step past it; jsonata-js reports that offset.
  Throw("S0101", Utf16Offset(text_.size()) + static_cast<int>(pos_ - text_.size()));
}

// jsonata-js: /^-?(0|([1-9][0-9]*))(\.[0-9]+)?([Ee][-+]?[0-9]+)?/ (the '-'
// never reaches here: it is an operator).
bool Lexer::ScanNumber(Token* out) {
  auto digit = [this](size_t i) { return At(i) >= '0' && At(i) <= '9'; };
  size_t i = pos_;
  if (!digit(i)) return false;
  // The decimal magnitude, to tell overflow from underflow below.
  long magnitude = 0;
  bool int_zero = At(i) == '0';
  if (int_zero) {
    ++i;
  } else {
    while (digit(i)) ++i, ++magnitude;
  }
  if (At(i) == '.' && digit(i + 1)) {
    ++i;
    bool leading = int_zero;
    while (digit(i)) {
      if (leading && At(i) == '0') --magnitude; else leading = false;
      ++i;
    }
  }
  if (At(i) == 'e' || At(i) == 'E') {
    size_t j = i + 1;
    bool negative = false;
    if (At(j) == '+' || At(j) == '-') negative = At(j++) == '-';
    if (digit(j)) {
      long exp = 0;
      while (digit(j)) {
        if (exp < 100000000) exp = exp * 10 + (At(j) - '0');
        ++j;
      }
      magnitude += negative ? -exp : exp;
      i = j;
    }
  }
  std::string text(text_.substr(pos_, i - pos_));
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  (void)ptr;
  if (ec == std::errc::result_out_of_range) {
    if (magnitude > 0) Throw("S0102", Utf16Offset(pos_), text);
    value = 0;  // underflow: JavaScript's parseFloat gives 0
  } else if (ec != std::errc() || !std::isfinite(value)) {
    Throw("S0102", Utf16Offset(pos_), text);
  }
  pos_ = i;
  *out = Make(Token::Kind::kNumber, std::move(text));
  out->literal = Value::Number(value);
  return true;
}

// After the opening '/': the pattern up to the closing '/' that is neither
// escaped nor inside (), [] or {}, then the flags i and m.
Token Lexer::ScanRegex() {
  size_t start = pos_;
  int depth = 0;
  while (pos_ < text_.size()) {
    int c = At(pos_);
    if (c == '/' && depth == 0) {
      size_t backslashes = 0;
      while (pos_ >= backslashes + 1 && At(pos_ - backslashes - 1) == '\\') ++backslashes;
      if (backslashes % 2 == 0) {
        std::string pattern(text_.substr(start, pos_ - start));
        if (pattern.empty()) Throw("S0301", Utf16Offset(pos_));
        ++pos_;
        bool i_flag = false, m_flag = false;
        while (At(pos_) == 'i' || At(pos_) == 'm') {
          (At(pos_) == 'i' ? i_flag : m_flag) = true;
          ++pos_;
        }
        Token t = Make(Token::Kind::kRegex, std::move(pattern));
        t.flags = std::string(i_flag ? "i" : "") + (m_flag ? "m" : "");
        return t;
      }
    }
    bool escaped = pos_ > 0 && At(pos_ - 1) == '\\';
    if ((c == '(' || c == '[' || c == '{') && !escaped) ++depth;
    if ((c == ')' || c == ']' || c == '}') && !escaped) --depth;
    ++pos_;
  }
  Throw("S0302", Utf16Offset(pos_));
}

}  // namespace stepflow::jsonata
