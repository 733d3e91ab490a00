// Calling functions: function-call expressions, the trampoline for tail
// calls, lambdas, built-ins (with their signatures), partial application,
// `~>`, and CallContext::Apply for built-ins that call back.
#include <typeinfo>
#include <utility>
#include <vector>

#include "engine/jsonata/evaluator.h"
#include "engine/jsonata/regex.h"
#include "engine/jsonata/signature.h"

namespace stepflow::jsonata {

namespace {

// A function given as an argument of a call. jsonata-js hands the callee a
// plain JavaScript closure around it, and that shows: a closure is false to
// $boolean and in conditions (a lambda itself is a non-empty object, true),
// and calling it gives the function no context value.
class ArgumentClosure final : public ClosureFunction {
 public:
  explicit ArgumentClosure(Value fn) : fn_(std::move(fn)), arity_(detail::FunctionArity(fn_)) {}
  Value Call(CallContext& ctx, std::span<const Value> args) const override {
    return ctx.Apply(fn_, std::vector<Value>(args.begin(), args.end()));
  }
  int Arity() const override { return arity_; }
  const Value& fn() const { return fn_; }

 private:
  Value fn_;
  int arity_;
};

Value WrapArgument(Value arg) {
  if (!arg.IsFunction()) return arg;
  switch (arg.function()->kind()) {
    case Function::Kind::kLambda:
    case Function::Kind::kNative:
    case Function::Kind::kPartial:
      return Value::FromFunction(std::make_shared<ArgumentClosure>(std::move(arg)));
    default:  // already a plain function in jsonata-js (a regex, a closure)
      return arg;
  }
}

// The name a call's procedure is written with (jsonata-js's procName).
std::string_view ProcedureName(const Node& procedure) {
  if (procedure.type == NodeType::kPath && !procedure.steps.empty()) {
    return procedure.steps[0]->value;
  }
  return procedure.value;
}

}  // namespace

Value Evaluator::EvalFunction(const Node& expr, const Value& input, Frame* env,
                              const Value* applyto) {
  const Node& procedure = *expr.procedure;
  Value proc = Eval(procedure, input, env);
  if (proc.IsUndefined() && procedure.type == NodeType::kPath && !procedure.steps.empty() &&
      !LookupVariable(procedure.steps[0]->value, env).IsUndefined()) {
    Throw("T1005", expr.position, procedure.steps[0]->value);
  }
  std::vector<Value> args;
  args.reserve(expr.arguments.size() + (applyto != nullptr ? 1 : 0));
  if (applyto != nullptr) args.push_back(*applyto);
  for (const NodePtr& arg : expr.arguments) args.push_back(WrapArgument(Eval(*arg, input, env)));
  CallSite site{ProcedureName(procedure), expr.position};
  try {
    return ApplyFunction(proc, std::move(args), input, site);
  } catch (Error& e) {
    if (e.position <= 0) e.position = expr.position;
    if (e.token.empty()) e.token = std::string(site.name);
    throw;
  }
}

Value Evaluator::ApplyFunction(const Value& proc, std::vector<Value> args, const Value& input,
                               const CallSite& site) {
  Value result = ApplyInner(proc, std::move(args), input, site);
  // Tail calls come back as thunks: run them here, in constant native stack.
  while (result.IsFunction() && result.function()->kind() == Function::Kind::kLambda) {
    const auto& thunk = static_cast<const LambdaFn&>(*result.function());
    if (!thunk.thunk) break;
    Value hold = result;  // keeps the thunk alive while its call is made
    const Node& call = *thunk.node->body;
    const auto* saved_owner = current_owner_;
    current_owner_ = &thunk.owner;
    Value next;
    std::vector<Value> next_args;
    try {
      next = Eval(*call.procedure, thunk.input, thunk.env.get());
      next_args.reserve(call.arguments.size());
      for (const NodePtr& arg : call.arguments) {
        next_args.push_back(Eval(*arg, thunk.input, thunk.env.get()));
      }
    } catch (...) {
      current_owner_ = saved_owner;
      throw;
    }
    current_owner_ = saved_owner;
    CallSite next_site{ProcedureName(*call.procedure), call.procedure->position};
    result = ApplyInner(next, std::move(next_args), input, next_site);
  }
  return result;
}

Value Evaluator::ApplyInner(const Value& proc, std::vector<Value> args, const Value& input,
                            const CallSite& site) {
  try {
    if (!proc.IsFunction()) Throw("T1006");
    const Function& f = *proc.function();
    switch (f.kind()) {
      case Function::Kind::kLambda: {
        const auto& l = static_cast<const LambdaFn&>(f);
        if (l.signature != nullptr) args = l.signature->Validate(args, input);
        if (l.form == LambdaFn::Form::kTransform) {
          return ApplyTransform(l, args.empty() ? Value() : args[0]);
        }
        return ApplyLambda(l, std::move(args));
      }
      case Function::Kind::kNative:
        return CallNative(static_cast<const NativeFunction&>(f), args, input, site);
      case Function::Kind::kPartial:
        return ApplyPartial(static_cast<const PartialFn&>(f), std::move(args), site);
      case Function::Kind::kRegex: {
        int saved = call_position_;
        call_position_ = site.position;
        Value subject = args.empty() ? Value() : args[0];
        auto re = std::static_pointer_cast<Regex>(proc.function());
        Value r;
        try {
          r = ApplyRegex(*this, re, subject, args.size() > 1 ? args[1] : Value());
        } catch (...) {
          call_position_ = saved;
          throw;
        }
        call_position_ = saved;
        return r;
      }
      case Function::Kind::kClosure: {
        if (typeid(f) == typeid(ArgumentClosure)) {
          // A function passed as an argument: call it as jsonata-js's closure
          // does, without a context value.
          return ApplyFunction(static_cast<const ArgumentClosure&>(f).fn(), std::move(args),
                               Value::Null(), CallSite{});
        }
        int saved = call_position_;
        call_position_ = site.position;
        Value r;
        try {
          r = static_cast<const ClosureFunction&>(f).Call(*this, args);
        } catch (...) {
          call_position_ = saved;
          throw;
        }
        call_position_ = saved;
        return r;
      }
    }
    return {};
  } catch (Error& e) {
    if (proc.IsFunction()) {
      if (e.token.empty() && !site.name.empty()) e.token = std::string(site.name);
      if (site.position > 0) e.position = site.position;
    }
    throw;
  }
}

Value Evaluator::ApplyLambda(const LambdaFn& fn, std::vector<Value> args) {
  FrameRef frame = NewFrame(fn.env.get());
  if (fn.params != nullptr) {
    const std::vector<std::string>& params = *fn.params;
    for (size_t i = 0; i < params.size(); ++i) {
      frame->Bind(params[i], i < args.size() ? std::move(args[i]) : Value());
    }
  }
  const auto* saved_owner = current_owner_;
  current_owner_ = &fn.owner;
  Value result;
  try {
    result = Eval(*fn.node->body, fn.input, frame.get());
  } catch (...) {
    current_owner_ = saved_owner;
    throw;
  }
  current_owner_ = saved_owner;
  return result;
}

Value Evaluator::CallNative(const NativeFunction& fn, std::span<const Value> args,
                            const Value& input, const CallSite& site) {
  const auto* sig = static_cast<const Signature*>(fn.parsed_signature.get());
  std::vector<Value> validated;
  if (sig != nullptr) {
    validated = sig->Validate(args, input);
    args = validated;
  }
  int saved = call_position_;
  call_position_ = site.position;
  Value r;
  try {
    r = fn.spec().body(*this, args);
  } catch (Error&) {
    call_position_ = saved;
    throw;
  } catch (const std::bad_alloc&) {
    call_position_ = saved;
    throw;
  } catch (const std::exception& ex) {
    // A built-in let a standard-library exception escape: report it as an
    // error of the call instead of crashing the evaluation.
    call_position_ = saved;
    Error e("D3137", site.position, std::string(site.name));
    e.message = std::string("Unexpected failure in $") + std::string(fn.spec().name) + ": " +
                ex.what();
    throw e;
  }
  call_position_ = saved;
  return r;
}

Value Evaluator::ApplyPartial(const PartialFn& fn, std::vector<Value> args, const CallSite& site) {
  std::vector<Value> full = fn.slots;
  size_t next = 0;
  for (size_t i = 0; i < full.size(); ++i) {
    if (fn.open[i]) full[i] = next < args.size() ? std::move(args[next++]) : Value();
  }
  while (!full.empty() && full.back().IsUndefined()) full.pop_back();
  return ApplyInner(fn.target, std::move(full), Value(), site);
}

Value Evaluator::EvalPartial(const Node& expr, const Value& input, Frame* env) {
  std::vector<Value> args;
  std::vector<bool> open;
  args.reserve(expr.arguments.size());
  open.reserve(expr.arguments.size());
  for (const NodePtr& arg : expr.arguments) {
    if (arg->type == NodeType::kPlaceholder) {
      args.emplace_back();
      open.push_back(true);
    } else {
      args.push_back(Eval(*arg, input, env));
      open.push_back(false);
    }
  }
  const Node& procedure = *expr.procedure;
  Value proc = Eval(procedure, input, env);
  if (proc.IsUndefined() && procedure.type == NodeType::kPath && !procedure.steps.empty() &&
      !LookupVariable(procedure.steps[0]->value, env).IsUndefined()) {
    Throw("T1007", expr.position, procedure.steps[0]->value);
  }
  if (!proc.IsFunction()) Throw("T1008", expr.position, std::string(ProcedureName(procedure)));

  const Function& f = *proc.function();
  if (f.kind() == Function::Kind::kLambda &&
      static_cast<const LambdaFn&>(f).form == LambdaFn::Form::kLambda) {
    // A lambda with some parameters bound: a new lambda over the rest.
    const auto& l = static_cast<const LambdaFn&>(f);
    auto p = std::make_shared<LambdaFn>();
    p->node = l.node;
    p->input = l.input;
    p->owner = l.owner;
    FrameRef frame = NewFrame(l.env.get());
    if (l.params != nullptr) {
      for (size_t i = 0; i < l.params->size(); ++i) {
        const std::string& param = (*l.params)[i];
        if (i < open.size() && open[i]) {
          p->own_params.push_back(param);
        } else {
          frame->Bind(param, i < args.size() ? args[i] : Value());
        }
      }
    }
    p->params = &p->own_params;
    p->env = std::move(frame);
    return Value::FromFunction(std::move(p));
  }

  auto p = std::make_shared<PartialFn>();
  if (f.kind() == Function::Kind::kPartial) {
    // Binding more arguments of a partial application.
    const auto& inner = static_cast<const PartialFn&>(f);
    p->target = inner.target;
    p->slots = inner.slots;
    p->open = inner.open;
    size_t k = 0;
    for (size_t i = 0; i < p->slots.size(); ++i) {
      if (!p->open[i]) continue;
      if (k < open.size() && open[k]) {
        ++k;
        continue;
      }
      p->slots[i] = k < args.size() ? args[k] : Value();
      p->open[i] = false;
      ++k;
    }
  } else {
    p->target = proc;
    size_t count = static_cast<size_t>(detail::FunctionArity(proc));
    if (f.kind() == Function::Kind::kNative) {
      const auto* sig =
          static_cast<const Signature*>(static_cast<const NativeFunction&>(f).parsed_signature.get());
      if (sig != nullptr) count = sig->param_count();
    }
    p->slots.resize(count);
    p->open.assign(count, false);
    for (size_t i = 0; i < count; ++i) {
      if (i < open.size() && open[i]) {
        p->open[i] = true;
      } else if (i < args.size()) {
        p->slots[i] = args[i];
      }
    }
  }
  p->open_count = 0;
  for (bool o : p->open) p->open_count += o ? 1 : 0;
  return Value::FromFunction(std::move(p));
}

Value Evaluator::EvalApplyExpr(const Node& expr, const Value& input, Frame* env) {
  Value lhs = Eval(*expr.lhs, input, env);
  if (expr.rhs->type == NodeType::kFunction) return EvalFunction(*expr.rhs, input, env, &lhs);
  Value func = Eval(*expr.rhs, input, env);
  if (!func.IsFunction()) Throw("T2006", expr.position, {}, func);
  if (lhs.IsFunction()) {
    // Composition: λ($f, $g) { λ($x){ $g($f($x)) } } applied to both.
    Value chain = Eval(ChainAst(), Value::Null(), env);
    return ApplyFunction(chain, {lhs, func}, Value::Null(), CallSite{});
  }
  return ApplyFunction(func, {lhs}, Value::Null(), CallSite{});
}

Value Evaluator::Apply(const Value& fn, std::vector<Value> args) {
  if (!fn.IsFunction()) Throw("T1006", call_position_);
  int saved = call_position_;
  Value r;
  try {
    r = ApplyFunction(fn, std::move(args), Value::Null(), CallSite{});
  } catch (...) {
    call_position_ = saved;
    throw;
  }
  call_position_ = saved;
  return r;
}

int Evaluator::Arity(const Value& fn) const { return detail::FunctionArity(fn); }

}  // namespace stepflow::jsonata
