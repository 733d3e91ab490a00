// Fields: which fields each state type accepts in each query language
// (AllowedStateFields, ASL_NOTES §2), what the values of state fields and of
// the objects inside states must be (ObjectFields, §2 §7), and the
// validator's checks of single field values (paths, numbers, enums,
// payload templates, JSONata expressions).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "engine/asl/validator.h"
#include "engine/asl/validator_internal.h"
#include "engine/expr/intrinsics.h"
#include "engine/expr/json_path.h"
#include "engine/expr/payload_template.h"

namespace stepflow::asl {

namespace {

using FieldList = std::vector<std::string>;

FieldList Concat(std::initializer_list<FieldList> parts) {
  FieldList out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const FieldList kCommon = {"Type", "Comment", "QueryLanguage"};
const FieldList kIo = {"InputPath", "OutputPath"};
const FieldList kTransition = {"Next", "End"};
const FieldList kErrorHandling = {"Retry", "Catch"};

struct Tables {
  std::map<std::string, FieldList, std::less<>> jsonpath;
  std::map<std::string, FieldList, std::less<>> jsonata;
};

const Tables& GetTables() {
  static const Tables tables = [] {
    Tables t;
    const FieldList task_common = {"Resource",         "TimeoutSeconds",       "TimeoutSecondsPath",
                                   "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials"};
    const FieldList map_common = {"ItemProcessor",
                                  "Iterator",
                                  "ItemReader",
                                  "ItemBatcher",
                                  "ResultWriter",
                                  "MaxConcurrency",
                                  "MaxConcurrencyPath",
                                  "ToleratedFailurePercentage",
                                  "ToleratedFailurePercentagePath",
                                  "ToleratedFailureCount",
                                  "ToleratedFailureCountPath",
                                  "Label",
                                  "ItemSelector"};
    t.jsonpath["Task"] = Concat({kCommon,
                                 kIo,
                                 kTransition,
                                 kErrorHandling,
                                 task_common,
                                 {"Parameters", "ResultSelector", "ResultPath", "Assign"}});
    t.jsonpath["Parallel"] =
        Concat({kCommon,
                kIo,
                kTransition,
                kErrorHandling,
                {"Branches", "Parameters", "ResultSelector", "ResultPath", "Assign"}});
    t.jsonpath["Map"] =
        Concat({kCommon,
                kIo,
                kTransition,
                kErrorHandling,
                map_common,
                {"ItemsPath", "Parameters", "ResultSelector", "ResultPath", "Assign"}});
    t.jsonpath["Pass"] =
        Concat({kCommon, kIo, kTransition, {"Parameters", "Result", "ResultPath", "Assign"}});
    t.jsonpath["Wait"] =
        Concat({kCommon,
                kIo,
                kTransition,
                {"Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Assign"}});
    t.jsonpath["Choice"] = Concat({kCommon, kIo, {"Choices", "Default", "Assign"}});
    t.jsonpath["Succeed"] = Concat({kCommon, kIo});
    t.jsonpath["Fail"] = Concat({kCommon, {"Error", "ErrorPath", "Cause", "CausePath"}});

    // JSONata: no *Path fields; Output/Arguments/Assign instead.
    t.jsonata["Task"] = Concat({kCommon,
                                kTransition,
                                kErrorHandling,
                                {"Resource", "TimeoutSeconds", "HeartbeatSeconds", "Credentials",
                                 "Arguments", "Output", "Assign"}});
    t.jsonata["Parallel"] = Concat(
        {kCommon, kTransition, kErrorHandling, {"Branches", "Arguments", "Output", "Assign"}});
    t.jsonata["Map"] =
        Concat({kCommon,
                kTransition,
                kErrorHandling,
                {"ItemProcessor", "Iterator", "ItemReader", "ItemBatcher", "ResultWriter",
                 "MaxConcurrency", "ToleratedFailurePercentage", "ToleratedFailureCount", "Label",
                 "ItemSelector", "Items", "Output", "Assign"}});
    t.jsonata["Pass"] = Concat({kCommon, kTransition, {"Output", "Assign"}});
    t.jsonata["Wait"] =
        Concat({kCommon, kTransition, {"Seconds", "Timestamp", "Output", "Assign"}});
    t.jsonata["Choice"] = Concat({kCommon, {"Choices", "Default", "Output", "Assign"}});
    t.jsonata["Succeed"] = Concat({kCommon, {"Output"}});
    t.jsonata["Fail"] = Concat({kCommon, {"Error", "Cause"}});
    return t;
  }();
  return tables;
}

}  // namespace

const std::vector<std::string>& AllowedStateFields(std::string_view type,
                                                   std::string_view query_language) {
  static const FieldList kNone;
  const auto& table = query_language == "JSONata" ? GetTables().jsonata : GetTables().jsonpath;
  auto it = table.find(type);
  return it == table.end() ? kNone : it->second;
}

const std::vector<std::string>& StateTypes() {
  static const FieldList kTypes = {"Task", "Parallel", "Map",     "Pass",
                                   "Wait", "Choice",   "Succeed", "Fail"};
  return kTypes;
}

namespace internal {

const ObjectFieldTables& ObjectFields() {
  using K = FieldKind;
  constexpr FieldLang kJP = FieldLang::kJsonPath;
  constexpr FieldLang kJA = FieldLang::kJsonata;
  constexpr double kMaxDelaySeconds = 31622401;  // [LS]
  constexpr double kMaxBatchBytes = 262144;      // 256 KiB payload limit
  constexpr double kMaxReaderItems = 100000000;
  static const ObjectFieldTables tables = [&] {
    ObjectFieldTables t;
    t.task = {{"TimeoutSeconds", K::kInteger, 1, kMaxInteger},
              {"TimeoutSecondsPath", K::kReference, 0, 0, {}, kJP},
              {"HeartbeatSeconds", K::kInteger, 1, kMaxInteger},
              {"HeartbeatSecondsPath", K::kReference, 0, 0, {}, kJP}};
    t.wait = {{"Seconds", K::kInteger, 0, kMaxInteger},
              {"SecondsPath", K::kReference, 0, 0, {}, kJP},
              {"TimestampPath", K::kReference, 0, 0, {}, kJP}};
    t.fail = {{"Error"},
              {"ErrorPath", K::kReferenceOrIntrinsic, 0, 0, {}, kJP},
              {"Cause"},
              {"CausePath", K::kReferenceOrIntrinsic, 0, 0, {}, kJP}};
    t.map = {{"ItemSelector", K::kTemplate},
             {"ItemsPath", K::kReference, 0, 0, {}, kJP},
             {"MaxConcurrency", K::kInteger, 0, kMaxInteger},
             {"MaxConcurrencyPath", K::kReference, 0, 0, {}, kJP},
             {"ToleratedFailurePercentage", K::kNumber, 0, 100},
             {"ToleratedFailurePercentagePath", K::kReference, 0, 0, {}, kJP},
             {"ToleratedFailureCount", K::kInteger, 0, kMaxInteger},
             {"ToleratedFailureCountPath", K::kReference, 0, 0, {}, kJP},
             {"Label", K::kString}};
    t.processor_config = {{"Mode", K::kEnum, 0, 0, "INLINE|DISTRIBUTED"},
                          {"ExecutionType", K::kEnum, 0, 0, "STANDARD|EXPRESS"}};
    t.item_batcher = {{"MaxItemsPerBatch", K::kInteger, 1, kMaxInteger},
                      {"MaxItemsPerBatchPath", K::kReference, 0, 0, {}, kJP},
                      {"MaxInputBytesPerBatch", K::kInteger, 1, kMaxBatchBytes},
                      {"MaxInputBytesPerBatchPath", K::kReference, 0, 0, {}, kJP},
                      {"BatchInput", K::kTemplate}};
    t.item_reader = {{"Resource", K::kResource},
                     {"ReaderConfig", K::kObject},
                     {"Parameters", K::kTemplate, 0, 0, {}, kJP},
                     {"Arguments", K::kTemplate, 0, 0, {}, kJA}};
    t.reader_config = {{"InputType", K::kEnum, 0, 0, "CSV|JSON|JSONL|PARQUET|MANIFEST"},
                       {"CSVHeaderLocation", K::kEnum, 0, 0, "FIRST_ROW|GIVEN"},
                       {"CSVHeaders", K::kStringArray},
                       {"CSVDelimiter", K::kString},
                       {"MaxItems", K::kInteger, 0, kMaxReaderItems},
                       {"MaxItemsPath", K::kReference, 0, 0, {}, kJP},
                       {"ItemsPointer", K::kString},
                       {"ManifestType", K::kString},
                       {"Transformation", K::kEnum, 0, 0, "NONE|LOAD_AND_FLATTEN"}};
    t.result_writer = {{"Resource", K::kResource},
                       {"WriterConfig", K::kObject},
                       {"Parameters", K::kTemplate, 0, 0, {}, kJP},
                       {"Arguments", K::kTemplate, 0, 0, {}, kJA}};
    t.writer_config = {{"OutputType", K::kEnum, 0, 0, "JSON|JSONL"},
                       {"Transformation", K::kEnum, 0, 0, "NONE|FLATTEN|COMPACT"}};
    t.retrier = {{"ErrorEquals"},
                 {"Comment", K::kString},
                 {"IntervalSeconds", K::kInteger, 1, kMaxInteger},
                 {"MaxAttempts", K::kInteger, 0, kMaxInteger},
                 {"BackoffRate", K::kNumber, 1, INFINITY},
                 {"MaxDelaySeconds", K::kInteger, 1, kMaxDelaySeconds},
                 {"JitterStrategy", K::kEnum, 0, 0, "FULL|NONE"}};
    t.catcher = {{"ErrorEquals"},
                 {"Next"},
                 {"Assign"},
                 {"Comment", K::kString},
                 {"ResultPath", K::kResultPath, 0, 0, {}, kJP},
                 {"Output", K::kSpecial, 0, 0, {}, kJA}};
    return t;
  }();
  return tables;
}

namespace {

std::string FormatNumber(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::floor(d) == d ? "%.0f" : "%g", d);
  return buf;
}

const FieldSpec* FindSpec(const FieldSpecs& specs, std::string_view name) {
  for (const auto& f : specs) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

void CheckSpecs(Validator& val, const StateContext& ctx, const Json& obj,
                const std::string& pointer, std::string_view what, const FieldSpecs& specs,
                bool literal, bool pairs) {
  const bool jsonata = ctx.jsonata();
  auto usable = [&](const FieldSpec& f) {
    return f.lang == FieldLang::kBoth || (f.lang == FieldLang::kJsonata) == jsonata;
  };
  const bool is_state = &obj == ctx.state;
  if (!is_state) {
    std::vector<std::string_view> allowed;
    for (const auto& f : specs) {
      if (usable(f)) allowed.push_back(f.name);
    }
    val.CheckUnknownMembers(obj, pointer, what, allowed);
  }
  for (const auto& f : specs) {
    if (!usable(f)) continue;
    auto it = obj.find(f.name);
    if (it == obj.end() || (is_state && ctx.Field(f.name) == nullptr)) continue;
    const Json& v = *it;
    const std::string p = Child(pointer, f.name);
    std::string path_form = std::string(f.name) + "Path";
    const FieldSpec* path_spec = jsonata ? nullptr : FindSpec(specs, path_form);
    if (pairs && path_spec != nullptr && obj.contains(path_form)) {
      val.Error(kSchema, Child(pointer, path_form),
                std::string(what) + " has both " + Quote(f.name) + " and " + Quote(path_form) +
                    ": keep only one");
    }
    if (path_spec == nullptr) path_form.clear();
    switch (f.kind) {
      case FieldKind::kSpecial:
        break;
      case FieldKind::kString:
        val.CheckString(v, p, f.name);
        break;
      case FieldKind::kObject:
        val.CheckObject(v, p, f.name);
        break;
      case FieldKind::kEnum:
        val.CheckEnum(v, p, f.name, f.values);
        break;
      case FieldKind::kResource:
        CheckResource(val, v, p);
        break;
      case FieldKind::kTemplate:
        CheckTemplateField(val, ctx, v, p, f.name);
        break;
      case FieldKind::kInteger:
      case FieldKind::kNumber:
        val.CheckNumber(jsonata && !literal, v, p, f.name, f.min, f.max,
                        f.kind == FieldKind::kInteger, path_form);
        break;
      case FieldKind::kReference:
        val.CheckPath(v, p, f.name, PathKind::kReference, false);
        break;
      case FieldKind::kResultPath:
        val.CheckPath(v, p, f.name, PathKind::kResultPath, true);
        break;
      case FieldKind::kReferenceOrIntrinsic:
        val.CheckPath(v, p, f.name, PathKind::kReferenceOrIntrinsic, false);
        break;
      case FieldKind::kStringArray:
        if (!v.is_array() ||
            !std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_string(); })) {
          val.Error(kSchema, p, Quote(f.name) + " must be an array of strings, not " + Describe(v));
        }
        break;
    }
  }
}

// ---------------------------------------------------------------- field value checks

bool Validator::CheckPath(const Json& v, const std::string& pointer, std::string_view field,
                          PathKind kind, bool allow_null) {
  if (v.is_null() && allow_null) return true;
  if (!v.is_string()) {
    Error(kSchema, pointer,
          Quote(field) + " must be a path string such as \"$.order\"" +
              (allow_null ? " or null" : "") + ", not " + Describe(v));
    return false;
  }
  const auto& text = v.get_ref<const std::string&>();
  if (kind == PathKind::kReferenceOrIntrinsic && (text.empty() || text[0] != '$')) {
    auto call = expr::IntrinsicCall::Parse(text);
    if (!call.ok()) {
      Error(kInvalidPath, pointer,
            Quote(field) + " must be a Reference Path or an intrinsic function call: " +
                call.status().message());
      return false;
    }
    return true;
  }
  auto path = expr::Path::Parse(text);
  if (!path.ok()) {
    Error(kInvalidPath, pointer,
          Quote(field) + " " + Describe(v) + " is not a valid path: " + path.status().message());
    return false;
  }
  if (kind == PathKind::kPath) return true;
  if (!path->is_reference_path()) {
    Error(kInvalidPath, pointer,
          Quote(field) +
              " must be a Reference Path (only '.name' and '[index]' steps; no '*', "
              "'..', slices, unions or filters), not " +
              Describe(v));
    return false;
  }
  if (kind == PathKind::kResultPath && path->root() != expr::PathRoot::kInput) {
    Error(kInvalidPath, pointer,
          Quote(field) + " must be a path into the state's input starting with '$', not " +
              (path->root() == expr::PathRoot::kContext ? "the Context Object ('$$')"
                                                        : "a variable") +
              ": use 'Assign' to set variables");
    return false;
  }
  return true;
}

bool Validator::CheckNumber(bool allow_jsonata, const Json& v, const std::string& pointer,
                            std::string_view field, double min, double max, bool integer,
                            std::string_view path_alt) {
  if (allow_jsonata && StartsOrEndsJsonata(v)) {
    CheckJsonataString(v.get_ref<const std::string&>(), pointer, kJsonataPlain);
    return true;
  }
  if (v.is_number() && (!integer || IsIntegral(v))) {
    double d = v.get<double>();
    if (d >= min && d <= max) return true;
  }
  std::string range = std::string(integer ? "an integer" : "a number");
  if (std::isinf(max)) {
    range += " of at least " + FormatNumber(min);
  } else {
    range += " from " + FormatNumber(min) + " to " + FormatNumber(max);
  }
  std::string msg = Quote(field) + " must be " + range;
  if (allow_jsonata) msg += " or a JSONata expression \"{% ... %}\"";
  msg += ", not " + Describe(v);
  if (v.is_string() && !path_alt.empty() && v.get_ref<const std::string&>().rfind('$', 0) == 0) {
    msg += ": to read the value from the input, use " + Quote(path_alt);
  }
  Error(kSchema, pointer, std::move(msg));
  return false;
}

bool Validator::CheckString(const Json& v, const std::string& pointer, std::string_view field) {
  if (v.is_string()) return true;
  Error(kSchema, pointer, Quote(field) + " must be a string, not " + Describe(v));
  return false;
}

bool Validator::CheckEnum(const Json& v, const std::string& pointer, std::string_view field,
                          std::string_view values) {
  if (v.is_string()) {
    std::string_view s = v.get_ref<const std::string&>();
    for (size_t start = 0; start <= values.size();) {
      size_t bar = std::min(values.find('|', start), values.size());
      if (values.substr(start, bar - start) == s) return true;
      start = bar + 1;
    }
  }
  std::string list(values);
  std::replace(list.begin(), list.end(), '|', ',');
  for (size_t i = list.find(','); i != std::string::npos; i = list.find(',', i + 2))
    list.insert(i + 1, " ");
  Error(kSchema, pointer, Quote(field) + " must be one of " + list + ", not " + Describe(v));
  return false;
}

bool Validator::CheckObject(const Json& v, const std::string& pointer, std::string_view field) {
  if (v.is_object()) return true;
  Error(kSchema, pointer, Quote(field) + " must be an object, not " + Describe(v));
  return false;
}

void Validator::CheckTemplate(const Json& v, const std::string& pointer, std::string_view field,
                              bool require_object) {
  if (require_object && !v.is_object()) {
    Error(kSchema, pointer,
          Quote(field) + " must be an object (a payload template), not " + Describe(v));
    return;
  }
  std::vector<expr::TemplateIssue> issues;
  expr::PayloadTemplate::Check(v, &issues);
  for (auto& issue : issues) {
    Report(issue.warning ? Severity::kWarning : Severity::kError, issue.code,
           pointer + issue.pointer, std::move(issue.message), false);
  }
}

// ---------------------------------------------------------------- JSONata

namespace {

bool IsJsonataOperatorChar(char c) {
  return std::strchr(".[]{}(),@#;:?+-*/%|=<>^&!~", c) != nullptr && c != '\0';
}

bool IsJsonataSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v'; }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A structural check of a JSONata expression (the body between {% and %}),
// following the jsonata-js 2.0 tokenizer: string, name, comment and regex
// literals are closed, brackets balance, values and operators alternate, and
// the expression does not end with an operator. Not a full parser: it lets
// some invalid expressions through, but each rule it applies is one the
// grammar has, so it rejects no valid expression. Returns what is wrong and
// sets *at to the 0-based offset, or returns "".
std::string JsonataSyntaxProblem(std::string_view e, size_t* at) {
  struct Group {
    char close;  // ')' ']' '}' or '|'
    char kind;   // 'b' block ( ), 'o' order-by ^( ), 'f' function parameters,
                 // 't' transform | | |, 'g' any other bracket
    size_t open;
    bool second_bar = false;  // a transform's update part has begun
  };
  std::vector<Group> groups;
  bool operand = true;     // a value is expected next
  bool opened = false;     // the previous token opened a group
  bool semicolon = false;  // the previous token was ';'
  bool function = false;   // the previous token was 'function' or 'λ'
  const size_t n = e.size();
  size_t i = 0;
  auto fail = [&](size_t pos, std::string msg) {
    *at = pos;
    return msg;
  };
  auto value = [&]() -> bool {  // a value token; false if misplaced
    if (!operand) return false;
    operand = opened = semicolon = function = false;
    return true;
  };
  auto op = [&]() {  // a binary operator
    operand = true;
    opened = semicolon = function = false;
  };
  const std::string kTwoValues = "a value follows another value with no operator between them";
  const std::string kNoValue = "an operator or separator comes where a value is expected";
  while (i < n) {
    const char c = e[i];
    const size_t start = i;
    if (IsJsonataSpace(c)) {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && e[i + 1] == '*') {  // comment
      size_t end = e.find("*/", i + 2);
      if (end == std::string_view::npos) return fail(start, "the comment '/*' is not closed");
      i = end + 2;
      continue;
    }
    if (c == '"' || c == '\'' || c == '`') {
      for (++i; i < n && e[i] != c; ++i) {
        if (e[i] == '\\' && c != '`') ++i;
      }
      if (i >= n)
        return fail(start, std::string("the ") + (c == '`' ? "name" : "string") +
                               " starting with " + c + " is not closed");
      ++i;
      if (!value()) return fail(start, kTwoValues);
      continue;
    }
    if (c == '/' && operand) {  // regular expression, scanned as jsonata-js does
      int depth = 0;
      for (++i; i < n; ++i) {
        if (e[i] == '/' && depth == 0) {
          size_t backslashes = 0;
          while (e[i - 1 - backslashes] == '\\') ++backslashes;
          if (backslashes % 2 == 0) break;
        }
        const bool escaped = e[i - 1] == '\\';
        if (!escaped && (e[i] == '(' || e[i] == '[' || e[i] == '{')) ++depth;
        if (!escaped && (e[i] == ')' || e[i] == ']' || e[i] == '}')) --depth;
      }
      if (i >= n) return fail(start, "the regular expression starting with '/' is not closed");
      if (i == start + 1) return fail(start, "the regular expression '//' is empty");
      for (++i; i < n && (e[i] == 'i' || e[i] == 'm');) ++i;
      value();
      continue;
    }
    if (IsDigit(c)) {  // (0|[1-9][0-9]*)(\.[0-9]+)?([Ee][-+]?[0-9]+)?
      auto digits = [&](size_t j) {
        while (j < n && IsDigit(e[j])) ++j;
        return j;
      };
      i = c == '0' ? i + 1 : digits(i);
      if (i + 1 < n && e[i] == '.' && IsDigit(e[i + 1])) i = digits(i + 1);
      if (i + 1 < n && (e[i] == 'e' || e[i] == 'E')) {
        size_t j = i + 1 + (e[i + 1] == '+' || e[i + 1] == '-');
        if (j < n && IsDigit(e[j])) i = digits(j);
      }
      if (!value()) return fail(start, kTwoValues);
      continue;
    }
    if (!IsJsonataOperatorChar(c)) {  // a name, a variable, or and/or/in
      for (++i; i < n && !IsJsonataSpace(e[i]) && !IsJsonataOperatorChar(e[i]);) ++i;
      std::string_view word = e.substr(start, i - start);
      if (!operand && (word == "and" || word == "or" || word == "in")) {
        op();
        continue;
      }
      if (!value()) return fail(start, kTwoValues);
      function = word == "function" || word == "\xCE\xBB";  // λ
      continue;
    }
    const char next = i + 1 < n ? e[i + 1] : '\0';
    ++i;
    switch (c) {
      case '(':
      case '[':
      case '{': {
        const char kind = c != '(' ? 'g' : function ? 'f' : operand ? 'b' : 'g';
        groups.push_back({c == '(' ? ')' : c == '[' ? ']' : '}', kind, start});
        operand = opened = true;
        semicolon = function = false;
        break;
      }
      case ')':
      case ']':
      case '}': {
        if (groups.empty() || groups.back().close != c) {
          return fail(
              start,
              std::string("'") + c + "' does not close an open bracket" +
                  (groups.empty() ? "" : std::string(" (expected '") + groups.back().close + "')"));
        }
        if (operand && !opened && !(semicolon && groups.back().kind == 'b')) {
          return fail(start, std::string("a value is expected before '") + c + "'");
        }
        const bool parameters = groups.back().kind == 'f';
        groups.pop_back();
        operand = opened = semicolon = function = false;
        if (parameters) {  // skip a function signature such as <n-n:n>
          size_t j = i;
          while (j < n && IsJsonataSpace(e[j])) ++j;
          if (j < n && e[j] == '<') {
            int depth = 0;
            for (; j < n; ++j) {
              depth += e[j] == '<' ? 1 : e[j] == '>' ? -1 : 0;
              if (depth == 0) break;
            }
            if (j >= n) return fail(i, "the function signature starting with '<' is not closed");
            i = j + 1;
          }
        }
        break;
      }
      case '|':
        if (operand) {
          groups.push_back({'|', 't', start});
          operand = opened = true;
          semicolon = function = false;
        } else if (!groups.empty() && groups.back().kind == 't' && !groups.back().second_bar) {
          groups.back().second_bar = true;
          op();
        } else if (!groups.empty() && groups.back().kind == 't') {
          groups.pop_back();
          operand = opened = semicolon = function = false;
        } else {
          return fail(start, "'|' is not part of a transform | pattern | update |");
        }
        break;
      case '*':
      case '%':
      case '?':
        if (operand) {  // wildcard, **, parent, or a partial-application placeholder
          if (c == '*' && next == '*') ++i;
          value();
        } else {
          if ((c == '*' && next == '*') || (c == '?' && (next == ':' || next == '?'))) ++i;
          op();
        }
        break;
      case '-':
        op();  // binary, or a unary minus: either way a value is expected
        break;
      case '<':
      case '>':
        if (operand && !groups.empty() && groups.back().kind == 'o') {  // sort order
          op();
          break;
        }
        if (operand) return fail(start, kNoValue);
        if (next == '=') ++i;
        op();
        break;
      case '^': {
        if (operand) return fail(start, kNoValue);
        size_t j = i;
        while (j < n && IsJsonataSpace(e[j])) ++j;
        if (j >= n || e[j] != '(') return fail(start, "'^' must be followed by '(' (order-by)");
        groups.push_back({')', 'o', j});
        i = j + 1;
        operand = opened = true;
        semicolon = function = false;
        break;
      }
      case '~':
      case '!':
        if (next != (c == '~' ? '>' : '=')) {
          return fail(start,
                      std::string("'") + c + "' must be followed by '" + (c == '~' ? ">'" : "='"));
        }
        ++i;
        [[fallthrough]];
      default:  // . .. , ; : := = + & @ # and the second char of ~> !=
        if (operand) return fail(start, kNoValue);
        if ((c == '.' && next == '.') || (c == ':' && next == '=')) ++i;
        if ((c == ',' || c == ';') && groups.empty()) {
          return fail(start, std::string("'") + c + "' separates items only inside brackets");
        }
        op();
        semicolon = c == ';';
        break;
    }
  }
  if (!groups.empty()) {
    const Group& g = groups.back();
    return fail(g.open, std::string("'") + (g.kind == 't' ? '|' : e[g.open]) +
                            "' is not closed (expected '" + g.close + "')");
  }
  if (operand) return fail(n, "the expression ends where a value is expected");
  return {};
}

}  // namespace

void Validator::CheckJsonataString(const std::string& s, const std::string& pointer, unsigned use) {
  const bool opens = s.rfind("{%", 0) == 0;
  const bool closes = s.size() >= 2 && s.compare(s.size() - 2, 2, "%}") == 0;
  if (!opens && !closes) return;
  if (!opens || !closes || s.size() < 4) {
    Error(kInvalidJsonata, pointer,
          opens ? "The string starts with '{%' but does not end with '%}': end the JSONata "
                  "expression with '%}' (nothing after it), or remove '{%'"
                : "The string ends with '%}' but does not start with '{%': start the JSONata "
                  "expression with '{%' (nothing before it), or remove '%}'");
    return;
  }
  std::string_view body(s.data() + 2, s.size() - 4);
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    Error(kInvalidJsonata, pointer,
          "The JSONata expression is empty: write an expression between '{%' and '%}'");
    return;
  }
  // No implicit input document: a leading bare $ or $$ (not $name) is an
  // error. Only the start is checked; this is not a JSONata parser.
  std::string_view lead = body.substr(body.find_first_not_of(" \t\r\n"));
  const unsigned char after = lead.size() > 1 ? lead[1] : ' ';
  if (lead[0] == '$' && !std::isalnum(after) && after != '_' && after < 0x80) {
    Error(kInvalidJsonata, pointer,
          "A JSONata expression has no implicit input, so it cannot start with '$' or '$$': use "
          "'$states.input' or '$states.context' instead");
  }
  size_t at = 0;
  if (std::string problem = JsonataSyntaxProblem(body, &at); !problem.empty()) {
    Error(kInvalidJsonata, pointer,
          "The JSONata expression is not valid: " + problem + " (character " +
              std::to_string(at + 3) + " of the string)");
  }
  if (!(use & kAllowResult) && body.find("$states.result") != std::string_view::npos) {
    Error(kInvalidJsonata, pointer,
          "'$states.result' is only available in the 'Output' and 'Assign' of a Task, Map or "
          "Parallel state: use '$states.input' here");
  }
  if (!(use & kAllowErrorOutput) && body.find("$states.errorOutput") != std::string_view::npos) {
    Error(kInvalidJsonata, pointer,
          "'$states.errorOutput' is only available in a Catcher's 'Output' and 'Assign': "
          "move this expression into the Catcher");
  }
}

}  // namespace internal
}  // namespace stepflow::asl
