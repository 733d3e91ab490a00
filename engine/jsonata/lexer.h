// The JSONata tokenizer (internal to the parser): one token at a time, as
// jsonata-js's tokenizer produces them, with its S0101-S0106 and
// S0301/S0302 errors.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/jsonata/value.h"

namespace stepflow::jsonata {

struct Token {
  enum class Kind : uint8_t { kName, kVariable, kOperator, kString, kNumber, kValue, kRegex, kEnd };
  Kind kind = Kind::kEnd;
  // Names, variables (without '$'), operators, string contents, the regex
  // pattern, the number as written, "true"/"false"/"null"; "(end)" at the end.
  std::string value;
  Value literal;      // kString, kNumber, kValue
  std::string flags;  // kRegex: "i", "m", "im" or ""
  int position = 0;   // UTF-16 offset just after the token (jsonata-js's)
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}
  // The next token; kEnd at the end of the text. `infix` is jsonata-js's
  // `prefix` argument: true where a '/' is the division operator rather
  // than the start of a regex literal. Throws Error.
  Token Next(bool infix);
  // The text's length in UTF-16 units (the position of the end token).
  int EndPosition() { return Utf16Offset(text_.size()); }
  // The UTF-16 offset of byte offset `byte`.
  int Utf16Offset(size_t byte);

 private:
  int At(size_t i) const { return i < text_.size() ? static_cast<unsigned char>(text_[i]) : -1; }
  Token Make(Token::Kind kind, std::string value);
  Token ScanString(char quote);
  Token ScanRegex();
  bool ScanNumber(Token* out);

  std::string_view text_;
  size_t pos_ = 0;
  // Utf16Offset's cache: positions are asked for mostly in increasing order.
  size_t cached_byte_ = 0;
  int cached_utf16_ = 0;
};

// True for the characters that end a name (jsonata-js's operator keys).
bool IsOperatorChar(int c);

}  // namespace stepflow::jsonata
