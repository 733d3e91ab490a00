#include "engine/graph/compiler.h"

#include "engine/asl/validator.h"
#include "engine/common/hash.h"

namespace stepflow::graph {

namespace {

bool IsJsonata(const Json& v) { return expr::IsJsonataString(v); }

const Json* Field(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  const auto& members = obj.get_ref<const Json::object_t&>();
  auto it = members.find(key);
  return it == members.end() ? nullptr : &it->second;
}

// True when `s` reads $states other than through $states.input, .result
// or .errorOutput: $states.context, or $states as a whole.
bool ReadsStatesContext(std::string_view s) {
  for (size_t at = s.find("$states"); at != std::string_view::npos;
       at = s.find("$states", at + 1)) {
    std::string_view rest = s.substr(at + 7);
    if (!rest.starts_with(".input") && !rest.starts_with(".result") &&
        !rest.starts_with(".errorOutput")) {
      return true;
    }
  }
  return false;
}

// True when a string anywhere in `v` may read the Context Object ("$$" in
// JSONPath, $states.context in JSONata): the runtime builds the Context
// Object only for states that can read it.
bool MentionsContext(const Json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return s.find("$$") != std::string::npos || ReadsStatesContext(s);
  }
  if (v.is_object() || v.is_array()) {
    for (const auto& item : v) {
      if (MentionsContext(item)) return true;
    }
  }
  return false;
}

Status Invalid(const std::string& pointer, const std::string& message) {
  return Status::InvalidArgument(message + " (at " + (pointer.empty() ? "/" : pointer) + ")");
}

// A JSONata field (any JSON with {% %} strings), compiled; `field` names it
// in runtime messages ("Output", "Choices[1]/Condition").
Result<JsonataField> JsonataOf(const Json* v, std::string field, const std::string& pointer) {
  if (v == nullptr) return JsonataField();
  auto t = expr::JsonataTemplate::Compile(*v, std::move(field));
  if (!t.ok()) return Invalid(pointer, t.status().message());
  return JsonataField(std::move(t).value());
}

Result<std::optional<expr::Path>> OptionalPath(const Json& obj, const char* key,
                                               const std::string& pointer) {
  const Json* v = Field(obj, key);
  if (v == nullptr) return std::optional<expr::Path>();
  if (!v->is_string())
    return Invalid(pointer + "/" + key, std::string(key) + " must be a path string");
  auto p = expr::Path::Parse(v->get_ref<const std::string&>());
  if (!p.ok()) return Invalid(pointer + "/" + key, p.status().message());
  return std::optional<expr::Path>(std::move(p).value());
}

template <typename T>
Result<Dynamic<T>> DynamicField(const Json& obj, const char* key, const std::string& path_key,
                                const std::string& pointer) {
  Dynamic<T> out;
  if (const Json* v = Field(obj, key)) {
    if (IsJsonata(*v)) {
      STEPFLOW_ASSIGN_OR_RETURN(out.jsonata, JsonataOf(v, key, pointer + "/" + key));
    } else if (v->is_number()) {
      if constexpr (std::is_same_v<T, int64_t>) {
        if (!IsIntegral(*v))
          return Invalid(pointer + "/" + key, std::string(key) + " must be an integer");
        out.value = static_cast<int64_t>(v->get<double>());
      } else if constexpr (std::is_same_v<T, double>) {
        out.value = v->get<double>();
      }
    } else {
      return Invalid(pointer + "/" + key, std::string(key) + " has the wrong type");
    }
  }
  STEPFLOW_ASSIGN_OR_RETURN(out.path, OptionalPath(obj, path_key.c_str(), pointer));
  return out;
}

Result<std::optional<expr::PayloadTemplate>> OptionalTemplate(const Json* v,
                                                              const std::string& pointer) {
  if (v == nullptr) return std::optional<expr::PayloadTemplate>();
  auto t = expr::PayloadTemplate::Compile(*v);
  if (!t.ok()) return Invalid(pointer, t.status().message());
  return std::optional<expr::PayloadTemplate>(std::move(t).value());
}

Result<expr::PathField> PathFieldOf(const Json& obj, const char* key, const std::string& pointer) {
  auto f = expr::PathField::FromJson(Field(obj, key));
  if (!f.ok()) return Invalid(pointer + "/" + key, f.status().message());
  return f;
}

Result<std::vector<std::string>> ErrorEquals(const Json& obj, const std::string& pointer) {
  const Json* v = Field(obj, "ErrorEquals");
  if (v == nullptr || !v->is_array()) return Invalid(pointer, "ErrorEquals must be an array");
  std::vector<std::string> out;
  for (const auto& e : *v) {
    if (!e.is_string()) return Invalid(pointer + "/ErrorEquals", "error names must be strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace

class Compiler {
 public:
  Result<std::shared_ptr<Graph>> CompileScope(const Json& scope, const std::string& pointer,
                                              QueryLanguage machine_language, int depth) {
    if (depth > asl::kMaxStateNesting)
      return Invalid(pointer, "Parallel/Map bodies nest too deeply");
    auto graph = std::make_shared<Graph>();
    graph->language_ = machine_language;
    const Json* states = Field(scope, "States");
    const Json* start_at = Field(scope, "StartAt");
    if (states == nullptr || !states->is_object() || states->empty()) {
      return Invalid(pointer, "States must be a non-empty object");
    }
    if (start_at == nullptr || !start_at->is_string())
      return Invalid(pointer, "StartAt must be a string");
    int i = 0;
    for (const auto& [name, body] : states->items()) {
      graph->index_.emplace(name, i++);
    }
    graph->start_ = graph->Find(start_at->get<std::string>());
    if (graph->start_ == kNoState) return Invalid(pointer + "/StartAt", "StartAt names no state");
    if (const Json* c = Field(scope, "Comment"); c && c->is_string())
      graph->comment_ = c->get<std::string>();
    // States are compiled in place: a State is large, and moving 10,000
    // of them showed up in the front-end benchmark.
    graph->states_.resize(states->size());
    size_t k = 0;
    for (const auto& [name, body] : states->items()) {
      std::string state_pointer = pointer + "/States/" + EscapePointerToken(name);
      STEPFLOW_RETURN_IF_ERROR(CompileState(*graph, name, body, std::move(state_pointer),
                                            machine_language, depth, &graph->states_[k++]));
    }
    return graph;
  }

  static void SetTopLevel(Graph* g, const Json& definition) {
    if (const Json* t = Field(definition, "TimeoutSeconds"); t && t->is_number()) {
      g->timeout_seconds_ = static_cast<int64_t>(t->get<double>());
    }
    g->content_hash_ = Sha256Hex(DumpCanonical(definition));
  }

 private:
  Result<int> Target(const Graph& g, const Json& obj, const char* key, const std::string& pointer) {
    const Json* v = Field(obj, key);
    if (v == nullptr) return kNoState;
    if (!v->is_string())
      return Invalid(pointer + "/" + key, std::string(key) + " must be a state name");
    int index = g.Find(v->get<std::string>());
    if (index == kNoState) {
      return Invalid(pointer + "/" + key,
                     "'" + v->get<std::string>() + "' is not a state of this scope");
    }
    return index;
  }

  Status CompileState(const Graph& g, const std::string& name, const Json& body,
                      std::string state_pointer, QueryLanguage machine_language, int depth,
                      State* out) {
    if (!body.is_object()) return Invalid(state_pointer, "a state must be an object");
    State& s = *out;
    s.name = name;
    s.pointer = std::move(state_pointer);
    s.uses_context = MentionsContext(body);
    const std::string& pointer = s.pointer;
    const Json* type = Field(body, "Type");
    if (type == nullptr || !type->is_string()) return Invalid(pointer, "Type is required");
    const std::string& t = type->get_ref<const std::string&>();
    static const std::pair<const char*, StateType> kTypes[] = {
        {"Task", StateType::kTask},       {"Parallel", StateType::kParallel},
        {"Map", StateType::kMap},         {"Pass", StateType::kPass},
        {"Wait", StateType::kWait},       {"Choice", StateType::kChoice},
        {"Succeed", StateType::kSucceed}, {"Fail", StateType::kFail}};
    bool known = false;
    for (const auto& [n, v] : kTypes) {
      if (t == n) {
        s.type = v;
        known = true;
      }
    }
    if (!known) return Invalid(pointer + "/Type", "unknown state type '" + t + "'");
    s.language = machine_language;
    if (const Json* ql = Field(body, "QueryLanguage"); ql && ql->is_string()) {
      s.language = *ql == "JSONata" ? QueryLanguage::kJsonata : QueryLanguage::kJsonPath;
    }
    if (const Json* c = Field(body, "Comment"); c && c->is_string())
      s.comment = c->get<std::string>();
    STEPFLOW_ASSIGN_OR_RETURN(s.next, Target(g, body, "Next", pointer));
    if (const Json* e = Field(body, "End"); e && e->is_boolean()) s.end = e->get<bool>();
    if (s.type == StateType::kSucceed || s.type == StateType::kFail) s.end = true;

    const bool jsonpath = s.language == QueryLanguage::kJsonPath;
    if (jsonpath) {
      STEPFLOW_ASSIGN_OR_RETURN(s.io.input_path, PathFieldOf(body, "InputPath", pointer));
      STEPFLOW_ASSIGN_OR_RETURN(s.io.output_path, PathFieldOf(body, "OutputPath", pointer));
      STEPFLOW_ASSIGN_OR_RETURN(s.io.result_path, PathFieldOf(body, "ResultPath", pointer));
      if (s.type != StateType::kMap) {
        STEPFLOW_ASSIGN_OR_RETURN(
            s.io.parameters, OptionalTemplate(Field(body, "Parameters"), pointer + "/Parameters"));
      }
      STEPFLOW_ASSIGN_OR_RETURN(
          s.io.result_selector,
          OptionalTemplate(Field(body, "ResultSelector"), pointer + "/ResultSelector"));
      STEPFLOW_ASSIGN_OR_RETURN(s.assign,
                                OptionalTemplate(Field(body, "Assign"), pointer + "/Assign"));
    } else {
      STEPFLOW_ASSIGN_OR_RETURN(s.jsonata_assign,
                                JsonataOf(Field(body, "Assign"), "Assign", pointer + "/Assign"));
      STEPFLOW_ASSIGN_OR_RETURN(s.jsonata_output,
                                JsonataOf(Field(body, "Output"), "Output", pointer + "/Output"));
    }

    if (const Json* retry = Field(body, "Retry")) {
      if (!retry->is_array()) return Invalid(pointer + "/Retry", "Retry must be an array");
      for (size_t i = 0; i < retry->size(); ++i) {
        const Json& r = (*retry)[i];
        std::string rp = pointer + "/Retry/" + std::to_string(i);
        Retrier retrier;
        STEPFLOW_ASSIGN_OR_RETURN(retrier.error_equals, ErrorEquals(r, rp));
        if (const Json* v = Field(r, "IntervalSeconds"); v && v->is_number())
          retrier.interval_seconds = v->get<int64_t>();
        if (const Json* v = Field(r, "MaxAttempts"); v && v->is_number())
          retrier.max_attempts = v->get<int64_t>();
        if (const Json* v = Field(r, "BackoffRate"); v && v->is_number())
          retrier.backoff_rate = v->get<double>();
        if (const Json* v = Field(r, "MaxDelaySeconds"); v && v->is_number())
          retrier.max_delay_seconds = v->get<int64_t>();
        if (const Json* v = Field(r, "JitterStrategy"); v && v->is_string())
          retrier.jitter_full = *v == "FULL";
        s.retry.push_back(std::move(retrier));
      }
    }
    if (const Json* catchers = Field(body, "Catch")) {
      if (!catchers->is_array()) return Invalid(pointer + "/Catch", "Catch must be an array");
      for (size_t i = 0; i < catchers->size(); ++i) {
        const Json& c = (*catchers)[i];
        std::string cp = pointer + "/Catch/" + std::to_string(i);
        Catcher catcher;
        STEPFLOW_ASSIGN_OR_RETURN(catcher.error_equals, ErrorEquals(c, cp));
        STEPFLOW_ASSIGN_OR_RETURN(catcher.next, Target(g, c, "Next", cp));
        if (catcher.next == kNoState) return Invalid(cp, "a catcher needs Next");
        if (jsonpath) {
          STEPFLOW_ASSIGN_OR_RETURN(catcher.result_path, PathFieldOf(c, "ResultPath", cp));
          STEPFLOW_ASSIGN_OR_RETURN(catcher.assign,
                                    OptionalTemplate(Field(c, "Assign"), cp + "/Assign"));
        } else {
          const std::string field = "Catch[" + std::to_string(i) + "]/";
          STEPFLOW_ASSIGN_OR_RETURN(
              catcher.jsonata_assign,
              JsonataOf(Field(c, "Assign"), field + "Assign", cp + "/Assign"));
          STEPFLOW_ASSIGN_OR_RETURN(
              catcher.jsonata_output,
              JsonataOf(Field(c, "Output"), field + "Output", cp + "/Output"));
        }
        s.catchers.push_back(std::move(catcher));
      }
    }

    switch (s.type) {
      case StateType::kTask: {
        TaskSpec task;
        const Json* resource = Field(body, "Resource");
        if (resource == nullptr || !resource->is_string())
          return Invalid(pointer, "Resource is required");
        task.resource = resource->get<std::string>();
        STEPFLOW_ASSIGN_OR_RETURN(
            task.timeout_seconds,
            DynamicField<int64_t>(body, "TimeoutSeconds", "TimeoutSecondsPath", pointer));
        STEPFLOW_ASSIGN_OR_RETURN(
            task.heartbeat_seconds,
            DynamicField<int64_t>(body, "HeartbeatSeconds", "HeartbeatSecondsPath", pointer));
        if (const Json* c = Field(body, "Credentials")) task.credentials = *c;
        if (!jsonpath) {
          STEPFLOW_ASSIGN_OR_RETURN(
              task.jsonata_arguments,
              JsonataOf(Field(body, "Arguments"), "Arguments", pointer + "/Arguments"));
        }
        s.spec = std::move(task);
        break;
      }
      case StateType::kPass: {
        PassSpec pass;
        if (const Json* r = Field(body, "Result")) pass.result = *r;
        s.spec = std::move(pass);
        break;
      }
      case StateType::kWait: {
        WaitSpec wait;
        STEPFLOW_ASSIGN_OR_RETURN(wait.seconds,
                                  DynamicField<int64_t>(body, "Seconds", "SecondsPath", pointer));
        if (const Json* ts = Field(body, "Timestamp")) {
          if (IsJsonata(*ts)) {
            STEPFLOW_ASSIGN_OR_RETURN(wait.timestamp.jsonata,
                                      JsonataOf(ts, "Timestamp", pointer + "/Timestamp"));
          } else {
            auto parsed =
                ts->is_string() ? expr::Timestamp::Parse(ts->get<std::string>()) : std::nullopt;
            if (!parsed) return Invalid(pointer + "/Timestamp", "Timestamp must be RFC 3339");
            wait.timestamp.value = *parsed;
          }
        }
        STEPFLOW_ASSIGN_OR_RETURN(wait.timestamp.path,
                                  OptionalPath(body, "TimestampPath", pointer));
        s.spec = std::move(wait);
        break;
      }
      case StateType::kChoice: {
        ChoiceSpec choice;
        STEPFLOW_ASSIGN_OR_RETURN(choice.default_next, Target(g, body, "Default", pointer));
        const Json* rules = Field(body, "Choices");
        if (rules == nullptr || !rules->is_array())
          return Invalid(pointer, "Choices must be an array");
        for (size_t i = 0; i < rules->size(); ++i) {
          const Json& r = (*rules)[i];
          std::string rp = pointer + "/Choices/" + std::to_string(i);
          ChoiceBranch branch;
          STEPFLOW_ASSIGN_OR_RETURN(branch.next, Target(g, r, "Next", rp));
          if (jsonpath) {
            auto rule = expr::ChoiceRule::Compile(r);
            if (!rule.ok()) return Invalid(rp, rule.status().message());
            branch.label = rule->Describe();
            branch.rule = std::move(rule).value();
            STEPFLOW_ASSIGN_OR_RETURN(branch.assign,
                                      OptionalTemplate(Field(r, "Assign"), rp + "/Assign"));
          } else {
            const std::string field = "Choices[" + std::to_string(i) + "]/";
            const Json* c = Field(r, "Condition");
            if (c == nullptr) return Invalid(rp, "a JSONata Choice rule needs a Condition");
            STEPFLOW_ASSIGN_OR_RETURN(branch.condition,
                                      JsonataOf(c, field + "Condition", rp + "/Condition"));
            branch.label = c->is_string()
                               ? std::string(expr::JsonataBody(c->get_ref<const std::string&>()))
                               : DumpCompact(*c);
            STEPFLOW_ASSIGN_OR_RETURN(
                branch.jsonata_assign,
                JsonataOf(Field(r, "Assign"), field + "Assign", rp + "/Assign"));
            STEPFLOW_ASSIGN_OR_RETURN(
                branch.jsonata_output,
                JsonataOf(Field(r, "Output"), field + "Output", rp + "/Output"));
          }
          choice.choices.push_back(std::move(branch));
        }
        s.spec = std::move(choice);
        break;
      }
      case StateType::kSucceed:
        s.spec = SucceedSpec{};
        break;
      case StateType::kFail: {
        FailSpec fail;
        if (const Json* e = Field(body, "Error"); e && IsJsonata(*e) && !jsonpath) {
          STEPFLOW_ASSIGN_OR_RETURN(fail.jsonata_error, JsonataOf(e, "Error", pointer + "/Error"));
        } else if (e && e->is_string()) {
          fail.error = e->get<std::string>();
        }
        if (const Json* c = Field(body, "Cause"); c && IsJsonata(*c) && !jsonpath) {
          STEPFLOW_ASSIGN_OR_RETURN(fail.jsonata_cause, JsonataOf(c, "Cause", pointer + "/Cause"));
        } else if (c && c->is_string()) {
          fail.cause = c->get<std::string>();
        }
        STEPFLOW_ASSIGN_OR_RETURN(fail.error_path, PathOrCall(body, "ErrorPath", pointer));
        STEPFLOW_ASSIGN_OR_RETURN(fail.cause_path, PathOrCall(body, "CausePath", pointer));
        s.spec = std::move(fail);
        break;
      }
      case StateType::kParallel: {
        ParallelSpec parallel;
        const Json* branches = Field(body, "Branches");
        if (branches == nullptr || !branches->is_array())
          return Invalid(pointer, "Branches must be an array");
        for (size_t i = 0; i < branches->size(); ++i) {
          STEPFLOW_ASSIGN_OR_RETURN(
              auto branch, CompileScope((*branches)[i], pointer + "/Branches/" + std::to_string(i),
                                        machine_language, depth + 1));
          parallel.branches.push_back(std::move(branch));
        }
        if (!jsonpath) {
          STEPFLOW_ASSIGN_OR_RETURN(
              parallel.jsonata_arguments,
              JsonataOf(Field(body, "Arguments"), "Arguments", pointer + "/Arguments"));
        }
        s.spec = std::move(parallel);
        break;
      }
      case StateType::kMap: {
        STEPFLOW_ASSIGN_OR_RETURN(MapSpec map,
                                  CompileMap(body, pointer, machine_language, jsonpath, depth));
        s.spec = std::move(map);
        break;
      }
    }
    return Status::Ok();
  }

  Result<PathOrIntrinsic> PathOrCall(const Json& body, const char* key,
                                     const std::string& pointer) {
    PathOrIntrinsic out;
    const Json* v = Field(body, key);
    if (v == nullptr) return out;
    if (!v->is_string())
      return Invalid(pointer + "/" + key, std::string(key) + " must be a string");
    const std::string& text = v->get_ref<const std::string&>();
    if (text.starts_with("$")) {
      auto p = expr::Path::Parse(text);
      if (!p.ok()) return Invalid(pointer + "/" + key, p.status().message());
      out.path = std::move(p).value();
    } else {
      auto c = expr::IntrinsicCall::Parse(text);
      if (!c.ok()) return Invalid(pointer + "/" + key, c.status().message());
      out.call = std::make_shared<const expr::IntrinsicCall>(std::move(c).value());
    }
    return out;
  }

  Result<MapSpec> CompileMap(const Json& body, const std::string& pointer,
                             QueryLanguage machine_language, bool jsonpath, int depth) {
    MapSpec map;
    const char* processor_key = Field(body, "ItemProcessor") ? "ItemProcessor" : "Iterator";
    const Json* processor = Field(body, processor_key);
    if (processor == nullptr) return Invalid(pointer, "ItemProcessor is required");
    STEPFLOW_ASSIGN_OR_RETURN(map.processor, CompileScope(*processor, pointer + "/" + processor_key,
                                                          machine_language, depth + 1));
    if (const Json* config = Field(*processor, "ProcessorConfig")) {
      if (const Json* mode = Field(*config, "Mode"); mode && mode->is_string()) {
        map.distributed = *mode == "DISTRIBUTED";
      }
      if (const Json* et = Field(*config, "ExecutionType"); et && et->is_string()) {
        map.execution_type = et->get<std::string>();
      }
    }
    const char* selector_key = Field(body, "ItemSelector") ? "ItemSelector" : "Parameters";
    if (jsonpath) {
      STEPFLOW_ASSIGN_OR_RETURN(map.items_path, OptionalPath(body, "ItemsPath", pointer));
      STEPFLOW_ASSIGN_OR_RETURN(map.item_selector, OptionalTemplate(Field(body, selector_key),
                                                                    pointer + "/" + selector_key));
    } else {
      STEPFLOW_ASSIGN_OR_RETURN(map.jsonata_items,
                                JsonataOf(Field(body, "Items"), "Items", pointer + "/Items"));
      STEPFLOW_ASSIGN_OR_RETURN(
          map.jsonata_item_selector,
          JsonataOf(Field(body, "ItemSelector"), "ItemSelector", pointer + "/ItemSelector"));
    }
    STEPFLOW_ASSIGN_OR_RETURN(
        map.max_concurrency,
        DynamicField<int64_t>(body, "MaxConcurrency", "MaxConcurrencyPath", pointer));
    STEPFLOW_ASSIGN_OR_RETURN(map.tolerated_failure_percentage,
                              DynamicField<double>(body, "ToleratedFailurePercentage",
                                                   "ToleratedFailurePercentagePath", pointer));
    STEPFLOW_ASSIGN_OR_RETURN(
        map.tolerated_failure_count,
        DynamicField<int64_t>(body, "ToleratedFailureCount", "ToleratedFailureCountPath", pointer));
    if (const Json* b = Field(body, "ItemBatcher")) {
      map.item_batcher = *b;
      if (jsonpath) {
        STEPFLOW_ASSIGN_OR_RETURN(
            map.batch_input,
            OptionalTemplate(Field(*b, "BatchInput"), pointer + "/ItemBatcher/BatchInput"));
      } else {
        STEPFLOW_ASSIGN_OR_RETURN(map.jsonata_batch_input,
                                  JsonataOf(Field(*b, "BatchInput"), "ItemBatcher/BatchInput",
                                            pointer + "/ItemBatcher/BatchInput"));
      }
    }
    if (const Json* r = Field(body, "ItemReader")) map.item_reader = *r;
    if (const Json* w = Field(body, "ResultWriter")) map.result_writer = *w;
    if (const Json* l = Field(body, "Label"); l && l->is_string())
      map.label = l->get<std::string>();
    return map;
  }
};

Result<std::shared_ptr<const Graph>> CompileDefinition(const Json& definition) {
  if (!definition.is_object()) return Status::InvalidArgument("A definition must be a JSON object");
  QueryLanguage language = QueryLanguage::kJsonPath;
  if (const Json* ql = Field(definition, "QueryLanguage"); ql && *ql == "JSONata") {
    language = QueryLanguage::kJsonata;
  }
  Compiler compiler;
  STEPFLOW_ASSIGN_OR_RETURN(auto graph, compiler.CompileScope(definition, "", language, 0));
  Compiler::SetTopLevel(graph.get(), definition);
  return std::shared_ptr<const Graph>(std::move(graph));
}

namespace {

// Compiles a definition whose diagnostics (in `out`) hold no error.
CompileResult CompileChecked(const Json& definition, CompileResult out) {
  auto graph = CompileDefinition(definition);
  if (!graph.ok()) {
    // The validator accepted something the compiler cannot use: report it
    // rather than crash, so the gap is visible.
    asl::Diagnostic d;
    d.code = "SCHEMA_VALIDATION_FAILED";
    d.message = graph.status().message();
    out.diagnostics.push_back(std::move(d));
    return out;
  }
  out.graph = std::move(graph).value();
  return out;
}

}  // namespace

CompileResult CompileDocument(const asl::Document& doc) {
  CompileResult out;
  out.diagnostics = asl::Validate(doc);
  if (asl::HasErrors(out.diagnostics)) return out;
  return CompileChecked(doc.root(), std::move(out));
}

CompileResult CompileText(std::string_view text, std::string_view filename) {
  auto checked = asl::CheckDefinition(text, filename);
  CompileResult out;
  out.diagnostics = std::move(checked.diagnostics);
  if (!checked.document || asl::HasErrors(out.diagnostics)) return out;
  return CompileChecked(checked.document->root(), std::move(out));
}

}  // namespace stepflow::graph
