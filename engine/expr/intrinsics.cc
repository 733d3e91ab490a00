#include "engine/expr/intrinsics.h"

#include <cctype>
#include <limits>
#include <utility>

#include "engine/expr/intrinsic_functions.h"

namespace stepflow::expr {
namespace {

constexpr int kMaxNesting = 32;
constexpr size_t kVariadic = std::numeric_limits<size_t>::max();

struct FunctionSpec {
  std::string_view name;
  size_t min_args;
  size_t max_args;
};

constexpr FunctionSpec kFunctions[] = {
    {"States.Format", 1, kVariadic},      {"States.StringToJson", 1, 1},
    {"States.JsonToString", 1, 1},        {"States.Array", 0, kVariadic},
    {"States.ArrayPartition", 2, 2},      {"States.ArrayContains", 2, 2},
    {"States.ArrayRange", 3, 3},          {"States.ArrayGetItem", 2, 2},
    {"States.ArrayLength", 1, 1},         {"States.ArrayUnique", 1, 1},
    {"States.Base64Encode", 1, 1},        {"States.Base64Decode", 1, 1},
    {"States.Hash", 2, 2},                {"States.JsonMerge", 3, 3},
    {"States.MathRandom", 2, 3},          {"States.MathAdd", 2, 2},
    {"States.StringSplit", 2, 2},         {"States.UUID", 0, 0},
};

const FunctionSpec* FindFunction(std::string_view name) {
  for (const FunctionSpec& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string ArityText(const FunctionSpec& f) {
  auto plural = [](size_t n) {
    return n == 1 ? std::string(" argument") : std::string(" arguments");
  };
  if (f.max_args == kVariadic) return "at least " + std::to_string(f.min_args) + plural(f.min_args);
  if (f.max_args == 0) return "no arguments";
  if (f.min_args == f.max_args) return std::to_string(f.min_args) + plural(f.min_args);
  return std::to_string(f.min_args) + " or " + std::to_string(f.max_args) + " arguments";
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_';
}
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A value for an error message, shortened so a huge payload does not end up
}  // namespace


// ---------------------------------------------------------------------------
// Parsing

class IntrinsicParser {
 public:
  explicit IntrinsicParser(std::string_view text) : text_(text) {}

  Result<IntrinsicCall> ParseTop() {
    SkipSpace();
    STEPFLOW_ASSIGN_OR_RETURN(IntrinsicCall call, ParseCall(1));
    SkipSpace();
    if (pos_ != text_.size()) {
      return Error(pos_, "unexpected '" + std::string(1, text_[pos_]) + "' after the closing ')'");
    }
    return call;
  }

 private:
  Status Error(size_t at, const std::string& what) const {
    return Status::InvalidArgument("intrinsic function \"" + std::string(text_) + "\": " + what +
                                   " (at offset " + std::to_string(at) + ")");
  }

  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }

  Result<IntrinsicCall> ParseCall(int depth) {
    if (depth > kMaxNesting) {
      return Error(pos_, "intrinsic functions are nested more than " + std::to_string(kMaxNesting) +
                             " deep");
    }
    const size_t start = pos_;
    while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
    std::string name(text_.substr(start, pos_ - start));
    if (name.empty()) return Error(start, "expected a function name such as States.Format");
    if (pos_ >= text_.size() || text_[pos_] != '(') {
      return Error(pos_, "expected '(' after '" + name + "'");
    }
    const FunctionSpec* spec = FindFunction(name);
    if (spec == nullptr) return Error(start, "unknown intrinsic function '" + name + "'");
    ++pos_;

    IntrinsicCall call;
    call.name_ = name;
    std::vector<size_t> arg_offsets;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ')') {
      ++pos_;
    } else {
      while (true) {
        SkipSpace();
        arg_offsets.push_back(pos_);
        STEPFLOW_ASSIGN_OR_RETURN(IntrinsicCall::Arg arg, ParseArg(depth));
        call.args_.push_back(std::move(arg));
        SkipSpace();
        if (pos_ >= text_.size()) return Error(pos_, "missing ')' to close " + name);
        char c = text_[pos_++];
        if (c == ')') break;
        if (c != ',') {
          return Error(pos_ - 1, "expected ',' or ')' but found '" + std::string(1, c) + "'");
        }
      }
    }
    call.text_ = std::string(text_.substr(start, pos_ - start));

    size_t n = call.args_.size();
    if (n < spec->min_args || n > spec->max_args) {
      return Error(start, name + " takes " + ArityText(*spec) + ", got " + std::to_string(n));
    }
    if (name == "States.JsonToString" && call.args_[0].kind == IntrinsicCall::Arg::Kind::kLiteral) {
      return Error(arg_offsets[0],
                   "the argument of States.JsonToString must be a path or an intrinsic call");
    }
    return call;
  }

  Result<IntrinsicCall::Arg> ParseArg(int depth) {
    if (pos_ >= text_.size()) return Error(pos_, "missing argument");
    const char c = text_[pos_];
    if (c == '\'') return ParseString();
    if (c == '$') return ParsePath();
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return ParseNumber();
    if (IsNameChar(c)) {
      const size_t start = pos_;
      size_t end = pos_;
      while (end < text_.size() && IsNameChar(text_[end])) ++end;
      std::string_view word = text_.substr(start, end - start);
      if (end < text_.size() && text_[end] == '(') {
        STEPFLOW_ASSIGN_OR_RETURN(IntrinsicCall nested, ParseCall(depth + 1));
        IntrinsicCall::Arg arg;
        arg.kind = IntrinsicCall::Arg::Kind::kCall;
        arg.call = std::make_shared<const IntrinsicCall>(std::move(nested));
        return arg;
      }
      IntrinsicCall::Arg arg;
      if (word == "null") {
        arg.literal = nullptr;
      } else if (word == "true") {
        arg.literal = true;
      } else if (word == "false") {
        arg.literal = false;
      } else {
        return Error(start, "unexpected '" + std::string(word) +
                                "'; a string argument must be in single quotes");
      }
      pos_ = end;
      return arg;
    }
    if (c == ',' || c == ')') return Error(pos_, "missing argument");
    return Error(pos_, "unexpected character '" + std::string(1, c) + "'");
  }

  // 'text' with the escapes \' \{ \} \\; any other backslash is an error.
  Result<IntrinsicCall::Arg> ParseString() {
    const size_t start = pos_++;
    IntrinsicCall::Arg arg;
    std::string value;
    while (true) {
      if (pos_ >= text_.size()) return Error(start, "unterminated string");
      char c = text_[pos_];
      if (c == '\'') {
        ++pos_;
        break;
      }
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) return Error(pos_, "dangling backslash in string");
        char e = text_[pos_ + 1];
        if (e != '\'' && e != '{' && e != '}' && e != '\\') {
          return Error(pos_, "invalid escape '\\" + std::string(1, e) +
                                 "' in string; only \\' \\{ \\} and \\\\ are allowed");
        }
        value += e;
        arg.raw += c;
        arg.raw += e;
        pos_ += 2;
        continue;
      }
      value += c;
      arg.raw += c;
      ++pos_;
    }
    arg.literal = std::move(value);
    return arg;
  }

  Result<IntrinsicCall::Arg> ParseNumber() {
    const size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      bool sign_after_exp =
          (c == '+' || c == '-') && (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E');
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != 'e' && c != 'E' &&
          !sign_after_exp) {
        break;
      }
      ++pos_;
    }
    std::string token(text_.substr(start, pos_ - start));
    Json value = Json::parse(token, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded() || !value.is_number()) {
      return Error(start, "invalid number '" + token + "'");
    }
    IntrinsicCall::Arg arg;
    arg.literal = std::move(value);
    return arg;
  }

  // A path runs to the first ',', ')' or blank outside brackets, so filters
  // such as $[?(@.a == 'x, y')] keep their parentheses, commas and quotes.
  Result<IntrinsicCall::Arg> ParsePath() {
    const size_t start = pos_;
    int brackets = 0;
    char quote = 0;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (quote != 0) {
        if (c == '\\' && pos_ + 1 < text_.size()) {
          pos_ += 2;
          continue;
        }
        if (c == quote) quote = 0;
      } else if (brackets > 0 && (c == '\'' || c == '"')) {
        quote = c;
      } else if (c == '[') {
        ++brackets;
      } else if (c == ']') {
        if (brackets > 0) --brackets;
      } else if (brackets == 0 && (c == ',' || c == ')' || IsSpace(c))) {
        break;
      }
      ++pos_;
    }
    std::string_view token = text_.substr(start, pos_ - start);
    if (quote != 0 || brackets > 0) {
      return Error(start, "unterminated '[' in path '" + std::string(token) + "'");
    }
    auto path = Path::Parse(token);
    if (!path.ok()) {
      return Error(start, "invalid path '" + std::string(token) + "': " + path.status().message());
    }
    IntrinsicCall::Arg arg;
    arg.kind = IntrinsicCall::Arg::Kind::kPath;
    arg.path = std::make_shared<const Path>(std::move(path).value());
    return arg;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

Result<IntrinsicCall> IntrinsicCall::Parse(std::string_view text) {
  return IntrinsicParser(text).ParseTop();
}

bool IntrinsicCall::LooksLikeCall(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && IsNameChar(text[i])) ++i;
  return i > 0 && i < text.size() && text[i] == '(';
}

const std::vector<std::string>& IntrinsicCall::FunctionNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const FunctionSpec& f : kFunctions) v.emplace_back(f.name);
    return v;
  }();
  return names;
}

// ---------------------------------------------------------------------------
// Evaluation

Result<Json> IntrinsicCall::Evaluate(const Json& input, const EvalContext& ctx) const {
  std::vector<Json> values;
  values.reserve(args_.size());
  for (const Arg& arg : args_) {
    switch (arg.kind) {
      case Arg::Kind::kLiteral:
        values.push_back(arg.literal);
        break;
      case Arg::Kind::kPath: {
        Result<Json> v = arg.path->Evaluate(input, ctx);
        if (!v.ok()) {
          std::string why = v.status().code() == StatusCode::kNotFound
                                ? "the path '" + arg.path->text() + "' selected nothing"
                                : "the path '" + arg.path->text() +
                                      "' could not be evaluated: " + v.status().message();
          return Status::AslError("States.IntrinsicFailure", name_ + ": " + why);
        }
        values.push_back(std::move(v).value());
        break;
      }
      case Arg::Kind::kCall: {
        STEPFLOW_ASSIGN_OR_RETURN(Json v, arg.call->Evaluate(input, ctx));
        values.push_back(std::move(v));
        break;
      }
    }
  }
  internal::IntrinsicImplementation fn = internal::FindIntrinsicImplementation(name_);
  if (fn == nullptr) {  // only a default-constructed call gets here
    return Status::AslError("States.IntrinsicFailure",
                            "unknown intrinsic function '" + name_ + "'");
  }
  return fn(*this, values, ctx);
}

}  // namespace stepflow::expr