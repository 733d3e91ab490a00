// The ASL validator, part 1: the machine, States scopes, state names and
// types, transitions, reachability, duplicate names, the fields every state
// shares, and variable scopes. The fields of each state type are checked in
// validator_states.cc, single field values in fields.cc.
#include "engine/asl/validator.h"

#include <algorithm>
#include <array>
#include <climits>

#include "engine/asl/validator_internal.h"

namespace stepflow::asl {

std::string_view SeverityName(Severity s) { return s == Severity::kError ? "ERROR" : "WARNING"; }

bool HasErrors(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

std::vector<Diagnostic> Validate(const Document& doc, const ValidateOptions& options) {
  return internal::Validator(doc, options).Run();
}

namespace internal {

namespace {

constexpr std::string_view kQueryLanguageNames[] = {"JSONPath", "JSONata"};

// Decodes one UTF-8 code point at s[*i] (the document is valid UTF-8).
char32_t NextCodePoint(std::string_view s, size_t* i) {
  unsigned char c = s[*i];
  int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k < len && *i + k < s.size(); ++k) cp = (cp << 6) | (s[*i + k] & 0x3F);
  *i += len;
  return cp;
}

// Variable names: Unicode ID_Start/ID_Continue (ASL_NOTES §5), approximated
// for non-ASCII by excluding the punctuation, symbol, space and private-use
// blocks; ASCII exactly: [A-Za-z_][A-Za-z0-9_]*.
bool IsIdentifierCodePoint(char32_t cp, bool first) {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_' ||
           (!first && cp >= '0' && cp <= '9');
  }
  if (cp <= 0xBF) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
  if (cp == 0xD7 || cp == 0xF7) return false;
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // punctuation, symbols, arrows, math
  if (cp >= 0x3000 && cp <= 0x3004) return false;
  if (cp >= 0xD800 && cp <= 0xF8FF) return false;  // surrogates, private use
  if (cp >= 0xFE00 && cp <= 0xFE0F) return false;
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;
  if (cp >= 0xFFF0 && cp <= 0xFFFF) return false;
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return false;  // emoji and symbols
  return cp <= 0x10FFFF;
}

// Empty when `name` is a usable variable name, else what is wrong.
std::string VariableNameProblem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name == "states") return "is reserved ($states is the JSONata state context)";
  size_t i = 0, count = 0;
  while (i < name.size()) {
    char32_t cp = NextCodePoint(name, &i);
    if (!IsIdentifierCodePoint(cp, count == 0)) {
      return count == 0 ? "must start with a letter or '_'"
                        : "may contain only letters, digits and '_' (no '.', '[' or spaces)";
    }
    ++count;
  }
  if (count > 80) return "is longer than 80 characters";
  return {};
}

}  // namespace

const FieldSet* AllowedFieldSet(std::string_view type, QueryLanguage ql) {
  static const auto tables = [] {
    std::vector<std::pair<std::string_view, FieldSet>> t[2];
    for (int q = 0; q < 2; ++q) {
      for (const auto& name : StateTypes()) {
        FieldSet set;
        for (const auto& f : AllowedStateFields(name, kQueryLanguageNames[q])) set.push_back(f);
        std::sort(set.begin(), set.end());
        t[q].emplace_back(name, std::move(set));
      }
    }
    return std::array{t[0], t[1]};
  }();
  for (const auto& [name, set] : tables[static_cast<int>(ql)]) {
    if (name == type) return &set;
  }
  return nullptr;
}

bool IsAllowed(const FieldSet& fields, std::string_view field) {
  return std::binary_search(fields.begin(), fields.end(), field);
}

std::string StateContext::Label() const {
  return std::string(type.empty() ? "State" : type) + " state '" + std::string(name) + "'";
}

std::string StateContext::Ptr(std::string_view field) const { return Child(pointer, field); }

const Json* StateContext::Field(std::string_view field) const {
  auto it = state->find(field);
  if (it == state->end() || allowed == nullptr) return nullptr;
  if (has_unknown_fields && !IsAllowed(*allowed, field)) return nullptr;
  return &*it;
}

Validator::Validator(const Document& doc, const ValidateOptions& options)
    : doc_(doc), options_(options) {}

std::vector<Diagnostic> Validator::Run() {
  CheckMachine();
  // Unknown targets are reported once every name is known, so the message
  // can say when the target lives in another States object.
  for (const auto& [scope_id, t] : missing_targets_) {
    std::string msg = Quote(t.field) + " names state " + Quote(t.target);
    if (first_use_.count(t.target)) {
      msg +=
          ", which belongs to another States object: a state can only transition to states "
          "of its own States object (a Parallel branch or Map processor is closed)";
    } else {
      msg +=
          ", which does not exist: use the exact (case-sensitive) name of a state in the "
          "same States object";
    }
    Error(kMissingTarget, t.pointer, std::move(msg));
  }
  CheckDuplicateNames();
  CheckVariableScopes();
  // Document order; diagnostics without a position keep their order, last.
  std::stable_sort(
      diagnostics_.begin(), diagnostics_.end(), [](const Diagnostic& a, const Diagnostic& b) {
        auto key = [](const Diagnostic& d) {
          return d.line == 0 ? std::pair(INT32_MAX, INT32_MAX) : std::pair(d.line, d.column);
        };
        return key(a) < key(b);
      });
  return std::move(diagnostics_);
}

void Validator::Report(Severity severity, std::string_view code, const std::string& pointer,
                       std::string message, bool at_key) {
  if (severity == Severity::kWarning && !options_.warnings) return;
  Diagnostic d;
  d.severity = severity;
  d.code = std::string(code);
  d.pointer = pointer;
  d.message = std::move(message);
  const SourcePosition* pos = at_key ? doc_.KeyPositionOf(pointer) : doc_.PositionOf(pointer);
  if (pos != nullptr) {
    d.line = pos->line;
    d.column = pos->column;
  }
  diagnostics_.push_back(std::move(d));
}

void Validator::Error(std::string_view code, const std::string& pointer, std::string message) {
  Report(Severity::kError, code, pointer, std::move(message), false);
}

void Validator::ErrorAtKey(std::string_view code, const std::string& pointer, std::string message) {
  Report(Severity::kError, code, pointer, std::move(message), true);
}

void Validator::Warning(std::string_view code, const std::string& pointer, std::string message) {
  Report(Severity::kWarning, code, pointer, std::move(message), false);
}

// Reports members of `obj` that are not in `allowed`, with a "did you
// mean" hint for near misses.
void Validator::CheckUnknownMembers(const Json& obj, const std::string& pointer,
                                    std::string_view what,
                                    const std::vector<std::string_view>& allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& key = it.key();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string msg = std::string(what) + " has an unknown field " + Quote(key);
    if (auto near = Closest(key, allowed); !near.empty()) {
      msg += ": did you mean " + Quote(near) + "?";
    } else {
      msg += ": remove it";
    }
    ErrorAtKey(kSchema, Child(pointer, key), std::move(msg));
  }
}

// ---------------------------------------------------------------- machine

void Validator::CheckMachine() {
  const Json& root = doc_.root();
  if (!root.is_object()) {
    Error(kSchema, "",
          "The definition must be a JSON object with \"StartAt\" and \"States\", not " +
              Describe(root));
    return;
  }
  CheckUnknownMembers(
      root, "", "The state machine",
      {"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"});
  if (auto it = root.find("QueryLanguage"); it != root.end()) {
    if (CheckEnum(*it, "/QueryLanguage", "QueryLanguage", "JSONPath|JSONata") && *it == "JSONata") {
      machine_ql_ = QueryLanguage::kJsonata;
    }
  }
  if (auto it = root.find("Comment"); it != root.end()) CheckString(*it, "/Comment", "Comment");
  if (auto it = root.find("Version");
      it != root.end() && CheckString(*it, "/Version", "Version") && *it != "1.0") {
    Error(kSchema, "/Version",
          "'Version' must be \"1.0\", the only version of the Amazon States Language, not " +
              Describe(*it));
  }
  if (auto it = root.find("TimeoutSeconds"); it != root.end()) {
    CheckNumber(false, *it, "/TimeoutSeconds", "TimeoutSeconds", 1, kMaxInteger, true);
  }
  CheckScope(root, "", -1, 0, machine_ql_);
}

int Validator::CheckScope(const Json& holder, const std::string& pointer, int parent, int depth,
                          QueryLanguage default_ql) {
  int id = static_cast<int>(scopes_.size());
  scopes_.emplace_back();
  scopes_[id].parent = parent;
  scopes_[id].states_pointer = pointer + "/States";
  const std::string& states_pointer = scopes_[id].states_pointer;

  const Json* start = nullptr;
  if (auto it = holder.find("StartAt"); it == holder.end()) {
    Error(kSchema, pointer,
          "\"StartAt\" is missing: add \"StartAt\" with the name of the first state to run");
  } else if (!it->is_string()) {
    Error(kSchema, pointer + "/StartAt",
          "'StartAt' must be the name of a state (a string), not " + Describe(*it));
  } else {
    start = &*it;
  }

  auto states = holder.find("States");
  if (states == holder.end()) {
    Error(kSchema, pointer, "\"States\" is missing: add \"States\", an object of named states");
  } else if (!states->is_object()) {
    Error(kSchema, states_pointer,
          "'States' must be an object mapping state names to states, not " + Describe(*states));
  } else if (states->empty()) {
    Error(kSchema, states_pointer, "'States' is empty: add at least one state");
  } else {
    Scope& sc = scopes_[id];
    sc.states = &*states;
    sc.names.reserve(states->size());
    sc.index.reserve(states->size());
    int index = 0;
    for (auto it = states->begin(); it != states->end(); ++it, ++index) {
      std::string_view name = it.key();
      scopes_[id].index.emplace(name, index);
      scopes_[id].names.push_back(name);
      CheckState(id, index, name, it.value(), Child(states_pointer, name), depth, default_ql);
    }
  }
  FinishScope(id, pointer + "/StartAt", start);
  return id;
}

void Validator::FinishScope(int id, const std::string& start_pointer, const Json* start_at) {
  Scope& sc = scopes_[id];
  if (sc.states == nullptr) return;
  const size_t n = sc.names.size();
  // Edges in compressed form: transitions come grouped by source state,
  // in state order, because each state adds its own while it is checked.
  std::vector<int> targets;
  std::vector<size_t> first_edge(n + 1, 0);
  targets.reserve(sc.transitions.size());
  for (auto& t : sc.transitions) {
    auto it = sc.index.find(t.target);
    if (it == sc.index.end()) {
      missing_targets_.emplace_back(id, std::move(t));
      continue;
    }
    targets.push_back(it->second);
    first_edge[t.from + 1] = targets.size();
  }
  for (size_t i = 1; i <= n; ++i) first_edge[i] = std::max(first_edge[i], first_edge[i - 1]);
  sc.transitions.clear();
  sc.transitions.shrink_to_fit();

  int start = -1;
  if (start_at != nullptr) {
    std::string_view name = start_at->get_ref<const std::string&>();
    if (auto it = sc.index.find(name); it != sc.index.end()) {
      start = it->second;
    } else {
      missing_targets_.emplace_back(id, Transition{-1, name, start_pointer, "StartAt"});
    }
  }
  if (start >= 0 && !sc.has_broken_state) {
    std::vector<char> seen(n, 0);
    std::vector<int> queue{start};
    seen[start] = 1;
    while (!queue.empty()) {
      int s = queue.back();
      queue.pop_back();
      for (size_t e = first_edge[s]; e < first_edge[s + 1]; ++e) {
        int t = targets[e];
        if (!seen[t]) {
          seen[t] = 1;
          queue.push_back(t);
        }
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (seen[i]) continue;
      ErrorAtKey(kMissingTarget, Child(sc.states_pointer, sc.names[i]),
                 "State " + Quote(sc.names[i]) + " can never be reached from " +
                     Quote(sc.names[start]) +
                     ": point a \"Next\", \"Default\", Choice rule or Catcher at it, or remove it");
    }
  }
  if (!sc.has_terminal && !sc.has_broken_state) {
    Error(kMissingEndState, sc.states_pointer,
          "No state here ends the workflow: give a state \"End\": true or add a Succeed or Fail "
          "state");
  }
}

// ---------------------------------------------------------------- states

void Validator::CheckStateName(std::string_view name, const std::string& pointer) {
  if (name.empty()) {
    ErrorAtKey(kInvalidStateName, pointer,
               "A state name is empty: give the state a name of 1 to 80 characters");
    return;
  }
  size_t count = 0;
  bool control = false;
  for (size_t i = 0; i < name.size();) {
    char32_t cp = NextCodePoint(name, &i);
    ++count;
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) control = true;
  }
  if (count > kMaxStateNameLength) {
    ErrorAtKey(kInvalidStateName, pointer,
               "State name " + Quote(name.substr(0, 40)) + "... is " + std::to_string(count) +
                   " characters long: use at most 80");
  }
  if (control) {
    ErrorAtKey(kInvalidStateName, pointer,
               "State name " + DumpCompact(Json(std::string(name))) +
                   " contains a control character: remove it");
  }
}

void Validator::CheckState(int scope, int index, std::string_view name, const Json& state,
                           const std::string& pointer, int depth, QueryLanguage default_ql) {
  CheckStateName(name, pointer);
  if (!first_use_.try_emplace(name, name_uses_.size()).second) {
    repeated_uses_.push_back(name_uses_.size());
  }
  name_uses_.push_back({name, scope});

  StateContext ctx;
  ctx.name = name;
  ctx.state = &state;
  ctx.pointer = pointer;
  ctx.ql = default_ql;
  ctx.scope = scope;
  ctx.index = index;
  ctx.depth = depth;
  if (!state.is_object()) {
    Error(kSchema, pointer,
          "State " + Quote(name) + " must be an object with a \"Type\", not " + Describe(state));
    scopes_[scope].has_broken_state = true;
    return;
  }
  if (auto it = state.find("QueryLanguage"); it != state.end()) {
    if (CheckEnum(*it, ctx.Ptr("QueryLanguage"), "QueryLanguage", "JSONPath|JSONata")) {
      ctx.ql = *it == "JSONata" ? QueryLanguage::kJsonata : QueryLanguage::kJsonPath;
      if (machine_ql_ == QueryLanguage::kJsonata && ctx.ql == QueryLanguage::kJsonPath) {
        Error(kSchema, ctx.Ptr("QueryLanguage"),
              "State " + Quote(name) +
                  " uses JSONPath in a JSONata state machine: remove its \"QueryLanguage\" (a "
                  "JSONata machine cannot contain JSONPath states)");
      }
    }
  }
  const auto& types = StateTypes();
  auto type = state.find("Type");
  if (type == state.end()) {
    Error(
        kSchema, pointer,
        "State " + Quote(name) +
            " has no \"Type\": add one of Task, Parallel, Map, Pass, Wait, Choice, Succeed, Fail");
  } else if (!type->is_string() || (ctx.allowed = AllowedFieldSet(
                                        type->get_ref<const std::string&>(), ctx.ql)) == nullptr) {
    std::string msg = "State " + Quote(name) + " has 'Type' " + Describe(*type) +
                      ": use one of Task, Parallel, Map, Pass, Wait, Choice, Succeed, Fail";
    if (type->is_string()) {
      if (auto near = Closest(type->get_ref<const std::string&>(), types); !near.empty()) {
        msg += " (did you mean " + Quote(near) + "?)";
      }
    }
    Error(kSchema, ctx.Ptr("Type"), std::move(msg));
  } else {
    ctx.type = type->get_ref<const std::string&>();
  }
  if (ctx.type.empty()) {
    scopes_[scope].has_broken_state = true;
    return;
  }

  const bool ends_by_itself = ctx.type == "Succeed" || ctx.type == "Fail";
  for (auto it = state.begin(); it != state.end(); ++it) {
    const std::string& key = it.key();
    if (IsAllowed(*ctx.allowed, key)) continue;
    ctx.has_unknown_fields = true;
    std::string msg;
    if ((key == "Next" || key == "End") && ctx.type == "Choice") {
      msg = "A Choice state cannot have " + Quote(key) +
            ": put its transitions in 'Choices' (each rule's \"Next\") and 'Default'";
    } else if ((key == "Next" || key == "End") && ends_by_itself) {
      msg = "A " + std::string(ctx.type) + " state ends by itself and cannot have " + Quote(key) +
            ": remove it";
    } else if (IsAllowed(*AllowedFieldSet(ctx.type, ctx.jsonata() ? QueryLanguage::kJsonPath
                                                                  : QueryLanguage::kJsonata),
                         key)) {
      msg = ctx.jsonata()
                ? Quote(key) + " is a JSONPath field and " + ctx.Label() +
                      " uses JSONata: use 'Arguments'/'Output' with {% %} expressions instead, "
                      "or set \"QueryLanguage\": \"JSONPath\" on the state"
                : Quote(key) + " is a JSONata field and " + ctx.Label() +
                      " uses JSONPath: set \"QueryLanguage\": \"JSONata\" on the state, or use "
                      "the JSONPath fields";
    } else if (auto near = Closest(key, *ctx.allowed); !near.empty()) {
      msg = ctx.Label() + " has an unknown field " + Quote(key) + ": did you mean " + Quote(near) +
            "?";
    } else {
      msg = ctx.Label() + " has a field " + Quote(key) + " that a " + std::string(ctx.type) +
            " state does not accept: remove it";
    }
    ErrorAtKey(kSchema, ctx.Ptr(key), std::move(msg));
  }

  CheckCommonFields(ctx);
  CheckTransitions(ctx);
  using TypeCheck = void (Validator::*)(const StateContext&);
  static constexpr std::pair<std::string_view, TypeCheck> kTypeChecks[] = {
      {"Task", &Validator::CheckTask}, {"Pass", &Validator::CheckPass},
      {"Wait", &Validator::CheckWait}, {"Choice", &Validator::CheckChoice},
      {"Fail", &Validator::CheckFail}, {"Parallel", &Validator::CheckParallel},
      {"Map", &Validator::CheckMap}};  // Succeed has nothing of its own
  for (const auto& [type_name, check] : kTypeChecks) {
    if (ctx.type == type_name) (this->*check)(ctx);
  }
}

void Validator::AddTransition(const StateContext& ctx, const Json& target,
                              const std::string& pointer, std::string_view field) {
  if (!target.is_string()) {
    Error(kSchema, pointer,
          Quote(field) + " must be the name of a state (a string), not " + Describe(target));
    return;
  }
  scopes_[ctx.scope].transitions.push_back(
      {ctx.index, target.get_ref<const std::string&>(), pointer, field});
}

void Validator::CheckTransitions(const StateContext& ctx) {
  if (ctx.type == "Succeed" || ctx.type == "Fail") {
    scopes_[ctx.scope].has_terminal = true;
    return;
  }
  if (ctx.type == "Choice") return;  // CheckChoice adds the rules' and Default's targets
  const Json* next = ctx.Field("Next");
  const Json* end = ctx.Field("End");
  bool end_true = false;
  if (end != nullptr) {
    if (!end->is_boolean()) {
      Error(kSchema, ctx.Ptr("End"), "'End' must be true or false, not " + Describe(*end));
      scopes_[ctx.scope].has_broken_state = true;  // may have meant to end
    } else {
      end_true = end->get<bool>();
    }
  }
  if (next != nullptr) AddTransition(ctx, *next, ctx.Ptr("Next"), "Next");
  if (next != nullptr && end_true) {
    Error(kSchema, ctx.Ptr("End"),
          ctx.Label() + " has both 'Next' and \"End\": true: keep only one of them");
  } else if (next == nullptr && !end_true && (end == nullptr || end->is_boolean())) {
    Error(kSchema, ctx.pointer,
          "State " + Quote(ctx.name) +
              " has no 'Next' and is not 'End': add \"Next\": \"<state>\" or \"End\": true");
  }
  if (end_true) scopes_[ctx.scope].has_terminal = true;
}

void Validator::CheckCommonFields(const StateContext& ctx) {
  const bool has_result = ctx.type == "Task" || ctx.type == "Map" || ctx.type == "Parallel";
  const unsigned use = has_result ? kAllowResult : kJsonataPlain;
  if (const Json* v = ctx.Field("Comment")) CheckString(*v, ctx.Ptr("Comment"), "Comment");
  if (const Json* v = ctx.Field("InputPath"))
    CheckPath(*v, ctx.Ptr("InputPath"), "InputPath", PathKind::kPath, true);
  if (const Json* v = ctx.Field("OutputPath"))
    CheckPath(*v, ctx.Ptr("OutputPath"), "OutputPath", PathKind::kPath, true);
  if (const Json* v = ctx.Field("ResultPath"))
    CheckPath(*v, ctx.Ptr("ResultPath"), "ResultPath", PathKind::kResultPath, true);
  if (const Json* v = ctx.Field("Parameters"))
    CheckTemplate(*v, ctx.Ptr("Parameters"), "Parameters");
  if (const Json* v = ctx.Field("ResultSelector"))
    CheckTemplate(*v, ctx.Ptr("ResultSelector"), "ResultSelector");
  if (const Json* v = ctx.Field("Assign")) CheckAssign(ctx, *v, ctx.Ptr("Assign"), use);
  if (const Json* v = ctx.Field("Output")) CheckJsonataValue(*v, ctx.Ptr("Output"), use);
  if (const Json* v = ctx.Field("Arguments")) {
    CheckTemplateField(*this, ctx, *v, ctx.Ptr("Arguments"), "Arguments");
  }
  if (const Json* v = ctx.Field("Retry")) CheckRetry(ctx, *v);
  if (const Json* v = ctx.Field("Catch")) CheckCatch(ctx, *v);
}

void Validator::CheckNestedScope(const StateContext& ctx, const Json& holder,
                                 const std::string& pointer, std::string_view what,
                                 bool is_processor) {
  if (!holder.is_object()) {
    Error(kSchema, pointer,
          std::string(what) + " must be an object with \"StartAt\" and \"States\", not " +
              Describe(holder));
    return;
  }
  if (is_processor) {
    CheckUnknownMembers(holder, pointer, what,
                        {"StartAt", "States", "Comment", "QueryLanguage", "ProcessorConfig"});
  } else {
    CheckUnknownMembers(holder, pointer, what, {"StartAt", "States", "Comment", "QueryLanguage"});
  }
  if (auto it = holder.find("Comment"); it != holder.end()) {
    CheckString(*it, Child(pointer, "Comment"), "Comment");
  }
  // Nested states default to the machine's query language (ASL_NOTES §1),
  // unless the branch or processor names one itself.
  QueryLanguage ql = machine_ql_;
  if (auto it = holder.find("QueryLanguage"); it != holder.end()) {
    std::string ql_pointer = Child(pointer, "QueryLanguage");
    if (CheckEnum(*it, ql_pointer, "QueryLanguage", "JSONPath|JSONata")) {
      ql = *it == "JSONata" ? QueryLanguage::kJsonata : QueryLanguage::kJsonPath;
      if (machine_ql_ == QueryLanguage::kJsonata && ql == QueryLanguage::kJsonPath) {
        Error(kSchema, ql_pointer,
              "A JSONata state machine cannot contain JSONPath states: remove this "
              "\"QueryLanguage\"");
        ql = machine_ql_;
      }
    }
  }
  if (ctx.depth + 1 > kMaxStateNesting) {
    Error(kTooDeeplyNested, pointer,
          ctx.Label() + " nests Parallel/Map states more than " + std::to_string(kMaxStateNesting) +
              " levels deep: flatten the workflow");
    return;
  }
  CheckScope(holder, pointer, ctx.scope, ctx.depth + 1, ql);
}

// ---------------------------------------------------------------- names and variables

void Validator::CheckDuplicateNames() {
  if (repeated_uses_.empty()) return;
  auto pointer_of = [&](const NameUse& use) {
    return Child(scopes_[use.scope].states_pointer, use.name);
  };
  // Group the uses of each repeated name; the first in document order (by
  // position when known, else traversal order) is the original.
  std::unordered_map<std::string_view, std::vector<size_t>> groups;
  for (size_t i : repeated_uses_) {
    auto& group = groups[name_uses_[i].name];
    if (group.empty()) group.push_back(first_use_.at(name_uses_[i].name));
    group.push_back(i);
  }
  std::vector<std::pair<size_t, std::string>> reports;  // (use, first pointer)
  for (auto& [name, group] : groups) {
    std::vector<std::pair<std::pair<int, int>, size_t>> ordered;
    for (size_t i : group) {
      const SourcePosition* pos = doc_.KeyPositionOf(pointer_of(name_uses_[i]));
      ordered.push_back({pos ? std::pair(pos->line, pos->column) : std::pair(0, 0), i});
    }
    std::sort(ordered.begin(), ordered.end());
    std::string first = pointer_of(name_uses_[ordered[0].second]);
    for (size_t k = 1; k < ordered.size(); ++k) reports.emplace_back(ordered[k].second, first);
  }
  std::sort(reports.begin(), reports.end());
  for (const auto& [use, first] : reports) {
    ErrorAtKey(kDuplicateStateName, pointer_of(name_uses_[use]),
               "State name " + Quote(name_uses_[use].name) + " is already used at " + first +
                   ": state names must be unique in the whole machine (Parallel branches and "
                   "Map processors included); rename one of them");
  }
}

void Validator::CheckVariableScopes() {
  std::vector<std::unordered_map<std::string_view, const std::string*>> assigned(scopes_.size());
  for (size_t i = 0; i < scopes_.size(); ++i) {
    for (const auto& [name, pointer] : scopes_[i].assigned) assigned[i].emplace(name, &pointer);
  }
  for (size_t i = 0; i < scopes_.size(); ++i) {
    for (const auto& [name, pointer] : scopes_[i].assigned) {
      for (int p = scopes_[i].parent; p >= 0; p = scopes_[p].parent) {
        auto it = assigned[p].find(name);
        if (it == assigned[p].end()) continue;
        Error(kSchema, pointer,
              "Variable " + Quote(name) + " is already assigned in an enclosing scope (at " +
                  *it->second +
                  "): a Parallel branch or Map processor may read outer variables but not "
                  "assign them; use another name");
        break;
      }
    }
  }
}

void Validator::CheckAssign(const StateContext& ctx, const Json& v, const std::string& pointer,
                            unsigned use) {
  if (!v.is_object()) {
    Error(kSchema, pointer,
          "'Assign' must be an object mapping variable names to values, not " + Describe(v));
    return;
  }
  auto& assigned = scopes_[ctx.scope].assigned;
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string_view name = it.key();
    if (!ctx.jsonata() && name.size() >= 2 && name.substr(name.size() - 2) == ".$") {
      name.remove_suffix(2);
    }
    std::string key_pointer = Child(pointer, it.key());
    if (std::string problem = VariableNameProblem(name); !problem.empty()) {
      ErrorAtKey(kSchema, key_pointer,
                 "Variable name " + Quote(name) + " " + problem +
                     ": use a name of letters, digits and '_' that starts with a letter or '_'");
      continue;
    }
    assigned.emplace_back(std::string(name), std::move(key_pointer));
  }
  if (ctx.jsonata()) {
    CheckJsonataValue(v, pointer, use);
  } else {
    CheckTemplate(v, pointer, "Assign");
  }
}

// Every {% %} string in a JSONata field, at any depth.
void Validator::CheckJsonataValue(const Json& v, const std::string& pointer, unsigned use) {
  if (v.is_string()) {
    CheckJsonataString(v.get_ref<const std::string&>(), pointer, use);
  } else if (v.is_structured()) {
    std::string p = pointer;
    CheckJsonataWalk(v, p, use);
  }
}

void Validator::CheckJsonataWalk(const Json& v, std::string& pointer, unsigned use) {
  if (v.is_string()) {
    CheckJsonataString(v.get_ref<const std::string&>(), pointer, use);
    return;
  }
  const size_t n = pointer.size();
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!it->is_string() && !it->is_structured()) continue;
      pointer += '/';
      pointer += EscapePointerToken(it.key());
      CheckJsonataWalk(*it, pointer, use);
      pointer.resize(n);
    }
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string() && !v[i].is_structured()) continue;
      pointer += '/';
      pointer += std::to_string(i);
      CheckJsonataWalk(v[i], pointer, use);
      pointer.resize(n);
    }
  }
}

}  // namespace internal
ParseResult CheckDefinition(std::string_view text, std::string_view filename,
                            const ParseLimits& limits) {
  ParseResult result = ParseDefinition(text, filename, limits);
  if (result.document) {
    auto more = Validate(*result.document);
    result.diagnostics.insert(result.diagnostics.end(), std::make_move_iterator(more.begin()),
                              std::make_move_iterator(more.end()));
  }
  return result;
}

}  // namespace stepflow::asl
