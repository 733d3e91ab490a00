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
#include "engine/expr/jsonata_template.h"
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
  std::string_view body = expr::JsonataBody(s);
  if (body.empty()) {
    Error(kInvalidJsonata, pointer,
          "The JSONata expression is empty: write an expression between '{%' and '%}'");
    return;
  }
  // No implicit input document: a leading bare $ or $$ (not $name) is an
  // error.
  const unsigned char after = body.size() > 1 ? body[1] : ' ';
  if (body[0] == '$' && !std::isalnum(after) && after != '_' && after < 0x80) {
    Error(kInvalidJsonata, pointer,
          "A JSONata expression has no implicit input, so it cannot start with '$' or '$$': use "
          "'$states.input' or '$states.context' instead");
  }
  auto parsed = jsonata::Expression::Parse(body);
  if (const auto* e = std::get_if<jsonata::ErrorInfo>(&parsed)) {
    std::string msg = "The JSONata expression is not valid: " + e->code + ": " + e->message;
    if (e->position >= 0) {
      const size_t lead = static_cast<size_t>(body.data() - s.data());
      msg += " (at character " + std::to_string(lead + static_cast<size_t>(e->position)) +
             " of the string)";
    }
    Error(kInvalidJsonata, pointer, std::move(msg));
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
