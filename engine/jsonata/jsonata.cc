#include "engine/jsonata/jsonata.h"

#include <cmath>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "engine/jsonata/ast.h"
#include "engine/jsonata/evaluator.h"
#include "engine/jsonata/parser.h"
#include "engine/jsonata/regex.h"
#include "engine/jsonata/signature.h"

namespace stepflow::jsonata {

struct Expression::Impl {
  std::string text;
  std::unique_ptr<Node> ast;
};

namespace {

// Fills the evaluator's caches in the tree: parsed lambda signatures and
// compiled regular expressions. Iterative: the tree may be deep.
void PrepareTree(Node& root) {
  std::vector<Node*> stack{&root};
  auto push = [&](const NodePtr& n) {
    if (n) stack.push_back(n.get());
  };
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    if (n->type == NodeType::kLambda && n->has_signature && !n->parsed_signature) {
      n->parsed_signature = Signature::Parse(n->signature);
    }
    if (n->type == NodeType::kRegex && !n->regex) n->regex = Regex::Compile(n->value, n->flags);
    push(n->lhs);
    push(n->rhs);
    push(n->expression);
    for (const NodePtr& e : n->expressions) push(e);
    for (const NodePair& p : n->pairs) {
      push(p.first);
      push(p.second);
    }
    for (const NodePtr& s : n->steps) push(s);
    for (const Stage& s : n->stages) push(s.expr);
    for (const Stage& s : n->predicate) push(s.expr);
    if (n->group) {
      for (const NodePair& p : n->group->pairs) {
        push(p.first);
        push(p.second);
      }
    }
    push(n->procedure);
    for (const NodePtr& a : n->arguments) push(a);
    push(n->body);
    push(n->condition);
    push(n->then_branch);
    push(n->else_branch);
    push(n->pattern);
    push(n->update);
    push(n->delete_branch);
    for (const SortTerm& t : n->terms) push(t.expression);
  }
}

ErrorInfo InternalError(std::string message) {
  // No JSONata code describes an exhausted machine; D3137 is the code of
  // errors whose text says it all.
  ErrorInfo info;
  info.code = "D3137";
  info.message = std::move(message);
  return info;
}

// Results nested deeper than this are not turned into JSON (JSON.stringify
// in jsonata-js fails on them too): the conversion recurses once per level.
constexpr int kMaxResultDepth = 10000;

// jsonata-js returns ±Infinity/NaN from arithmetic, but they are not JSON:
// a result holding one is D1001, as when jsonata-js prints it.
void CheckResult(const Value& v, int depth, bool finite = true) {
  if (finite && v.IsNumber() && !std::isfinite(v.number())) Throw("D1001", -1, {}, v);
  const Array* a = v.array();
  const Object* o = v.object();
  if (a == nullptr && o == nullptr) return;
  if (depth > kMaxResultDepth) Throw("U1001");
  detail::CheckNativeStack();
  if (a != nullptr) {
    for (const Value& item : a->items) CheckResult(item, depth + 1, finite);
  } else {
    for (const auto& m : o->items()) CheckResult(m.second, depth + 1, finite);
  }
}

ErrorInfo ToInfo(Error& e) {
  RefillMessage(e);
  ErrorInfo info;
  info.code = e.code;
  info.message = e.message;
  info.position = e.position;
  info.token = e.token;
  if (!e.value.IsUndefined()) {
    try {
      CheckResult(e.value, 0, /*finite=*/false);
      info.value = e.value.ToJson();
    } catch (...) {
      info.value.reset();  // nested too deeply to convert
    }
  }
  return info;
}

std::string StatusText(const ErrorInfo& e) {
  std::string s = e.code + ": " + e.message;
  if (e.position >= 0) s += " (at position " + std::to_string(e.position) + ")";
  return s;
}

struct EvalCall {
  const Node* ast;
  std::shared_ptr<const void> owner;
  const Value* input;
  const EvalOptions* options;
  bool to_json;
  // Out.
  Value value;
  std::optional<Json> json;
  std::optional<ErrorInfo> error;
};

void RunEvaluation(void* p) {
  auto* call = static_cast<EvalCall*>(p);
  try {
    Evaluator evaluator(*call->options, call->owner);
    Value result = evaluator.Run(*call->ast, *call->input);
    if (call->to_json) {
      CheckResult(result, 0);
      call->json = result.ToJson();
      result = Value();
      evaluator.Finish(result);
    } else {
      evaluator.Finish(result);
      call->value = std::move(result);
    }
  } catch (Error& e) {
    call->error = ToInfo(e);
  } catch (const std::bad_alloc&) {
    call->error = InternalError("Out of memory while evaluating the expression");
  } catch (const std::exception& e) {
    call->error = InternalError(std::string("Internal error while evaluating the expression: ") +
                                e.what());
  } catch (...) {
    call->error = InternalError("Internal error while evaluating the expression");
  }
}

}  // namespace

std::variant<Expression, ErrorInfo> Expression::Parse(std::string_view text) {
  try {
    auto impl = std::make_shared<Impl>();
    impl->text = std::string(text);
    impl->ast = jsonata::Parse(text);
    PrepareTree(*impl->ast);
    Expression e;
    e.impl_ = std::move(impl);
    return e;
  } catch (Error& e) {
    return ToInfo(e);
  } catch (const std::bad_alloc&) {
    return InternalError("Out of memory while parsing the expression");
  } catch (const std::exception& e) {
    return InternalError(std::string("Internal error while parsing the expression: ") + e.what());
  }
}

Result<Expression> Expression::Compile(std::string_view text) {
  auto parsed = Parse(text);
  if (auto* e = std::get_if<ErrorInfo>(&parsed)) return Status::InvalidArgument(StatusText(*e));
  return std::get<Expression>(std::move(parsed));
}

Evaluation Expression::Evaluate(const Json* input, const EvalOptions& options) const {
  Evaluation out;
  if (!impl_) {
    out.error = InternalError("The expression was not compiled");
    return out;
  }
  Value in = input != nullptr ? Value::Borrow(*input) : Value();
  EvalCall call{impl_->ast.get(), impl_, &in, &options, true, {}, {}, {}};
  try {
    RunWithStack(StackNeeded(options.max_depth), RunEvaluation, &call);
  } catch (...) {
    call.error = InternalError("Internal error while evaluating the expression");
  }
  if (call.error) {
    out.error = std::move(call.error);
  } else {
    out.value = std::move(call.json);
  }
  return out;
}

Value Expression::EvaluateValue(const Value& input, const EvalOptions& options,
                                ErrorInfo* error) const {
  if (!impl_) {
    if (error != nullptr) *error = InternalError("The expression was not compiled");
    return {};
  }
  EvalCall call{impl_->ast.get(), impl_, &input, &options, false, {}, {}, {}};
  try {
    RunWithStack(StackNeeded(options.max_depth), RunEvaluation, &call);
  } catch (...) {
    call.error = InternalError("Internal error while evaluating the expression");
  }
  if (call.error) {
    if (error != nullptr) *error = std::move(*call.error);
    return {};
  }
  return std::move(call.value);
}

const std::string& Expression::text() const {
  static const std::string kEmpty;
  return impl_ ? impl_->text : kEmpty;
}

const Node& Expression::ast() const {
  static const Node kEmpty;
  return impl_ ? *impl_->ast : kEmpty;
}

}  // namespace stepflow::jsonata
