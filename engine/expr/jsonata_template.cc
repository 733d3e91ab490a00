#include "engine/expr/jsonata_template.h"

#include <cctype>
#include <cmath>
#include <optional>
#include <vector>

#include "engine/expr/jsonata_functions.h"

namespace stepflow::expr {

struct JsonataNode {
  enum class Kind : uint8_t { kConstant, kExpression, kObject, kArray };
  Kind kind = Kind::kConstant;
  Json constant;                                  // kConstant
  std::optional<jsonata::Expression> expression;  // kExpression
  std::string text;                               // kExpression: the trimmed body
  // kExpression of the form $states.<member>.<name>.<name>...: the member
  // (JsonataScope::member) and the names; -1 = any other expression.
  int states_member = -1;
  std::vector<std::string> names;
  std::string field;                                         // "Output/a/b[0]"
  std::vector<std::pair<std::string, JsonataNode>> members;  // kObject
  std::vector<JsonataNode> items;                            // kArray
};

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

constexpr std::string_view kStatesMembers[] = {"input", "result", "errorOutput", "context"};

// Splits "$states.input.a.b" into member 0 and {"a", "b"}; false for any
// other expression (names are plain: letters, digits, '_').
bool SplitStatesPath(std::string_view text, int* member, std::vector<std::string>* names) {
  constexpr std::string_view kPrefix = "$states.";
  if (!text.starts_with(kPrefix)) return false;
  text.remove_prefix(kPrefix.size());
  std::vector<std::string> parts;
  while (true) {
    size_t n = 0;
    while (n < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[n])) || text[n] == '_')) {
      ++n;
    }
    if (n == 0 || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
    parts.emplace_back(text.substr(0, n));
    text.remove_prefix(n);
    if (text.empty()) break;
    if (text[0] != '.') return false;
    text.remove_prefix(1);
  }
  for (int m = 0; m < 4; ++m) {
    if (parts[0] == kStatesMembers[m]) {
      *member = m;
      names->assign(std::make_move_iterator(parts.begin() + 1),
                    std::make_move_iterator(parts.end()));
      return true;
    }
  }
  return false;
}

// The value a $states.<member>.<names> path reads when every step before
// the last lands on an object holding the name: as the evaluator returns
// it (a number as a JSONata number, integral ones within 2^53 as integers;
// anything else copied). nullopt when the evaluator has to decide.
std::optional<Json> ReadStatesPath(const JsonataNode& node, const JsonataScope& scope) {
  const Json* v = scope.member(node.states_member);
  if (v == nullptr) return std::nullopt;
  for (const std::string& name : node.names) {
    if (!v->is_object()) return std::nullopt;
    const auto& members = v->get_ref<const Json::object_t&>();
    auto it = members.find(name);
    if (it == members.end()) return std::nullopt;
    v = &it->second;
  }
  if (!v->is_number()) return *v;
  const double d = v->get<double>();
  if (std::trunc(d) == d && std::fabs(d) <= 9007199254740992.0)
    return Json(static_cast<int64_t>(d));
  return Json(d);
}

Status CompileNode(const Json& value, std::string field, JsonataNode* out) {
  out->field = std::move(field);
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (!IsJsonataExpression(s)) {
      out->constant = value;
      return Status::Ok();
    }
    out->kind = JsonataNode::Kind::kExpression;
    out->text = std::string(JsonataBody(s));
    auto parsed = jsonata::Expression::Parse(out->text);
    if (auto* e = std::get_if<jsonata::ErrorInfo>(&parsed)) {
      std::string msg = "The JSONata expression '" + out->text + "' of the field '" + out->field +
                        "' is not valid: " + e->code + ": " + e->message;
      if (e->position >= 0) msg += " (at character " + std::to_string(e->position) + ")";
      return Status::InvalidArgument(std::move(msg));
    }
    out->expression = std::move(std::get<jsonata::Expression>(parsed));
    SplitStatesPath(out->text, &out->states_member, &out->names);
    return Status::Ok();
  }
  bool constant = true;
  if (value.is_object()) {
    out->kind = JsonataNode::Kind::kObject;
    out->members.reserve(value.size());
    for (const auto& [key, member] : value.items()) {
      out->members.emplace_back(key, JsonataNode{});
      STEPFLOW_RETURN_IF_ERROR(
          CompileNode(member, out->field + "/" + key, &out->members.back().second));
      constant = constant && out->members.back().second.kind == JsonataNode::Kind::kConstant;
    }
  } else if (value.is_array()) {
    out->kind = JsonataNode::Kind::kArray;
    out->items.resize(value.size());
    for (size_t i = 0; i < value.size(); ++i) {
      STEPFLOW_RETURN_IF_ERROR(
          CompileNode(value[i], out->field + "[" + std::to_string(i) + "]", &out->items[i]));
      constant = constant && out->items[i].kind == JsonataNode::Kind::kConstant;
    }
  }
  if (constant) {  // no expression below: copy it as written
    out->kind = JsonataNode::Kind::kConstant;
    out->members.clear();
    out->items.clear();
    out->constant = value;
  }
  return Status::Ok();
}

Status Failure(const JsonataNode& node, std::string what, std::string* location) {
  if (location != nullptr) *location = node.field;
  return Status::AslError(kQueryEvaluationError, "The JSONata expression '" + node.text +
                                                     "' specified for the field '" + node.field +
                                                     "' " + what);
}

Result<Json> EvaluateNode(const JsonataNode& node, const JsonataScope& scope,
                          std::string* location) {
  switch (node.kind) {
    case JsonataNode::Kind::kConstant:
      return node.constant;
    case JsonataNode::Kind::kExpression: {
      if (node.states_member >= 0) {
        if (std::optional<Json> v = ReadStatesPath(node, scope)) return std::move(*v);
      }
      jsonata::Evaluation r = node.expression->Evaluate(nullptr, scope.options());
      if (r.error) {
        return Failure(
            node, "threw an error during evaluation: " + r.error->code + ": " + r.error->message,
            location);
      }
      if (!r.value) return Failure(node, "returned nothing (undefined).", location);
      return std::move(*r.value);
    }
    case JsonataNode::Kind::kObject: {
      Json out = Json::object();
      for (const auto& [key, member] : node.members) {
        STEPFLOW_ASSIGN_OR_RETURN(out[key], EvaluateNode(member, scope, location));
      }
      return out;
    }
    case JsonataNode::Kind::kArray: {
      Json out = Json::array();
      out.get_ref<Json::array_t&>().reserve(node.items.size());
      for (const JsonataNode& item : node.items) {
        STEPFLOW_ASSIGN_OR_RETURN(Json v, EvaluateNode(item, scope, location));
        out.push_back(std::move(v));
      }
      return out;
    }
  }
  return Json();
}

}  // namespace

bool IsJsonataExpression(std::string_view s) {
  return s.size() >= 4 && s.starts_with("{%") && s.ends_with("%}");
}

bool IsJsonataString(const Json& v) {
  return v.is_string() && IsJsonataExpression(std::string_view(v.get_ref<const std::string&>()));
}

std::string_view JsonataBody(std::string_view s) {
  if (!IsJsonataExpression(s)) return s;
  s = s.substr(2, s.size() - 4);
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// ---------------------------------------------------------------- scope

JsonataScope::JsonataScope(const Json* input, const EvalContext& ctx, int64_t now_ms)
    : input_(input), ctx_(ctx), now_ms_(now_ms) {}

const Json* JsonataScope::member(int index) const {
  switch (index) {
    case 0:
      return input_;
    case 1:
      return result_;
    case 2:
      return error_output_;
    case 3:
      return ctx_.context;
    default:
      return nullptr;
  }
}

const jsonata::EvalOptions& JsonataScope::options() const {
  if (built_) return options_;
  built_ = true;
  using jsonata::Value;
  Value states = Value::NewObject();
  jsonata::Object& members = states.MutableObject();
  if (input_ != nullptr) members.Set("input", Value::Borrow(*input_));
  if (result_ != nullptr) members.Set("result", Value::Borrow(*result_));
  if (error_output_ != nullptr) members.Set("errorOutput", Value::Borrow(*error_output_));
  if (ctx_.context != nullptr) members.Set("context", Value::Borrow(*ctx_.context));
  states_ = {"states", std::move(states)};
  options_.bindings = std::span<const std::pair<std::string, Value>>(&states_, 1);
  if (const VariableScope* vars = ctx_.variables) {
    options_.variables = [vars](std::string_view name) { return vars->Find(name); };
  }
  options_.extra_functions = StepFunctionsJsonataFunctions();
  options_.removed_functions = kRemovedJsonataFunctions;
  options_.now_millis = now_ms_;
  options_.random = [ctx = &ctx_] {
    return static_cast<double>(ctx->NextRandom() >> 11) * 0x1.0p-53;
  };
  options_.time_limit = kJsonataTimeLimit;
  options_.max_depth = kJsonataMaxDepth;
  return options_;
}

// ------------------------------------------------------------- template

Result<JsonataTemplate> JsonataTemplate::Compile(const Json& value, std::string field) {
  auto root = std::make_shared<JsonataNode>();
  STEPFLOW_RETURN_IF_ERROR(CompileNode(value, std::move(field), root.get()));
  JsonataTemplate t;
  t.root_ = std::move(root);
  return t;
}

Result<Json> JsonataTemplate::Evaluate(const JsonataScope& scope, std::string* location) const {
  return EvaluateNode(*root_, scope, location);
}

const std::string& JsonataTemplate::field() const { return root_->field; }

bool JsonataTemplate::is_expression() const {
  return root_->kind == JsonataNode::Kind::kExpression;
}

const std::string& JsonataTemplate::expression() const { return root_->text; }

Status JsonataTypeError(const JsonataTemplate& t, std::string_view expected, const Json& value) {
  std::string head = t.is_expression()
                         ? "The JSONata expression '" + t.expression() +
                               "' specified for the field '" + t.field() + "' returned"
                         : "The value of the field '" + t.field() + "' has";
  return Status::AslError(kQueryEvaluationError, head + " an unexpected result type. Expected '" +
                                                     std::string(expected) + "', but was '" +
                                                     std::string(JsonTypeName(value)) +
                                                     "' for value: " + DumpCompact(value));
}

}  // namespace stepflow::expr
