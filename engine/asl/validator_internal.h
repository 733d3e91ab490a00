// Internals of the ASL validator, shared by validator.cc (machine, scopes,
// transitions, reachability, the fields every state has),
// validator_states.cc (Resources, the fields of each state type, Choice
// rules, Retry and Catch) and fields.cc (field tables, single-value checks
// and JSONata expressions).
// Not part of the asl module's interface.
#pragma once

#include <algorithm>
#include <cctype>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/asl/diagnostic.h"
#include "engine/asl/document.h"
#include "engine/asl/validator.h"
#include "engine/common/json_util.h"
#include "engine/expr/json_path.h"

namespace stepflow::asl::internal {

inline constexpr std::string_view kSchema = "SCHEMA_VALIDATION_FAILED";
inline constexpr std::string_view kInvalidResource = "INVALID_RESOURCE";
inline constexpr std::string_view kMissingEndState = "MISSING_END_STATE";
inline constexpr std::string_view kDuplicateStateName = "DUPLICATE_STATE_NAME";
inline constexpr std::string_view kInvalidStateName = "INVALID_STATE_NAME";
inline constexpr std::string_view kMissingTarget = "MISSING_TRANSITION_TARGET";
inline constexpr std::string_view kInvalidPath = "INVALID_PATH";
inline constexpr std::string_view kInvalidTimestamp = "INVALID_TIMESTAMP";
inline constexpr std::string_view kInvalidJsonata = "INVALID_JSONATA";
inline constexpr std::string_view kTooDeeplyNested = "TOO_DEEPLY_NESTED";
inline constexpr std::string_view kNoPath = "NO_PATH";
inline constexpr std::string_view kPassResultIsStatic = "PASS_RESULT_IS_STATIC";

// The largest integer Step Functions accepts in its numeric fields.
inline constexpr double kMaxInteger = 99999999;

enum class QueryLanguage { kJsonPath, kJsonata };

// What kind of path a field takes (ASL_NOTES §3).
enum class PathKind {
  kPath,                  // InputPath, OutputPath, Choice Variable, ...Path operators
  kReference,             // ItemsPath, *SecondsPath, TimestampPath, ...
  kResultPath,            // a Reference Path on $ only (no $$, no variable)
  kReferenceOrIntrinsic,  // Fail ErrorPath / CausePath
};

// Where $states.result / $states.errorOutput may appear in a JSONata field.
enum JsonataUse : unsigned {
  kJsonataPlain = 0,
  kAllowResult = 1,       // Output / Assign of Task, Map, Parallel
  kAllowErrorOutput = 2,  // Output / Assign of a Catcher
};

// One Next / Default / Choice rule Next / Catcher Next.
struct Transition {
  int from = 0;             // index of the state in its scope
  std::string_view target;  // points into the document
  std::string pointer;      // of the field naming the target
  std::string_view field;   // "Next", "Default", "StartAt"
};

// One States object: the machine's, a Parallel branch's or a Map processor's.
struct Scope {
  int parent = -1;
  std::string states_pointer;
  const Json* states = nullptr;
  std::unordered_map<std::string_view, int> index;  // state name → position
  std::vector<std::string_view> names;
  std::vector<Transition> transitions;
  bool has_terminal = false;
  // A state without a usable Type or End: its transitions are unknown, so
  // reachability and MISSING_END_STATE are not judged (no false alarms).
  bool has_broken_state = false;
  // Variables that the scope's states, Choice rules and Catchers assign.
  std::vector<std::pair<std::string, std::string>> assigned;  // name, pointer
};

// The fields one state type accepts in one query language, sorted.
using FieldSet = std::vector<std::string_view>;
// nullptr when `type` is not one of the eight.
const FieldSet* AllowedFieldSet(std::string_view type, QueryLanguage ql);
bool IsAllowed(const FieldSet& fields, std::string_view field);

// What the checks of one state need to know.
struct StateContext {
  std::string_view name;
  const Json* state = nullptr;
  std::string pointer;
  std::string_view type;  // one of the eight; empty when unusable
  QueryLanguage ql = QueryLanguage::kJsonPath;
  const FieldSet* allowed = nullptr;
  bool has_unknown_fields = false;  // else every member is allowed
  int scope = 0;
  int index = 0;
  int depth = 0;  // Parallel/Map bodies around the state

  bool jsonata() const { return ql == QueryLanguage::kJsonata; }
  std::string Label() const;  // "Task state 'Fetch'"
  std::string Ptr(std::string_view field) const;
  // The field's value when present and allowed for this type and query
  // language (fields that are not allowed are reported once, as unknown).
  const Json* Field(std::string_view field) const;
};

// ---- Field tables of the objects inside states (fields.cc): each field's
// name, kind of value, range or accepted values, and query language.

enum class FieldKind {
  kSpecial,  // checked by hand
  kString,
  kStringArray,
  kObject,
  kInteger,
  kNumber,
  kEnum,
  kResource,
  kTemplate,
  kReference,
  kResultPath,
  kReferenceOrIntrinsic,
};
enum class FieldLang { kBoth, kJsonPath, kJsonata };

struct FieldSpec {
  std::string_view name;
  FieldKind kind = FieldKind::kSpecial;
  double min = 0;
  double max = 0;
  std::string_view values = {};  // kEnum: "A|B|C"
  FieldLang lang = FieldLang::kBoth;
};
using FieldSpecs = std::vector<FieldSpec>;

struct ObjectFieldTables {
  // Fields of states with value checks (the allowed fields of states are
  // AllowedStateFields; these say what their values must be).
  FieldSpecs task, wait, fail, map;
  // Whole objects: every field they accept.
  FieldSpecs processor_config, item_batcher, item_reader, reader_config, result_writer,
      writer_config, retrier, catcher;
};
const ObjectFieldTables& ObjectFields();

class Validator;

// Checks the fields of `obj` listed in `specs` for the state's query
// language: unknown members (unless `obj` is the state itself, whose fields
// CheckState checked), each value, and that X and XPath are not both given
// (unless !pairs). `literal` forbids {% %} values (Retry).
void CheckSpecs(Validator& val, const StateContext& ctx, const Json& obj,
                const std::string& pointer, std::string_view what, const FieldSpecs& specs,
                bool literal = false, bool pairs = true);
// A Task / ItemReader / ResultWriter Resource (INVALID_RESOURCE).
void CheckResource(Validator& val, const Json& v, const std::string& pointer);
// An object in JSONPath (a payload template); an object or a {% %} string
// in JSONata.
void CheckTemplateField(Validator& val, const StateContext& ctx, const Json& v,
                        const std::string& pointer, std::string_view field);

// ---- Small helpers.

// "'name'".
inline std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// The pointer of a member / element below `parent`.
inline std::string Child(const std::string& parent, std::string_view key) {
  return parent + "/" + EscapePointerToken(key);
}
inline std::string Child(const std::string& parent, size_t index) {
  return parent + "/" + std::to_string(index);
}

// A short rendering of a value for messages: "\"text\"", 5, true, null,
// "an object", "an array".
inline std::string Describe(const Json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return DumpCompact(Json(s.size() > 60 ? s.substr(0, 57) + "..." : s));
  }
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  return DumpCompact(v);
}

// True when `v` is a string that starts with "{%" or ends with "%}": meant
// as JSONata, well-formed or not.
inline bool StartsOrEndsJsonata(const Json& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  return s.rfind("{%", 0) == 0 || (s.size() >= 2 && s.compare(s.size() - 2, 2, "%}") == 0);
}

// A string that would be a path if it were in a ...Path field.
inline bool LooksLikePath(const Json& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  return !s.empty() && s[0] == '$' && expr::Path::Parse(s).ok();
}

// Case-insensitive edit distance, for "did you mean" hints.
inline size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The name in `names` closest to a misspelled `key`, or "" if none is close.
template <typename Names>
std::string_view Closest(std::string_view key, const Names& names) {
  std::string_view best;
  size_t best_distance = 3;
  for (const auto& n : names) {
    std::string_view name(n);
    if (name.size() + 2 < key.size() || key.size() + 2 < name.size()) continue;
    size_t d = EditDistance(key, name);
    if (d < best_distance && d * 3 <= std::max(name.size(), size_t{3})) {
      best = name;
      best_distance = d;
    }
  }
  return best;
}

class Validator {
 public:
  Validator(const Document& doc, const ValidateOptions& options);
  std::vector<Diagnostic> Run();

  // ---- Reporting (line:column from the document's positions).
  void Error(std::string_view code, const std::string& pointer, std::string message);
  // For problems about a member's name (unknown field, state name): the
  // position of the key rather than of the value.
  void ErrorAtKey(std::string_view code, const std::string& pointer, std::string message);
  void Warning(std::string_view code, const std::string& pointer, std::string message);
  // Where the key of the member at `pointer` is, when known (document order).
  const SourcePosition* KeyPosition(const std::string& pointer) const {
    return doc_.KeyPositionOf(pointer);
  }

  // ---- Single field values (fields.cc). Each reports and returns
  // whether the value was acceptable.
  bool CheckPath(const Json& v, const std::string& pointer, std::string_view field, PathKind kind,
                 bool allow_null);
  // A number (an integer when `integer`) in [min, max]; with allow_jsonata
  // also a {% %} string. `path_alt` names the ...Path variant to suggest
  // when a path-like string is given.
  bool CheckNumber(bool allow_jsonata, const Json& v, const std::string& pointer,
                   std::string_view field, double min, double max, bool integer,
                   std::string_view path_alt = {});
  bool CheckString(const Json& v, const std::string& pointer, std::string_view field);
  // `values` lists the accepted strings separated by '|': "FULL|NONE".
  bool CheckEnum(const Json& v, const std::string& pointer, std::string_view field,
                 std::string_view values);
  bool CheckObject(const Json& v, const std::string& pointer, std::string_view field);
  // Reports members of `obj` not in `allowed`, naming `what` ("Retrier")
  // (validator.cc).
  void CheckUnknownMembers(const Json& obj, const std::string& pointer, std::string_view what,
                           const std::vector<std::string_view>& allowed);
  // A JSONPath payload template (Parameters, ResultSelector, ...).
  void CheckTemplate(const Json& v, const std::string& pointer, std::string_view field,
                     bool require_object = true);
  // One {% %} string: delimiters, syntax, no implicit input, $states.* use.
  void CheckJsonataString(const std::string& s, const std::string& pointer, unsigned use);
  // Every {% %} string in `v`, at any depth (validator.cc).
  void CheckJsonataValue(const Json& v, const std::string& pointer, unsigned use);
  // ---- Shared by the state types (validator.cc).
  // Assign of a state, Choice rule or Catcher.
  void CheckAssign(const StateContext& ctx, const Json& v, const std::string& pointer,
                   unsigned use);
  // Records a transition of the state to `target` (any JSON; non-strings
  // are reported).
  void AddTransition(const StateContext& ctx, const Json& target, const std::string& pointer,
                     std::string_view field);
  // A {StartAt, States} object nested in a Parallel or Map state.
  void CheckNestedScope(const StateContext& ctx, const Json& holder, const std::string& pointer,
                        std::string_view what, bool is_processor);

  // ---- Per state type (validator_states.cc).
  void CheckTask(const StateContext& ctx);
  void CheckPass(const StateContext& ctx);
  void CheckWait(const StateContext& ctx);
  void CheckChoice(const StateContext& ctx);
  void CheckFail(const StateContext& ctx);
  void CheckParallel(const StateContext& ctx);
  void CheckMap(const StateContext& ctx);
  void CheckRetry(const StateContext& ctx, const Json& retry);
  void CheckCatch(const StateContext& ctx, const Json& catchers);

 private:
  // A state name as used in one scope; the pointer is rebuilt on demand.
  struct NameUse {
    std::string_view name;
    int scope = 0;
  };

  void Report(Severity severity, std::string_view code, const std::string& pointer,
              std::string message, bool at_key);
  void CheckMachine();
  int CheckScope(const Json& holder, const std::string& pointer, int parent, int depth,
                 QueryLanguage default_ql);
  void CheckState(int scope, int index, std::string_view name, const Json& state,
                  const std::string& pointer, int depth, QueryLanguage default_ql);
  void CheckStateName(std::string_view name, const std::string& pointer);
  void CheckCommonFields(const StateContext& ctx);
  void CheckTransitions(const StateContext& ctx);
  void FinishScope(int scope, const std::string& start_pointer, const Json* start_at);
  void CheckDuplicateNames();
  void CheckVariableScopes();
  void CheckJsonataWalk(const Json& v, std::string& pointer, unsigned use);

  const Document& doc_;
  ValidateOptions options_;
  QueryLanguage machine_ql_ = QueryLanguage::kJsonPath;
  std::vector<Diagnostic> diagnostics_;
  std::deque<Scope> scopes_;
  std::vector<std::pair<int, Transition>> missing_targets_;  // scope, transition
  std::vector<NameUse> name_uses_;                           // in traversal order
  std::unordered_map<std::string_view, size_t> first_use_;   // name → index in name_uses_
  std::vector<size_t> repeated_uses_;  // indices of uses whose name was seen before
};

}  // namespace stepflow::asl::internal
