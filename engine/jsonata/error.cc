#include "engine/jsonata/error.h"

#include <cmath>
#include <cstdio>
#include <string_view>

#include "engine/jsonata/evaluator.h"
#include "engine/jsonata/function.h"

namespace stepflow::jsonata {
namespace {

struct Template {
  std::string_view code;
  std::string_view text;
};

// jsonata-js 2.0.6's catalogue, texts verbatim (including its quirks, e.g.
// D2014 naming 1e6 while the limit is 1e7).
constexpr Template kTemplates[] = {
    {"S0101", "String literal must be terminated by a matching quote"},
    {"S0102", "Number out of range: {{token}}"},
    {"S0103", "Unsupported escape sequence: \\{{token}}"},
    {"S0104", "The escape sequence \\u must be followed by 4 hex digits"},
    {"S0105", "Quoted property name must be terminated with a backquote (`)"},
    {"S0106", "Comment has no closing tag"},
    {"S0201", "Syntax error: {{token}}"},
    {"S0202", "Expected {{value}}, got {{token}}"},
    {"S0203", "Expected {{value}} before end of expression"},
    {"S0204", "Unknown operator: {{token}}"},
    {"S0205", "Unexpected token: {{token}}"},
    {"S0206", "Unknown expression type: {{token}}"},
    {"S0207", "Unexpected end of expression"},
    {"S0208", "Parameter {{value}} of function definition must be a variable name (start with $)"},
    {"S0209", "A predicate cannot follow a grouping expression in a step"},
    {"S0210", "Each step can only have one grouping expression"},
    {"S0211", "The symbol {{token}} cannot be used as a unary operator"},
    {"S0212", "The left side of := must be a variable name (start with $)"},
    {"S0213", "The literal value {{value}} cannot be used as a step within a path expression"},
    {"S0214", "The right side of {{token}} must be a variable name (start with $)"},
    {"S0215", "A context variable binding must precede any predicates on a step"},
    {"S0216", "A context variable binding must precede the 'order-by' clause on a step"},
    {"S0217", "The object representing the 'parent' cannot be derived from this expression"},
    {"S0301", "Empty regular expressions are not allowed"},
    {"S0302", "No terminating / in regular expression"},
    {"S0402", "Choice groups containing parameterized types are not supported"},
    {"S0401", "Type parameters can only be applied to functions and arrays"},
    {"S0500", "Attempted to evaluate an expression containing syntax error(s)"},
    {"T0410", "Argument {{index}} of function {{token}} does not match function signature"},
    {"T0411",
     "Context value is not a compatible type with argument {{index}} of function {{token}}"},
    {"T0412", "Argument {{index}} of function {{token}} must be an array of {{type}}"},
    {"D1001", "Number out of range: {{value}}"},
    {"D1002", "Cannot negate a non-numeric value: {{value}}"},
    {"T1003", "Key in object structure must evaluate to a string; got: {{value}}"},
    {"D1004", "Regular expression matches zero length string"},
    {"T1005", "Attempted to invoke a non-function. Did you mean ${{{token}}}?"},
    {"T1006", "Attempted to invoke a non-function"},
    {"T1007", "Attempted to partially apply a non-function. Did you mean ${{{token}}}?"},
    {"T1008", "Attempted to partially apply a non-function"},
    {"D1009", "Multiple key definitions evaluate to same key: {{value}}"},
    {"D1010", "Attempted to access the Javascript object prototype"},
    {"T1010",
     "The matcher function argument passed to function {{token}} does not return the correct "
     "object structure"},
    {"T2001", "The left side of the {{token}} operator must evaluate to a number"},
    {"T2002", "The right side of the {{token}} operator must evaluate to a number"},
    {"T2003", "The left side of the range operator (..) must evaluate to an integer"},
    {"T2004", "The right side of the range operator (..) must evaluate to an integer"},
    {"D2005", "The left side of := must be a variable name (start with $)"},
    {"T2006", "The right side of the function application operator ~> must be a function"},
    {"T2007", "Type mismatch when comparing values {{value}} and {{value2}} in order-by clause"},
    {"T2008",
     "The expressions within an order-by clause must evaluate to numeric or string values"},
    {"T2009",
     "The values {{value}} and {{value2}} either side of operator {{token}} must be of the same "
     "data type"},
    {"T2010",
     "The expressions either side of operator {{token}} must evaluate to numeric or string "
     "values"},
    {"T2011",
     "The insert/update clause of the transform expression must evaluate to an object: "
     "{{value}}"},
    {"T2012",
     "The delete clause of the transform expression must evaluate to a string or array of "
     "strings: {{value}}"},
    {"T2013",
     "The transform expression clones the input object using the $clone() function.  This has "
     "been overridden in the current scope by a non-function."},
    {"D2014",
     "The size of the sequence allocated by the range operator (..) must not exceed 1e6.  "
     "Attempted to allocate {{value}}."},
    {"D3001", "Attempting to invoke string function on Infinity or NaN"},
    {"D3010", "Second argument of replace function cannot be an empty string"},
    {"D3011", "Fourth argument of replace function must evaluate to a positive number"},
    {"D3012", "Attempted to replace a matched string with a non-string value"},
    {"D3020", "Third argument of split function must evaluate to a positive number"},
    {"D3030", "Unable to cast value to a number: {{value}}"},
    {"D3040", "Third argument of match function must evaluate to a positive number"},
    {"D3050",
     "The second argument of reduce function must be a function with at least two arguments"},
    {"D3060", "The sqrt function cannot be applied to a negative number: {{value}}"},
    {"D3061",
     "The power function has resulted in a value that cannot be represented as a JSON number: "
     "base={{value}}, exponent={{exp}}"},
    {"D3070",
     "The single argument form of the sort function can only be applied to an array of strings "
     "or an array of numbers.  Use the second argument to specify a comparison function"},
    {"D3080", "The picture string must only contain a maximum of two sub-pictures"},
    {"D3081",
     "The sub-picture must not contain more than one instance of the 'decimal-separator' "
     "character"},
    {"D3082", "The sub-picture must not contain more than one instance of the 'percent' character"},
    {"D3083",
     "The sub-picture must not contain more than one instance of the 'per-mille' character"},
    {"D3084", "The sub-picture must not contain both a 'percent' and a 'per-mille' character"},
    {"D3085",
     "The mantissa part of a sub-picture must contain at least one character that is either an "
     "'optional digit character' or a member of the 'decimal digit family'"},
    {"D3086",
     "The sub-picture must not contain a passive character that is preceded by an active "
     "character and that is followed by another active character"},
    {"D3087",
     "The sub-picture must not contain a 'grouping-separator' character that appears adjacent "
     "to a 'decimal-separator' character"},
    {"D3088",
     "The sub-picture must not contain a 'grouping-separator' at the end of the integer part"},
    {"D3089",
     "The sub-picture must not contain two adjacent instances of the 'grouping-separator' "
     "character"},
    {"D3090",
     "The integer part of the sub-picture must not contain a member of the 'decimal digit "
     "family' that is followed by an instance of the 'optional digit character'"},
    {"D3091",
     "The fractional part of the sub-picture must not contain an instance of the 'optional "
     "digit character' that is followed by a member of the 'decimal digit family'"},
    {"D3092",
     "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a "
     "character treated as an 'exponent-separator'"},
    {"D3093",
     "The exponent part of the sub-picture must comprise only of one or more characters that "
     "are members of the 'decimal digit family'"},
    {"D3100", "The radix of the formatBase function must be between 2 and 36.  It was given {{value}}"},
    {"D3110",
     "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given "
     "{{value}}"},
    {"D3120", "Syntax error in expression passed to function eval: {{value}}"},
    {"D3121", "Dynamic error evaluating the expression passed to function eval: {{value}}"},
    {"D3130",
     "Formatting or parsing an integer as a sequence starting with {{value}} is not supported by "
     "this implementation"},
    {"D3131", "In a decimal digit pattern, all digits must be from the same decimal group"},
    {"D3132", "Unknown component specifier {{value}} in date/time picture string"},
    {"D3133",
     "The 'name' modifier can only be applied to months and days in the date/time picture "
     "string, not {{value}}"},
    {"D3134", "The timezone integer format specifier cannot have more than four digits"},
    {"D3135", "No matching closing bracket ']' in date/time picture string"},
    {"D3136", "The date/time picture string is missing specifiers required to parse the timestamp"},
    {"D3137", "{{{message}}}"},
    {"D3138",
     "The $single() function expected exactly 1 matching result.  Instead it matched more."},
    {"D3139", "The $single() function expected exactly 1 matching result.  Instead it matched 0."},
    {"D3140", "Malformed URL passed to ${{{functionName}}}(): {{value}}"},
    {"D3141", "{{{message}}}"},
    // Not in jsonata-js's table: its test harness raises U1001 for runaway
    // evaluations; this is the text of the depth guard (the timeout sets its
    // own message).
    {"U1001",
     "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as "
     "tail-recursive."},
};

std::string_view TemplateOf(std::string_view code) {
  for (const Template& t : kTemplates) {
    if (t.code == code) return t.text;
  }
  return {};
}

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// JSON.stringify of a value as jsonata-js's message rendering does it: no
// rounding of numbers, non-finite numbers as null, functions left out of
// objects (null in arrays). Nesting is bounded so a message never recurses
// without end.
void AppendJson(std::string& out, const Value& v, int depth) {
  if (depth > 64) {
    out += "...";
    return;
  }
  switch (v.type()) {
    case Value::Type::kUndefined:
    case Value::Type::kFunction:
    case Value::Type::kNull:
      out += "null";
      return;
    case Value::Type::kBoolean:
      out += v.boolean() ? "true" : "false";
      return;
    case Value::Type::kNumber:
      if (std::isfinite(v.number())) {
        out += NumberToString(v.number());
      } else {
        out += "null";
      }
      return;
    case Value::Type::kString:
      AppendJsonString(out, v.str());
      return;
    case Value::Type::kArray: {
      out.push_back('[');
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out.push_back(',');
        AppendJson(out, v.at(i), depth + 1);
      }
      out.push_back(']');
      return;
    }
    case Value::Type::kObject: {
      out.push_back('{');
      bool first = true;
      v.ForEachMember([&](std::string_view k, const Value& m) {
        if (m.IsUndefined() || m.IsFunction()) return;
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(out, k);
        out.push_back(':');
        AppendJson(out, m, depth + 1);
      });
      out.push_back('}');
      return;
    }
  }
}

// {{field}}: JSON.stringify of the field ("undefined" when it is undefined,
// as String(undefined) in jsonata-js's replace callback).
std::string RenderJsonField(const Value& v) {
  if (v.IsUndefined() || v.IsFunction()) return "undefined";
  std::string out;
  AppendJson(out, v, 0);
  return out;
}

}  // namespace

void Error::Fill() {
  if (!message.empty()) return;
  std::string_view text = TemplateOf(code);
  if (text.empty()) {
    message = code;
    return;
  }
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "{{{") == 0) {
      size_t end = text.find("}}}", i + 3);
      if (end == std::string_view::npos) break;
      std::string_view field = text.substr(i + 3, end - i - 3);
      // Raw inserts: the token (for ${{{token}}} and ${{{functionName}}}).
      // {{{message}}} is only reached with an empty message.
      if (field == "token" || field == "functionName") out += token;
      i = end + 3;
      continue;
    }
    if (text.compare(i, 2, "{{") == 0) {
      size_t end = text.find("}}", i + 2);
      if (end == std::string_view::npos) break;
      std::string_view field = text.substr(i + 2, end - i - 2);
      if (field == "token") {
        // jsonata-js stringifies the token; errors raised without one show
        // "undefined".
        if (token.empty()) {
          out += "undefined";
        } else {
          AppendJsonString(out, token);
        }
      } else if (field == "value") {
        out += RenderJsonField(value);
      } else if (field == "value2" || field == "type" || field == "exp") {
        // T0412 carries its {{type}} ("numbers", ...) and D3061 its
        // {{exp}} in value2.
        out += RenderJsonField(value2);
      } else if (field == "index") {
        out += std::to_string(index);
      }
      i = end + 2;
      continue;
    }
    out.push_back(text[i]);
    ++i;
  }
  message = std::move(out);
}

void RefillMessage(Error& e) {
  std::string_view text = TemplateOf(e.code);
  if (text.empty() || text.find("{{{message}}}") != std::string_view::npos) return;
  if (e.code == "U1001") return;  // two texts (depth, timeout), set where raised
  e.message.clear();
  e.Fill();
}

void Throw(std::string code, int position, std::string token, Value value, Value value2) {
  Error e(std::move(code), position, std::move(token));
  e.value = std::move(value);
  e.value2 = std::move(value2);
  e.Fill();
  throw e;
}

}  // namespace stepflow::jsonata
