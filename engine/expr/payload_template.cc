#include "engine/expr/payload_template.h"

#include <set>

namespace stepflow::expr {

struct TemplateNode {
  enum class Kind { kLiteral, kObject, kArray, kPath, kIntrinsic };
  Kind kind = Kind::kLiteral;
  Json literal;                                                                      // kLiteral
  std::vector<std::pair<std::string, std::shared_ptr<const TemplateNode>>> members;  // kObject
  std::vector<std::shared_ptr<const TemplateNode>> items;                            // kArray
  std::string field;                          // "key.$" as written
  Path path;                                  // kPath
  std::shared_ptr<const IntrinsicCall> call;  // kIntrinsic
};

namespace {

constexpr int kMaxTemplateDepth = 200;

bool EndsWithDollar(std::string_view key) {
  return key.size() >= 2 && key.substr(key.size() - 2) == ".$";
}

// A string under a key without ".$" that a user probably meant as a path.
bool LooksLikeExpression(const std::string& s) {
  if (s == "$" || s == "$$") return true;
  if (s.starts_with("$.") || s.starts_with("$[") || s.starts_with("$$.")) return true;
  return s.starts_with("States.") && IntrinsicCall::LooksLikeCall(s);
}

// Checks one ".$" value: returns the problem, or empty when it compiles.
std::optional<TemplateIssue> CheckExpression(const std::string& pointer, const std::string& key,
                                             const Json& value) {
  if (!value.is_string()) {
    return TemplateIssue{pointer, "SCHEMA_VALIDATION_FAILED",
                         "The value of '" + key +
                             "' must be a string holding a path or an intrinsic function, not " +
                             std::string(JsonTypeName(value)),
                         false};
  }
  const std::string& text = value.get_ref<const std::string&>();
  if (text.starts_with("$")) {
    auto p = Path::Parse(text);
    if (!p.ok()) return TemplateIssue{pointer, "INVALID_PATH", p.status().message(), false};
    return std::nullopt;
  }
  if (IntrinsicCall::LooksLikeCall(text)) {
    auto c = IntrinsicCall::Parse(text);
    if (!c.ok()) return TemplateIssue{pointer, "INVALID_PATH", c.status().message(), false};
    return std::nullopt;
  }
  return TemplateIssue{pointer, "INVALID_PATH",
                       "The value of '" + key + "' is '" + text +
                           "', which is neither a path (starting with '$') nor an intrinsic "
                           "function: fix it, or drop '.$' from the key to use it literally",
                       false};
}

void CheckNode(const Json& node, const std::string& pointer, int depth,
               std::vector<TemplateIssue>* issues) {
  if (depth > kMaxTemplateDepth) {
    issues->push_back({pointer, "TOO_DEEPLY_NESTED", "The template nests too deeply", false});
    return;
  }
  if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      CheckNode(node[i], pointer + "/" + std::to_string(i), depth + 1, issues);
    }
    return;
  }
  if (!node.is_object()) return;
  std::set<std::string> names;
  for (const auto& [key, value] : node.items()) {
    std::string child = pointer + "/" + EscapePointerToken(key);
    bool dynamic = EndsWithDollar(key);
    std::string name = dynamic ? key.substr(0, key.size() - 2) : key;
    if (!names.insert(name).second) {
      issues->push_back(
          {child, "SCHEMA_VALIDATION_FAILED",
           "The keys '" + name + "' and '" + name + ".$' collide once '.$' is removed: keep one",
           false});
    }
    if (dynamic) {
      if (auto issue = CheckExpression(child, key, value)) issues->push_back(*issue);
    } else if (value.is_string() && LooksLikeExpression(value.get_ref<const std::string&>())) {
      issues->push_back({child, "NO_DOLLAR",
                         "The value of '" + key +
                             "' looks like a path or intrinsic function but "
                             "is used as a literal string: rename the key to '" +
                             key + ".$' to evaluate it",
                         true});
    } else {
      CheckNode(value, child, depth + 1, issues);
    }
  }
}

// Compiles a checked-or-not template; the first error is returned with
// the pointer of the field it concerns.
Result<std::shared_ptr<const TemplateNode>> CompileNode(const Json& node,
                                                        const std::string& pointer) {
  auto out = std::make_shared<TemplateNode>();
  if (node.is_array()) {
    bool constant = true;
    for (size_t i = 0; i < node.size(); ++i) {
      STEPFLOW_ASSIGN_OR_RETURN(auto child, CompileNode(node[i], pointer));
      constant = constant && child->kind == TemplateNode::Kind::kLiteral;
      out->items.push_back(std::move(child));
    }
    if (constant) {
      out->items.clear();
      out->literal = node;
    } else {
      out->kind = TemplateNode::Kind::kArray;
    }
    return std::shared_ptr<const TemplateNode>(out);
  }
  if (!node.is_object()) {
    out->literal = node;
    return std::shared_ptr<const TemplateNode>(out);
  }
  bool constant = true;
  for (const auto& [key, value] : node.items()) {
    if (EndsWithDollar(key)) {
      std::string child_pointer = pointer + "/" + EscapePointerToken(key);
      if (auto issue = CheckExpression(child_pointer, key, value)) {
        return Status::InvalidArgument(issue->message + " (at '" + issue->pointer + "')");
      }
      std::string name = key.substr(0, key.size() - 2);
      if (node.contains(name)) {
        return Status::InvalidArgument("The keys '" + name + "' and '" + key +
                                       "' collide once '.$' is removed (at '" + child_pointer +
                                       "')");
      }
      auto expr = std::make_shared<TemplateNode>();
      expr->field = key;
      const std::string& text = value.get_ref<const std::string&>();
      if (text.starts_with("$")) {
        STEPFLOW_ASSIGN_OR_RETURN(expr->path, Path::Parse(text));
        expr->kind = TemplateNode::Kind::kPath;
      } else {
        STEPFLOW_ASSIGN_OR_RETURN(auto call, IntrinsicCall::Parse(text));
        expr->call = std::make_shared<const IntrinsicCall>(std::move(call));
        expr->kind = TemplateNode::Kind::kIntrinsic;
      }
      out->members.emplace_back(std::move(name), std::move(expr));
      constant = false;
    } else {
      STEPFLOW_ASSIGN_OR_RETURN(auto child,
                                CompileNode(value, pointer + "/" + EscapePointerToken(key)));
      constant = constant && child->kind == TemplateNode::Kind::kLiteral;
      out->members.emplace_back(key, std::move(child));
    }
  }
  if (constant) {
    out->members.clear();
    out->literal = node;
  } else {
    out->kind = TemplateNode::Kind::kObject;
  }
  return std::shared_ptr<const TemplateNode>(out);
}

Result<Json> EvaluateNode(const TemplateNode& node, const Json& input, const EvalContext& ctx) {
  switch (node.kind) {
    case TemplateNode::Kind::kLiteral:
      return node.literal;
    case TemplateNode::Kind::kArray: {
      Json out = Json::array();
      for (const auto& item : node.items) {
        STEPFLOW_ASSIGN_OR_RETURN(Json v, EvaluateNode(*item, input, ctx));
        out.push_back(std::move(v));
      }
      return out;
    }
    case TemplateNode::Kind::kObject: {
      Json out = Json::object();
      auto& obj = out.get_ref<Json::object_t&>();
      for (const auto& [name, child] : node.members) {
        STEPFLOW_ASSIGN_OR_RETURN(Json v, EvaluateNode(*child, input, ctx));
        obj.insert_or_assign(name, std::move(v));
      }
      return out;
    }
    case TemplateNode::Kind::kPath: {
      if (node.path.is_definite()) {
        if (const Json* found = node.path.Find(input, ctx)) return *found;
      } else {
        auto r = node.path.Evaluate(input, ctx);
        if (r.ok()) return r;
      }
      std::string where = node.path.root() == PathRoot::kContext    ? "the context object"
                          : node.path.root() == PathRoot::kVariable ? "the variables"
                                                                    : "the input";
      // The ASL specification names States.ParameterPathFailure (catchable)
      // for this case, and stepflow follows it. Step Functions itself has
      // been seen to report States.Runtime with this same cause (an example
      // history in its developer guide, LocalStack's parity snapshots).
      return Status::AslError(
          "States.ParameterPathFailure",
          "The JSONPath '" + node.path.text() + "' specified for the field '" + node.field +
              "' could not be found in " + where +
              (node.path.root() == PathRoot::kInput ? " '" + DumpCompact(input) + "'" : ""));
    }
    case TemplateNode::Kind::kIntrinsic: {
      auto r = node.call->Evaluate(input, ctx);
      if (r.ok()) return r;
      if (r.status().code() == StatusCode::kAslError) return r.status();
      return Status::AslError("States.IntrinsicFailure", r.status().message());
    }
  }
  return Json();
}

}  // namespace

PayloadTemplate::PayloadTemplate() = default;
PayloadTemplate::~PayloadTemplate() = default;
PayloadTemplate::PayloadTemplate(const PayloadTemplate&) = default;
PayloadTemplate::PayloadTemplate(PayloadTemplate&&) noexcept = default;
PayloadTemplate& PayloadTemplate::operator=(const PayloadTemplate&) = default;
PayloadTemplate& PayloadTemplate::operator=(PayloadTemplate&&) noexcept = default;

void PayloadTemplate::Check(const Json& tmpl, std::vector<TemplateIssue>* issues) {
  CheckNode(tmpl, "", 0, issues);
}

Result<PayloadTemplate> PayloadTemplate::Compile(const Json& tmpl) {
  PayloadTemplate out;
  STEPFLOW_ASSIGN_OR_RETURN(out.root_, CompileNode(tmpl, ""));
  return out;
}

Result<Json> PayloadTemplate::Evaluate(const Json& input, const EvalContext& ctx) const {
  if (!root_) return Json::object();
  return EvaluateNode(*root_, input, ctx);
}

bool PayloadTemplate::is_constant() const {
  return !root_ || root_->kind == TemplateNode::Kind::kLiteral;
}

}  // namespace stepflow::expr
