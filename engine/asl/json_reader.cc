// A JSON reader that records, for every value and every object key, the
// line and column where it starts, keyed by JSON pointer. nlohmann's parser
// has no positions, so stepflow reads JSON itself: a recursive descent
// parser with an explicit depth limit, so deep input ends in a diagnostic.
#include <string>

#include "engine/asl/document.h"
#include "engine/asl/reader_util.h"

namespace stepflow::asl {

namespace {

class JsonReader {
 public:
  JsonReader(std::string_view text, const ParseLimits& limits, Document* doc,
             std::vector<Diagnostic>* diags)
      : s_(text), limits_(limits), doc_(doc), diags_(diags) {}

  // Reads the whole text; false on a syntax error (already reported).
  bool Read(Json* out) {
    SkipSpace();
    std::string pointer;
    if (!ReadValue(out, &pointer, 0, /*parent_key=*/"")) return false;
    SkipSpace();
    if (pos_ != s_.size()) return Fail("Unexpected text after the end of the JSON value");
    return true;
  }

 private:
  bool Fail(const std::string& message, std::string code = "INVALID_JSON_DESCRIPTION") {
    if (!failed_) {
      diags_->push_back(internal::MakeError(std::move(code), "", line_, column_,
                                            message + " (line " + std::to_string(line_) +
                                                ", column " + std::to_string(column_) + ")"));
      failed_ = true;
    }
    return false;
  }

  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

  void Advance() {
    char c = s_[pos_++];
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++column_;
    }
  }

  void SkipSpace() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        Advance();
      } else {
        break;
      }
    }
  }

  bool Expect(char c, const char* what) {
    if (Peek() != c) {
      if (pos_ >= s_.size()) return Fail(std::string("Unexpected end of text: expected ") + what);
      return Fail(std::string("Expected ") + what + " but found '" + std::string(1, Peek()) + "'");
    }
    Advance();
    return true;
  }

  bool ReadValue(Json* out, std::string* pointer, int depth, std::string_view parent_key) {
    if (depth > limits_.max_depth) {
      return Fail("The definition nests objects and arrays more than " +
                      std::to_string(limits_.max_depth) + " levels deep: flatten it",
                  "TOO_DEEPLY_NESTED");
    }
    doc_->SetPosition(*pointer, {line_, column_});
    ++nodes_;
    char c = Peek();
    if (c == '{') return ReadObject(out, pointer, depth, parent_key);
    if (c == '[') return ReadArray(out, pointer, depth);
    if (c == '"') {
      std::string str;
      if (!ReadString(&str)) return false;
      *out = std::move(str);
      return true;
    }
    if (c == 't') return ReadWord("true", Json(true), out);
    if (c == 'f') return ReadWord("false", Json(false), out);
    if (c == 'n') return ReadWord("null", Json(nullptr), out);
    if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber(out);
    if (pos_ >= s_.size()) return Fail("Unexpected end of text: expected a value");
    return Fail("Unexpected character '" + std::string(1, c) + "': expected a value");
  }

  bool ReadWord(std::string_view word, Json value, Json* out) {
    if (s_.substr(pos_, word.size()) != word) {
      return Fail("Invalid literal: expected '" + std::string(word) + "'");
    }
    for (size_t i = 0; i < word.size(); ++i) Advance();
    *out = std::move(value);
    return true;
  }

  bool ReadNumber(Json* out) {
    size_t begin = pos_;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
        Advance();
      } else {
        break;
      }
    }
    auto token = s_.substr(begin, pos_ - begin);
    auto number = internal::ParseNumberToken(token);
    if (!number) return Fail("Invalid number '" + std::string(token) + "'");
    *out = std::move(*number);
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool ReadHex4(uint32_t* cp) {
    *cp = 0;
    for (int i = 0; i < 4; ++i) {
      char h = Peek();
      int v;
      if (h >= '0' && h <= '9')
        v = h - '0';
      else if (h >= 'a' && h <= 'f')
        v = h - 'a' + 10;
      else if (h >= 'A' && h <= 'F')
        v = h - 'A' + 10;
      else
        return Fail("Invalid \\u escape: expected four hex digits");
      *cp = (*cp << 4) | static_cast<uint32_t>(v);
      Advance();
    }
    return true;
  }

  bool ReadString(std::string* out) {
    Advance();  // opening quote
    while (true) {
      if (pos_ >= s_.size()) return Fail("Unterminated string");
      char c = s_[pos_];
      if (c == '"') {
        Advance();
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return Fail("Control character in a string: escape it (for example \\n)");
      }
      if (c != '\\') {
        // Copy a run of plain bytes at once.
        size_t begin = pos_;
        while (pos_ < s_.size() && s_[pos_] != '"' && s_[pos_] != '\\' &&
               static_cast<unsigned char>(s_[pos_]) >= 0x20) {
          Advance();
        }
        out->append(s_.substr(begin, pos_ - begin));
        continue;
      }
      Advance();
      char e = Peek();
      if (pos_ >= s_.size()) return Fail("Unterminated string");
      Advance();
      switch (e) {
        case '"':
          *out += '"';
          break;
        case '\\':
          *out += '\\';
          break;
        case '/':
          *out += '/';
          break;
        case 'b':
          *out += '\b';
          break;
        case 'f':
          *out += '\f';
          break;
        case 'n':
          *out += '\n';
          break;
        case 'r':
          *out += '\r';
          break;
        case 't':
          *out += '\t';
          break;
        case 'u': {
          uint32_t cp;
          if (!ReadHex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.substr(pos_, 2) != "\\u") return Fail("Unpaired UTF-16 surrogate in \\u escape");
            Advance();
            Advance();
            uint32_t low;
            if (!ReadHex4(&low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return Fail("Invalid UTF-16 surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return Fail("Unpaired UTF-16 surrogate in \\u escape");
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return Fail("Invalid escape '\\" + std::string(1, e) + "' in a string");
      }
    }
  }

  bool ReadObject(Json* out, std::string* pointer, int depth, std::string_view parent_key) {
    Advance();  // '{'
    *out = Json::object();
    auto& obj = out->get_ref<Json::object_t&>();
    SkipSpace();
    if (Peek() == '}') {
      Advance();
      return true;
    }
    const size_t base = pointer->size();
    while (true) {
      SkipSpace();
      if (Peek() != '"') return Expect('"', "a quoted member name");
      SourcePosition key_pos{line_, column_};
      std::string key;
      if (!ReadString(&key)) return false;
      SkipSpace();
      if (!Expect(':', "':' after a member name")) return false;
      SkipSpace();
      pointer->push_back('/');
      pointer->append(EscapePointerToken(key));
      doc_->SetKeyPosition(*pointer, key_pos);
      if (obj.count(key) != 0) {
        // The later value wins in the document; the duplicate is an error
        // because JSON readers disagree on which one counts.
        bool state = parent_key == "States";
        diags_->push_back(internal::MakeError(
            state ? "DUPLICATE_STATE_NAME" : "SCHEMA_VALIDATION_FAILED", *pointer, key_pos.line,
            key_pos.column,
            state
                ? "The state name '" + key + "' is defined twice in this States object: rename one"
                : "The member '" + key + "' appears twice in the same object: keep one"));
      }
      Json value;
      if (!ReadValue(&value, pointer, depth + 1, key)) return false;
      obj[key] = std::move(value);
      pointer->resize(base);
      SkipSpace();
      if (Peek() == ',') {
        Advance();
        continue;
      }
      return Expect('}', "',' or '}' in an object");
    }
  }

  bool ReadArray(Json* out, std::string* pointer, int depth) {
    Advance();  // '['
    *out = Json::array();
    SkipSpace();
    if (Peek() == ']') {
      Advance();
      return true;
    }
    const size_t base = pointer->size();
    for (size_t index = 0;; ++index) {
      SkipSpace();
      pointer->push_back('/');
      pointer->append(std::to_string(index));
      Json value;
      if (!ReadValue(&value, pointer, depth + 1, "")) return false;
      out->push_back(std::move(value));
      pointer->resize(base);
      SkipSpace();
      if (Peek() == ',') {
        Advance();
        continue;
      }
      return Expect(']', "',' or ']' in an array");
    }
  }

  std::string_view s_;
  const ParseLimits& limits_;
  Document* doc_;
  std::vector<Diagnostic>* diags_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  size_t nodes_ = 0;
  bool failed_ = false;
};

}  // namespace

ParseResult ParseJsonText(std::string_view text, const ParseLimits& limits) {
  ParseResult result;
  Document doc(Json(), SourceFormat::kJson);
  JsonReader reader(text, limits, &doc, &result.diagnostics);
  Json root;
  if (!reader.Read(&root)) return result;
  doc.set_root(std::move(root));
  result.document = std::move(doc);
  return result;
}

}  // namespace stepflow::asl
